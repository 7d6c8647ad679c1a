"""The demo behind ``bcdnet demo``: BCD against backpropagation on the simulated reactor.

Data: :func:`bcdnet.datasets.make_cstr` (10,000 steady states of Paper A's reactor),
standardised on an 80/20 split.  Network: 4 inputs, 12 tanh layers of 6 neurons, 2 outputs,
orthogonal initialisation (deep, narrow tanh stacks barely train from Glorot).  Both runs
start from the same weights:

- *backpropagation*: L-BFGS on all parameters (``AllLayers``);
- *BCD*: the most sensitive layer (first order, with 10 % uniform exploration), L-BFGS on it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import Standardizer, make_cstr, train_test_split
from .network import Network
from .optim import LBFGS
from .selection import AllLayers, MostSensitive
from .trainer import Trainer


def _data(seed):
    train, test = train_test_split(make_cstr(), test_size=0.2, seed=seed)
    Xtr, Ytr = train.to_numpy()
    Xte, Yte = test.to_numpy()
    sx, sy = Standardizer().fit(Xtr), Standardizer().fit(Ytr)
    return sx.transform(Xtr), sy.transform(Ytr), sx.transform(Xte), sy.transform(Yte)


def run_demo(seed: int = 0, quick: bool = False, out=None) -> pd.DataFrame:
    """Run both trainings, print the table, and write it to ``out/demo.csv`` if given."""
    Xtr, Ytr, Xte, Yte = _data(seed)
    if quick:
        Xtr, Ytr = Xtr[:1000], Ytr[:1000]
    sizes = [4] + [6] * 12 + [2]
    start = Network.mlp(sizes, activation="tanh", init="orthogonal", seed=seed)
    budget = 2 if quick else 20
    runs = {
        "backpropagation (L-BFGS, all layers)": Trainer(
            LBFGS(max_iter=25), AllLayers(), max_iter=budget, tol=0, seed=seed),
        "BCD (most sensitive layer, L-BFGS)": Trainer(
            LBFGS(max_iter=15), MostSensitive(order=1, epsilon=0.1),
            max_iter=budget * 4, tol=0, seed=seed),
    }
    print(f"CSTR: {Xtr.shape[0]} training and {Xte.shape[0]} test rows; network "
          f"{'-'.join(map(str, sizes))} (tanh, orthogonal init), standardised targets\n")
    rows = []
    for name, trainer in runs.items():
        net = start.copy()
        t0 = time.perf_counter()
        result = trainer.fit(net, Xtr, Ytr)
        seconds = time.perf_counter() - t0
        rows.append({"method": name, "train MSE": result.train_loss,
                     "test MSE": net.loss_value(Xte, Yte), "BCD iterations": result.n_iter,
                     "loss evaluations": int(result.history["nfev"].sum()),
                     "seconds": round(seconds, 2)})
    table = pd.DataFrame(rows).set_index("method")
    with pd.option_context("display.float_format", "{:.3g}".format, "display.width", 160,
                           "display.max_columns", 10):
        print(table)
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "demo.csv.tmp"
        table.to_csv(tmp)
        tmp.replace(folder / "demo.csv")
        print(f"\nwrote {folder / 'demo.csv'}")
    return table
