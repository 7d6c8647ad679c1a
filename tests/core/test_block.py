"""Block-restricted evaluation: exact slices of the full derivatives, and a frozen prefix."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bcdnet as bn
from network_strategies import problems


@settings(max_examples=30)
@given(data=st.data())
def test_block_gradient_and_hvp_are_slices_of_the_full_ones(data):
    net, X, Y, w = data.draw(problems("tanh"))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    f, g = net.loss_grad(X, Y, w)
    for k, block in enumerate(net.blocks):
        obj = net.block_objective(k, X, Y, w)
        fk, gk = obj(obj.x0())
        assert abs(fk - f) <= 1e-12 * max(abs(f), 1e-300)
        np.testing.assert_allclose(gk, g[block.slice], rtol=1e-12, atol=1e-15 * np.abs(g).max())
        v = np.zeros(net.n_params)
        v[block.slice] = rng.standard_normal(block.size)
        Hv = net.hvp(X, Y, v, w)
        Hv_k = obj.hvp(obj.x0(), v[block.slice])
        np.testing.assert_allclose(Hv_k, Hv[block.slice], rtol=1e-12,
                                   atol=1e-12 * np.abs(Hv).max())
        Gv_k = obj.gnvp(obj.x0(), v[block.slice])
        np.testing.assert_allclose(Gv_k, net.gnvp(X, Y, v, w)[block.slice], rtol=1e-12,
                                   atol=1e-12 * np.abs(Hv).max())
        assert obj.value(obj.x0()) == pytest.approx(f, rel=1e-12)


def test_layers_below_the_block_run_once(forward_calls):
    rng = np.random.default_rng(0)
    net = bn.Network.mlp([4] + [5] * 10 + [2], seed=0)
    X, Y = rng.normal(size=(200, 4)), rng.normal(size=(200, 2))
    calls = forward_calls(net)

    k = 8
    obj = net.block_objective(k, X, Y)
    x = obj.x0()
    obj(x)                                  # first evaluation computes the prefix
    first = calls.copy()
    assert first[:k] == [1] * k
    for step in range(5):                   # an optimiser moving the block's parameters
        x = x - 1e-3 * obj(x)[1]
        obj.value(x)
        obj.hvp(x, np.ones(obj.size))
        obj(x, batch=np.arange(0, 200, 3))
    assert calls[:k] == first[:k], "layers below the block ran again"
    assert all(c > 1 for c in calls[k:])
    assert obj.n_prefix_evaluations == 1


def test_prefix_is_recomputed_when_a_lower_layer_changes():
    rng = np.random.default_rng(1)
    net = bn.Network.mlp([3, 4, 4, 1], seed=1)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 1))
    obj = net.block_objective(2, X, Y)
    f_before = obj.value(obj.x0())
    net.layers[0].W[0, 0] += 0.5            # change the frozen prefix by hand
    f_after = obj.value(obj.x0())
    assert obj.n_prefix_evaluations == 2
    assert f_after == pytest.approx(net.loss_value(X, Y), rel=1e-14)
    assert f_after != f_before


def test_mini_batch_rows_equal_a_network_on_those_rows():
    rng = np.random.default_rng(2)
    net = bn.Network.mlp([3, 6, 6, 2], seed=2)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    w = rng.uniform(0.5, 2.0, 40)
    rows = rng.choice(40, size=13, replace=False)
    obj = net.block_objective(1, X, Y, w)
    f, g = obj(obj.x0(), batch=rows)
    f_ref, g_ref = net.loss_grad(X[rows], Y[rows], w[rows])
    assert f == pytest.approx(f_ref, rel=1e-13)
    np.testing.assert_allclose(g, g_ref[net.blocks[1].slice], rtol=1e-12)


def test_whole_network_block_equals_loss_grad():
    rng = np.random.default_rng(4)
    net = bn.Network.mlp([2, 5, 5, 1], seed=4)
    X, Y = rng.normal(size=(25, 2)), rng.normal(size=(25, 1))
    block = net.block_covering(0, len(net.layers) - 1)
    obj = net.block_objective(block, X, Y)
    f, g = obj(net.params.copy())
    f_ref, g_ref = net.loss_grad(X, Y)
    assert f == f_ref
    np.testing.assert_array_equal(g, g_ref)
