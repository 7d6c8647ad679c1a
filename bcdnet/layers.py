r"""Layers: the per-layer maths of the forward pass, the backward pass and the R-passes.

A layer owns views into the network's flat parameter vector and flat scale vector; it
computes nothing about what to propagate (that is :mod:`bcdnet.passes`).  Everything a pass
stores for later (pre-activations, outputs, deltas, buffers) lives in a :class:`Cache` per
layer and per data size, so repeated evaluations reuse memory instead of allocating.

Dense layer :math:`l` with samples as rows (docs/design.rst, section Conventions):

.. math::

    Z = A_{\text{prev}} W + \mathbf{1} b^\top, \qquad H = \sigma(Z), \qquad
    A = H \operatorname{diag}(\alpha)

with :math:`W` of shape ``(fan_in, fan_out)`` and per-neuron scaling factors :math:`\alpha`
(ones by default).  Backward, given :math:`\delta A = \partial E / \partial A`:

.. math::

    \delta Z = \delta A \odot \alpha \odot \sigma'(Z), \quad
    \nabla_W E = A_{\text{prev}}^\top \delta Z, \quad \nabla_b E = \delta Z^\top \mathbf 1, \quad
    \nabla_\alpha E = (\delta A \odot H)^\top \mathbf 1, \quad
    \delta A_{\text{prev}} = \delta Z W^\top.

The R-passes (Pearlmutter 1994) differentiate these along a direction
:math:`(V_W, V_b, V_\alpha)`; :meth:`Dense.r_forward` and :meth:`Dense.r_backward` carry the
formulas.  Column sums :math:`X^\top \mathbf 1` are computed as BLAS products with a vector of
ones, which is faster than ``sum(axis=0)``.
"""

from __future__ import annotations

import abc

import numpy as np

from ._gemm import matmul_into
from ._pickling import portable_state, restore_portable_state
from ._rows import apply_rows
from ._validation import check_choice, check_int
from .backend import asarray, namespace_of
from .activations import Activation, Identity, get_activation
from .initializers import INITIALIZERS
from .passes import Cache

__all__ = ["Layer", "Dense", "Cache", "INITIALIZERS"]


class Layer(abc.ABC):
    r"""Base class of layers with flat parameters and per-neuron scaling factors.

    The network owns one flat parameter vector and one flat scale vector; a layer gets views
    of its slices in :meth:`bind` and computes the per-layer maths of the passes that
    :mod:`bcdnet.passes` drives.  Samples are rows: a layer maps ``A_prev`` of shape
    ``(n_samples, n_in)`` to ``A`` of shape ``(n_samples, n_out)``.

    A subclass

    - sets the integer attributes ``n_in``, ``n_out`` and ``n_params`` (the length of its
      slice of ``Network.params``) in ``__init__``; its scales slice has ``n_out`` entries,
      one :math:`\alpha` per output neuron, which multiply the outputs
      (:math:`A = H\,\mathrm{diag}(\alpha)`);
    - implements :meth:`bind`, :meth:`initialize`, :meth:`forward` and :meth:`backward`
      (abstract: a subclass missing one cannot be instantiated, and the ``TypeError`` names
      it);
    - implements :meth:`r_forward` and :meth:`r_backward` for Hessian-vector products
      (``Network.hvp``, ``gnvp``, the order-2 sensitivity); without them those calls raise
      ``NotImplementedError`` naming the layer, while training with gradients works.

    Everything stored between passes goes into the ``cache`` given to each pass (one
    :class:`Cache` per layer and data size).  :class:`Dense` is the reference
    implementation; ``bcdnet.testing.check_grad`` / ``check_hvp`` check a new layer inside
    a network against finite differences.
    """

    n_in: int
    n_out: int
    n_params: int
    xp = np            # the array namespace of the bound views (set by ``bind``)
    __getstate__, __setstate__ = portable_state, restore_portable_state   # xp by name

    @abc.abstractmethod
    def bind(self, params, scales) -> None:
        r"""Keep views of the layer's slices of the network's flat vectors.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The layer's parameters, a view into ``Network.params``: reshape it, never copy
            it, so that an optimizer writing ``Network.params`` moves the layer.
        scales : ndarray of shape (n_out,)
            The layer's :math:`\alpha`, a view into ``Network.scales``.

        Set ``self.xp = namespace_of(params)`` to allocate in the same namespace.
        """

    @abc.abstractmethod
    def initialize(self, rng: np.random.Generator) -> None:
        """Draw the parameters in place (``params[...] = ...``) from the host generator ``rng``."""

    @abc.abstractmethod
    def forward(self, A_prev, cache):
        """Return the output ``A``, ``(n_samples, n_out)``, of ``A_prev``, ``(n_samples, n_in)``.

        Store in ``cache`` what :meth:`backward` and the R-passes need (the input, the
        pre-activation, ...).  The returned array may be a buffer of the cache.
        """

    @abc.abstractmethod
    def backward(self, dA, cache, grad=None, grad_scales=None, need_input_grad=True, ones=None):
        r"""Back-propagate :math:`\delta A = \partial E / \partial A` through the layer.

        Parameters
        ----------
        dA : ndarray of shape (n_samples, n_out)
        cache : Cache
            What the last :meth:`forward` on this data stored.
        grad : ndarray of shape (n_params,) or None
            When given, receives :math:`\partial E / \partial \theta` laid out like the
            parameters (overwritten, not accumulated).
        grad_scales : ndarray of shape (n_out,) or None
            When given, receives :math:`\partial E / \partial \alpha`.
        need_input_grad : bool
            Whether to return :math:`\delta A_{prev}`.
        ones : ndarray of shape (n_samples,)
            A vector of ones (for column sums as products).

        Returns
        -------
        ndarray of shape (n_samples, n_in) or None
            :math:`\partial E / \partial A_{prev}` when ``need_input_grad``, else None.
        """

    def r_forward(self, cache, RA_prev, V=None, V_scales=None):
        r"""Forward R-pass: return :math:`R\{A\}`, shape ``(n_samples, n_out)``, or None when zero.

        ``RA_prev`` (shape ``(n_samples, n_in)`` or None) is :math:`R\{A_{prev}\}`; ``V``
        (shape ``(n_params,)``) and ``V_scales`` (shape ``(n_out,)``) are the layer's parts
        of the direction, None for zero.  Optional: needed for Hessian-vector products.
        """
        raise NotImplementedError(f"{type(self).__name__} has no R-operator (r_forward): "
                                  f"Hessian-vector products need it")

    def r_backward(self, cache, RdA, V=None, V_scales=None, hv=None, hv_scales=None,
                   need_input_grad=True, ones=None):
        r"""Backward R-pass: return :math:`R\{\delta A_{prev}\}`, ``(n_samples, n_in)``, or None.

        ``RdA`` (shape ``(n_samples, n_out)`` or None) is :math:`R\{\delta A\}`; ``hv``
        (shape ``(n_params,)``) and ``hv_scales`` (shape ``(n_out,)``) receive the layer's
        parts of the product when given.  Optional: needed for Hessian-vector products.
        """
        raise NotImplementedError(f"{type(self).__name__} has no R-operator (r_backward): "
                                  f"Hessian-vector products need it")


