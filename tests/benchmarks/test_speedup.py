"""``python -m benchmarks.speedup``: serial and parallel sweeps of one grid, both timed."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import speedup  # noqa: E402

TINY = {"base": {"dataset": "cstr", "max_train_rows": 200, "hidden": [5, 5],
                 "optimizer_options": {"max_iter": 3}, "trainer": {"max_iter": 2}},
        "axes": {"selector": ["random", "forward"], "split": [0, 1]}}


def test_speedup_times_both_and_checks_the_rows(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(speedup, "grid", lambda b: TINY)
    assert speedup.main(["--quick", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "serial" in out and "2 workers" in out and "rows identical: True" in out
    text = (tmp_path / "sweep-speedup.md").read_text(encoding="utf-8")
    assert "| 1 |" in text and "| 2 |" in text and "Ratio parallel / serial" in text
    assert "python -m benchmarks.speedup --n-jobs 2 --quick" in text
    assert "Rows identical apart from the timing columns: yes" in text


def test_sample_is_seeded_in_grid_order_and_checked():
    configs = [{"i": i} for i in range(50)]
    a, b = speedup.sample(configs, 7, seed=3), speedup.sample(configs, 7, seed=3)
    assert a == b and len(a) == 7
    idx = [c["i"] for c in a]
    assert idx == sorted(set(idx))                       # distinct, in the grid's order
    assert speedup.sample(configs, 7, seed=4) != a       # the seed matters
    assert speedup.sample(configs, None) == configs == speedup.sample(configs, 50)
    import pytest

    with pytest.raises(ValueError, match="positive number"):
        speedup.sample(configs, 0)


def test_sampled_report_says_sample_and_scales_an_estimate(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(speedup, "grid", lambda b: TINY)
    assert speedup.main(["--quick", "--sample", "2", "--grid-wall", "10",
                         "--out-dir", str(tmp_path)]) == 0
    text = (tmp_path / "sweep-speedup.md").read_text(encoding="utf-8")
    assert "2 of the 4 runs of `paper-b-grid`" in text
    assert "--sample 2 --sample-seed 0 --grid-wall 10" in text
    assert "(×4/2)" in text and "**estimate**" in text and "took 10 s" in text


def test_sample_scaled_by_the_whole_grids_rows(tmp_path, monkeypatch):
    from bcdnet.experiments import config_id, read_results, sweep

    monkeypatch.setattr(speedup, "grid", lambda b: TINY)
    whole = tmp_path / "whole.csv"
    sweep(TINY, whole, progress=False)
    assert speedup.main(["--quick", "--sample", "2", "--grid-wall", "10", "--grid-rows",
                         str(whole), "--out-dir", str(tmp_path)]) == 0
    text = (tmp_path / "sweep-speedup.md").read_text(encoding="utf-8")
    rows = read_results(whole)
    mine = rows[rows["id"].isin([config_id(c) for c in
                                 speedup.sample(speedup.expand(TINY), 2)])]
    factor = rows["wall_s"].sum() / mine["wall_s"].sum()
    assert f"×{factor:.2f}, the whole grid's summed per-run time" in text
    assert "identical to the same runs in the whole grid's sweep" in text
    assert "(timing and commit columns aside): yes" in text
    import pytest

    with pytest.raises(ValueError, match="whole grid's 5 rows"):     # a grid file too short
        speedup._whole_grid(1.0, mine, 5, 2, grid_rows=whole)


def test_summary_quotes_the_speedup_report(tmp_path):
    from benchmarks import summary

    assert summary._speedup_lines(tmp_path, "") == []          # no report, no section
    (tmp_path / "sweep-speedup.md").write_text(
        "# x\n\n- Ratio parallel / serial: **0.512** (target ≤ 0.6 with two workers: met).\n"
        "- Rows identical apart from the timing columns: yes; failed runs: 0.\n"
        "- The serial time scaled to the whole grid (×9.9): 100 s, an **estimate**.\n",
        encoding="utf-8")
    lines = summary._speedup_lines(tmp_path, "img/")
    assert lines[0] == "Sweep speed-up ([report](img/sweep-speedup.md)):"
    assert any("**0.512**" in line for line in lines)
    assert any("**estimate**" in line for line in lines)
    assert not any("Rows identical" in line for line in lines)
