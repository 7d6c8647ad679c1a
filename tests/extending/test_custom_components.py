"""The custom Layer, Loss, Optimizer and Selector of examples/custom_components.py, checked.

Each is held to the same standard as the built-in ones: derivatives against float64 central
differences (parameters and scales, gradient and Hessian-vector product), the optimizer on a
problem with a known minimum and its state saved and restored, the selector's rule against
its definition, and all four trained together by the Trainer.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.testing import check_grad, check_hvp, fd_gradient, fd_hvp
from network_strategies import at_point

spec = importlib.util.spec_from_file_location(
    "custom_components",
    Path(__file__).resolve().parents[2] / "examples" / "custom_components.py")
custom = importlib.util.module_from_spec(spec)
spec.loader.exec_module(custom)


def data(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.sin(X[:, :2]) + X[:, 1:3] * X[:, 2:3]
    return X, Y, rng.uniform(0.2, 2.0, n)


@pytest.fixture
def net():
    network = custom.network(3, 5, 2, seed=1)
    network.scales = np.random.default_rng(2).uniform(0.5, 1.5, network.scales.size)
    return network


@pytest.mark.parametrize("space", ["params", "scales"])
@pytest.mark.parametrize("weighted", [False, True])
def test_layer_and_loss_gradient_and_hessian_vector_product(net, space, weighted):
    X, Y, w = data()
    fun, grad, hvp = at_point(net, X, Y, w if weighted else None, space)
    x = getattr(net, space).copy()
    check_grad(fun, x).raise_if_failed()
    check_hvp(grad, hvp, x).raise_if_failed()


def test_log_cosh_against_its_definition_and_finite_differences():
    rng = np.random.default_rng(3)
    P, Y, R, w = rng.normal(size=(6, 2)), rng.normal(size=(6, 2)), rng.normal(size=(6, 2)), \
        rng.uniform(0.1, 2, 6)
    loss = custom.LogCosh()
    expected = (w[:, None] * np.log(np.cosh(P - Y))).sum() / (2 * w.sum())
    assert loss.value(P, Y, w) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(loss.grad(P, Y, w), fd_gradient(lambda Q: loss.value(Q, Y, w), P),
                               rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(loss.hvp(P, Y, R, w),
                               fd_hvp(lambda Q: loss.grad(Q, Y, w), P, R), rtol=1e-7, atol=1e-10)
    assert np.isfinite(loss.value(np.full((1, 1), 1e300), np.zeros((1, 1))))   # no overflow


def test_the_network_repr_names_the_custom_layer(net):
    assert "BiasFreeLinear/tanh" in repr(net)


def test_armijo_descent_finds_a_quadratic_minimum_and_keeps_its_step():
    A = np.diag([1.0, 2.0, 4.0])
    b = np.array([1.0, -2.0, 3.0])
    opt = custom.ArmijoDescent(max_iter=500, gtol=1e-10)
    res = opt.minimize(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(3))
    assert res.success and res.status == bn.optim.Status.GTOL, res
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), rtol=1e-8)
    assert res.message.startswith("converged: ||grad f||_inf")
    twin = opt.clone()
    assert twin.get_params() == opt.get_params() and twin.step == 1.0
    twin.load_state_dict({"optimizer": "ArmijoDescent", "step": 0.125})
    assert twin.state_dict() == {"optimizer": "ArmijoDescent", "step": 0.125}
    twin.reset()
    assert twin.step == 1.0


def test_stale_or_sensitive_follows_its_rule_and_saves_its_state():
    X, Y, _ = data(4)
    net = custom.network(3, 5, 2, seed=0)
    sens = bn.sensitivity(net, X, Y)
    scores = [sens.group_score(l, l) for l in range(3)]
    selector = custom.StaleOrSensitive(patience=1)
    rng = np.random.default_rng(0)
    first = selector.select(sens, 0, rng)
    assert first.first == int(np.argmax(scores)) and first.record["why"] == "most sensitive"
    stale = selector.select(sens, 2, rng)          # the other layers last trained "at -1"
    assert stale.record["why"] == "stale" and stale.first != first.first
    twin = custom.StaleOrSensitive(patience=1)
    twin.load_state_dict(selector.state_dict())
    assert twin.last_trained == selector.last_trained
    assert repr(twin) == "StaleOrSensitive(patience=1, epsilon=0.0)"


def test_all_four_train_together_in_a_trainer():
    X, Y, _ = data(5, n=200)
    Y[::20] += 8.0
    net = custom.network(3, 8, 2, seed=0)
    start = net.loss_value(X, Y)
    result = bn.Trainer(custom.ArmijoDescent(max_iter=20), custom.StaleOrSensitive(patience=2),
                        max_iter=24, tol=0, progress=False).fit(net, X, Y)
    assert result.n_iter == 24
    assert net.loss_value(X, Y) < 0.6 * start
    assert set(result.history["block"].dropna()) == {"hidden 1", "hidden 2", "output"}
    assert np.all(np.diff(result.history["train_loss"].to_numpy()) <= 1e-12)   # never worse


def test_the_example_script_runs():
    custom.main()
