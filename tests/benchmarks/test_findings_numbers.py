"""The hand-written findings quote only numbers that their files give.

``benchmarks/results/FINDINGS.md`` is written by hand; ``benchmarks/summary.py`` copies it into
``BENCHMARKS.md``, whose other parts it computes from the CSV files. Every number of ours in the
findings is in :data:`QUOTES`: the words that hold it, the files it comes from (named in the
same paragraph) and the computation that gives those words from the files. Any other number
with a decimal point, an exponent, × or % must be on :data:`NOT_OURS`, with the reason.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Callable, NamedTuple

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_paper_a import TARGETS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
FINDINGS = RESULTS / "FINDINGS.md"
# A number worth a source: a decimal point, an exponent, or × / % after it.
NUMBER = re.compile(r"\d[\d,]*\.\d+|\d+(?:\.\d+)?e-?\d+|\d+\s*[×%]")


def csv(name: str, **where) -> pd.DataFrame:
    """Rows of ``benchmarks/results/<name>`` whose columns equal ``where``."""
    frame = pd.read_csv(RESULTS / name)
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return frame


def starts(name: str, method: str, column: str = "test_mse") -> pd.Series:
    """``column`` of a Paper A method from each orthogonal start, by seed."""
    frame = csv(name, method=method)
    frame = frame[frame["setting"].isin(["recommended", "other start"])]
    return frame.sort_values("seed")[column].reset_index(drop=True)


def peer(name: str, method: str) -> pd.Series:
    """Test MSE of a Paper A peer from each start, by seed."""
    return csv(name, method=method).sort_values("seed")["test_mse"].reset_index(drop=True)


def ccpp_r2(method: str) -> float:
    """Mean test R² of ``method`` on CCPP over the splits of ``bcd-icrs.csv``."""
    return csv("bcd-icrs.csv", dataset="ccpp", method=method)["test_r2"].mean()


def cell(report: str, row: str, column: int) -> float:
    """The number in ``column`` of the markdown table row that starts with ``row``."""
    for line in (RESULTS / report).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == row:
            return float(cells[column])
    raise LookupError(f"no row {row!r} in {report}")


def span(values, spec: str) -> str:
    """``lo–hi`` as the text writes a range; one value when both ends round alike."""
    lo, hi = format(min(values), spec), format(max(values), spec)
    return lo if lo == hi else f"{lo}–{hi}"


def listed(values, spec: str = ".4f", sep: str = ", ") -> str:
    return sep.join(format(v, spec) for v in values)


def sci(x: float, digits: int = 0) -> str:
    """``4e-7`` rather than Python's ``4e-07``."""
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def up(x: float, step: float) -> float:
    """``x`` rounded up to a multiple of ``step`` (for 'within ...' bounds)."""
    return math.ceil(round(x / step, 9)) * step


WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


class Quote(NamedTuple):
    text: str                      # the words of FINDINGS.md that hold the number(s)
    sources: tuple[str, ...]       # files in benchmarks/results/, named in the same paragraph
    value: Callable[[], str]       # the same words, computed from the sources


def _table1() -> str:
    frame = pd.concat([csv(n, setting="Table 1 (paper)") for n in ("table2.csv", "table3.csv")])
    return (f"test MSE {span(frame['test_mse'], '.2f')} after {frame['iterations'].max()} × "
            f"{frame['avg_epochs'].max():,.0f} epochs")


def _pytorch_default() -> str:
    a, b = (csv(n, method="PyTorch L-BFGS, PyTorch default init") for n in ("table2.csv",
                                                                           "table3.csv"))
    return (f"stops at test MSE {a['test_mse'].iloc[0]:.2f} and {b['test_mse'].iloc[0]:.2f} "
            f"(on 50 layers after {b['iterations'].iloc[0]} iterations")


def _ends_20() -> str:
    ends = starts("table2.csv", "backpropagation")
    return (f"test MSE {sci(ends.min())} to {sci(ends.max(), 1)} end to end from "
            f"{WORDS[len(ends)]} starts")


def _torch_20() -> str:
    ratio = starts("table2.csv", "backpropagation") / peer("table2.csv",
                                                           "PyTorch L-BFGS, same start")
    return f"bcdnet and PyTorch within {up((ratio - 1).abs().max(), 0.1) * 100:.0f} %"


