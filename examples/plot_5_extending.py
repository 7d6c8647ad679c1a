r"""
Extending bcdnet: a new activation, Layer, Loss, Optimizer and Selector
=======================================================================

Each component is a subclass that fills in a few methods; the base class does the rest
(validation, buffers, the optimizer's loop and saved state, the selector's exploration and
records).  Every derivative you write is verified in one call by
:func:`bcdnet.testing.check_activation`, :func:`~bcdnet.testing.check_layer` and
:func:`~bcdnet.testing.check_loss`, which compare it with float64 central differences,
check the ``out=`` contract, shapes and dtypes, and run it inside a small network (gradient,
Hessian-vector product, sensitivities).  ``tests/training/test_examples.py`` imports this file
and tests the classes again.
"""

# %%
# An activation: softplus
# -----------------------
# Implement ``f``, ``df`` and ``d2f``, each writing into ``out=`` when given and returning
# it.  ``df`` and ``d2f`` may receive the already computed ``h = f(z)`` (and ``d1``).
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

import bcdnet as bn
from bcdnet.backend import asarray, namespace_of
from bcdnet.layers import Layer
from bcdnet.optim.base import SteppingOptimizer, check_max_iter, check_tolerance
from bcdnet.selection import Selection, Selector
from bcdnet.testing import check_activation, check_layer, check_loss


@bn.activations.register
class Softplus(bn.Activation):
    r"""Softplus, a smooth ReLU.

    .. math::  \sigma(z) = \log(1 + e^z), \quad \sigma'(z) = \mathrm{sigmoid}(z), \quad
               \sigma''(z) = \mathrm{sigmoid}(z)(1 - \mathrm{sigmoid}(z))
    """

    name = "softplus"
    init = "he"

    def f(self, z, out=None):
        xp = namespace_of(z)                          # numpy, or cupy on a GPU
        return xp.logaddexp(0.0, z, out=out)          # log(1 + e^z) without overflow

    def df(self, z, h=None, out=None):
        return bn.activations.Sigmoid().f(z, out=out)

    def d2f(self, z, h=None, out=None, d1=None):
        s = self.df(z) if d1 is None else d1
        return namespace_of(s).multiply(s, 1.0 - s, out=out)


reports = check_activation(Softplus())
print(f"Softplus passed {len(reports)} checks, e.g.\n{reports[1]}\n{reports[-3]}")

# %%
# A mistake these checks catch and a gradient check does not: an ``f`` that ignores
# ``out=``.  Its values are right, but the backward pass reads the buffer ``f`` should have
# filled, so the sensitivities come out wrong.


class ForgetsOut(Softplus):
    def f(self, z, out=None):
        return np.logaddexp(0.0, z)                   # returns a new array, ignores out


try:
    check_activation(ForgetsOut())
except AssertionError as error:
    print(str(error)[:600], "...")

# %%
# A Layer: one input per neuron
# -----------------------------
# A layer declares ``n_in``, ``n_out`` and ``n_params``, binds views into the network's flat
# vectors, and implements the four passes: ``forward``, ``backward`` and the two R-passes
# that give exact Hessian-vector products.  Here neuron :math:`j` sees input :math:`j` only,
#
# .. math::  Z = A_{prev} \odot w + b, \qquad H = \sigma(Z), \qquad A = H \odot \alpha,
#
# so every pass is elementwise.  ``None`` stands for a zero input or direction.


