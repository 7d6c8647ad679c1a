"""MSE: value by definition, gradient and Hessian-vector product, sample weights."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bcdnet.losses import MSE
from bcdnet.testing import fd_gradient, fd_hvp


@settings(max_examples=40)
@given(n=st.integers(1, 30), m=st.integers(1, 4), seed=st.integers(0, 1000),
       weighted=st.booleans())
def test_mse_value_gradient_and_hvp(n, m, seed, weighted):
    rng = np.random.default_rng(seed)
    P, Y, R = rng.normal(size=(n, m)), rng.normal(size=(n, m)), rng.normal(size=(n, m))
    w = rng.uniform(0.1, 2, n) if weighted else None
    loss = MSE()
    ww = np.ones(n) if w is None else w
    expected = sum(ww[i] * np.sum((P[i] - Y[i]) ** 2) for i in range(n)) / (m * ww.sum())
    assert loss.value(P, Y, w) == pytest.approx(expected, rel=1e-13)
    h = 1e-6
    fd = fd_gradient(lambda Q: loss.value(Q, Y, w), P, h)
    g = loss.grad(P, Y, w)
    np.testing.assert_allclose(g, fd, rtol=0, atol=1e-7 * np.abs(g).max())
    fd_h = fd_hvp(lambda Q: loss.grad(Q, Y, w), P, R, h)
    Hr = loss.hvp(P, Y, R, w)
    np.testing.assert_allclose(Hr, fd_h, rtol=0, atol=1e-7 * np.abs(Hr).max())
    value, grad = loss.value_and_grad(P, Y, w)
    assert value == loss.value(P, Y, w)


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(0)
    P, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    w = np.array([1, 3, 0, 2, 1.0])
    rows = np.repeat(np.arange(5), w.astype(int))
    loss = MSE()
    assert loss.value(P, Y, w) == pytest.approx(loss.value(P[rows], Y[rows]), rel=1e-14)


@pytest.mark.parametrize("factor", [5e-324, 1e-300, 1e300, 5e307])
def test_weights_scaled_by_a_common_factor_give_the_same_loss(factor):
    """E is invariant to a common factor, even where the sum of the weights would overflow
    or c = 2 / (m * sum w) would be infinite."""
    rng = np.random.default_rng(1)
    P, Y, R = rng.normal(size=(5, 2)), rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    loss = MSE()
    for w in [np.ones(5), np.array([1, 3, 0, 2, 1.0])]:   # small multiples of 5e-324 are exact
        value, grad = loss.value_and_grad(P, Y, w * factor)
        expected, expected_grad = loss.value_and_grad(P, Y, w)
        assert value == pytest.approx(expected, rel=1e-14)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-14)
        np.testing.assert_allclose(loss.hvp(P, Y, R, w * factor), loss.hvp(P, Y, R, w),
                                   rtol=1e-14)


def test_a_batch_of_zero_weights_gives_zero_loss_and_gradient():
    """Only a mini-batch can weigh 0 in all (check_sample_weight refuses it at the boundary)."""
    rng = np.random.default_rng(2)
    P, Y, R = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    value, grad = MSE().value_and_grad(P, Y, np.zeros(3))
    assert value == 0.0 and not grad.any()
    assert not MSE().hvp(P, Y, R, np.zeros(3)).any()
