"""The shared contract: checks at the boundary, results, callbacks, state, cloning, registry."""

import math

import numpy as np
import pytest

from bcdnet.optim import (GD, ICRS, LBFGS, OPTIMIZERS, Adam, BarzilaiBorwein, OptimizeResult,
                          Optimizer, Status, get_optimizer)


def sphere(x):
    return float(x @ x), 2.0 * x


def log_cosh(x):
    """A smooth convex function that no method solves in a handful of steps."""
    w = np.arange(1.0, x.size + 1)
    return float(w @ np.logaddexp(x, -x)), w * np.tanh(x)


def make_all():
    """One small instance of every optimizer."""
    return [GD(lr=0.1, max_iter=50), Adam(lr=0.1, max_iter=50), LBFGS(max_iter=50),
            BarzilaiBorwein(max_iter=50), ICRS(seed=0, max_eval=200)]


ALL = pytest.mark.parametrize("opt", make_all(), ids=lambda o: type(o).__name__)


# ------------------------------------------------------------------ bad input names the argument
@ALL
def test_x0_must_be_1d(opt):
    with pytest.raises(ValueError, match="x0"):
        opt.minimize(sphere, np.ones((2, 2)))


@ALL
def test_x0_must_be_finite(opt):
    with pytest.raises(ValueError, match="x0"):
        opt.minimize(sphere, np.array([1.0, np.nan]))


@ALL
def test_x0_must_be_numbers(opt):
    with pytest.raises(TypeError, match="x0"):
        opt.minimize(sphere, ["a", "b"])


@pytest.mark.parametrize("opt", [o for o in make_all() if o.needs_gradient],
                         ids=lambda o: type(o).__name__)
def test_gradient_of_wrong_shape_is_refused(opt):
    with pytest.raises(ValueError, match="fun returned a gradient of shape"):
        opt.minimize(lambda x: (float(x @ x), np.ones(x.size + 1)), np.ones(3))


@pytest.mark.parametrize("opt", [o for o in make_all() if o.needs_gradient],
                         ids=lambda o: type(o).__name__)
def test_fun_must_return_a_pair(opt):
    with pytest.raises(TypeError, match="fun must return a tuple"):
        opt.minimize(lambda x: float(x @ x), np.ones(3))


@ALL
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_value_at_x0_is_refused(opt, bad):
    with pytest.raises(ValueError, match="fun must be finite at x0"):
        opt.minimize(lambda x: (bad, 2.0 * x), np.ones(3))


@pytest.mark.parametrize("opt", [o for o in make_all() if o.needs_gradient],
                         ids=lambda o: type(o).__name__)
def test_nonfinite_gradient_at_x0_is_refused(opt):
    with pytest.raises(ValueError, match="fun must be finite at x0"):
        opt.minimize(lambda x: (1.0, np.full(x.size, np.nan)), np.ones(3))


@ALL
def test_fun_must_be_callable(opt):
    with pytest.raises(TypeError, match="fun must be callable"):
        opt.minimize(42, np.ones(3))


@ALL
def test_unknown_override_lists_valid_limits(opt):
    with pytest.raises(TypeError, match="valid names are"):
        opt.minimize(sphere, np.ones(3), no_such_limit=3)


@ALL
@pytest.mark.parametrize("value", [0, -1])
def test_nonpositive_max_iter_is_refused(opt, value):
    with pytest.raises(ValueError, match="max_iter must be at least 1"):
        opt.minimize(sphere, np.ones(3), max_iter=value)


@pytest.mark.parametrize("cls, limit", [(GD, "gtol"), (Adam, "gtol"), (LBFGS, "gtol"),
                                        (LBFGS, "ftol"), (BarzilaiBorwein, "gtol")])
def test_negative_tolerances_are_refused(cls, limit):
    with pytest.raises(ValueError, match=f"{limit} must be non-negative"):
        cls(**{limit: -1e-3})
    with pytest.raises(ValueError, match=f"{limit} must be non-negative"):
        cls().minimize(sphere, np.ones(2), **{limit: -1.0})


@pytest.mark.parametrize("cls, name, value", [
    (GD, "lr", -1.0), (GD, "lr", 0.0), (GD, "trust_radius", 0.0), (Adam, "lr", -1.0),
    (Adam, "eps", 0.0), (LBFGS, "lr", 0.0), (LBFGS, "history_size", 0),
    (LBFGS, "max_ls", 0), (LBFGS, "max_eval", 0), (BarzilaiBorwein, "window", 0),
    (BarzilaiBorwein, "lambda_max", -1.0), (ICRS, "rel_min", 0.0), (ICRS, "max_eval", 0),
    (ICRS, "n_fail_max", 0), (ICRS, "contract", 0.0)])
def test_nonpositive_hyperparameters_are_refused(cls, name, value):
    with pytest.raises(ValueError, match=name):
        cls(**{name: value})


def test_error_message_quotes_the_value():
    with pytest.raises(ValueError, match=r"lr must be positive, got -1.0"):
        Adam(lr=-1.0)


@pytest.mark.parametrize("opt", [o for o in make_all() if not o.supports_batches],
                         ids=lambda o: type(o).__name__)
def test_full_batch_methods_refuse_batches(opt):
    with pytest.raises(ValueError, match="batches must be None"):
        opt.minimize(lambda x, b: sphere(x), np.ones(3), batches=[1, 2])


