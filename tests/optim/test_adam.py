"""Adam: the update written again here from Kingma & Ba's Algorithm 1, compared exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bcdnet.optim import Adam, Status
from optim_problems import run_saved_and_restored


def rosenbrock_like(x):
    f = float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return f, g


def reference_adam(fun, x, lr, beta1, beta2, eps, steps):
    """Algorithm 1 of Kingma & Ba (2015), line by line."""
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, steps + 1):
        g = fun(x)[1]
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
    return x, m, v


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), lr=st.floats(1e-4, 1e-1),
       beta1=st.floats(0.0, 0.99), beta2=st.floats(0.5, 0.9999), steps=st.integers(1, 30))
def test_matches_algorithm_1_exactly(seed, lr, beta1, beta2, steps):
    x0 = np.random.default_rng(seed).uniform(-2, 2, 5)
    opt = Adam(lr=lr, betas=(beta1, beta2), eps=1e-8, max_iter=steps)
    res = opt.minimize(rosenbrock_like, x0)
    x, m, v = reference_adam(rosenbrock_like, x0, lr, beta1, beta2, 1e-8, steps)
    np.testing.assert_array_equal(res.x, x)
    np.testing.assert_array_equal(opt.m, m)
    np.testing.assert_array_equal(opt.v, v)
    assert opt.t == steps


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), lr=st.floats(1e-5, 1.0))
def test_first_step_is_lr_times_sign_of_gradient(seed, lr):
    rng = np.random.default_rng(seed)
    g = rng.choice([-1.0, 1.0], 6) * 10.0 ** rng.uniform(-3, 3, 6)   # |g| from 1e-3 to 1e3
    x0 = rng.normal(size=6)
    res = Adam(lr=lr, max_iter=1).minimize(lambda x: (float(g @ x), g), x0)
    step = res.x - x0
    # exactly -lr g / (|g| + eps), which is lr sign(g) up to eps / |g| <= 1e-5
    np.testing.assert_allclose(step, -lr * np.sign(g), rtol=2e-5)
    np.testing.assert_allclose(step, -lr * g / (np.abs(g) + 1e-8), rtol=1e-12, atol=1e-15)


def test_state_save_and_restore_continues_identically():
    opt = Adam(lr=0.01)
    after, again, twin = run_saved_and_restored(opt, rosenbrock_like, np.array([-1.2, 1.0] * 2),
                                                {"max_iter": 40}, {"max_iter": 25})
    np.testing.assert_array_equal(after.x, again.x)
    assert (after.fun, after.nfev, twin.t) == (again.fun, again.nfev, 65)
    np.testing.assert_array_equal(opt.v, twin.v)


def test_clone_starts_empty():
    opt = Adam()
    opt.minimize(rosenbrock_like, np.ones(3) * 0.3, max_iter=3)
    twin = opt.clone()
    assert (twin.t, twin.m, twin.v) == (0, None, None) and opt.t == 3


def test_split_run_equals_one_run():
    x0 = np.array([0.5, -0.5, 2.0])
    one = Adam(lr=0.05).minimize(rosenbrock_like, x0, max_iter=30)
    opt = Adam(lr=0.05)
    half = opt.minimize(rosenbrock_like, x0, max_iter=12)
    two = opt.minimize(rosenbrock_like, half.x, max_iter=18)
    np.testing.assert_array_equal(one.x, two.x)


def test_state_dict_is_a_copy():
    opt = Adam()
    opt.minimize(rosenbrock_like, np.ones(3) * 0.3, max_iter=3)
    state = opt.state_dict()
    before = state["m"].copy()
    opt.minimize(rosenbrock_like, np.ones(3) * 0.3, max_iter=3)
    np.testing.assert_array_equal(state["m"], before)


def test_reset_clears_the_moments():
    opt = Adam()
    opt.minimize(rosenbrock_like, np.ones(3) * 0.3, max_iter=3)
    opt.reset()
    assert (opt.t, opt.m, opt.v) == (0, None, None)


def test_mini_batches():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    y = X @ w_true

    def fun(w, rows):
        r = X[rows] @ w - y[rows]
        return float(r @ r / len(rows)), 2 * X[rows].T @ r / len(rows)

    batches = [rng.permutation(64)[:16] for _ in range(2000)]
    res = Adam(lr=0.05, max_iter=10**6).minimize(fun, np.zeros(3), batches=batches)
    assert res.status == Status.BATCHES_EXHAUSTED and res.nit == 2000
    np.testing.assert_allclose(res.x, w_true, atol=1e-3)


def test_nonfinite_gradient_stops_at_last_finite_point():
    def fun(x):
        return float(x @ x), (2 * x if x[0] > 0.5 else np.full_like(x, np.inf))

    res = Adam(lr=0.1, max_iter=50).minimize(fun, np.ones(2))
    assert res.status == Status.NONFINITE and not res.success
    assert res.x[0] > 0.5 and np.isfinite(res.jac).all()
    assert res.nfev == res.nit + 2          # x0, the kept steps, and the rejected one


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.9), (0.9,), 0.9])
def test_bad_betas(betas):
    with pytest.raises((ValueError, TypeError), match="beta"):
        Adam(betas=betas)
