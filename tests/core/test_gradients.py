"""Gradients in params and in scales against float64 central differences, all activations.

Architectures are drawn by hypothesis: 1-6 layers, widths 1-12, 1-3 outputs, 1-50 samples,
with and without sample weights, α at 1 or random around 1.  The tolerance, 1e-7 relative
to the largest gradient entry, is about a thousand times the finite-difference error and
far below what a sign error or a missing term produces (see test_checker_catches_*).
"""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bcdnet.testing import check_grad
from network_strategies import ACTIVATION_NAMES, at_point, kink_free, problems

SETTINGS = settings(max_examples=25)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@SETTINGS
@given(data=st.data())
def test_params_gradient_matches_central_differences(activation, data):
    net, X, Y, w = data.draw(problems(activation))
    assume(kink_free(net, X, activation))
    check_grad(at_point(net, X, Y, w)[0], net.params.copy(), tol=1e-7).raise_if_failed()


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@SETTINGS
@given(data=st.data())
def test_scales_gradient_matches_central_differences(activation, data):
    net, X, Y, w = data.draw(problems(activation))
    assume(kink_free(net, X, activation))
    check_grad(at_point(net, X, Y, w, "scales")[0], net.scales.copy(), tol=1e-7).raise_if_failed()


def test_checker_catches_a_sign_error():
    import bcdnet as bn
    import numpy as np

    rng = np.random.default_rng(0)
    net = bn.Network.mlp([3, 4, 2], seed=0)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))

    def wrong(p):
        f, g = at_point(net, X, Y)[0](p)
        g = g.copy()
        g[5] = -g[5]
        return f, g

    report = check_grad(wrong, net.params.copy())
    assert not report.passed
    assert report.worst[0][0] == 5
    with pytest.raises(AssertionError, match="worst coordinates"):
        report.raise_if_failed()


def test_checker_catches_a_missing_bias_term():
    import bcdnet as bn
    import numpy as np

    rng = np.random.default_rng(1)
    net = bn.Network.mlp([3, 4, 2], seed=1)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))

    def without_bias_grad(p):
        f, g = at_point(net, X, Y)[0](p)
        g = g.copy()
        g[net.param_slices[0]][-4:] = 0.0   # drop layer 1's bias gradient
        return f, g

    assert not check_grad(without_bias_grad, net.params.copy()).passed
