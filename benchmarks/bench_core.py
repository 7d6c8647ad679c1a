"""Throughput of the core engine against PyTorch and scikit-learn, as users get it.

For each network of issue 2 (tanh hidden layers, identity output, random data):

- ``loss_grad``: bcdnet against PyTorch CPU autograd (``torch.autograd.grad``) and
  scikit-learn's MLP loss-gradient (``_backprop``, the function its L-BFGS solver calls),
  each the median of ``repeats`` interleaved calls (in runs: untimed calls for ``SETTLE``
  seconds, then ``RUN_LENGTH - 1`` timed: :func:`benchmarks._machine.median_times`), in
  float64 and (bcdnet, PyTorch) float32;
- ``hvp`` relative to bcdnet's own ``loss_grad``;
- ``predict`` against PyTorch's forward pass without a graph (float64);
- the block gradient of the last hidden layer (frozen prefix cached) relative to the full
  ``loss_grad``;
- a thread table: bcdnet's ``loss_grad`` with the environment's BLAS threads (``None``),
  ``"auto"``, 1 and 2 threads, for the four networks and a wide one.

The headline column is the **default environment**: no thread variables, every library at
its own default threads (bcdnet choosing its own, ``bcdnet._threads``), measured in a fresh
subprocess.  ``pinned=True`` (``--pinned``) adds a second subprocess with
``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1`` (so PyTorch on one thread too),
reported beside it.

Writes ``benchmarks/results/core.md``.  ``python -m benchmarks core [--quick] [--pinned]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import bcdnet as bn
from bcdnet._atomic import atomic_write
from benchmarks._machine import in_environment, machine_description, median_times

RESULTS = Path(__file__).resolve().parent / "results"

NETWORKS = [
    ("4-10-10-10-1", [4, 10, 10, 10, 1], 7654),
    ("4-(5x20)-2", [4] + [5] * 20 + [2], 10_000),
    ("4-(5x50)-2", [4] + [5] * 50 + [2], 10_000),
    ("15-(64x4)-1", [15] + [64] * 4 + [1], 28_032),
]
#: the wide network of the thread table only
WIDE = ("15-(256x4)-1", [15] + [256] * 4 + [1], 100_000)
#: bcdnet's thread settings compared in the thread table (None: the environment's)
THREAD_SETTINGS = {"default": None, "auto": "auto", "1": 1, "2": 2}
#: calls of one function in a row per round, the first not timed (``median_times``)
RUN_LENGTH = 4
#: seconds of untimed calls at the start of each run (``median_times``): on the 2-core AMD
#: machine bcdnet's 4-10-10-10-1 gradient took 9.2, 5.2, 5.2 and then 4.2 ms after a PyTorch
#: call (its OpenMP threads spin about 20 ms), and 8.5 ms for 115 ms after scikit-learn's
#: (NumPy's OpenBLAS threads spin that long after a product on two threads), then 4.5 ms
SETTLE = 0.15


def torch_loss_grad(net: bn.Network, X, Y):
    """A PyTorch closure computing the same MSE and its gradient in ``net``'s dtype, or None."""
    try:
        import torch
    except ImportError:
        return None
    dtype = net.dtype
    Ws = [torch.tensor(layer.W.copy(), requires_grad=True) for layer in net.layers]
    bs = [torch.tensor(layer.b.copy(), requires_grad=True) for layer in net.layers]
    Xt, Yt = torch.from_numpy(X.astype(dtype)), torch.from_numpy(Y.astype(dtype))
    params = Ws + bs

    def run():
        A = Xt
        for i, (W, b) in enumerate(zip(Ws, bs)):
            A = torch.addmm(b, A, W)
            if i < len(Ws) - 1:
                A = torch.tanh(A)
        loss = torch.mean((A - Yt) ** 2)
        return loss.item(), torch.autograd.grad(loss, params)

    f_torch = run()[0]
    f_ours = net.loss_value(X, Y)
    if abs(f_torch - f_ours) > 1e3 * np.finfo(dtype).eps * abs(f_ours):
        raise RuntimeError(f"PyTorch reference disagrees: {f_torch} vs {f_ours}")
    return run


def torch_predict(net: bn.Network, X):
    """A PyTorch closure computing the same network's output without a graph, or None."""
    try:
        import torch
    except ImportError:
        return None
    Ws = [torch.tensor(layer.W.copy()) for layer in net.layers]
    bs = [torch.tensor(layer.b.copy()) for layer in net.layers]
    Xt = torch.from_numpy(X.astype(net.dtype))

    def run():
        with torch.no_grad():
            A = Xt
            for i, (W, b) in enumerate(zip(Ws, bs)):
                A = torch.addmm(b, A, W)
                if i < len(Ws) - 1:
                    A = torch.tanh(A)
            return A.numpy()

    if not np.allclose(run(), net.predict(X), rtol=1e-10, atol=1e-12):
        raise RuntimeError("PyTorch's forward pass disagrees with bcdnet's predict")
    return run


