"""bcdnet.testing.check_activation / check_layer / check_loss: pass the built-ins, catch bugs."""

import textwrap

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.testing import check_activation, check_layer, check_loss

BUILT_IN = ["identity", "tanh", "sigmoid", "relu", "leaky_relu"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_activations_pass(name):
    reports = check_activation(name)
    assert all(r.passed for r in reports)
    names = " | ".join(r.name for r in reports)
    for expected in ("df against central differences", "d2f against central differences",
                     "out=", "float32", "sensitivities dE/dalpha",
                     "Hessian-vector product in alpha", "with the layers below frozen"):
        assert expected in names


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_dense_layers_pass(name):
    layer = bn.Dense(4, 3, activation=name)
    assert all(r.passed for r in check_layer(layer))
    assert layer.W is None                      # the layer itself was not bound or changed


def test_mse_passes():
    assert all(r.passed for r in check_loss(bn.MSE()))


class IgnoresOut(bn.activations.Tanh):
    """tanh with correct values and derivatives, but ``f`` ignores ``out=``."""

    def f(self, z, out=None):
        return np.tanh(z)


def test_an_activation_that_ignores_out_fails_check_activation():
    act = IgnoresOut()
    z = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(act.df(z), 1 - np.tanh(z) ** 2)     # its maths is right
    with pytest.raises(AssertionError) as info:
        check_activation(act)
    text = str(info.value)
    assert "f: returns the array passed as out=: FAILED" in text
    # the backward pass read the buffer f should have filled: the sensitivities are wrong too
    assert "sensitivities dE/dalpha: FAILED" in text
    assert "worst coordinates" in text


class WrongSign(bn.activations.Tanh):
    def d2f(self, z, h=None, out=None, d1=None):
        out = super().d2f(z, h, out=out, d1=d1)
        out *= -1.0
        return out

    def d2f_over_df(self, z, h, out=None):
        return None


def test_a_wrong_second_derivative_fails_with_the_worst_points():
    with pytest.raises(AssertionError) as info:
        check_activation(WrongSign(), z=[-1.0, 0.5, 2.0])
    text = str(info.value)
    assert "d2f against central differences of df: FAILED" in text
    assert "z=-1" in text                                   # worst coordinates are shown
    assert "Hessian-vector product in the parameters: FAILED" in text
    assert "df against central differences of f: ok" not in text   # only failures listed


class DoubleBackward(bn.Dense):
    def backward(self, dA, cache, grad=None, grad_scales=None, need_input_grad=True,
                 ones=None):
        return super().backward(2.0 * dA, cache, grad, grad_scales, need_input_grad, ones)


def test_a_layer_with_a_wrong_backward_pass_fails_check_layer():
    with pytest.raises(AssertionError, match="network gradient in the parameters: FAILED"):
        check_layer(DoubleBackward(4, 3))
    with pytest.raises(TypeError, match="layer must be a Layer"):
        check_layer("dense")


class HalfCurvature(bn.MSE):
    def hvp(self, P, Y, R, sample_weight=None, out=None):
        out = super().hvp(P, Y, R, sample_weight, out=out)
        out *= 0.5
        return out


class GradIgnoresOut(bn.MSE):
    def grad(self, P, Y, sample_weight=None, out=None):
        return super().grad(P, Y, sample_weight)


def test_a_loss_with_a_wrong_hvp_or_out_fails_check_loss():
    with pytest.raises(AssertionError, match="hvp against differences of grad: FAILED"):
        check_loss(HalfCurvature())
    with pytest.raises(AssertionError, match="grad: returns the array passed as out=: FAILED"):
        check_loss(GradIgnoresOut())


def test_the_testing_module_docstring_example_runs():
    code = bn.testing.__doc__.split(".. code-block:: python")[1].split("**Gradient.**")[0]
    exec(textwrap.dedent(code), {})