class Diagonal(Layer):
    """``n`` neurons, neuron ``j`` fed by input ``j`` alone, with weight ``w[j]``."""

    def __init__(self, n, activation="tanh"):
        self.n_in = self.n_out = n
        self.n_params = 2 * n                         # w, then b
        self.activation = bn.get_activation(activation)

    def bind(self, params, scales):
        n = self.n_out
        self.w, self.b, self.scales = params[:n], params[n:], scales
        self.xp = namespace_of(params)

    def initialize(self, rng):
        self.w[...] = asarray(rng.uniform(0.5, 1.5, self.n_out), self.xp)
        self.b[...] = 0.0

    def forward(self, A_prev, cache):
        cache.A_prev = A_prev
        cache.Z = A_prev * self.w + self.b
        cache.H = self.activation.f(cache.Z)
        cache.D1 = self.activation.df(cache.Z, cache.H)
        return cache.H * self.scales

    def backward(self, dA, cache, grad=None, grad_scales=None, need_input_grad=True,
                 ones=None):
        cache.dA = dA
        cache.dZ = dZ = dA * self.scales * cache.D1
        if grad_scales is not None:
            grad_scales[...] = (dA * cache.H).sum(axis=0)
        if grad is not None:
            grad[:self.n_out] = (dZ * cache.A_prev).sum(axis=0)
            grad[self.n_out:] = dZ.sum(axis=0)
        return dZ * self.w if need_input_grad else None

    def r_forward(self, cache, RA_prev, V=None, V_scales=None):
        RZ = self.xp.zeros_like(cache.Z)
        if RA_prev is not None:
            RZ += RA_prev * self.w
        if V is not None:
            RZ += cache.A_prev * V[:self.n_out] + V[self.n_out:]
        cache.RA_prev, cache.RZ = RA_prev, RZ
        cache.RH = cache.D1 * RZ
        RA = cache.RH * self.scales
        if V_scales is not None:
            RA += cache.H * V_scales
        return RA

    def r_backward(self, cache, RdA, V=None, V_scales=None, hv=None, hv_scales=None,
                   need_input_grad=True, ones=None):
        dA, dZ = cache.dA, cache.dZ
        RdA = self.xp.zeros_like(dA) if RdA is None else RdA
        RdH = RdA * self.scales + (0.0 if V_scales is None else dA * V_scales)
        D2 = self.activation.d2f(cache.Z, cache.H, d1=cache.D1)
        RdZ = RdH * cache.D1 + dA * self.scales * D2 * cache.RZ
        if hv_scales is not None:
            hv_scales[...] = (RdA * cache.H + dA * cache.RH).sum(axis=0)
        if hv is not None:
            RA_prev = 0.0 if cache.RA_prev is None else cache.RA_prev
            hv[:self.n_out] = (RdZ * cache.A_prev + dZ * RA_prev).sum(axis=0)
            hv[self.n_out:] = RdZ.sum(axis=0)
        if not need_input_grad:
            return None
        return RdZ * self.w + (0.0 if V is None else dZ * V[:self.n_out])

    def __repr__(self):
        return f"Diagonal({self.n_out}, activation={self.activation!r})"


reports = check_layer(Diagonal(3, activation="softplus"))
print(f"Diagonal passed {len(reports)} checks")

# %%
# A Loss: log-cosh
# ----------------
# A loss sees the predictions :math:`P` and targets :math:`Y` and gives its value, its
# gradient in :math:`P` and its Hessian-vector product.  Log-cosh is quadratic near 0 and
# linear far away, so outliers pull less than in the MSE:
#
# .. math::  E = c \sum_n w_n \sum_k \log\cosh(p_{nk} - y_{nk}), \quad
#            \frac{\partial E}{\partial p_{nk}} = c\, w_n \tanh r_{nk}, \quad
#            \nabla^2 E \cdot R = c\, w_n (1 - \tanh^2 r_{nk}) R_{nk},
#
# with :math:`c = 1 / (m \sum_n w_n)`.


class LogCosh(bn.Loss):
    """Mean log-cosh of the residuals, with optional sample weights."""

    @staticmethod
    def _weights(P, sample_weight):
        xp = namespace_of(P)                          # numpy, or cupy on a GPU
        w = xp.ones(P.shape[0], dtype=P.dtype) if sample_weight is None else sample_weight
        return (w / (P.shape[1] * w.sum()))[:, None]

    def value(self, P, Y, sample_weight=None):
        xp = namespace_of(P)
        r = P - Y
        logcosh = xp.logaddexp(r, -r) - math.log(2.0)     # log cosh r, no overflow
        return float((self._weights(P, sample_weight) * logcosh).sum())

    def grad(self, P, Y, sample_weight=None, out=None):
        xp = namespace_of(P)
        out = xp.tanh(xp.subtract(P, Y, out=out), out=out)
        out *= self._weights(P, sample_weight)
        return out

    def hvp(self, P, Y, R, sample_weight=None, out=None):
        xp = namespace_of(P)
        out = xp.tanh(xp.subtract(P, Y, out=out), out=out)
        xp.multiply(out, out, out=out)
        xp.subtract(1.0, out, out=out)
        out *= R
        out *= self._weights(P, sample_weight)
        return out


