"""BCDRegressor: the scikit-learn conventions, scaling, early stopping, errors."""

import warnings

import numpy as np
import pytest

import bcdnet as bn


def smooth(n=400, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 3)) * [1, 10, 1000] + [0, 50, -3000]   # unscaled columns
    u = (X - [0, 50, -3000]) / [1, 10, 1000]
    y = 300 + 40 * (np.sin(u[:, 0]) + u[:, 1] * u[:, 2]) + noise * rng.normal(size=n)
    return X, y


def test_fit_predict_score_on_unscaled_data():
    X, y = smooth()
    est = bn.BCDRegressor(hidden=(16, 16), max_iter=60, random_state=0).fit(X[:300], y[:300])
    assert est is not None and est.n_features_in_ == 3 and est.n_outputs_ == 1
    pred = est.predict(X[300:])
    assert pred.shape == (100,)
    assert est.score(X[300:], y[300:]) > 0.95
    assert {"net_", "result_", "history_", "x_scaler_", "y_scaler_"} <= set(vars(est))


def test_predictions_are_the_mean_of_the_networks():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 2))
    y = 5.0 + 2.0 * np.sin(X[:, 0]) - X[:, 1]
    est = bn.BCDRegressor(hidden=(4,), n_networks=3, max_iter=3, inner_max_iter=5,
                          progress=False).fit(X, y)
    assert len(est.networks_) == 3 and est.net_ is est.networks_[0]
    assert len({tuple(bn.to_numpy(net.params)) for net in est.networks_}) == 3   # different starts
    Xs = (X - est.x_scaler_.mean_) / est.x_scaler_.scale_
    linear = Xs @ est.linear_coef_[:-1] + est.linear_coef_[-1]
    each = [net.predict(Xs) + linear for net in est.networks_]
    expected = np.mean(each, axis=0)[:, 0] * est.y_scaler_.scale_[0] + est.y_scaler_.mean_[0]
    np.testing.assert_allclose(est.predict(X), expected, rtol=1e-12)
    assert list(est.history_["network"].unique()) == [0, 1, 2]
    assert est.history_.columns[0] == "network"


def test_one_network_is_the_single_network_model():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 2))
    y = np.tanh(X[:, 0]) + 0.1 * X[:, 1]
    one = bn.BCDRegressor(hidden=(3,), n_networks=1, max_iter=3, progress=False).fit(X, y)
    two = bn.BCDRegressor(hidden=(3,), n_networks=2, max_iter=3, progress=False).fit(X, y)
    np.testing.assert_array_equal(one.net_.params, two.net_.params)   # same first network
    assert not np.array_equal(one.predict(X), two.predict(X))


def test_two_outputs_keep_their_shape():
    X, y = smooth(seed=1)
    Y = np.column_stack([y, -2 * y])
    est = bn.BCDRegressor(hidden=(8,), max_iter=20).fit(X, Y)
    assert est.predict(X).shape == (400, 2)


def test_get_and_set_params_follow_the_constructor():
    est = bn.BCDRegressor(hidden=(5,), random_state=3)
    params = est.get_params()
    assert params["hidden"] == (5,) and params["random_state"] == 3
    assert bn.BCDRegressor(**params).get_params() == params
    est.set_params(max_iter=7)
    assert est.max_iter == 7
    with pytest.raises(ValueError, match="unknown parameter 'epochs'.*valid parameters"):
        est.set_params(epochs=3)
    assert "hidden=(5,)" in repr(est)


def test_random_state_makes_fit_repeatable():
    X, y = smooth(seed=2)
    a = bn.BCDRegressor(hidden=(8, 8), max_iter=15, selector="random", random_state=5).fit(X, y)
    b = bn.BCDRegressor(hidden=(8, 8), max_iter=15, selector="random", random_state=5).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    c = bn.BCDRegressor(hidden=(8, 8), max_iter=15, selector="random", random_state=6).fit(X, y)
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_defaults_do_not_overfit_small_noisy_data():
    """On 60 noisy rows of a linear law, the defaults stay close to least squares."""
    scores_net, scores_lin = [], []
    for seed in range(4):
        rng = np.random.default_rng(100 + seed)
        X = rng.normal(size=(260, 4))
        y = X @ [1.0, -2.0, 0.5, 0.0] + 2.0 * rng.normal(size=260)
        Xtr, ytr, Xte, yte = X[:60], y[:60], X[60:], y[60:]
        A = np.column_stack([Xtr, np.ones(60)])
        coef = np.linalg.lstsq(A, ytr, rcond=None)[0]
        linear = np.column_stack([Xte, np.ones(200)]) @ coef
        scores_lin.append(bn.metrics.r2_score(yte, linear))
        scores_net.append(bn.BCDRegressor(random_state=seed).fit(Xtr, ytr).score(Xte, yte))
    assert np.mean(scores_net) > np.mean(scores_lin) - 0.1, (scores_net, scores_lin)


def test_errors_are_clear():
    X, y = smooth()
    with pytest.raises(bn.NotFittedError, match="not fitted yet"):
        bn.BCDRegressor().predict(X)
    with pytest.raises(ValueError, match="unknown selector 'best'.*'most_sensitive'"):
        bn.BCDRegressor(selector="best").fit(X, y)
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'.*'lbfgs'"):
        bn.BCDRegressor(optimizer="sgd").fit(X, y)
    bad = X.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        bn.BCDRegressor().fit(bad, y)
    with pytest.raises(ValueError, match="y must have as many rows as X"):
        bn.BCDRegressor().fit(X, y[:-1])
    est = bn.BCDRegressor(hidden=(4,), max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but BCDRegressor is expecting 3"):
        est.predict(X[:, :2])
    with pytest.raises(ValueError, match="validation_fraction must be below 1"):
        bn.BCDRegressor(validation_fraction=1.0).fit(X, y)
    with pytest.raises(ValueError, match="n_networks must be"):
        bn.BCDRegressor(n_networks=0).fit(X, y)


def test_predict_far_outside_the_training_data_is_finite_or_refused():
    X = np.random.default_rng(0).normal(size=(30, 3))
    est = bn.BCDRegressor(hidden=(3,), max_iter=2, progress=False).fit(X, X.sum(axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert np.isfinite(est.predict(np.full((2, 3), 1e300))).all()
        with pytest.raises(ValueError, match="X must keep the predictions finite"):
            est.predict(np.full((2, 3), 1.3e308))      # the linear part overflows


def test_metrics_against_direct_formulas():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=50), rng.normal(size=50)
    assert bn.metrics.mean_squared_error(y, p) == pytest.approx(np.mean((y - p) ** 2))
    assert bn.metrics.mean_absolute_error(y, p) == pytest.approx(np.mean(np.abs(y - p)))
    r2 = 1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)
    assert bn.metrics.r2_score(y, p) == pytest.approx(r2)
    assert bn.metrics.r2_score(y, y) == 1.0
