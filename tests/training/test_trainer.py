"""The Trainer: equivalences, monotonicity, determinism, the frozen prefix, stops."""

import json
import warnings

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.optim import GD, LBFGS, Adam, BarzilaiBorwein
from bcdnet.selection import AllLayers, RandomLayer, Selection, Selector


def regression(n=200, n_in=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    Y = np.column_stack([np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2], np.cos(X[:, 1])])
    return X, Y


def visits(result):
    """The history rows of BCD iterations (without iteration 0, the starting point)."""
    return result.history[result.history["iteration"] > 0]


def test_all_layers_with_gd_is_plain_gradient_descent():
    X, Y = regression()
    net = bn.Network.mlp([3, 6, 6, 2], seed=1)
    reference = bn.Network.mlp([3, 6, 6, 2], seed=1)
    lr, steps = 0.05, 30
    trainer = bn.Trainer(GD(lr=lr), AllLayers(), max_iter=steps, inner_max_iter=1, tol=0,
                         sensitivity_tol=None)
    result = trainer.fit(net, X, Y)
    assert result.history["train_loss"].iloc[0] == reference.loss_value(X, Y)
    losses = visits(result)["train_loss"].to_numpy()
    p = reference.params.copy()
    for k in range(steps):                        # textbook full-batch gradient descent
        p = p - lr * reference.loss_grad(X, Y)[1]
        reference.params = p
        assert losses[k] == pytest.approx(reference.loss_value(X, Y), rel=1e-12)
    np.testing.assert_allclose(net.params, p, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("optimizer", [GD(lr=2.0), LBFGS(max_iter=5), BarzilaiBorwein()])
def test_training_loss_never_increases_on_full_batches(optimizer):
    X, Y = regression(seed=2)
    net = bn.Network.mlp([3, 8, 8, 2], seed=2)
    f0 = net.loss_value(X, Y)
    result = bn.Trainer(optimizer, RandomLayer(), max_iter=40, inner_max_iter=5, tol=0,
                        seed=3).fit(net, X, Y)
    losses = result.history["train_loss"].to_numpy()        # from iteration 0, the start
    assert losses[0] == f0
    assert np.all(np.diff(losses) <= 0.0)
    assert losses[-1] < 0.9 * f0


def test_iteration_0_is_the_starting_point():
    X, Y = regression(n=100, seed=14)
    Xv, Yv = regression(n=50, seed=15)
    net = bn.Network.mlp([3, 5, 5, 2], seed=14)
    f0, v0 = net.loss_value(X, Y), net.loss_value(Xv, Yv)
    result = bn.Trainer("lbfgs", "forward", max_iter=3, tol=0).fit(net, X, Y,
                                                                validation=(Xv, Yv))
    start = result.history.iloc[0]
    assert list(result.history["iteration"]) == [0, 1, 2, 3] and result.n_iter == 3
    assert (start["train_loss"], start["val_loss"]) == (f0, v0)
    assert start[["block", "first", "last", "grad_inf"]].isna().all()
    assert json.loads(start["selector"]) == {"strategy": "start"}
    assert (start["nit"], start["nfev"], start["n_rows"]) == (0, 0, 100)


@pytest.mark.parametrize("selector", ["all", "most_sensitive"])
def test_a_non_finite_loss_at_the_start_ends_the_run_cleanly(selector):
    X, Y = regression(n=40, seed=16)
    net = bn.Network.mlp([3, 4, 2], seed=16)
    start = net.params.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = bn.Trainer("lbfgs", selector, icrs_init=20).fit(net, X, Y * 1e300)
    assert result.stop_reason.startswith("non-finite loss at the start"), result.stop_reason
    assert result.n_iter == 0 and result.history["train_loss"].iloc[0] == np.inf
    np.testing.assert_array_equal(net.params, start)


def _history_without_timings(result):
    return result.history.drop(columns=["cpu_s", "wall_s"])


@pytest.mark.parametrize("kwargs", [
    dict(optimizer=LBFGS(max_iter=5), selector=bn.selection.MostSensitive(epsilon=0.3)),
    dict(optimizer=Adam(lr=1e-2), selector=RandomLayer(), batch_size=32, epochs=1),
    dict(optimizer=LBFGS(max_iter=3), selector=bn.selection.Bisection(explore=0.3),
         batch_shell=True, icrs_init=100),
])
def test_same_seed_gives_an_identical_history(kwargs):
    X, Y = regression(n=300, seed=4)
    runs = []
    for _ in range(2):
        net = bn.Network.mlp([3, 6, 6, 6, 2], seed=5)
        opt = kwargs["optimizer"].clone()
        sel = kwargs["selector"].clone()
        rest = {k: v for k, v in kwargs.items() if k not in ("optimizer", "selector")}
        runs.append(bn.Trainer(opt, sel, max_iter=15, tol=0, seed=11, **rest).fit(net, X, Y))
        runs[-1].params = net.params.copy()
    a, b = (_history_without_timings(r) for r in runs)
    assert a.equals(b)
    np.testing.assert_array_equal(runs[0].params, runs[1].params)
    other = bn.Trainer(kwargs["optimizer"].clone(), kwargs["selector"].clone(), max_iter=15,
                       tol=0, seed=12, **{k: v for k, v in kwargs.items()
                                          if k not in ("optimizer", "selector")})
    c = _history_without_timings(other.fit(bn.Network.mlp([3, 6, 6, 6, 2], seed=5), X, Y))
    assert not a.equals(c)


class LastHidden(Selector):
    """Always the last hidden layer (a selector written by subclassing)."""

    needs_sensitivity = False

    def _select(self, sens, n_layers, iteration, rng):
        return Selection(n_layers - 2, n_layers - 2, {"selector": "last_hidden"})


def test_layers_below_the_block_are_never_recomputed(forward_calls):
    X, Y = regression(n=100, seed=6)
    net = bn.Network.mlp([3, 5, 5, 5, 5, 2], seed=6)
    calls = forward_calls(net)
    result = bn.Trainer(LBFGS(max_iter=10), LastHidden(), max_iter=6, tol=0,
                        sensitivity_tol=None).fit(net, X, Y)
    assert set(visits(result)["block"]) == {"hidden 4"}
    assert calls[:3] == [2, 2, 2]            # the start's loss; the frozen prefix, once
    assert calls[3] > 6 * 10


def test_patience_stops_and_restores_the_best_parameters():
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))      # pure noise: overfits
    Xv, Yv = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    net = bn.Network.mlp([3, 30, 30, 1], seed=7)
    start = net.loss_value(Xv, Yv)          # the starting point is a candidate too
    result = bn.Trainer(LBFGS(max_iter=20), AllLayers(), max_iter=100, patience=3, tol=0,
                        sensitivity_tol=None).fit(net, X, Y, validation=(Xv, Yv))
    assert result.stop_reason.startswith("patience")
    best = min(start, result.history["val_loss"].min())
    assert result.best_val_loss == best
    assert net.loss_value(Xv, Yv) == pytest.approx(best, rel=1e-12)
    assert result.history["val_loss"].iloc[-1] > best


