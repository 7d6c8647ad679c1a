"""Hybrid BCD against end-to-end L-BFGS: test metric against CPU seconds, time to targets.

Four problems: UCI CCPP and steel (``n_in``-10-10-10-1 tanh, Glorot starts, metric
1 − test R²), and Paper A's CSTR with 20 and 50 hidden layers of 5 (orthogonal starts, test
MSE on standardised targets).  One split per problem (seed 0), five starts (network seeds
0..4).  Methods, all L-BFGS:

- **end-to-end**: ``AllLayers``, one continuous L-BFGS run (memory kept), the reference;
- **end-to-end, perturbed**: the same from the start + 1e-6 N(0, 1): the *noise floor*,
  how far a run that should be identical drifts;
- **best pure BCD**: most-sensitive layer (Paper B's best, CCPP and steel) or first-order
  bisection (Paper A's, the CSTR);
- **Paper B hybrid**: :class:`bcdnet.hybrid.PaperBHybrid` (whole network, then the most
  sensitive layer, alternating);
- **adaptive hybrid (ours)**: :class:`bcdnet.hybrid.AdaptiveHybrid`;
- **adaptive hybrid, no undo** (not in a default run: ``--methods``): the same with
  ``undo=False``, a losing trial layer step kept (the default before it was measured);
- **adaptive hybrid, first trial at once** (``--methods`` too): ``first_trial=1.0``, a layer
  step right after the first whole-network step (the rule before ``first_trial``);
- **adaptive hybrid, kept memory** (``--methods`` too): the default schedule with
  ``Trainer(keep_state=True)``: every block keeps its L-BFGS memory between visits, so the
  whole-network run goes on with its memory after a layer step (as end-to-end's does).

End-to-end runs for a CPU budget; every other method for ``OVERTIME`` × that budget, so
that one slower than end-to-end still shows how much slower.  For each start the targets
are 2×, 1.25× and 1.0× end-to-end's final test metric; a method's time to a target is the
CPU at which its curve first reaches it (monitoring excluded), and its ratio is that time
over end-to-end's own time to the same target (NaN: never reached).  Medians and the
min–max spread over the five starts; ``--quick`` runs tiny budgets on small data.  Beside
the CPU ratio, the same ratio in *counted work* (layer-rows, :func:`bcdnet.hybrid.visit_cost`
summed over the visits, a sensitivity pass counted where one was computed): free of the
timer's noise, so two methods that take the same steps tie exactly.  The
sensitivity tolerance is off here (``sensitivity_tol=None``) so that every method runs its
whole CPU budget and its curve covers it.

Full run: ``python -m benchmarks hybrid`` (one process, BLAS on one thread): 5 starts ×
(1 + 4 × 1.5) end-to-end budgets per problem, 35 × (40 + 60 + 30 + 40) ≈ 6,000 CPU s, about
1 h 45 min on a quiet core (plus the test-metric monitoring, excluded from the CPU counts).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import bcdnet as bn
from bcdnet._cpu import process_time
from bcdnet.hybrid import AdaptiveHybrid, PaperBHybrid, visit_cost
from bcdnet.metrics import mean_squared_error, r2_score
from benchmarks import _common as C

NAME = "hybrid"
FACTORS = (2.0, 1.25, 1.0)
OVERTIME = 1.5
PERTURBATION = 1e-6
METHODS = ("end-to-end", "end-to-end, perturbed", "best pure BCD", "Paper B hybrid",
           "adaptive hybrid (ours)")
#: methods a run may add with ``methods=`` (``--methods``)
EXTRA_METHODS = ("adaptive hybrid, no undo", "adaptive hybrid, first trial at once",
                 "adaptive hybrid, kept memory")
#: problem -> (dataset, hidden sizes, init, metric name, end-to-end CPU budget [s],
#:             end-to-end L-BFGS memory, best pure BCD selector)
PROBLEMS = {
    "CCPP": ("ccpp", [10, 10, 10], "glorot", "1 - test R2", 40.0, 10, "most_sensitive"),
    "steel": ("steel", [10, 10, 10], "glorot", "1 - test R2", 60.0, 10, "most_sensitive"),
    "CSTR 20 layers": ("cstr", [5] * 20, "orthogonal", "test MSE", 30.0, 10, "bisection"),
    "CSTR 50 layers": ("cstr", [5] * 50, "orthogonal", "test MSE", 40.0, 100, "bisection"),
}
QUICK = {"starts": 2, "rows": 400, "budget": 0.1, "depth": {"cstr": 6}}
FULL = {"starts": 5, "rows": None, "budget": None, "depth": {}}
#: the problems of the issue's moonshot: a gain beyond the noise floor on one of them
MOONSHOT = ("CCPP", "steel", "CSTR 20 layers")
INNER = 20                      # L-BFGS iterations per visit (end-to-end: per history row)


def _trainer(method: str, memory: int, best: str) -> bn.Trainer:
    lbfgs = bn.optim.LBFGS(max_iter=INNER, history_size=memory)
    common = dict(max_iter=1_000_000, tol=0.0, sensitivity_tol=None, seed=0)
    if method.startswith("end-to-end"):
        return bn.Trainer(lbfgs, "all", keep_state=True, **common)
    selector = {"best pure BCD": (bn.selection.Bisection(order=1, explore=0.1)
                                  if best == "bisection" else bn.selection.MostSensitive()),
                "Paper B hybrid": PaperBHybrid(),
                "adaptive hybrid (ours)": AdaptiveHybrid(),
                "adaptive hybrid, no undo": AdaptiveHybrid(undo=False),
                "adaptive hybrid, first trial at once": AdaptiveHybrid(first_trial=1.0),
                "adaptive hybrid, kept memory": AdaptiveHybrid()}[method]
    keep = method == "adaptive hybrid, kept memory"
    return bn.Trainer(lbfgs, selector, keep_state=keep, **common)


def _metric(kind: str, data: C.Split):
    """``metric(predict)``: lower is better (1 − R² in the target's units, or MSE)."""
    if kind == "test MSE":
        return lambda predict: mean_squared_error(data.Yt, predict(data.Xt))
    return lambda predict: 1.0 - r2_score(data.Yt_raw, data.unscale(predict(data.Xt)))


def run_curve(trainer, start, data: C.Split, metric, budget: float):
    """Train a copy of ``start`` for ``budget`` CPU seconds; return ``(curve, history,
    work)`` with ``curve`` a list of ``(cpu_s, metric)`` from the start on, monitoring
    excluded, and ``work`` the counted work at each of its points (:func:`counted_work`)."""
    net = start.copy()
    spent, curve, work = [0.0], [(0.0, metric(net.predict))], [0.0]
    cpu0 = process_time()
    previous = [None]

    def watch(row):
        c0 = process_time()
        curve.append((c0 - cpu0 - spent[0], metric(net.predict)))
        work.append(work[-1] + counted_work(row, previous[0], len(net.layers)))
        previous[0] = row
        spent[0] += process_time() - c0
        return curve[-1][0] >= budget

    trainer.callbacks, trainer.progress = [watch], False
    result = trainer.fit(net, data.X, data.Y)
    return curve, result.history, work


def counted_work(row, previous, n_layers: int) -> float:
    """One visit's work in layer-rows (:func:`bcdnet.hybrid.visit_cost`), from its history
    row: it paid for a sensitivity pass when it has sensitivities that the previous visit's
    whole-network gradient did not give free (Identity 1)."""
    free = (previous is not None and previous["first"] == 0
            and previous["last"] == n_layers - 1 and bool(previous["accepted"]))
    paid = not np.isnan(row["sensitivity_inf"]) and not free
    return visit_cost(int(row["first"]), n_layers, int(row["nfev"]), int(row["n_rows"]), paid)


def first_reach(curve, target: float) -> float:
    """CPU seconds of the first point of ``curve`` with metric ≤ ``target`` (NaN: never)."""
    return next((cpu for cpu, m in curve if m <= target), float("nan"))


def _kinds(history, n_layers: int) -> str:
    """How many whole-network and layer (or part) visits a history holds."""
    rows = history[history["iteration"] > 0]
    kinds = [json.loads(s).get("kind", "whole" if f == 0 and l == n_layers - 1 else "layer")
             for s, f, l in zip(rows["selector"], rows["first"], rows["last"])]
    return f"{kinds.count('whole')} whole / {kinds.count('layer')} layer"


def _problem(label, spec, cfg, data_home):
    dataset, hidden, init, kind, budget, memory, best = spec
    data = C.split(C.load_dataset(dataset, data_home), seed=0)
    if cfg["rows"]:
        data.X, data.Y = data.X[:cfg["rows"]], data.Y[:cfg["rows"]]
    hidden = [5] * cfg["depth"][dataset] if dataset in cfg["depth"] else hidden
    budget = cfg["budget"] or budget
    metric = _metric(kind, data)
    sizes = [data.X.shape[1], *hidden, data.Y.shape[1]]
    rows, curves = [], []
    for seed in range(cfg["starts"]):
        start = bn.Network.mlp(sizes, init=init, seed=seed)
        perturbed = start.copy()
        noise = np.random.default_rng(1000 + seed).normal(size=start.n_params)
        perturbed.params = start.params + PERTURBATION * noise
        ref_curve = ref_work = None             # ref_work: (work, metric) pairs
        for method in cfg["methods"]:
            net0 = perturbed if method == "end-to-end, perturbed" else start
            limit = budget if method == "end-to-end" else OVERTIME * budget
            curve, history, work = run_curve(_trainer(method, memory, best), net0, data,
                                             metric, limit)
            work_curve = [(w, m) for w, (_, m) in zip(work, curve)]
            if method == "end-to-end":
                ref_curve, ref_work = curve, work_curve
            final_ref = ref_curve[-1][1]
            row = {"problem": label, "metric": kind, "method": method, "start": seed,
                   "final_metric": curve[-1][1], "cpu_s": curve[-1][0],
                   "visits": len(history) - 1, "steps": _kinds(history, len(sizes) - 1)}
            for f in FACTORS:
                t, t_ref = first_reach(curve, f * final_ref), first_reach(ref_curve,
                                                                          f * final_ref)
                row[f"target_{f:g}x"] = f * final_ref
                row[f"time_{f:g}x"] = t
                row[f"ratio_{f:g}x"] = _ratio(t, t_ref)
                row[f"work_ratio_{f:g}x"] = _ratio(first_reach(work_curve, f * final_ref),
                                                   first_reach(ref_work, f * final_ref))
            rows.append(row)
            curves += [{"problem": label, "method": method, "start": seed, "cpu_s": c,
                        "metric": m, "work": w} for (c, m), w in zip(curve, work)]
    return rows, curves


def thin(curve: pd.DataFrame, points: int = 300) -> pd.DataFrame:
    """The rows of one curve worth keeping: every new lowest metric (so
    :func:`first_reach` gives the same time for any target), about ``points`` evenly spaced
    others for the plot, and the last.  A run of thousands of short visits keeps its CSV
    small."""
    metric = curve["metric"].to_numpy()
    best_before = np.minimum.accumulate(np.concatenate([[np.inf], metric[:-1]]))
    keep = metric < best_before
    keep[np.linspace(0, len(metric) - 1, min(points, len(metric))).astype(int)] = True
    keep[-1] = True
    return curve[keep]


def _ratio(t: float, t_ref: float) -> float:
    """``t / t_ref``; 1 when both are 0 (the start met the target), NaN when not reached."""
    return t / t_ref if t_ref > 0 else 1.0 if t == 0 else float("nan")


def _median(r: pd.Series) -> float:
    """The median over all starts, a start that missed counting as slower than any that
    reached the target (NaN when at most half reached it)."""
    median = float(r.fillna(np.inf).median())
    return median if np.isfinite(median) else float("nan")


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Median and min–max of each method's time ratio per problem and target.

    The median runs over every start, a start that missed the target counting as slower
    than all that reached it: NaN (shown "–") when at most half of them reached it.  The
    spread is over the starts that reached it."""
    out = []
    for (problem, method), g in frame.groupby(["problem", "method"], sort=False):
        row = {"problem": problem, "method": method}
        for f in FACTORS:
            r = g[f"ratio_{f:g}x"]
            row[f"median_{f:g}x"] = _median(r)
            if f"work_ratio_{f:g}x" in g:
                row[f"work_median_{f:g}x"] = _median(g[f"work_ratio_{f:g}x"])
            row[f"spread_{f:g}x"] = (f"{r.min():.2f}–{r.max():.2f}" if r.notna().any()
                                     else "–")
            row[f"reached_{f:g}x"] = f"{int(r.notna().sum())}/{len(r)}"
            row[f"fastest_{f:g}x"] = float(r.min())
        row["median_final"] = float(g["final_metric"].median())
        out.append(row)
    return pd.DataFrame(out)


def _plot(curves: pd.DataFrame, frame: pd.DataFrame, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = list(dict.fromkeys(curves["problem"]))
    fig, axes = plt.subplots(1, len(problems), figsize=(4.2 * len(problems), 3.6),
                             squeeze=False)
    palette = ["k", "0.6", "tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown",
               "tab:pink", "tab:olive", "tab:cyan"]
    names = METHODS + EXTRA_METHODS
    colours = {m: palette[i % len(palette)] for i, m in enumerate(names)}
    for ax, problem in zip(axes[0], problems):
        sub = curves[curves["problem"] == problem]
        for (method, start), g in sub.groupby(["method", "start"], sort=False):
            ax.plot(g["cpu_s"], g["metric"], color=colours[method], lw=1.0, alpha=0.7,
                    label=method if start == 0 else None)
        ref = frame[(frame["problem"] == problem) & (frame["method"] == "end-to-end")]
        for f in FACTORS:
            ax.axhline(float(ref[f"target_{f:g}x"].median()), color="r", lw=0.5, ls=":")
        ax.set_yscale("log")
        ax.set_title(problem)
        ax.set_xlabel("CPU s (monitoring excluded)")
        ax.set_ylabel(str(ref["metric"].iloc[0]))
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)


def report(frame, summary, quick, load, clock, plot_name) -> list[str]:
    lines = C.header("Hybrid BCD: time to end-to-end's accuracy", NAME, quick, __doc__.split(
        "\n\n")[0].replace("\n", " "))
    lines += ["Targets are 2×, 1.25× and 1.0× end-to-end's final test metric from the same "
              "start; the ratio is a method's CPU to the target over end-to-end's (< 1: "
              "faster).  Median over all starts, a start that missed the target counting as "
              "slower than every one that reached it (– when most missed); min–max spread "
              "over the starts that reached it; and how many reached the target within "
              f"{OVERTIME}× end-to-end's budget.  The perturbed end-to-end row is the noise "
              "floor: a gain smaller than its spread is not a gain.", "",
              f"![test metric against CPU seconds]({plot_name})", ""]
    cols = {"problem": "problem", "method": "method"}
    for f in FACTORS:
        cols.update({f"median_{f:g}x": f"{f:g}× median", f"spread_{f:g}x": f"{f:g}× spread",
                     f"reached_{f:g}x": f"{f:g}× reached"})
    cols["median_final"] = "median final metric"
    lines += ["## Time to target, relative to end-to-end", "",
              C.md_table(summary, cols, {k: ".2f" for k in cols if k.startswith("median_")}
                         | {"median_final": ".4g"}), ""]
    work = {"problem": "problem", "method": "method"}
    work.update({f"work_median_{f:g}x": f"{f:g}× median" for f in FACTORS})
    if all(k in summary for k in work):
        lines += ["## Counted work to target, relative to end-to-end", "",
                  "The same medians in counted work (layer-rows) instead of CPU seconds: "
                  "what the timer's noise leaves out.", "",
                  C.md_table(summary, work, {k: ".2f" for k in work if k.startswith("work_")}),
                  ""]
    lines += ["## Steps taken (start 0)", "",
              C.md_table(frame[frame["start"] == 0], {"problem": "problem", "method": "method",
                                                      "visits": "visits", "steps": "steps",
                                                      "cpu_s": "CPU s"}), ""]
    lines += ["## Acceptance (issue 16)", ""] + _acceptance(summary) + [""]
    lines += [f"All numbers are in `{NAME}.csv` (one row per problem, method and start) and "
              f"the curves in `{NAME}_curves.csv` (every new lowest metric of a curve, which "
              "gives the same times to the targets, and about 300 other points each).", ""]
    return lines


def _acceptance(summary) -> list[str]:
    out = []
    ours = summary[summary["method"].isin(["adaptive hybrid (ours)", *EXTRA_METHODS])]
    noise = summary[summary["method"] == "end-to-end, perturbed"].set_index("problem")
    for _, row in ours.iterrows():
        p = row["problem"]
        safe = all((row[f"median_{f:g}x"] <= 1.1) for f in FACTORS)
        floor = noise.loc[p, "spread_1x"] if p in noise.index else "not run"
        line = (f"- {p}: {row['method'].replace(' (ours)', '')} median ratios "
                + ", ".join(f"{f:g}×: {C.fmt(row[f'median_{f:g}x'], '.2f')}" for f in FACTORS)
                + f" — safe default (≤ 1.1× at every target): {'met' if safe else 'not met'}"
                + ("" if f"work_median_{FACTORS[0]:g}x" not in row else
                   "; in counted work "
                   + ", ".join(f"{f:g}×: {C.fmt(row[f'work_median_{f:g}x'], '.2f')}"
                               for f in FACTORS))
                + f"; noise floor at 1.0×: {floor}")
        if p == "CSTR 50 layers":
            win = row["median_1x"] <= 0.5
            line += f"; ≤ 0.5× at 1.0× (depth): {'met' if win else 'not met'}"
        elif p in MOONSHOT and p in noise.index:
            beyond = row["median_1x"] < noise.loc[p, "fastest_1x"]     # NaN compares False
            line += (f"; beyond the noise floor at 1.0× (median below the perturbed run's "
                     f"fastest): {'met' if beyond else 'not met'}")
        out.append(line)
    return out


def run(quick: bool = False, out_dir=C.RESULTS, data_home=None, problems=None,
        budget=None, starts=None, methods=None) -> dict:
    """Run the benchmark: ``problems`` a subset of :data:`PROBLEMS` by label, ``budget``
    end-to-end's CPU seconds and ``starts`` the number of starts instead of the defaults
    (a reduced run; its report says so); ``methods`` those of :data:`METHODS` and
    :data:`EXTRA_METHODS` to run (end-to-end always runs first: the others' reference)."""
    cfg = dict(QUICK if quick else FULL)
    cfg["budget"] = budget or cfg["budget"]
    cfg["starts"] = starts or cfg["starts"]
    cfg["methods"] = _methods(methods)
    load, clock = C.load_average(), C.Clock()
    rows, curves = [], []
    with C.one_thread():
        for label, spec in PROBLEMS.items():
            if problems is None or label in problems:
                r, c = _problem(label, spec, cfg, data_home)
                rows += r
                curves += c
    note = (f"**Reduced run**: end-to-end budget {cfg['budget']} CPU s, {cfg['starts']} "
            "starts (not the defaults)." if budget or starts else None)
    if methods is not None:
        note = ((note + "  " if note else "")
                + f"**Methods**: {', '.join(cfg['methods'])} (`methods=`).")
    return _write(pd.DataFrame(rows), pd.DataFrame(curves), quick, load, clock, out_dir, note)


def _methods(methods) -> tuple:
    """``methods`` checked, in the order of :data:`METHODS` + :data:`EXTRA_METHODS`, with
    end-to-end first; all of :data:`METHODS` for None."""
    if methods is None:
        return METHODS
    known = METHODS + EXTRA_METHODS
    unknown = sorted(set(methods) - set(known))
    if unknown:
        raise ValueError(f"methods: unknown {unknown}; valid (names hold commas, so '; ' "
                         f"between them): {'; '.join(known)}")
    return tuple(m for m in known if m in methods or m == "end-to-end")


def _write(frame, curves, quick, load, clock, out_dir, note=None) -> dict:
    """Summarise, plot and write ``hybrid.md``, ``hybrid.csv`` and the curves."""
    summary = summarise(frame)
    out_dir = Path(out_dir)
    if quick and out_dir.resolve() == Path(C.RESULTS).resolve():   # never over the results
        out_dir = Path(tempfile.gettempdir()) / "bcdnet-benchmarks-quick"
    plot_name = f"{NAME}_curves.png"
    out_dir.mkdir(parents=True, exist_ok=True)
    _plot(curves, frame, out_dir / plot_name)
    curves = pd.concat([thin(g) for _, g in curves.groupby(["problem", "method", "start"],
                                                          sort=False)], ignore_index=True)
    C.write_csv(out_dir / f"{NAME}_curves.csv", curves)
    lines = report(frame, summary, quick, load, clock, plot_name)
    if note:
        lines.insert(4, note)
    result = C.finish_report(NAME, quick, frame, lines, load, clock, out_dir)
    result["summary"] = summary
    return result


def merge(parts, out_dir=C.RESULTS) -> dict:
    """One report from runs of disjoint ``problems`` (folders of ``hybrid.csv`` and
    ``hybrid_curves.csv``), e.g. two processes on two cores; rows in :data:`PROBLEMS` order.

    Each part ran on one thread with CPU-second budgets, so parts run side by side measure
    what one process would (their wall times are in their own reports).
    """
    load, clock = C.load_average(), C.Clock()
    frames = [pd.read_csv(Path(p) / f"{NAME}.csv") for p in parts]
    curves = [pd.read_csv(Path(p) / f"{NAME}_curves.csv") for p in parts]
    order = {label: i for i, label in enumerate(PROBLEMS)}
    frame = pd.concat(frames, ignore_index=True).sort_values(
        "problem", key=lambda c: c.map(order), kind="stable", ignore_index=True)
    curves = pd.concat(curves, ignore_index=True).sort_values(
        "problem", key=lambda c: c.map(order), kind="stable", ignore_index=True)
    if frame.duplicated(["problem", "method", "start"]).any():
        raise ValueError("parts must hold disjoint problems")
    note = (f"Merged from {len(parts)} runs of disjoint problems, side by side on one "
            "thread each (`bench_hybrid.merge`); the Machine section below describes the "
            "merge, the runs are:\n\n"
            + "\n".join(_part_line(Path(p), f) for p, f in zip(parts, frames)) + "\n")
    return _write(frame, curves, False, load, clock, out_dir, note)


def _part_line(folder: Path, frame: pd.DataFrame) -> str:
    """One run of a merge as its own report describes it: problems, commit, time, load."""
    keys = ("bcdnet commit:", "Measured", "Load average", "Whole benchmark")
    report = folder / f"{NAME}.md"
    said = ([line[2:] for line in report.read_text(encoding="utf-8").splitlines()
             if line.startswith("- ") and line[2:].startswith(keys)]
            if report.exists() else ["its report is missing"])
    return f"- {', '.join(dict.fromkeys(frame['problem']))}: {'; '.join(said)}"


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_hybrid",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default=None,
                        help=f"comma-separated subset of: {', '.join(PROBLEMS)}")
    parser.add_argument("--out-dir", default=str(C.RESULTS))
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--methods", default=None,
                        help="semicolon-separated subset of: "
                             f"{'; '.join(METHODS + EXTRA_METHODS)}")
    parser.add_argument("--merge", nargs="+", metavar="DIR",
                        help="write one report from the folders of partial runs")
    args = parser.parse_args(argv)
    if args.merge:
        print(merge(args.merge, args.out_dir)["path"])
        return
    problems = None if args.problems is None else [p.strip() for p in args.problems.split(",")]
    unknown = set(problems or []) - set(PROBLEMS)
    if unknown:
        parser.error(f"unknown problems {sorted(unknown)}; valid: {', '.join(PROBLEMS)}")
    methods = (None if args.methods is None
               else [m.strip() for m in args.methods.split(";") if m.strip()])
    try:
        _methods(methods)
    except ValueError as exc:
        parser.error(str(exc))
    print(run(out_dir=args.out_dir, data_home=args.data_home, problems=problems,
              methods=methods)["path"])


if __name__ == "__main__":
    main()
