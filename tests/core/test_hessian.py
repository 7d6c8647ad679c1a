"""Hessian- and Gauss–Newton-vector products against central differences of the gradient.

- ``hvp`` equals the central difference of ``loss_grad`` along v (≤ 1e-6 relative) and the
  Hessian is symmetric, uᵀHv = vᵀHu (≤ 1e-10 relative).
- ``gnvp`` is checked independently: the Gauss–Newton matrix is the Hessian of the loss whose
  targets are the current predictions (residuals zero), so it equals the central difference
  of *that* gradient.  It is PSD on random directions.
- With no hidden layer the network is linear in its parameters, so H = G exactly.
- The same in α space (``scales_hvp``), the product used by the second-order scores.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bcdnet as bn
from bcdnet.testing import check_hvp
from network_strategies import ACTIVATION_NAMES, at_point, kink_free, problems

SETTINGS = settings(max_examples=25)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@SETTINGS
@given(data=st.data())
def test_hvp_matches_gradient_differences_and_is_symmetric(activation, data):
    net, X, Y, w = data.draw(problems(activation))
    assume(kink_free(net, X, activation))
    _, grad, hvp = at_point(net, X, Y, w)
    check_hvp(grad, hvp, net.params.copy(), tol=1e-6, eps=1e-5,
              symmetry_tol=1e-10).raise_if_failed()


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@SETTINGS
@given(data=st.data())
def test_gnvp_is_the_hessian_at_zero_residuals(activation, data):
    net, X, _, w = data.draw(problems(activation))
    assume(kink_free(net, X, activation))
    p0 = net.params.copy()
    Y0 = net.predict(X)  # targets equal to the predictions: zero residuals at p0

    def gnvp(p, v):
        net.params[:] = p
        return net.gnvp(X, Y0 + 0.0, v, w)

    check_hvp(at_point(net, X, Y0, w)[1], gnvp, p0, tol=1e-6, eps=1e-5,
              name="Gauss-Newton product").raise_if_failed()


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@SETTINGS
@given(data=st.data())
def test_gauss_newton_is_positive_semidefinite(activation, data):
    net, X, Y, w = data.draw(problems(activation))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    for _ in range(3):
        v = rng.standard_normal(net.n_params)
        assert v @ net.gnvp(X, Y, v, w) >= -1e-12 * (v @ v)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@SETTINGS
@given(data=st.data())
def test_scales_hvp_matches_scale_gradient_differences(activation, data):
    net, X, Y, w = data.draw(problems(activation))
    assume(kink_free(net, X, activation))
    _, grad, hvp = at_point(net, X, Y, w, "scales")
    check_hvp(grad, hvp, net.scales.copy(), tol=1e-6, name="α-Hessian product").raise_if_failed()


@settings(max_examples=25)
@given(n_in=st.integers(1, 8), n_out=st.integers(1, 3), n=st.integers(1, 30),
       seed=st.integers(0, 10_000))
def test_hvp_equals_gnvp_without_hidden_layers(n_in, n_out, n, seed):
    rng = np.random.default_rng(seed)
    net = bn.Network.mlp([n_in, n_out], seed=seed)
    X, Y = rng.normal(size=(n, n_in)), rng.normal(size=(n, n_out))
    v = rng.standard_normal(net.n_params)
    np.testing.assert_allclose(net.hvp(X, Y, v), net.gnvp(X, Y, v), rtol=1e-12, atol=1e-14)


def test_hvp_differs_from_gnvp_with_hidden_layers_and_residuals():
    # A check that H and G are different objects: the residual term is nonzero here.
    rng = np.random.default_rng(3)
    net = bn.Network.mlp([3, 6, 2], seed=3)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    v = rng.standard_normal(net.n_params)
    assert np.abs(net.hvp(X, Y, v) - net.gnvp(X, Y, v)).max() > 1e-3
