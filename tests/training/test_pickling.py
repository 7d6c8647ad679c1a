"""Networks, optimizers, selectors, Trainer results and estimators pickle, deep-copy and go
through joblib; the array namespace travels by name."""

import copy
import pickle

import joblib
import numpy as np
import pytest

import bcdnet as bn


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:]


def round_trips(obj, tmp_path):
    """The object through pickle, deepcopy and joblib (a file)."""
    joblib.dump(obj, tmp_path / "obj.joblib")
    return [pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj),
            joblib.load(tmp_path / "obj.joblib")]


@pytest.mark.parametrize("backend", ["numpy", "strict"])
def test_network_round_trips_with_its_namespace_and_views(backend, tmp_path):
    X, Y = data()
    net = bn.Network.mlp([3, 5, 4, 1], seed=1, backend=backend)
    net.predict(X)                                # the pass caches exist and are not pickled
    for twin in round_trips(net, tmp_path):
        assert twin.xp is net.xp and twin.backend == backend
        assert all(layer.xp is net.xp for layer in twin.layers)
        np.testing.assert_array_equal(bn.to_numpy(twin.predict(X)), bn.to_numpy(net.predict(X)))
        twin.params = np.zeros(net.n_params)       # the layers are views of the copy's params
        assert not bn.to_numpy(twin.layers[0].W).any() and bn.to_numpy(net.layers[0].W).any()
        f, g = twin.loss_grad(X, Y)
        assert np.isfinite(f) and g.shape == (net.n_params,)


def test_optimizer_state_round_trips_and_continues_the_same(tmp_path):
    def fun(x):
        return float(x @ x + np.sin(x).sum()), 2 * x + np.cos(x)

    opt = bn.optim.LBFGS(history_size=5, max_iter=3)
    opt.minimize(fun, np.ones(4))
    assert opt._xp is np
    for twin in round_trips(opt, tmp_path):
        assert twin.get_params() == opt.get_params() and twin._xp is np
        np.testing.assert_array_equal(twin.minimize(fun, np.full(4, 0.5)).x,
                                      copy.deepcopy(opt).minimize(fun, np.full(4, 0.5)).x)


def test_selectors_and_trainer_results_round_trip(tmp_path):
    X, Y = data()
    selector = bn.selection.PingPong()
    net = bn.Network.mlp([3, 4, 4, 1], seed=0)
    result = bn.Trainer(bn.optim.LBFGS(max_iter=3), selector, max_iter=4).fit(net, X, Y)
    for twin in round_trips(selector, tmp_path):
        assert twin.state_dict() == selector.state_dict()
    for twin in round_trips(result, tmp_path):
        assert twin.history.equals(result.history) and twin.stop_reason == result.stop_reason
        np.testing.assert_array_equal(twin.net.predict(X), net.predict(X))


def test_fitted_estimator_round_trips(tmp_path):
    X, Y = data()
    est = bn.BCDRegressor(hidden=(4,), max_iter=3, optimizer=bn.optim.Adam(lr=0.01),
                          selector="random").fit(X, Y[:, 0])
    for twin in round_trips(est, tmp_path):
        np.testing.assert_array_equal(twin.predict(X), est.predict(X))
        assert twin.get_params(deep=False).keys() == est.get_params(deep=False).keys()
        assert twin.n_iter_ == est.n_iter_