def _bisection_50() -> str:
    ends, bis = (starts("table3.csv", m) for m in ("backpropagation", "bisection, first order"))
    cpu = (starts("table3.csv", "bisection, first order", "total_cpu_s")
           / starts("table3.csv", "backpropagation", "total_cpu_s"))
    return (f"reaches {span(bis, '.4f')} on 50 layers from all {WORDS[len(bis)]} starts in "
            f"{span(cpu, '.1f')}× the CPU time of end-to-end L-BFGS, which it beats by "
            f"{span(ends / bis, '.1f')}×")


def _bisection_20() -> str:
    ends, bis = (starts("table2.csv", m) for m in ("backpropagation", "bisection, first order"))
    cpu = (starts("table2.csv", "bisection, first order", "total_cpu_s")
           / starts("table2.csv", "backpropagation", "total_cpu_s"))
    return (f"end-to-end L-BFGS is {span(bis / ends, '.0f')}× better, with BCD given "
            f"{span(cpu, '.1f')}× its CPU")


def _second_order_cost() -> str:
    ratios = [csv(n, setting="recommended", method="bisection, second order")["avg_cpu_s"].iloc[0]
              / csv(n, setting="recommended", method="bisection, first order")["avg_cpu_s"].iloc[0]
              for n in ("table2.csv", "table3.csv")]
    return f"{span(ratios, '.0f')}× the CPU per iteration of first order"


def _second_order_gain() -> str:
    first, second = (csv("table2.csv", setting="recommended", method=m).iloc[0]
                     for m in ("bisection, first order", "bisection, second order"))
    assert first["iterations"] == second["iterations"]
    return (f"(20 layers: {sci(second['test_mse'], 1)} against {sci(first['test_mse'], 1)} "
            f"after {first['iterations']} iterations)")


def _tables_cpu() -> str:
    frames = [csv(n) for n in ("table2.csv", "table3.csv")]
    ours = pd.concat([f[f["setting"] != "peer"] for f in frames])
    paper = sum(f.groupby("method")["paper_total_cpu_s"].first().sum() for f in frames)
    return (f"({len(ours)} runs: both settings, the Glorot ablation, three starts) takes about "
            f"{round(ours['total_cpu_s'].sum(), -1):,.0f} s CPU, two at a time on 2 cores, "
            f"against the paper's {paper:,.1f} s")


def _full_visits() -> str:
    steps = (starts("table3.csv", "backpropagation", "iterations")
             * starts("table3.csv", "backpropagation", "avg_epochs"))
    if steps.nunique() == 1:
        return f"no visit stopped early in {steps.iloc[0]:,.0f} iterations"
    short = int((steps < steps.max()).sum())
    return (f"visits stopped early from {WORDS[short]} of the {WORDS[len(steps)]} starts "
            f"({steps.min():,.0f} of {steps.max():,.0f} iterations)")


def _target_50() -> str:
    ends, target = starts("table3.csv", E2E), TARGETS["table3"][0]
    return (f"meets the issue's ≤ {target} from {WORDS[int((ends <= target).sum())]} of the "
            f"{WORDS[len(ends)]} starts")


def _table2_target() -> str:
    ends, target = starts("table2.csv", "backpropagation"), TARGETS["table2"][0]
    met = "all starts" if (ends <= target).all() else f"{(ends <= target).sum()} starts"
    return f"it meets ≤ {target} from {met}"


def _icrs_reach() -> str:
    reach = csv("bcd-icrs.csv", dataset="ccpp", method="BCD-ICRS")["cpu_to_0.931"]
    where = "every split" if reach.notna().all() else f"{reach.notna().sum()} splits"
    return (f"on {where} within {up(reach.max(), 0.1):.1f} s of CPU (limit 8.4 s) and ends at "
            f"{ccpp_r2('BCD-ICRS'):.3f}")


def _least_squares() -> str:
    r2 = csv("bcd-icrs.csv", dataset="ccpp", method="linear least squares (reference)")["test_r2"]
    return f"test R² {r2.mean():.3f} ± {r2.std():.3f}"


