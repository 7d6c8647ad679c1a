"""What the paper benchmarks share: data splits, metrics, one BLAS thread, reports on disk.

Every paper benchmark standardises inputs and targets with statistics of its training rows,
trains on the standardised data, and reports metrics in the targets' own units (MSE in MW²
for CCPP) except Paper A's tables, whose MSE is on standardised targets as in the paper.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bcdnet._cpu import process_time
from bcdnet.datasets import (Standardizer, load_ccpp, load_steel, make_cstr, repeated_splits,
                             train_test_split)
from bcdnet._atomic import atomic_write

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: where ``--quick`` reports go unless another folder is named: never the committed results
SCRATCH = Path(tempfile.gettempdir()) / "bcdnet-benchmarks-quick"

try:
    from threadpoolctl import threadpool_limits
except ImportError:                                    # timings then use the BLAS default
    threadpool_limits = None


@contextlib.contextmanager
def one_thread():
    """Run NumPy's BLAS (and PyTorch) on one thread.

    The matrices here are thin (a few neurons wide): a second BLAS thread costs more in
    synchronisation than it gains, and on a shared 2-core machine it makes timings erratic
    (a 20-layer gradient took 28 ms with two threads under load and 8 ms with one).
    """
    torch_threads = None
    try:
        import torch
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(1)
    except ImportError:
        pass
    limits = (threadpool_limits(limits=1, user_api="blas") if threadpool_limits
              else contextlib.nullcontext())
    try:
        with limits:
            yield
    finally:
        if torch_threads is not None:
            import torch
            torch.set_num_threads(torch_threads)


def threads_note() -> str:
    return ("BLAS and PyTorch on one thread each" if threadpool_limits
            else "PyTorch on one thread; BLAS threads not limited (threadpoolctl missing)")


@dataclass
class Split:
    """One standardised train/test split; ``sy`` maps predictions back to the target units."""

    X: np.ndarray
    Y: np.ndarray
    Xt: np.ndarray
    Yt: np.ndarray
    sx: Standardizer
    sy: Standardizer
    target_names: list
    seed: int

    def unscale(self, Ys):
        return self.sy.inverse_transform(Ys)

    @property
    def Y_raw(self):
        return self.sy.inverse_transform(self.Y)

    @property
    def Yt_raw(self):
        return self.sy.inverse_transform(self.Yt)


def load_dataset(name: str, data_home=None):
    """The Dataset ``name`` (cstr, ccpp or steel)."""
    if name == "cstr":
        return make_cstr()
    loader = {"ccpp": load_ccpp, "steel": load_steel}[name]
    return loader(data_home=data_home)


def _standardise(train, test, seed) -> Split:
    X, Y = train.to_numpy()
    Xt, Yt = test.to_numpy()
    sx, sy = Standardizer().fit(X), Standardizer().fit(Y)
    return Split(sx.transform(X), sy.transform(Y), sx.transform(Xt), sy.transform(Yt), sx, sy,
                 train.target_names, seed)


def split(dataset, seed: int = 0, test_size: float = 0.2) -> Split:
    """One seeded 80/20 split of a Dataset, standardised on its training rows."""
    train, test = train_test_split(dataset, test_size=test_size, seed=seed)
    return _standardise(train, test, seed)


def splits(dataset, n_splits: int, seed: int = 0, test_size: float = 0.2) -> list[Split]:
    """``n_splits`` randomised splits (Paper B's "randomised test sets")."""
    return [_standardise(tr, te, seed * 1000 + k) for k, (tr, te) in
            enumerate(repeated_splits(dataset, n_splits, test_size=test_size, seed=seed))]


def scores(data: Split, predict, units: bool = True) -> dict:
    """R², MSE and MAE on the training and the test rows.

    ``predict(X) -> Y`` works on standardised data; ``units=True`` reports in the targets'
    units, otherwise on the standardised targets (Paper A's tables).
    """
    from bcdnet.experiments.run import split_scores

    return split_scores(predict, data.X, data.Y, data.Xt, data.Yt, data.sy, units)


class Clock:
    """CPU and wall seconds since construction (CPU of this process, all threads)."""

    def __init__(self):
        self.cpu0, self.wall0 = process_time(), time.perf_counter()

    @property
    def cpu(self) -> float:
        return process_time() - self.cpu0

    @property
    def wall(self) -> float:
        return time.perf_counter() - self.wall0


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min)"
    except OSError:
        return "unknown"


