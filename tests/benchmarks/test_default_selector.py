"""BCDRegressor's default selector is the winner of the committed regressor.md (issue 16)."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bcdnet as bn  # noqa: E402
from benchmarks import bench_regressor as R  # noqa: E402

REPORT = ROOT / "benchmarks" / "results" / "regressor.md"


def medians_in(report: str) -> dict:
    """The first table of ``regressor.md``: method -> median test R² and wall seconds."""
    med = {}
    for line in report.split("\n\n| method | seed |")[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and re.fullmatch(r"[0-9.]+", cells[1]) and cells[0] != "method":
            med[cells[0]] = {"r2": float(cells[1]), "seconds": float(cells[4])}
    return med


def test_the_default_selector_won_the_committed_run():
    med = medians_in(REPORT.read_text(encoding="utf-8"))
    assert R.DEFAULTS in med and R.TORCH in med, "regressor.md lost its table"
    best, default = R.winner(med), bn.BCDRegressor().selector
    # the defaults row is BCDRegressor() itself, whatever its selector
    assert R.SELECTOR_ROWS.get(best, default) == default, (
        f"regressor.md's winner is {best}; BCDRegressor() uses selector={default!r}")


@pytest.mark.parametrize("times, r2, expected", [
    ((9.0, 5.0, 7.0), (0.951, 0.952, 0.951), 1),      # the fastest past the bar
    ((9.0, 5.0, 7.0), (0.951, 0.949, 0.951), 2),      # the fast one misses the bar
    ((9.0, 5.0, 7.0), (0.940, 0.949, 0.948), 1),      # none past it: the best R²
])
def test_winner_rule(times, r2, expected):
    names = [R.DEFAULTS, *list(R.SELECTOR_ROWS)[:2]]
    med = {n: {"r2": q, "seconds": t} for n, q, t in zip(names, r2, times)}
    med[R.FLOAT32] = {"r2": 0.99, "seconds": 0.1}        # another dtype: never the winner
    assert R.winner(med) == names[expected]


def test_the_estimator_docstring_quotes_the_committed_run():
    """The selector paragraph of ``BCDRegressor``'s docstring gives regressor.md's medians."""
    med = medians_in(REPORT.read_text(encoding="utf-8"))
    adaptive = med['bcdnet BCDRegressor(selector="adaptive_hybrid")']
    end_to_end = med['bcdnet BCDRegressor(selector="all")']
    doc = " ".join(bn.BCDRegressor.__doc__.split())
    assert (f"there {adaptive['seconds']:.2f} s against {end_to_end['seconds']:.2f} s, test R² "
            f"{adaptive['r2']:.4f} against {end_to_end['r2']:.4f}; its own default row took "
            f"{med[R.DEFAULTS]['seconds']:.2f} s") in doc
