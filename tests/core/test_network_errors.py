"""Bad input raises ValueError or TypeError at the public boundary, naming the argument."""

import numpy as np
import pytest

import bcdnet as bn


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    net = bn.Network.mlp([3, 4, 2], seed=0)
    return net, rng.normal(size=(10, 3)), rng.normal(size=(10, 2))


def test_wrong_number_of_input_columns(setup):
    net, X, Y = setup
    with pytest.raises(ValueError, match=r"X must have 3 columns, got 4"):
        net.loss_grad(np.ones((10, 4)), Y)


def test_row_count_mismatch(setup):
    net, X, Y = setup
    with pytest.raises(ValueError, match=r"Y must have as many rows as X \(10\), got 9"):
        net.loss_grad(X, Y[:9])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X(setup, bad):
    net, X, Y = setup
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=r"X must be finite.*index \(3, 1\)"):
        net.loss_grad(X, Y)


def test_non_finite_Y(setup):
    net, X, Y = setup
    Y = Y.copy()
    Y[0, 0] = np.nan
    with pytest.raises(ValueError, match="Y must be finite"):
        net.hvp(X, Y, np.zeros(net.n_params))


def test_empty_arrays(setup):
    net, _, _ = setup
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        net.loss_grad(np.empty((0, 3)), np.empty((0, 2)))


def test_uncastable_array(setup):
    net, _, Y = setup
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        net.predict([["a", "b", "c"]] * 10)
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        net.predict("not an array")


def test_three_dimensional_array(setup):
    net, _, Y = setup
    with pytest.raises(ValueError, match="X must be a 2-D array.*3-D"):
        net.predict(np.ones((10, 3, 1)))


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*'leaky_relu'.*'tanh'"):
        bn.Network.mlp([3, 4, 1], activation="swish")


def test_zero_width_layer():
    with pytest.raises(ValueError, match=r"sizes\[1\] must be at least 1, got 0"):
        bn.Network.mlp([3, 0, 1])


def test_direction_of_wrong_length(setup):
    net, X, Y = setup
    with pytest.raises(ValueError, match=f"v must be a 1-D array of length {net.n_params}"):
        net.hvp(X, Y, np.ones(net.n_params + 1))
    with pytest.raises(ValueError, match=f"u must be a 1-D array of length {net.scales.size}"):
        net.scales_hvp(X, Y, np.ones(3))


def test_bad_sample_weight(setup):
    net, X, Y = setup
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        net.loss_grad(X, Y, -np.ones(10))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(10,\)"):
        net.loss_grad(X, Y, np.ones(3))


def test_unknown_init_and_bad_block(setup):
    net, X, Y = setup
    with pytest.raises(ValueError, match="unknown init 'zeros'.*'glorot'"):
        bn.Network.mlp([3, 2], init="zeros")
    with pytest.raises(ValueError, match="block must be below the number of blocks"):
        net.block_objective(5, X, Y)


def test_mismatched_layers():
    with pytest.raises(ValueError, match=r"layers\[1\].n_in must equal layers\[0\].n_out \(4\)"):
        bn.Network([bn.Dense(3, 4), bn.Dense(5, 1)])
    with pytest.raises(TypeError, match=r"layers\[0\] must be a Layer"):
        bn.Network(["dense"])


def test_one_dimensional_target_means_one_output():
    rng = np.random.default_rng(0)
    net = bn.Network.mlp([2, 3, 1], seed=0)
    X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
    assert net.loss_grad(X, y)[0] == net.loss_grad(X, y[:, None])[0]
