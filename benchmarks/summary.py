"""Build ``BENCHMARKS.md`` from the CSV files the benchmarks wrote into ``benchmarks/results/``.

Every number in it comes from those files, so re-running a benchmark and then
``python -m benchmarks summary`` keeps the summary and the reports consistent.  A benchmark
whose CSV is missing is listed as not run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import _common as C
from benchmarks.bench_paper_a import PAPER as PAPER_A
from benchmarks.bench_paper_a import TARGETS as TARGETS_A

PAPER_A_CPU = {name: sum(v[4] for v in rows.values()) for name, rows in PAPER_A.items()}
LIMIT_A = sum(PAPER_A_CPU.values()) / 20
LIMIT_ICRS = 7 * 60 / 50


def _read(folder, name):
    path = folder / f"{name}.csv"
    return pd.read_csv(path) if path.exists() else None


def _ok(flag) -> str:
    return "met" if flag else "**not met**"


def _paper_a(folder, img, name, frame):
    depth = {"table2": 20, "table3": 50}[name]
    ours = frame[~frame["setting"].isin(["peer", "other start"])]
    peers = frame[(frame["setting"] == "peer") & (frame["seed"].fillna(0) == 0)]
    rows = []
    for _, r in ours.iterrows():
        label = {"Table 1 (paper)": "Table 1 settings (capped)", "recommended": "recommended",
                 "ablation": "L-BFGS from Glorot"}[r["setting"]]
        rows.append({"run": f"{label}: {r['method']}", "test_mse": r["test_mse"],
                     "paper": r.get("paper_test_mse"), "cpu": r["total_cpu_s"],
                     "paper_cpu": r.get("paper_total_cpu_s"), "its": r["iterations"]})
    for _, r in peers.iterrows():
        rows.append({"run": r["method"], "test_mse": r.get("test_mse"), "cpu": r.get(
            "total_cpu_s"), "its": r.get("iterations")})
    table = C.md_table(rows, {"run": "run", "test_mse": "test MSE", "paper": "paper test MSE",
                              "its": "iterations", "cpu": "CPU [s]",
                              "paper_cpu": "paper CPU [s]"},
                       {"test_mse": ".5f", "paper": ".5f", "cpu": ".1f", "paper_cpu": ".1f"})
    return [f"### Table {name[-1]}: 4-(5×{depth})-2 ([report]({img}{name}.md))", "", table, "",
            f"![convergence]({img}{name}_convergence.png)", ""]


def _acceptance(folder):
    rows = []
    cpu_a = 0.0
    for name in ("table2", "table3"):
        f = _read(folder, name)
        if f is None:
            rows.append({"what": f"Paper A {name}", "ours": "not run"})
            continue
        depth = {"table2": 20, "table3": 50}[name]
        rec = f[f["setting"] == "recommended"]
        starts = f[f["setting"].isin(["recommended", "other start"])]
        cpu_a += f[f["setting"] != "peer"]["total_cpu_s"].sum()
        ends = starts[starts["method"] == "backpropagation"].sort_values("seed")
        torch = f[(f["method"] == "PyTorch L-BFGS, same start")].sort_values("seed")
        bis = starts[starts["method"] == "bisection, first order"].sort_values("seed")
        best = rec[rec["method"] != "backpropagation"].sort_values("test_mse").iloc[0]
        t_all, t_bcd = TARGETS_A[name]
        listed = lambda col: ", ".join(f"{v:.4f}" for v in col)  # noqa: E731
        n_all, n_bis = int((ends["test_mse"] <= t_all).sum()), int((bis["test_mse"] <= t_bcd).sum())
        rows.append({"what": f"CSTR {depth} layers: end-to-end L-BFGS, orthogonal init, "
                             f"test MSE ≤ {t_all} (seeds {', '.join(map(str, ends['seed']))})",
                     "paper": f"{PAPER_A[name]['backpropagation'][1]:.3f} (backpropagation)",
                     "ours": listed(ends["test_mse"]),
                     "peer": (f"PyTorch L-BFGS, same starts: {listed(torch['test_mse'])} "
                              f"(ours / PyTorch: " + ", ".join(
                                  f"{a / b:.2f}" for a, b in zip(ends["test_mse"],
                                                                 torch["test_mse"])) + ")")
                     if len(torch) == len(ends) else "–",
                     "status": f"{_ok(n_all == len(ends))} ({n_all} of {len(ends)} starts)"})
        rows.append({"what": f"CSTR {depth} layers: a sensitivity-driven BCD, test MSE ≤ "
                             f"{t_bcd}",
                     "paper": f"{min(v[1] for k, v in PAPER_A[name].items() if k != 'backpropagation'):.3f} (bisection)",  # noqa: E501
                     "ours": f"{best['test_mse']:.4f} ({best['method']}, seed 0); first order "
                             f"from each start: {listed(bis['test_mse'])}", "peer": "–",
                     "status": f"{_ok(best['test_mse'] <= t_bcd)} ({n_bis} of {len(bis)} "
                               "starts, first order)"})
    rows.append({"what": "Tables 2 + 3: our runs' CPU ≤ 1/20 of the paper's "
                         f"({sum(PAPER_A_CPU.values()):,.1f} s / 20 = {LIMIT_A:.1f} s)",
                 "paper": f"{sum(PAPER_A_CPU.values()):,.1f} s", "ours": f"{cpu_a:.1f} s",
                 "peer": "–", "status": _ok(0 < cpu_a <= LIMIT_A)})
    f = _read(folder, "bcd-icrs")
    if f is not None:
        c = f[(f["dataset"] == "ccpp") & (f["method"] == "BCD-ICRS")]
        reach = c["cpu_to_0.931"]
        rows.append({"what": "CCPP: BCD-ICRS test R² ≥ 0.931 within 7 min / 50 = 8.4 s",
                     "paper": "R² 0.931 in 7 min",
                     "ours": f"R² {c['test_r2'].min():.4f}–{c['test_r2'].max():.4f} over "
                             f"{len(c)} splits; ≥ 0.931 after ≤ {reach.max():.2f} s "
                             f"(whole run ≤ {c['cpu_s'].max():.2f} s)",
                     "peer": "–",
                     "status": _ok(reach.notna().all() and reach.max() <= LIMIT_ICRS
                                   and (c["test_r2"] >= 0.931).all())})
    f = _read(folder, "ccpp-strategies")
    if f is not None:
        n = f.groupby("method").size().min()
        rows.append({"what": "CCPP strategies: mean ± std over ≥ 5 splits",
                     "paper": "no numbers", "ours": f"{n} splits per strategy", "peer": "–",
                     "status": _ok(n >= 5)})
    return C.md_table(rows, {"what": "acceptance point", "paper": "paper", "ours": "bcdnet",
                             "peer": "peer", "status": "status"})


def _paper_b_tables(folder, img):
    lines = []
    specs = [("ccpp-activations", "activation", "Fig. 2: activations (BCD, most sensitive, "
              "L-BFGS)", "ccpp-activations_box.png"),
             ("ccpp-strategies", "method", "Fig. 3: selection strategies",
              "ccpp-strategies_selection.png"),
             ("ccpp-optimizers", "method", "Fig. 4: optimizers (BCD with batch shells) and "
              "peers", "ccpp-optimizers_box.png")]
    for name, by, title, png in specs:
        f = _read(folder, name)
        if f is None:
            lines += [f"### {title}", "", "Not run.", ""]
            continue
        if name == "ccpp-activations":
            f = f.assign(activation=f["method"] + ", " + f["activation"])
        summ = C.mean_std(f, by, ["test_r2", "test_mse", "cpu_s"])
        rows = [{by: r[by], "r2": C.pm(r, "test_r2"), "mse": C.pm(r, "test_mse", ".2f"),
                 "cpu": C.pm(r, "cpu_s", ".2f")} for _, r in summ.iterrows()]
        lines += [f"### {title} ([report]({img}{name}.md))", "",
                  C.md_table(rows, {by: by, "r2": "test R²", "mse": "test MSE [MW²]",
                                    "cpu": "CPU [s]"}), "", f"![{name}]({img}{png})", ""]
    return lines


def _timings(folder, img):
    f = _read(folder, "timings")
    if f is None:
        return ["### Timings", "", "Not run.", ""]
    lines = ["### Timings: time to a given test R² ([report]({0}timings.md))".format(img), ""]
    for name, paper in (("ccpp", "L-BFGS ~35 min, BCD-ICRS 7 min (5×)"),
                        ("steel", "L-BFGS ~220 min, BCD-ICRS 35 min (6×)")):
        sub = f[f["dataset"] == name].dropna(axis=1, how="all")
        targets = [c for c in sub.columns if c.startswith("to_")]
        cols = {"method": "method", "final_test_r2": "final test R²", "cpu_s": "CPU [s]"}
        cols.update({t: f"CPU to R² ≥ {t[3:]} [s]" for t in targets})
        lines += [f"{'CCPP' if name == 'ccpp' else 'Steel'} (paper: {paper}):", "",
                  C.md_table(sub, cols, {"cpu_s": ".2f", **{t: ".2f" for t in targets}}), "",
                  f"![timings {name}]({img}timings_{name}.png)", ""]
    return lines


def _paper_b_grid(folder, img):
    """Paper B's whole grid: mean test R² per strategy and dataset, over every activation,
    size and split (the report has the tables per factor and per cell)."""
    f = _read(folder, "paper-b-grid")
    title = f"### Paper B's grid: strategies × activations × sizes × datasets ([report]({img}paper-b-grid.md))"  # noqa: E501
    if f is None:
        return [title, "", "Not run.", ""]
    pivot = f.pivot_table(index="strategy", columns="dataset", values="test_r2",
                          aggfunc="mean", sort=False).reset_index()
    cols = {"strategy": "strategy", **{d: f"{d}: mean test R²" for d in pivot.columns[1:]}}
    return [title, "", f"{len(f)} runs; means over activations, sizes and splits.", "",
            C.md_table(pivot, cols, {d: ".4f" for d in pivot.columns[1:]}), "",
            f"![strategies]({img}paper-b-grid_strategies.png)", "",
            *_speedup_lines(folder, img)]


def _speedup_lines(folder, img) -> list[str]:
    """The serial / parallel ratio of ``sweep-speedup.md``, as that report words it."""
    path = Path(folder) / "sweep-speedup.md"
    if not path.exists():
        return []
    said = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("- Ratio parallel / serial") or "**estimate**" in line]
    return [f"Sweep speed-up ([report]({img}sweep-speedup.md)):", "", *said, ""]


def run(quick: bool = False, out_dir=C.RESULTS) -> dict:
    """Write BENCHMARKS.md: at the repository root for the default folder, else into it."""
    folder = C.report_dir(out_dir, quick)
    default = folder.resolve() == C.RESULTS.resolve()
    target = C.ROOT / "BENCHMARKS.md" if default else folder / "BENCHMARKS.md"
    img = "benchmarks/results/" if default else ""
    lines = ["# Benchmarks: the papers' claims, bcdnet and its peers", "",
             "Generated by `python -m benchmarks summary` from the CSV files in "
             "`benchmarks/results/`; each section links to its full report (settings, all "
             "columns, the machine and its load during the run). Regenerate everything with "
             "`python -m benchmarks all` (hours on 2 cores: the Paper B grid alone about 90 min "
             "with `--n-jobs 2`, the hybrid benchmark about 100 CPU minutes; each report gives "
             "its own wall time). Paper A: Zhang et al., "
             "hierarchical multiscale training (CSTR, Tables 1–3). Paper B: Dorneanu, Mappas, "
             "Arellano-Garcia, hybrid BCD with ICRS (CCPP and steel, Figs. 2–6).", "",
             "## Acceptance at a glance", "", _acceptance(folder), ""]
    lines += ["## Paper A: deep narrow networks on the CSTR", ""]
    for name in ("table2", "table3"):
        f = _read(folder, name)
        lines += (_paper_a(folder, img, name, f) if f is not None
                  else [f"### {name}", "", "Not run.", ""])
    lines += ["## Paper B: CCPP and the steel plant", ""]
    lines += _paper_b_tables(folder, img)
    f = _read(folder, "bcd-icrs")
    if f is not None:
        summ = C.mean_std(f.assign(key=f["dataset"] + ": " + f["method"]), "key",
                          ["test_r2", "cpu_s", "cpu_to_0.931"])
        rows = [{"key": r["key"], "r2": C.pm(r, "test_r2"), "cpu": C.pm(r, "cpu_s", ".2f"),
                 "reach": C.pm(r, "cpu_to_0.931", ".2f")} for _, r in summ.iterrows()]
        lines += ["### Figs. 5–6: with and without BCD-ICRS ([report]({0}bcd-icrs.md))".format(
            img), "", "Paper B, CCPP: R² 0.876 / 0.872 (train / test) without, 0.931 / 0.931 "
            "with.", "", C.md_table(rows, {"key": "dataset: method", "r2": "test R²",
                                            "cpu": "CPU [s]", "reach": "CPU to R² 0.931 [s]"}),
            "", f"![bcd-icrs ccpp]({img}bcd-icrs_ccpp_parity.png)", ""]
    lines += _timings(folder, img)
    lines += _paper_b_grid(folder, img)
    notes = folder / "FINDINGS.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8").strip(), ""]
    from benchmarks._machine import machine_description

    lines += ["## Machine", "", machine_description(), f"- During the runs: "
              f"{C.threads_note()}; each report gives the load average before and after "
              "its run", ""]
    path = C.write_text(target, "\n".join(lines))
    return {"name": "summary", "quick": quick, "path": path, "seconds": 0.0}
