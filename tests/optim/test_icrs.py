"""ICRS: derivative-free random search; monotone trace, reproducibility, bounds, state."""

import numpy as np
import pytest

from bcdnet.optim import ICRS, Status
from optim_problems import extended_rosenbrock, run_saved_and_restored, sphere


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reduces_the_10d_sphere_a_millionfold_within_20000_evaluations(seed):
    problem = sphere(10)
    res = ICRS(seed=seed, max_eval=20_000).minimize(problem.value, problem.x0)
    f0 = problem.value(problem.x0)
    assert res.nfev <= 20_000
    assert res.fun <= f0 / 1e6
    assert res.fun == problem.value(res.x)
    trace = res.trace
    assert trace.shape == (res.nfev,) and trace[0] == f0 and trace[-1] == res.fun
    assert (np.diff(trace) <= 0).all()


def test_reaches_1e_minus_3_on_rosenbrock_2():
    problem = extended_rosenbrock(2)
    res = ICRS(seed=0, max_eval=20_000).minimize(problem.value, problem.x0)
    assert res.fun <= 1e-3 and res.fun == problem.value(res.x)


def test_seeded_runs_repeat_exactly_and_seeds_differ():
    problem = extended_rosenbrock(2)
    a = ICRS(seed=7, max_eval=500).minimize(problem.value, problem.x0)
    b = ICRS(seed=7, max_eval=500).minimize(problem.value, problem.x0)
    c = ICRS(seed=8, max_eval=500).minimize(problem.value, problem.x0)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.trace, b.trace)
    assert not np.array_equal(a.trace, c.trace)


def test_reset_and_clone_rewind_the_random_stream():
    problem = sphere(4)
    opt = ICRS(seed=3, max_eval=300)
    first = opt.minimize(problem.value, problem.x0)
    twin = opt.clone()
    opt.reset()
    again = opt.minimize(problem.value, problem.x0)
    cloned = twin.minimize(problem.value, problem.x0)
    np.testing.assert_array_equal(first.trace, again.trace)
    np.testing.assert_array_equal(first.trace, cloned.trace)


def test_a_generator_seed_is_not_advanced():
    generator = np.random.default_rng(11)
    before = generator.bit_generator.state
    ICRS(seed=generator, max_eval=50).minimize(sphere(3).value, np.ones(3))
    assert generator.bit_generator.state == before


def test_value_only_and_tuple_returning_functions_agree():
    problem = sphere(5)
    calls = []

    def value_only(x):
        calls.append(1)
        return float(x @ x)

    a = ICRS(seed=1, max_eval=400).minimize(value_only, problem.x0)
    b = ICRS(seed=1, max_eval=400).minimize(problem.fun, problem.x0)   # (f, grad) pairs
    np.testing.assert_array_equal(a.x, b.x)
    assert len(calls) == a.nfev == 400 and a.jac is None


def test_state_save_and_restore_continues_identically():
    problem = extended_rosenbrock(4)
    opt = ICRS(seed=2)
    after, again, twin = run_saved_and_restored(opt, problem.value, problem.x0,
                                                {"max_eval": 300}, {"max_eval": 400})
    np.testing.assert_array_equal(after.x, again.x)
    np.testing.assert_array_equal(after.trace, again.trace)
    np.testing.assert_array_equal(opt.sigma, twin.sigma)


def test_trials_stay_in_bounds():
    seen = []

    def fun(x):
        seen.append(x.copy())
        return float(np.sum((x - 3.0) ** 2))

    res = ICRS(seed=0, bounds=(-1.0, np.array([1.0, 2.0])), max_eval=2000).minimize(
        fun, np.zeros(2))
    seen = np.array(seen)
    assert (seen >= -1.0).all() and (seen[:, 0] <= 1.0).all() and (seen[:, 1] <= 2.0).all()
    np.testing.assert_allclose(res.x, [1.0, 2.0], atol=1e-3)       # the corner nearest (3, 3)


def test_spread_expands_after_successes_and_contracts_after_failures():
    opt = ICRS(sigma0=1.0, n_fail_max=5, contract=0.5, n_succ_expand=2, expand=2.0, seed=0)
    # every trial succeeds on a value that only goes down, so sigma doubles each 2 trials
    counter = iter(range(10**6))
    opt.minimize(lambda x: -float(next(counter)), np.zeros(2), max_iter=6)
    np.testing.assert_array_equal(opt.sigma, 8.0)
    # every trial fails on a function that is lowest at the start: halves each 5 trials
    opt.reset()
    opt.minimize(lambda x: float(np.any(x != 0.0)), np.zeros(2), max_iter=15)
    np.testing.assert_array_equal(opt.sigma, 0.125)


def test_stops_on_minimum_spread():
    res = ICRS(seed=0, n_fail_max=3, rel_min=1e-2, max_eval=10**6).minimize(
        lambda x: float(np.any(x != 0.0)), np.zeros(3))
    assert res.status == Status.MIN_SPREAD and res.success and "rel_min" in res.message
    assert res.nfev == 1 + 3 * 7                 # 0.5**7 < 1e-2 <= 0.5**6


def test_nan_trials_are_failures():
    def fun(x):
        return float(x @ x) if x[0] > 0.5 else np.nan

    res = ICRS(seed=0, max_eval=3000).minimize(fun, np.ones(2))
    assert np.isfinite(res.trace).all() and res.x[0] > 0.5


def test_default_spread_and_sigma0_checks():
    opt = ICRS(seed=0)
    opt.minimize(sphere(3).value, np.array([5.0, 0.2, -3.0]), max_iter=1)
    np.testing.assert_allclose(opt.sigma_start, [0.5, 0.1, 0.3])
    with pytest.raises(ValueError, match="sigma0"):
        ICRS(sigma0=np.ones(2)).minimize(sphere(3).value, np.ones(3))
    with pytest.raises(ValueError, match="sigma0"):
        ICRS(sigma0=-1.0)
    with pytest.raises(ValueError, match="bounds"):
        ICRS(bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="x0 must lie within bounds"):
        ICRS(bounds=(0.0, 1.0)).minimize(sphere(2).value, np.array([2.0, 0.5]))
