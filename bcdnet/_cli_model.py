"""``bcdnet train`` and ``bcdnet predict``: a whole model in one file, predictions as CSV.

``train`` fits a :class:`~bcdnet.estimator.BCDRegressor` (one network, no validation split,
no linear part: the network is trained on the standardised training rows) and writes into
``--out``: ``model.npz`` (:func:`bcdnet.save`'s format, the scalers inside, so it predicts
in the targets' own units; its header's ``columns`` name the inputs and targets),
``metrics.json``, ``history.csv`` and four plots, every file atomically.  ``predict`` reads
such a model and a CSV holding its input columns and writes one row per CSV row, in order,
with a column ``<target>_pred`` per target.

Everything the user gave is checked before any training, and every mistake is a
:class:`UserError` (one line, exit status 1): data errors name the file, the column and the
row (data rows counted from 1 after the header).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np

__all__ = ["UserError", "parse_hidden", "load_data", "train", "predict"]

DATASETS = ("cstr", "ccpp", "steel")


class UserError(Exception):
    """A mistake in what the user asked for: reported in one line, exit status 1."""


# ---------------------------------------------------------------- arguments
def parse_hidden(text: str) -> list[int]:
    """Hidden widths from ``"10,10,10"`` (one width per hidden layer, comma-separated).

    ``WIDTHxCOUNT`` (``"3x8"``) is refused: it reads as eight layers of 3 or three of 8;
    the message spells out both.  Raises UserError for anything else that is not a list
    of positive integers.
    """
    text = str(text).replace(" ", "")
    if "x" in text.lower():
        w, _, c = text.lower().partition("x")
        hint = (f" (did you mean {','.join([w] * int(c))} for {c} layers of width {w}, or "
                f"{','.join([c] * int(w))} for {w} layers of width {c}?)"
                if w.isdigit() and c.isdigit() and 0 < int(w) * int(c) <= 64 else "")
        raise UserError(f"invalid architecture {text!r}: give each hidden layer's width, "
                        f"separated by commas, like 10,10,10{hint}")
    items = text.split(",")
    if not all(item.isdigit() for item in items):
        raise UserError(f"invalid architecture {text!r}: expected hidden-layer widths "
                        "separated by commas, like 10,10,10")
    widths = [int(item) for item in items]
    if min(widths) < 1:
        raise UserError(f"invalid architecture {text!r}: widths must be at least 1")
    return widths


def check_train_args(args) -> dict:
    """Every train argument checked before any work; returns the derived settings."""
    from .optim import OPTIMIZERS

    for name, value, low in (("--max-iter", args.max_iter, 1),
                             ("--inner-max-iter", args.inner_max_iter, 1),
                             ("--icrs-init", args.icrs_init, 0), ("--seed", args.seed, 0),
                             ("--blas-threads", args.blas_threads, 0)):
        if value < low:
            raise UserError(f"{name} must be at least {low}, got {value}")
    threads = args.threads.strip().lower()
    if threads == "none":
        threads = None
    elif threads != "auto":
        if not threads.isdigit() or int(threads) < 1:
            raise UserError(f"--threads must be auto, none or a positive whole number, got "
                            f"{args.threads!r}")
        threads = int(threads)
    if not 0 < args.test_size < 1:
        raise UserError(f"--test-size must be between 0 and 1 (exclusive), got "
                        f"{args.test_size}")
    takes_lr = sorted(n for n, cls in OPTIMIZERS.items()
                      if "lr" in inspect.signature(cls.__init__).parameters)
    if args.lr is not None:
        if args.optimizer not in takes_lr:
            raise UserError(f"--lr applies to the optimizers {', '.join(takes_lr)}; "
                            f"{args.optimizer} has no learning rate")
        if not (math.isfinite(args.lr) and args.lr > 0):
            raise UserError(f"--lr must be a positive finite number, got {args.lr}")
    if args.target is not None and not [t for t in args.target.split(",") if t.strip()]:
        raise UserError("--target must name at least one column, got an empty string")
    hidden = parse_hidden(args.hidden)
    return {"hidden": hidden, "threads": threads, "out": prepare_out(args.out)}


def prepare_out(out: str) -> Path:
    """The ``--out`` folder, created now (before training) and checked writable."""
    if not str(out).strip():
        raise UserError("--out must not be empty")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UserError(f"--out {path} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {path}: cannot create the folder ({exc.strerror or exc})")
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(f"--out {path}: the folder is not writable")
    return path


def check_size(sizes: list[int], n_rows: int) -> None:
    """Refuse a network that cannot fit in this machine's memory (before allocating it)."""
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    need = 8 * (4 * n_params + 3 * n_rows * max(sizes))   # weights, gradient, buffers
    try:
        have = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return
    if need > have:
        raise UserError(f"the network {'-'.join(map(str, sizes))} has {n_params:,} "
                        f"parameters and needs about {need / 2**30:,.1f} GiB; this machine "
                        f"has {have / 2**30:,.1f} GiB")