def _activations() -> str:
    bcd = csv("ccpp-activations.csv", method="bcdnet BCD").groupby("activation")["test_r2"].mean()
    return (f"{bcd.idxmax()} best and {bcd.idxmin()} worst under BCD, as the paper says "
            f"({bcd.max():.3f} against {bcd.min():.3f})")


def _strategies() -> str:
    by = csv("ccpp-strategies.csv").groupby("method")["test_r2"]
    r2 = by.mean().drop("all layers (end to end)")
    higher = [r2[m] - r2["most sensitive"] for m in ("forward sequential", "ping-pong")]
    return (f"all {WORDS[len(r2)]} within {up(r2.max() - r2.min(), 0.001):.3f} of each other "
            f"(one standard deviation). {by.std().idxmin().capitalize()} has the smallest spread "
            f"of test R², as the paper says, but not the highest mean (forward sequential and "
            f"ping-pong are {span(higher, '.3f')} higher")


def _optimizers() -> str:
    by = csv("ccpp-optimizers.csv").groupby("method")
    r2, cpu = by["test_r2"].mean(), by["cpu_s"].mean()
    tie = [r2[f"BCD + shells, {m}"] for m in ("ICRS", "L-BFGS", "Barzilai–Borwein")]
    slower = [cpu["BCD + shells, ICRS"] / cpu[f"BCD + shells, {m}"]
              for m in ("L-BFGS", "Barzilai–Borwein")]
    peers = {m: span([r2[f"PyTorch {m}"], r2[f"scikit-learn {m}"]], ".3f")
             for m in ("Adam", "L-BFGS")}
    return (f"tie at {span(tie, '.3f')} (ICRS at {span(slower, '.0f')}× the CPU), Adam trails "
            f"at {r2['BCD + shells, Adam']:.3f}. The shells (310 rows per visit) cap the "
            f"accuracy: the peers on all rows reach {peers['Adam']} (Adam) and "
            f"{peers['L-BFGS']} (L-BFGS)")


def _timings() -> str:
    t = csv("timings.csv").set_index(["dataset", "method"])
    lbfgs, icrs = "bcdnet L-BFGS, whole network", "bcdnet BCD-ICRS"
    ratio = [t.loc[("steel", icrs), c] / t.loc[("steel", lbfgs), c]
             for c in ("to_0.98", "to_0.99")]
    return (f"reaches the paper's R² 0.931 on CCPP in {t.loc[('ccpp', lbfgs), 'to_0.931']:.2f} s, "
            f"BCD-ICRS in {t.loc[('ccpp', icrs), 'to_0.931']:.2f} s; on steel BCD-ICRS takes "
            f"{span(ratio, '.1f')}× L-BFGS's CPU to reach R² 0.98 and 0.99 and stops near "
            f"{t.loc[('steel', icrs), 'final_test_r2']:.3f} while L-BFGS goes on to "
            f"{t.loc[('steel', lbfgs), 'final_test_r2']:.4f}")


def _peer_lbfgs() -> str:
    r2 = csv("ccpp-optimizers.csv").groupby("method")["test_r2"].mean()
    return (f"PyTorch's and scikit-learn's L-BFGS "
            f"{span([r2['PyTorch L-BFGS'], r2['scikit-learn L-BFGS']], '.3f')}")


def _hybrid_median(problem: str, target: str = "1", method: str = "adaptive hybrid (ours)",
                   column: str = "ratio", file: str = "hybrid.csv") -> float:
    """Median over starts of a method's time (``column="work_ratio"``: counted-work) ratio
    to ``target`` × end-to-end's final metric, a start that missed counting as slower than
    all (as ``hybrid.md``)."""
    ratios = csv(file, problem=problem, method=method)
    return float(ratios[f"{column}_{target}x"].fillna(math.inf).median())


def _hybrid_reached(problem: str, method: str) -> str:
    ratios = csv("hybrid.csv", problem=problem, method=method)["ratio_1x"]
    return f"{ratios.notna().sum()} of {len(ratios)}"


def _hybrid_noise(problem: str) -> str:
    noise = csv("hybrid.csv", problem=problem, method="end-to-end, perturbed")["ratio_1x"]
    return (f"(the perturbed end-to-end run: "
            f"{_hybrid_median(problem, method='end-to-end, perturbed'):.2f}×, spread "
            f"{noise.min():.2f}–{noise.max():.2f})")


