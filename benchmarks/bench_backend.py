"""NumPy against CuPy: loss_grad, the Hessian-vector product and a short training run.

``python -m benchmarks backend [--quick]`` writes ``benchmarks/results/backend.md`` (quick mode:
``backend-quick.md``).  For growing numbers of rows N and hidden widths it times, on each
backend that is usable here,

* ``loss_grad``: one evaluation of :math:`(E, \\nabla E)` of the whole network (a block
  objective over all layers, so the data are validated and moved once, as in training),
* ``hvp``: one exact Hessian-vector product,
* ``train``: a Trainer run, 3 visits of 10 L-BFGS iterations to every layer at once,

on NumPy (float64), the strict test namespace (float64: NumPy plus the wrapper's overhead),
and CuPy in float64 and float32 when CuPy and a CUDA device are usable.  GPU timings
synchronise the device after each call.  On a machine without CuPy the report says so and
holds the CPU columns only.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bcdnet as bn  # noqa: E402
from bcdnet import backend  # noqa: E402
from bcdnet._atomic import atomic_write  # noqa: E402
from benchmarks._common import load_average, one_thread, threads_note  # noqa: E402
from benchmarks._machine import machine_description  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
import strict_namespace  # noqa: E402,F401  (registers the test-only "strict" backend)

#: (label, backend name, dtype) of every column that can run here
COLUMNS = [("numpy f64", "numpy", "float64"), ("strict f64", "strict", "float64"),
           ("cupy f64", "cupy", "float64"), ("cupy f32", "cupy", "float32")]
FUNCTIONS = ("loss_grad", "hvp", "train")


def grid(quick: bool):
    """(N, width) pairs, and repeats per timing."""
    if quick:
        return [(200, 8), (1000, 32)], 3
    return [(1000, 10), (1000, 100), (10000, 10), (10000, 100), (10000, 300),
            (50000, 100), (50000, 300)], 5


def cupy_status() -> str | None:
    """None when CuPy runs here, else why not (the backend's own message)."""
    try:
        backend.get_namespace("cupy")
        return None
    except ImportError as exc:
        return str(exc)


def _synchronise(xp):
    if backend.backend_name(xp) == "cupy":
        xp.cuda.get_current_stream().synchronize()


def _median(fn, xp, repeats: int) -> float:
    fn()                                    # warm-up: allocations, kernel compilation
    _synchronise(xp)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _synchronise(xp)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(n_rows: int, width: int, name: str, dtype: str, repeats: int) -> dict:
    """Seconds per call of each function on one backend and dtype."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, (n_rows, 8))
    Y = np.sin(X @ rng.standard_normal((8, 1)))
    sizes = [8, width, width, width, 1]
    net = bn.Network.mlp(sizes, seed=0, backend=name, dtype=dtype)
    xp = net.xp
    Xd, Yd = backend.asarray(X, xp, net.dtype), backend.asarray(Y, xp, net.dtype)
    obj = net.block_objective(net.block_covering(0, len(net.layers) - 1), Xd, Yd)
    x = obj.x0()
    v = backend.asarray(rng.standard_normal(obj.size), xp, net.dtype)

    def train():
        net.initialize(0)
        bn.Trainer(bn.optim.LBFGS(max_iter=10), "all", max_iter=3, tol=0.0,
                   sensitivity_tol=None, progress=False).fit(net, Xd, Yd)

    return {"n_params": net.n_params,
            "loss_grad": _median(lambda: obj(x), xp, repeats),
            "hvp": _median(lambda: obj.hvp(x, v), xp, repeats),
            "train": _median(train, xp, max(1, repeats // 2))}


def run(quick: bool = False, out_dir=ROOT / "benchmarks" / "results") -> dict:
    """Time every (N, width, function) on every usable backend; write the report."""
    start, load_before = time.perf_counter(), load_average()
    why_no_cupy = cupy_status()
    columns = [c for c in COLUMNS if c[1] != "cupy" or why_no_cupy is None]
    points, repeats = grid(quick)
    rows = []
    with one_thread():
        for n_rows, width in points:
            for label, name, dtype in columns:
                times = measure(n_rows, width, name, dtype, repeats)
                rows.append({"N": n_rows, "width": width, "column": label, **times})
    results = {"quick": quick, "rows": rows, "columns": [c[0] for c in columns],
               "why_no_cupy": why_no_cupy, "seconds": time.perf_counter() - start,
               "load_before": load_before}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ("backend-quick.md" if quick else "backend.md")
    atomic_write(target, report(results))
    results["path"] = target
    return results


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.3g}"


def report(results: dict) -> str:
    quick, columns = results["quick"], results["columns"]
    lines = ["# Backends: NumPy against CuPy", "",
             "Written by `python -m benchmarks backend" + (" --quick`" if quick else "`")
             + (" — **quick mode: tiny sizes, numbers not meaningful**" if quick else "") + ".",
             "", "Milliseconds per call (median); network 8-w-w-w-1, tanh; `train` is "
             "3 visits of 10 L-BFGS iterations to all layers.  `strict` is the test "
             "namespace (NumPy underneath): its column is the wrapper's overhead, plus "
             "`numpy.matmul` where NumPy arrays take the in-place BLAS gemm route.", ""]
    if results["why_no_cupy"] is not None:
        lines += [f"**CuPy was unavailable on this machine**, so only the CPU columns were "
                  f"measured: {results['why_no_cupy']}", ""]
    by_point: dict = {}
    for row in results["rows"]:
        by_point.setdefault((row["N"], row["width"]), {})[row["column"]] = row
    header = "| N | width | parameters | function | " + " | ".join(columns)
    speedup = [c for c in columns if c.startswith("cupy")]
    header += "".join(f" | {c} speed-up" for c in speedup) + " |"
    lines += [header, "|" + "---:|" * (4 + len(columns) + len(speedup))]
    for (n_rows, width), cells in by_point.items():
        n_params = next(iter(cells.values()))["n_params"]
        for fn in FUNCTIONS:
            base = cells["numpy f64"][fn]
            values = " | ".join(_ms(cells[c][fn]) for c in columns)
            ratios = "".join(f" | {base / cells[c][fn]:.2f}×" for c in speedup)
            lines.append(f"| {n_rows} | {width} | {n_params} | {fn} | {values}{ratios} |")
    if "strict f64" in columns:
        ratios = [row[fn] / by_point[(row["N"], row["width"])]["numpy f64"][fn]
                  for row in results["rows"] if row["column"] == "strict f64"
                  for fn in ("loss_grad", "hvp")]
        lines += ["", f"Strict over NumPy (loss_grad and hvp): median "
                      f"{statistics.median(ratios):.2f}×, largest {max(ratios):.2f}×."]
    lines += ["", "## Machine", "", machine_description(),
              f"- During the runs: {threads_note()}",
              f"- Load average before the run: {results['load_before']}; after: "
              f"{load_average()}",
              f"- Whole benchmark: {results['seconds']:.1f} s wall", ""]
    return "\n".join(lines)
