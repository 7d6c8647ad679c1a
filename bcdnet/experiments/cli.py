"""``bcdnet sweep GRID_FILE [--n-jobs N] [--scheduler ADDRESS] [--out DIR]``.

Registered in :mod:`bcdnet.cli` by :func:`add_parser`; runs :func:`~bcdnet.experiments.sweep`
on a JSON grid file and writes ``DIR/<grid file name>.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_parser"]


def _sweep(args) -> int:
    from .grid import load_grid
    from .sweep import sweep

    grid_file = Path(args.grid)
    if not grid_file.is_file():
        raise FileNotFoundError(f"grid file not found: {grid_file}")
    out = Path(args.out) / f"{grid_file.stem}.csv"
    try:
        rows = sweep(load_grid(grid_file), out, n_jobs=args.n_jobs, backend=args.backend,
                     scheduler=args.scheduler, data_home=args.data_home,
                     reuse="any" if args.reuse_any_version else "version",
                     progress=not args.quiet)
    except ImportError as exc:                       # dask missing: one line, exit 1
        raise ValueError(str(exc)) from None
    errors = int((rows["status"] != "ok").sum())
    print(f"{len(rows)} rows in {out} ({rows.attrs['ran']} run now, {rows.attrs['reused']} "
          f"reused, {errors} failed)")
    if errors:
        print(f"bcdnet sweep: {errors} configuration(s) failed; their messages are in the "
              "'error' column", file=sys.stderr)
    return 1 if errors else 0


def add_parser(sub) -> None:
    """Add the ``sweep`` subcommand to ``sub`` (an argparse subparsers object)."""
    parser = sub.add_parser(
        "sweep", help="run a grid of experiments in parallel (joblib or Dask)",
        description="Run every configuration of a JSON grid file ({\"base\": {...}, \"axes\": "
                    "{field: [values]}}; see bcdnet.experiments) and append one CSV row per "
                    "finished run to OUT/<grid name>.csv. A rerun skips the rows already "
                    "there (of this bcdnet version) and runs the rest.")
    parser.add_argument("grid", metavar="GRID_FILE", help="the grid, a JSON file")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="local worker processes, each on one BLAS thread; -1: every "
                             "core (default: 1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="a Dask scheduler's address, e.g. tcp://127.0.0.1:8786 (needs "
                             "bcdnet[dask]); the workers need bcdnet and the data")
    parser.add_argument("--backend", default="loky",
                        choices=["loky", "threading", "sequential", "dask"],
                        help="joblib backend without --scheduler (default: loky)")
    parser.add_argument("--out", default="bcdnet-sweeps",
                        help="folder of the result file (default: ./bcdnet-sweeps)")
    parser.add_argument("--data-home", default=None,
                        help="folder with the UCI files (default: $BCDNET_DATA)")
    parser.add_argument("--reuse-any-version", action="store_true",
                        help="keep rows written by other bcdnet versions")
    parser.add_argument("--quiet", action="store_true", help="no line per finished row")
    parser.set_defaults(func=_sweep)
