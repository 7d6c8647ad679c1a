r"""The Network: a stack of layers over one flat parameter vector and one flat scale vector.

.. code-block:: python

    net = Network.mlp([4, 10, 10, 10, 1], activation="tanh", seed=0)
    f, g = net.loss_grad(X, Y)          # E and dE/dθ, g shaped like net.params
    Hv = net.hvp(X, Y, v)               # exact Hessian-vector product (Pearlmutter)
    Gv = net.gnvp(X, Y, v)              # Gauss–Newton-vector product (PSD)
    f, s = net.scales_grad(X, Y)        # dE/dα: the neuron sensitivities
    obj = net.block_objective(k, X, Y)  # block k on (X, Y) with a frozen, cached prefix

Layout (DESIGN §3): ``params`` is one contiguous 1-D array; layer ``l``'s ``W`` (C order,
shape ``(fan_in, fan_out)``) and then ``b`` are views into it, in layer order.  ``scales``
holds one :math:`\alpha` per neuron, layer by layer, the output layer included; α is not
trained and has its own gradient.  ``blocks[k]`` is a named slice of ``params`` (one block
per layer by default); an optimiser sees a block as a flat vector, exactly like a network.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import passes
from ._threads import network_threads
from ._validation import (check_int, check_matrix, check_rng_seed, check_sample_weight,
                          check_targets, check_vector)
from .backend import asarray, backend_name, get_namespace
from .layers import Dense, Layer
from .losses import MSE, Loss

__all__ = ["Network", "Block"]


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating type, got {dtype}")
    return dtype


def quiet_overflow(fn):
    """Run ``fn`` with overflow and invalid-value warnings off.

    Parameters that have run away (inf after an exploding step) give inf or NaN losses; the
    optimizers and the Trainer test for those and step back, so a warning would only be noise.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)
    return wrapper


#: bytes of layer buffers (Z, H and A of every layer) one chunk of rows may use in predict
PREDICT_CHUNK_BYTES = 4 * 2**20