# ------------------------------------------------------------------ results and callbacks
@ALL
def test_lowers_the_sphere_and_reports(opt):
    x0 = np.array([1.0, -2.0, 0.5])
    res = opt.minimize(sphere, x0)
    assert isinstance(res, OptimizeResult)
    assert res.fun < sphere(x0)[0] / 10
    assert res.fun == pytest.approx(sphere(res.x)[0], rel=1e-12, abs=1e-300)
    assert res.nfev >= res.nit >= 1
    assert isinstance(res.status, Status) and res.success == (res.status <= 2)
    assert res.message
    np.testing.assert_array_equal(x0, [1.0, -2.0, 0.5])      # x0 is never modified
    text = repr(res)
    assert "message" in text and "nfev" in text


@ALL
def test_callback_stops_the_run(opt):
    seen = []

    def callback(snap):
        seen.append((snap.nit, snap.nfev, snap.fun, snap.x.copy()))
        return snap.nit >= 3

    res = opt.clone().minimize(log_cosh, np.full(10, 3.0), callback=callback)
    assert res.status == Status.CALLBACK and res.message == "stopped by callback"
    assert not res.success
    assert [s[0] for s in seen] == [1, 2, 3]
    assert res.nit == 3
    np.testing.assert_array_equal(seen[-1][3], res.x)
    assert seen[-1][2] == res.fun


@ALL
def test_max_iter_override_applies_to_one_call(opt):
    opt = opt.clone()
    res = opt.minimize(sphere, np.array([1.0, -2.0, 0.5]), max_iter=2)
    assert res.nit <= 2
    assert opt.max_iter != 2


# ------------------------------------------------------------------ state
@ALL
def test_clone_has_same_parameters_and_empty_state(opt):
    opt = opt.clone()
    opt.minimize(sphere, np.array([1.0, -2.0, 0.5]))
    twin = opt.clone()
    assert type(twin) is type(opt) and repr(twin) == repr(opt)
    assert twin.get_params() == opt.get_params()
    assert twin._state_size() is None


@ALL
def test_state_dict_is_plain_data_with_stable_keys(opt):
    opt = opt.clone()
    opt.minimize(sphere, np.array([1.0, -2.0, 0.5]), max_iter=3)
    state = opt.state_dict()
    allowed = (np.ndarray, int, float, str, list, dict, type(None))
    for key, value in state.items():
        assert isinstance(key, str) and isinstance(value, allowed), (key, type(value))
    assert state["optimizer"] == type(opt).__name__
    assert opt.state_dict().keys() == state.keys()


@pytest.mark.parametrize("opt", [o for o in make_all() if not isinstance(o, GD)],
                         ids=lambda o: type(o).__name__)
def test_state_for_another_size_is_refused(opt):
    opt = opt.clone()
    opt.minimize(sphere, np.ones(3), max_iter=2)
    with pytest.raises(ValueError, match="reset"):
        opt.minimize(sphere, np.ones(4))
    opt.reset()
    opt.minimize(sphere, np.ones(4), max_iter=2)      # after reset any size goes


@ALL
def test_load_state_dict_checks_keys_and_class(opt):
    opt = opt.clone()
    opt.minimize(sphere, np.ones(3), max_iter=2)
    state = opt.state_dict()
    with pytest.raises(ValueError, match="state keys"):
        opt.load_state_dict({**state, "extra": 1})
    other = GD() if not isinstance(opt, GD) else Adam()
    with pytest.raises(ValueError):
        other.load_state_dict(state)
    forged = {**other.state_dict(), "optimizer": "Somebody"}
    with pytest.raises(ValueError, match="saved by Somebody"):
        other.load_state_dict(forged)
    with pytest.raises(TypeError):
        opt.load_state_dict([("optimizer", "GD")])


@pytest.mark.parametrize("opt", [Adam(), LBFGS(), BarzilaiBorwein(), ICRS(seed=0)],
                         ids=lambda o: type(o).__name__)
def test_load_state_dict_checks_shapes(opt):
    opt.minimize(sphere, np.ones(3), max_iter=3)
    state = opt.state_dict()
    key = {"Adam": "v", "LBFGS": "y", "BarzilaiBorwein": "recent_f", "ICRS": "sigma_start"}[
        type(opt).__name__]
    state[key] = np.zeros((7, 7))
    with pytest.raises(ValueError, match=key):
        opt.load_state_dict(state)


# ------------------------------------------------------------------ registry
def test_registry_builds_each_optimizer():
    assert set(OPTIMIZERS) == {"gd", "adam", "lbfgs", "bb", "icrs"}
    for name, cls in OPTIMIZERS.items():
        assert issubclass(cls, Optimizer)
        assert isinstance(get_optimizer(name), cls)
    opt = get_optimizer("lbfgs", history_size=5, max_iter=7)
    assert (opt.history_size, opt.max_iter) == (5, 7)


def test_registry_lists_valid_names():
    with pytest.raises(ValueError, match="'adam', 'bb', 'gd', 'icrs', 'lbfgs'"):
        get_optimizer("sgd")


def test_class_flags():
    assert [c.needs_gradient for c in (GD, Adam, LBFGS, BarzilaiBorwein, ICRS)] == \
        [True, True, True, True, False]
    assert [c.supports_batches for c in (GD, Adam, LBFGS, BarzilaiBorwein, ICRS)] == \
        [True, True, False, False, False]


@ALL
def test_repr_shows_hyperparameters(opt):
    text = repr(opt)
    assert text.startswith(type(opt).__name__ + "(")
    for name in opt.get_params():
        assert f"{name}=" in text

