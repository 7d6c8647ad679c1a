r"""The loss of a network and its derivatives, evaluated from one layer upwards.

These two functions are what :class:`~bcdnet.network.Network` and
:class:`~bcdnet.block.BlockObjective` call: :func:`evaluate` gives :math:`E`,
:math:`\partial E/\partial\theta` and :math:`\partial E/\partial\alpha`;
:func:`curvature_product` gives the Hessian (or Gauss–Newton) product along a direction in
(params, scales) space.  Both run only layers ``start..L`` on ``A_in``, the input of layer
``start`` (the frozen prefix; docs/design.rst, section Architecture), and restrict the
parameter part to a block when one is given.  ``net`` is anything with ``layers``,
``loss``, ``xp``, ``dtype``, ``param_slices``, ``scale_slices``, ``n_params`` and
``scales`` (a Network).  :func:`predictions` gives ``Network.predict`` its output, split
the same way.

Large evaluations run in row blocks, at once where the thread policy allows, and each block
in row tiles one after the other, small enough for a layer's arrays to stay in cache; the
parts are summed in order (:mod:`bcdnet._row_blocks`, which gives the identity this relies
on: :math:`E = \sum_k c_k E_k` over blocks and tiles alike).
"""

from __future__ import annotations

import functools

import numpy as np

from . import passes
from ._row_blocks import row_blocks, row_chunks, row_tiles, run_blocks
from .backend import is_host_array

__all__ = ["evaluate", "curvature_product", "predictions", "forward_rows", "quiet_overflow"]


def _views(vector, slices, first=0):
    """Views of ``vector`` per layer (None below ``first``)."""
    return [None if i < first else vector[s] for i, s in enumerate(slices)]


def _block_views(net, vector, block):
    """Views of a block-sized ``vector`` per layer (None outside the block)."""
    return [vector[net.param_slices[i].start - block.start:
                   net.param_slices[i].stop - block.start] if i in block.layers else None
            for i in range(len(net.layers))]


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


def _row_parts(net, A_in, w, start):
    """``[(rows, tiles), ...]``: the row blocks of this evaluation, each with its tiles as
    ``(rows within the block, share)``, where the share is the tile's factor :math:`c` in
    the loss (:mod:`bcdnet._row_blocks`); None for one block of one tile.

    Only a loss that says it is a weighted mean over rows (``row_mean``) is split, and only
    host arrays (a GPU runs one evaluation at a time anyway).
    """
    if not getattr(net.loss, "row_mean", False) or not is_host_array(A_in):
        return None
    layers = net.layers[start:]
    n_rows = A_in.shape[0]
    blocks = row_blocks(n_rows, sum(layer.n_out for layer in layers))
    widest = max([A_in.shape[1]] + [layer.n_out for layer in layers])
    tiles = [row_tiles(rows.stop - rows.start, widest, A_in.dtype.itemsize)
             for rows in blocks]
    if len(blocks) == 1 and len(tiles[0]) == 1:
        return None
    if w is None:
        def share(rows):
            return (rows.stop - rows.start) / n_rows
    else:
        w = w / w.max()                      # as the loss does: no overflow in the sums
        total = float(w.sum())
        if not total > 0:                    # rows that all weigh 0: one block, as before
            return None

        def share(rows):
            return float(w[rows].sum()) / total
    return [(rows, [(tile, share(slice(rows.start + tile.start, rows.start + tile.stop)))
                    for tile in block_tiles])
            for rows, block_tiles in zip(blocks, tiles)]


def _in_blocks(net, kind, A_in, Y, w, options, parts, tape, n_results):
    """Run ``BLOCK_FUNCTIONS[kind]`` with ``options`` on every row block; return the parts
    summed in block order (floats added, arrays accumulated into the first block's).

    A block is the same call wherever it runs: here, on a thread, or in a helper process,
    which gets ``(kind, arrays, options)`` and its own copy of ``net``.
    """
    if len(parts) == 1:
        return BLOCK_FUNCTIONS[kind](net, A_in, Y, w, tape, tiles=parts[0][1], **options)
    tapes = tape.parts(len(parts))

    def task(k):
        rows, tiles = parts[k]
        return kind, (A_in[rows], Y[rows], None if w is None else w[rows]), dict(
            options, tiles=tiles)

    def local(k):
        _, arrays, block_options = task(k)
        return BLOCK_FUNCTIONS[kind](net, *arrays, tapes[k], **block_options)

    return _summed(run_blocks(local, len(parts), task=task, owner=net), n_results)


