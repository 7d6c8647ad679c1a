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


# ---------------------------------------------------------------------- sample weights
def outlier_data():
    """300 clean rows of a smooth law, 30 outliers (y = 100) and 200 clean test rows."""
    X, y = smooth(n=500, seed=7)
    X_out = np.random.default_rng(8).uniform(-2, 2, size=(30, 3)) * [1, 10, 1000] + [0, 50, -3000]
    X_train = np.vstack([X[:300], X_out])
    y_train = np.concatenate([y[:300], np.full(30, 100.0)])
    w = np.concatenate([np.ones(300), np.zeros(30)])
    return X_train, y_train, w, X[300:], y[300:]


def test_outliers_at_weight_zero_do_not_count():
    X, y, w, X_test, y_test = outlier_data()
    est = bn.BCDRegressor(progress=False).fit(X, y, sample_weight=w)
    assert est.score(X_test, y_test) >= 0.99


@pytest.mark.parametrize("validation_fraction", [0, "auto"])
def test_zero_weights_equal_deleting_rows_and_integer_weights_repeating_them(validation_fraction):
    X, y, w, X_test, _ = outlier_data()
    w = w.copy()
    w[:300] = np.random.default_rng(1).integers(1, 4, size=300)
    order = np.random.default_rng(2).permutation(len(y))        # and the row order is irrelevant
    params = dict(hidden=(6, 6), max_iter=8, validation_fraction=validation_fraction)
    weighted = bn.BCDRegressor(**params).fit(X[order], y[order], sample_weight=w[order])
    keep = w > 0
    repeated = bn.BCDRegressor(**params).fit(np.repeat(X[keep], w[keep].astype(int), axis=0),
                                             np.repeat(y[keep], w[keep].astype(int)))
    np.testing.assert_allclose(weighted.predict(X_test), repeated.predict(X_test), rtol=0,
                               atol=1e-10)
    deleted = bn.BCDRegressor(**params).fit(X[keep], y[keep], sample_weight=w[keep])
    np.testing.assert_allclose(weighted.predict(X_test), deleted.predict(X_test), rtol=0,
                               atol=1e-10)


def test_weights_count_in_the_scalers_and_the_linear_part():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 2)) * [3.0, 0.5] + [10.0, -1.0]
    y = X @ [2.0, -1.0] + rng.normal(size=60)
    w = rng.uniform(0.1, 3.0, size=60)
    est = bn.BCDRegressor(hidden=(2,), max_iter=1, validation_fraction=0).fit(X, y, w)
    mean = (w @ X) / w.sum()
    np.testing.assert_allclose(est.x_scaler_.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(est.x_scaler_.scale_, np.sqrt(w @ (X - mean) ** 2 / w.sum()),
                               rtol=1e-12)
    A = np.column_stack([X, np.ones(60)]) * np.sqrt(w)[:, None]       # weighted least squares
    beta = np.linalg.lstsq(A, y * np.sqrt(w), rcond=None)[0]
    Xs = (X - est.x_scaler_.mean_) / est.x_scaler_.scale_
    linear = (Xs @ est.linear_coef_[:-1] + est.linear_coef_[-1])[:, 0]
    np.testing.assert_allclose(linear * est.y_scaler_.scale_[0] + est.y_scaler_.mean_[0],
                               np.column_stack([X, np.ones(60)]) @ beta, rtol=1e-9)


def test_the_validation_split_and_loss_are_weighted():
    from bcdnet._estimator_data import split_rows

    w = np.array([10.0] + [1.0] * 99)                 # one row holds a tenth of the weight
    order = np.arange(100)
    val, train = split_rows(order, 20, w)             # 20 % of the weight: 21.8 of 109
    assert w[val].sum() >= 0.2 * w.sum() > w[val[:-1]].sum() and len(val) == 13
    assert set(val) | set(train) == set(range(100)) and not set(val) & set(train)
    X, y = smooth(n=200, seed=3)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=200)
    est = bn.BCDRegressor(hidden=(4,), max_iter=6, validation_fraction=0.2, patience=100,
                          validate_steps=False).fit(X, y, weights)
    rows = est.history_[est.history_["network"] == 0]
    assert rows["val_loss"].notna().all()
    assert est.results_[0].best_val_loss == pytest.approx(rows["val_loss"].min())


