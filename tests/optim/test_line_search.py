"""Strong-Wolfe line search and its cubic interpolation."""

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bcdnet.optim.line_search import cubic_minimizer, strong_wolfe


@settings(max_examples=100)
@given(a=st.floats(0.1, 10), r1=st.floats(-5, 5), gap=st.floats(0.1, 5), c=st.floats(-5, 5),
       left=st.floats(0.05, 3), right=st.floats(0.05, 3))
def test_cubic_minimizer_finds_the_local_minimum_of_a_cubic(a, r1, gap, c, left, right):
    r2 = r1 + gap                       # p'(t) = 3a (t - r1)(t - r2): local minimum at r2
    def p(t):
        return a * t**3 - 1.5 * a * (r1 + r2) * t**2 + 3 * a * r1 * r2 * t + c

    def dp(t):
        return 3 * a * (t - r1) * (t - r2)

    t1, t2 = r2 - min(left, gap * 0.9), r2 + right    # the bracket holds r2 but not r1
    got = cubic_minimizer(t1, p(t1), dp(t1), t2, p(t2), dp(t2))
    assert math.isclose(got, r2, rel_tol=1e-7, abs_tol=1e-7)
    got = cubic_minimizer(t2, p(t2), dp(t2), t1, p(t1), dp(t1))   # order does not matter
    assert math.isclose(got, r2, rel_tol=1e-7, abs_tol=1e-7)


def test_cubic_minimizer_bisects_on_nonfinite_or_degenerate_input():
    assert cubic_minimizer(0.0, 1.0, -1.0, 2.0, math.inf, math.inf) == 1.0
    assert cubic_minimizer(0.0, 1.0, -1.0, 2.0, math.nan, 1.0) == 1.0
    assert cubic_minimizer(1.0, 1.0, -1.0, 1.0, 1.0, -1.0) == 1.0
    # the cubic through these data has no critical point (e1 = 0, so e1^2 < d1 d2)
    assert cubic_minimizer(0.0, 0.0, 2.0, 1.0, 4.0 / 3.0, 2.0, lower=2.0, upper=4.0) == 3.0


def test_cubic_minimizer_respects_bounds():
    # minimum of (t - 5)^2 is 5; clipped to [1.1, 2]
    got = cubic_minimizer(0.0, 25.0, -10.0, 1.0, 16.0, -8.0, lower=1.1, upper=2.0)
    assert got == 2.0


def make_phi(fun, x, d, counter):
    def phi(t):
        counter.append(t)
        f, g = fun(x + t * d)
        if not (math.isfinite(f) and np.isfinite(g).all()):
            return math.inf, None, math.inf
        return f, g, float(g @ d)
    return phi


def quartic(scale):
    def fun(x):
        return float(np.sum(scale * x**2 + x**4)), 2 * scale * x + 4 * x**3
    return fun


@settings(max_examples=100)
@given(seed=st.integers(0, 2**32 - 1), t0=st.floats(1e-4, 1e3),
       c2=st.sampled_from([0.1, 0.5, 0.9]))
def test_returned_step_satisfies_strong_wolfe(seed, t0, c2):
    rng = np.random.default_rng(seed)
    n = 4
    fun = quartic(rng.uniform(0.01, 10, n))
    x = rng.normal(0, 2, n)
    f0, g0 = fun(x)
    d = -g0 * rng.uniform(0.1, 1, n)
    gtd0 = float(g0 @ d)
    assume(gtd0 < -1e-8)
    calls = []
    t, f, g, n_evals, wolfe = strong_wolfe(make_phi(fun, x, d, calls), f0, g0, gtd0, t0,
                                           float(np.max(np.abs(d))), c1=1e-4, c2=c2,
                                           max_ls=50)
    assert n_evals == len(calls) <= 50
    assert wolfe
    assert f <= f0 + 1e-4 * t * gtd0
    assert abs(float(g @ d)) <= -c2 * gtd0
    np.testing.assert_array_equal(fun(x + t * d)[1], g)


def test_backtracks_out_of_a_nan_region():
    def fun(x):     # NaN beyond x = 0.3
        if x[0] > 0.3:
            return math.nan, np.full(1, math.nan)
        return float((x[0] - 1.0) ** 2), np.array([2 * (x[0] - 1.0)])

    x, d = np.zeros(1), np.ones(1)
    f0, g0 = fun(x)
    calls = []
    t, f, g, n_evals, wolfe = strong_wolfe(make_phi(fun, x, d, calls), f0, g0, -2.0, 10.0,
                                           1.0, max_ls=25)
    assert 0 < t <= 0.3 and math.isfinite(f) and f < f0
    assert f <= f0 + 1e-4 * t * -2.0
    assert calls[0] == 10.0 and n_evals <= 25


def test_nothing_better_returns_zero_step():
    def fun(x):     # every step along d goes up: d is not really a descent direction
        return float(abs(x[0]) + 1.0), np.array([-1.0 if x[0] <= 0 else 1.0])

    x, d = np.zeros(1), np.ones(1)
    calls = []
    t, f, g, n_evals, wolfe = strong_wolfe(make_phi(fun, x, d, calls), 1.0, np.array([-1.0]),
                                           -1.0, 1.0, 1.0, max_ls=10)
    assert t == 0.0 and f == 1.0 and not wolfe and n_evals <= 10


def test_extrapolates_when_the_first_step_is_short():
    fun = quartic(np.array([1.0]))
    x = np.array([3.0])
    f0, g0 = fun(x)
    d = -g0
    calls = []
    t, f, g, n_evals, wolfe = strong_wolfe(make_phi(fun, x, d, calls), f0, g0, float(g0 @ d),
                                           1e-6, 1.0)
    assert wolfe and t > 10 * 1e-6 and calls == sorted(calls[:2]) + calls[2:]