def _hybrid_steel() -> str:
    return f"in {_hybrid_median('steel'):.2f}× {_hybrid_noise('steel')}"


def _hybrid_kept_trials() -> str:
    no_undo = "adaptive hybrid, no undo"
    pairs = [f"{_hybrid_median(p, method=no_undo):.2f}× {where} against "
             f"{_hybrid_median(p):.2f}×"
             for p, where in (("CCPP", "on CCPP"), ("steel", "on steel"),
                              ("CSTR 20 layers", "on the 20-layer CSTR"),
                              ("CSTR 50 layers", "on the 50-layer one"))]
    return f"{pairs[0]}, {pairs[1]}, {pairs[2]} and {pairs[3]}"


def _hybrid_kept_draws() -> str:
    runs = [csv(f, problem="CCPP", method="adaptive hybrid (ours)")["ratio_1x"]
            for f in ("hybrid-first-trial.csv", "hybrid-undo.csv")]
    counts = {(int(r.isna().sum()), len(r)) for r in runs}
    assert len(counts) == 1, "the sentence says one count for both runs"
    missed, starts = counts.pop()
    return f"from {missed} of {starts} starts in each of two earlier runs"


def _hybrid_ccpp() -> str:
    work = [_hybrid_median("CCPP", t, column="work_ratio") for t in ("2", "1.25")]
    assert work[0] == work[1], "the sentence says one number for both targets"
    return (f"{work[0]:.2f}× end-to-end's counted work to 2× and to 1.25× its final metric); "
            "end-to-end's last value there is a draw among the minima a run settles in, "
            f"which the perturbed end-to-end run reached from "
            f"{_hybrid_reached('CCPP', 'end-to-end, perturbed')} starts and ours from "
            f"{_hybrid_reached('CCPP', 'adaptive hybrid (ours)')}")


def _hybrid_first_trial() -> str:
    at_once, file = "adaptive hybrid, first trial at once", "hybrid-first-trial.csv"
    pairs = [f"{_hybrid_median(p, file=file):.2f}× {where} against "
             f"{_hybrid_median(p, method=at_once, file=file):.2f}×"
             for p, where in (("steel", "on steel"), ("CSTR 20 layers", "on the 20-layer CSTR"),
                              ("CSTR 50 layers", "on the 50-layer one"), ("CCPP", "on CCPP"))]
    pairs[0] += " with the trial at once"
    work = [_hybrid_median("CCPP", "1.25", m, "work_ratio", file)
            for m in ("adaptive hybrid (ours)", at_once)]
    return (f"{pairs[0]}, {pairs[1]}, {pairs[2]} and {pairs[3]}, and it kept CCPP's early "
            f"targets on end-to-end's path (counted work to 1.25× the final metric "
            f"{work[0]:.2f}× against {work[1]:.2f}×)")


def _hybrid_undo() -> str:
    def ratios(problem, method):
        return csv("hybrid-undo.csv", problem=problem, method=method)["ratio_1x"]

    def median(problem, method):
        return float(ratios(problem, method).fillna(math.inf).median())

    undo, ours = "adaptive hybrid, undo", "adaptive hybrid (ours)"
    pairs = [f"{median(p, undo):.2f}× {where} against {median(p, ours):.2f}×"
             for p, where in (("steel", "end-to-end's CPU on steel"),
                              ("CSTR 20 layers", "on the 20-layer CSTR"),
                              ("CSTR 50 layers", "on the 50-layer one"))]
    return (f"CCPP's end-to-end final value from {ratios('CCPP', undo).notna().sum()} of "
            f"{len(ratios('CCPP', undo))} starts against {ratios('CCPP', ours).notna().sum()} of "
            f"{len(ratios('CCPP', ours))}, but to that value it took {pairs[0]}, {pairs[1]} "
            f"and {pairs[2]}")


def _hybrid() -> str:
    return (f"in {_hybrid_median('CSTR 50 layers'):.2f}× its CPU on the 50-layer CSTR and "
            f"{_hybrid_median('CSTR 20 layers'):.2f}× on the 20-layer one")