# ---------------------------------------------------------------- writing reports
def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file, then ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    return path


def write_csv(path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as CSV atomically."""
    return write_text(path, frame.to_csv(index=False))


def fmt(value, spec: str = ".4g") -> str:
    """A table cell: numbers formatted by ``spec``, NaN and None as a dash."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return format(float(value), spec)
    return str(value)


def md_table(rows, columns: dict, specs: dict | None = None) -> str:
    """A Markdown table of ``rows`` (dicts or a DataFrame); ``columns`` maps key -> header."""
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    specs = specs or {}
    head = "| " + " | ".join(columns.values()) + " |"
    text = [i == 0 or any(isinstance(r.get(k), str) and r.get(k)[:1] not in "–-" and
                          not r.get(k)[:1].isdigit() for r in rows)
            for i, k in enumerate(columns)]
    rule = "|" + "|".join("---" if t else "---:" for t in text) + "|"
    body = ["| " + " | ".join(fmt(r.get(k), specs.get(k, ".4g")) for k in columns) + " |"
            for r in rows]
    return "\n".join([head, rule, *body])


def mean_std(frame: pd.DataFrame, by: str, metrics: list[str]) -> pd.DataFrame:
    """Mean and standard deviation (ddof=1) of each metric per group, groups in first order."""
    order = list(dict.fromkeys(frame[by]))
    agg = frame.groupby(by, sort=False)[metrics].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    agg = agg.reindex(order).reset_index()
    agg["n"] = frame.groupby(by, sort=False).size().reindex(order).to_numpy()
    return agg


def pm(row, metric: str, spec: str = ".4f") -> str:
    """``mean ± std`` of ``metric`` from a :func:`mean_std` row."""
    return f"{fmt(row[f'{metric}_mean'], spec)} ± {fmt(row[f'{metric}_std'], spec)}"


def report_dir(out_dir, quick: bool) -> Path:
    """The folder a report goes to: ``out_dir``, except that a quick run aimed at the
    committed ``benchmarks/results/`` goes to :data:`SCRATCH` instead."""
    out_dir = Path(out_dir)
    if quick and out_dir.resolve() == RESULTS.resolve():
        return SCRATCH
    return out_dir


#: the Paper B reports, which run with Paper B's sensitivity tolerance off (see header)
PAPER_B_REPORTS = ("ccpp-activations", "ccpp-strategies", "ccpp-optimizers", "bcd-icrs",
                   "timings", "paper-b-grid")
SENSITIVITY_TOL_NOTE = (
    "Paper B's sensitivity tolerance (stop when the sensitivity falls below 10 × the "
    "projected-gradient tolerance) is off in these runs (`sensitivity_tol=None`): every run "
    "spends the same budget of visits, so strategies, activations and optimizers are compared "
    "at equal cost and their curves cover the budget.  The tolerance itself works in every "
    "mode, batch shells included (`tests/training/test_sensitivity_tolerance.py`).")


def header(title: str, name: str, quick: bool, intro: str, budgets=None,
           command: str = "python -m benchmarks") -> list[str]:
    """The first lines of a report: title, the command and commit that wrote it, the
    budgets of this run (with ``quick``, said to be tiny), an introduction."""
    from bcdnet.experiments import bcdnet_version, git_commit

    lines = [f"# {title}", "",
             f"Written by `{command} {name}{' --quick' if quick else ''}` at "
             f"commit `{git_commit()}` (bcdnet {bcdnet_version()})"
             + (" — **quick mode: tiny budgets, numbers not meaningful**" if quick else "")
             + "."]
    lines += sweep_note(name)
    if name in PAPER_B_REPORTS:
        lines += ["", SENSITIVITY_TOL_NOTE]
    if budgets:
        listed = ", ".join(f"{k} {json.dumps(v)}" for k, v in budgets.items())
        lines += ["", f"Budgets of this run{' (quick)' if quick else ''}: {listed}."]
    return lines + ["", intro, ""]


#: what :func:`sweep_rows` ran for each report being written, until its header reads it
SWEEPS: dict = {}


def _finished_ids(path: Path) -> set:
    """Ids of the finished rows already in a sweep file (those a rerun may reuse)."""
    if not path.exists():
        return set()
    done = pd.read_csv(path, usecols=["id", "status"], dtype=str)
    return set(done.loc[done["status"] == "ok", "id"])


def sweep_note(name: str) -> list[str]:
    """How this report's runs were computed: the commits in their rows, how many ran at
    once and how many came from the sweep file of an earlier invocation.  CPU seconds are
    each run's own process time; runs sharing the cores can each take longer than alone.
    Takes the entry out of :data:`SWEEPS`, so a report run again in this process starts
    afresh."""
    done = SWEEPS.pop(name, None)
    if done is None:
        return []
    rows, n_jobs = done["rows"], done["n_jobs"]
    commits = sorted({str(c)[:7] + ("+dirty" if str(c).endswith("+dirty") else "")
                      for c in rows["commit"].dropna()})
    where = (f"on the Dask scheduler at {done['scheduler']}" if done["scheduler"] else
             f"{n_jobs} at a time in local worker processes" if n_jobs > 1 else
             "one at a time")
    text = (f"Our {len(rows)} runs went through `bcdnet.experiments.sweep` ({where}, one BLAS "
            f"thread each; rows in `sweeps/{done['file']}`, computed at commit "
            f"{', '.join(f'`{c}`' for c in commits) or 'unknown'}")
    if done["reused"]:
        text += f"; {done['reused']} of them reused from that file"
    text += ")."
    if n_jobs > 1 and not done["scheduler"]:
        text += (f" Their CPU seconds are each run's own process time while {n_jobs} ran at "
                 "once; the peers in this report ran afterwards, one at a time.")
    return ["", text]


def sweep_rows(name, configs, out_dir, n_jobs=1, scheduler=None, data_home=None,
               report=None):
    """Run ``configs`` through :func:`bcdnet.experiments.sweep` into
    ``<out_dir>/sweeps/<name>.csv`` (finished rows of this version are reused, so a rerun
    only rebuilds the report) and return the rows; what ran is kept in :data:`SWEEPS`
    under ``report`` (default ``name``) for :func:`sweep_note`.

    Raises RuntimeError naming the failed runs, after the others have finished.
    """
    from bcdnet.experiments import sweep

    path = Path(out_dir) / "sweeps" / f"{name}.csv"
    reused = _finished_ids(path)
    rows = sweep(configs, path, n_jobs=n_jobs, scheduler=scheduler, data_home=data_home)
    report = report or name
    held = SWEEPS.get(report, {"rows": rows.iloc[:0], "reused": 0})
    SWEEPS[report] = {"rows": pd.concat([held["rows"], rows], ignore_index=True),
                      "n_jobs": n_jobs, "scheduler": scheduler, "file": path.name,
                      "reused": held["reused"] + int(rows["id"].isin(reused).sum())}
    failed = rows[rows["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"{name}: {len(failed)} of {len(rows)} runs failed, e.g. "
                           f"{failed['label'].iloc[0]!r}: {failed['error'].iloc[0]}")
    return rows


def history_frame(row) -> pd.DataFrame:
    """A sweep row's recorded history (``record: ["history"]``) as a Trainer history:
    iteration 0 (the start) then one row per BCD iteration, with cumulative ``cpu_s``."""
    h = json.loads(row["history"])
    cpu = json.loads(row["history_cpu"])
    frame = pd.DataFrame({"iteration": range(1, len(cpu) + 1), **h, "cpu_s": cpu})
    start = pd.DataFrame({"iteration": [0], "train_loss": [row["start_loss"]],
                          "cpu_s": [0.0]})
    frame = pd.concat([start, frame], ignore_index=True)
    frame["val_loss"] = np.nan
    return frame


def curve(row) -> list:
    """A sweep row's test curve (``record: ["test_curve"]``) as ``[(cpu_s, {"test_r2":
    r2}), ...]``, the form of :attr:`Run.curve`."""
    return [(c, {"test_r2": np.nan if r is None else r}) for c, r in
            zip(json.loads(row["curve_cpu"]), json.loads(row["test_curve"]))]


def first_reach(curve, target) -> float:
    """CPU seconds of the first point of ``curve`` with test R² ≥ ``target`` (NaN if never)."""
    for cpu, m in curve:
        if m["test_r2"] >= target:
            return cpu
    return float("nan")


def co2_note(data_home=None) -> list[str]:
    """Why the steel data is nearly linear: the correlation of its CO2 column with the
    target (Usage_kWh), computed from the data (Paper B does not mention it)."""
    data = load_dataset("steel", data_home)
    co2 = [c for c in data.X.columns if c.lower().startswith("co2")]
    if not co2:
        return []
    r = float(np.corrcoef(data.X[co2[0]].to_numpy(float),
                          data.y.iloc[:, 0].to_numpy(float))[0, 1])
    return ["### The steel data is nearly linear", "",
            f"The steel data's `{co2[0]}` column correlates {r:.3f} with the target "
            f"`{data.y.columns[0]}` over all {len(data.X):,} rows (Pearson): one input alone "
            f"explains R² = {r * r:.3f} of the target's variance (the emissions are "
            "presumably derived from the energy used), so the problem is close to linear: "
            "linear least squares already scores a high R², and differences between "
            "optimizers or selection strategies on steel say little. Compare every network "
            "with the linear reference."]


def predictions(row) -> np.ndarray:
    """A sweep row's test predictions (``record: ["predictions"]``), shape (n_test, n_out)."""
    return np.asarray(json.loads(row["predictions"]), dtype=float)


def finish_report(name, quick, frame, lines, load, clock, out_dir) -> dict:
    """Write ``<name>.csv`` and ``<name>.md`` (``lines`` plus the machine) into ``out_dir``;
    return the benchmark's result record."""
    out_dir = Path(out_dir)
    write_csv(out_dir / f"{name}.csv", frame)
    path = write_text(out_dir / f"{name}.md", "\n".join(lines + machine_section(clock.wall, load)))
    return {"name": name, "quick": quick, "frame": frame, "path": path, "seconds": clock.wall}


def machine_section(seconds: float, load_before: str) -> list[str]:
    from benchmarks._machine import machine_description

    return ["## Machine", "", machine_description(), f"- During the runs: {threads_note()}",
            f"- Load average before the run: {load_before}; after: {load_average()}",
            f"- Whole benchmark: {seconds:.1f} s wall", ""]


# ---------------------------------------------------------------- our runs
@dataclass
class Run:
    """A finished bcdnet run: the trained network, its history and its cost."""

    net: object
    history: pd.DataFrame
    cpu_s: float
    wall_s: float
    stop_reason: str
    curve: list          # (cpu_s, monitor dict) after each iteration, monitor time excluded

    def predict(self, X):
        return self.net.predict(X)


def fit(trainer, start, data: Split, monitor=None, validation=None) -> Run:
    """Train a copy of ``start`` on ``data`` with ``trainer``.

    ``monitor(predict) -> dict`` runs after every iteration (e.g. test R²); its own time is
    subtracted from the CPU clock, so curves and totals show training time only.
    """
    net = start.copy()
    spent, curve, offsets = [0.0], [], {}

    def watch(row):
        c0 = process_time()
        offsets[row["iteration"]] = spent[0]
        curve.append((row["cpu_s"] - spent[0], monitor(net.predict)))
        spent[0] += process_time() - c0

    trainer.callbacks = [watch] if monitor is not None else []
    trainer.progress = False
    clock = Clock()
    result = trainer.fit(net, data.X, data.Y, validation=validation)
    history = result.history.copy()
    history["cpu_s"] -= history["iteration"].map(offsets).fillna(0.0)
    return Run(net, history, clock.cpu - spent[0], clock.wall, result.stop_reason, curve)
