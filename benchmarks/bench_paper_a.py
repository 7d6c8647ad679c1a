"""Paper A, Tables 2 and 3: backpropagation against bisection BCD on the CSTR, with peers.

``table2`` is the 4-(5×20)-2 network, ``table3`` the 4-(5×50)-2 one.  10,000 simulated
steady states, an 80/20 split (seed 0), inputs and targets standardised on the training rows,
MSE on the standardised targets (as in the paper).  Three methods from one starting point:
end-to-end training (``AllLayers``) and the bisection tree with first- and second-order
scores (``Bisection(order, explore=0.1)``), each in two settings:

- **Paper A's Table 1**: the tanh default (Glorot) initialisation, gradient descent with
  lr 1e-4 and trust radius 1e-3, 1,000 epochs (full-batch steps) per iteration, tol 1e-3,
  at most 200 iterations — capped here at ``PAPER_CAP`` iterations, because the literal
  run would take about an hour and does not move (see the report);
- **recommended**: orthogonal initialisation and L-BFGS.

Peers (PyTorch L-BFGS from the same start and from PyTorch's default init, PyTorch Adam,
scikit-learn L-BFGS and Adam) train the same network on the same rows.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import bcdnet as bn
from bcdnet.plotting import convergence, parity, selection_map
from benchmarks import _common as C
from benchmarks import peers

PAPER = {   # Paper A, Tables 2 and 3: train MSE, test MSE, avg epochs, iterations, CPU s
    "table2": {"backpropagation": (0.93835, 0.86888, 200.00, 97, 912.7, 9.376),
               "bisection, first order": (0.94697, 0.97121, 397.26, 50, 1022.4, 18.681),
               "bisection, second order": (0.94631, 0.93880, 397.26, 50, 1153.5, 18.402)},
    "table3": {"backpropagation": (1.00001, 1.04468, 200.00, 100, 2529.4, 25.206),
               "bisection, first order": (1.00000, 1.00000, 208.83, 100, 3271.9, 24.519),
               "bisection, second order": (1.00000, 1.00000, 416.67, 50, 3746.6, 48.912)},
}
ALL_PAPER_CPU = sum(v[4] for table in PAPER.values() for v in table.values())
PAPER_KEYS = ("paper_train_mse", "paper_test_mse", "paper_avg_epochs", "paper_iterations",
              "paper_total_cpu_s", "paper_avg_cpu_s")
DEPTH = {"table2": 20, "table3": 50}
PAPER_CAP = 3                      # iterations of the Table 1 run (the paper allows 200)
TARGETS = {"table2": (0.002, 0.005), "table3": (0.005, 0.01)}   # AllLayers, best BCD
# Recommended budgets: (AllLayers visits x L-BFGS iterations, bisection visits per order)
BUDGET = {"table2": ((20, 100), {1: 200, 2: 200}), "table3": ((20, 100), {1: 300, 2: 120})}
# End-to-end L-BFGS memory (pairs).  On 50 layers memory 10 leaves the test MSE at
# 0.0024-0.013 after 2,000 iterations from three starts, memory 100 (PyTorch's default) at
# 0.0024-0.0040 for the same CPU (FINDINGS.md); on 20 layers 10 already meets the target.
MEMORY = {"table2": 10, "table3": 100}
BCD_INNER = 20                     # L-BFGS iterations per bisection visit
OTHER_STARTS = (1, 2)              # further orthogonal draws: how much the start matters


def _methods(name: str, quick: bool):
    """(setting, method, init, trainer) for both settings (and the Glorot ablation)."""
    (visits, inner), bis = BUDGET[name]
    if quick:
        visits, inner, bis = 2, 10, {1: 4, 2: 3}
    cap, epochs = (1, 20) if quick else (PAPER_CAP, 1000)
    gd = bn.optim.GD(lr=1e-4, trust_radius=1e-3, max_iter=epochs)
    paper = dict(max_iter=cap, tol=1e-3, sensitivity_tol=None, seed=0)
    ours = dict(tol=0.0, sensitivity_tol=None, seed=0)
    sel = {"backpropagation": bn.selection.AllLayers(),
           "bisection, first order": bn.selection.Bisection(order=1, explore=0.1),
           "bisection, second order": bn.selection.Bisection(order=2, explore=0.1)}
    out = [("Table 1 (paper)", m, "glorot", bn.Trainer(gd, s.clone(), **paper))
           for m, s in sel.items()]
    out.append(("recommended", "backpropagation", "orthogonal",
                end_to_end(inner, visits, MEMORY[name])))
    for order in (1, 2):
        m = f"bisection, {'first' if order == 1 else 'second'} order"
        out.append(("recommended", m, "orthogonal",
                    bn.Trainer(bn.optim.LBFGS(max_iter=5 if quick else BCD_INNER),
                               sel[m].clone(), max_iter=bis[order], **ours)))
    out.append(("ablation", "backpropagation", "glorot",
                end_to_end(inner, visits, MEMORY[name])))
    return out


def end_to_end(inner: int, visits: int, memory: int, seed: int = 0) -> bn.Trainer:
    """Backpropagation: ``visits`` × ``inner`` iterations of one continuous L-BFGS run."""
    return bn.Trainer(bn.optim.LBFGS(max_iter=inner, history_size=memory),
                      bn.selection.AllLayers(), max_iter=visits, keep_state=True, tol=0.0,
                      sensitivity_tol=None, seed=seed)


def memory_study(memory: int, name: str = "table3", seeds=(0, *OTHER_STARTS)) -> list[dict]:
    """The recommended end-to-end run alone, with L-BFGS memory ``memory``, from the
    orthogonal starts of the table: test MSE and CPU seconds per start (FINDINGS.md).

    ``python -c "from benchmarks.bench_paper_a import memory_study; print(memory_study(10))"``
    """
    data = C.split(C.load_dataset("cstr"), seed=0)
    (visits, inner), _ = BUDGET[name]
    sizes = [4] + [5] * DEPTH[name] + [2]
    rows = []
    with C.one_thread():
        for seed in seeds:
            run_ = C.fit(end_to_end(inner, visits, memory, seed),
                         bn.Network.mlp(sizes, init="orthogonal", seed=seed), data)
            rows.append({"seed": seed, "memory": memory, "cpu_s": round(run_.cpu_s, 1),
                         "test_mse": C.scores(data, run_.predict, units=False)["test_mse"]})
    return rows


def _row(setting, method, init, run: C.Run, data, name) -> dict:
    h = run.history[run.history["iteration"] > 0]
    s = C.scores(data, run.predict, units=False)
    n_it = len(h)
    row = {"setting": setting, "method": method, "init": init,
           "start_mse": float(run.history["train_loss"].iloc[0]),
           "train_mse": s["train_mse"], "test_mse": s["test_mse"],
           "avg_epochs": float(h["nit"].mean()) if n_it else np.nan, "iterations": n_it,
           "total_cpu_s": run.cpu_s, "avg_cpu_s": run.cpu_s / max(n_it, 1),
           "stop": run.stop_reason}
    if setting in ("Table 1 (paper)", "recommended"):
        row.update(dict(zip(PAPER_KEYS, PAPER[name][method])))
    return {**row, "seed": 0}


def initial_point(depth: int, data: C.Split) -> list[dict]:
    """Why default initialisations stall: output spread and gradient ratio at the start.

    ``"PyTorch default"`` redraws every weight and bias from U(±1/√fan_in), the
    distribution of ``torch.nn.Linear`` (with NumPy, so it needs no PyTorch).
    """
    rows = []
    for init in ("glorot", "orthogonal", "PyTorch default"):
        net = bn.Network.mlp([4] + [5] * depth + [2],
                             init="glorot" if init.startswith("PyTorch") else init, seed=0)
        if init.startswith("PyTorch"):
            rng = np.random.default_rng(0)
            for layer in net.layers:
                bound = 1.0 / np.sqrt(layer.n_in)
                layer.W[...] = rng.uniform(-bound, bound, layer.W.shape)
                layer.b[...] = rng.uniform(-bound, bound, layer.b.shape)
        f, g = net.loss_grad(data.X, data.Y)
        first = np.linalg.norm(g[net.param_slices[0]])
        last_hidden = np.linalg.norm(g[net.param_slices[-2]])
        rows.append({"init": init, "mse": f,
                     "output_std": float(net.predict(data.X).std(axis=0).mean()),
                     "grad_ratio": first / last_hidden})
    return rows


def _peers(start, data, quick, memory):
    its, epochs = (20, 1) if quick else (2000, 100)
    out = []
    for label, call in (
            ("PyTorch L-BFGS, same start",
             lambda: peers.torch_train(start, data.X, data.Y, "lbfgs", iterations=its,
                                       history_size=memory)),
            ("PyTorch L-BFGS, PyTorch default init",
             lambda: peers.torch_train(start, data.X, data.Y, "lbfgs", iterations=its,
                                       init="default", history_size=memory)),
            ("PyTorch Adam, same start",
             lambda: peers.torch_train(start, data.X, data.Y, "adam", epochs=epochs)),
            ("scikit-learn L-BFGS, same start",
             lambda: peers.sklearn_train(start, data.X, data.Y, "lbfgs", iterations=its)),
            ("scikit-learn Adam, same start",
             lambda: peers.sklearn_train(start, data.X, data.Y, "adam", epochs=epochs))):
        res = call()
        if res is None:
            out.append({"method": label, "note": "not installed"})
            continue
        s = C.scores(data, res.predict, units=False)
        out.append({"method": label, "seed": 0, "train_mse": s["train_mse"],
                    "test_mse": s["test_mse"],
                    "iterations": res.n_iter, "total_cpu_s": res.cpu_s, "note": res.note})
    return out


def run(name: str = "table2", quick: bool = False, out_dir=C.RESULTS) -> dict:
    """Run one table; write ``<name>.md``, ``.csv`` and PNGs into ``out_dir``."""
    load = C.load_average()
    clock = C.Clock()
    data = C.split(C.load_dataset("cstr"), seed=0)
    if quick:
        data.X, data.Y = data.X[:800], data.Y[:800]
    depth = DEPTH[name]
    sizes = [4] + [5] * depth + [2]
    rows, runs = [], {}
    with C.one_thread():
        for setting, method, init, trainer in _methods(name, quick):
            start = bn.Network.mlp(sizes, init=init, seed=0)
            run_ = C.fit(trainer, start, data)
            runs[(setting, method)] = run_
            rows.append(_row(setting, method, init, run_, data, name))
        recommended = {(s, m): t for s, m, i, t in _methods(name, quick) if s == "recommended"
                       and m != "bisection, second order"}
        for seed in OTHER_STARTS:
            start = bn.Network.mlp(sizes, init="orthogonal", seed=seed)
            for (_, method), trainer in recommended.items():
                trainer.seed = seed
                row = _row("other start", method, "orthogonal", C.fit(trainer, start, data),
                           data, name)
                rows.append({**row, "seed": seed})
        ours_cpu = sum(r["total_cpu_s"] for r in rows)
        peer_clock = C.Clock()
        peer_rows = _peers(bn.Network.mlp(sizes, init="orthogonal", seed=0), data, quick,
                           MEMORY[name])
        its = 20 if quick else 2000
        for seed in OTHER_STARTS:
            res = peers.torch_train(bn.Network.mlp(sizes, init="orthogonal", seed=seed),
                                    data.X, data.Y, "lbfgs", iterations=its,
                                    history_size=MEMORY[name])
            if res is not None:
                s = C.scores(data, res.predict, units=False)
                peer_rows.append({"method": "PyTorch L-BFGS, same start", "seed": seed,
                                  "train_mse": s["train_mse"], "test_mse": s["test_mse"],
                                  "iterations": res.n_iter, "total_cpu_s": res.cpu_s,
                                  "note": res.note})
        peer_wall = peer_clock.wall
    diag = initial_point(depth, data)
    frame = pd.DataFrame(rows)
    out_dir = C.Path(out_dir)
    C.write_csv(out_dir / f"{name}.csv", pd.concat([frame, pd.DataFrame(peer_rows).assign(
        setting="peer")], ignore_index=True))
    figures = _figures(name, runs, data, out_dir, depth)
    results = {"name": name, "quick": quick, "rows": rows, "peers": peer_rows, "diag": diag,
               "ours_cpu_s": ours_cpu, "peer_wall_s": peer_wall, "figures": figures,
               "seconds": clock.wall, "load": load, "n_train": data.X.shape[0]}
    results["path"] = C.write_text(out_dir / f"{name}.md", report(results))
    return results


def _figures(name, runs, data, out_dir, depth):
    label = {"backpropagation": "backpropagation (all layers)",
             "bisection, first order": "bisection, 1st order",
             "bisection, second order": "bisection, 2nd order"}
    arch = f"4-(5×{depth})-2"
    rec = {label[m]: r.history for (s, m), r in runs.items() if s == "recommended"}
    rec["backpropagation from Glorot"] = runs[("ablation", "backpropagation")].history
    pap = {label[m]: r.history for (s, m), r in runs.items() if s == "Table 1 (paper)"}
    files = {}
    files["convergence"] = convergence(
        rec, f"CSTR {arch}, orthogonal init + L-BFGS: loss and gradient norm",
        save=out_dir / f"{name}_convergence.png")
    files["convergence_paper"] = convergence(
        pap, f"CSTR {arch}, Paper A Table 1 settings (Glorot, GD lr 1e-4)",
        save=out_dir / f"{name}_convergence_paper_settings.png")
    files["selection"] = selection_map(
        {k: v for k, v in rec.items() if "bisection" in k}, depth + 1,
        f"CSTR {arch}: layer chosen by the bisection tree (recommended settings)",
        save=out_dir / f"{name}_selection.png")
    best = min((r for (s, m), r in runs.items() if s == "recommended" and "bisection" in m),
               key=lambda r: r.history["train_loss"].iloc[-1])
    files["parity"] = parity(
        data.Yt_raw, data.unscale(best.predict(data.Xt)), data.target_names,
        f"CSTR {arch}: best bisection run, test rows",
        y_train=data.Y_raw, y_train_pred=data.unscale(best.predict(data.X)),
        save=out_dir / f"{name}_parity.png")
    return {k: f"{name}_{k}.png" if k != "convergence_paper"
            else f"{name}_convergence_paper_settings.png" for k in files}


COLUMNS = {"method": "method", "start_mse": "start MSE", "train_mse": "train MSE",
           "test_mse": "test MSE",
           "avg_epochs": "avg epochs", "iterations": "iterations",
           "total_cpu_s": "total CPU [s]", "avg_cpu_s": "avg CPU [s]",
           "paper_train_mse": "paper train", "paper_test_mse": "paper test",
           "paper_iterations": "paper iterations", "paper_total_cpu_s": "paper total CPU [s]",
           "paper_avg_cpu_s": "paper avg CPU [s]"}
SPECS = {"start_mse": ".4f", "train_mse": ".5f", "test_mse": ".5f", "avg_epochs": ".1f",
         "total_cpu_s": ".1f",
         "avg_cpu_s": ".3f", "paper_train_mse": ".5f", "paper_test_mse": ".5f",
         "paper_total_cpu_s": ".1f", "paper_avg_cpu_s": ".3f"}


def report(r: dict) -> str:
    name, depth = r["name"], DEPTH[r["name"]]
    arch = f"4-(5×{depth})-2"
    paper_sum = sum(v[4] for v in PAPER[name].values())
    rows = r["rows"]
    paper_rows = [x for x in rows if x["setting"] == "Table 1 (paper)"]
    ablation = next(x for x in rows if x["setting"] == "ablation")
    rec = [x for x in rows if x["setting"] == "recommended"]
    seed0_peers = [p for p in r["peers"] if p.get("seed", 0) == 0]
    (visits, inner), bis = BUDGET[name]
    lines = C.header(
        f"Paper A, Table {name[-1]}: CSTR with the {arch} network", name, r["quick"],
        f"{r['n_train']:,} training and 2,000 test rows of the simulated CSTR "
        "(`bn.datasets.make_cstr()`, 80/20 split, seed 0), inputs and targets standardised "
        "on the training rows; MSE on the standardised targets, as in the paper. Every "
        "method of a setting starts from the same weights. *avg epochs*: optimizer steps "
        "per BCD iteration; *iterations*: BCD iterations (block visits); CPU: process time "
        "of the training loop (sensitivities included).")
    lines += ["## With Paper A's Table 1 hyperparameters", "",
              f"Glorot initialisation (the tanh default), gradient descent with lr 1e-4 and "
              f"trust radius 1e-3, 1,000 full-batch epochs per iteration, tol 1e-3 — "
              f"**capped at {PAPER_CAP} iterations** (the paper allows 200): at "
              f"{paper_rows[0]['avg_cpu_s']:.1f} s per backpropagation iteration the "
              f"literal 200 iterations would take {paper_rows[0]['avg_cpu_s'] * 200 / 60:.0f} "
              "min for that method alone, and the loss only creeps (*start MSE* against "
              "*train MSE*, and the convergence figure below; our tol test compares with the "
              "loss one full sweep of blocks earlier, so it cannot stop a run this short). "
              "Totals are for the capped run; the per-iteration averages compare with the "
              "paper's.", "",
              C.md_table(paper_rows, COLUMNS, SPECS), ""]
    lines += ["## With our recommended settings", "",
              f"Orthogonal initialisation; end-to-end L-BFGS with memory {MEMORY[name]} for "
              f"{visits} × {inner} iterations (memory kept between visits: one continuous "
              "L-BFGS run); "
              f"bisection (explore 0.1) with {BCD_INNER} L-BFGS iterations per visit, "
              f"{bis[1]} visits first order and {bis[2]} second order (each second-order "
              f"visit scores 2⌈log₂ {depth + 1}⌉ = {2 * int(np.ceil(np.log2(depth + 1)))} "
              "groups with one α-Hessian-vector product each). Fixed budgets: tol and the "
              "sensitivity tolerance are off.", "",
              C.md_table(rec, COLUMNS, SPECS), ""]
    lines += ["## Peers on the same rows", "",
              "Same network and data, float64, one thread; *same start* = the orthogonal "
              "weights of the recommended runs; PyTorch's L-BFGS with the memory of our "
              f"end-to-end run ({MEMORY[r['name']]} pairs; scikit-learn's L-BFGS-B keeps 10).",
              "",
              C.md_table(seed0_peers, {"method": "method", "train_mse": "train MSE",
                                      "test_mse": "test MSE", "iterations": "iterations",
                                      "total_cpu_s": "CPU [s]", "note": "settings"},
                         {"train_mse": ".5f", "test_mse": ".5f", "total_cpu_s": ".1f"}), ""]
    diag = {d["init"]: d for d in r["diag"]}
    g, o, t = diag["glorot"], diag["orthogonal"], diag["PyTorch default"]
    bp = next(x for x in paper_rows if x["method"] == "backpropagation")
    b1 = next(x for x in paper_rows if x["method"] == "bisection, first order")
    torch_default = next((p for p in r["peers"] if "default init" in p["method"]
                          and "test_mse" in p), None)
    lines += ["## Why the paper's numbers look the way they do", "",
              "On standardised targets a network that predicts the training mean scores "
              "MSE = 1 on the training rows (and about 1 on the test rows): the paper's "
              "0.87–1.04 is a network that has learned (almost) nothing. At the start:", "",
              C.md_table(r["diag"], {"init": "initialisation", "mse": "training MSE",
                                     "output_std": "spread of the outputs [-]",
                                     "grad_ratio":
                                         "‖∇ first layer‖ / ‖∇ last hidden layer‖"},
                         {"mse": ".4f", "output_std": ".3g", "grad_ratio": ".3g"}), "",
              f"- *PyTorch's default* initialisation, U(±1/√fan_in), shrinks the signal "
              f"at every one of the {depth} layers: the output is constant to "
              f"{t['output_std']:.1e} and the first layer's gradient is {t['grad_ratio']:.1e} "
              "of the last hidden layer's — vanishing gradients. "
              + (f"PyTorch's own L-BFGS from it ends at test MSE "
                 f"{torch_default['test_mse']:.3f} (peer table)." if torch_default else ""),
              f"- *Glorot* keeps gradients alive (ratio {g['grad_ratio']:.2g}) but the tanh "
              f"stack flattens the output (spread {g['output_std']:.2g}): the start predicts "
              f"the mean (training MSE {g['mse']:.3f}). Table 1's gradient descent (lr 1e-4, "
              f"steps of at most 1e-3) lowers that from {bp['start_mse']:.3f} to "
              f"{bp['train_mse']:.3f} in {PAPER_CAP} × 1,000 epochs end to end, and the "
              f"bisection runs from {b1['start_mse']:.3f} to {b1['train_mse']:.3f} (first "
              "table and its convergence figure): at that pace the paper's ≤ 200 iterations, "
              "cut short by tol 1e-3, end near 0.9–1.0, where its tables are. End-to-end "
              f"L-BFGS from the same Glorot start reaches test MSE {ablation['test_mse']:.4f} "
              f"in {ablation['total_cpu_s']:.0f} s: "
              + ("on this network the optimizer's step length matters more than the "
                 "initialisation." if ablation["test_mse"] < 0.01 else
                 "on this network Glorot also holds L-BFGS back; the initialisation "
                 "matters as much as the optimizer."),
              f"- *Orthogonal* weights keep every layer's signal and gradient at one scale "
              f"(ratio {o['grad_ratio']:.2g}, spread {o['output_std']:.2g}); with L-BFGS the "
              "network fits the reactor (second table), end to end or layer by layer.", ""]
    starts = _by_start(rows, r["peers"])
    lines += ["## How much the starting point matters", "",
              "The recommended end-to-end and first-order bisection runs, and PyTorch's L-BFGS, "
              f"from {1 + len(OTHER_STARTS)} orthogonal draws (seed 0 is the start of the "
              "tables above); test MSE:", "",
              C.md_table(starts, {"seed": "start (seed)", "all": "bcdnet L-BFGS, all layers",
                                  "torch": "PyTorch L-BFGS, all layers",
                                  "bis": "bcdnet bisection, 1st order"},
                         {"all": ".5f", "torch": ".5f", "bis": ".5f"}), ""]
    t_all, t_bcd = TARGETS[name]
    fmt_list = lambda key: ", ".join(C.fmt(x.get(key), ".5f") for x in starts)  # noqa: E731
    best = min((x for x in rec if x["method"] != "backpropagation"),
               key=lambda x: x["test_mse"])
    n_all = sum(x["all"] <= t_all for x in starts)
    ratios = ", ".join(C.fmt(x["all"] / x["torch"], ".2f") if x["torch"] else "–"
                       for x in starts)
    n_bis = sum(x["bis"] <= t_bcd for x in starts)
    lines += ["## Acceptance", "",
              f"- End-to-end L-BFGS from orthogonal starts {', '.join(str(x['seed']) for x in starts)}: "  # noqa: E501
              f"test MSE {fmt_list('all')}; PyTorch L-BFGS from the same starts: "
              f"{fmt_list('torch')} (ratio ours / PyTorch: {ratios}). Target ≤ {t_all}: met "
              f"from {n_all} of {len(starts)} starts.",
              f"- Best sensitivity-driven BCD at seed 0: {best['method']}, test MSE "
              f"{best['test_mse']:.5f}; first-order bisection from every start: "
              f"{fmt_list('bis')}. Target ≤ {t_bcd}: met from {n_bis} of {len(starts)} starts.",
              f"- CPU of all our runs (the six of the tables, the Glorot ablation and the "
              f"{2 * len(OTHER_STARTS)} runs from other starts): {r['ours_cpu_s']:.1f} s, "
              f"against {paper_sum:,.1f} s for the paper's Table {name[-1]}. The limit is for "
              f"Tables 2 and 3 together: 1/20 of {ALL_PAPER_CPU:,.1f} s = "
              f"{ALL_PAPER_CPU / 20:.1f} s (`BENCHMARKS.md` adds the two). The peers took "
              f"another {r['peer_wall_s']:.1f} s.", ""]
    f = r["figures"]
    lines += ["## Figures", "",
              f"![convergence, recommended]({f['convergence']})", "",
              f"![convergence, paper settings]({f['convergence_paper']})", "",
              f"![selection map]({f['selection']})", "", f"![parity]({f['parity']})", ""]
    lines += C.machine_section(r["seconds"], r["load"])
    return "\n".join(lines)


def _by_start(rows, peer_rows) -> list[dict]:
    """Test MSE per starting point: ours end to end, PyTorch end to end, ours bisection."""
    out = []
    for seed in (0, *OTHER_STARTS):
        mine = {x["method"]: x["test_mse"] for x in rows if x.get("seed") == seed
                and x["setting"] in ("recommended", "other start")}
        torch = [p["test_mse"] for p in peer_rows if p.get("seed") == seed
                 and p["method"] == "PyTorch L-BFGS, same start" and "test_mse" in p]
        out.append({"seed": seed, "all": mine.get("backpropagation"),
                    "torch": torch[0] if torch else None,
                    "bis": mine.get("bisection, first order")})
    return out


def run_table2(quick: bool = False, out_dir=C.RESULTS) -> dict:
    return run("table2", quick, out_dir)


def run_table3(quick: bool = False, out_dir=C.RESULTS) -> dict:
    return run("table3", quick, out_dir)