reports = check_loss(LogCosh())
print(f"LogCosh passed {len(reports)} checks")

# %%
# An Optimizer: heavy-ball momentum
# ---------------------------------
# A stepping optimizer implements one step; the base class runs the loop, the stopping
# tests, and saving and restoring the state (here the velocity) by stable keys.


class MomentumSGD(SteppingOptimizer):
    r"""Gradient descent with heavy-ball momentum (Polyak 1964).

    .. math::  v_{k+1} = \mu v_k + g_k, \qquad x_{k+1} = x_k - \eta\, v_{k+1}
    """

    limits = {"max_iter": check_max_iter, "gtol": check_tolerance}

    def __init__(self, lr=1e-2, momentum=0.9, *, max_iter=100, gtol=0.0):
        self.lr = bn._validation.check_positive(lr, "lr")
        self.momentum = bn._validation.check_probability(momentum, "momentum")
        self._check_limits(max_iter=max_iter, gtol=gtol)
        self.velocity = None

    def _prepare(self, size):
        if self.velocity is None:
            self.velocity = self._xp.zeros(size)      # the array namespace of x0

    def _step(self, x, g):
        self.velocity *= self.momentum
        self.velocity += g
        return x - self.lr * self.velocity

    def reset(self):
        self.velocity = None

    def _get_state(self):
        return {"velocity": self.velocity}

    def _set_state(self, state):
        self.velocity = state["velocity"]

    def _state_size(self):
        return None if self.velocity is None else self.velocity.size


# Verified on a quadratic whose minimiser is known: f(x) = ½ xᵀ diag(d) x, minimum at 0.
d = np.array([1.0, 4.0, 9.0])
res = MomentumSGD(lr=0.05, momentum=0.8, max_iter=300).minimize(
    lambda x: (0.5 * float(x @ (d * x)), d * x), np.ones(3))
print(res.message, "| distance to the minimiser:", np.abs(res.x).max())
assert np.abs(res.x).max() < 1e-6

# %%
# A Selector: the Gauss–Southwell rule on the sensitivities
# ---------------------------------------------------------
# A selector returns the layers to train next and a record of why.  The base class adds
# :math:`\varepsilon`-uniform exploration (``epsilon=``) and the state handling.


class LargestGradientNorm(Selector):
    """The Gauss–Southwell rule on α: the layer whose sensitivities have the largest norm."""

    needs_sensitivity = True

    def _select(self, sens, n_layers, iteration, rng):
        norms = [math.sqrt(float(s @ s)) for s in sens.by_layer]   # any backend
        layer = int(np.argmax(norms))
        return Selection(layer, layer, {"selector": "largest_gradient_norm", "scores": norms})


# %%
# Everything together
# -------------------
# A network with the new layer and activation, trained under the new loss by BCD with the
# new optimizer and selector.  The selector is verified against its definition on the
# sensitivities of the starting network.
rng = np.random.default_rng(0)
X = rng.normal(size=(500, 3))
Y = np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3]
net = bn.Network([bn.Dense(3, 16, "softplus"), Diagonal(16, "softplus"),
                  bn.Dense(16, 16, "softplus"), bn.Dense(16, 1, "identity")],
                 loss=LogCosh()).initialize(0)
sens = bn.sensitivity(net, X, Y)
choice = LargestGradientNorm().select(sens, 0, rng)
assert choice.first == int(np.argmax([math.sqrt(float(s @ s)) for s in sens.by_layer]))

result = bn.Trainer(MomentumSGD(lr=0.05, max_iter=50), LargestGradientNorm(epsilon=0.1),
                    max_iter=30, tol=0, progress=False).fit(net, X, Y)
print(result)
print(result.history[["iteration", "block", "train_loss"]].tail())

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogy(result.history["iteration"], result.history["train_loss"], "o-", ms=3)
ax.set(xlabel="BCD iteration", ylabel="log-cosh loss",
       title="All five new components, trained together")
fig.tight_layout()