def sklearn_loss_grad(net: bn.Network, X, Y):
    """scikit-learn's MLP loss-gradient on the same weights, or None if unavailable."""
    try:
        from sklearn.neural_network import MLPRegressor
    except ImportError:
        return None
    sizes = net.sizes
    mlp = MLPRegressor(hidden_layer_sizes=sizes[1:-1], activation="tanh", alpha=0.0)
    try:
        mlp.n_outputs_ = sizes[-1]
        mlp._random_state = np.random.RandomState(0)
        mlp._initialize(Y, sizes, X.dtype)
        mlp.coefs_ = [layer.W.copy() for layer in net.layers]
        mlp.intercepts_ = [layer.b.copy() for layer in net.layers]
        activations = [X] + [None] * (len(sizes) - 1)
        deltas = [None] * (len(sizes) - 1)
        coef_grads = [np.empty((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        intercept_grads = [np.empty(b) for b in sizes[1:]]

        def run():
            return mlp._backprop(X, Y, None, activations, deltas, coef_grads, intercept_grads)

        run()
    except Exception:  # private API: report "n/a" rather than fail the benchmark
        return None
    return run


def measure(name, sizes, n, repeats, seed=0) -> dict:
    """Every timing of one network, in ms, measured interleaved."""
    rng = np.random.default_rng(seed)
    net = bn.Network.mlp(sizes, activation="tanh", seed=seed)
    net32 = bn.Network.mlp(sizes, activation="tanh", seed=seed, dtype="float32")
    X, Y = rng.standard_normal((n, sizes[0])), rng.standard_normal((n, sizes[-1]))
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    v = rng.standard_normal(net.n_params)
    obj = net.block_objective(len(net.layers) - 2, X, Y)   # last hidden layer
    x = obj.x0()
    row = {"network": name, "N": n, "n_params": net.n_params}
    fns = {"bcdnet_loss_grad_ms": lambda: net.loss_grad(X, Y),
           "bcdnet_hvp_ms": lambda: net.hvp(X, Y, v),
           "bcdnet_block_grad_ms": lambda: obj(x),
           "bcdnet_f32_loss_grad_ms": lambda: net32.loss_grad(X32, Y32),
           "bcdnet_predict_ms": lambda: net.predict(X)}
    forward = torch_predict(net, X)
    if forward is None:
        row["torch_predict_ms"] = float("nan")
    else:
        fns["torch_predict_ms"] = forward
    peers = (("torch", torch_loss_grad, net), ("sklearn", sklearn_loss_grad, net),
             ("torch_f32", torch_loss_grad, net32))
    for peer, make, network in peers:
        fn = make(network, X, Y)
        if fn is None:
            row[f"{peer}_loss_grad_ms"] = float("nan")
        else:
            fns[f"{peer}_loss_grad_ms"] = fn
    row.update({key: 1e3 * t for key, t in
                median_times(fns, repeats, run_length=RUN_LENGTH,
                                             settle=SETTLE).items()})
    return row


def measure_threads(name, sizes, n, repeats, seed=0) -> dict:
    """bcdnet's loss_grad under each of THREAD_SETTINGS (bcdnet.set_threads), interleaved."""
    rng = np.random.default_rng(seed)
    net = bn.Network.mlp(sizes, activation="tanh", seed=seed)
    X, Y = rng.standard_normal((n, sizes[0])), rng.standard_normal((n, sizes[-1]))

    def timed(setting):
        def call():
            previous = bn.set_threads(setting)
            try:
                net.loss_grad(X, Y)
            finally:
                bn.set_threads(previous)
        return call

    times = median_times({key: timed(value) for key, value in THREAD_SETTINGS.items()},
                         repeats, warmup=1, run_length=RUN_LENGTH, settle=SETTLE)
    return {"network": name, "N": n, **{key: 1e3 * t for key, t in times.items()}}


def worker(quick: bool, threads_table: bool) -> dict:
    """Everything measured in this process's environment (run in a subprocess by :func:`run`)."""
    repeats = 3 if quick else 25
    from bcdnet import _row_processes
    from bcdnet._threads import cores
    helpers = _row_processes.start_helpers(cores() - 1)   # timings without their start
    rows = [measure(name, sizes, min(n, 500) if quick else n, repeats)
            for name, sizes, n in NETWORKS]
    thread_rows = []
    if threads_table:
        for name, sizes, n in [*NETWORKS, WIDE]:
            thread_rows.append(measure_threads(name, sizes, min(n, 500) if quick else n,
                                               3 if quick else (5 if n > 50_000 else 15)))
    try:
        import torch
        torch_threads = torch.get_num_threads()
    except ImportError:
        torch_threads = None
    from threadpoolctl import threadpool_info
    blas = sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
    return {"rows": rows, "thread_rows": thread_rows, "repeats": repeats,
            "torch_threads": torch_threads, "blas_threads": blas,
            "helpers": helpers, "blocks_sent": _row_processes.blocks_sent(),
            "machine": machine_description()}


def _in_subprocess(pinned: bool, quick: bool, threads_table: bool) -> dict:
    """Run :func:`worker` in a fresh interpreter: the default environment or a pinned one."""
    args = (["--quick"] if quick else []) + (["--threads-table"] if threads_table else [])
    return in_environment("benchmarks.bench_core", args, pinned)


def _fmt(x, spec=".2f"):
    return "n/a" if x is None or not np.isfinite(x) else format(x, spec)


def report(default: dict, pinned: dict | None = None) -> str:
    rows = default["rows"]
    pinned_rows = {r["network"]: r for r in pinned["rows"]} if pinned else {}
    lines = [
        "# Core engine throughput",
        "",
        f"Median of {default['repeats']} calls each, tanh hidden layers, random data; every "
        "column of a table measured in the same process, interleaved (each round calls every "
        f"function in a run: untimed calls for at least {1e3 * SETTLE:.0f} ms (one at least), "
        f"then {RUN_LENGTH - 1} timed ones, so load "
        "changes hit all alike while the untimed calls absorb the hand-over from the "
        "library before: PyTorch's OpenMP threads spin on after its call and take a core "
        "from whatever runs next, and so do NumPy's OpenBLAS threads after scikit-learn's "
        "products on two threads (bcdnet's 4-10-10-10-1 gradient: 9.2, 5.2, 5.2, then 4.2 ms "
        "after a PyTorch call; 8.5 ms for 115 ms after scikit-learn's, then 4.5 ms), which a "
        "training loop calling one library never meets; "
        "`benchmarks/_machine.py::median_times`).  **Default environment**: no thread "
        "variables; PyTorch at its default "
        f"{default['torch_threads']} threads, BLAS at {default['blas_threads']} thread(s) "
        "outside bcdnet, bcdnet choosing its own (`threads=\"auto\"`, `bcdnet/_threads.py`)."
        + ("  The pinned columns come from a second process with "
           "`OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1` (every library on one "
           "thread)." if pinned else "")
        + "  Ratios below 1 mean bcdnet is faster.",
        "",
        "## float64",
        "",
        "| network | N | params | bcdnet loss_grad (ms) | PyTorch (ms) | bcdnet / PyTorch "
        + ("| pinned: bcdnet (ms) | pinned: PyTorch (ms) | pinned: ratio " if pinned else "")
        + "| scikit-learn (ms) | bcdnet / sklearn | hvp (ms) | hvp / loss_grad "
        "| last-hidden block grad (ms) | block / full |",
        "|---|---:|---:|---:|---:|---:|" + ("---:|---:|---:|" if pinned else "")
        + "---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lg = r["bcdnet_loss_grad_ms"]
        p = pinned_rows.get(r["network"])
        pinned_cells = ""
        if pinned:
            pinned_cells = (f"| {_fmt(p['bcdnet_loss_grad_ms'])} | {_fmt(p['torch_loss_grad_ms'])} "
                            f"| {_fmt(p['bcdnet_loss_grad_ms'] / p['torch_loss_grad_ms'])} ")
        lines.append(
            f"| {r['network']} | {r['N']} | {r['n_params']} | {_fmt(lg)} "
            f"| {_fmt(r['torch_loss_grad_ms'])} | {_fmt(lg / r['torch_loss_grad_ms'])} "
            + pinned_cells
            + f"| {_fmt(r['sklearn_loss_grad_ms'])} | {_fmt(lg / r['sklearn_loss_grad_ms'])} "
            f"| {_fmt(r['bcdnet_hvp_ms'])} | {_fmt(r['bcdnet_hvp_ms'] / lg)} "
            f"| {_fmt(r['bcdnet_block_grad_ms'], '.3f')} "
            f"| {_fmt(r['bcdnet_block_grad_ms'] / lg, '.3f')} |")
    lines += ["", "## float32 (default environment)", "",
              "| network | N | bcdnet loss_grad (ms) | PyTorch (ms) | bcdnet / PyTorch |",
              "|---|---:|---:|---:|---:|"]
    for r in rows:
        lg, pt = r["bcdnet_f32_loss_grad_ms"], r["torch_f32_loss_grad_ms"]
        lines.append(f"| {r['network']} | {r['N']} | {_fmt(lg)} | {_fmt(pt)} "
                     f"| {_fmt(lg / pt)} |")
    lines += ["", "## predict, float64 (default environment)", "",
              "bcdnet's `Network.predict` against PyTorch's forward pass under `torch.no_grad()`.",
              "", "| network | N | bcdnet predict (ms) | PyTorch (ms) | bcdnet / PyTorch |",
              "|---|---:|---:|---:|---:|"]
    for r in rows:
        ours, theirs = r.get("bcdnet_predict_ms", np.nan), r.get("torch_predict_ms", np.nan)
        lines.append(f"| {r['network']} | {r['N']} | {_fmt(ours)} | {_fmt(theirs)} "
                     f"| {_fmt(ours / theirs)} |")
    if default["thread_rows"]:
        lines += ["", "## bcdnet's threads (default environment)", "",
                  "bcdnet's float64 `loss_grad` (ms) with `bcdnet.set_threads(...)`: "
                  "`None` leaves BLAS at its default, `\"auto\"` is bcdnet's own choice.",
                  "", "| network | N | default (None) | \"auto\" | 1 | 2 | auto / best |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for r in default["thread_rows"]:
            best = min(r[k] for k in THREAD_SETTINGS)
            lines.append(f"| {r['network']} | {r['N']} | {_fmt(r['default'])} "
                         f"| {_fmt(r['auto'])} | {_fmt(r['1'])} | {_fmt(r['2'])} "
                         f"| {_fmt(r['auto'] / best)} |")
    lines += [
        "",
        "How the numbers are reached: activations, deltas and R-pass arrays live in per-layer "
        "buffers reused across calls; weight gradients are written by BLAS straight into the "
        "flat gradient; every product goes through NumPy's BLAS alone (`bcdnet/_gemm.py`; "
        "SciPy's second OpenBLAS pool fought NumPy's for the cores); bcdnet holds BLAS "
        "to one thread and runs large evaluations in row blocks, blocks 1.. in helper "
        "processes that have no GIL to share (`bcdnet/_row_blocks.py`, "
        "`bcdnet/_row_processes.py`; the blocks never depend on the threads or on where "
        "they run, so neither do the results), each block in row tiles small enough for a "
        "layer's arrays to stay in the level-2 cache (`row_tiles`); ensembles train in worker processes; float64 tanh comes from a "
        "table-driven `expm1` where NumPy's `tanh` is "
        "slow (`bcdnet/_tanh.py`); column sums are BLAS products with a ones vector; "
        "the Hessian-vector product runs each layer's R-pass right behind its ordinary pass "
        "and keeps σ'(Z) from one to the other; a block objective caches the frozen prefix "
        "and skips weight-gradient products above the block.",
        "",
        "## Machine",
        "",
        default["machine"],
        f"- Row-block helper processes (default environment): "
        f"{'ready before timing' if default.get('helpers') else 'none'}; "
        f"{default.get('blocks_sent', 0)} blocks computed by them",
        "",
    ]
    return "\n".join(lines)


def run(quick: bool = False, out_dir: Path | str | None = RESULTS, pinned: bool = False,
        threads_table: bool = True) -> dict:
    """Measure in the default environment (and pinned), write ``core.md``; return the data."""
    default = _in_subprocess(False, quick, threads_table)
    pinned_data = _in_subprocess(True, quick, False) if pinned else None
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        name = "core-quick.md" if quick else "core.md"
        atomic_write(out / name, report(default, pinned_data))
    return {"default": default, "pinned": pinned_data}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N, 3 repeats")
    parser.add_argument("--pinned", action="store_true",
                        help="also measure with every library pinned to one thread")
    parser.add_argument("--no-threads-table", action="store_true",
                        help="skip the thread table (and its wide network)")
    parser.add_argument("--out-dir", default=str(RESULTS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads-table", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.quick, args.threads_table)))
        return
    data = run(quick=args.quick, out_dir=args.out_dir, pinned=args.pinned,
               threads_table=not args.no_threads_table)
    print(report(data["default"], data["pinned"]))


if __name__ == "__main__":
    main()
