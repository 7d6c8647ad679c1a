"""One experiment: a pure function of its configuration that returns a row of results.

:func:`run_experiment` loads the data, takes the configured split (standardised on its
training rows), builds the network from the spawned weights seed, trains it with the
configured selector, optimizer and budgets, and scores it.  :func:`run_row` is what a sweep
calls in each worker: the same on one BLAS thread, and a failure becomes an error row (the
exception's type and message, no traceback) instead of ending the sweep.
"""

from __future__ import annotations

import functools
import json
import time

import numpy as np

from .._cpu import process_time
from .config import canonical_json, config_id, normalise, seeds
from .provenance import bcdnet_version, git_commit

__all__ = ["run_experiment", "run_row", "prepared_split", "initial_network", "split_scores",
           "ROW_COLUMNS", "TIMING_COLUMNS"]

#: the columns of every row, in the order of the result file
ROW_COLUMNS = ["id", "status", "error", "version", "commit", "label", "dataset", "split",
               "hidden", "activation", "selector", "optimizer", "seed", "n_train",
               "train_r2", "train_mse", "train_mae", "test_r2", "test_mse", "test_mae",
               "start_loss", "train_loss", "grad_inf", "iterations", "avg_epochs",
               "stop_reason", "cpu_s", "wall_s", "history", "history_cpu", "test_curve",
               "curve_cpu", "predictions", "config"]
#: the columns that measure time, so differ between two runs of one config
TIMING_COLUMNS = ("cpu_s", "wall_s", "history_cpu", "curve_cpu")


@functools.lru_cache(maxsize=4)
def _dataset(name: str, data_home):
    from ..datasets import load_ccpp, load_steel, make_cstr

    if name == "cstr":
        return make_cstr()
    return (load_ccpp if name == "ccpp" else load_steel)(data_home=data_home)


@functools.lru_cache(maxsize=16)
def _split(name, data_home, split, split_seed, test_size):
    from ..datasets import Standardizer, repeated_splits

    parts = repeated_splits(_dataset(name, data_home), split + 1, test_size=test_size,
                            seed=split_seed)
    for _ in range(split + 1):
        train, test = next(parts)
    (X, Y), (Xt, Yt) = train.to_numpy(), test.to_numpy()
    sx, sy = Standardizer().fit(X), Standardizer().fit(Y)
    return sx.transform(X), sy.transform(Y), sx.transform(Xt), sy.transform(Yt), sy


def prepared_split(config, data_home=None):
    """``(X, Y, Xt, Yt, sy)`` of the config's split: split ``k`` is the ``k``-th of
    ``repeated_splits(dataset, seed=split_seed)``; inputs and targets standardised with the
    training rows' statistics (``sy`` maps targets back to their units); the training part
    cut to ``max_train_rows`` when set.  Cached per process."""
    c = normalise(config)
    X, Y, Xt, Yt, sy = _split(c["dataset"], data_home, c["split"], c["split_seed"],
                              c["test_size"])
    if c["max_train_rows"]:
        X, Y = X[:c["max_train_rows"]], Y[:c["max_train_rows"]]
    return X, Y, Xt, Yt, sy


def split_scores(predict, X, Y, Xt, Yt, sy, units: bool = True) -> dict:
    """R², MSE and MAE on the training (``X``, ``Y``) and test (``Xt``, ``Yt``) rows.

    ``predict(X) -> Y`` works on standardised data; with ``units`` targets and predictions
    are mapped back by ``sy.inverse_transform`` first, else scored as standardised.
    """
    from ..metrics import mean_absolute_error, mean_squared_error, r2_score

    out = {}
    for part, A, B in (("train", X, Y), ("test", Xt, Yt)):
        P = predict(A)
        if units:
            B, P = sy.inverse_transform(B), sy.inverse_transform(P)
        out[f"{part}_r2"] = r2_score(B, P)
        out[f"{part}_mse"] = mean_squared_error(B, P)
        out[f"{part}_mae"] = mean_absolute_error(B, P)
    return out


def _compact(values) -> str:
    """A list of numbers as JSON, 6 significant digits, NaN as null."""
    return json.dumps([None if v is None or not np.isfinite(v) else float(f"{v:.6g}")
                       for v in values], separators=(",", ":"))


def _history_columns(history) -> dict:
    """Per-iteration curves as compact JSON: block (name, first and last layer), training
    loss, the block gradient's ∞-norm, nit (``history``) and cumulative CPU seconds
    (``history_cpu``)."""
    h = history[history["iteration"] > 0]
    curves = {"block": [None if b is None or b != b else str(b) for b in h["block"]],
              "first": [int(v) if v == v else None for v in h["first"]],
              "last": [int(v) if v == v else None for v in h["last"]],
              "train_loss": json.loads(_compact(h["train_loss"])),
              "grad_inf": json.loads(_compact(h["grad_inf"])),
              "nit": [int(n) if n == n else None for n in h["nit"]]}
    return {"history": json.dumps(curves, separators=(",", ":")),
            "history_cpu": _compact(h["cpu_s"])}


def initial_network(config, n_in: int, n_out: int):
    """The config's starting network: ``n_in``-hidden-``n_out`` with the weights seed of
    :func:`~bcdnet.experiments.config.seeds` (shared by configs that differ only in the
    method, so peers can start from it too)."""
    from ..network import Network

    c = normalise(config)
    return Network.mlp([n_in, *c["hidden"], n_out], activation=c["activation"],
                       init=c["init"], seed=seeds(c)["weights"])


