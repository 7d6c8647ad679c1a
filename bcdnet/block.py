r"""One block of a network on fixed data, with the frozen prefix computed once.

While block :math:`k` (layers ``first..last``) is optimised, every layer below ``first`` is
frozen, so its output on the training data never changes.  :class:`BlockObjective` computes
that output once, the *frozen prefix*, and every evaluation then runs forward from layer
``first`` and backward only down to it:

.. math::

    E_k(\theta_k) = E\bigl(f_L \circ \dots \circ f_{\text{first}}(A_{\text{first}-1};\,
    \theta_k)\bigr), \qquad A_{\text{first}-1} \text{ cached.}

For the last hidden layer of a 50-layer network this is a few layers of work instead of 52,
which is where block coordinate descent gets its cheap steps.  The cache is checked on
every call against a copy of the prefix's parameters and scales, so changing them (by hand
or by training another block) recomputes it rather than silently using stale values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import passes
from ._threads import objective_threads
from ._validation import check_vector
from .backend import asarray
from .evaluation import curvature_product, evaluate, forward_rows, quiet_overflow

__all__ = ["Block", "BlockObjective"]


@dataclass(frozen=True)
class Block:
    """A contiguous run of layers ``first..last`` and its slice ``start:stop`` of ``params``."""

    index: int
    name: str
    first: int
    last: int
    start: int
    stop: int

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def layers(self) -> range:
        return range(self.first, self.last + 1)


class BlockObjective:
    """The loss as a function of one block's flat parameters, on fixed data.

    Calling ``obj(x)`` writes ``x`` into the block's slice of ``net.params`` and returns
    ``(E, dE/dx)``; it is the ``fun`` an :mod:`bcdnet.optim` optimizer minimises.  After an
    optimizer returns, write its ``x`` back with :meth:`set` (trial points of a line search
    may have been evaluated last).

    Parameters
    ----------
    net : Network
    block : Block
    X : ndarray of shape (n_samples, n_inputs)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
        All three already validated (use :meth:`Network.block_objective`).

    Attributes
    ----------
    n_prefix_evaluations : int
        How many times the frozen prefix was computed (1 after any number of calls while
        the layers below the block stay unchanged).
    """

    def __init__(self, net: "Network", block: Block, X, Y, sample_weight=None):
        self.net, self.block = net, block
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.n_prefix_evaluations = 0
        self._prefix_tape = passes.Tape(len(net.layers), net.xp)
        self._tapes: dict[int, passes.Tape] = {}
        self._prefix_out = None
        self._prefix_params = None
        self._prefix_scales = None

    def __repr__(self) -> str:
        return (f"BlockObjective(block={self.block.name!r}, size={self.size}, "
                f"n_samples={self.X.shape[0]})")

    @property
    def size(self) -> int:
        """Number of parameters in the block."""
        return self.block.size

    def x0(self) -> np.ndarray:
        """A copy of the block's current parameters."""
        return self.net.params[self.block.slice].copy()

    def set(self, x) -> None:
        """Write ``x`` into the block's slice of ``net.params`` (checked)."""
        x = check_vector(x, "x", self.size, self.net.dtype, self.net.xp)
        self.net.params[self.block.slice] = x

    # ------------------------------------------------------------------ frozen prefix
    def _prefix_is_stale(self) -> bool:
        first = self.block.first
        p_stop = self.net.param_slices[first].start
        s_stop = self.net.scale_slices[first].start
        return (self._prefix_params is None
                or not self.net.xp.array_equal(self._prefix_params, self.net.params[:p_stop])
                or not self.net.xp.array_equal(self._prefix_scales, self.net.scales[:s_stop]))

    @quiet_overflow
    def prefix_output(self) -> np.ndarray:
        """The input of the block's first layer on ``X``, computed once while valid."""
        first = self.block.first
        if first == 0:
            return self.X
        if self._prefix_is_stale():
            # in row chunks: beyond the output, one chunk's buffers, not every layer's arrays
            self._prefix_out = forward_rows(self.net.layers[:first], self.X,
                                            self._prefix_tape, self.net.xp)
            self._prefix_params = self.net.params[:self.net.param_slices[first].start].copy()
            self._prefix_scales = self.net.scales[:self.net.scale_slices[first].start].copy()
            self.n_prefix_evaluations += 1
        return self._prefix_out

    def _inputs(self, batch):
        A_in = self.prefix_output()
        if batch is None:
            return A_in, self.Y, self.sample_weight, self._tape(A_in.shape[0])
        batch = asarray(batch, self.net.xp)     # row indices drawn on the host
        w = None if self.sample_weight is None else self.sample_weight[batch]
        A_in = A_in[batch]
        return A_in, self.Y[batch], w, self._tape(A_in.shape[0])

    def _tape(self, n_rows: int) -> passes.Tape:
        tape = self._tapes.get(n_rows)
        if tape is None:
            if len(self._tapes) >= 2:  # full data and one batch size: never grows further
                self._tapes.pop(next(iter(self._tapes)))
            tape = self._tapes[n_rows] = passes.Tape(len(self.net.layers), self.net.xp)
        return tape

    def _write(self, x) -> None:
        x = asarray(x, self.net.xp)        # from an optimizer on the host: moved explicitly
        if x.shape != (self.size,):
            raise ValueError(f"x must have shape ({self.size},), got {x.shape}")
        self.net.params[self.block.slice] = x

    # ------------------------------------------------------------------ evaluation
    @objective_threads
    def __call__(self, x, batch=None):
        """Return ``(E, g)`` at block parameters ``x``; ``batch`` selects rows (mini-batch)."""
        self._write(x)
        A_in, Y, w, tape = self._inputs(batch)
        f, g, _ = evaluate(self.net, A_in, Y, w, tape, grad=True, block=self.block,
                           start=self.block.first)
        return f, g

    @objective_threads
    def value(self, x, batch=None) -> float:
        """Return :math:`E` at block parameters ``x`` (no backward pass)."""
        self._write(x)
        A_in, Y, w, tape = self._inputs(batch)
        return evaluate(self.net, A_in, Y, w, tape, grad=False, start=self.block.first)[0]

    def hvp(self, x, v, batch=None) -> np.ndarray:
        """Return the block Hessian times ``v`` (shape ``(size,)``) at ``x``."""
        return self._curvature(x, v, batch, gauss_newton=False)

    def gnvp(self, x, v, batch=None) -> np.ndarray:
        """Return the block Gauss–Newton matrix times ``v`` at ``x``."""
        return self._curvature(x, v, batch, gauss_newton=True)

    @objective_threads
    def _curvature(self, x, v, batch, gauss_newton):
        v = check_vector(v, "v", self.size, self.net.dtype, self.net.xp)
        self._write(x)
        A_in, Y, w, tape = self._inputs(batch)
        return curvature_product(self.net, A_in, Y, w, tape, v=v, gauss_newton=gauss_newton,
                                 block=self.block, start=self.block.first)[0]