# ---------------------------------------------------------------------- parameters, names
@pytest.mark.parametrize("params, match", [
    (dict(hidden="zzz"), "hidden must be a sequence"), (dict(hidden=(3, 0)), r"hidden\[1\]"),
    (dict(max_iter=-5), "max_iter must be at least 1, got -5"),
    (dict(activation="swish"), "unknown activation 'swish'"),
    (dict(validation_fraction="half"), "validation_fraction must be 'auto'"),
    (dict(random_state="seed"), "random_state must be"), (dict(tol=-1.0), "tol must be"),
    (dict(linear_skip="yes"), "linear_skip must be True or False"),
    (dict(optimizer=3), "unknown optimizer 3")])
def test_parameters_are_checked_in_fit_naming_the_parameter(params, match):
    X, y = smooth(n=30)
    est = bn.BCDRegressor(**params)                   # __init__ only stores them
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    with pytest.raises(TypeError, match=match):      # InvalidParameterError is both
        est.fit(X, y)


def test_hidden_may_be_a_list_or_an_integer_array():
    X, y = smooth(n=40)
    for hidden in ([3, 2], np.array([3, 2])):
        est = bn.BCDRegressor(hidden=hidden, max_iter=2).fit(X, y)
        assert est.net_.sizes == [3, 3, 2, 1]
        assert "hidden=" in repr(est)


def test_n_iter_counts_the_bcd_iterations():
    X, y = smooth(n=40)
    est = bn.BCDRegressor(hidden=(3,), max_iter=4, validation_fraction=0, tol=0).fit(X, y)
    assert est.n_iter_ == 4 == max(r.n_iter for r in est.results_)


def test_feature_names_from_a_dataframe_are_checked_at_predict():
    import pandas as pd

    X, y = smooth(n=60)
    frame = pd.DataFrame(X, columns=["temp", "vacuum", "pressure"])
    est = bn.BCDRegressor(hidden=(3,), max_iter=2).fit(frame, y)
    assert list(est.feature_names_in_) == ["temp", "vacuum", "pressure"]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        np.testing.assert_array_equal(est.predict(frame), est.predict(X))
    with pytest.raises(ValueError, match="same order as they were in fit"):
        est.predict(frame[["vacuum", "temp", "pressure"]])
    with pytest.raises(ValueError, match="unseen at fit time:\n- humidity\n.*now missing:\n- temp"):
        est.predict(frame.rename(columns={"temp": "humidity"}))
    assert not hasattr(est.fit(X, y), "feature_names_in_")     # refitted without names


@pytest.mark.parametrize("X, match", [
    (np.ones(10), "Reshape your data"), (np.ones((10, 0)), r"0 feature\(s\)"),
    (np.ones((10, 2)) * 1j, "Complex data not supported"),
    (np.array([[1.0, np.nan]] * 10), "NaN"), (np.array([[1.0, np.inf]] * 10), "inf")])
def test_bad_X_is_refused_with_a_clear_message(X, match):
    with pytest.raises(ValueError, match=match):
        bn.BCDRegressor().fit(X, np.ones(10))


def test_y_none_and_sparse_X_are_refused():
    with pytest.raises(ValueError, match="requires y to be passed"):
        bn.BCDRegressor().fit(np.ones((5, 2)), None)
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse"):
        bn.BCDRegressor().fit(sparse.csr_matrix(np.ones((5, 2))), np.ones(5))


# ---------------------------------------------------------------------- metrics
@pytest.mark.parametrize("value", [0.1, 1 / 3, -2.7e5, 0.0])
def test_r2_of_a_constant_target_is_1_for_an_exact_fit_and_0_otherwise(value):
    y = np.full(7, value)
    assert bn.metrics.r2_score(y, y) == 1.0
    assert bn.metrics.r2_score(y, y + 1e-3) == 0.0
    assert bn.metrics.r2_score(y, y + 1e-3, sample_weight=np.arange(1.0, 8.0)) == 0.0
    other = np.arange(7.0)
    both = bn.metrics.r2_score(np.column_stack([y, other]), np.column_stack([y + 1, other]))
    assert both == 0.5                                   # (0 + 1) / 2
    # rows of weight 0 do not make a target vary
    assert bn.metrics.r2_score([1.0, 1.0, 5.0], [1.0, 1.0, 0.0], sample_weight=[1, 1, 0]) == 1.0
