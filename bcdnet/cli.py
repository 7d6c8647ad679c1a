"""The ``bcdnet`` command (also ``python -m bcdnet``).

.. code-block:: text

    bcdnet demo  [--out DIR] [--seed N] [--quick]
    bcdnet train DATASET [--target COLS] [--hidden 10,10,10] [--activation tanh] ...
    bcdnet predict MODEL CSV [-o OUT]
    bcdnet bench NAME [--quick]

``train`` writes one model file, ``model.npz`` (a :class:`~bcdnet.estimator.BCDRegressor`
in :func:`bcdnet.save`'s format, predicting in the targets' units), with metrics, history
and plots; ``predict`` applies it to a CSV (see :mod:`bcdnet._cli_model`).

Exit status: 0 on success, 1 for any failure (an unknown dataset, a missing file, an
invalid argument or architecture, bad data, running out of memory...: one line on
standard error, no traceback; set ``BCDNET_DEBUG=1`` for the traceback), 2 for a malformed
command line (argparse's usage message), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import _cli_model
from ._cli_model import UserError, parse_hidden

__all__ = ["main", "build_parser", "UserError", "parse_hidden"]


# ---------------------------------------------------------------- demo
def _demo(args) -> int:
    from .demo import run_demo

    run_demo(seed=args.seed, quick=args.quick, out=args.out)
    return 0


# ---------------------------------------------------------------- bench
def _benchmarks_module():
    """The ``benchmarks`` package of a source checkout (it is not installed with bcdnet):
    next to this ``bcdnet`` package, else in the current directory."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (root / "benchmarks" / "__main__.py").is_file():
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            break
    try:
        import benchmarks.__main__ as bench
    except ImportError:
        raise UserError("bcdnet bench needs a source checkout of bcdnet (the benchmarks/ "
                        "folder next to bcdnet/); clone the repository and run it there")
    return bench


