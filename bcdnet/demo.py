"""The demo behind ``bcdnet demo``: BCD against backpropagation on the simulated reactor.

Data: :func:`bcdnet.datasets.make_cstr` (10,000 steady states of Paper A's reactor, no
download), an 80/20 split, inputs and targets standardised on the training rows.  Network:
4 inputs, ``DEPTH`` tanh layers of ``WIDTH`` neurons, 2 outputs, orthogonal initialisation
(deep, narrow tanh stacks barely train from Glorot).  Both runs start from the same weights:

- *backpropagation*: L-BFGS on all parameters at once (``AllLayers``, one continuous run);
- *BCD*: the most sensitive layer (first order, 10 % uniform exploration), L-BFGS on it.

The comparison that is fair whatever the budgets is the loss against CPU time, which
``convergence.png`` shows; the table gives the end points.  Written into the output folder:
``demo.csv`` (the table), ``history.csv`` (both runs, one row per iteration) and the figures
``convergence.png``, ``selection.png``, ``parity.png`` and ``residuals.png``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._atomic import atomic_write
from ._cpu import process_time
from ._threads import blas_threads
from .backend import to_numpy
from .datasets import Standardizer, make_cstr, train_test_split
from .metrics import r2_score
from .network import Network
from .optim import LBFGS
from .selection import AllLayers, MostSensitive
from .trainer import Trainer

DEPTH, WIDTH = 8, 6


def _data(seed):
    data = make_cstr()
    train, test = train_test_split(data, test_size=0.2, seed=seed)
    Xtr, Ytr = train.to_numpy()
    Xte, Yte = test.to_numpy()
    sx, sy = Standardizer().fit(Xtr), Standardizer().fit(Ytr)
    return (sx.transform(Xtr), sy.transform(Ytr), sx.transform(Xte), sy.transform(Yte), sy,
            data.target_names)


def _write_csv(frame: pd.DataFrame, path: Path, index: bool) -> None:
    atomic_write(path, frame.to_csv(index=index))


def run_demo(seed: int = 0, quick: bool = False, out="bcdnet-demo", echo=print) -> pd.DataFrame:
    """Run both trainings, print the table and write the table, histories and figures.

    Parameters
    ----------
    seed : int, default 0
        Seed of the split and of the starting weights.
    quick : bool, default False
        A few seconds: 1,000 training rows and small budgets.
    out : str or os.PathLike or None, default "bcdnet-demo"
        Output folder (created); None writes nothing.
    echo : callable, default print
        Where the text goes.

    Returns
    -------
    pandas.DataFrame
        One row per method: training and test MSE (standardised), test R² (in units),
        BCD iterations, loss evaluations and CPU seconds.
    """
    Xtr, Ytr, Xte, Yte, sy, target_names = _data(seed)
    if quick:
        Xtr, Ytr = Xtr[:1000], Ytr[:1000]
    sizes = [4] + [WIDTH] * DEPTH + [2]
    start = Network.mlp(sizes, activation="tanh", init="orthogonal", seed=seed)
    visits = 3 if quick else 20
    runs = {
        "backpropagation (L-BFGS, all layers)": Trainer(
            LBFGS(max_iter=20), AllLayers(), max_iter=visits, keep_state=True, tol=0,
            sensitivity_tol=None, seed=seed, progress=False),
        "BCD (most sensitive layer, L-BFGS)": Trainer(
            LBFGS(max_iter=15), MostSensitive(order=1, epsilon=0.1), max_iter=visits * 5,
            tol=0, sensitivity_tol=None, seed=seed, progress=False),
    }
    echo(f"CSTR: {Xtr.shape[0]} training and {Xte.shape[0]} test rows; network "
         f"{'-'.join(map(str, sizes))} (tanh, orthogonal init), standardised targets; "
         "both runs start from the same weights\n")
    rows, histories, nets = [], {}, {}
    with blas_threads(1):
        for name, trainer in runs.items():
            net = start.copy()
            t0 = process_time()
            result = trainer.fit(net, Xtr, Ytr)
            seconds = process_time() - t0
            nets[name], histories[name] = net, result.history   # row 0: the start
            rows.append({"method": name, "train MSE": result.train_loss,
                         "test MSE": net.loss_value(Xte, Yte),
                         "test R²": r2_score(sy.inverse_transform(Yte),
                                             sy.inverse_transform(to_numpy(net.predict(Xte)))),
                         "BCD iterations": result.n_iter,
                         "loss evaluations": int(result.history["nfev"].sum()),
                         "CPU seconds": round(seconds, 2)})
    table = pd.DataFrame(rows).set_index("method")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160,
                           "display.max_columns", 10):
        echo(table.to_string())
    if out is not None:
        bcd = "BCD (most sensitive layer, L-BFGS)"
        _write_outputs(Path(out), table, histories, nets[bcd], Xte, Yte, sy, target_names,
                       sizes, echo)
    return table


def _write_outputs(folder, table, histories, bcd_net, Xte, Yte, sy, target_names, sizes,
                   echo):
    from . import plotting

    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(table, folder / "demo.csv", index=True)
    history = pd.concat([h.assign(method=name) for name, h in histories.items()],
                        ignore_index=True)
    _write_csv(history, folder / "history.csv", index=False)
    arch = f"{sizes[0]}-({sizes[1]}×{len(sizes) - 2})-{sizes[-1]}"
    short = {name: name.split(" (")[0] for name in histories}
    plotting.convergence({short[k]: v for k, v in histories.items()},
                         f"CSTR {arch}: backpropagation against BCD from the same start",
                         save=folder / "convergence.png")
    bcd_name = next(k for k in histories if k.startswith("BCD"))
    plotting.selection_map(histories[bcd_name], len(sizes) - 1,
                           f"CSTR {arch}: layer trained by BCD (most sensitive) at each "
                           "iteration", save=folder / "selection.png")
    Y, P = sy.inverse_transform(Yte), sy.inverse_transform(to_numpy(bcd_net.predict(Xte)))
    plotting.parity(Y, P, target_names, f"CSTR {arch}, BCD: actual against predicted, "
                    "test rows", save=folder / "parity.png")
    plotting.residuals(Y, P, target_names, f"CSTR {arch}, BCD: residuals on the test rows",
                       save=folder / "residuals.png")
    echo(f"\nwrote demo.csv, history.csv, convergence.png, selection.png, parity.png and "
         f"residuals.png to {folder}")