def _grid_wins() -> str:
    frame = csv("paper-b-grid.csv")
    wins = {}
    for name in ("ccpp", "steel"):
        pivot = frame[frame["dataset"] == name].pivot_table(
            index=["size", "activation"], columns="strategy", values="test_r2", aggfunc="mean")
        wins[name] = (int((pivot.idxmax(axis=1) == "most sensitive").sum()), len(pivot))
    return (f"most sensitive has the highest mean test R² in {wins['ccpp'][0]} of "
            f"{wins['ccpp'][1]} (size, activation) cells on CCPP and {wins['steel'][0]} of "
            f"{wins['steel'][1]} on steel")


def _grid_reference() -> str:
    frame = csv("paper-b-grid.csv", activation="tanh", size="10-10-10")
    words = []
    for name in ("ccpp", "steel"):
        by = frame[frame["dataset"] == name].groupby("strategy")["test_r2"].agg(["mean", "std"])
        words.append((by["mean"].idxmin(), by["std"].idxmin()))
    assert all(w == ("most sensitive", "most sensitive") for w in words), words
    return "it has the lowest mean of the four on both datasets but the smallest spread"


def _grid_sigmoid() -> str:
    frame = csv("paper-b-grid.csv", dataset="steel", activation="sigmoid")
    frame = frame[frame["size"].isin(["5-5-5", "deeper 6×10"])]
    means = frame.groupby(["size", "strategy"])["test_r2"].mean()
    ms = means.xs("most sensitive", level="strategy")
    others = means.drop("most sensitive", level="strategy")
    return (f"the other three strategies end at mean test R² {span(others, '.2f')} on the 5-5-5 "
            f"and the deeper six-layer network, while most sensitive keeps {span(ms, '.2f')}")


def _grid_wall() -> str:
    text = (RESULTS / "paper-b-grid.md").read_text(encoding="utf-8")
    wall = float(re.search(r"Whole benchmark: ([\d.]+) s wall", text).group(1))
    return f"The grid took {wall / 60:.0f} min wall on two local workers"


