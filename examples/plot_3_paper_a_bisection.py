r"""
Paper A: bisection BCD against backpropagation on the simulated reactor
=======================================================================

Paper A (Zhang et al., *Applied Intelligence* 2023) trains a deep, narrow network one layer
at a time: at each iteration the scaling-factor sensitivities rank the layers, a bisection
over the layer stack (a binary tree, with a random step now and then to avoid loops) picks
one, and only that layer is optimised.  It is compared with backpropagation, all layers at
once, from the same starting weights.

Both runs here go through the same :class:`~bcdnet.trainer.Trainer` loop with the same
inner optimizer (L-BFGS, a few iterations per visit); only the selector differs.  The
budgets are small so that the example runs in seconds; ``python -m bcdnet demo`` and the
benchmarks run the full comparison.
"""

# %%
# Data: steady states of a stirred-tank reactor
# ---------------------------------------------
# Four inputs (flow, volume, temperature, feed concentration), two outputs (the outlet
# concentration of A and the production rate of B); see the design page for the model.
# Network and Trainer work on the data as given, so inputs and targets are standardised
# with statistics of the training rows.
import time

import numpy as np

import bcdnet as bn
from bcdnet import plotting
from bcdnet.datasets import Standardizer, make_cstr, train_test_split

train, test = train_test_split(make_cstr(), test_size=0.2, seed=0)
(Xtr, Ytr), (Xte, Yte) = train.to_numpy(), test.to_numpy()
sx, sy = Standardizer().fit(Xtr), Standardizer().fit(Ytr)
Xtr, Ytr, Xte, Yte = sx.transform(Xtr), sy.transform(Ytr), sx.transform(Xte), sy.transform(Yte)
rows = np.random.default_rng(0).choice(len(Xtr), 2000, replace=False)   # a quick run
Xtr, Ytr = Xtr[rows], Ytr[rows]
print(f"{len(Xtr)} training rows, {len(Xte)} test rows")

# %%
# The same starting point for both
# --------------------------------
# Eight tanh layers of six neurons: deep and narrow as in Paper A (which used 20 and 50
# layers of 5).  Orthogonal initial weights keep signals alive through the stack.
sizes = [4] + [6] * 8 + [2]
start = bn.Network.mlp(sizes, activation="tanh", init="orthogonal", seed=0)

runs = {
    "backpropagation": bn.Trainer(
        bn.optim.LBFGS(max_iter=20), bn.selection.AllLayers(), max_iter=12,
        keep_state=True, tol=0, sensitivity_tol=None, progress=False),
    "bisection BCD": bn.Trainer(
        bn.optim.LBFGS(max_iter=15), bn.selection.Bisection(order=1, explore=0.1),
        max_iter=80, tol=0, sensitivity_tol=None, seed=0, progress=False),
}
histories, nets = {}, {}
for name, trainer in runs.items():
    net = start.copy()
    t0 = time.process_time()
    result = trainer.fit(net, Xtr, Ytr)
    histories[name], nets[name] = result.history, net
    print(f"{name:16s} train MSE {result.train_loss:.4f}, test MSE "
          f"{net.loss_value(Xte, Yte):.4f}, {result.n_iter} iterations, "
          f"{time.process_time() - t0:.1f} s CPU")

# %%
# Loss against time
# -----------------
# One BCD iteration trains one layer: the layers below it are frozen and their output is
# computed once, so each evaluation runs forward from the selected layer and backward only
# down to it.  The fair comparison, whatever the budgets, is the loss against CPU time.
# At these small budgets, on eight layers, end-to-end L-BFGS gets further than the
# bisection; Paper A's case is for much deeper stacks (20 and 50 layers), and
# ``BENCHMARKS.md`` sets our runs at the paper's sizes beside its tables.
fig = plotting.convergence(histories, "CSTR: backpropagation and bisection BCD "
                              "from the same start")

# %%
# Which layers the bisection chose
# --------------------------------
# Each row of the history says which layer was trained and why (the tree path, whether it
# explored).  Early on the layers near the output dominate; exploration visits the others.
fig = plotting.selection_map(histories["bisection BCD"], len(sizes) - 1,
                                "Layer trained at each iteration (bisection, first order)")
h = histories["bisection BCD"]
print(h[["iteration", "block", "train_loss"]].tail())

# %%
# Predictions in the reactor's units
# ----------------------------------
P = sy.inverse_transform(np.asarray(nets["bisection BCD"].predict(Xte)))
fig = plotting.parity(sy.inverse_transform(Yte), P, test.target_names,
                         "Bisection BCD on the test rows")
