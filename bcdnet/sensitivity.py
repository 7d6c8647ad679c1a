r"""Neuron sensitivities :math:`\partial E / \partial \alpha` and the layer scores built on them.

Every neuron :math:`j` of layer :math:`l` multiplies its output by a scaling factor
:math:`\alpha_{l,j}` (ones unless changed; docs/design.rst, Conventions),
:math:`A_l = H_l \operatorname{diag}(\alpha_l)`.
Its *sensitivity* is the derivative of the loss in that factor,

.. math::

    s_{l,j} = \frac{\partial E}{\partial \alpha_{l,j}}
            = \sum_n \delta a^{(n)}_{l,j}\, h^{(n)}_{l,j},
    \qquad \delta a_l = \frac{\partial E}{\partial a_l},

so one forward and one backward pass give all of them (``method="ad"``).  At
:math:`\alpha = 1`, *Identity 1* (docs/design.rst) says the same number is the projection
of the outgoing weights on their gradient,
:math:`s_{l,j} = \langle W_{l+1}[j, :], \nabla_{W_{l+1}} E[j, :] \rangle`: the directional
derivative of :math:`E` along a rescaling of the neuron's fan-out.  This is the gate of
Molchanov et al. (2019), whose first-order importance of a neuron is :math:`s_{l,j}^2`.
The independent check of Paper A is the central difference (``method="fd"``)

.. math::

    s_{l,j} \approx \frac{E(\alpha_{l,j} + h) - E(\alpha_{l,j} - h)}{2h},

two forward passes per neuron, each starting at layer :math:`l` from the cached output of
the layers below (which the perturbation does not change).

**Group scores** (docs/design.rst).  For a contiguous group :math:`G` of layers with
:math:`|G|` neurons let :math:`g = g_G` be the sensitivities restricted to it.

* First order, the mean squared neuron sensitivity:
  :math:`S_1(G) = \lVert g \rVert^2 / |G|`.
* Second order, the decrease of the quadratic model
  :math:`m(p) = g^\top p + \tfrac12 p^\top H_{\alpha\alpha} p` at its *Cauchy point*, the
  minimiser along :math:`-g` inside the trust region :math:`\lVert p \rVert \le \Delta`
  (Nocedal & Wright, *Numerical Optimization*, 2nd ed., 2006, §4.1).  With :math:`v` equal
  to :math:`g` on the group and 0 elsewhere, one α-space Hessian-vector product gives
  :math:`\kappa = v^\top H_{\alpha\alpha} v`, and

  .. math::

      \tau = \begin{cases} 1 & \kappa \le 0 \\
             \min\bigl(\lVert g \rVert^3 / (\Delta \kappa),\, 1\bigr) & \kappa > 0 \end{cases},
      \qquad
      p_C = -\tau \Delta \frac{g}{\lVert g \rVert}, \qquad
      S_2(G) = \frac{1}{|G|}\Bigl(\tau \Delta \lVert g \rVert
               - \tfrac12 \tau^2 \Delta^2 \frac{\kappa}{\lVert g \rVert^2}\Bigr),

  with :math:`S_2 = 0` when :math:`g = 0`.  Inside the region (:math:`\tau < 1`) this is
  :math:`(g^\top g)^2 / (2 \kappa |G|)`; on its boundary curvature only re-ranks groups whose
  gradients are close.  ``gauss_newton=True`` uses the Gauss–Newton matrix for
  :math:`\kappa`, which is never negative.

  **Comparable normalisation, and order 2's own radius.**  Both scores are predicted
  decreases of :math:`E` per neuron for a step along :math:`-g`: :math:`S_1` that of the
  first-order model for the step :math:`p = -g`, :math:`S_2` that of the second-order model at
  its minimiser along :math:`-g` inside the trust region.  Inside the region
  :math:`S_2 = S_1 / (2\rho)` with :math:`\rho = \kappa / \lVert g \rVert^2` the curvature
  along :math:`g`, so the two orders rank two groups differently exactly when their
  curvatures differ by more than their first-order scores do.  That needs a region large
  enough to contain the minimiser: with :math:`\Delta` = 1e-3 (Paper A's Table 1, the same
  number as the gradient-descent step clip) every group of a network in training sits on
  the boundary, where :math:`S_2 \approx \Delta \lVert g \rVert / |G|` is a first-order
  ranking in disguise (measured: the same half as order 1 at 130 of 130 bisection nodes).
  Order 2 therefore has its own default radius, :data:`SECOND_ORDER_RADIUS` = 1 in
  α-units: at :math:`\alpha = 1` a step that may change the group's scales by as much as
  one whole scale.  Pass ``trust_radius=1e-3`` to reproduce Paper A's setting.

  Both are computed from :math:`u = g / \max|g|` (and :math:`\kappa` through the curvature
  along :math:`g`, :math:`\kappa / \lVert g \rVert^2 = u^\top H_{\alpha\alpha} u / u^\top u`),
  so sensitivities near 1e300 overflow nothing: :math:`S_2` stays finite, and an
  :math:`S_1` beyond the float64 range is inf, without a RuntimeWarning.

A :class:`Sensitivity` describes the network at one point: second-order scores are computed
lazily, on request, from the network and data it keeps, so it is **stale** once the
parameters or the scales change (asking it for a new second-order score then raises).
"""

