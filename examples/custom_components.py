r"""Custom components: a Layer, a Loss, a full-batch Optimizer and a Selector, trained together.

Run it: ``python examples/custom_components.py`` (no plots).  Each class implements what its
base's contract asks for (the abstract methods of :class:`bcdnet.Layer`, :class:`bcdnet.Loss`,
:class:`bcdnet.optim.Optimizer` and :class:`bcdnet.selection.Selector`); leaving one out makes
the class fail at instantiation with a ``TypeError`` naming it.  The script checks the
derivatives of the layer and the loss against finite differences (:mod:`bcdnet.testing`),
then trains a network built from them with the Trainer.
``tests/extending/test_custom_components.py`` tests every class.
"""

from __future__ import annotations

import math

import numpy as np

import bcdnet as bn
from bcdnet.backend import namespace_of
from bcdnet.optim import Optimizer, Status
from bcdnet.optim.base import (check_max_iter, check_tolerance, first_evaluation, result,
                               snapshot, stopped)
from bcdnet.selection import Selection, Selector


class BiasFreeLinear(bn.Layer):
    r"""A linear layer without bias or activation, its outputs scaled by α.

    .. math::

        Z = A_{prev} W, \qquad A = Z \operatorname{diag}(\alpha)

    Backward, with :math:`\delta Z = \delta A \odot \alpha`:
    :math:`\nabla_W E = A_{prev}^\top \delta Z`, :math:`\nabla_\alpha E = (\delta A \odot Z)^\top
    \mathbf 1`, :math:`\delta A_{prev} = \delta Z W^\top`.  The R-passes differentiate these
    along :math:`(V_W, V_\alpha)`.
    """

    def __init__(self, n_in: int, n_out: int):
        self.n_in, self.n_out = n_in, n_out
        self.n_params = n_in * n_out
        self.W = self.scales = None

    def __repr__(self) -> str:
        return f"BiasFreeLinear({self.n_in}, {self.n_out})"

    def bind(self, params, scales):
        self.W = params.reshape(self.n_in, self.n_out)
        self.scales = scales
        self.xp = namespace_of(params)

    def initialize(self, rng):
        limit = math.sqrt(6.0 / (self.n_in + self.n_out))          # Glorot uniform
        W = rng.uniform(-limit, limit, size=(self.n_in, self.n_out))
        self.W[...] = bn.backend.asarray(W, self.xp, self.W.dtype)

    def forward(self, A_prev, cache):
        cache.A_prev = A_prev
        cache.Z = A_prev @ self.W
        return cache.Z * self.scales

    def backward(self, dA, cache, grad=None, grad_scales=None, need_input_grad=True, ones=None):
        cache.dA = dA
        cache.dZ = dZ = dA * self.scales
        if grad_scales is not None:
            grad_scales[...] = (dA * cache.Z).sum(axis=0)
        if grad is not None:
            grad[...] = (cache.A_prev.T @ dZ).reshape(-1)
        return dZ @ self.W.T if need_input_grad else None

    def r_forward(self, cache, RA_prev, V=None, V_scales=None):
        xp, Z = self.xp, cache.Z
        RZ = xp.zeros_like(Z) if RA_prev is None else RA_prev @ self.W
        if V is not None:
            RZ = RZ + cache.A_prev @ V.reshape(self.n_in, self.n_out)
        cache.RA_prev, cache.RZ = RA_prev, RZ
        RA = RZ * self.scales
        return RA if V_scales is None else RA + Z * V_scales

    def r_backward(self, cache, RdA, V=None, V_scales=None, hv=None, hv_scales=None,
                   need_input_grad=True, ones=None):
        xp, dA, dZ = self.xp, cache.dA, cache.dZ
        RdA = xp.zeros_like(dA) if RdA is None else RdA
        RdZ = RdA * self.scales if V_scales is None else RdA * self.scales + dA * V_scales
        if hv_scales is not None:
            hv_scales[...] = (RdA * cache.Z + dA * cache.RZ).sum(axis=0)
        if hv is not None:
            hW = cache.A_prev.T @ RdZ
            if cache.RA_prev is not None:
                hW = hW + cache.RA_prev.T @ dZ
            hv[...] = hW.reshape(-1)
        if not need_input_grad:
            return None
        RdA_prev = RdZ @ self.W.T
        return RdA_prev if V is None else RdA_prev + dZ @ V.reshape(self.n_in, self.n_out).T


class LogCosh(bn.Loss):
    r"""The log-cosh loss: quadratic near zero, linear far out (robust to outliers).

    With residuals :math:`r = \hat Y - Y`, weights :math:`w_n` and :math:`c = 1/(m \sum w)`:

    .. math::

        E = c \sum_n w_n \sum_j \log\cosh r_{nj}, \quad
        \frac{\partial E}{\partial \hat y_{nj}} = c\, w_n \tanh r_{nj}, \quad
        \frac{\partial^2 E}{\partial \hat y_{nj}^2} = c\, w_n (1 - \tanh^2 r_{nj})
    """

    @staticmethod
    def _weights(P, sample_weight):
        xp = namespace_of(P)
        w = xp.ones(P.shape[0], dtype=P.dtype) if sample_weight is None else sample_weight
        return w[:, None] / (P.shape[1] * float(w.sum())), xp

    def value(self, P, Y, sample_weight=None):
        cw, xp = self._weights(P, sample_weight)
        r = xp.abs(P - Y)
        log_cosh = r + xp.log1p(xp.exp(-2.0 * r)) - math.log(2.0)   # no overflow for big r
        return float((cw * log_cosh).sum())

    def grad(self, P, Y, sample_weight=None, out=None):
        cw, xp = self._weights(P, sample_weight)
        return xp.multiply(cw, xp.tanh(P - Y), out=out)

    def hvp(self, P, Y, R, sample_weight=None, out=None):
        cw, xp = self._weights(P, sample_weight)
        t = xp.tanh(P - Y)
        return xp.multiply(cw * (1.0 - t * t), R, out=out)


