"""Run a grid of experiments through joblib: in this process, on local processes (loky), or
on a Dask cluster; every finished row is written at once and a rerun skips it.

.. code-block:: python

    from bcdnet.experiments import sweep
    grid = {"base": {"dataset": "ccpp"},
            "axes": {"selector": ["most_sensitive", "random"], "split": [0, 1, 2, 3, 4]}}
    rows = sweep(grid, "results/ccpp.csv", n_jobs=2)                 # two local processes
    rows = sweep(grid, "results/ccpp.csv", scheduler="tcp://127.0.0.1:8786")   # a cluster
"""

from __future__ import annotations

import contextlib
import sys
import time

import pandas as pd

from .grid import expand
from .provenance import bcdnet_version
from .run import ROW_COLUMNS, run_row
from .store import ResultStore

__all__ = ["sweep", "read_results", "BACKENDS"]

BACKENDS = ("loky", "threading", "sequential", "dask")
TEXT_COLUMNS = {"id", "status", "error", "version", "commit", "label", "dataset", "hidden",
                "activation", "selector", "optimizer", "stop_reason", "history",
                "history_cpu", "test_curve", "curve_cpu", "predictions", "config"}


@contextlib.contextmanager
def _dask_backend(scheduler):
    """joblib's ``"dask"`` backend on a Client of ``scheduler`` (an address, a Cluster or
    None for a local cluster); dask.distributed is imported only here."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ImportError("backend='dask' needs dask.distributed: pip install "
                          "'bcdnet[dask]'") from None
    import joblib

    with Client(scheduler) as client, joblib.parallel_config(backend="dask"):
        yield client


def _check(n_jobs, backend, reuse):
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (-1: every core); got {n_jobs!r}")
    if reuse not in ("version", "any"):
        raise ValueError(f"reuse must be 'version' or 'any'; got {reuse!r}")


def sweep(grid, out, *, n_jobs: int = 1, backend: str = "loky", scheduler=None,
          data_home=None, reuse: str = "version", progress: bool = True) -> pd.DataFrame:
    """Run every configuration of ``grid`` not yet in ``out``; return the grid's rows.

    Parameters
    ----------
    grid : dict or list
        A grid (:func:`bcdnet.experiments.expand` describes the forms) or a list of configs.
    out : str or os.PathLike
        The CSV file of results; each finished row is appended (and synced to disk) as it
        arrives, so an interrupted sweep keeps its finished rows.
    n_jobs : int, default 1
        Workers (joblib's meaning: -1 is every core).  Each runs BLAS on one thread.
    backend : {"loky", "threading", "sequential", "dask"}, default "loky"
        joblib's backend; ``"dask"`` (implied by ``scheduler``) needs ``bcdnet[dask]``.
    scheduler : str or dask Cluster, optional
        The Dask scheduler's address (``"tcp://host:8786"``) or a cluster object; without it
        ``backend="dask"`` starts a local cluster.
    data_home : str, optional
        Folder of the UCI files on the workers (default ``$BCDNET_DATA``).
    reuse : {"version", "any"}, default "version"
        Which finished rows a rerun keeps: those of this bcdnet version only, or any.
        Error rows are always run again.
    progress : bool, default True
        One line on standard error per finished row.

    Returns
    -------
    pandas.DataFrame
        One row per configuration of the grid, in the grid's order (the latest row of each
        id in ``out``).  ``frame.attrs["ran"]`` and ``["reused"]`` count the rows run now
        and those found in ``out``.
    """
    _check(n_jobs, backend, reuse)
    configs = expand(grid)
    store = ResultStore(out)
    store.open()
    version = bcdnet_version()
    done = {r["id"] for r in store.rows()
            if r["status"] == "ok" and (reuse == "any" or r["version"] == version)}
    todo = [c for c in configs if _id(c) not in done]
    if scheduler is not None:
        backend = "dask"
    started, n = time.perf_counter(), len(todo)
    context = _dask_backend(scheduler) if backend == "dask" else contextlib.nullcontext()
    try:
        with context:
            import joblib

            jobs = joblib.Parallel(n_jobs=n_jobs if backend != "dask" else -1,
                                   backend=None if backend == "dask" else backend,
                                   batch_size=1, return_as="generator_unordered")(
                joblib.delayed(run_row)(c, data_home) for c in todo)
            for k, row in enumerate(jobs, 1):
                store.append(row)
                if progress:
                    _report(k, n, row, time.perf_counter() - started)
    finally:
        store.close()
    frame = read_results(out, configs)
    frame.attrs.update(ran=n, reused=len(configs) - n)
    return frame


def _id(config) -> str:
    from .config import config_id

    return config_id(config)


def _report(k: int, n: int, row: dict, elapsed: float) -> None:
    what = (f"{row['label']}: " if row["label"] else "") + (
        f"{row['dataset']} {row['hidden']} {row['activation']} {row['selector']}/"
        f"{row['optimizer']}")
    result = (f"test R² {float(row['test_r2']):.4f}, {float(row['cpu_s']):.1f} s CPU"
              if row["status"] == "ok" else row["error"])
    print(f"[{k}/{n}] {row['id']} {what} split {row['split']}: {result} "
          f"({elapsed:.0f} s elapsed)", file=sys.stderr, flush=True)


def read_results(path, grid=None) -> pd.DataFrame:
    """The rows of a result file as a DataFrame, numbers parsed, the latest row per id;
    with ``grid``, only its configurations, in its order (missing ones left out)."""
    rows = {r["id"]: r for r in ResultStore(path).rows()}
    if grid is not None:
        rows = {i: rows[i] for i in map(_id, expand(grid)) if i in rows}
    frame = pd.DataFrame(list(rows.values()), columns=ROW_COLUMNS)
    for column in ROW_COLUMNS:
        if column not in TEXT_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame
