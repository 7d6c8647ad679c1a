"""The ``bcdnet`` command.

``bcdnet demo`` trains on the simulated reactor (no download): sensitivity-guided block
coordinate descent against end-to-end backpropagation from the same starting point, and
prints a comparison table.
"""

from __future__ import annotations

import argparse
import sys


def _demo(args) -> int:
    from .demo import run_demo

    run_demo(seed=args.seed, quick=args.quick, out=args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bcdnet",
        description="Sensitivity-guided, layer-by-layer training of deep regression networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo", help="BCD against backpropagation on the simulated reactor (about a minute)",
        description="Train a deep tanh network on the simulated CSTR twice from the same start: "
                    "end-to-end L-BFGS and sensitivity-guided block coordinate descent.")
    demo.add_argument("--seed", type=int, default=0, help="seed of the split and the weights")
    demo.add_argument("--quick", action="store_true", help="a few seconds, smaller budgets")
    demo.add_argument("--out", default=None, help="folder for the comparison table (CSV)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"bcdnet {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"bcdnet {args.command}: interrupted", file=sys.stderr)
        return 130