def test_divergence_stops_with_finite_parameters():
    X, Y = regression(seed=8)
    Y = Y * 1e150
    net = bn.Network.mlp([3, 4, 2], seed=8)
    result = bn.Trainer(GD(lr=1e200), RandomLayer(), max_iter=20, inner_max_iter=3, tol=0,
                        sensitivity_tol=None).fit(net, X, Y)
    assert np.all(np.isfinite(net.params))
    assert "non-finite" in result.stop_reason or result.n_iter == 20


def test_callback_sees_rows_and_can_stop():
    X, Y = regression(seed=9)
    seen = []

    def callback(row):
        seen.append(row)
        return len(seen) == 3

    result = bn.Trainer("lbfgs", "forward", max_iter=10, tol=0, callbacks=[callback]).fit(
        bn.Network.mlp([3, 4, 4, 2], seed=9), X, Y)
    assert len(seen) == 3 and result.stop_reason.startswith("stopped by a callback")
    assert [r["first"] for r in seen] == [0, 1, 2]
    assert json.loads(seen[0]["selector"])["selector"]


def test_sensitivity_tolerance_stops_at_a_stationary_point():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(50, 2))
    net = bn.Network.mlp([2, 3, 1], seed=10)
    Y = net.predict(X)                       # already a perfect fit: dE/dalpha = 0
    result = bn.Trainer("lbfgs", "most_sensitive", sensitivity_tol=1e-8).fit(net, X, Y)
    assert result.stop_reason.startswith("sensitivity tolerance")
    assert result.n_iter == 0 and len(result.history) == 1      # only the starting point


def test_mini_batch_adam_lowers_the_loss():
    X, Y = regression(n=400, seed=12)
    net = bn.Network.mlp([3, 10, 2], seed=12)
    f0 = net.loss_value(X, Y)
    result = bn.Trainer(Adam(lr=1e-2), "ping_pong", max_iter=10, batch_size=50, epochs=2,
                        tol=0).fit(net, X, Y)
    assert result.history["train_loss"].iloc[-1] < 0.7 * f0
    assert (visits(result)["nit"] == 16).all()


def test_batch_shell_uses_subsets_of_1_1_times_the_parameters():
    X, Y = regression(n=500, seed=13)
    net = bn.Network.mlp([3, 6, 2], seed=13)            # 38 parameters -> 42 rows
    result = bn.Trainer("lbfgs", "random", max_iter=5, batch_shell=True, tol=0).fit(net, X, Y)
    assert (visits(result)["n_rows"] == int(np.ceil(1.1 * net.n_params))).all()


def test_bad_arguments_name_what_is_wrong():
    X, Y = regression()
    with pytest.raises(ValueError, match="unknown selector 'best'.*'bisection'"):
        bn.Trainer(selector="best")
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'.*'adam'"):
        bn.Trainer(optimizer="sgd")
    with pytest.raises(ValueError, match="explore must lie in"):
        bn.selection.Bisection(explore=1.5)
    with pytest.raises(ValueError, match="batch_size needs a mini-batch optimizer"):
        bn.Trainer("lbfgs", batch_size=10)
    net = bn.Network.mlp([3, 4, 2])
    with pytest.raises(ValueError, match="validation X must have 3 columns"):
        bn.Trainer().fit(net, X, Y, validation=(X[:, :2], Y))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        bn.Trainer().fit(net, bad, Y)