def row_chunks(n_rows: int, sizes, itemsize: int = 8):
    """Slices of consecutive rows, each small enough that a forward pass through a network
    of widths ``sizes`` keeps its buffers within ``PREDICT_CHUNK_BYTES`` (256 rows at least)."""
    per_row = 3 * sum(sizes[1:]) * itemsize
    step = max(256, PREDICT_CHUNK_BYTES // per_row)
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def blas_policy(fn):
    """Run the method ``fn(self, X, ...)`` with bcdnet's BLAS threads for ``X``'s row count
    (:mod:`bcdnet._threads`; kept as they are inside ``Trainer.fit`` and the estimator)."""
    @functools.wraps(fn)
    def wrapper(self, X, *args, **kwargs):
        shape = getattr(X, "shape", None)
        with network_threads(self, shape[0] if shape else 0):
            return fn(self, X, *args, **kwargs)
    return wrapper


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


class Network:
    """A feed-forward network whose parameters live in one flat vector.

    Parameters
    ----------
    layers : list of Layer
        The layers in order; each layer's ``n_in`` must equal the previous ``n_out``.
    loss : Loss, default MSE()
        The loss of the predictions.
    dtype : numpy dtype, default float64
        float32 is the one to ask for on a GPU (:mod:`bcdnet.backend`, dtype policy).
    backend : {"numpy", "cupy", "strict"} or None
        Where the arrays live; None: the default (:func:`bcdnet.set_backend`).

    Attributes
    ----------
    xp : module
        The array namespace (``numpy``, ``cupy``, ...) every computation uses.
    params : ndarray of shape (n_params,)
        All weights and biases; assigning copies into the same storage.
    scales : ndarray of shape (n_neurons,)
        All scaling factors α (ones unless changed).
    blocks : list of Block
        One block per layer.
    """

    def __init__(self, layers, loss: Loss | None = None, dtype=np.float64, backend=None):
        layers = list(layers) if not isinstance(layers, Layer) else [layers]
        if not layers:
            raise ValueError("layers must hold at least one Layer, got an empty list")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a Layer, got {type(layer).__name__}")
            if i and layer.n_in != layers[i - 1].n_out:
                raise ValueError(f"layers[{i}].n_in must equal layers[{i - 1}].n_out "
                                 f"({layers[i - 1].n_out}), got {layer.n_in}")
        if loss is not None and not isinstance(loss, Loss):
            raise TypeError(f"loss must be a Loss, got {type(loss).__name__}")
        self.layers = layers
        self.loss = loss if loss is not None else MSE()
        self.dtype = _float_dtype(dtype)
        self.xp = xp = get_namespace(backend)
        p_edges = np.cumsum([0] + [layer.n_params for layer in layers])
        s_edges = np.cumsum([0] + [layer.n_out for layer in layers])
        self.param_slices = [slice(int(a), int(b)) for a, b in zip(p_edges[:-1], p_edges[1:])]
        self.scale_slices = [slice(int(a), int(b)) for a, b in zip(s_edges[:-1], s_edges[1:])]
        self._params = xp.zeros(int(p_edges[-1]), dtype=self.dtype)
        self._scales = xp.ones(int(s_edges[-1]), dtype=self.dtype)
        self._bind()
        names = [f"hidden {i + 1}" for i in range(len(layers) - 1)] + ["output"]
        self.blocks = [self._make_block(i, names[i], i, i) for i in range(len(layers))]

    def _bind(self) -> None:
        """Make every layer's ``W``, ``b`` and α views into ``params`` and ``scales``."""
        for layer, ps, ss in zip(self.layers, self.param_slices, self.scale_slices):
            layer.bind(self._params[ps], self._scales[ss])
        self._tape = None

    def to(self, backend=None, dtype=None) -> "Network":
        """Move ``params`` and ``scales`` to ``backend`` and/or ``dtype``, in place; return self.

        ``net.to("cupy", dtype="float32")`` puts the network on the GPU in single precision.
        The layers' views follow; block objectives and sensitivities made before keep the
        old arrays (make them again).
        """
        xp = self.xp if backend is None else get_namespace(backend)
        dtype = self.dtype if dtype is None else _float_dtype(dtype)
        if xp is not self.xp or dtype != self.dtype:
            self._params = asarray(self._params, xp, dtype)
            self._scales = asarray(self._scales, xp, dtype)
            self.xp, self.dtype = xp, dtype
            self._bind()
        return self

    @property
    def backend(self) -> str:
        """The backend's name: ``"numpy"``, ``"cupy"`` or ``"strict"``."""
        return backend_name(self.xp)

    # ------------------------------------------------------------------ construction
    @classmethod
    def mlp(cls, sizes, activation="tanh", output_activation="identity", init=None, seed=0,
            dtype=np.float64, loss: Loss | None = None, backend=None) -> "Network":
        """Build a multilayer perceptron ``sizes[0] -> ... -> sizes[-1]`` and initialise it.

        Parameters
        ----------
        sizes : sequence of int
            Input width, hidden widths, output width (at least two entries, each >= 1).
        activation : str or Activation, default "tanh"
            Activation of the hidden layers.
        output_activation : str or Activation, default "identity"
        init : {"glorot", "he", "orthogonal"}, optional
            Weight initialisation of every layer; by default each activation's own.
        seed : int, SeedSequence, Generator or None, default 0
            Seed of the NumPy Generator that draws the weights (on the host, for every backend).
        dtype, loss, backend
            As for :class:`Network`.
        """
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"sizes must be a sequence of layer widths, got {sizes!r}")
        if len(sizes) < 2:
            raise ValueError(f"sizes must hold at least an input and an output width, got {sizes!r}")
        widths = [check_int(s, f"sizes[{i}]", minimum=1) for i, s in enumerate(sizes)]
        n = len(widths) - 1
        layers = [Dense(widths[i], widths[i + 1],
                        activation if i < n - 1 else output_activation, init=init)
                  for i in range(n)]
        net = cls(layers, loss=loss, dtype=dtype, backend=backend)
        net.initialize(seed)
        return net

    def initialize(self, seed=0) -> "Network":
        """Redraw every layer's weights from its initialiser; reset α to ones."""
        rng = check_rng_seed(seed)
        for layer in self.layers:
            layer.initialize(rng)
        self._scales[...] = 1.0
        return self

    def _make_block(self, index, name, first, last) -> Block:
        return Block(index, name, first, last,
                     self.param_slices[first].start, self.param_slices[last].stop)

    def block_covering(self, first: int, last: int, name: str | None = None) -> Block:
        """Return a block spanning layers ``first..last`` (``(0, L-1)``: the whole network)."""
        n = len(self.layers)
        first = check_int(first, "first", minimum=0)
        last = check_int(last, "last", minimum=first)
        if last >= n:
            raise ValueError(f"last must be below the number of layers ({n}), got {last}")
        return self._make_block(-1, name or f"layers {first + 1}-{last + 1}", first, last)

    def copy(self) -> "Network":
        """Return an independent copy with the same layers, parameters and scales."""
        import copy as _copy

        clone = Network([_copy.copy(layer) for layer in self.layers], self.loss, self.dtype,
                        backend=self.xp)
        clone.params = self._params
        clone.scales = self._scales
        return clone

    # ------------------------------------------------------------------ flat vectors
    @property
    def params(self) -> np.ndarray:
        return self._params

    @params.setter
    def params(self, value):
        self._params[...] = check_vector(value, "params", self._params.size, self.dtype,
                                         self.xp)

    @property
    def scales(self) -> np.ndarray:
        return self._scales

    @scales.setter
    def scales(self, value):
        self._scales[...] = check_vector(value, "scales", self._scales.size, self.dtype,
                                         self.xp)

    @property
    def n_params(self) -> int:
        return self._params.size

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def sizes(self) -> list[int]:
        return [self.n_inputs] + [layer.n_out for layer in self.layers]

    def __repr__(self) -> str:
        acts = sorted({layer.activation.name for layer in self.layers[:-1]}) or ["-"]
        where = "" if self.xp is np else f", backend={self.backend}"
        return (f"Network(sizes={self.sizes}, activation={'/'.join(acts)}, "
                f"n_params={self.n_params}, dtype={self.dtype.name}{where})")

    # ------------------------------------------------------------------ checks
    def _check_X(self, X, name="X"):
        return check_matrix(X, name, self.n_inputs, self.dtype, self.xp)

    def _check_data(self, X, Y, sample_weight=None):
        """The data moved to the network's namespace and dtype, checked (DESIGN §10)."""
        X = self._check_X(X)
        Y = check_targets(Y, "Y", X.shape[0], self.n_outputs, self.dtype, self.xp)
        return X, Y, check_sample_weight(sample_weight, X.shape[0], self.dtype, self.xp)

    def _full_tape(self):
        if self._tape is None:
            self._tape = passes.Tape(len(self.layers), self.xp)
        return self._tape

    # ------------------------------------------------------------------ evaluation
    @quiet_overflow
    @blas_policy
    def predict(self, X) -> np.ndarray:
        """Return the predictions, an array of shape ``(n_samples, n_outputs)``.

        Rows go through in chunks (:func:`row_chunks`), so the memory used beyond ``X`` and
        the result stays bounded: 2 million rows of 4 inputs through 4-10-10-10-1 need the
        result (16 MB) and 4 MB of buffers, not 3 x 31 values per row (1.5 GB).
        """
        X = self._check_X(X)
        chunks = row_chunks(X.shape[0], self.sizes, self.dtype.itemsize)
        if len(chunks) == 1:
            return passes.forward(self.layers, X, self._full_tape()).copy()
        P = self.xp.empty((X.shape[0], self.n_outputs), dtype=self.dtype)
        tape = passes.Tape(len(self.layers), self.xp)    # chunk-sized, freed on return
        for rows in chunks:
            P[rows] = passes.forward(self.layers, X[rows], tape)
        return P

    @quiet_overflow
    @blas_policy
    def loss_value(self, X, Y, sample_weight=None) -> float:
        """Return the loss :math:`E` on ``(X, Y)``."""
        X, Y, w = self._check_data(X, Y, sample_weight)
        P = passes.forward(self.layers, X, self._full_tape())
        return self.loss.value(P, Y, w)

    def _views(self, vector, slices, first=0, offset=0):
        return [None if i < first else vector[s.start - offset:s.stop - offset]
                for i, s in enumerate(slices)]

    @blas_policy
    def loss_grad(self, X, Y, sample_weight=None):
        """Return ``(E, g)``: the loss and its gradient with respect to ``params``.

        Returns
        -------
        E : float
        g : ndarray of shape (n_params,)
            Laid out like ``params``.
        """
        X, Y, w = self._check_data(X, Y, sample_weight)
        return evaluate(self, X, Y, w, self._full_tape(), grad=True)[:2]

    @blas_policy
    def scales_grad(self, X, Y, sample_weight=None):
        r"""Return ``(E, s)`` with :math:`s = \partial E / \partial \alpha`, shaped like ``scales``.

        At α = 1 these are the neuron sensitivities of Paper A: one backward pass gives all.
        """
        X, Y, w = self._check_data(X, Y, sample_weight)
        f, _, s = evaluate(self, X, Y, w, self._full_tape(), grad=False, grad_scales=True)
        return f, s

    @blas_policy
    def hvp(self, X, Y, v, sample_weight=None) -> np.ndarray:
        """Return the exact Hessian-vector product :math:`\\nabla^2_\\theta E \\, v`."""
        X, Y, w = self._check_data(X, Y, sample_weight)
        v = check_vector(v, "v", self.n_params, self.dtype, self.xp)
        return curvature_product(self, X, Y, w, self._full_tape(), v=v)[0]

    @blas_policy
    def gnvp(self, X, Y, v, sample_weight=None) -> np.ndarray:
        """Return the Gauss–Newton-vector product :math:`J^\\top \\nabla^2_{\\hat y} E\\, J v`."""
        X, Y, w = self._check_data(X, Y, sample_weight)
        v = check_vector(v, "v", self.n_params, self.dtype, self.xp)
        return curvature_product(self, X, Y, w, self._full_tape(), v=v, gauss_newton=True)[0]

    @blas_policy
    def scales_hvp(self, X, Y, u, sample_weight=None, gauss_newton=False) -> np.ndarray:
        """Return :math:`\\nabla^2_{\\alpha} E \\, u` (or its Gauss–Newton version), shaped like ``scales``."""
        X, Y, w = self._check_data(X, Y, sample_weight)
        u = check_vector(u, "u", self._scales.size, self.dtype, self.xp)
        return curvature_product(self, X, Y, w, self._full_tape(), u=u,
                                 gauss_newton=gauss_newton)[1]

    def block_objective(self, block, X, Y, sample_weight=None):
        """Return a :class:`~bcdnet.block.BlockObjective`: block ``block`` on ``(X, Y)``.

        The layers below the block are frozen: their output on ``X`` is computed once and
        reused by every evaluation.  ``block`` is an index into :attr:`blocks` or a Block.
        """
        from .block import BlockObjective

        if not isinstance(block, Block):
            index = check_int(block, "block", minimum=0)
            if index >= len(self.blocks):
                raise ValueError(f"block must be below the number of blocks "
                                 f"({len(self.blocks)}), got {index}")
            block = self.blocks[index]
        X, Y, w = self._check_data(X, Y, sample_weight)
        return BlockObjective(self, block, X, Y, w)


