"""The test functions' gradients, checked coordinate by coordinate by central differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bcdnet.testing import fd_gradient
from optim_problems import beale, extended_rosenbrock, lbfgs_problems, powell_singular, sphere

PROBLEMS = lbfgs_problems() + [sphere(10)]


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.name)
@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1))
def test_gradient_matches_central_differences(problem, seed):
    x = problem.x0 + np.random.default_rng(seed).uniform(-0.5, 0.5, problem.x0.size)
    f, g = problem.fun(x)
    expected = fd_gradient(lambda y: problem.fun(y)[0], x, h=1e-6)
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-5 * max(1.0, abs(f)))


@pytest.mark.parametrize("problem, x_star", [
    (extended_rosenbrock(4), np.ones(4)), (powell_singular(), np.zeros(4)),
    (beale(), np.array([3.0, 0.5])), (sphere(3), np.zeros(3))], ids=lambda p: getattr(p, "name", ""))
def test_known_minimum(problem, x_star):
    f, g = problem.fun(x_star)
    assert f == 0.0
    np.testing.assert_array_equal(g, 0.0)