# ---------------------------------------------------------------- data
def load_data(name: str, target, data_home):
    """A Dataset from a built-in name or a CSV path; ``target`` names the CSV's target column(s)."""
    from .datasets import Dataset, load_ccpp, load_steel, make_cstr

    looks_like_path = name.lower().endswith(".csv") or "/" in name or "\\" in name
    if not looks_like_path and name.lower() in DATASETS:
        if target:
            raise UserError("--target applies to CSV files; the built-in datasets have fixed "
                            "targets")
        key = name.lower()
        return make_cstr() if key == "cstr" else (load_ccpp if key == "ccpp" else load_steel)(
            data_home=data_home)
    path = Path(name)
    if not looks_like_path and not path.exists():
        raise UserError(f"unknown dataset {name!r}: use {', '.join(DATASETS)} or the path of "
                        "a CSV file")
    frame = read_csv(path)
    targets = [t.strip() for t in target.split(",")] if target else [frame.columns[-1]]
    missing = [t for t in targets if t not in frame.columns]
    if missing:
        raise UserError(f"{path}: no column {', '.join(map(repr, missing))}; the columns are "
                        f"{', '.join(map(str, frame.columns))}")
    if len(frame) < 10:
        raise UserError(f"{path}: needs at least 10 data rows, has {len(frame)}")
    inputs = [c for c in frame.columns if c not in targets]
    if not inputs:
        raise UserError(f"{path}: no input columns left besides the target(s)")
    return Dataset(frame[inputs], frame[targets], name=path.stem)


def read_csv(path: Path, columns=None):
    """The CSV at ``path`` (header row first) as a float DataFrame, every cell checked.

    ``columns``: the columns that must be present and are checked (default: all).  A
    missing file, a header-only file, a non-numeric or missing cell, or an infinite value
    is a UserError naming the file, the column and the row.
    """
    import pandas as pd

    if not path.is_file():
        raise UserError(f"file not found: {path}" if not path.exists() else
                        f"{path} is not a regular file")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path} is empty: expected a header row and data rows")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}")
    if len(frame) == 0:
        raise UserError(f"{path} has a header row ({', '.join(map(str, frame.columns))}) but "
                        "no data rows")
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise UserError(f"{path}: no column {', '.join(map(repr, missing))}; the columns "
                            f"are {', '.join(map(str, frame.columns))}")
        frame = frame[list(columns)]
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            row, cell = int(bad[0]), frame[column].iloc[int(bad[0])]
            what = ("is missing" if pd.isna(cell) else f"is {cell!r}, not a number"
                    if isinstance(cell, str) else f"is {float(cell)}, not a finite number")
            raise UserError(f"{path}: column {column!r}, row {row + 1} (data rows counted "
                            f"from 1 after the header) {what}; {bad.size} such cell(s)")
        frame[column] = values
    return frame


