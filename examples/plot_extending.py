"""Extending bcdnet by subclassing: a new activation, a new optimizer and a new selector.

Run it: ``python examples/extending.py``.  Each class is a few lines because the base class
does the rest (validation, buffers, the optimizer's loop and state, the selector's
ε-exploration and records); ``tests/training/test_examples.py`` uses all three.
"""

from __future__ import annotations

import math

import numpy as np

import bcdnet as bn
from bcdnet.optim.base import SteppingOptimizer, check_max_iter, check_tolerance
from bcdnet.selection import Selection, Selector


@bn.activations.register
class Softplus(bn.Activation):
    r"""Softplus, a smooth ReLU.

    .. math::  \sigma(z) = \log(1 + e^z), \quad \sigma'(z) = \mathrm{sigmoid}(z), \quad
               \sigma''(z) = \mathrm{sigmoid}(z)(1 - \mathrm{sigmoid}(z))
    """

    name = "softplus"
    init = "he"

    def f(self, z, out=None):
        xp = bn.backend.namespace_of(z)               # numpy, or cupy on a GPU
        return xp.logaddexp(0.0, z, out=out)          # log(1 + e^z) without overflow

    def df(self, z, h=None, out=None):
        return bn.activations.Sigmoid().f(z, out=out)

    def d2f(self, z, h=None, out=None, d1=None):
        s = self.df(z) if d1 is None else d1
        return bn.backend.namespace_of(s).multiply(s, 1.0 - s, out=out)


class MomentumSGD(SteppingOptimizer):
    r"""Gradient descent with heavy-ball momentum (Polyak 1964).

    .. math::  v_{k+1} = \mu v_k + g_k, \qquad x_{k+1} = x_k - \eta\, v_{k+1}
    """

    limits = {"max_iter": check_max_iter, "gtol": check_tolerance}
    _param_names = ("lr", "momentum", "max_iter", "gtol")

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


class LargestGradientNorm(Selector):
    """The Gauss–Southwell rule on α: the layer whose sensitivities have the largest norm."""

    needs_sensitivity = True

    def _select(self, sens, n_layers, iteration, rng):
        norms = [math.sqrt(float(s @ s)) for s in sens.by_layer]   # any backend
        layer = int(np.argmax(norms))
        return Selection(layer, layer, {"selector": "largest_gradient_norm", "scores": norms})


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    Y = np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3]
    net = bn.Network.mlp([3, 16, 16, 1], activation="softplus", seed=0)
    result = bn.Trainer(MomentumSGD(lr=0.01), LargestGradientNorm(epsilon=0.1),
                        max_iter=30).fit(net, X, Y)
    print(result)
    print(result.history[["iteration", "block", "train_loss"]].tail())
