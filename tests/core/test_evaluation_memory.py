"""Gradients and curvature products run in row tiles (bcdnet/_row_blocks.py): their working
memory is a few tiles' buffers, not the layers' arrays on every row.  Before tiles the
gradient of 15-(64x4)-1 on 200,000 rows allocated 86x its input (2 GB), the HVP 129x."""

import tracemalloc

import numpy as np
import pytest

import bcdnet as bn


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