class Dense(Layer):
    r"""A fully connected layer with an activation and per-neuron scaling factors.

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out (both at least 1).
    activation : str or Activation, default "tanh"
        A registry name (``"tanh"``, ``"sigmoid"``, ``"relu"``, ``"leaky_relu"``,
        ``"identity"``) or an :class:`~bcdnet.activations.Activation`.
    init : {"glorot", "he", "orthogonal"}, optional
        Weight initialisation; by default the activation's own (Glorot for tanh, sigmoid and
        identity, He for the ReLU family).  Biases start at zero.

    Attributes
    ----------
    W : ndarray of shape (n_in, n_out)
        Weights, a view into ``Network.params``.
    b : ndarray of shape (n_out,)
        Biases, a view into ``Network.params`` right after ``W``.
    scales : ndarray of shape (n_out,)
        Scaling factors :math:`\alpha`, a view into ``Network.scales``.
    """

    def __init__(self, n_in: int, n_out: int, activation="tanh", init: str | None = None):
        self.n_in = check_int(n_in, "n_in", minimum=1)
        self.n_out = check_int(n_out, "n_out", minimum=1)
        self.activation: Activation = get_activation(activation)
        self.init = check_choice(init if init is not None else self.activation.init,
                                 "init", INITIALIZERS)
        self.n_params = self.n_in * self.n_out + self.n_out
        self.W = self.b = self.scales = None

    def __repr__(self) -> str:
        return (f"Dense({self.n_in}, {self.n_out}, activation={self.activation!r}, "
                f"init={self.init!r})")

    def bind(self, params: np.ndarray, scales: np.ndarray) -> None:
        """Make ``W``, ``b`` and ``scales`` views into the network's flat vectors."""
        n_w = self.n_in * self.n_out
        self.W = params[:n_w].reshape(self.n_in, self.n_out)
        self.b = params[n_w:]
        self.scales = scales
        self.xp = namespace_of(params)

    def initialize(self, rng: np.random.Generator) -> None:
        """Draw ``W`` from the layer's initialiser (on the host) and set ``b`` to zero, in place."""
        W = INITIALIZERS[self.init](rng, self.n_in, self.n_out, self.W.dtype)
        self.W[...] = asarray(W, self.xp)
        self.b[...] = 0.0

    # ------------------------------------------------------------------ forward / backward
    def forward(self, A_prev, cache: Cache):
        r"""Compute :math:`A = \sigma(A_{prev} W + b) \odot \alpha`, storing what backward needs."""
        n, dtype = A_prev.shape[0], self.W.dtype
        cache.A_prev = A_prev
        Z = cache.buffer("Z", (n, self.n_out), dtype)
        matmul_into(A_prev, self.W, Z)
        apply_rows(self.xp.add, Z, self.b, Z)
        H = self.activation.f(Z, out=cache.buffer("H", Z.shape, dtype))
        cache.D1 = None  # sigma'(Z), computed on first need by backward or r_forward
        cache.unit_scales = not (self.scales != 1.0).any()
        if cache.unit_scales:
            return H
        return apply_rows(self.xp.multiply, H, self.scales, cache.buffer("A", Z.shape, dtype))

    def _d1(self, cache: Cache):
        r"""Return :math:`\sigma'(Z)`, computed once per forward pass and kept in the cache."""
        if cache.D1 is None:
            Z, H = cache._buffers["Z"], cache._buffers["H"]
            cache.D1 = self.activation.df(Z, H, out=cache.buffer("D1", Z.shape, Z.dtype))
        return cache.D1

    def _delta_z(self, dA, cache: Cache):
        r"""Return :math:`\delta Z = \delta A \odot \alpha \odot \sigma'(Z)` in a buffer."""
        if isinstance(self.activation, Identity) and cache.unit_scales:
            return dA
        dZ = self.xp.multiply(self._d1(cache), dA, out=cache.buffer("dZ", dA.shape, dA.dtype))
        if not cache.unit_scales:
            apply_rows(self.xp.multiply, dZ, self.scales, dZ)
        return dZ

    def backward(self, dA, cache: Cache, grad=None, grad_scales=None, need_input_grad=True,
                 ones=None):
        r"""Back-propagate :math:`\delta A` through the layer.

        Parameters
        ----------
        dA : ndarray of shape (n_samples, n_out)
            :math:`\partial E / \partial A`.
        grad : ndarray of shape (n_params,), optional
            Receives :math:`(\nabla_W E, \nabla_b E)` flattened like the parameters.
        grad_scales : ndarray of shape (n_out,), optional
            Receives :math:`\nabla_\alpha E = (\delta A \odot H)^\top \mathbf 1`.
        need_input_grad : bool
            Whether to return :math:`\delta A_{prev} = \delta Z W^\top` (else None).
        ones : ndarray of shape (n_samples,)
            A vector of ones for column sums through BLAS.

        Returns
        -------
        ndarray of shape (n_samples, n_in) or None
        """
        cache.dA = dA
        dZ = cache.dZ = self._delta_z(dA, cache)
        if grad_scales is not None:
            H = cache._buffers["H"]
            tmp = self.xp.multiply(dA, H, out=cache.buffer("tmp", H.shape, H.dtype))
            self.xp.matmul(ones, tmp, out=grad_scales)
        if grad is not None:
            n_w = self.n_in * self.n_out
            matmul_into(cache.A_prev.T, dZ, grad[:n_w].reshape(self.n_in, self.n_out))
            self.xp.matmul(ones, dZ, out=grad[n_w:])
        if not need_input_grad:
            return None
        return matmul_into(dZ, self.W.T, cache.buffer("dA_prev", cache.A_prev.shape, dZ.dtype))

    # ------------------------------------------------------------------ R-passes
    def _split(self, V):
        if V is None:
            return None, None
        n_w = self.n_in * self.n_out
        return V[:n_w].reshape(self.n_in, self.n_out), V[n_w:]

    def r_forward(self, cache: Cache, RA_prev, V=None, V_scales=None):
        r"""Forward R-pass: the directional derivative of the layer's output.

        .. math::

            R\{Z\} = R\{A_{prev}\} W + A_{prev} V_W + \mathbf 1 V_b^\top, \quad
            R\{H\} = \sigma'(Z) \odot R\{Z\}, \quad
            R\{A\} = R\{H\} \odot \alpha + H \odot V_\alpha.

        ``None`` stands for a zero input or direction and skips its work.  Returns
        :math:`R\{A\}` (or None when it is zero); keeps :math:`\sigma'(Z)`, :math:`R\{Z\}` and
        :math:`R\{H\}` in the cache for :meth:`r_backward`.
        """
        Z, H = cache._buffers["Z"], cache._buffers["H"]
        VW, Vb = self._split(V)
        D1 = self._d1(cache)
        cache.RA_prev = RA_prev
        RZ = None
        if RA_prev is not None or V is not None:
            RZ = cache.buffer("RZ", Z.shape, Z.dtype)
            if RA_prev is not None:
                matmul_into(RA_prev, self.W, RZ)
                if V is not None:
                    matmul_into(cache.A_prev, VW, RZ, accumulate=True)
            else:
                matmul_into(cache.A_prev, VW, RZ)
            if V is not None:
                apply_rows(self.xp.add, RZ, Vb, RZ)
        cache.RZ = RZ
        cache.RH = None if RZ is None else self.xp.multiply(
            D1, RZ, out=cache.buffer("RH", Z.shape, Z.dtype))
        if RZ is None and V_scales is None:
            return None
        if cache.unit_scales and V_scales is None:
            return cache.RH  # alpha = 1: R{A} = R{H}, no copy
        RA = cache.buffer("RA", Z.shape, Z.dtype)
        if RZ is None:
            return self.xp.multiply(H, V_scales, out=RA)
        apply_rows(self.xp.multiply, cache.RH, self.scales, RA)
        if V_scales is not None:
            RA += H * V_scales
        return RA

    def r_backward(self, cache: Cache, RdA, V=None, V_scales=None, hv=None, hv_scales=None,
                   need_input_grad=True, ones=None):
        r"""Backward R-pass: the directional derivative of the backward pass.

        With :math:`\delta H = \delta A \odot \alpha` from the ordinary backward pass:

        .. math::

            R\{\delta H\} &= R\{\delta A\} \odot \alpha + \delta A \odot V_\alpha \\
            R\{\delta Z\} &= R\{\delta H\} \odot \sigma'(Z)
                             + \delta H \odot \sigma''(Z) \odot R\{Z\} \\
            (Hv)_W &= R\{A_{prev}\}^\top \delta Z + A_{prev}^\top R\{\delta Z\}, \quad
            (Hv)_b = R\{\delta Z\}^\top \mathbf 1 \\
            (Hv)_\alpha &= (R\{\delta A\} \odot H + \delta A \odot R\{H\})^\top \mathbf 1 \\
            R\{\delta A_{prev}\} &= R\{\delta Z\} W^\top + \delta Z V_W^\top

        ``hv`` (shape ``(n_params,)``) and ``hv_scales`` (shape ``(n_out,)``) receive the
        layer's parts of :math:`Hv` when given.  Returns :math:`R\{\delta A_{prev}\}`.
        """
        Z, H = cache._buffers["Z"], cache._buffers["H"]
        dA, dZ = cache.dA, cache.dZ
        VW, Vb = self._split(V)
        if RdA is not None and cache.unit_scales and V_scales is None:
            RdH = RdA  # alpha = 1 and no alpha direction: R{dH} = R{dA}, no copy
        else:
            RdH = cache.buffer("RdH", Z.shape, Z.dtype)
            if RdA is None:
                RdH.fill(0.0)
            elif cache.unit_scales:
                self.xp.copyto(RdH, RdA)
            else:
                apply_rows(self.xp.multiply, RdA, self.scales, RdH)
            if V_scales is not None:
                RdH += dA * V_scales
        RdZ = self.xp.multiply(RdH, cache.D1, out=cache.buffer("RdZ", Z.shape, Z.dtype))
        if cache.RZ is not None and not self.activation.zero_curvature:
            # the curvature term delta_H * sigma''(Z) * R{Z}, with delta_H = dA * alpha
            D2 = cache.buffer("D2", Z.shape, Z.dtype)
            if self.activation.d2f_over_df(Z, H, out=D2) is not None:
                D2 *= dZ                       # = delta_H * sigma'' since dZ = delta_H * sigma'
            else:
                self.activation.d2f(Z, H, out=D2, d1=cache.D1)
                D2 *= dA
                if not cache.unit_scales:
                    D2 *= self.scales
            D2 *= cache.RZ
            RdZ += D2
        if hv_scales is not None:
            tmp = cache.buffer("tmp", Z.shape, Z.dtype)
            if RdA is None:
                tmp.fill(0.0)
            else:
                self.xp.multiply(RdA, H, out=tmp)
            if cache.RH is not None:
                tmp += dA * cache.RH
            self.xp.matmul(ones, tmp, out=hv_scales)
        if hv is not None:
            n_w = self.n_in * self.n_out
            hv_W = hv[:n_w].reshape(self.n_in, self.n_out)
            matmul_into(cache.A_prev.T, RdZ, hv_W)
            if cache.RA_prev is not None:
                matmul_into(cache.RA_prev.T, dZ, hv_W, accumulate=True)
            self.xp.matmul(ones, RdZ, out=hv[n_w:])
        if not need_input_grad:
            return None
        RdA_prev = matmul_into(RdZ, self.W.T, cache.buffer("RdA_prev", cache.A_prev.shape,
                                                           Z.dtype))
        if V is not None:
            matmul_into(dZ, VW.T, RdA_prev, accumulate=True)
        return RdA_prev


