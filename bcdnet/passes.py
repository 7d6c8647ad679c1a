r"""The passes over a stack of layers: forward, backward, and the two R-passes.

These functions decide *what* to propagate; the layers (:mod:`bcdnet.layers`) know *how*.
Every pass runs over the layers ``start, start + 1, ..., L`` only: when the layers below
``start`` are frozen, their output is computed once and fed in as ``A_in`` (the frozen
prefix in docs/design.rst), so neither the forward nor the backward pass ever touches them.

Gradients are written into caller-provided views (``grads[i]`` for layer ``i``, None to
skip that layer's weight gradient), so a block gradient costs no weight-gradient products
for the layers above the block.

The Hessian-vector product along :math:`v` is Pearlmutter's :math:`R_v\{\nabla E\}`:
a forward pass, a backward pass, a forward R-pass (:math:`Jv`) and a backward R-pass.
The Gauss–Newton product :math:`G v = J^\top \nabla^2_{\hat y} E\, J v` is the forward
R-pass followed by an *ordinary* backward pass seeded with :math:`\nabla^2_{\hat y} E\, Jv`.
"""

from __future__ import annotations

import numpy as np

from ._pickling import portable_state, restore_portable_state

__all__ = ["Cache", "Tape", "forward", "backward", "r_forward", "r_backward"]

# The R-passes run layer by layer right behind the ordinary pass of the same layer (forward
# then forward R-pass; backward then backward R-pass), so each layer's arrays are still in
# cache when the R-pass reads them.  The results equal separate sweeps exactly.


class Cache:
    """Per-layer storage for one data size: forward values, deltas and reusable buffers.

    ``A_prev`` is the layer's input (a reference, never a copy).  Buffers are allocated on
    first use by :meth:`buffer`, in the array namespace ``xp``, and reused: a buffer is a
    view of the first values of a flat store that only grows, so the row tiles of one
    evaluation (:func:`bcdnet._row_blocks.row_tiles`, which differ by a row) and the last,
    shorter chunk of a ``predict`` use the same memory, still in cache, without allocating.
    """

    __getstate__, __setstate__ = portable_state, restore_portable_state   # xp by name

    def __init__(self, xp=np):
        self.xp = xp
        self.A_prev = None
        self.unit_scales = True
        self._buffers: dict[str, np.ndarray] = {}
        self._stores: dict[str, np.ndarray] = {}

    def buffer(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """Return the buffer ``name`` with ``shape`` (C order), allocating only to grow."""
        buf = self._buffers.get(name)
        if buf is not None and buf.shape == shape and buf.dtype == dtype:
            return buf
        size = 1
        for extent in shape:
            size *= extent
        store = self._stores.get(name)
        if store is None or store.dtype != dtype or store.size < size:
            store = self._stores[name] = self.xp.empty(size, dtype=dtype)
        buf = self._buffers[name] = store[:size].reshape(shape)
        return buf

    def __repr__(self) -> str:
        return f"Cache(buffers={sorted(self._buffers)})"


class Tape:
    """The caches of every layer for one data size, and a vector of ones for column sums.

    Buffers are allocated in the array namespace ``xp`` (the network's).
    """

    __getstate__, __setstate__ = portable_state, restore_portable_state   # xp by name

    def __init__(self, n_layers: int, xp=np):
        self.xp = xp
        self.caches = [Cache(xp) for _ in range(n_layers)]
        self.loss_cache = Cache(xp)
        self._ones = None
        self._parts: list[Tape] = []

    def parts(self, n: int) -> list:
        """``n`` tapes of their own, one per row block (:mod:`bcdnet._row_blocks`), kept."""
        if len(self._parts) != n:
            self._parts = [Tape(len(self.caches), self.xp) for _ in range(n)]
        return self._parts

    def ones(self, n: int, dtype) -> np.ndarray:
        """Return a vector of ``n`` ones (a view of a store kept between calls)."""
        if self._ones is None or self._ones.shape[0] < n or self._ones.dtype != dtype:
            self._ones = self.xp.ones(n, dtype=dtype)
        return self._ones[:n]

    def __repr__(self) -> str:
        return f"Tape(n_layers={len(self.caches)})"


def forward(layers, A_in, tape: Tape, start: int = 0):
    """Run layers ``start..L`` on ``A_in`` (the input of layer ``start``); return the output."""
    A = A_in
    for i in range(start, len(layers)):
        A = layers[i].forward(A, tape.caches[i])
    return A


def backward(layers, tape: Tape, dA_top, start: int = 0, grads=None, grad_scales=None):
    """Back-propagate ``dA_top`` from the output down to layer ``start``.

    ``grads[i]`` and ``grad_scales[i]`` (lists indexed by layer, entries may be None) receive
    layer ``i``'s parameter and scale gradients.  No input gradient is formed for layer
    ``start``: nothing below it is differentiated.
    """
    ones = tape.ones(dA_top.shape[0], dA_top.dtype)
    dA = dA_top
    for i in range(len(layers) - 1, start - 1, -1):
        dA = layers[i].backward(
            dA, tape.caches[i],
            grad=None if grads is None else grads[i],
            grad_scales=None if grad_scales is None else grad_scales[i],
            need_input_grad=i > start, ones=ones)


def r_forward(layers, A_in, tape: Tape, start: int = 0, V=None, V_scales=None):
    """Forward pass and forward R-pass over layers ``start..L``.

    ``V[i]`` and ``V_scales[i]`` are layer ``i``'s parts of the direction (None for zero).
    Returns the output :math:`\\hat y` and :math:`R\\{\\hat y\\} = Jv` (None when zero).
    """
    A, RA = A_in, None
    for i in range(start, len(layers)):
        cache = tape.caches[i]
        A = layers[i].forward(A, cache)
        RA = layers[i].r_forward(
            cache, RA,
            V=None if V is None else V[i],
            V_scales=None if V_scales is None else V_scales[i])
    return A, RA


def r_backward(layers, tape: Tape, dA_top, RdA_top, start: int = 0, V=None, V_scales=None,
               hv=None, hv_scales=None):
    """Backward pass and backward R-pass from the output down to layer ``start``.

    ``hv[i]`` and ``hv_scales[i]`` receive layer ``i``'s parts of the product.
    """
    ones = tape.ones(RdA_top.shape[0], RdA_top.dtype)
    dA, RdA = dA_top, RdA_top
    for i in range(len(layers) - 1, start - 1, -1):
        cache = tape.caches[i]
        dA = layers[i].backward(dA, cache, need_input_grad=i > start, ones=ones)
        RdA = layers[i].r_backward(
            cache, RdA,
            V=None if V is None else V[i],
            V_scales=None if V_scales is None else V_scales[i],
            hv=None if hv is None else hv[i],
            hv_scales=None if hv_scales is None else hv_scales[i],
            need_input_grad=i > start, ones=ones)