T23 = ("table2.csv", "table3.csv")
E2E, TORCH = "backpropagation", "PyTorch L-BFGS, same start"
QUOTES = [
    Quote("The paper's 0.87–1.04", T23,  # the paper's, as the CSVs copy them
          lambda: "The paper's " + span(pd.concat([csv(n) for n in T23])["paper_test_mse"]
                                        .dropna(), ".2f")),
    Quote("test MSE 0.88–1.03 after 3 × 1,000 epochs", T23, _table1),
    Quote("(spread 0.03 and 0.009", ("table2.md", "table3.md"),
          lambda: f"(spread {cell('table2.md', 'glorot', 2):.1g} and "
                  f"{cell('table3.md', 'glorot', 2):.1g}"),
    Quote("gradient is 4e-7 (20 layers) and 6e-18 (50 layers)", ("table2.md", "table3.md"),
          lambda: f"gradient is {sci(cell('table2.md', 'PyTorch default', 3))} (20 layers) and "
                  f"{sci(cell('table3.md', 'PyTorch default', 3))} (50 layers)"),
    Quote("stops at test MSE 0.12 and 1.02 (on 50 layers after 25 iterations", T23,
          _pytorch_default),
    Quote("test MSE 7e-4 to 1.5e-3 end to end from three starts", ("table2.csv",), _ends_20),
    Quote("bcdnet and PyTorch within 10 %", ("table2.csv",), _torch_20),
    Quote("meets the issue's ≤ 0.005 from one of the three starts", ("table3.csv",), _target_50),
    Quote("0.0582, 0.0026, 0.0057 against PyTorch's 0.0567, 0.0055, 0.0031", ("table3.csv",),
          lambda: f"{listed(starts('table3.csv', E2E))} against PyTorch's "
                  f"{listed(peer('table3.csv', TORCH))}"),
    Quote("reaches 0.0018–0.0021 on 50 layers from all three starts in 0.9–1.2× the CPU time of "
          "end-to-end L-BFGS, which it beats by 1.5–33.2×", ("table3.csv",), _bisection_50),
    Quote("end-to-end L-BFGS is 1–5× better, with BCD given 0.8–1.0× its CPU", ("table2.csv",),
          _bisection_20),
    Quote("4–5× the CPU per iteration of first order", T23, _second_order_cost),
    Quote("(20 layers: 2.2e-3 against 2.1e-3 after 200 iterations)", T23, _second_order_gain),
    Quote("(22 runs: both settings, the Glorot ablation, three starts) takes about 1,330 s CPU, "
          "two at a time on 2 cores, against the paper's 12,636.5 s", T23, _tables_cpu),
    Quote("(0.0031–0.0567 from our three starts)", ("table3.csv",),
          lambda: f"({span(peer('table3.csv', TORCH), '.4f')} from our three starts)"),
    Quote("Ours / PyTorch at memory 100: 1.03, 0.47, 1.84", ("table3.csv",),
          lambda: "Ours / PyTorch at memory 100: "
                  + listed(starts("table3.csv", E2E) / peer("table3.csv", TORCH), ".2f")),
    Quote("visits stopped early from one of the three starts (1,975 of 2,000 iterations)",
          ("table3.csv",), _full_visits),
    Quote("it meets ≤ 0.002 from all starts", ("table2.csv",), _table2_target),
    Quote("test R² 0.930 ± 0.003", ("bcd-icrs.csv",), _least_squares),
    Quote("end-to-end L-BFGS reaches 0.951", ("bcd-icrs.csv",),
          lambda: f"end-to-end L-BFGS reaches {ccpp_r2('L-BFGS, whole network'):.3f}"),
    Quote("PyTorch's and scikit-learn's L-BFGS 0.950–0.951", ("ccpp-optimizers.csv",),
          _peer_lbfgs),
    Quote("on every split within 0.3 s of CPU (limit 8.4 s) and ends at 0.938", ("bcd-icrs.csv",),
          _icrs_reach),
    Quote("from the same start ends at 0.951", ("bcd-icrs.csv",),
          lambda: f"from the same start ends at {ccpp_r2('L-BFGS, whole network'):.3f}"),
    Quote("tanh best and sigmoid worst under BCD, as the paper says (0.946 against 0.941)",
          ("ccpp-activations.csv",), _activations),
    Quote("all four within 0.004 of each other (one standard deviation). Most sensitive has the "
          "smallest spread of test R², as the paper says, but not the highest mean (forward "
          "sequential and ping-pong are 0.003 higher", ("ccpp-strategies.csv",), _strategies),
    Quote("tie at 0.938–0.939 (ICRS at 5–6× the CPU), Adam trails at 0.934. The shells (310 rows "
          "per visit) cap the accuracy: the peers on all rows reach 0.943–0.944 (Adam) and "
          "0.950–0.951 (L-BFGS)",
          ("ccpp-optimizers.csv",), _optimizers),
    Quote("reaches the paper's R² 0.931 on CCPP in 0.05 s, BCD-ICRS in 0.22 s; on steel BCD-ICRS "
          "takes 1.5–1.8× L-BFGS's CPU to reach R² 0.98 and 0.99 and stops near 0.991 while "
          "L-BFGS goes on to 0.9999", ("timings.csv",), _timings),
    Quote("most sensitive has the highest mean test R² in 3 of 16 (size, activation) cells on "
          "CCPP and 4 of 16 on steel", ("paper-b-grid.csv",), _grid_wins),
    Quote("it has the lowest mean of the four on both datasets but the smallest spread",
          ("paper-b-grid.csv",), _grid_reference),
    Quote("the other three strategies end at mean test R² 0.57–0.80 on the 5-5-5 and the deeper "
          "six-layer network, while most sensitive keeps 0.96–0.99", ("paper-b-grid.csv",),
          _grid_sigmoid),
    Quote("The grid took 90 min wall on two local workers", ("paper-b-grid.md",), _grid_wall),
    Quote("in 0.13× its CPU on the 50-layer CSTR and 0.88× on the 20-layer one", ("hybrid.csv",),
          _hybrid),
    Quote("(the perturbed end-to-end run: 0.90×, spread 0.85–1.04)", ("hybrid.csv",),
          lambda: _hybrid_noise("CSTR 20 layers")),
    Quote("in 0.96× (the perturbed end-to-end run: 0.90×, spread 0.86–1.34)", ("hybrid.csv",),
          _hybrid_steel),
    Quote("0.64× on CCPP against 0.95×, 0.89× on steel against 0.96×, 0.62× on the 20-layer "
          "CSTR against 0.88× and 0.13× on the 50-layer one against 0.13×", ("hybrid.csv",),
          _hybrid_kept_trials),
    Quote("from 2 of 5 starts in each of two earlier runs",
          ("hybrid-first-trial.csv", "hybrid-undo.csv"), _hybrid_kept_draws),
    Quote("1.00× end-to-end's counted work to 2× and to 1.25× its final metric); end-to-end's "
          "last value there is a draw among the minima a run settles in, which the perturbed "
          "end-to-end run reached from 4 of 5 starts and ours from 5 of 5", ("hybrid.csv",),
          _hybrid_ccpp),
    Quote("0.60× on steel against 0.69× with the trial at once, 0.75× on the 20-layer CSTR "
          "against 0.67×, 0.12× on the 50-layer one against 0.10× and 1.86× on CCPP against "
          "1.17×, and it kept CCPP's early targets on end-to-end's path (counted work to 1.25× "
          "the final metric 1.00× against 1.11×)", ("hybrid-first-trial.csv",),
          _hybrid_first_trial),
    Quote("CCPP's end-to-end final value from 5 of 5 starts against 3 of 5, but to that value "
          "it took 1.00× end-to-end's CPU on steel against 0.92×, 0.66× on the 20-layer CSTR "
          "against 0.55× and 0.26× on the 50-layer one against 0.19×", ("hybrid-undo.csv",),
          _hybrid_undo),
]