@quiet_overflow
def evaluate(net: Network, A_in, Y, w, tape, grad=True, grad_scales=False, block=None,
             start=0):
    """Loss, parameter gradient and scale gradient, running only layers ``start..L``.

    ``A_in`` is the input of layer ``start``.  With ``block`` given, the parameter gradient
    covers only the block's slice.  Returns ``(E, g or None, s or None)``.
    """
    layers = net.layers
    P = passes.forward(layers, A_in, tape, start)
    dP = tape.loss_cache.buffer("dP", P.shape, P.dtype)
    f, dP = net.loss.value_and_grad(P, Y, w, out=dP)
    if not grad and not grad_scales:
        return f, None, None
    g = s = grads = scale_views = None
    if grad:
        if block is None:
            g = net.xp.empty(net.n_params, dtype=net.dtype)
            grads = net._views(g, net.param_slices, start)
        else:
            g = net.xp.empty(block.size, dtype=net.dtype)
            grads = [g[net.param_slices[i].start - block.start:
                       net.param_slices[i].stop - block.start] if i in block.layers else None
                     for i in range(len(layers))]
    if grad_scales:
        s = net.xp.zeros(net.scales.size, dtype=net.dtype)
        scale_views = net._views(s, net.scale_slices, start)
    passes.backward(layers, tape, dP, start, grads, scale_views)
    return f, g, s


