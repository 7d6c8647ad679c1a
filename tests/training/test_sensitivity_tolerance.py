"""Paper B's sensitivity tolerance (max |dE/dalpha| below 10 x the gradient tolerance) ends
runs in every mode: batch shell, end-to-end, the hybrids, coarse-to-fine, cyclic selectors."""

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.optim import LBFGS


def data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.column_stack([np.sin(X[:, 0]) + 0.3 * X[:, 1], np.cos(X[:, 2])])
    return X, Y


def test_the_sensitivity_tolerance_ends_a_batch_shell_run():
    X, Y = data()
    net = bn.Network.mlp([3, 4, 2], seed=0)
    start = bn.sensitivity(net, X, Y).max_abs()
    tol = 0.2 * start
    trainer = bn.Trainer(LBFGS(max_iter=10), "most_sensitive", batch_shell=True, max_iter=300,
                         tol=0, sensitivity_tol=tol)
    shell = int(np.ceil(1.1 * net.n_params))
    assert shell < X.shape[0]                     # really a batch-shell run
    result = trainer.fit(net, X, Y)
    assert set(result.history["n_rows"].iloc[1:]) == {shell}
    assert result.stop_reason.startswith("sensitivity tolerance")
    assert "on all rows (batch shell)" in result.stop_reason
    assert 0 < result.n_iter < 300
    final = bn.sensitivity(net, X, Y).max_abs()   # confirmed on all rows, not on one shell
    assert final < tol, (final, tol)


def test_a_shell_below_the_tolerance_does_not_stop_a_run_whose_full_data_is_above():
    X, Y = data()
    net = bn.Network.mlp([3, 4, 2], seed=0)
    tol = 1e-12                                   # no shell, no full data gets there
    result = bn.Trainer(LBFGS(max_iter=3), "most_sensitive", batch_shell=True, max_iter=5,
                        tol=0, sensitivity_tol=tol).fit(net, X, Y)
    assert result.stop_reason.startswith("max_iter")


@pytest.mark.parametrize("selector", ["all", "forward", "ping_pong", "random",
                                      "most_sensitive", "bisection", "paper_b_hybrid",
                                      "adaptive_hybrid", "coarse_to_fine"])
def test_the_sensitivity_tolerance_ends_a_run_with_every_selector(selector):
    X, Y = data(200)
    net = bn.Network.mlp([3, 4, 4, 2], seed=0)
    tol = 0.3 * bn.sensitivity(net, X, Y).max_abs()
    result = bn.Trainer(LBFGS(max_iter=10), selector, max_iter=200, tol=0,
                        sensitivity_tol=tol).fit(net, X, Y)
    assert result.stop_reason.startswith("sensitivity tolerance"), result.stop_reason
    assert bn.sensitivity(net, X, Y).max_abs() < tol


def test_auto_is_ten_times_the_projected_gradient_tolerance():
    assert bn.Trainer(LBFGS(gtol=1e-6)).sensitivity_tol == pytest.approx(1e-5)