# Numbers in the findings that are not measurements of ours.
NOT_OURS = {
    "`first_trial=0.1`": "AdaptiveHybrid's default, a setting",
    "lr 1e-4": "Paper A's Table 1 learning rate",
    "at most 1e-3": "Paper A's Table 1 step limit (trust radius)",
    "200 × 1,000 epochs": "Paper A's Table 1 budget",
    "≤ 0.005": "the issue's target for 50 layers (bench_paper_a.TARGETS)",
    "(0.0036)": "the PyTorch figure the issue quoted",
    "≤ 2.2e-9": "SciPy's default ftol",
    "(0.929–0.931)": "Paper B's best figures",
    "the paper's 0.931": "Paper B's R² with BCD-ICRS",
    "0.876": "Paper B's R² without BCD-ICRS",
    "5–6× speed-ups": "Paper B's (35 / 7 and 220 / 35 min)",
}


def _text() -> str:
    return " ".join(FINDINGS.read_text(encoding="utf-8").split())


def _paragraphs() -> list[str]:
    """Paragraphs and list items, whitespace collapsed."""
    raw = re.split(r"\n\s*\n|\n(?=- )", FINDINGS.read_text(encoding="utf-8"))
    return [" ".join(p.split()) for p in raw]


def test_benchmarks_md_holds_the_findings_as_written():
    benchmarks = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    copied = FINDINGS.read_text(encoding="utf-8").strip() in benchmarks
    assert copied, "BENCHMARKS.md is stale: rerun `python -m benchmarks summary`"


@pytest.mark.parametrize("quote", QUOTES, ids=lambda q: q.text[:40])
def test_quote_names_its_source(quote):
    holding = [p for p in _paragraphs() if quote.text in p]
    assert len(holding) == 1, f"{quote.text!r} is in {len(holding)} paragraphs of FINDINGS.md"
    for source in quote.sources:
        assert (RESULTS / source).exists(), source
        assert f"`{source}`" in holding[0], f"{quote.text!r} does not name `{source}`"


@pytest.mark.parametrize("quote", QUOTES, ids=lambda q: q.text[:40])
def test_quote_matches_its_source(quote):
    assert quote.value() == quote.text


def test_every_number_is_quoted_or_not_ours():
    text = _text()
    for phrase in [q.text for q in QUOTES] + list(NOT_OURS):
        assert phrase in text, f"{phrase!r} is no longer in FINDINGS.md"
        text = text.replace(phrase, " ")
    left = NUMBER.findall(text)
    assert left == [], f"numbers with no source in FINDINGS.md: {left}"
