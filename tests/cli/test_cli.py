"""The ``bcdnet`` command: help, exit codes, one-line errors, and what train and demo write.

Exit status: 0 success, 1 a mistake in what was asked (one line on stderr, no traceback),
2 a malformed command line (argparse).
"""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bcdnet import io as bio
from bcdnet.cli import main, parse_hidden, UserError

PNG = b"\x89PNG\r\n\x1a\n"


def _one_line_error(capsys, *needles):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith("bcdnet ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def csv_file(tmp_path):
    """A small regression problem: y = sin(a) + b², a CSV with a header row."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-2, 2, 200), rng.uniform(-1, 1, 200)
    path = tmp_path / "toy.csv"
    pd.DataFrame({"a": a, "b": b, "y": np.sin(a) + b ** 2}).to_csv(path, index=False)
    return path


# ---------------------------------------------------------------- help and usage
def test_help_lists_commands_and_exit_codes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("demo", "train", "predict", "bench", "exit status"):
        assert word in out


@pytest.mark.parametrize("command", ["demo", "train", "predict", "bench"])
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: bcdnet " + command in capsys.readouterr().out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: bcdnet" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train"], ["train", "cstr", "--max-iter", "many"],
                                  ["frobnicate"], ["train", "cstr", "--selector", "best"]])
def test_malformed_command_lines_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


# ---------------------------------------------------------------- user mistakes: exit 1
def test_unknown_dataset_name(capsys):
    assert main(["train", "cstrr"]) == 1
    _one_line_error(capsys, "unknown dataset 'cstrr'", "cstr, ccpp, steel")


@pytest.mark.parametrize("name", ["missing.csv", "no/such/folder/data.csv"])
def test_missing_file(name, tmp_path, capsys):
    assert main(["train", str(tmp_path / name)]) == 1
    _one_line_error(capsys, "file not found", name.split("/")[-1])


@pytest.mark.parametrize("hidden", ["10,x", "", "10,,10", "0x3", "5x", "x5", "-1",
                                    "10;10", "5x2x2", "1.5", "3x8", "100000x100000", "0"])
def test_invalid_architecture(hidden, capsys):
    assert main(["train", "cstr", "--hidden", hidden]) == 1
    _one_line_error(capsys, "invalid architecture")


def test_csv_mistakes(csv_file, tmp_path, capsys):
    assert main(["train", str(csv_file), "--target", "z"]) == 1
    _one_line_error(capsys, "no column 'z'", "a, b, y")
    text = tmp_path / "text.csv"
    pd.DataFrame({"a": [1.0] * 20, "kind": ["x"] * 20, "y": [2.0] * 20}).to_csv(text,
                                                                                 index=False)
    assert main(["train", str(text)]) == 1
    _one_line_error(capsys, "'kind'", "row 1", "'x', not a number")
    assert main(["train", "cstr", "--target", "P"]) == 1
    _one_line_error(capsys, "--target applies to CSV files")


def test_bad_hyperparameter_is_one_line(capsys):
    assert main(["train", "cstr", "--test-size", "1.5"]) == 1
    _one_line_error(capsys, "--test-size")


def test_bench_unknown_name(capsys):
    assert main(["bench", "table9"]) == 1
    _one_line_error(capsys, "unknown benchmark 'table9'", "table2")


def test_bench_list(capsys):
    assert main(["bench", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("table2", "table3", "ccpp-strategies", "bcd-icrs", "timings", "core"):
        assert name in out


def test_python_dash_m_reports_one_line_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "bcdnet", "train", "nonsense"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "bcdnet train: error: unknown dataset 'nonsense': use cstr, ccpp, steel or the path "
        "of a CSV file"]


# ---------------------------------------------------------------- parse_hidden
@pytest.mark.parametrize("text, widths", [("10,10,10", [10, 10, 10]), ("4, 8", [4, 8]),
                                          ("7", [7]), ("3,2,2", [3, 2, 2])])
def test_parse_hidden(text, widths):
    assert parse_hidden(text) == widths


def test_parse_hidden_raises_user_error():
    with pytest.raises(UserError, match="invalid architecture"):
        parse_hidden("ten")


def test_width_times_count_is_refused_spelling_out_both_readings():
    """``3x8`` could be eight layers of 3 or three of 8: refused, never guessed."""
    with pytest.raises(UserError, match=r"3,3,3,3,3,3,3,3 for 8 layers of width 3.*8,8,8 "
                                        r"for 3 layers of width 8"):
        parse_hidden("3x8")


# ---------------------------------------------------------------- what train writes
def test_train_on_csv_writes_model_history_metrics_and_plots(csv_file, tmp_path, capsys):
    out = tmp_path / "model"
    argv = ["train", str(csv_file), "--target", "y", "--hidden", "6,6", "--max-iter", "6",
            "--inner-max-iter", "5", "--selector", "bisection", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "toy: 160 training and 40 test rows" in printed and "R²" in printed
    history = pd.read_csv(out / "history.csv")
    assert 2 <= len(history) <= 7 and {"train_loss", "cpu_s", "first"} <= set(history)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["iterations"] == len(history) - 1        # row 0 is the starting point
    assert -1.0 < metrics["test_r2"] <= 1.0 and metrics["test_mse"] > 0
    est = bio.load(out / "model.npz")              # the whole model: scaling inside
    assert est.net_.sizes == [2, 6, 6, 1] and not (out / "scaling.json").exists()
    assert bio.read_header(out / "model.npz")["columns"] == {"features": ["a", "b"],
                                                             "targets": ["y"]}
    for png in ("convergence.png", "selection.png", "parity.png", "residuals.png"):
        assert (out / png).read_bytes()[:8] == PNG
    # the saved model reproduces the reported test metric in the targets' units
    frame = pd.read_csv(csv_file)
    from bcdnet.datasets import train_test_split
    _, test = train_test_split(frame, test_size=0.2, seed=0)
    pred = est.predict(test[["a", "b"]].to_numpy())
    mse = float(np.mean((pred[:, 0] - test["y"].to_numpy()) ** 2))
    assert mse == pytest.approx(metrics["test_mse"], rel=1e-9)


def test_train_builtin_cstr_end_to_end(tmp_path, capsys):
    out = tmp_path / "cstr"
    assert main(["train", "cstr", "--hidden", "4,4", "--selector", "all", "--max-iter", "2",
                 "--inner-max-iter", "3", "--out", str(out)]) == 0
    assert "network 4-4-4-2" in capsys.readouterr().out
    assert bio.load(out / "model.npz").n_outputs_ == 2


# ---------------------------------------------------------------- demo
def test_demo_quick_writes_table_history_and_plots(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "backpropagation" in printed and "BCD" in printed
    table = pd.read_csv(out / "demo.csv", index_col=0)
    assert len(table) == 2 and table["test MSE"].notna().all()
    history = pd.read_csv(out / "history.csv")
    assert set(history["method"]) == set(table.index)
    for png in ("convergence.png", "selection.png", "parity.png", "residuals.png"):
        assert (out / png).read_bytes()[:8] == PNG


def test_bench_runs_a_benchmark_into_a_folder(tmp_path, capsys):
    """``summary`` is the fastest entry (it reads the CSVs found, here none)."""
    assert main(["bench", "summary", "--out", str(tmp_path)]) == 0
    assert "summary: wrote" in capsys.readouterr().out
    text = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks") and "Not run." in text
