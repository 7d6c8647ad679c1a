"""Every optimizer, unchanged, on one block of a bcdnet network: the loss goes down."""

import numpy as np
import pytest

from bcdnet import Network
from bcdnet.optim import OPTIMIZERS, get_optimizer


def regression_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    Y = np.sin(2 * X[:, :1]) + X[:, 1:] ** 2
    return X, Y


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("block", [0, 1])
def test_lowers_the_loss_of_one_block_with_default_settings(name, block):
    X, Y = regression_data()
    net = Network.mlp([2, 8, 1], activation="tanh", seed=0)
    before = net.loss_value(X, Y)
    other = [b for b in range(len(net.blocks)) if b != block][0]
    frozen = net.params[net.blocks[other].slice].copy()
    obj = net.block_objective(block, X, Y)
    opt = get_optimizer(name, **({"seed": 0} if name == "icrs" else {}))
    fun = obj if opt.needs_gradient else obj.value
    res = opt.minimize(fun, obj.x0())
    obj.set(res.x)
    after = net.loss_value(X, Y)
    assert after < before, (name, before, after)
    assert after == pytest.approx(res.fun, rel=1e-12)
    np.testing.assert_array_equal(net.params[net.blocks[other].slice], frozen)


@pytest.mark.parametrize("name", [n for n in sorted(OPTIMIZERS)
                                  if OPTIMIZERS[n].supports_batches])
def test_mini_batches_of_rows_lower_the_full_loss(name):
    X, Y = regression_data()
    net = Network.mlp([2, 8, 1], activation="tanh", seed=0)
    before = net.loss_value(X, Y)
    obj = net.block_objective(0, X, Y)
    rng = np.random.default_rng(1)
    batches = (rng.permutation(64)[:16] for _ in range(300))
    opt = get_optimizer(name, lr=0.05)
    res = opt.minimize(obj, obj.x0(), batches=batches)
    obj.set(res.x)
    assert res.nit == 300
    assert net.loss_value(X, Y) < before


def test_revisiting_a_block_continues_from_its_state():
    X, Y = regression_data()
    net = Network.mlp([2, 8, 1], activation="tanh", seed=0)
    optimizers = [get_optimizer("lbfgs") for _ in net.blocks]    # one per block
    losses = [net.loss_value(X, Y)]
    for sweep in range(3):
        for k, opt in enumerate(optimizers):
            obj = net.block_objective(k, X, Y)
            res = opt.minimize(obj, obj.x0(), max_iter=10)
            obj.set(res.x)
            losses.append(net.loss_value(X, Y))
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 0.5 * losses[0]
