"""Gradient descent with a trust-region bound."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bcdnet.optim import GD, Status

finite = st.floats(-10, 10, allow_nan=False)


def quadratic(weights, center):
    def fun(x):
        e = x - center
        return float(0.5 * e @ (weights * e)), weights * e
    return fun


@settings(max_examples=60)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1),
       lr=st.floats(1e-3, 10.0), radius=st.floats(1e-4, 2.0))
def test_never_steps_further_than_the_trust_radius(n, seed, lr, radius):
    rng = np.random.default_rng(seed)
    fun = quadratic(rng.uniform(0.1, 100.0, n), rng.normal(0, 5, n))
    points = [rng.normal(0, 5, n)]
    GD(lr=lr, trust_radius=radius, max_iter=30).minimize(
        fun, points[0], callback=lambda r: points.append(r.x) and False)
    points = np.array(points)
    lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
    rounding = 4 * np.finfo(float).eps * np.sqrt(n) * np.abs(points).max()   # of x_{k+1} - x_k
    assert (lengths <= radius * (1 + 1e-12) + rounding).all(), (lengths.max(), radius)


@settings(max_examples=40)
@given(x=arrays(np.float64, st.integers(1, 8), elements=finite),
       lr=st.floats(1e-4, 1.0), radius=st.floats(1e-3, 1.0))
def test_one_step_is_the_clipped_gradient_step(x, lr, radius):
    g0 = 3.0 * x + 1.0
    res = GD(lr=lr, trust_radius=radius, max_iter=1).minimize(
        lambda z: (float(z @ z), 3.0 * z + 1.0), x)
    step = lr * g0
    length = np.linalg.norm(step)
    expected = x - (step if length <= radius else step * (radius / length))
    np.testing.assert_allclose(res.x, expected, rtol=1e-13, atol=1e-15)


def test_without_radius_it_is_plain_gradient_descent():
    x = np.array([1.0, -2.0])
    res = GD(lr=0.1, max_iter=3).minimize(lambda z: (float(z @ z), 2.0 * z), x)
    expected = x
    for _ in range(3):
        expected = expected - 0.1 * (2.0 * expected)
    np.testing.assert_array_equal(res.x, expected)
    assert (res.nit, res.nfev, res.status) == (3, 4, Status.MAX_ITER)


def test_paper_a_settings_lower_a_quadratic():
    fun = quadratic(np.array([1.0, 4.0]), np.array([0.01, -0.02]))
    res = GD(lr=1e-1, trust_radius=1e-3, max_iter=1000).minimize(fun, np.zeros(2))
    assert res.fun < 1e-8


def test_gtol_stops():
    res = GD(lr=0.25, max_iter=10_000, gtol=1e-8).minimize(lambda z: (float(z @ z), 2 * z),
                                                           np.ones(3))
    assert res.status == Status.GTOL and res.success
    assert np.max(np.abs(res.jac)) <= 1e-8


def test_batches_one_step_each_and_exhaustion():
    seen = []

    def fun(x, batch):
        seen.append(batch)
        return float(x @ x), 2 * x

    res = GD(lr=0.1, max_iter=100).minimize(fun, np.ones(2), batches=iter(range(5)))
    assert seen == [0, 1, 2, 3, 4]
    assert res.status == Status.BATCHES_EXHAUSTED and not res.success
    assert "batches exhausted" in res.message
    assert res.nit == 5 and res.nfev == 5
    np.testing.assert_allclose(res.x, 0.8 ** 5)                # five steps were taken
    assert res.fun == pytest.approx(2 * 0.8 ** 8)             # the last batch, before its step


def test_batches_stop_at_max_iter_lazily():
    consumed = []

    def batches():
        for i in range(10**9):
            consumed.append(i)
            yield i

    res = GD(lr=0.1, max_iter=3).minimize(lambda x, b: (float(x @ x), 2 * x), np.ones(2),
                                          batches=batches())
    assert res.status == Status.MAX_ITER and len(consumed) == 4


def test_empty_batches_are_refused():
    with pytest.raises(ValueError, match="batches"):
        GD().minimize(lambda x, b: (0.0, x), np.ones(2), batches=[])


def test_nonfinite_value_returns_last_finite_point():
    def fun(x):       # blows up once x[0] passes 3
        return (float(x @ x) if x[0] < 3 else np.nan), -np.ones_like(x)

    res = GD(lr=1.0, max_iter=100).minimize(fun, np.zeros(2))
    assert res.status == Status.NONFINITE and not res.success
    assert "non-finite" in res.message
    np.testing.assert_array_equal(res.x, [2.0, 2.0])
    assert np.isfinite(res.fun)