# ---------------------------------------------------------------- train
def train(args) -> int:
    import pandas as pd

    from . import plotting
    from ._atomic import atomic_write
    from ._threads import blas_threads
    from .datasets import train_test_split
    from .estimator import BCDRegressor
    from .io import save
    from .metrics import mean_absolute_error, mean_squared_error, r2_score
    from .optim import get_optimizer

    settings = check_train_args(args)
    out = settings["out"]
    data = load_data(args.dataset, args.target, args.data_home)
    X_all, Y_all = data.to_numpy()
    train_rows, test_rows = train_test_split(np.arange(len(X_all)), test_size=args.test_size,
                                             seed=args.seed)
    sizes = [X_all.shape[1], *settings["hidden"], Y_all.shape[1]]
    check_size(sizes, len(train_rows))
    optimizer = (args.optimizer if args.lr is None
                 else get_optimizer(args.optimizer, lr=args.lr))
    est = BCDRegressor(hidden=tuple(settings["hidden"]), activation=args.activation,
                       init=args.init, optimizer=optimizer, selector=args.selector,
                       n_networks=1, max_iter=args.max_iter, inner_max_iter=args.inner_max_iter,
                       icrs_init=args.icrs_init, batch_shell=args.batch_shell,
                       validation_fraction=0, linear_skip=False, tol=1e-6,
                       random_state=args.seed, dtype=args.dtype,
                       threads=settings["threads"])
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    print(f"{data.name}: {len(train_rows)} training and {len(test_rows)} test rows; network "
          f"{'-'.join(map(str, sizes))} ({args.activation}, {n_params} parameters); "
          f"selector {args.selector}, optimizer {args.optimizer}")
    with blas_threads(args.blas_threads or None):
        est.fit(X_all[train_rows], Y_all[train_rows])
        predicted = _predict_2d(est, X_all)      # all rows in file order, as predict does
    result = est.result_
    truth = {"train": Y_all[train_rows], "test": Y_all[test_rows]}
    predict = {"train": predicted[train_rows], "test": predicted[test_rows]}
    with np.errstate(all="ignore"):    # overflow is reported below, in one line
        metrics = {f"{part}_{name}": float(fn(truth[part], predict[part]))
                   for part in ("train", "test")
                   for name, fn in (("r2", r2_score), ("mse", mean_squared_error),
                                    ("mae", mean_absolute_error))}
    bad = {k: v for k, v in metrics.items() if not math.isfinite(v)}
    if bad:
        listed = ", ".join(f"{k}={v}" for k, v in bad.items())
        raise UserError(f"training gave non-finite metrics ({listed}): values too large for "
                        f"float64 arithmetic? Rescale the data; nothing was written")
    metrics.update(iterations=result.n_iter, stop_reason=result.stop_reason,
                   cpu_s=float(result.history["cpu_s"].iloc[-1]) if result.n_iter else 0.0,
                   test_size=args.test_size, seed=args.seed)
    columns = {"features": list(map(str, data.feature_names)),
               "targets": list(map(str, data.target_names))}
    with warnings.catch_warnings():     # an optimizer instance (--lr) is not stored: fine
        warnings.filterwarnings("ignore", "BCDRegressor parameters", UserWarning)
        save(est, out / "model.npz", columns=columns)
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2, allow_nan=False))
    atomic_write(out / "history.csv", result.history.to_csv(index=False))
    arch = "-".join(map(str, sizes))
    plotting.convergence(result.history, f"{data.name} {arch}: training ({args.selector}, "
                         f"{args.optimizer})", save=out / "convergence.png")
    plotting.selection_map(result.history, len(sizes) - 1, f"{data.name} {arch}: layer "
                           f"trained at each iteration ({args.selector})",
                           save=out / "selection.png")
    plotting.parity(truth["test"], predict["test"], data.target_names,
                    f"{data.name} {arch}: actual against predicted, test rows",
                    y_train=truth["train"], y_train_pred=predict["train"],
                    save=out / "parity.png")
    plotting.residuals(truth["test"], predict["test"], data.target_names,
                       f"{data.name} {arch}: residuals on the test rows",
                       save=out / "residuals.png")
    table = pd.DataFrame({part: [metrics[f"{part}_{m}"] for m in ("r2", "mse", "mae")]
                          for part in ("train", "test")}, index=["R²", "MSE", "MAE"])
    print(f"{result.n_iter} iterations, {metrics['cpu_s']:.2f} s CPU; stopped: "
          f"{result.stop_reason}\n{table.to_string(float_format='{:.4g}'.format)}\n"
          f"wrote model.npz, metrics.json, history.csv and four plots to {out}\n"
          f"predict with: bcdnet predict {out / 'model.npz'} DATA.csv")
    return 0


def _predict_2d(model, X) -> np.ndarray:
    """Predictions of a BCDRegressor or a Network as a 2-D array, refused if not finite."""
    from .backend import to_numpy

    with np.errstate(all="ignore"):
        Y = np.asarray(to_numpy(model.predict(X)), dtype=float)
    Y = Y.reshape(len(X), -1)
    if not np.isfinite(Y).all():
        row = int(np.flatnonzero(~np.isfinite(Y).all(axis=1))[0])
        raise UserError(f"the predictions are not finite (first at row {row + 1}): values "
                        f"too large for float64 arithmetic? Rescale the data")
    return Y


# ---------------------------------------------------------------- predict
def predict(args) -> int:
    """``bcdnet predict MODEL CSV [-o OUT]``: one row of predictions per CSV row, in order."""
    from ._atomic import atomic_write
    from .io import load, read_header

    model_path, csv_path = Path(args.model), Path(args.csv)
    if not model_path.is_file():
        raise UserError(f"model file not found: {model_path}" if not model_path.exists()
                        else f"{model_path} is not a regular file")
    if args.output is not None:
        target = Path(args.output)
        if target.is_dir():
            raise UserError(f"-o {target} is a folder; give a file name")
        if not target.parent.is_dir():
            raise UserError(f"-o {target}: the folder {target.parent} does not exist")
    header, model = read_header(model_path), load(model_path)   # load checks "columns"
    n_in = model.n_features_in_ if hasattr(model, "n_features_in_") else model.n_inputs
    n_out = model.n_outputs_ if hasattr(model, "n_outputs_") else model.n_outputs
    columns = header.get("columns")
    if columns is not None:
        features, targets = columns["features"], columns["targets"]
        frame = read_csv(csv_path, features)
    else:                               # a model saved without names: all columns are inputs
        frame = read_csv(csv_path)
        features, targets = list(frame.columns), [f"y{k}" for k in range(n_out)]
        if len(features) != n_in:
            raise UserError(f"{csv_path} has {len(features)} columns; the model (saved "
                            f"without column names) takes {n_in} inputs")
    Y = _predict_2d(model, frame[features].to_numpy(dtype=float))
    import pandas as pd

    text = pd.DataFrame(Y, columns=[f"{t}_pred" for t in targets]).to_csv(index=False)
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic_write(args.output, text)
    return 0
