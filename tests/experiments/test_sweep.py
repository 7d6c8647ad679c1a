"""Sweeps: the same rows serially, on loky processes and on a Dask cluster, in any order;
error rows; resuming after a kill; rows of another version not reused unless asked."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bcdnet.experiments import ROW_COLUMNS, TIMING_COLUMNS, ResultStore, config_id, expand, sweep

ROOT = Path(__file__).resolve().parents[2]
GRID = {"base": {"dataset": "cstr", "max_train_rows": 200, "hidden": [5, 5],
                 "optimizer_options": {"max_iter": 5},
                 "trainer": {"max_iter": 3, "tol": 0.0, "sensitivity_tol": None},
                 "record": ["history", "test_curve", "predictions"]},
        "axes": {"selector": ["most_sensitive", "random"], "split": [0, 1]}}


def _same(a: pd.DataFrame, b: pd.DataFrame):
    """Every column but the timings equal, row by row (in the grid's order)."""
    keep = [c for c in ROW_COLUMNS if c not in TIMING_COLUMNS]
    pd.testing.assert_frame_equal(a[keep].reset_index(drop=True),
                                  b[keep].reset_index(drop=True))


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return sweep(GRID, tmp_path_factory.mktemp("serial") / "r.csv", progress=False)


def test_serial_rows_are_complete(serial):
    assert list(serial["id"]) == [config_id(c) for c in expand(GRID)]
    assert (serial["status"] == "ok").all(), serial["error"].tolist()
    assert serial["test_mse"].notna().all() and (serial["iterations"] == 3).all()
    assert (serial["version"] == "0.1.0").all() and serial["commit"].str.len().min() >= 7
    first = serial.iloc[0]
    history, curve = json.loads(first["history"]), json.loads(first["test_curve"])
    assert len(history["grad_inf"]) == len(curve) == len(json.loads(first["curve_cpu"])) == 3
    assert history["train_loss"][-1] == pytest.approx(first["train_loss"], rel=1e-5)
    assert curve[-1] == pytest.approx(first["test_r2"], rel=1e-5)
    assert np.asarray(json.loads(first["predictions"])).shape == (2000, 2)
    # the two selectors on one split start from the same weights
    start = serial.groupby("split")["start_loss"].nunique()
    assert (start == 1).all()


def test_order_does_not_change_the_rows(serial, tmp_path):
    reordered = sweep(expand(GRID)[::-1], tmp_path / "r.csv", progress=False)
    _same(serial, reordered.iloc[::-1])


def test_dask_local_cluster_gives_the_serial_rows(serial, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        rows = sweep(GRID, tmp_path / "r.csv", scheduler=cluster.scheduler_address,
                     progress=False)
    assert rows.attrs["ran"] == 4
    _same(serial, rows)


def test_loky_two_workers_gives_the_serial_rows(serial, tmp_path):
    _same(serial, sweep(GRID, tmp_path / "r.csv", n_jobs=2, progress=False))


def test_a_failing_config_gives_an_error_row_and_the_sweep_goes_on(tmp_path, capsys):
    grid = [{**GRID["base"], "optimizer_options": {"max_iter": -1}}, GRID["base"]]
    rows = sweep(grid, tmp_path / "r.csv")
    assert list(rows["status"]) == ["error", "ok"]
    assert rows["error"][0].startswith("ValueError: ") and "max_iter" in rows["error"][0]
    err = capsys.readouterr().err
    assert "[1/2]" in err and "[2/2]" in err and "Traceback" not in err
    # error rows run again on a rerun; finished rows do not
    assert sweep(grid, tmp_path / "r.csv", progress=False).attrs["ran"] == 1


def test_rows_of_another_version_are_rerun_unless_reuse_any(serial, tmp_path):
    path = tmp_path / "r.csv"
    with ResultStore(path) as store:
        for row in serial.to_dict("records"):
            store.append({**row, "version": "0.0.1"})
    assert sweep(GRID, path, progress=False, reuse="any").attrs["ran"] == 0
    rows = sweep(GRID, path, progress=False)
    assert rows.attrs["ran"] == 4 and (rows["version"] == "0.1.0").all()


SCRIPT = """
import sys, json
from bcdnet.experiments import sweep
sweep(json.loads(sys.argv[1]), sys.argv[2], progress=False)
"""


def test_killed_sweep_resumes_with_only_the_missing_rows(serial, tmp_path):
    grid = {**GRID, "axes": {**GRID["axes"], "split": [0, 1, 2, 3]}}
    path = tmp_path / "r.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    child = subprocess.Popen([sys.executable, "-c", SCRIPT, json.dumps(grid), str(path)],
                             env=env)
    deadline = time.monotonic() + 60
    while len(ResultStore(path).rows()) < 2 and child.poll() is None:
        assert time.monotonic() < deadline, "the child wrote no rows in 60 s"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done = [r["id"] for r in ResultStore(path).rows()]
    assert 2 <= len(done) < 8, "the sweep finished before it could be killed"
    with open(path, "ab") as handle:
        handle.write(b"0123abcd,ok,,0.1.0")                     # a torn last line
    rows = sweep(grid, path, progress=False)
    assert rows.attrs["ran"] == 8 - len(done) and rows.attrs["reused"] == len(done)
    ids = [r["id"] for r in ResultStore(path).rows()]
    assert sorted(ids) == sorted(config_id(c) for c in expand(grid))      # each once
    assert ids[:len(done)] == done
    _same(serial, rows[rows["split"] < 2])


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="backend"):
        sweep(GRID, tmp_path / "r.csv", backend="ray")
    with pytest.raises(ValueError, match="n_jobs"):
        sweep(GRID, tmp_path / "r.csv", n_jobs=0)
    with pytest.raises(ValueError, match="reuse"):
        sweep(GRID, tmp_path / "r.csv", reuse="all")


def test_dask_and_joblib_are_imported_only_when_a_sweep_runs():
    code = ("import sys, bcdnet.experiments, bcdnet.cli; bcdnet.cli.build_parser(); "
            "print(sorted(m for m in ('dask', 'distributed', 'joblib', 'sklearn') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout
    assert out.strip() == "[]"