@quiet_overflow
def curvature_product(net: Network, A_in, Y, w, tape, v=None, u=None, gauss_newton=False,
                      block=None, start=0):
    """Hessian (or Gauss–Newton) product along ``(v, u)`` in (params, scales) space.

    ``v`` is a direction in ``params`` (or in the block's slice when ``block`` is given),
    ``u`` a direction in ``scales``; either may be None (zero).  Returns the two parts of
    the product, ``(Hv_params or None, Hv_scales or None)``; the params part is computed when
    ``v`` is given, the scales part when ``u`` is given.
    """
    layers, n = net.layers, len(net.layers)
    if block is None:
        V = None if v is None else net._views(v, net.param_slices, start)
        hv = None if v is None else net.xp.empty(net.n_params, dtype=net.dtype)
        hv_views = None if v is None else net._views(hv, net.param_slices, start)
    else:
        def views(vec):
            return [vec[net.param_slices[i].start - block.start:
                        net.param_slices[i].stop - block.start] if i in block.layers else None
                    for i in range(n)]
        V = None if v is None else views(v)
        hv = None if v is None else net.xp.zeros(block.size, dtype=net.dtype)
        hv_views = None if v is None else views(hv)
    U = None if u is None else net._views(u, net.scale_slices, start)
    hs = None if u is None else net.xp.zeros(net.scales.size, dtype=net.dtype)
    hs_views = None if u is None else net._views(hs, net.scale_slices, start)

    P, RP = passes.r_forward(layers, A_in, tape, start, V, U)
    if RP is None:
        RP = net.xp.zeros_like(P)
    RdP = net.loss.hvp(P, Y, RP, w, out=tape.loss_cache.buffer("RdP", P.shape, P.dtype))
    if gauss_newton:  # G v = J^T (loss Hessian) J v: an ordinary backward pass of RdP
        passes.backward(layers, tape, RdP, start, hv_views, hs_views)
    else:
        dP = tape.loss_cache.buffer("dP", P.shape, P.dtype)
        _, dP = net.loss.value_and_grad(P, Y, w, out=dP)
        passes.r_backward(layers, tape, dP, RdP, start, V, U, hv_views, hs_views)
    return hv, hs
