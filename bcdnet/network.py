r"""The Network: a stack of layers over one flat parameter vector and one flat scale vector.

.. code-block:: python

    net = Network.mlp([4, 10, 10, 10, 1], activation="tanh", seed=0)
    f, g = net.loss_grad(X, Y)          # E and dE/dθ, g shaped like net.params
    Hv = net.hvp(X, Y, v)               # exact Hessian-vector product (Pearlmutter)
    Gv = net.gnvp(X, Y, v)              # Gauss–Newton-vector product (PSD)
    f, s = net.scales_grad(X, Y)        # dE/dα: the neuron sensitivities
    obj = net.block_objective(k, X, Y)  # block k on (X, Y) with a frozen, cached prefix

Layout (docs/design.rst): ``params`` is one contiguous 1-D array; layer ``l``'s ``W`` (C order,
shape ``(fan_in, fan_out)``) and then ``b`` are views into it, in layer order.  ``scales``
holds one :math:`\alpha` per neuron, layer by layer, the output layer included; α is not
trained and has its own gradient.  ``blocks[k]`` is a named slice of ``params`` (one block
per layer by default); an optimiser sees a block as a flat vector, exactly like a network.
"""

from __future__ import annotations

import functools

import numpy as np

from . import passes
from ._pickling import portable_state, restore_portable_state
from ._row_blocks import PREDICT_CHUNK_BYTES, row_chunks  # noqa: F401 (this module's API)
from ._threads import network_threads
from ._validation import (check_int, check_matrix, check_rng_seed, check_sample_weight,
                          check_targets, check_vector)
from .backend import asarray, backend_name, get_namespace
from .block import Block, BlockObjective
from .evaluation import curvature_product, evaluate, predictions, quiet_overflow
from .layers import Dense, Layer
from .losses import MSE, Loss

__all__ = ["Network", "Block"]


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating type, got {dtype}")
    return dtype


def _kind(layer) -> str:
    """What ``repr`` shows for a hidden layer: its activation's name, else its class name."""
    activation = getattr(layer, "activation", None)
    return getattr(activation, "name", None) or type(layer).__name__


def blas_policy(fn):
    """Run the method ``fn(self, X, ...)`` with bcdnet's BLAS threads for ``X``'s row count
    (:mod:`bcdnet._threads`; kept as they are inside ``Trainer.fit`` and the estimator)."""
    @functools.wraps(fn)
    def wrapper(self, X, *args, **kwargs):
        shape = getattr(X, "shape", None)
        with network_threads(self, shape[0] if shape else 0):
            return fn(self, X, *args, **kwargs)
    return wrapper


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
    backend : {"numpy", "cupy"}, a registered name or None
        A name registered with :func:`~bcdnet.backend.register_backend` is accepted too.
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
            for size in ("n_in", "n_out", "n_params"):
                if not isinstance(getattr(layer, size, None), (int, np.integer)):
                    raise TypeError(f"layers[{i}] ({type(layer).__name__}) must set the "
                                    f"integer attribute {size}")
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

    def __getstate__(self) -> dict:
        """Pickle and deepcopy: the namespace by name, without the pass caches."""
        return {**portable_state(self), "_tape": None}

    def __setstate__(self, state: dict) -> None:
        restore_portable_state(self, state)
        self._bind()          # the layers' W, b and α: views into params and scales again

    @property
    def backend(self) -> str:
        """The backend's name: ``"numpy"``, ``"cupy"`` or a registered one ("strict" in tests)."""
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
        acts = sorted({_kind(layer) for layer in self.layers[:-1]}) or ["-"]
        where = "" if self.xp is np else f", backend={self.backend}"
        return (f"Network(sizes={self.sizes}, activation={'/'.join(acts)}, "
                f"n_params={self.n_params}, dtype={self.dtype.name}{where})")

    # ------------------------------------------------------------------ checks
    def _check_X(self, X, name="X"):
        return check_matrix(X, name, self.n_inputs, self.dtype, self.xp)

    def _check_data(self, X, Y, sample_weight=None):
        """The data moved to the network's namespace and dtype, checked (docs/design.rst)."""
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
        result (16 MB) and 4 MB of buffers, not 3 x 31 values per row (1.5 GB).  Many rows
        run in row blocks on the cores at once (``bcdnet.evaluation.predictions``).
        """
        return predictions(self, self._check_X(X), self._full_tape())

    @quiet_overflow
    @blas_policy
    def loss_value(self, X, Y, sample_weight=None) -> float:
        """Return the loss :math:`E` on ``(X, Y)``: the value :meth:`loss_grad` gives, bit for
        bit (the same row blocks)."""
        X, Y, w = self._check_data(X, Y, sample_weight)
        return evaluate(self, X, Y, w, self._full_tape(), grad=False)[0]

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
        if not isinstance(block, Block):
            index = check_int(block, "block", minimum=0)
            if index >= len(self.blocks):
                raise ValueError(f"block must be below the number of blocks "
                                 f"({len(self.blocks)}), got {index}")
            block = self.blocks[index]
        X, Y, w = self._check_data(X, Y, sample_weight)
        return BlockObjective(self, block, X, Y, w)
