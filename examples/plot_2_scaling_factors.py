r"""
Scaling factors: what dE/dalpha means and how layers get ranked
===============================================================

Paper A multiplies the output of every neuron :math:`j` of layer :math:`l` by a scaling
factor :math:`\alpha_{l,j}`, fixed at 1.  The factors are never trained: their only use is
their derivative, the *sensitivity*

.. math::  s_{l,j} = \frac{\partial E}{\partial \alpha_{l,j}} \Big|_{\alpha = 1},

the rate at which the loss changes when the neuron's output is turned up or down.  This
example computes the sensitivities of a small network, checks them by finite differences,
ties them to the next layer's weight gradient (Identity 1), and ranks the layers as the
selectors of block coordinate descent do.
"""

# %%
# One backward pass gives every sensitivity
# -----------------------------------------
# With :math:`A_l = H_l \operatorname{diag}(\alpha_l)`, the backward pass gives
# :math:`s_{l,j} = \sum_n \delta a_{l,j}^{(n)} h_{l,j}^{(n)}` for all neurons at once.  Paper
# A checks them by central differences in each :math:`\alpha_{l,j}`, two forward passes per
# neuron (``method="fd"``).
import matplotlib.pyplot as plt
import numpy as np

import bcdnet as bn

data = bn.datasets.make_cstr()                   # Paper A's simulated reactor
X, Y = data.to_numpy()
X, Y = X[::10], Y[::10]                          # 1,000 of the 10,000 steady states
X = bn.datasets.Standardizer().fit_transform(X)  # Network and Trainer expect scaled data
Y = bn.datasets.Standardizer().fit_transform(Y)
net = bn.Network.mlp([4, 8, 8, 8, 8, 2], activation="tanh", seed=1)

s = bn.sensitivity(net, X, Y)                    # method="ad": one backward pass
s_fd = bn.sensitivity(net, X, Y, method="fd")    # 2 forward passes per neuron
print(s)
print("largest |AD - FD|:", np.abs(s.values - s_fd.values).max())

# %%
# A positive :math:`s_{l,j}` says that shrinking neuron :math:`j`'s output lowers the loss;
# :math:`s_{l,j}^2` is the first-order importance that the pruning literature gives a unit
# (Molchanov et al. 2019 place a "gate" of ones after each unit: our :math:`\alpha`).
fig, ax = plt.subplots(figsize=(6, 3.5))
edges = np.cumsum([0] + [layer.n_out for layer in net.layers])
ax.bar(np.arange(s.values.size), s.values, color=[f"C{l}" for l, layer in
                                                  enumerate(net.layers)
                                                  for _ in range(layer.n_out)])
ax.plot(np.arange(s.values.size), s_fd.values, "k.", label="finite differences")
ax.set_xticks((edges[:-1] + edges[1:] - 1) / 2,
              [f"layer {l}" for l in range(len(net.layers))])
ax.set(ylabel=r"$s_{l,j} = \partial E / \partial \alpha_{l,j}$",
       title="Neuron sensitivities (bars: backward pass)")
ax.legend()
fig.tight_layout()

# %%
# Identity 1: the sensitivity is a projection of the next layer's weight gradient
# -------------------------------------------------------------------------------
# At :math:`\alpha = 1`, :math:`\nabla_{W_{l+1}} E = A_l^\top \delta Z_{l+1}` and
# :math:`\delta A_l = \delta Z_{l+1} W_{l+1}^\top`, so
#
# .. math::  s_{l,j} = \langle W_{l+1}[j, :],\ \nabla_{W_{l+1}} E\,[j, :] \rangle :
#
# the derivative of :math:`E` along a rescaling of the neuron's *outgoing* weights.  A layer
# can therefore be very sensitive while the gradient of its own weights is small, and the
# reverse: the most-sensitive rule is not the Gauss–Southwell rule on the blocks, which is
# why bcdnet's selectors mix in random exploration (see the design page).
f, g = net.loss_grad(X, Y)
grads = [g[sl] for sl in net.param_slices]
identity = []
for l in range(len(net.layers) - 1):
    nxt = net.layers[l + 1]
    dW = grads[l + 1][:nxt.W.size].reshape(nxt.W.shape)
    identity.append(np.einsum("jk,jk->j", nxt.W, dW))
identity = np.concatenate(identity)
hidden = s.values[:identity.size]
print("largest |s - <W_next, dE/dW_next>| over the hidden neurons:",
      np.abs(hidden - identity).max())

fig, ax = plt.subplots(figsize=(4.5, 4))
ax.plot(identity, hidden, "o")
lim = np.abs(hidden).max() * 1.1
ax.plot([-lim, lim], [-lim, lim], "k:", lw=1)
ax.set(xlabel=r"$\langle W_{l+1}[j,:], \nabla_{W_{l+1}} E[j,:] \rangle$",
       ylabel=r"$s_{l,j}$", title="Identity 1, hidden neurons")
fig.tight_layout()

# %%
# Ranking layers
# --------------
# A selector compares layers (or halves of the stack) by a *score*.  First order: the mean
# squared sensitivity :math:`S_1 = \lVert g\rVert^2 / |G|`.  Second order: the decrease a
# quadratic model in :math:`\alpha` predicts at its Cauchy point inside a trust region of
# radius :math:`\Delta = 10^{-3}` (one :math:`\alpha`-space Hessian-vector product per
# group).  ``MostSensitive`` takes the argmax; ``Bisection`` (Paper A) descends a binary tree,
# keeping the better half at each level unless it explores.
order1, order2 = s.layer_scores(order=1), s.layer_scores(order=2)
print("S1 by layer:", np.array2string(np.asarray(order1), precision=3))
print("S2 by layer:", np.array2string(np.asarray(order2), precision=3))
rng = np.random.default_rng(0)
most = bn.selection.MostSensitive(order=1).select(s, 0, rng)
tree = bn.selection.Bisection(order=2, explore=0.0).select(s, 0, rng)
print("most sensitive (order 1):", most.first, most.record)
print("bisection (order 2):", tree.first, tree.record)

fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
for ax, scores, name in zip(axes, (order1, order2), ("first order $S_1$",
                                                     "second order $S_2$")):
    ax.bar(range(len(scores)), scores, color="C0")
    ax.set(xlabel="layer", title=name, yscale="log")
fig.suptitle("Layer scores: the layer with the tallest bar is trained next")
fig.tight_layout()
