"""Identity 1 gives the sensitivities free after a whole-network gradient."""

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.sensitivity import sensitivity_from_gradient


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_backward_pass(activation, seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    w = rng.uniform(0.5, 2.0, size=50)
    net = bn.Network.mlp([3, 6, 5, 2], activation=activation, seed=seed)
    net.params = net.params + 0.3 * rng.normal(size=net.n_params)   # biases not zero
    loss, grad = net.loss_grad(X, Y, w)
    free = sensitivity_from_gradient(net, *net._check_data(X, Y, w), loss, grad)
    pass_ = bn.sensitivity(net, X, Y, w)
    assert free.method == "identity" and free.loss == loss
    np.testing.assert_allclose(free.values, pass_.values, rtol=1e-9,
                               atol=1e-12 * float(abs(pass_.values).max()))


def test_declines_where_the_identity_does_not_hold():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    net = bn.Network.mlp([3, 4, 1], output_activation="tanh", seed=0)
    loss, grad = net.loss_grad(X, Y)
    assert sensitivity_from_gradient(net, *net._check_data(X, Y), loss, grad) is None
    net = bn.Network.mlp([3, 4, 1], seed=0)
    net.scales = net.scales * 1.5                # the identity holds at alpha = 1 only
    loss, grad = net.loss_grad(X, Y)
    assert sensitivity_from_gradient(net, *net._check_data(X, Y), loss, grad) is None


def test_the_trainer_uses_them_after_a_whole_network_visit():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(80, 3)), rng.normal(size=(80, 2))
    net = bn.Network.mlp([3, 5, 5, 2], seed=0)
    seen = []

    class Spy(bn.hybrid.PaperBHybrid):
        def _select(self, sens, n_layers, iteration, rng):
            seen.append((sens.method, sens.values.copy(), net.params.copy()))
            return super()._select(sens, n_layers, iteration, rng)

    bn.Trainer(bn.optim.LBFGS(max_iter=5), Spy(), max_iter=6, tol=0,
               sensitivity_tol=None).fit(net, X, Y)
    assert [m for m, _, _ in seen] == ["ad", "identity", "ad", "identity", "ad", "identity"]
    for method, values, params in seen:
        probe = bn.Network.mlp([3, 5, 5, 2], seed=0)
        probe.params = params
        np.testing.assert_allclose(values, bn.sensitivity(probe, X, Y).values, rtol=1e-8,
                                   atol=1e-12)
