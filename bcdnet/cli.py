"""The ``bcdnet`` command (also ``python -m bcdnet``).

.. code-block:: text

    bcdnet demo  [--out DIR] [--seed N] [--quick]
    bcdnet train DATASET [--target COLS] [--hidden 10,10,10] [--activation tanh] ...
    bcdnet bench NAME [--quick]

Exit status: 0 on success, 1 for a mistake in what was asked (an unknown dataset, a
missing file, an invalid architecture...: one line on standard error, no traceback; set
``BCDNET_DEBUG=1`` for the traceback), 2 for a malformed command line (argparse's usage
message), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]

DATASETS = ("cstr", "ccpp", "steel")


class UserError(Exception):
    """A mistake in what the user asked for: reported in one line, exit status 1."""


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


# ---------------------------------------------------------------- train
def parse_hidden(text: str) -> list[int]:
    """Hidden widths from ``"10,10,10"``; ``"5x20"`` means 20 layers of 5 neurons.

    Raises UserError with a one-line explanation for anything else.
    """
    widths = []
    for item in str(text).replace(" ", "").split(","):
        parts = item.lower().split("x")
        if not item or len(parts) > 2 or not all(p.isdigit() for p in parts):
            raise UserError(f"invalid architecture {text!r}: expected hidden-layer widths "
                            "separated by commas, like 10,10,10, or width x count, like 5x20")
        width, count = int(parts[0]), int(parts[1]) if len(parts) == 2 else 1
        if width < 1 or count < 1:
            raise UserError(f"invalid architecture {text!r}: widths and counts must be at "
                            "least 1")
        widths += [width] * count
    return widths


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
    if not path.is_file():
        raise UserError(f"file not found: {path}")
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}")
    targets = [t.strip() for t in target.split(",")] if target else [frame.columns[-1]]
    missing = [t for t in targets if t not in frame.columns]
    if missing:
        raise UserError(f"{path}: no column {', '.join(map(repr, missing))}; the columns are "
                        f"{', '.join(map(str, frame.columns))}")
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise UserError(f"{path}: columns {', '.join(map(repr, text))} are not numeric; "
                        "encode or drop them first")
    if frame.isna().any().any() or len(frame) < 10:
        raise UserError(f"{path}: needs at least 10 rows and no missing values")
    inputs = [c for c in frame.columns if c not in targets]
    if not inputs:
        raise UserError(f"{path}: no input columns left besides the target(s)")
    return Dataset(frame[inputs], frame[targets], name=path.stem)


def _train(args) -> int:
    import json

    import pandas as pd

    from . import plotting
    from .datasets import Standardizer, train_test_split
    from ._threads import blas_threads
    from .backend import to_numpy
    from .metrics import mean_absolute_error, mean_squared_error, r2_score
    from .network import Network
    from .optim import get_optimizer
    from .trainer import Trainer

    hidden = parse_hidden(args.hidden)
    data = load_data(args.dataset, args.target, args.data_home)
    train, test = train_test_split(data, test_size=args.test_size, seed=args.seed)
    (X, Y), (Xt, Yt) = train.to_numpy(), test.to_numpy()
    sx, sy = Standardizer().fit(X), Standardizer().fit(Y)
    sizes = [X.shape[1], *hidden, Y.shape[1]]
    net = Network.mlp(sizes, activation=args.activation, init=args.init, seed=args.seed)
    trainer = Trainer(get_optimizer(args.optimizer), args.selector, max_iter=args.max_iter,
                      inner_max_iter=args.inner_max_iter, icrs_init=args.icrs_init,
                      batch_shell=args.batch_shell, seed=args.seed)
    print(f"{data.name}: {len(train)} training and {len(test)} test rows; network "
          f"{'-'.join(map(str, sizes))} ({args.activation}, {net.n_params} parameters); "
          f"selector {args.selector}, optimizer {args.optimizer}")
    with blas_threads(args.blas_threads or None):
        result = trainer.fit(net, sx.transform(X), sy.transform(Y))
    predict = {"train": sy.inverse_transform(to_numpy(net.predict(sx.transform(X)))),
               "test": sy.inverse_transform(to_numpy(net.predict(sx.transform(Xt))))}
    truth = {"train": Y, "test": Yt}
    metrics = {f"{part}_{name}": fn(truth[part], predict[part]) for part in ("train", "test")
               for name, fn in (("r2", r2_score), ("mse", mean_squared_error),
                                ("mae", mean_absolute_error))}
    metrics.update(iterations=result.n_iter, stop_reason=result.stop_reason,
                   cpu_s=float(result.history["cpu_s"].iloc[-1]) if result.n_iter else 0.0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _save_model(net, out / "model.npz")
    scaling = {"features": data.feature_names, "targets": data.target_names,
               "x_mean": sx.mean_.tolist(), "x_scale": sx.scale_.tolist(),
               "y_mean": sy.mean_.tolist(), "y_scale": sy.scale_.tolist()}
    _write_text(out / "scaling.json", json.dumps(scaling, indent=2))
    _write_text(out / "metrics.json", json.dumps(metrics, indent=2))
    _write_text(out / "history.csv", result.history.to_csv(index=False))
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
          f"wrote model.npz, scaling.json, metrics.json, history.csv and four plots to {out}")
    return 0


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _save_model(net, path: Path) -> None:
    """``bcdnet.io.save`` (an .npz with a JSON header, never pickle)."""
    from .io import save

    save(net, path)


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
               "  bcdnet train data.csv --target y --hidden 5x20 --selector bisection\n"
               "  bcdnet bench table2 --quick              a paper benchmark (source "
               "checkout)\n\n"
               "exit status: 0 success, 1 error in what was asked, 2 malformed command line")
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
                    "metrics are reported in the targets' units. Writes model.npz, "
                    "scaling.json, metrics.json, history.csv and plots into --out.")
    train.add_argument("dataset", metavar="DATASET",
                       help="cstr, ccpp, steel, or the path of a CSV file")
    train.add_argument("--target", default=None,
                       help="CSV only: target column(s), comma-separated (default: the last "
                            "column)")
    train.add_argument("--hidden", default="10,10,10",
                       help="hidden-layer widths, e.g. 10,10,10 or 5x20 (20 layers of 5); "
                            "default: 10,10,10")
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
    train.add_argument("--blas-threads", type=int, default=1,
                       help="BLAS threads while training, if threadpoolctl is installed; "
                            "0: the BLAS default (default: 1, fastest for narrow networks)")
    train.set_defaults(func=_train)

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
    except (UserError, ValueError, TypeError, OSError) as exc:
        if os.environ.get("BCDNET_DEBUG"):
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"bcdnet {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"bcdnet {args.command}: interrupted", file=sys.stderr)
        return 130