def _bench(args) -> int:
    bench = _benchmarks_module()
    if args.name == "list":
        for name, (_, _, desc, _) in bench.BENCHMARKS.items():
            print(f"{name:<18} {desc}")
        return 0
    bench.run_named(args.name, args.quick, args.out or bench.DEFAULT_OUT, args.data_home)
    return 0


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from .optim import OPTIMIZERS
    from .selection import SELECTORS

    parser = argparse.ArgumentParser(
        prog="bcdnet", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Sensitivity-guided, layer-by-layer (block coordinate descent) training "
                    "of deep regression networks.",
        epilog="examples:\n"
               "  bcdnet demo                              BCD against backpropagation, "
               "simulated reactor\n"
               "  bcdnet train ccpp --hidden 10,10,10      train on the power-plant data\n"
               "  bcdnet train data.csv --target y --hidden 8,8,8 --selector bisection\n"
               "  bcdnet predict bcdnet-model/model.npz data.csv -o predictions.csv\n"
               "  bcdnet bench table2 --quick              a paper benchmark (source "
               "checkout)\n\n"
               "exit status: 0 success, 1 any failure (one line), 2 malformed command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="BCD against backpropagation on the simulated reactor (well under a "
                     "minute)",
        description="Train a deep tanh network on the simulated CSTR twice from the same "
                    "start: L-BFGS on all layers, and sensitivity-guided block coordinate "
                    "descent. Prints a table; writes it, the histories and plots to --out.")
    demo.add_argument("--out", default="bcdnet-demo",
                      help="output folder (default: ./bcdnet-demo)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the split and the weights")
    demo.add_argument("--quick", action="store_true", help="a few seconds, smaller budgets")
    demo.set_defaults(func=_demo)

    train = sub.add_parser(
        "train", help="train a network on a dataset or a CSV file",
        description="Train on a built-in dataset (cstr, ccpp, steel) or a CSV file with a "
                    "header row. Inputs and targets are standardised on the training rows; "
                    "metrics are reported in the targets' units. Writes model.npz (one "
                    "file, the scaling inside: bcdnet predict and bcdnet.load read it), "
                    "metrics.json, history.csv and plots into --out. Every argument is "
                    "checked before training.")
    train.add_argument("dataset", metavar="DATASET",
                       help="cstr, ccpp, steel, or the path of a CSV file")
    train.add_argument("--target", default=None,
                       help="CSV only: target column(s), comma-separated (default: the last "
                            "column)")
    train.add_argument("--hidden", default="10,10,10",
                       help="hidden-layer widths, one per layer, comma-separated, e.g. "
                            "5,5,5,5 (default: 10,10,10)")
    train.add_argument("--activation", default="tanh",
                       choices=["tanh", "sigmoid", "relu", "leaky_relu"],
                       help="hidden-layer activation (default: tanh)")
    train.add_argument("--init", default=None, choices=["glorot", "he", "orthogonal"],
                       help="weight initialisation (default: the activation's own)")
    train.add_argument("--selector", default="most_sensitive", choices=sorted(SELECTORS),
                       help="block selection; 'all' is end-to-end training "
                            "(default: most_sensitive)")
    train.add_argument("--optimizer", default="lbfgs", choices=sorted(OPTIMIZERS),
                       help="optimizer of each visit (default: lbfgs)")
    train.add_argument("--lr", type=float, default=None,
                       help="learning rate of the optimizers that take one (gd, adam, "
                            "lbfgs); default: the optimizer's own")
    train.add_argument("--max-iter", type=int, default=100,
                       help="BCD iterations, i.e. block visits (default: 100)")
    train.add_argument("--inner-max-iter", type=int, default=20,
                       help="optimizer iterations per visit (default: 20)")
    train.add_argument("--icrs-init", type=int, default=0,
                       help="ICRS evaluations before BCD (Paper B's BCD-ICRS); 0: none")
    train.add_argument("--batch-shell", action="store_true",
                       help="train each visit on a fresh subset of 1.1 x n_params rows")
    train.add_argument("--test-size", type=float, default=0.2,
                       help="fraction of rows held out for testing (default: 0.2)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of split, weights and BCD (default: 0)")
    train.add_argument("--out", default="bcdnet-model",
                       help="output folder (default: ./bcdnet-model)")
    train.add_argument("--data-home", default=None,
                       help="folder with the UCI files (default: $BCDNET_DATA)")
    train.add_argument("--threads", default="auto", metavar="{auto,N,none}",
                       help="threads for bcdnet's work: auto (default; the cores, "
                            "for row blocks of large evaluations and the ensemble's "
                            "networks; BLAS on one thread), a number, or none to leave the "
                            "BLAS libraries as they are; results do not depend on it")
    train.add_argument("--blas-threads", type=int, default=0,
                       help="an upper limit on every BLAS library's threads for the whole "
                            "run; 0: none (default)")
    train.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                       help="precision of the network (default: float64)")
    train.set_defaults(func=_cli_model.train)

    pred = sub.add_parser(
        "predict", help="predict with a model written by bcdnet train",
        description="Read MODEL (a model.npz written by bcdnet train, or any bcdnet.save "
                    "file) and CSV (a header row, the model's input columns by name; other "
                    "columns are ignored) and write a CSV with one row per input row, in "
                    "order, and one column <target>_pred per target, in the targets' units.")
    pred.add_argument("model", metavar="MODEL", help="the model file")
    pred.add_argument("csv", metavar="CSV", help="the CSV file of inputs")
    pred.add_argument("-o", "--output", default=None,
                      help="where to write the predictions (default: standard output)")
    pred.set_defaults(func=_cli_model.predict)

    bench = sub.add_parser(
        "bench", help="run a paper benchmark (needs a source checkout)",
        description="Run a benchmark of benchmarks/ and write benchmarks/results/<name>.md "
                    "with CSV and PNG files. NAME 'list' lists them; 'all' runs every one.")
    bench.add_argument("name", metavar="NAME", help="benchmark name, 'list' or 'all'")
    bench.add_argument("--quick", action="store_true", help="tiny budgets, seconds each")
    bench.add_argument("--out", default=None,
                       help="output folder (default: benchmarks/results)")
    bench.add_argument("--data-home", default=None,
                       help="folder with the UCI files (default: $BCDNET_DATA)")
    bench.set_defaults(func=_bench)
    from .experiments.cli import add_parser as add_sweep_parser

    add_sweep_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"bcdnet {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:        # MemoryError, RecursionError and every other failure
        if os.environ.get("BCDNET_DEBUG"):
            raise
        message = " ".join(str(exc).split())
        if isinstance(exc, MemoryError):
            message = f"out of memory{': ' + message if message else ''}"
        elif not isinstance(exc, (UserError, ValueError, TypeError, OSError)) or not message:
            message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        print(f"bcdnet {args.command}: error: {message}", file=sys.stderr)
        return 1
