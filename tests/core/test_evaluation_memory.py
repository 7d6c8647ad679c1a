"""Gradients and curvature products run in row tiles (bcdnet/_row_blocks.py): their working
memory is a few tiles' buffers, not the layers' arrays on every row.  Before tiles the
gradient of 15-(64x4)-1 on 200,000 rows allocated 86x its input (2 GB), the HVP 129x."""

import os
import tracemalloc

import numpy as np
import pytest

import bcdnet as bn

pytestmark = pytest.mark.skipif(os.environ.get("BCDNET_BACKEND", "numpy") not in ("", "numpy"),
                                reason="row tiles split host arrays only")


def peak_over_input(call, X):
    """Peak allocation of ``call()`` over ``X``'s size, every row block in this process
    (one thread: a helper process's memory would not be traced here)."""
    previous = bn.set_threads(1)
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        bn.set_threads(previous)
    return peak / X.nbytes


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    net = bn.Network.mlp([15, 64, 64, 64, 64, 1], seed=0)
    X, Y = rng.standard_normal((200_000, 15)), rng.standard_normal((200_000, 1))
    return net, X, Y, rng.standard_normal(net.n_params)


def test_the_gradient_peaks_below_three_times_the_input(problem):
    net, X, Y, _ = problem
    ratio = peak_over_input(lambda: net.copy().loss_grad(X, Y), X)
    assert ratio <= 3.0, f"loss_grad allocated {ratio:.2f} x the input's size"


def test_the_hessian_vector_product_peaks_below_three_times_the_input(problem):
    net, X, Y, v = problem
    ratio = peak_over_input(lambda: net.copy().hvp(X, Y, v), X)
    assert ratio <= 3.0, f"hvp allocated {ratio:.2f} x the input's size"


def test_a_block_objective_holds_its_prefix_output_and_little_else(problem):
    """The frozen prefix (three 64-wide layers here) runs in row chunks: what stays is its
    output, not every prefix layer's arrays on every row (before: 6 x 102 MB)."""
    net, X, Y, _ = problem
    net = net.copy()
    prefix_bytes = X.shape[0] * 64 * X.itemsize
    obj = net.block_objective(3, X, Y)
    ratio = peak_over_input(lambda: obj(obj.x0()), X)
    assert ratio * X.nbytes <= prefix_bytes + 3 * X.nbytes, (
        f"the block objective allocated {ratio:.2f} x the input's size")


def test_the_chunked_prefix_equals_one_pass(monkeypatch):
    from bcdnet import _row_blocks

    rng = np.random.default_rng(2)
    net = bn.Network.mlp([3, 8, 8, 8, 2], seed=1)
    X, Y = rng.standard_normal((5000, 3)), rng.standard_normal((5000, 2))
    one_pass = net.block_objective(2, X, Y)
    whole, value = one_pass.prefix_output().copy(), one_pass(one_pass.x0())[0]
    monkeypatch.setattr(_row_blocks, "PREDICT_CHUNK_BYTES", 1)          # 256-row chunks
    assert len(_row_blocks.row_chunks(5000, net.sizes[:3])) == 20
    obj = net.block_objective(2, X, Y)
    np.testing.assert_array_equal(obj.prefix_output(), whole)
    assert obj(obj.x0())[0] == value
