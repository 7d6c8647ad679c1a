"""``python -m benchmarks <name> [--quick]``: run one benchmark (or ``all``) and write its report.

Each benchmark writes ``<out-dir>/<name>.md`` (plus CSV and PNG files) with the papers'
values beside ours, peers where installed, and the machine described.  ``--quick`` runs tiny
budgets in seconds (what the test suite does) into a scratch folder; the committed reports
are full runs.  The paper benchmarks run their bcdnet experiments through
``bcdnet.experiments.sweep`` (``--n-jobs``, ``--scheduler``) into ``<out-dir>/sweeps/``, and a
rerun rebuilds a report from the rows already there.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: name -> (module, function, one-line description, needs the UCI data)
BENCHMARKS = {
    "core": ("benchmarks.bench_core", "run",
             "throughput of loss_grad, HVP and block gradients against PyTorch and "
             "scikit-learn", False),
    "optim": ("benchmarks.bench_optim", "run",
              "L-BFGS against SciPy, Barzilai-Borwein against GD, ICRS, cost per iteration",
              False),
    "table2": ("benchmarks.bench_paper_a", "run_table2",
               "Paper A Table 2: CSTR 4-(5x20)-2, backpropagation against bisection BCD",
               False),
    "table3": ("benchmarks.bench_paper_a", "run_table3",
               "Paper A Table 3: CSTR 4-(5x50)-2, backpropagation against bisection BCD",
               False),
    "ccpp-activations": ("benchmarks.bench_ccpp", "run_activations",
                         "Paper B Fig. 2: sigmoid, tanh, ReLU, LeakyReLU on CCPP", True),
    "ccpp-strategies": ("benchmarks.bench_ccpp", "run_strategies",
                        "Paper B Fig. 3: the four layer-selection strategies on CCPP", True),
    "ccpp-optimizers": ("benchmarks.bench_ccpp", "run_optimizers",
                        "Paper B Fig. 4: ICRS, L-BFGS, Adam, Barzilai-Borwein on CCPP", True),
    "bcd-icrs": ("benchmarks.bench_icrs", "run_bcd_icrs",
                 "Paper B Figs. 5-6: with and without BCD-ICRS on CCPP and steel", True),
    "paper-b-grid": ("benchmarks.bench_paper_b_grid", "run",
                     "Paper B's grid: 4 strategies x 4 activations x 4 sizes on CCPP and "
                     "steel, 5 splits (640 runs; use --n-jobs)", True),
    "timings": ("benchmarks.bench_icrs", "run_timings",
                "Paper B's timings: L-BFGS against BCD-ICRS, time to a given R2", True),
    "regressor": ("benchmarks.bench_regressor", "run",
                  "BCDRegressor's defaults on CCPP against PyTorch L-BFGS and scikit-learn",
                  True),
    "backend": ("benchmarks.bench_backend", "run",
                "NumPy against CuPy (float64, float32) for loss_grad, HVP and training",
                False),
    "hybrid": ("benchmarks.bench_hybrid", "run",
               "hybrid BCD (Paper B's, our adaptive one) against end-to-end L-BFGS: time to "
               "end-to-end's test metric on CCPP, steel and the 20/50-layer CSTR", True),
    "summary": ("benchmarks.summary", "run",
                "rebuild BENCHMARKS.md from the CSV files of the benchmarks above", False),
}

DEFAULT_OUT = ROOT / "benchmarks" / "results"
#: benchmarks whose headline is the default environment and that can add a pinned column
PINNABLE = ("core", "regressor")


def run_benchmark(name: str, quick: bool = False, out_dir=DEFAULT_OUT, data_home=None,
                  n_jobs: int = 1, scheduler=None, pinned: bool = False):
    """Run the benchmark ``name`` and return the path of its report.

    A quick run aimed at the committed ``benchmarks/results/`` writes to a scratch folder
    instead (``benchmarks._common.SCRATCH``).  ``n_jobs`` and ``scheduler`` go to the
    benchmarks that run on :func:`bcdnet.experiments.sweep`.

    Raises ValueError for an unknown name (listing the valid ones).
    """
    from benchmarks._common import report_dir

    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; valid names are "
                         f"{', '.join(BENCHMARKS)} or all")
    module, function, _, needs_data = BENCHMARKS[name]
    fn = getattr(importlib.import_module(module), function)
    out_dir = report_dir(out_dir, quick)
    kwargs = {"quick": quick, "out_dir": out_dir}
    if needs_data:
        kwargs["data_home"] = data_home
    if "n_jobs" in inspect.signature(fn).parameters:
        kwargs.update(n_jobs=n_jobs, scheduler=scheduler)
    if pinned and name in PINNABLE:
        kwargs["pinned"] = True
    result = fn(**kwargs)
    if isinstance(result, dict) and "path" in result:
        return Path(result["path"])
    quick_name = Path(out_dir) / f"{name}-quick.md"      # bench_core's quick report
    return quick_name if quick and quick_name.exists() else Path(out_dir) / f"{name}.md"



def build_parser(prog: str = "python -m benchmarks") -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<18} {desc}" for name, (_, _, desc, _) in BENCHMARKS.items())
    parser = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Reproduce the papers' tables and figures next to peers; each benchmark "
                    "writes <out-dir>/<name>.md with CSV and PNG files.",
        epilog=f"benchmarks:\n{listing}\n  {'all':<18} every one above, in turn (summary "
               "last)\n\n"
               "CCPP and steel need the UCI files: see datasets/README.md (BCDNET_DATA).")
    parser.add_argument("name", metavar="NAME", help="a benchmark name (listed below) or all")
    parser.add_argument("--quick", action="store_true",
                        help="tiny budgets, a few seconds each (numbers not meaningful); "
                             "written to a scratch folder unless --out-dir is given")
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT),
                        help="folder for the reports (default: benchmarks/results; with "
                             "--quick a folder under the system's temporary directory)")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="parallel workers for the benchmarks that run on "
                             "bcdnet.experiments.sweep (default: 1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="a Dask scheduler's address for those benchmarks")
    parser.add_argument("--pinned", action="store_true",
                        help="core, regressor: also measure with every library on one thread "
                             "(beside the default environment)")
    parser.add_argument("--data-home", default=None,
                        help="folder holding the UCI files (default: $BCDNET_DATA)")
    return parser


def run_named(name, quick, out_dir, data_home, echo=print, n_jobs=1, scheduler=None,
              pinned=False) -> None:
    """Run ``name`` (or every benchmark for ``all``), printing where each report went."""
    names = list(BENCHMARKS) if name == "all" else [name]
    if name != "all" and name not in BENCHMARKS:
        run_benchmark(name)                       # raises the listing ValueError
    for n in names:
        start = time.perf_counter()
        path = run_benchmark(n, quick, out_dir, data_home, n_jobs, scheduler, pinned)
        echo(f"{n}: wrote {path} in {time.perf_counter() - start:.1f} s")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run_named(args.name, args.quick, args.out_dir, args.data_home, n_jobs=args.n_jobs,
                  scheduler=args.scheduler, pinned=args.pinned)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
