"""``bcdnet train`` then ``bcdnet predict``; bad invocations; concurrent runs into one --out.

Bad invocations run as real subprocesses (``python -m bcdnet``): exit status 1 and exactly
one line on standard error that names the problem, no traceback.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import bcdnet as bn
from bcdnet.cli import main
from bcdnet.datasets import train_test_split
from bcdnet.metrics import r2_score

SMALL = ["--hidden", "5,5", "--max-iter", "4", "--inner-max-iter", "5"]


def write_csv(path, n=120, seed=0, targets=("y",), scale=1.0):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-2, 2, n), rng.uniform(-1, 1, n)
    frame = pd.DataFrame({"a": a, "b": b})
    for k, t in enumerate(targets):
        frame[t] = np.sin(a) + (k + 1) * b ** 2
    (frame * scale).to_csv(path, index=False)
    return path


def bcdnet_command(*argv, cwd=None):
    return subprocess.Popen([sys.executable, "-m", "bcdnet", *map(str, argv)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})


# ---------------------------------------------------------------- train, then predict
@pytest.mark.parametrize("targets", [("y",), ("y1", "y2")])
def test_predict_reproduces_the_test_r2_that_train_reported(tmp_path, targets, capsys):
    data = write_csv(tmp_path / "data.csv", targets=targets)
    out = tmp_path / "run"
    assert main(["train", str(data), "--target", ",".join(targets), *SMALL,
                 "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert main(["predict", str(out / "model.npz"), str(data), "-o",
                 str(tmp_path / "pred.csv")]) == 0
    predictions = pd.read_csv(tmp_path / "pred.csv")
    frame = pd.read_csv(data)
    assert list(predictions.columns) == [f"{t}_pred" for t in targets]
    assert len(predictions) == len(frame)
    _, test_rows = train_test_split(np.arange(len(frame)), test_size=0.2, seed=0)
    r2 = r2_score(frame[list(targets)].to_numpy()[test_rows],
                  predictions.to_numpy()[test_rows])
    assert r2 == metrics["test_r2"]                       # the same number, to the bit
    assert 0.5 < r2 <= 1
    capsys.readouterr()
    assert main(["predict", str(out / "model.npz"), str(data)]) == 0      # to stdout
    assert capsys.readouterr().out == (tmp_path / "pred.csv").read_text()


def test_the_model_file_predicts_in_the_original_units(tmp_path):
    data = write_csv(tmp_path / "data.csv", scale=1000.0)
    out = tmp_path / "run"
    assert main(["train", str(data), *SMALL, "--max-iter", "30", "--out", str(out)]) == 0
    model = bn.load(out / "model.npz")
    frame = pd.read_csv(data)
    predicted = model.predict(frame[["a", "b"]].to_numpy())[:, 0]
    assert np.corrcoef(predicted, frame["y"])[0, 1] > 0.9
    assert abs(predicted.mean() - frame["y"].mean()) < 0.2 * frame["y"].std()


def test_predict_rows_stay_in_order_and_other_columns_are_ignored(tmp_path):
    data = write_csv(tmp_path / "data.csv")
    assert main(["train", str(data), *SMALL, "--out", str(tmp_path / "run")]) == 0
    frame = pd.read_csv(data)
    reordered = frame[["y", "b", "a"]].iloc[::-1]
    reordered.assign(extra=1.0).to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(tmp_path / "run" / "model.npz"), str(tmp_path / "new.csv"),
                 "-o", str(tmp_path / "p.csv")]) == 0
    model = bn.load(tmp_path / "run" / "model.npz")
    expected = model.predict(reordered[["a", "b"]].to_numpy())[:, 0]
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "p.csv")["y_pred"], expected)


def test_lr_reaches_the_optimizer(tmp_path):
    data = write_csv(tmp_path / "data.csv")
    results = []
    for lr in ("0.001", "0.1"):
        out = tmp_path / lr
        assert main(["train", str(data), *SMALL, "--optimizer", "gd", "--lr", lr,
                     "--out", str(out)]) == 0
        results.append(json.loads((out / "metrics.json").read_text())["train_mse"])
    assert results[0] != results[1]


# ---------------------------------------------------------------- bad invocations
@pytest.fixture
def files(tmp_path):
    good = write_csv(tmp_path / "good.csv")
    rows = pd.read_csv(good)
    (tmp_path / "header-only.csv").write_text("a,b,y\n")
    with_inf = rows.copy()
    with_inf.loc[16, "b"] = np.inf             # data row 17
    with_inf.to_csv(tmp_path / "inf.csv", index=False)
    (rows * 1e300).to_csv(tmp_path / "huge.csv", index=False)
    (tmp_path / "a-file").write_text("not a folder")
    return tmp_path


BAD = [   # (argv, what the one line must contain)
    (["train", "good.csv", "--out", "a-file"], "--out a-file exists and is not a folder"),
    (["train", "good.csv", "--hidden", "100000x100000"], "invalid architecture"),
    (["train", "good.csv", "--hidden", "100000,100000"], "10,000,500,001 parameters"),
    (["train", "inf.csv"], "inf.csv: column 'b', row 17"),
    (["train", "header-only.csv"], "header-only.csv has a header row (a, b, y) but no data"),
    (["train", "huge.csv", "--max-iter", "2", "--out", "huge-out"], "non-finite metrics"),
    (["train", "good.csv", "--target", ""], "--target must name at least one column"),
    (["train", "good.csv", "--blas-threads", "-1"], "--blas-threads must be at least 0"),
    (["train", "good.csv", "--threads", "0"], "--threads must be auto, none or a positive"),
    (["train", "good.csv", "--threads", "many"], "--threads must be auto, none or a positive"),
    (["train", "good.csv", "--optimizer", "bb", "--lr", "0.1"], "bb has no learning rate"),
    (["train", "good.csv", "--lr", "-1"], "--lr must be a positive finite number"),
    (["train", "good.csv", "--max-iter", "0"], "--max-iter must be at least 1"),
    (["train", "good.csv", "--test-size", "1"], "--test-size"),
    (["predict", "missing.npz", "good.csv"], "model file not found: missing.npz"),
    (["predict", "good.csv", "good.csv"], "cannot load good.csv"),
]


@pytest.mark.parametrize("argv, needle", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_each_bad_invocation_is_one_line_and_exit_1(files, argv, needle, monkeypatch, capsys):
    monkeypatch.chdir(files)
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bcdnet {argv[0]}: error: "), lines
    assert needle in lines[0], lines[0]
    assert not (files / "huge-out" / "metrics.json").exists()   # no NaN ever written


def test_bad_invocations_as_real_commands(files):
    """The same through ``python -m bcdnet`` (four of them, at once)."""
    chosen = [BAD[i] for i in (0, 3, 5, 7)]
    running = [(argv, needle, bcdnet_command(*argv, cwd=files)) for argv, needle in chosen]
    for argv, needle, proc in running:
        stdout, stderr = proc.communicate(timeout=300)
        lines = stderr.strip().splitlines()
        assert proc.returncode == 1, (argv, stderr)
        assert len(lines) == 1 and "Traceback" not in stderr, (argv, stderr)
        assert lines[0].startswith(f"bcdnet {argv[0]}: error: ") and needle in lines[0], \
            (argv, lines[0])
    assert not (files / "huge-out" / "metrics.json").exists()   # no NaN ever written


def test_arguments_are_checked_before_the_data_is_read(files, monkeypatch, capsys):
    """A bad --out is reported at once, even with data that would take long to train."""
    import bcdnet._cli_model as cm

    monkeypatch.setattr(cm, "load_data", lambda *a: pytest.fail("data read before --out"))
    assert main(["train", str(files / "good.csv"), "--out", str(files / "a-file")]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err


def test_memory_error_is_one_line(files, monkeypatch, capsys):
    def out_of_memory(self, X, y):
        raise MemoryError("Unable to allocate 74.5 GiB for an array with shape (10000000000,)")

    monkeypatch.setattr(bn.BCDRegressor, "fit", out_of_memory)
    assert main(["train", str(files / "good.csv"), "--out", str(files / "m")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["bcdnet train: error: out of memory: Unable to allocate 74.5 GiB for an "
                   "array with shape (10000000000,)"]


def test_malformed_command_lines_keep_exit_2(files):
    proc = bcdnet_command("train", "good.csv", "--max-iter", "many", cwd=files)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "usage:" in stderr


# ---------------------------------------------------------------- concurrency
def test_two_trainings_into_one_out_leave_every_file_complete(tmp_path):
    data = write_csv(tmp_path / "data.csv")
    out = tmp_path / "shared"
    runs = [bcdnet_command("train", data, *SMALL, "--seed", seed, "--out", out)
            for seed in (0, 1)]
    for proc in runs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    names = sorted(os.listdir(out))
    assert names == ["convergence.png", "history.csv", "metrics.json", "model.npz",
                     "parity.png", "residuals.png", "selection.png"], names   # no temporaries
    metrics = json.loads((out / "metrics.json").read_text())
    assert all(np.isfinite(v) for v in metrics.values() if isinstance(v, float))
    history = pd.read_csv(out / "history.csv")
    assert len(history) >= 1 and {"iteration", "train_loss"} <= set(history)
    assert bn.load(out / "model.npz").predict(np.zeros((1, 2))).shape == (1, 1)
    for png in ("convergence.png", "parity.png", "residuals.png", "selection.png"):
        raw = (out / png).read_bytes()
        assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[-8:-4] == b"IEND", png


@pytest.mark.parametrize("threads", ["auto", "none", "1"])
def test_train_in_float32_writes_a_float32_model(files, threads, monkeypatch):
    """``--dtype float32`` trains and saves float32 networks; ``--threads`` takes its three
    forms."""
    import bcdnet as bn

    monkeypatch.chdir(files)
    out = f"f32-{threads}"
    assert main(["train", "good.csv", "--dtype", "float32", "--threads", threads,
                 "--max-iter", "2", "--out", out]) == 0
    model = bn.load(files / out / "model.npz")
    assert all(net.dtype == np.float32 for net in model.networks_)
    assert model.dtype == "float32"
    assert model.threads == {"auto": "auto", "none": None, "1": 1}[threads]