def _summed(results, n_results):
    """The parts summed in order: floats added, arrays accumulated into the first one's."""
    total = list(results[0])
    for result in results[1:]:
        for i in range(n_results):
            if result[i] is not None:
                total[i] += result[i]      # arrays in place: the first part's own
    return tuple(total)


def _tiled(fn, n_results):
    """``fn`` on a block of rows, run tile by tile when ``tiles`` is given: each tile's call
    gets its rows and ``share``, and the parts are summed in tile order (:func:`_summed`)."""
    @functools.wraps(fn)
    def run(net, A_in, Y, w, tape, tiles=None, **options):
        if tiles is None:
            return fn(net, A_in, Y, w, tape, **options)
        return _summed([fn(net, A_in[rows], Y[rows], None if w is None else w[rows], tape,
                           share=share, **options) for rows, share in tiles], n_results)
    return run


@quiet_overflow
def evaluate(net, A_in, Y, w, tape, grad=True, grad_scales=False, block=None,
             start=0):
    """Loss, parameter gradient and scale gradient, running only layers ``start..L``.

    ``A_in`` is the input of layer ``start``.  With ``block`` given, the parameter gradient
    covers only the block's slice.  Returns ``(E, g or None, s or None)``.
    """
    parts = _row_parts(net, A_in, w, start)
    options = dict(grad=grad, grad_scales=grad_scales, block=block, start=start)
    if parts is None:
        return _evaluate(net, A_in, Y, w, tape, **options)
    return _in_blocks(net, "evaluate", A_in, Y, w, options, parts, tape, 3)


def _evaluate(net, A_in, Y, w, tape, grad, grad_scales, block, start, share=None):
    """:func:`evaluate` on one block of rows; ``share`` scales its loss (None: 1)."""
    layers = net.layers
    P = passes.forward(layers, A_in, tape, start)
    dP = tape.loss_cache.buffer("dP", P.shape, P.dtype)
    f, dP = net.loss.value_and_grad(P, Y, w, out=dP)
    if share is not None:
        f *= share
        dP *= share
    if not grad and not grad_scales:
        return f, None, None
    g = s = grads = scale_views = None
    if grad:
        if block is None:
            g = net.xp.empty(net.n_params, dtype=net.dtype)
            grads = _views(g, net.param_slices, start)
        else:
            g = net.xp.empty(block.size, dtype=net.dtype)
            grads = _block_views(net, g, block)
    if grad_scales:
        s = net.xp.zeros(net.scales.size, dtype=net.dtype)
        scale_views = _views(s, net.scale_slices, start)
    passes.backward(layers, tape, dP, start, grads, scale_views)
    return f, g, s


@quiet_overflow
def curvature_product(net, A_in, Y, w, tape, v=None, u=None, gauss_newton=False,
                      block=None, start=0):
    """Hessian (or Gauss–Newton) product along ``(v, u)`` in (params, scales) space.

    ``v`` is a direction in ``params`` (or in the block's slice when ``block`` is given),
    ``u`` a direction in ``scales``; either may be None (zero).  Returns the two parts of
    the product, ``(Hv_params or None, Hv_scales or None)``; the params part is computed when
    ``v`` is given, the scales part when ``u`` is given.
    """
    parts = _row_parts(net, A_in, w, start)
    options = dict(v=v, u=u, gauss_newton=gauss_newton, block=block, start=start)
    if parts is None:
        return _curvature(net, A_in, Y, w, tape, **options)
    return _in_blocks(net, "curvature", A_in, Y, w, options, parts, tape, 2)


