"""Every paper benchmark runs end to end in --quick mode and writes its report, CSV and PNGs.

Quick mode uses tiny budgets (the numbers mean nothing); the full reports are committed in
``benchmarks/results/``.  Reports go to a temporary folder, never to ``results/``.  The
CCPP and steel benchmarks need the UCI files (``data_dir`` fixture: skipped without them,
a failure under ``BCDNET_REQUIRE_DATA=1``).
"""

import importlib
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import BENCHMARKS, main, run_benchmark  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
EXPECTED_PNGS = {
    "table2": ["table2_convergence.png", "table2_convergence_paper_settings.png",
               "table2_selection.png", "table2_parity.png", "table2_fig4.png"],
    "table3": ["table3_convergence.png", "table3_selection.png", "table3_parity.png",
               "table3_fig4.png"],
    "ccpp-activations": ["ccpp-activations_box.png", "ccpp-activations_parity.png",
                         "ccpp-activations_residuals.png"],
    "ccpp-strategies": ["ccpp-strategies_selection.png", "ccpp-strategies_box.png"],
    "ccpp-optimizers": ["ccpp-optimizers_box.png"],
    "bcd-icrs": ["bcd-icrs_ccpp_parity.png", "bcd-icrs_steel_parity.png"],
    "timings": ["timings_ccpp.png", "timings_steel.png"],
    "paper-b-grid": ["paper-b-grid_strategies.png"],
}
PAPER_BENCHMARKS = [n for n in BENCHMARKS
                    if n not in ("core", "optim", "regressor", "backend", "summary", "hybrid")]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """One folder for every quick report of this module (the summary reads them all)."""
    return tmp_path_factory.mktemp("results")


def _check_report(folder: Path, name: str):
    text = (folder / f"{name}.md").read_text(encoding="utf-8")
    assert text.startswith("# "), text[:80]
    assert "quick mode" in text
    assert "## Machine" in text and "Load average" in text
    frame = pd.read_csv(folder / f"{name}.csv")
    assert len(frame) > 0
    for png in EXPECTED_PNGS[name]:
        assert (folder / png).read_bytes()[:8] == PNG, png
        assert f"]({png})" in text, f"{png} not linked from {name}.md"
    assert not list(folder.glob(".*tmp")), "temporary files left behind"
    return text, frame


@pytest.mark.parametrize("name", [n for n in PAPER_BENCHMARKS
                                  if not BENCHMARKS[n][3]])
def test_paper_a_quick(name, results):
    path = run_benchmark(name, quick=True, out_dir=results)
    assert path == results / f"{name}.md"
    text, frame = _check_report(results, name)
    assert {"Table 1 (paper)", "recommended", "ablation"} <= set(frame["setting"])
    assert "paper total CPU [s]" in text and "## Acceptance" in text
    ours = frame[frame["setting"] != "peer"]
    assert ours["test_mse"].notna().all() and (ours["total_cpu_s"] >= 0).all()
    _check_sweep_note(text, results / "sweeps" / f"{name}.csv")


def _check_sweep_note(text, sweep_file):
    """The report says how its runs were computed: through the sweep, at the commit in
    their rows, one at a time here (the quick runs use one worker)."""
    commits = pd.read_csv(sweep_file)["commit"].str.replace(r"^(\w{7})\w*", r"\1",
                                                            regex=True).unique()
    assert "went through `bcdnet.experiments.sweep` (one at a time" in text
    assert f"rows in `sweeps/{sweep_file.name}`" in text
    assert all(f"`{c}`" in text for c in commits), (commits, text[:2000])


@pytest.mark.parametrize("name", [n for n in PAPER_BENCHMARKS if BENCHMARKS[n][3]])
def test_paper_b_quick(name, results, data_dir):
    path = run_benchmark(name, quick=True, out_dir=results, data_home=data_dir)
    assert path == results / f"{name}.md"
    text, frame = _check_report(results, name)
    r2 = frame["test_r2"] if "test_r2" in frame else frame["final_test_r2"]
    assert r2.notna().all()
    sweep_file = "bcd-icrs.csv" if name == "timings" else f"{name}.csv"
    _check_sweep_note(text, results / "sweeps" / sweep_file)


def test_core_quick(tmp_path):
    path = run_benchmark("core", quick=True, out_dir=tmp_path)
    assert path.parent == tmp_path and path.read_text(encoding="utf-8").startswith("#")


def test_backend_quick(tmp_path):
    path = run_benchmark("backend", quick=True, out_dir=tmp_path)
    assert path == tmp_path / "backend-quick.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Backends: NumPy against CuPy") and "## Machine" in text
    assert "| numpy f64 |" in text and "Strict over NumPy" in text
    assert "cupy f64" in text or "CuPy was unavailable" in text


def test_optim_quick(tmp_path):
    results = run_benchmark("optim", quick=True, out_dir=tmp_path)
    assert results == tmp_path / "optim.md"
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Optimizers") and "(quick mode)" in text and "## Machine" in text


def test_regressor_quick(tmp_path, data_dir):
    path = run_benchmark("regressor", quick=True, out_dir=tmp_path, data_home=data_dir)
    assert path == tmp_path / "regressor-quick.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# BCDRegressor defaults on UCI CCPP") and "## Machine" in text
    assert "| bcdnet BCDRegressor() defaults | 0." in text     # a test R² was measured


def test_summary_collects_the_reports(results):
    """Runs after the benchmarks above: BENCHMARKS.md in the same folder, links resolving."""
    path = run_benchmark("summary", quick=True, out_dir=results)
    assert path == results / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8")
    assert "## Acceptance at a glance" in text and "## Machine" in text
    assert "Table 2" in text and "Table 3" in text
    for link in (part.split(")")[0] for part in text.split("](")[1:]):
        assert (results / link).exists(), link


def test_every_registered_benchmark_resolves():
    for name, (module, function, description, _) in BENCHMARKS.items():
        assert callable(getattr(importlib.import_module(module), function)), name
        assert description


def test_entry_point_lists_names_and_rejects_unknown(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in BENCHMARKS:
        assert name in out
    assert main(["no-such-benchmark"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown benchmark 'no-such-benchmark'" in err[0]
    assert "table2" in err[0]


def test_quick_runs_never_write_into_the_committed_results(monkeypatch):
    """``--quick`` aimed at benchmarks/results/ goes to the scratch folder instead."""
    from benchmarks import _common as C
    from benchmarks import bench_paper_a

    seen = {}
    monkeypatch.setattr(bench_paper_a, "run_table2",
                        lambda quick, out_dir, n_jobs=1, scheduler=None: seen.update(
                            out_dir=out_dir, n_jobs=n_jobs))
    run_benchmark("table2", quick=True, n_jobs=2)
    assert seen["out_dir"] == C.SCRATCH != C.RESULTS and seen["n_jobs"] == 2
    run_benchmark("table2", quick=False)
    assert seen["out_dir"] == C.RESULTS
    assert C.report_dir(C.RESULTS, quick=True) == C.SCRATCH


def test_reports_name_the_commit_and_their_budgets():
    from benchmarks import _common as C
    from bcdnet.experiments import git_commit

    lines = C.header("T", "x", True, "intro", budgets={"visits": 3, "splits": {"a": 1}})
    text = "\n".join(lines)
    assert f"commit `{git_commit()}`" in text and "quick mode" in text
    assert 'Budgets of this run (quick): visits 3, splits {"a": 1}.' in text