from __future__ import annotations

import math

import numpy as np

from . import passes
from ._validation import check_choice, check_int, check_positive
from .backend import asarray
from .network import Network, evaluate
from ._finite_differences import fd_gradient

__all__ = ["Sensitivity", "sensitivity", "sensitivity_from_gradient", "METHODS",
           "SECOND_ORDER_RADIUS"]

#: The ways to compute the neuron sensitivities.
METHODS = ("ad", "fd")

#: The default trust radius :math:`\Delta` of second-order scores, in α-units (module
#: docstring: large enough that curvature can change a ranking).
SECOND_ORDER_RADIUS = 1.0


def sensitivity(net: Network, X, Y, sample_weight=None, method: str = "ad",
                h: float = 1e-5) -> "Sensitivity":
    r"""Return the neuron sensitivities :math:`s = \partial E / \partial \alpha` of ``net``.

    Parameters
    ----------
    net : Network
    X : array_like of shape (n_samples, n_inputs)
    Y : array_like of shape (n_samples, n_outputs) or (n_samples,)
    sample_weight : array_like of shape (n_samples,), optional
    method : {"ad", "fd"}, default "ad"
        ``"ad"``: one backward pass (exact).  ``"fd"``: central differences with step ``h``
        in every :math:`\alpha_{l,j}`, 2 forward passes per neuron; α is restored exactly.
    h : float, default 1e-5
        Finite-difference step (``"fd"`` only); absolute, since α is of order 1.

    Returns
    -------
    Sensitivity
        At the network's current parameters and scales (normally α = 1).
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a Network, got {type(net).__name__}")
    method = check_choice(method, "method", METHODS)
    h = check_positive(h, "h")
    X, Y, w = net._check_data(X, Y, sample_weight)
    if method == "ad":
        loss, values = net.scales_grad(X, Y, w)
    else:
        loss, values = _central_differences(net, X, Y, w, h)
    return Sensitivity(net, X, Y, w, values, loss, method)


def sensitivity_from_gradient(net: Network, X, Y, sample_weight, loss: float,
                              grad) -> "Sensitivity | None":
    r"""The sensitivities at no cost from a whole-network gradient (Identity 1).

    At :math:`\alpha = 1`, for every layer :math:`l` below the output,

    .. math::

        s_{l,j} = \langle W_{l+1}[j, :],\ \nabla_{W_{l+1}} E\,[j, :] \rangle,

    and for an output layer with the identity activation, whose output is homogeneous of
    degree 1 in :math:`(W_L[:, j], b_{L,j})`,
    :math:`s_{L,j} = \langle W_L[:, j], \nabla_{W_L} E\,[:, j] \rangle + b_{L,j}\,
    \partial E / \partial b_{L,j}`.  So after any whole-network gradient ``grad`` (an
    end-to-end optimizer's last one) the sensitivities cost no backward pass.

    Parameters
    ----------
    net : Network
    X, Y, sample_weight
        The data ``grad`` was computed on, already validated (``net._check_data``).
    loss : float
        :math:`E` at the current parameters on that data.
    grad : ndarray of shape (n_params,)
        :math:`\nabla_\theta E` at the current parameters.

    Returns
    -------
    Sensitivity or None
        None where the identity does not apply (scales not all 1, a layer other than
        :class:`~bcdnet.layers.Dense`, or an output activation other than the identity):
        compute :func:`sensitivity` instead.
    """
    from .activations import Identity
    from .layers import Dense

    xp = net.xp
    layers = net.layers
    if (not all(isinstance(layer, Dense) for layer in layers)
            or not isinstance(layers[-1].activation, Identity)
            or not bool(xp.all(net.scales == 1.0))):
        return None
    values = xp.empty(net.scales.size, dtype=net.dtype)
    for l, layer in enumerate(layers):
        if l + 1 < len(layers):                  # the outgoing weights: rows of W_{l+1}
            nxt = layers[l + 1]
            gW = grad[net.param_slices[l + 1]][:nxt.W.size].reshape(nxt.W.shape)
            values[net.scale_slices[l]] = (nxt.W * gW).sum(axis=1)
        else:                                    # the output layer's own columns and bias
            g = grad[net.param_slices[l]]
            gW, gb = g[:layer.W.size].reshape(layer.W.shape), g[layer.W.size:]
            values[net.scale_slices[l]] = (layer.W * gW).sum(axis=0) + layer.b * gb
    return Sensitivity(net, X, Y, sample_weight, values, loss, "identity")


def _central_differences(net: Network, X, Y, w, h: float):
    """``(E, s)`` with each :math:`s_i` from :math:`E(\\alpha_i \\pm h)`, α restored exactly.

    Layer by layer (:func:`bcdnet.testing.fd_gradient` on the layer's α), so the layers below
    are run once per layer, not once per evaluation.
    """
    layers, scales = net.layers, net.scales
    tape, prefix_cache = passes.Tape(len(layers), net.xp), passes.Tape(1, net.xp).caches[0]
    values = net.xp.empty(scales.size, dtype=net.dtype)
    loss = float(evaluate(net, X, Y, w, tape, grad=False)[0])
    A_in = X                                   # input of layer l at the unperturbed α
    for l, layer in enumerate(layers):
        part = net.scale_slices[l]
        alpha = scales[part].copy()

        def loss_at(trial, l=l, A_in=A_in, part=part):
            scales[part] = asarray(trial, net.xp, net.dtype)
            return evaluate(net, A_in, Y, w, tape, grad=False, start=l)[0]
        try:
            values[part] = asarray(fd_gradient(loss_at, alpha, h), net.xp, net.dtype)
        finally:
            scales[part] = alpha
        A_in = layer.forward(A_in, prefix_cache).copy()
    return loss, values


def _check_order(order) -> int:
    if isinstance(order, bool) or order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    return int(order)


class Sensitivity:
    r"""The neuron sensitivities of a network at one point, and group scores built on them.

    Made by :func:`sensitivity`; not meant to be built by hand.

    Attributes
    ----------
    values : ndarray of shape (n_neurons,)
        :math:`s = \partial E / \partial \alpha`, laid out like ``net.scales``.
    by_layer : list of ndarray
        ``by_layer[l]`` of shape ``(n_out_l,)``: layer ``l``'s part of ``values`` (a view).
    loss : float
        :math:`E` at this point.
    n_layers : int
    method : str
        ``"ad"``, ``"fd"`` or ``"identity"`` (:func:`sensitivity_from_gradient`).
    n_hvp : int
        α-space Hessian-vector products computed so far (second-order scores).

    Notes
    -----
    The object keeps references to ``net`` and to the validated ``X``, ``Y`` and sample
    weights, and computes each second-order score on first request.  It describes one
    point: once ``net.params`` or ``net.scales`` change, a new second-order score raises
    ``RuntimeError`` (scores already computed are still returned); do not modify the data.
    """

    def __init__(self, net: Network, X, Y, sample_weight, values, loss, method="ad"):
        self.net, self.X, self.Y, self.sample_weight = net, X, Y, sample_weight
        self.values = values
        self.by_layer = [values[s] for s in net.scale_slices]
        self.loss = float(loss)
        self.n_layers = len(net.layers)
        self.method = method
        self.n_hvp = 0
        self._curvature: dict[tuple, float] = {}     # (first, last, gauss_newton) -> rho
        self._params = net.params.copy()             # the point this object describes
        self._scales = net.scales.copy()

    def __repr__(self) -> str:
        return (f"Sensitivity(n_layers={self.n_layers}, n_neurons={self.values.size}, "
                f"loss={self.loss:.6g}, max_abs={self.max_abs():.3g}, method={self.method!r})")

    def max_abs(self) -> float:
        r"""The largest :math:`|s_{l,j}|` (the ∞-norm; the sensitivity-tolerance stop)."""
        return float(abs(self.values).max())

    def layer_scores(self, order: int = 1, trust_radius: float | None = None,
                     gauss_newton: bool = False) -> np.ndarray:
        """Return the score of every single layer.

        Parameters are those of :meth:`group_score`.

        Returns
        -------
        ndarray of shape (n_layers,)
        """
        return np.array([self.group_score(l, l, order, trust_radius, gauss_newton)
                         for l in range(self.n_layers)])

    def group_score(self, first: int, last: int, order: int = 1,
                    trust_radius: float | None = None, gauss_newton: bool = False) -> float:
        r"""Return the score :math:`S_1` or :math:`S_2` of layers ``first..last`` (inclusive).

        Parameters
        ----------
        first, last : int
            ``0 <= first <= last < n_layers``.
        order : {1, 2}, default 1
            1: :math:`\lVert g \rVert^2 / |G|`.  2: the trust-region Cauchy decrease divided
            by :math:`|G|` (module docstring); costs one Hessian-vector product per group,
            remembered for later calls with any ``trust_radius``.
        trust_radius : float, optional
            :math:`\Delta`, the radius of the trust region (order 2 only); positive.
            Default: :data:`SECOND_ORDER_RADIUS` (Paper A's Table 1 used 1e-3).
        gauss_newton : bool, default False
            Use the Gauss–Newton matrix for :math:`\kappa` (order 2 only).

        Returns
        -------
        float
        """
        first = check_int(first, "first", minimum=0)
        last = check_int(last, "last", minimum=first)
        if last >= self.n_layers:
            raise ValueError(f"last must be below the number of layers ({self.n_layers}), "
                             f"got {last}")
        order = _check_order(order)
        trust_radius = (SECOND_ORDER_RADIUS if trust_radius is None
                        else check_positive(trust_radius, "trust_radius"))
        g = self.values[self.net.scale_slices[first].start:self.net.scale_slices[last].stop]
        peak = float(abs(g).max())
        if not 0.0 < peak < math.inf:
            return peak                              # 0 for g = 0; inf or NaN sensitivities
        # Sensitivities near 1e299 (targets near 1e300) would overflow g @ g: work with
        # u = g / max|g|, entries in [-1, 1], and Python floats, which never warn.
        u = g / peak
        gnorm = peak * math.sqrt(float(u @ u))
        if order == 1:
            return gnorm * (gnorm / g.size)          # inf only where the score itself is
        rho = self._rayleigh(first, last, u, bool(gauss_newton))
        return _cauchy_decrease(gnorm, rho, trust_radius) / g.size

    def _rayleigh(self, first: int, last: int, u: np.ndarray, gauss_newton: bool) -> float:
        r""":math:`\rho = \kappa / \lVert g \rVert^2 = u^\top H_{\alpha\alpha} u / u^\top u`.

        The curvature along :math:`g`, from one HVP with :math:`u = g / \max|g|` on
        ``first..last`` and 0 elsewhere, which stays finite however large :math:`g` is.
        """
        key = (first, last, gauss_newton)
        if key not in self._curvature:
            xp = self.net.xp
            if not (xp.array_equal(self.net.params, self._params)
                    and xp.array_equal(self.net.scales, self._scales)):
                raise RuntimeError("this Sensitivity is stale: the network's parameters or "
                                   "scales changed since it was computed; call "
                                   "bcdnet.sensitivity(net, X, Y) again")
            part = slice(self.net.scale_slices[first].start, self.net.scale_slices[last].stop)
            v = xp.zeros_like(self.values)
            v[part] = u
            Hv = self.net.scales_hvp(self.X, self.Y, v, self.sample_weight,
                                     gauss_newton=gauss_newton)
            self.n_hvp += 1
            with np.errstate(over="ignore", invalid="ignore"):   # a curvature beyond float64
                self._curvature[key] = float(u @ Hv[part]) / float(u @ u)
        return self._curvature[key]


def _cauchy_decrease(gnorm: float, rho: float, trust_radius: float) -> float:
    r"""The model decrease at the Cauchy point, before dividing by :math:`|G|`.

    With :math:`\rho = \kappa / \lVert g \rVert^2`, the curvature along :math:`g`, the step
    :math:`t = \lVert p_C \rVert = \tau\Delta` is :math:`\lVert g \rVert / \rho` inside the
    region (:math:`\Delta\rho > \lVert g \rVert`, so :math:`\tau < 1`) and :math:`\Delta` on
    its boundary, and the decrease is :math:`t \lVert g \rVert - \tfrac12 t^2 \rho`.  Written
    as products of these factors, nothing overflows unless the decrease itself does (then
    it is inf).  Python floats, so no RuntimeWarning either.
    """
    if rho > 0.0 and trust_radius * rho > gnorm:
        return 0.5 * (gnorm / rho) * gnorm                     # interior: t = ||g|| / rho
    return trust_radius * (gnorm - 0.5 * trust_radius * rho)   # on the boundary: t = Delta
