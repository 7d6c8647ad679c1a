"""Serial against parallel wall time of one sweep: the Paper B grid with 1 and N workers.

.. code-block:: text

    python -m benchmarks.speedup [--quick] [--n-jobs 2] [--sample K [--sample-seed S]]
                                 [--grid-wall SECONDS] [--grid-rows CSV]
                                 [--out-dir DIR] [--data-home DIR]

Runs the grid of ``paper-b-grid`` twice from scratch (two fresh result files, nothing
reused): once on one process, once on ``--n-jobs`` loky workers, each on one BLAS
thread; checks that both give the same rows (timing columns aside) and writes
``<out-dir>/sweep-speedup.md`` with the two wall times and their ratio (target ≤ 0.6 for
two workers).  Needs a quiet machine with at least ``--n-jobs`` free cores: on a shared
one the ratio measures the neighbours.  ``--quick`` uses the quick grid (256 tiny runs, so
the overhead per run dominates): a test of the command, not a measurement.

The whole grid takes hours serially.  ``--sample K`` times the same ``K`` configurations,
drawn without replacement by a seeded generator (kept in grid order), both ways: a
measured ratio on a uniform sample of the grid.  ``--grid-wall`` adds the measured wall
time of the whole grid on ``--n-jobs`` workers (the ``paper-b-grid`` run) beside the
sample's serial time scaled to the grid, which the report labels an estimate;
``--grid-rows`` (that run's sweep file) scales by its per-run times rather than by the
count, and checks the sample's rows against the same runs there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bcdnet.experiments import ROW_COLUMNS, TIMING_COLUMNS, expand, read_results, sweep  # noqa: E402
from benchmarks import _common as C  # noqa: E402
from benchmarks.bench_paper_b_grid import budgets, grid  # noqa: E402


def sample(configs: list, k, seed: int = 0) -> list:
    """``k`` of ``configs`` drawn without replacement by ``numpy.random.default_rng(seed)``,
    in their grid order (all of them when ``k`` is None or not smaller)."""
    if k is None or k >= len(configs):
        return list(configs)
    if k < 1:
        raise ValueError(f"sample: expected a positive number of configurations, got {k}")
    keep = np.sort(np.random.default_rng(seed).choice(len(configs), size=k, replace=False))
    return [configs[i] for i in keep]


def _whole_grid(serial, rows, n_all, n_jobs, grid_wall=None, grid_rows=None) -> list[str]:
    """Lines that carry a sample's serial time to the whole grid (an estimate).

    Without the whole grid's rows: ``serial × n_all / k``.  With them (``grid_rows``, the
    sweep file of the whole grid on ``n_jobs`` workers): the ratio estimator
    ``serial × Σ_grid wall_s / Σ_sample wall_s``, both sums over that file's per-run times,
    which corrects for a sample that drew more long or short runs than its share.
    """
    k = len(rows)
    if grid_rows is None:
        scaled, how = serial * n_all / k, f"×{n_all}/{k}"
    else:
        whole = read_results(grid_rows)
        mine = whole[whole["id"].isin(rows["id"])]
        if len(mine) != k or len(whole) < n_all:
            raise ValueError(f"grid_rows: expected the whole grid's {n_all} rows with the "
                             f"sample's {k}, got {len(whole)} rows holding {len(mine)}")
        factor = whole["wall_s"].sum() / mine["wall_s"].sum()
        scaled, how = serial * factor, (f"×{factor:.2f}, the whole grid's summed per-run "
                                        f"time over the sample's, in `{Path(grid_rows).name}`")
        keep = [c for c in ROW_COLUMNS if c not in TIMING_COLUMNS and c != "commit"]
        same = (rows.set_index("id")[keep[1:]].sort_index()
                .equals(mine.set_index("id")[keep[1:]].sort_index()))
    lines = [f"- The serial time scaled to the whole grid ({how}): {scaled:.0f} s, an "
             "**estimate**" + (f"; the whole grid measured on {n_jobs} workers took "
                               f"{grid_wall:.0f} s, **{grid_wall / scaled:.3f}** of that "
                               "estimate." if grid_wall else ".")]
    if grid_rows is not None:
        lines.append(f"- The sample's serial rows identical to the same runs in the whole "
                     f"grid's sweep (timing and commit columns aside): "
                     f"{'yes' if same else '**no**'}.")
    return lines + [""]


def measure(quick: bool = False, n_jobs: int = 2, out_dir=C.RESULTS, data_home=None,
            progress: bool = True, k=None, seed: int = 0, grid_wall=None,
            grid_rows=None) -> dict:
    """Time the grid (or ``k`` of its configurations) serially and on ``n_jobs`` workers;
    write and return the report."""
    load, clock, b = C.load_average(), C.Clock(), budgets(quick)
    out_dir = C.report_dir(out_dir, quick)
    every = expand(grid(b))
    spec = sample(every, k, seed)
    part = len(spec) < len(every)
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
    what = (f"{len(spec)} of the {len(every)} runs of `paper-b-grid` (drawn uniformly "
            f"without replacement, generator seed {seed})" if part
            else f"The {len(spec)} runs of `paper-b-grid`")
    flags = f"--n-jobs {n_jobs}" + (f" --sample {len(spec)} --sample-seed {seed}" if part
                                    else "") + (f" --grid-wall {grid_wall:g}" if grid_wall
                                                else "") + (
        f" --grid-rows {Path(grid_rows).name}" if grid_rows else "")
    lines = C.header(
        f"Sweep speed-up: the Paper B grid on 1 and {n_jobs} workers", flags,
        quick, f"{what} swept twice from scratch, serially and on {n_jobs} loky workers, one "
        "BLAS thread each.", budgets=b, command="python -m benchmarks.speedup")
    lines += ["## Result", "",
              C.md_table([{"jobs": 1, "wall": walls[1]}, {"jobs": n_jobs, "wall": walls[n_jobs]}],
                         {"jobs": "workers", "wall": "wall time [s]"}, {"wall": ".1f"}), "",
              f"- Ratio parallel / serial: **{ratio:.3f}** (target ≤ 0.6 with two workers: "
              f"{'met' if ratio <= 0.6 else '**not met**'}"
              + ("; quick grid, overhead-bound: not a measurement" if quick else "") + ").",
              f"- Rows identical apart from the timing columns: {'yes' if same else '**no**'}; "
              f"failed runs: {failed}.", ""]
    if part:
        lines += _whole_grid(walls[1], rows[1], len(every), n_jobs, grid_wall, grid_rows)
    lines += C.machine_section(clock.wall, load)
    path = C.write_text(Path(out_dir) / "sweep-speedup.md", "\n".join(lines))
    return {"path": path, "serial_s": walls[1], "parallel_s": walls[n_jobs], "ratio": ratio,
            "identical": same, "failed": failed, "runs": len(spec)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speedup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the quick grid (a test run)")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--sample", type=int, default=None, metavar="K",
                        help="time K configurations drawn from the grid (default: all)")
    parser.add_argument("--sample-seed", type=int, default=0, help="the draw's seed")
    parser.add_argument("--grid-wall", type=float, default=None, metavar="SECONDS",
                        help="the whole grid's measured wall time on --n-jobs workers")
    parser.add_argument("--grid-rows", default=None, metavar="CSV",
                        help="the whole grid's sweep file, to scale the sample by its "
                             "per-run times")
    parser.add_argument("--out-dir", default=str(C.RESULTS),
                        help="folder of sweep-speedup.md (default: benchmarks/results)")
    parser.add_argument("--data-home", default=None, help="the UCI files (default "
                                                          "$BCDNET_DATA)")
    args = parser.parse_args(argv)
    r = measure(args.quick, args.n_jobs, args.out_dir, args.data_home, k=args.sample,
                seed=args.sample_seed, grid_wall=args.grid_wall, grid_rows=args.grid_rows)
    print(f"serial {r['serial_s']:.1f} s, {args.n_jobs} workers {r['parallel_s']:.1f} s, "
          f"ratio {r['ratio']:.3f}; rows identical: {r['identical']}; wrote {r['path']}")
    return 0 if r["identical"] and not r["failed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
