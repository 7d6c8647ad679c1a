"""Serial against parallel wall time of one sweep: the Paper B grid with 1 and N workers.

.. code-block:: text

    python -m benchmarks.speedup [--quick] [--n-jobs 2] [--out-dir DIR] [--data-home DIR]

Runs the grid of ``paper-b-grid`` twice from scratch (two fresh result files, nothing
reused): once on one process, once on ``--n-jobs`` loky workers, each on one BLAS
thread; checks that both give the same rows (timing columns aside) and writes
``<out-dir>/sweep-speedup.md`` with the two wall times and their ratio (target ≤ 0.6 for
two workers).  Needs a quiet machine with at least ``--n-jobs`` free cores: on a shared
one the ratio measures the neighbours.  ``--quick`` uses the quick grid (256 tiny runs, so
the overhead per run dominates): a test of the command, not a measurement.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bcdnet.experiments import ROW_COLUMNS, TIMING_COLUMNS, sweep  # noqa: E402
from benchmarks import _common as C  # noqa: E402
from benchmarks.bench_paper_b_grid import budgets, grid  # noqa: E402


def measure(quick: bool = False, n_jobs: int = 2, out_dir=C.RESULTS, data_home=None,
            progress: bool = True) -> dict:
    """Time the grid serially and on ``n_jobs`` workers; write and return the report."""
    load, clock, b = C.load_average(), C.Clock(), budgets(quick)
    out_dir = C.report_dir(out_dir, quick)
    spec = grid(b)
    walls, rows = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for jobs in (1, n_jobs):
            start = time.perf_counter()
            rows[jobs] = sweep(spec, Path(scratch) / f"n_jobs_{jobs}.csv", n_jobs=jobs,
                               data_home=data_home, progress=progress)
            walls[jobs] = time.perf_counter() - start
    keep = [c for c in ROW_COLUMNS if c not in TIMING_COLUMNS]
    same = rows[1][keep].equals(rows[n_jobs][keep])
    failed = int((rows[1]["status"] != "ok").sum())
    ratio = walls[n_jobs] / walls[1]
    lines = C.header(
        f"Sweep speed-up: the Paper B grid on 1 and {n_jobs} workers", f"--n-jobs {n_jobs}",
        quick, f"The {len(rows[1])} runs of `paper-b-grid` swept twice from scratch, serially and "
        f"on {n_jobs} loky workers, one BLAS thread each.", budgets=b,
        command="python -m benchmarks.speedup")
    lines += ["## Result", "",
              C.md_table([{"jobs": 1, "wall": walls[1]}, {"jobs": n_jobs, "wall": walls[n_jobs]}],
                         {"jobs": "workers", "wall": "wall time [s]"}, {"wall": ".1f"}), "",
              f"- Ratio parallel / serial: **{ratio:.3f}** (target ≤ 0.6 with two workers: "
              f"{'met' if ratio <= 0.6 else '**not met**'}"
              + ("; quick grid, overhead-bound: not a measurement" if quick else "") + ").",
              f"- Rows identical apart from the timing columns: {'yes' if same else '**no**'}; "
              f"failed runs: {failed}.", ""]
    lines += C.machine_section(clock.wall, load)
    path = C.write_text(Path(out_dir) / "sweep-speedup.md", "\n".join(lines))
    return {"path": path, "serial_s": walls[1], "parallel_s": walls[n_jobs], "ratio": ratio,
            "identical": same, "failed": failed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speedup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the quick grid (a test run)")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--out-dir", default=str(C.RESULTS),
                        help="folder of sweep-speedup.md (default: benchmarks/results)")
    parser.add_argument("--data-home", default=None, help="the UCI files (default "
                                                          "$BCDNET_DATA)")
    args = parser.parse_args(argv)
    r = measure(args.quick, args.n_jobs, args.out_dir, args.data_home)
    print(f"serial {r['serial_s']:.1f} s, {args.n_jobs} workers {r['parallel_s']:.1f} s, "
          f"ratio {r['ratio']:.3f}; rows identical: {r['identical']}; wrote {r['path']}")
    return 0 if r["identical"] and not r["failed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