def _curvature(net, A_in, Y, w, tape, v, u, gauss_newton, block, start, share=None):
    """:func:`curvature_product` on one block of rows; ``share`` scales its loss (None: 1)."""
    layers = net.layers
    if block is None:
        V = None if v is None else _views(v, net.param_slices, start)
        hv = None if v is None else net.xp.empty(net.n_params, dtype=net.dtype)
        hv_views = None if v is None else _views(hv, net.param_slices, start)
    else:
        V = None if v is None else _block_views(net, v, block)
        hv = None if v is None else net.xp.zeros(block.size, dtype=net.dtype)
        hv_views = None if v is None else _block_views(net, hv, block)
    U = None if u is None else _views(u, net.scale_slices, start)
    hs = None if u is None else net.xp.zeros(net.scales.size, dtype=net.dtype)
    hs_views = None if u is None else _views(hs, net.scale_slices, start)

    P, RP = passes.r_forward(layers, A_in, tape, start, V, U)
    if RP is None:
        RP = net.xp.zeros_like(P)
    RdP = net.loss.hvp(P, Y, RP, w, out=tape.loss_cache.buffer("RdP", P.shape, P.dtype))
    if share is not None:
        RdP *= share
    if gauss_newton:  # G v = J^T (loss Hessian) J v: an ordinary backward pass of RdP
        passes.backward(layers, tape, RdP, start, hv_views, hs_views)
    else:
        dP = tape.loss_cache.buffer("dP", P.shape, P.dtype)
        _, dP = net.loss.value_and_grad(P, Y, w, out=dP)
        if share is not None:
            dP *= share
        passes.r_backward(layers, tape, dP, RdP, start, V, U, hv_views, hs_views)
    return hv, hs


@quiet_overflow
def predictions(net, X, tape):
    r"""The network's output on ``X``: in row blocks at once where the thread policy allows
    and the rows are many, each block in row chunks (``row_chunks``) so the memory beyond
    ``X`` and the result stays a chunk's buffers.  Every row's output is its own, so the
    blocks and chunks never change a bit.

    A forward pass alone needs more rows than a gradient to gain from a second core: the
    blocks are those of a network two thirds as wide.  On the 2-core Intel Xeon, with the
    helper process ready, 4-10-10-10-1 took 0.79 ms on 7,654 rows in one block and 0.80 ms
    in two (119,000 values per block), 1.25 against 1.07 ms on 12,000 rows (186,000);
    15-(64x4)-1 on 28,032 rows 34 against 18 ms.
    """
    blocks = [slice(0, X.shape[0])]
    if is_host_array(X):
        blocks = row_blocks(X.shape[0], sum(net.sizes[1:]) * 2 // 3)
    if len(blocks) == 1:
        return _predict(net, X, None, None, tape)
    tapes = tape.parts(len(blocks))

    def task(k):
        return "predict", (X[blocks[k]], None, None), {}

    def local(k):
        return _predict(net, X[blocks[k]], None, None, tapes[k])

    P = net.xp.empty((X.shape[0], net.n_outputs), dtype=net.dtype)
    for rows, part in zip(blocks, run_blocks(local, len(blocks), task=task, owner=net)):
        P[rows] = part
    return P


def _predict(net, X, Y, w, tape):
    """:func:`predictions` on one block of rows (``Y`` and ``w`` unused: None)."""
    return forward_rows(net.layers, X, tape, net.xp)


def forward_rows(layers, X, tape, xp=np):
    """``layers`` run on ``X`` in row chunks (``row_chunks``) into an array of its own: the
    memory beyond ``X`` and the output is one chunk's buffers in ``tape``."""
    sizes = [X.shape[1]] + [layer.n_out for layer in layers]
    chunks = row_chunks(X.shape[0], sizes, X.dtype.itemsize)
    if len(chunks) == 1:
        return passes.forward(layers, X, tape).copy()
    out = xp.empty((X.shape[0], sizes[-1]), dtype=X.dtype)
    for rows in chunks:
        out[rows] = passes.forward(layers, X[rows], tape)
    return out


#: the functions a row block runs, by the name a helper process is sent
BLOCK_FUNCTIONS = {"evaluate": _tiled(_evaluate, 3), "curvature": _tiled(_curvature, 2),
                   "predict": _predict}
