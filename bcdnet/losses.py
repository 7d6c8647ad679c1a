r"""Losses of the predictions: value, gradient and Hessian-vector product.

A loss sees the predictions :math:`\hat Y` (shape ``(n_samples, n_outputs)``) and the targets
:math:`Y`; the network supplies everything upstream.  The three methods give what the
forward pass, the backward pass and the R-operator need:

- ``value(P, Y)`` : :math:`E(\hat Y)`,
- ``grad(P, Y)`` : :math:`\partial E / \partial \hat Y`, shape of ``P``,
- ``hvp(P, Y, R)`` : :math:`\nabla^2_{\hat Y} E \cdot R` for a direction ``R`` shaped like ``P``.

To add a loss, subclass :class:`Loss` and implement these three.
"""

from __future__ import annotations

import abc

import numpy as np

from .backend import namespace_of

__all__ = ["Loss", "MSE"]


class Loss(abc.ABC):
    r"""Base class for losses of the predictions.

    A subclass implements :meth:`value`, :meth:`grad` and :meth:`hvp` (abstract: a subclass
    missing one cannot be instantiated, and the ``TypeError`` names it), and may override
    :meth:`value_and_grad` to share work.  ``P`` and ``Y`` have shape
    ``(n_samples, n_outputs)``; ``sample_weight`` (shape ``(n_samples,)``, non-negative,
    positive sum) is validated by the caller at the public boundary, and losses trust it.
    ``out``, when given, is a preallocated array shaped like ``P`` that receives the result
    and is returned.  Compute in the namespace of ``P`` (``namespace_of(P)``).

    A loss that is a weighted mean over rows, :math:`E = \sum_n w_n e_n / \sum_n w_n` with
    :math:`e_n` depending on row :math:`n` only, may set ``row_mean = True``: large
    evaluations are then split into row blocks run on several threads
    (:mod:`bcdnet._row_blocks`).  The default is False (one block, whatever the loss).
    """

    #: whether E is a weighted mean over rows of per-row terms (see above)
    row_mean = False

    @abc.abstractmethod
    def value(self, P, Y, sample_weight=None) -> float:
        r"""Return :math:`E(\hat Y)` as a Python float."""

    @abc.abstractmethod
    def grad(self, P, Y, sample_weight=None, out=None):
        r"""Return :math:`\partial E / \partial \hat Y`, shape ``(n_samples, n_outputs)``."""

    def value_and_grad(self, P, Y, sample_weight=None, out=None):
        """Return ``(value, grad)``; subclasses may share work between the two."""
        return self.value(P, Y, sample_weight), self.grad(P, Y, sample_weight, out=out)

    @abc.abstractmethod
    def hvp(self, P, Y, R, sample_weight=None, out=None):
        r"""Return :math:`\nabla^2_{\hat Y} E \cdot R` for a direction ``R`` shaped like ``P``.

        The Hessian is that of :math:`E` in the predictions (block-diagonal over samples);
        ``R`` is :math:`R\{\hat Y\} = Jv`.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Loss):
    r"""Mean squared error over samples and outputs, with optional sample weights.

    With residuals :math:`r_n = \hat y_n - y_n \in \mathbb{R}^m` and weights :math:`w_n`
    (all 1 by default):

    .. math::

        E = \frac{1}{m \sum_n w_n} \sum_{n=1}^{N} w_n \lVert r_n \rVert^2, \qquad
        \frac{\partial E}{\partial \hat y_n} = c\, w_n r_n, \qquad
        \nabla^2_{\hat y_n} E = c\, w_n I, \qquad c = \frac{2}{m \sum_n w_n}.

    Without weights this is :math:`E = \frac{1}{N m} \sum_n \lVert r_n \rVert^2`, the mean over
    samples and outputs (docs/design.rst).  Weights are normalised by their sum, so scaling all
    weights leaves :math:`E` unchanged and integer weights equal repeated rows.
    """

    row_mean = True

    @staticmethod
    def _scale(P, sample_weight):
        """Return ``(c, w)``: the factor :math:`c` and the weights divided by their largest.

        :math:`E` is invariant to a common factor of the weights, and with the largest weight
        1 the sum lies in :math:`[1, N]`: weights near 1e308 cannot overflow it, nor
        subnormal ones (5e-324) make :math:`c` infinite.  A mini-batch of rows that all
        weigh 0 carries nothing: :math:`c = 0`, so :math:`E = 0` and a zero gradient.
        """
        if sample_weight is None:
            return 2.0 / (P.shape[1] * P.shape[0]), None
        peak = sample_weight.max()
        if peak == 0:
            return 0.0, sample_weight
        w = sample_weight / peak
        return 2.0 / (P.shape[1] * float(w.sum())), w

    def value(self, P, Y, sample_weight=None) -> float:
        return self.value_and_grad(P, Y, sample_weight)[0]

    def grad(self, P, Y, sample_weight=None, out=None):
        return self.value_and_grad(P, Y, sample_weight, out=out)[1]

    def value_and_grad(self, P, Y, sample_weight=None, out=None):
        """Return ``(E, dE/dP)``; the residual buffer becomes the gradient in place."""
        c, w = self._scale(P, sample_weight)
        xp = namespace_of(P)
        # An overflow gives inf, never a warning: optimizers and the Trainer treat a
        # non-finite loss as divergence and step back.
        with np.errstate(over="ignore", invalid="ignore"):
            r = xp.subtract(P, Y, out=out)
            if w is None:
                value = 0.5 * c * float(xp.vdot(r, r))   # the one number read from a device
                r *= c
            else:
                value = 0.5 * c * float(w @ xp.einsum("ij,ij->i", r, r))
                r *= (c * w)[:, None]
        return value, r

    def hvp(self, P, Y, R, sample_weight=None, out=None):
        c, w = self._scale(P, sample_weight)
        xp = namespace_of(R)
        if w is None:
            return xp.multiply(R, c, out=out)
        return xp.multiply(R, (c * w)[:, None], out=out)
