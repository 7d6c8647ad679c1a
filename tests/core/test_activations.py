"""Activations: derivatives against central differences, stability, the name registry."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import bcdnet as bn
from bcdnet.activations import ACTIVATIONS, get_activation
from bcdnet.testing import fd_hvp

NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
finite = st.floats(-8, 8).filter(lambda z: abs(z) > 1e-3)   # away from the ReLU kink


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=50)
@given(z=arrays(np.float64, st.integers(1, 20), elements=finite))
def test_derivatives_match_central_differences(name, z):
    act = get_activation(name)
    h, ones = 1e-6, np.ones_like(z)          # along ones: the elementwise derivative
    fd1 = fd_hvp(act.f, z, ones, h)
    fd2 = fd_hvp(act.df, z, ones, h)
    np.testing.assert_allclose(act.df(z), fd1, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(act.d2f(z), fd2, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(act.d2f(z, act.f(z), d1=act.df(z)), act.d2f(z), rtol=1e-14,
                               atol=1e-300)


@pytest.mark.parametrize("name", NAMES)
def test_out_argument_is_filled_and_returned(name):
    act = get_activation(name)
    z = np.linspace(-3, 3, 11)
    for method in (act.f, act.df, act.d2f):
        out = np.empty_like(z)
        assert method(z, out=out) is out
        np.testing.assert_array_equal(out, method(z))


def test_sigmoid_is_stable_for_large_inputs():
    z = np.array([-1e3, -800.0, -50.0, 0.0, 50.0, 800.0, 1e3])
    sig = get_activation("sigmoid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h, d1, d2 = sig.f(z), sig.df(z), sig.d2f(z)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(d1)) and np.all(np.isfinite(d2))
    assert h[0] == 0.0 and h[-1] == 1.0 and h[3] == 0.5
    expected = 1.0 / (1.0 + np.exp(-np.array([-50.0, 50.0])))   # safe range: direct formula
    np.testing.assert_allclose(h[[2, 4]], expected, rtol=1e-12, atol=1e-30)


def test_leaky_relu_slope_and_values():
    act = bn.activations.LeakyReLU(0.2)
    np.testing.assert_array_equal(act.f(np.array([-2.0, 0.0, 3.0])), [-0.4, 0.0, 3.0])
    np.testing.assert_array_equal(act.df(np.array([-2.0, 3.0])), [0.2, 1.0])
    with pytest.raises(ValueError, match="negative_slope must be non-negative"):
        bn.activations.LeakyReLU(-0.1)


def test_registry_names_and_errors():
    assert isinstance(get_activation("Leaky-ReLU"), bn.activations.LeakyReLU)
    assert set(NAMES) <= set(ACTIVATIONS)
    with pytest.raises(ValueError, match="valid names are .*'identity'.*'sigmoid'"):
        get_activation("softmax")
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(3)


def test_register_a_new_activation():
    @bn.activations.register
    class Cube(bn.Activation):
        name = "cube_for_test"

        def f(self, z, out=None):
            return np.power(z, 3, out=out)

        def df(self, z, h=None, out=None):
            return np.multiply(3 * z, z, out=out)

        def d2f(self, z, h=None, out=None, d1=None):
            return np.multiply(z, 6, out=out)

    try:
        net = bn.Network.mlp([2, 3, 1], activation="cube_for_test", seed=0)
        assert isinstance(net.layers[0].activation, Cube)
    finally:
        del ACTIVATIONS["cube_for_test"]
