"""``bcdnet sweep``: writes OUT/<grid name>.csv, skips finished rows on a rerun, exit status."""

import json

from bcdnet.cli import main
from bcdnet.experiments import ResultStore

GRID = {"base": {"dataset": "cstr", "max_train_rows": 200, "hidden": [5, 5],
                 "optimizer_options": {"max_iter": 3}, "trainer": {"max_iter": 2}},
        "axes": {"selector": ["random", "forward"]}}


def test_sweep_command_runs_then_skips(tmp_path, capsys):
    grid = tmp_path / "small.json"
    grid.write_text(json.dumps(GRID))
    assert main(["sweep", str(grid), "--out", str(tmp_path / "out"), "--n-jobs", "1"]) == 0
    out = capsys.readouterr()
    assert "2 rows in" in out.out and "2 run now" in out.out
    assert "[1/2]" in out.err and "[2/2]" in out.err
    rows = ResultStore(tmp_path / "out" / "small.csv").rows()
    assert [r["selector"] for r in rows] == ["random", "forward"]
    assert main(["sweep", str(grid), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert "0 run now, 2 reused" in capsys.readouterr().out


def test_failed_configs_and_missing_files_exit_1(tmp_path, capsys):
    grid = tmp_path / "bad.json"
    grid.write_text(json.dumps({"selector": "bogus", "dataset": "cstr"}))
    assert main(["sweep", str(grid), "--out", str(tmp_path), "--quiet"]) == 1
    assert "1 configuration(s) failed" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "none.json")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"bcdnet sweep: error: grid file not found: {tmp_path / 'none.json'}"]