class _TestCurve:
    """A Trainer callback recording the test R² after every iteration; the CPU seconds it
    spends are subtracted, so ``cpu`` is the training time at each point."""

    def __init__(self, net, Xt, Yt, sy, units):
        self.net, self.Xt, self.Yt, self.sy, self.units = net, Xt, Yt, sy, units
        self.spent, self.cpu, self.r2 = 0.0, [], []

    def __call__(self, row) -> bool:
        from ..metrics import r2_score

        start = process_time()
        P, Y = self.net.predict(self.Xt), self.Yt
        if self.units:
            P, Y = self.sy.inverse_transform(P), self.sy.inverse_transform(Y)
        self.cpu.append(row["cpu_s"] - self.spent)
        self.r2.append(r2_score(Y, P))
        self.spent += process_time() - start
        return False


def run_experiment(config, data_home=None) -> dict:
    """Train and score one configuration; return its row (the :data:`ROW_COLUMNS`).

    Parameters
    ----------
    config : dict
        A configuration (:data:`bcdnet.experiments.config.DEFAULTS` lists the fields).
    data_home : str, optional
        Folder of the UCI files (default ``$BCDNET_DATA``); not part of the config, since
        it depends on the machine, not on the experiment.

    Returns
    -------
    dict
        The row: id, provenance, the config's main fields, R², MSE and MAE on the training
        and test rows, the loss at the start and the end, the final block gradient's
        ∞-norm, iterations, average optimizer epochs per iteration, the stop reason, CPU and
        wall seconds of training (monitoring excluded), and what ``record`` asks for:
        ``"history"`` the per-iteration curves, ``"test_curve"`` the test R² after every
        iteration (``test_curve``, with the training CPU seconds in ``curve_cpu``),
        ``"predictions"`` the test predictions (in the targets' units with ``units``).
    """
    from ..optim import get_optimizer
    from ..selection import get_selector
    from ..trainer import Trainer

    c = normalise(config)
    X, Y, Xt, Yt, sy = prepared_split(c, data_home)
    s = seeds(c)
    net = initial_network(c, X.shape[1], Y.shape[1])
    curve = _TestCurve(net, Xt, Yt, sy, c["units"])
    trainer = Trainer(get_optimizer(c["optimizer"], **c["optimizer_options"]),
                      get_selector(c["selector"], **c["selector_options"]),
                      **c["trainer"], seed=s["trainer"], progress=False,
                      callbacks=[curve] if "test_curve" in c["record"] else [])
    cpu0, wall0 = process_time(), time.perf_counter()
    result = trainer.fit(net, X, Y)
    cpu = process_time() - cpu0 - curve.spent
    wall = time.perf_counter() - wall0 - curve.spent
    h = result.history
    visits = h[h["iteration"] > 0]
    row = {**_base_row(c), "status": "ok", "error": "", "n_train": int(X.shape[0]),
           **split_scores(net.predict, X, Y, Xt, Yt, sy, c["units"]),
           "start_loss": float(h["train_loss"].iloc[0]),
           "train_loss": float(h["train_loss"].iloc[-1]),
           "grad_inf": float(visits["grad_inf"].iloc[-1]) if len(visits) else float("nan"),
           "iterations": int(len(visits)),
           "avg_epochs": float(visits["nit"].mean()) if len(visits) else float("nan"),
           "stop_reason": result.stop_reason, "cpu_s": cpu, "wall_s": wall,
           "history": "", "history_cpu": "", "test_curve": "", "curve_cpu": "",
           "predictions": ""}
    if "history" in c["record"]:
        row.update(_history_columns(h))
    if "test_curve" in c["record"]:
        row.update(test_curve=_compact(curve.r2), curve_cpu=_compact(curve.cpu))
    if "predictions" in c["record"]:
        P = net.predict(Xt)
        P = sy.inverse_transform(P) if c["units"] else P
        row["predictions"] = json.dumps(np.asarray(P, dtype=float).round(6).tolist(),
                                        separators=(",", ":"))
    return row


def _base_row(c: dict) -> dict:
    return {"id": config_id(c), "version": bcdnet_version(), "commit": git_commit(),
            "label": c["label"], "dataset": c["dataset"], "split": c["split"],
            "hidden": "-".join(map(str, c["hidden"])), "activation": c["activation"],
            "selector": c["selector"], "optimizer": c["optimizer"], "seed": c["seed"],
            "config": canonical_json(c)}


def run_row(config, data_home=None) -> dict:
    """:func:`run_experiment` on one BLAS thread; an exception becomes an error row
    (``status="error"``, ``error="ValueError: ..."``, first line of the message)."""
    from .._threads import blas_threads

    try:
        with blas_threads(1):
            row = run_experiment(config, data_home)
    except Exception as exc:                    # noqa: BLE001 - reported in the row
        message = (str(exc).strip().splitlines() or [""])[0]
        try:
            base = _base_row(normalise(config))
        except (TypeError, ValueError):
            base = {"id": "", "config": json.dumps(config, default=str, sort_keys=True)}
        row = {**base, "status": "error", "error": f"{type(exc).__name__}: {message}"}
    return {k: row.get(k, "") for k in ROW_COLUMNS}