class ArmijoDescent(Optimizer):
    r"""Steepest descent with a backtracking (Armijo) line search; full batch.

    .. math::

        x_{k+1} = x_k - t_k g_k, \qquad
        f(x_k - t g_k) \le f(x_k) - c\, t \lVert g_k \rVert^2,

    with :math:`t` halved from the last accepted step times ``grow`` until the condition
    holds.  The state is that last step, so a revisited block starts from a good one.
    """

    limits = {"max_iter": check_max_iter, "gtol": check_tolerance}

    def __init__(self, c=1e-4, grow=2.0, *, max_iter=50, gtol=1e-6):
        self.c = bn._validation.check_positive(c, "c")
        self.grow = bn._validation.check_positive(grow, "grow")
        self._check_limits(max_iter=max_iter, gtol=gtol)
        self.reset()

    def reset(self):
        self.step = 1.0

    def _get_state(self):
        return {"step": self.step}

    def _set_state(self, state):
        self.step = bn._validation.check_positive(state["step"], "state['step']")

    def _minimize(self, fun, x0, callback, batches, *, max_iter, gtol):
        f, g = first_evaluation(fun, x0)
        x, nit, nfev = x0, 0, 1
        while True:
            gnorm = float(abs(g).max())
            if gnorm <= gtol:
                status, message = stopped(Status.GTOL, gnorm=gnorm, gtol=gtol)
                break
            if nit >= max_iter:
                status, message = stopped(Status.MAX_ITER, max_iter=max_iter)
                break
            gg, t = float(g @ g), self.step * self.grow
            while True:
                f_new, g_new = fun(x - t * g)
                nfev += 1
                if f_new <= f - self.c * t * gg:
                    break
                t *= 0.5
                if t < 1e-20:
                    return result(x, f, g, nit, nfev, Status.LINE_SEARCH_FAILED,
                                  "failed: no step along -grad lowered f")
            x, f, g, self.step, nit = x - t * g, f_new, g_new, t, nit + 1
            if callback is not None and callback(snapshot(x, f, g, nit, nfev)):
                status, message = stopped(Status.CALLBACK)
                break
        return result(x, f, g, nit, nfev, status, message)


class StaleOrSensitive(Selector):
    """The most sensitive layer, unless a layer has waited ``patience`` visits: then that one.

    Parameters
    ----------
    patience : int, default 3
        A layer not trained for this many iterations is trained next (oldest first).
    epsilon : float, default 0.0
        ε-uniform mixing (:mod:`bcdnet.selection`).

    The state is the iteration each layer was last trained at.
    """

    name = "stale_or_sensitive"
    needs_sensitivity = True

    def __init__(self, patience=3, epsilon=0.0):
        super().__init__(epsilon)
        self.patience = bn._validation.check_int(patience, "patience", minimum=1)
        self.reset()

    def reset(self):
        self.last_trained = []

    def _get_state(self):
        return {"last_trained": list(self.last_trained)}

    def _set_state(self, state):
        self.last_trained = [int(i) for i in state["last_trained"]]

    def _select(self, sens, n_layers, iteration, rng):
        if len(self.last_trained) != n_layers:
            self.last_trained = [-1] * n_layers
        waits = [iteration - last for last in self.last_trained]
        scores = [float(sens.group_score(l, l)) for l in range(n_layers)]
        if max(waits) > self.patience:
            layer, why = int(np.argmax(waits)), "stale"
        else:
            layer, why = int(np.argmax(scores)), "most sensitive"
        self.last_trained[layer] = iteration
        return Selection(layer, layer, {"scores": scores, "why": why})


def network(n_in, n_hidden, n_out, seed=0):
    """A tanh layer, a bias-free linear layer and a linear output, under the log-cosh loss."""
    layers = [bn.Dense(n_in, n_hidden, "tanh"), BiasFreeLinear(n_hidden, n_hidden),
              bn.Dense(n_hidden, n_out, "identity")]
    return bn.Network(layers, loss=LogCosh()).initialize(seed)


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3]
    Y[::25] += 8.0                                   # outliers: why log-cosh, not MSE

    net = network(3, 8, 1)
    print(net)
    params = net.params.copy()

    def fun(p):
        net.params = p
        return net.loss_grad(X[:40], Y[:40])
    print(bn.testing.check_grad(fun, params).raise_if_failed())
    print(bn.testing.check_hvp(lambda p: fun(p)[1],
                               lambda p, v: (fun(p), net.hvp(X[:40], Y[:40], v))[1],
                               params).raise_if_failed())
    net.params = params

    start = net.loss_value(X, Y)
    res = bn.Trainer(ArmijoDescent(max_iter=20), StaleOrSensitive(patience=2),
                     max_iter=30, progress=False).fit(net, X, Y)
    print(res)
    print(res.history[["iteration", "block", "train_loss"]].tail())
    end = net.loss_value(X, Y)
    print(f"log-cosh loss {start:.4f} -> {end:.4f}")
    if not end < 0.5 * start:
        raise SystemExit("training did not halve the loss")


if __name__ == "__main__":
    main()
