r"""Gradient descent with a trust-region bound on the step: Paper A's inner solver."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_positive
from .base import SteppingOptimizer, check_max_iter, check_tolerance

__all__ = ["GD"]


class GD(SteppingOptimizer):
    r"""Gradient descent whose step is clipped to a trust radius.

    Each iteration takes

    .. math::

        p_k = \eta\, g_k, \qquad
        x_{k+1} = x_k - p_k \cdot \min\!\Bigl(1, \frac{\Delta}{\lVert p_k \rVert_2}\Bigr),

    so the step never leaves the Euclidean ball of radius :math:`\Delta` (``trust_radius``)
    around :math:`x_k`; without a radius it is plain gradient descent.  The norm is the
    2-norm of the whole step, so clipping shortens the step without turning it.

    Paper A ("Hierarchical multi-scale parametric optimization of deep neural networks",
    Zhang et al. 2023, Table 1) trains the selected layer by this rule with
    :math:`\eta = 10^{-4}`, 1000 epochs per visit and a trust-region bound of
    :math:`10^{-3}`: ``GD(lr=1e-4, trust_radius=1e-3, max_iter=1000)``.  With ``batches``
    each step uses one mini-batch gradient (see :class:`~bcdnet.optim.base.SteppingOptimizer`).
    GD keeps no state between calls.

    Parameters
    ----------
    lr : float, default 1e-4
        Learning rate :math:`\eta` (> 0).
    trust_radius : float or None, default None
        Largest 2-norm of one step (> 0); None means no bound.
    max_iter : int, default 1000
        Steps per call.
    gtol : float, default 0.0
        Stop when :math:`\lVert g \rVert_\infty \le` gtol; 0 switches the test off.
    """

    limits = {"max_iter": check_max_iter, "gtol": check_tolerance}

    def __init__(self, lr=1e-4, trust_radius=None, *, max_iter=1000, gtol=0.0):
        self.lr = check_positive(lr, "lr")
        self.trust_radius = None if trust_radius is None else check_positive(trust_radius,
                                                                             "trust_radius")
        self._check_limits(max_iter=max_iter, gtol=gtol)

    def _step(self, x, g):
        step = self.lr * g
        if self.trust_radius is not None:
            length = math.sqrt(float(step @ step))
            if length > self.trust_radius:
                step *= self.trust_radius / length
        return x - step

    # GD has no state: these keep the shared interface.
    def _prepare(self, size):
        pass

    def reset(self):
        pass

    def _get_state(self):
        return {}

    def _set_state(self, state):
        pass
