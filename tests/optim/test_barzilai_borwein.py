"""Barzilai–Borwein: the three steps, the non-monotone search, and the race against GD."""

import numpy as np
import pytest

from bcdnet.optim import GD, BarzilaiBorwein, Status
from optim_problems import (beale, extended_rosenbrock, gd_gradient_after, gd_iterations_to_tol,
                            quadratic, run_saved_and_restored)


def test_closed_form_gd_count_is_what_our_gd_does():
    problem = quadratic(n=8, condition=100.0, seed=5)
    for c in (0.5, 1.0, 1.9):
        h = c / problem.lipschitz
        k = gd_iterations_to_tol(problem, h, 1e-6)
        res = GD(lr=h, max_iter=10**6, gtol=1e-6).minimize(problem.fun, problem.x0)
        assert res.status == Status.GTOL and res.nit == k
    problem = quadratic()
    h = 1.9 / problem.lipschitz
    res = GD(lr=h, max_iter=3000).minimize(problem.fun, problem.x0)
    np.testing.assert_allclose(res.jac, gd_gradient_after(problem, h, 3000), rtol=1e-6,
                               atol=1e-9 * np.max(np.abs(res.jac)))


STEP_GRID = (0.25, 0.5, 1.0, 1.5, 1.9, 1.99, 1.999)     # times 1/L; 2/L diverges


def test_needs_ten_times_fewer_iterations_than_gd_with_its_best_fixed_step():
    problem = quadratic()                     # 50-d, condition number 1e6
    L, mu = problem.lipschitz, problem.mu
    bb = BarzilaiBorwein(max_iter=10**6, gtol=1e-6).minimize(problem.fun, problem.x0)
    assert bb.status == Status.GTOL
    steps = [c / L for c in STEP_GRID] + [2.0 / (L + mu)]
    counts = [gd_iterations_to_tol(problem, h, 1e-6) for h in steps]
    # exact GD counts (the closed form is checked against our GD above; running GD for
    # millions of steps here would take minutes; the benchmark runs 10x BB's count for real)
    assert min(counts) >= 10 * bb.nit, (min(counts), bb.nit)


def test_converges_on_rosenbrock_thanks_to_the_nonmonotone_search():
    problem = extended_rosenbrock(2)
    runs = {}
    for window in (10, 1):
        values = []
        res = BarzilaiBorwein(window=window, max_iter=5000, gtol=1e-6).minimize(
            problem.fun, problem.x0, callback=lambda r: values.append(r.fun) and False)
        runs[window] = (res, np.array(values))
    res, values = runs[10]
    assert res.status == Status.GTOL
    np.testing.assert_allclose(res.x, 1.0, atol=1e-5)
    assert (np.diff(values) > 0).any()                       # f did rise on the way
    monotone, monotone_values = runs[1]
    assert (np.diff(monotone_values) <= 0).all()             # window 1 is plain Armijo
    assert res.nfev < monotone.nfev


@pytest.mark.parametrize("window", [1, 3, 10])
def test_each_value_is_below_the_max_of_the_window(window):
    problem = beale()
    values = [problem.fun(problem.x0)[0]]
    BarzilaiBorwein(window=window, max_iter=200, gtol=1e-10).minimize(
        problem.fun, problem.x0, callback=lambda r: values.append(r.fun) and False)
    for k in range(1, len(values)):
        assert values[k] < max(values[max(0, k - window):k])


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_step_after_one_iteration_follows_the_formula(variant):
    problem = quadratic(n=6, condition=100.0, seed=3)
    opt = BarzilaiBorwein(variant=variant, lambda_min=1e-12, lambda_max=1e12)
    x0 = problem.x0
    res = opt.minimize(problem.fun, x0, max_iter=1)
    g0, g1 = problem.fun(x0)[1], problem.fun(res.x)[1]
    s, y = res.x - x0, g1 - g0
    expected = {1: (s @ s) / (s @ y), 2: (s @ y) / (y @ y), 3: np.sqrt((s @ s) / (y @ y))}
    assert opt.step_size == pytest.approx(expected[variant], rel=1e-12)
    # the first step was -g0 / ||g0||_inf (t = 1 accepted on this quadratic, or shortened)
    direction = -g0 / np.max(np.abs(g0))
    t = s @ direction / (direction @ direction)
    np.testing.assert_allclose(s, t * direction, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("variant", [1, 2])
def test_negative_curvature_gives_lambda_max(variant):
    opt = BarzilaiBorwein(variant=variant, lambda_max=50.0)
    opt.minimize(lambda x: (float(-x @ x), -2.0 * x), np.ones(3), max_iter=1)
    assert opt.step_size == 50.0


def test_steps_are_clipped_to_the_safeguards():
    opt = BarzilaiBorwein(variant=1, lambda_min=0.3, lambda_max=0.4)
    opt.minimize(lambda x: (float(x @ x), 2.0 * x), np.array([1.0, 2.0]), max_iter=1)
    assert opt.step_size == 0.4           # 1/2 on the sphere, clipped


def test_state_save_and_restore_continues_identically():
    problem = extended_rosenbrock(4)
    opt = BarzilaiBorwein(gtol=0.0)
    opt.minimize(problem.fun, problem.x0, max_iter=15)
    state = opt.state_dict()
    assert len(state["recent_f"]) == 10 and state["step_size"] > 0
    after, again, _ = run_saved_and_restored(opt, problem.fun, problem.x0,
                                             {"max_iter": 15}, {"max_iter": 20})
    np.testing.assert_array_equal(after.x, again.x)
    assert (after.fun, after.nfev) == (again.fun, again.nfev)


def test_returns_the_best_point_when_stopped_early():
    problem = extended_rosenbrock(2)
    values = []
    res = BarzilaiBorwein(max_iter=40).minimize(
        problem.fun, problem.x0, callback=lambda r: values.append(r.fun) and False)
    assert res.status == Status.MAX_ITER
    assert res.fun == min(values + [problem.fun(problem.x0)[0]])
    assert res.fun == problem.fun(res.x)[0]


def test_nonfinite_trials_are_shrunk_away():
    def fun(x):     # NaN outside the unit box
        if np.any(np.abs(x) > 1.0):
            return np.nan, np.full_like(x, np.nan)
        return float(x @ x), 2.0 * x

    opt = BarzilaiBorwein(lambda_max=1e3, gtol=1e-8)
    opt.load_state_dict({"optimizer": "BarzilaiBorwein", "size": 2, "step_size": 1e3,
                         "recent_f": []})          # the first trial lands far outside
    res = opt.minimize(fun, np.array([0.5, -0.25]))
    assert res.status == Status.GTOL and np.isfinite(res.fun)


@pytest.mark.parametrize("kwargs, name", [({"variant": 4}, "variant"), ({"variant": 0}, "variant"),
                                          ({"gamma": 1.0}, "gamma"),
                                          ({"lambda_min": 2.0, "lambda_max": 1.0}, "lambda_min")])
def test_bad_hyperparameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BarzilaiBorwein(**kwargs)
