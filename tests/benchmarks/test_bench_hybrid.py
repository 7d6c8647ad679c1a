"""``python -m benchmarks hybrid --quick``: report, CSV and curves; never over results/."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import _common as C  # noqa: E402
from benchmarks import bench_hybrid  # noqa: E402
from benchmarks.__main__ import BENCHMARKS  # noqa: E402


def test_quick_run_writes_report_csv_and_plot(tmp_path, data_dir):
    result = bench_hybrid.run(quick=True, out_dir=tmp_path, data_home=data_dir)
    assert result["path"] == tmp_path / "hybrid.md"
    text = result["path"].read_text(encoding="utf-8")
    assert "quick mode" in text and "## Acceptance (issue 16)" in text and "## Machine" in text
    assert "](hybrid_curves.png)" in text
    assert (tmp_path / "hybrid_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    frame = pd.read_csv(tmp_path / "hybrid.csv")
    assert set(frame["method"]) == set(bench_hybrid.METHODS)
    assert set(frame["problem"]) == set(bench_hybrid.PROBLEMS)
    assert frame["final_metric"].notna().all()
    curves = pd.read_csv(tmp_path / "hybrid_curves.csv")
    assert (curves.groupby(["problem", "method", "start"])["cpu_s"]
            .apply(lambda c: bool(np.all(np.diff(c) >= 0)))).all()
    assert (curves.groupby(["problem", "method", "start"])["work"]
            .apply(lambda c: bool(np.all(np.diff(c) > 0)))).all()
    e2e = frame[frame["method"] == "end-to-end"]
    assert (e2e[[f"work_ratio_{f:g}x" for f in bench_hybrid.FACTORS]] == 1.0).all().all()
    assert "## Counted work to target" in text and "in counted work 2×:" in text
    assert "hybrid" in BENCHMARKS and BENCHMARKS["hybrid"][3]     # registered, needs data


def test_quick_mode_never_writes_into_results():
    before = {p.name: p.stat().st_mtime for p in C.RESULTS.glob("hybrid*")}
    result = bench_hybrid.run(quick=True, problems=["CSTR 20 layers"])
    assert C.RESULTS.resolve() not in result["path"].resolve().parents
    assert {p.name: p.stat().st_mtime for p in C.RESULTS.glob("hybrid*")} == before


def test_time_to_target_is_the_first_crossing():
    curve = [(0.0, 5.0), (1.0, 3.0), (2.0, 1.0), (3.0, 2.0), (4.0, 0.5)]
    assert bench_hybrid.first_reach(curve, 2.0) == 2.0
    assert bench_hybrid.first_reach(curve, 0.5) == 4.0
    assert np.isnan(bench_hybrid.first_reach(curve, 0.1))


def test_end_to_end_work_is_every_layer_on_every_row_per_evaluation(data_dir):
    """End-to-end pays no sensitivity pass (none at the first visit, then Identity 1), so
    its counted work is rows × layers × evaluations, independently of the cost model."""
    data = C.split(C.load_dataset("cstr", data_dir), seed=0)
    X, Y = data.X[:300], data.Y[:300]
    data.X, data.Y = X, Y
    start = bench_hybrid.bn.Network.mlp([X.shape[1], 5, 5, 5, Y.shape[1]], seed=0)
    trainer = bench_hybrid._trainer("end-to-end", 10, "bisection")
    trainer.max_iter = 6
    curve, history, work = bench_hybrid.run_curve(trainer, start, data, lambda p: 1.0, 1e9)
    nfev = np.cumsum(history["nfev"].iloc[1:])
    np.testing.assert_array_equal(work[1:], 300 * 4 * nfev)
    # a layer step after a whole-network one is free of a pass, after a layer step it pays
    whole = {"first": 0, "last": 3, "accepted": True}
    layer = {"first": 2, "last": 2, "nfev": 5, "n_rows": 10, "sensitivity_inf": 0.5}
    assert bench_hybrid.counted_work(layer, whole, 4) == 10 * (5 * 2 + 2)
    assert bench_hybrid.counted_work(layer, {**layer, "accepted": True}, 4) == 10 * (12 + 4)


def test_a_thinned_curve_reaches_every_target_when_the_full_one_does():
    rng = np.random.default_rng(0)
    metric = np.exp(-np.linspace(0, 5, 5000)) * (1 + 0.3 * rng.random(5000))
    full = pd.DataFrame({"cpu_s": np.arange(5000.0), "metric": metric})
    thinned = bench_hybrid.thin(full, points=50)
    assert len(thinned) < len(full) / 10 and thinned.index[-1] == 4999
    pairs = lambda f: list(zip(f["cpu_s"], f["metric"]))       # noqa: E731
    for target in np.quantile(metric, [0.0, 0.01, 0.1, 0.5, 1.0]):
        assert (bench_hybrid.first_reach(pairs(thinned), target)
                == bench_hybrid.first_reach(pairs(full), target))


def test_parts_merge_into_one_report(tmp_path, data_dir):
    """Two processes on disjoint problems give one report, in the order of PROBLEMS."""
    labels = list(bench_hybrid.PROBLEMS)
    for i, part in enumerate((labels[2:], labels[:1])):
        bench_hybrid._write(*_fake_run(part), quick=False, load="0", clock=_Clock(),
                            out_dir=tmp_path / f"part{i}")
    result = bench_hybrid.merge([tmp_path / "part0", tmp_path / "part1"], tmp_path / "all")
    frame = pd.read_csv(tmp_path / "all" / "hybrid.csv")
    assert list(dict.fromkeys(frame["problem"])) == [labels[0], *labels[2:]]
    text = result["path"].read_text()
    assert "Merged from 2 runs" in text
    # each run is described as its own report described it (commit, time, load, wall)
    for i, part in enumerate((labels[2:], labels[:1])):
        own = (tmp_path / f"part{i}" / "hybrid.md").read_text()
        commit = next(line for line in own.splitlines() if line.startswith("- bcdnet commit:"))
        assert f"- {', '.join(part)}: {commit[2:]}; Measured" in text
    with pytest.raises(ValueError, match="disjoint"):
        bench_hybrid.merge([tmp_path / "part0", tmp_path / "part0"], tmp_path / "dup")


class _Clock:
    wall = 0.0


def _fake_run(problems):
    """Rows and curves shaped like a run's, with made-up numbers (only the plumbing is
    tested here; ``test_quick_run`` runs the real thing)."""
    rows, curves = [], []
    for problem in problems:
        for method in bench_hybrid.METHODS:
            for start in range(2):
                row = {"problem": problem, "metric": "test MSE", "method": method,
                       "start": start, "final_metric": 0.1, "cpu_s": 1.0, "visits": 3,
                       "steps": "3 whole / 0 layer"}
                for f in bench_hybrid.FACTORS:
                    row.update({f"target_{f:g}x": 0.1 * f, f"time_{f:g}x": 0.5,
                                f"ratio_{f:g}x": 1.0})
                rows.append(row)
                curves += [{"problem": problem, "method": method, "start": start,
                            "cpu_s": c, "metric": 1.0 / (1 + c)} for c in (0.0, 0.5, 1.0)]
    return pd.DataFrame(rows), pd.DataFrame(curves)


def test_a_run_of_chosen_methods_adds_the_no_undo_variant(tmp_path, data_dir):
    methods = ["adaptive hybrid (ours)", "adaptive hybrid, no undo"]
    result = bench_hybrid.run(quick=True, out_dir=tmp_path, data_home=data_dir,
                              problems=["CSTR 20 layers"], methods=methods)
    frame = pd.read_csv(tmp_path / "hybrid.csv")
    assert list(dict.fromkeys(frame["method"])) == ["end-to-end", *methods]
    text = result["path"].read_text(encoding="utf-8")
    assert "**Methods**: end-to-end, adaptive hybrid (ours), adaptive hybrid, no undo" in text
    assert "- CSTR 20 layers: adaptive hybrid, no undo median ratios" in text
    assert "noise floor at 1.0×: not run" in text
    with pytest.raises(ValueError, match="methods: unknown"):
        bench_hybrid.run(quick=True, out_dir=tmp_path, methods=["adaptive"])


def test_a_run_of_every_method_plots_each_in_its_own_colour(tmp_path, data_dir, monkeypatch):
    """Every method a run may take has a curve colour (a missing one once crashed a run
    after all its training, in the plot)."""
    seen = []
    methods = list(bench_hybrid.METHODS + bench_hybrid.EXTRA_METHODS)
    import matplotlib.axes
    original = matplotlib.axes.Axes.plot

    def plot(self, *args, **kwargs):
        seen.append((kwargs.get("label"), kwargs.get("color")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", plot)
    bench_hybrid.run(quick=True, out_dir=tmp_path, data_home=data_dir,
                     problems=["CSTR 20 layers"], methods=methods)
    colours = {label: colour for label, colour in seen if label is not None}
    assert set(colours) == set(methods)
    assert len(set(colours.values())) == len(methods)
    assert (tmp_path / "hybrid_curves.png").stat().st_size > 0


def test_the_kept_memory_variant_keeps_every_block_state():
    kept = bench_hybrid._trainer("adaptive hybrid, kept memory", 10, "most_sensitive")
    ours = bench_hybrid._trainer("adaptive hybrid (ours)", 10, "most_sensitive")
    assert kept.keep_state and not ours.keep_state
    assert type(kept.selector) is type(ours.selector)


def test_acceptance_says_whether_a_gain_lies_beyond_the_noise_floor():
    """The moonshot line: a median at 1.0× below the perturbed end-to-end run's fastest."""
    def rows(problem, ours, perturbed):
        frame = []
        for method, ratios in (("end-to-end", [1.0] * 3), ("end-to-end, perturbed", perturbed),
                               ("adaptive hybrid (ours)", ours)):
            for start, r in enumerate(ratios):
                frame.append({"problem": problem, "method": method, "final_metric": 1.0,
                              **{f"ratio_{f:g}x": r for f in bench_hybrid.FACTORS}})
        return frame

    frame = pd.DataFrame(rows("steel", [0.6, 0.7, 0.8], [0.8, 0.9, 1.1])
                         + rows("CSTR 20 layers", [0.85, 0.9, 1.0], [0.8, 0.9, 1.1])
                         + rows("CCPP", [0.5, float("nan"), float("nan")], [0.8, 0.9, 1.1]))
    lines = bench_hybrid._acceptance(bench_hybrid.summarise(frame))
    by_problem = {line.split(":")[0][2:]: line for line in lines}
    assert by_problem["steel"].endswith("(median below the perturbed run's fastest): met")
    assert by_problem["CSTR 20 layers"].endswith("fastest): not met")     # 0.9 ≥ 0.8
    assert by_problem["CCPP"].endswith("fastest): not met")               # most missed
