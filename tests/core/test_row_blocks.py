"""Row blocks: an evaluation split by rows equals the whole one, and the threads never
change a bit (bcdnet/_row_blocks.py)."""

import multiprocessing
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bcdnet as bn
from bcdnet import _row_blocks
from bcdnet._row_blocks import row_blocks
from bcdnet._threads import limit_threads


@settings(max_examples=200, deadline=None)
@given(n_rows=st.integers(1, 10**6), width=st.integers(1, 600), cores=st.integers(1, 64))
def test_blocks_cover_the_rows_once_in_order_and_are_worth_a_thread(n_rows, width, cores):
    blocks = row_blocks(n_rows, width, cores)
    assert blocks[0].start == 0 and blocks[-1].stop == n_rows
    assert all(a.stop == b.start for a, b in zip(blocks[:-1], blocks[1:]))
    sizes = [b.stop - b.start for b in blocks]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
    assert len(blocks) <= cores
    if len(blocks) > 1:
        assert min(sizes) * width >= _row_blocks.MIN_BLOCK_WORK - width


@settings(max_examples=200, deadline=None)
@given(n_rows=st.integers(1, 10**6), width=st.integers(1, 600), itemsize=st.sampled_from([4, 8]),
       tile_bytes=st.integers(1, 2**24))
