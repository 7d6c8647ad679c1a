"""The subclassing examples in examples/plot_5_extending.py work as documented.

Importing the example runs it: every component passes its bcdnet.testing check there.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.testing import check_grad, check_layer, check_loss

spec = importlib.util.spec_from_file_location(
    "extending", Path(__file__).resolve().parents[2] / "examples" / "plot_5_extending.py")
extending = importlib.util.module_from_spec(spec)
spec.loader.exec_module(extending)


def data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 3))
    return X, np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3]


def test_softplus_derivatives_and_network_gradient():
    act = extending.Softplus()
    z = np.linspace(-30, 30, 61)
    h = 1e-6
    np.testing.assert_allclose(act.df(z), (act.f(z + h) - act.f(z - h)) / (2 * h), atol=1e-8)
    np.testing.assert_allclose(act.d2f(z), (act.df(z + h) - act.df(z - h)) / (2 * h), atol=1e-8)
    X, Y = data()
    net = bn.Network.mlp([3, 5, 1], activation="softplus", seed=1)

    def fun(p):
        net.params = p
        return net.loss_grad(X[:40], Y[:40])
    check_grad(fun, net.params.copy()).raise_if_failed()


def test_momentum_sgd_trains_a_block_and_saves_its_state():
    X, Y = data(1)
    net = bn.Network.mlp([3, 8, 1], seed=2)
    f0 = net.loss_value(X, Y)
    result = bn.Trainer(extending.MomentumSGD(lr=0.05), "forward", max_iter=10,
                        keep_state=True, tol=0).fit(net, X, Y)
    assert result.history["train_loss"].iloc[-1] < 0.5 * f0
    opt = extending.MomentumSGD()
    opt.minimize(lambda x: (float(x @ x), 2 * x), np.ones(3), max_iter=3)
    state = opt.state_dict()
    clone = opt.clone()
    clone.load_state_dict(state)
    np.testing.assert_array_equal(clone.velocity, opt.velocity)
    with pytest.raises(ValueError, match="lr must be positive"):
        extending.MomentumSGD(lr=0)


def test_largest_gradient_norm_selector_picks_the_argmax():
    X, Y = data(2)
    net = bn.Network.mlp([3, 6, 6, 1], seed=3)
    sens = bn.sensitivity(net, X, Y)
    sel = extending.LargestGradientNorm().select(sens, 0, np.random.default_rng(0))
    norms = [np.linalg.norm(s) for s in sens.by_layer]
    assert sel.first == sel.last == int(np.argmax(norms))
    result = bn.Trainer("lbfgs", extending.LargestGradientNorm(), max_iter=5).fit(net, X, Y)
    assert result.n_iter == 5


def test_diagonal_layer_and_log_cosh_loss_pass_their_checks():
    assert all(r.passed for r in check_layer(extending.Diagonal(4, activation="tanh")))
    assert all(r.passed for r in check_loss(extending.LogCosh()))
    P, Y = np.array([[0.0, 30.0]]), np.zeros((1, 2))
    # log cosh r ~ |r| - log 2 far from 0: no overflow at r = 30
    assert extending.LogCosh().value(P, Y) == pytest.approx((np.log(np.cosh(30.0))) / 2)
