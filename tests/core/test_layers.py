"""Dense layers: flat-vector views, initialisers, reproducible draws."""

import numpy as np
import pytest

import bcdnet as bn


def test_layer_arrays_are_views_into_the_flat_vectors():
    net = bn.Network.mlp([3, 4, 2], seed=0)
    layer = net.layers[1]
    layer.W[0, 0] = 42.0
    layer.b[1] = -7.0
    sl = net.param_slices[1]
    assert net.params[sl][0] == 42.0 and net.params[sl][layer.W.size + 1] == -7.0
    net.params = np.zeros(net.n_params)
    assert layer.W[0, 0] == 0.0
    net.scales[net.scale_slices[0]][2] = 0.5
    assert net.layers[0].scales[2] == 0.5


def test_orthogonal_init_has_orthonormal_columns_or_rows():
    net = bn.Network.mlp([4, 5, 5, 3], init="orthogonal", seed=1)
    for layer in net.layers:
        W = layer.W
        gram = W.T @ W if W.shape[0] >= W.shape[1] else W @ W.T
        np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=1e-12)


def test_default_init_follows_the_activation():
    assert bn.Network.mlp([3, 4, 1], activation="tanh").layers[0].init == "glorot"
    assert bn.Network.mlp([3, 4, 1], activation="relu").layers[0].init == "he"
    assert bn.Network.mlp([3, 4, 1], activation="leaky_relu").layers[0].init == "he"


@pytest.mark.parametrize("init, limit", [("glorot", np.sqrt(6 / (200 + 300))),
                                         ("he", np.sqrt(6 / 200))])
def test_uniform_initialisers_respect_their_limits(init, limit):
    W = bn.Network.mlp([200, 300], init=init, seed=3).layers[0].W
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.98 * limit
    assert W.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)


def test_same_seed_same_weights_different_seed_different_weights():
    a = bn.Network.mlp([4, 10, 1], seed=7).params
    b = bn.Network.mlp([4, 10, 1], seed=7).params
    c = bn.Network.mlp([4, 10, 1], seed=8).params
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_predict_returns_a_fresh_array():
    rng = np.random.default_rng(0)
    net = bn.Network.mlp([2, 3, 1], seed=0)
    X = rng.normal(size=(5, 2))
    first = net.predict(X)
    net.predict(X * 2)
    np.testing.assert_array_equal(first, net.predict(X))


def test_copy_is_independent():
    net = bn.Network.mlp([2, 3, 1], seed=0)
    clone = net.copy()
    clone.params[0] += 1.0
    assert clone.params[0] != net.params[0]
    assert "n_params=13" in repr(net)