def test_tiles_cover_the_rows_once_in_order_and_fit_the_bytes(n_rows, width, itemsize,
                                                               tile_bytes):
    tiles = _row_blocks.row_tiles(n_rows, width, itemsize, tile_bytes)
    assert tiles[0].start == 0 and tiles[-1].stop == n_rows
    assert all(a.stop == b.start for a, b in zip(tiles[:-1], tiles[1:]))
    sizes = [t.stop - t.start for t in tiles]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
    step = max(_row_blocks.MIN_TILE_ROWS, tile_bytes // (width * itemsize))
    assert max(sizes) <= step                       # no tile larger than the bytes allow
    assert len(tiles) == -(-n_rows // step)         # and no more tiles than needed


def test_the_cache_size_is_read_from_the_machine_or_defaults():
    size = _row_blocks.cache_bytes()
    assert isinstance(size, int) and 2**14 <= size <= 2**30


@pytest.fixture(params=["blocks", "tiles", "blocks of tiles"])
def small_blocks(monkeypatch, request):
    """Small data split three ways: 3 row blocks (whatever the machine's cores), tiles of
    7 rows in one block, or 3 blocks of 3 tiles each (61 rows)."""
    if "blocks" in request.param:
        monkeypatch.setattr(_row_blocks, "MIN_BLOCK_WORK", 50)
        monkeypatch.setattr(_row_blocks, "cores", lambda: 3)
    if "tiles" in request.param:
        monkeypatch.setattr(_row_blocks, "MIN_TILE_ROWS", 7)
        monkeypatch.setattr(_row_blocks, "cache_bytes", lambda: 4)   # every tile its least
    return request.param


def evaluations(net, X, Y, w, v, u):
    """Everything a network evaluates, with its blocks as they are now."""
    obj = net.block_objective(1, X, Y, w)
    return {"loss_grad": net.loss_grad(X, Y, w), "scales_grad": net.scales_grad(X, Y, w),
            "hvp": net.hvp(X, Y, v, w), "gnvp": net.gnvp(X, Y, v, w),
            "scales_hvp": net.scales_hvp(X, Y, u, w),
            "block": obj(obj.x0()), "block_hvp": obj.hvp(obj.x0(), v[:obj.size]),
            "loss": net.loss_value(X, Y, w), "predict": net.predict(X)}


def flat(result):
    parts = result if isinstance(result, tuple) else (result,)
    return np.concatenate([np.atleast_1d(np.asarray(p, dtype=float)) for p in parts])


def problem(weighted, seed=0):
    rng = np.random.default_rng(seed)
    net = bn.Network.mlp([3, 7, 5, 2], activation="tanh", seed=seed)
    net.scales = rng.uniform(0.5, 1.5, net.scales.size)
    X, Y = rng.standard_normal((61, 3)), rng.standard_normal((61, 2))
    w = rng.uniform(0, 2, 61) if weighted else None
    if weighted:
        w[:20] = 0.0                       # a block that weighs nothing
    return net, X, Y, w, rng.standard_normal(net.n_params), rng.standard_normal(net.scales.size)


@pytest.mark.parametrize("weighted", [False, True])
def test_blocks_give_the_whole_evaluation(small_blocks, monkeypatch, weighted):
    net, X, Y, w, v, u = problem(weighted)
    n_blocks = len(row_blocks(61, sum(net.sizes[1:])))
    n_tiles = len(_row_blocks.row_tiles(61 // n_blocks, 7, 8))
    assert (n_blocks, n_tiles) == {"blocks": (3, 1), "tiles": (1, 9),
                                   "blocks of tiles": (3, 3)}[small_blocks]
    split = evaluations(net, X, Y, w, v, u)
    monkeypatch.setattr(_row_blocks, "MIN_BLOCK_WORK", 10**12)
    monkeypatch.setattr(_row_blocks, "MIN_TILE_ROWS", 10**12)
    whole = evaluations(net, X, Y, w, v, u)
    for name in whole:
        a, b = flat(split[name]), flat(whole[name])
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14 * np.abs(b).max(),
                                   err_msg=name)


def test_threads_never_change_a_bit(small_blocks):
    net, X, Y, w, v, u = problem(weighted=True)
    results = []
    for threads in (1, 2, 3, "auto"):
        with limit_threads(threads, net.sizes, X.shape[0]):
            results.append({k: flat(r) for k, r in evaluations(net, X, Y, w, v, u).items()})
    for other in results[1:]:
        for name, value in results[0].items():
            np.testing.assert_array_equal(other[name], value, err_msg=name)


def test_an_error_in_a_block_thread_reaches_the_caller(small_blocks):
    net, X, Y, *_ = problem(weighted=False)

    def boom(k):
        if k == 2:
            raise RuntimeError("block 2 failed")
        return k

    with limit_threads(3, net.sizes, X.shape[0]):
        with pytest.raises(RuntimeError, match="block 2"):
            _row_blocks.run_blocks(boom, 3)


def _child_evaluates(queue):
    net, X, Y, *_ = problem(weighted=False)
    with limit_threads(3, net.sizes, X.shape[0]):
        queue.put(float(net.loss_grad(X, Y)[0]))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_starts_its_own_pool(small_blocks):
    """The parent's pool threads do not exist in a forked child: it must not wait on them."""
    net, X, Y, *_ = problem(weighted=False)
    with limit_threads(3, net.sizes, X.shape[0]):
        expected = float(net.loss_grad(X, Y)[0])          # the parent's pool is running
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_evaluates, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0, "the forked child hung or failed"
    assert queue.get(timeout=5) == expected


@pytest.mark.parametrize("weighted", [False, True])
def test_split_derivatives_match_finite_differences(small_blocks, weighted):
    """The gradient and Hessian-vector product summed over three row blocks, against float64
    central differences (a wrong share or sign in one block would show), and symmetry."""
    from bcdnet.testing import check_grad, check_hvp

    net, X, Y, w, v, _ = problem(weighted)

    def at(x):
        net.params = x
        return net

    grad = lambda x: at(x).loss_grad(X, Y, w)[1]                      # noqa: E731
    hvp = lambda x, d: at(x).hvp(X, Y, d, w)                          # noqa: E731
    x0 = net.params.copy()
    # the loss itself, by hand from the (unsplit) predictions: finite differences alone would
    # accept a consistently wrong loss, e.g. a block summed with the wrong sign
    r2 = ((net.predict(X) - Y) ** 2).sum(axis=1)
    weights = np.ones(len(X)) if w is None else w
    expected = float(weights @ r2) / (Y.shape[1] * weights.sum())
    assert net.loss_grad(X, Y, w)[0] == pytest.approx(expected, rel=1e-13)
    assert check_grad(lambda x: at(x).loss_grad(X, Y, w), x0, tol=1e-7).passed
    assert check_hvp(grad, hvp, x0, v=v, tol=1e-6).passed


@settings(max_examples=40, deadline=None)
@given(n_rows=st.integers(1, 90), tile=st.integers(1, 40), cores=st.integers(1, 4),
       widths=st.lists(st.integers(1, 6), min_size=1, max_size=3), weighted=st.booleans(),
       seed=st.integers(0, 2**16))
def test_any_split_into_blocks_and_tiles_gives_the_whole_evaluation(
        n_rows, tile, cores, widths, weighted, seed):
    """Random rows, widths, tile sizes and block counts (weights with zeros included): the
    loss, gradient, HVP and predictions split any way equal the unsplit ones."""
    rng = np.random.default_rng(seed)
    net = bn.Network.mlp([2, *widths, 2], activation="tanh", seed=seed)
    net.scales = rng.uniform(0.5, 1.5, net.scales.size)
    X, Y = rng.standard_normal((n_rows, 2)), rng.standard_normal((n_rows, 2))
    w = rng.uniform(0, 2, n_rows) * (rng.random(n_rows) < 0.7) if weighted else None
    if w is not None and not w.any():
        w[0] = 1.0
    v = rng.standard_normal(net.n_params)

    def results():
        f, g = net.loss_grad(X, Y, w)
        return np.concatenate([[f], g, net.hvp(X, Y, v, w), net.predict(X).ravel()])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_row_blocks, "MIN_BLOCK_WORK", 1)
        patch.setattr(_row_blocks, "cores", lambda: cores)
        patch.setattr(_row_blocks, "MIN_TILE_ROWS", tile)
        patch.setattr(_row_blocks, "cache_bytes", lambda: 4)
        split = results()
    whole = results()
    np.testing.assert_allclose(split, whole, rtol=1e-11, atol=1e-13 * np.abs(whole).max())
