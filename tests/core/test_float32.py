"""float32 end to end: gradients within float32's precision, kept by optimizers, files, estimator.

The derivative tests proper run in float64 (tests/core/test_gradients.py); here the float32
network's gradient and Hessian-vector product are compared with float64 central differences
at the same (float32-representable) weights, to a tolerance scaled by float32's epsilon.
"""

import numpy as np
import pytest

import bcdnet as bn

EPS32 = float(np.finfo(np.float32).eps)


def pair(sizes=(3, 7, 5, 2), activation="tanh"):
    net32 = bn.Network.mlp(list(sizes), activation=activation, seed=1, dtype="float32")
    net64 = bn.Network.mlp(list(sizes), activation=activation, seed=1)
    net64.params = net32.params.astype(np.float64)        # the very same weights
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, sizes[0])).astype(np.float32).astype(np.float64)
    Y = np.tanh(X[:, :sizes[-1]]) + 0.1
    return net32, net64, X, Y


def fd_gradient(net64, X, Y, h=1e-6):
    """Central differences of the float64 network's loss, one parameter at a time."""
    theta = net64.params.copy()
    g = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        net64.params = theta + step
        f_plus = net64.loss_value(X, Y)
        net64.params = theta - step
        g[i] = (f_plus - net64.loss_value(X, Y)) / (2 * h)
    net64.params = theta
    return g


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])   # smooth: FD of ReLU cross kinks
def test_float32_gradient_matches_float64_central_differences(activation):
    net32, net64, X, Y = pair(activation=activation)
    f32, g32 = net32.loss_grad(X, Y)
    assert g32.dtype == np.float32 and net32.params.dtype == np.float32
    g_fd = fd_gradient(net64, X, Y)
    scale = np.abs(g_fd).max()
    err = np.abs(g32 - g_fd).max()
    assert err <= 100 * EPS32 * scale, f"float32 gradient off by {err:.3g} (scale {scale:.3g})"
    assert f32 == pytest.approx(net64.loss_value(X, Y), rel=100 * EPS32)


def test_float32_hvp_matches_float64():
    net32, net64, X, Y = pair()
    v = np.random.default_rng(2).standard_normal(net32.n_params)
    hv32 = net32.hvp(X, Y, v)
    hv64 = net64.hvp(X, Y, v)
    assert hv32.dtype == np.float32
    np.testing.assert_allclose(hv32, hv64, rtol=0, atol=200 * EPS32 * np.abs(hv64).max())


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam", "gd", "bb", "icrs"])
def test_every_optimizer_keeps_float32(optimizer):
    net32, _, X, Y = pair()
    seen = set()
    obj = net32.block_objective(1, X, Y)

    def fun(x):
        seen.add(x.dtype)
        return obj(x)

    opt = bn.optim.get_optimizer(optimizer)
    res = opt.minimize(fun, obj.x0(), max_eval=30) if optimizer == "icrs" else opt.minimize(
        fun, obj.x0())
    assert res.x.dtype == np.float32
    assert seen <= {np.dtype(np.float32)}, f"{optimizer} evaluated at dtypes {seen}"
    before = net32.params.copy()
    bn.Trainer(optimizer, "all", max_iter=2, progress=False).fit(net32, X, Y)
    assert net32.params.dtype == np.float32 and not np.array_equal(net32.params, before)


def test_save_and_load_keep_float32(tmp_path):
    net32, _, X, _ = pair()
    bn.save(net32, tmp_path / "net.npz")
    back = bn.load(tmp_path / "net.npz")
    assert back.dtype == np.float32 and back.params.dtype == np.float32
    np.testing.assert_array_equal(back.predict(X), net32.predict(X))


def test_estimator_in_float32_predicts_like_float64():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (400, 3))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    kw = dict(hidden=(8, 8), max_iter=8, n_networks=1, progress=False)
    est32 = bn.BCDRegressor(dtype="float32", **kw).fit(X, y)
    est64 = bn.BCDRegressor(**kw).fit(X, y)
    assert est32.net_.dtype == np.float32 and est32.get_params()["dtype"] == "float32"
    assert abs(est32.score(X, y) - est64.score(X, y)) < 0.02


def test_saved_float32_estimator_loads_in_float32(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    y = np.sin(X[:, 0])
    est = bn.BCDRegressor(hidden=(5,), max_iter=3, dtype="float32", progress=False).fit(X, y)
    bn.save(est, tmp_path / "est.npz")
    back = bn.load(tmp_path / "est.npz")
    assert back.dtype == "float32" and all(net.dtype == np.float32 for net in back.networks_)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
