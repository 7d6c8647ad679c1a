"""Neuron sensitivities and group scores against independent computations.

- ``method="ad"`` equals ``method="fd"`` and a central difference written here (α changed
  through the public ``net.scales`` and the loss read by ``net.loss_value``), ≤ 1e-6
  relative, on hypothesis-drawn networks of every activation; "fd" restores α bit for bit.
- The second-order score equals the trust-region Cauchy decrease found by minimising the
  quadratic model numerically (scipy's bounded Brent) with the *dense* α-Hessian built column
  by column from central differences of ``net.scales_grad``, never from our HVP.  The three
  cases (interior τ < 1, boundary τ = 1, negative curvature κ ≤ 0) are each forced and
  asserted from the brute-force quantities.  The Gauss–Newton version is checked against the
  Hessian at zero residuals (targets equal to the predictions), which is the GN matrix.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import bcdnet as bn
from bcdnet.sensitivity import Sensitivity, sensitivity
from bcdnet.testing import fd_gradient, fd_hvp
from network_strategies import ACTIVATION_NAMES, kink_free, problems

SETTINGS = settings(max_examples=30)


# ----------------------------------------------------------------------------- helpers
def fd_sensitivities(net, X, Y, w, h=1e-5):
    """Central differences of ``net.loss_value`` in each α, through the public setter."""
    alpha = net.scales.copy()

    def loss_at(trial):
        net.scales = trial
        return net.loss_value(X, Y, w)
    s = fd_gradient(loss_at, alpha, h)
    net.scales = alpha
    return s


def dense_scales_hessian(net, X, Y, w, eps=1e-5):
    """The α-Hessian, column i = central difference of ``scales_grad`` along e_i; symmetrised."""
    alpha = net.scales.copy()

    def grad_at(trial):
        net.scales = trial
        return net.scales_grad(X, Y, w)[1]
    H = np.column_stack([fd_hvp(grad_at, alpha, e, eps) for e in np.eye(alpha.size)])
    net.scales = alpha
    return 0.5 * (H + H.T)


def brute_cauchy(g, H, radius):
    """Minimise m(p) = gᵀp + ½pᵀHp over p = -t g/||g||, 0 <= t <= radius, numerically.

    Returns ``(decrease, t_star)``: ``-min m`` and where it is attained.
    """
    direction = -g / np.linalg.norm(g)

    def model(t):
        p = t * direction
        return float(g @ p + 0.5 * p @ H @ p)

    res = minimize_scalar(model, bounds=(0.0, radius), method="bounded",
                          options={"xatol": 1e-13 * radius})
    value, t_star = min((model(t), t) for t in (0.0, float(res.x), radius))
    return -value, t_star


def group_part(net, first, last):
    return slice(net.scale_slices[first].start, net.scale_slices[last].stop)


def relative_error(expected, actual, floor):
    scale = max(np.abs(expected).max(), np.abs(actual).max(), floor)
    return float(np.abs(expected - actual).max() / scale)


# ----------------------------------------------------------------------------- first order
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@SETTINGS
@given(data=st.data())
def test_ad_matches_fd_mode_and_independent_differences(activation, data):
    net, X, Y, w = data.draw(problems(activation, max_layers=5, max_width=8, max_samples=40))
    assume(kink_free(net, X, activation))
    params, alpha = net.params.copy(), net.scales.copy()
    ad = sensitivity(net, X, Y, w)
    fd = sensitivity(net, X, Y, w, method="fd")
    assert np.array_equal(net.scales, alpha), "fd mode must restore alpha exactly"
    assert np.array_equal(net.params, params)
    independent = fd_sensitivities(net, X, Y, w)
    # central differences resolve |s| only down to about eps_mach |E| / h: floor at 1e-3 |E|
    floor = max(1e-3 * abs(ad.loss), 1e-12)
    err_fd = relative_error(fd.values, ad.values, floor)
    err_ind = relative_error(independent, ad.values, floor)
    assert err_fd <= 1e-6, f"ad {ad.values} vs fd {fd.values}: {err_fd:.2e}"
    assert err_ind <= 1e-6, f"ad {ad.values} vs independent {independent}: {err_ind:.2e}"
    assert relative_error(independent, fd.values, floor) <= 1e-8
    assert fd.loss == pytest.approx(net.loss_value(X, Y, w), rel=1e-14)


def test_object_layout_loss_and_max_abs():
    for seed in range(100):           # a point whose largest |s| belongs to a negative s
        net = bn.Network.mlp([3, 4, 5, 2], seed=seed)
        rng = np.random.default_rng(seed)
        X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
        _, s = net.scales_grad(X, Y)
        if s[np.argmax(np.abs(s))] < 0:
            break
    assert s[np.argmax(np.abs(s))] < 0
    sens = sensitivity(net, X, Y)
    assert isinstance(sens, Sensitivity) and sens.n_layers == 3 and sens.method == "ad"
    np.testing.assert_array_equal(sens.values, s)
    assert [b.shape for b in sens.by_layer] == [(4,), (5,), (2,)]
    for l, part in enumerate(sens.by_layer):
        assert np.shares_memory(part, sens.values)
        np.testing.assert_array_equal(part, s[net.scale_slices[l]])
    assert sens.loss == net.loss_value(X, Y)
    assert sens.max_abs() == np.abs(s).max()
    assert "n_layers=3" in repr(sens)


def test_first_order_scores_are_mean_squared_sensitivities():
    net = bn.Network.mlp([2, 3, 6, 4, 1], seed=5)
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(25, 2)), rng.normal(size=(25, 1))
    s = fd_sensitivities(net, X, Y, None)
    sens = sensitivity(net, X, Y)
    expected = [np.mean(s[net.scale_slices[l]] ** 2) for l in range(4)]
    np.testing.assert_allclose(sens.layer_scores(order=1), expected, rtol=1e-6)
    whole = np.sum(s ** 2) / s.size
    assert sens.group_score(0, 3) == pytest.approx(whole, rel=1e-6)
    assert sens.group_score(1, 2) == pytest.approx(np.mean(s[3:13] ** 2), rel=1e-6)
    assert sens.n_hvp == 0


# ----------------------------------------------------------------------------- second order
def _problem(activation, seed, sizes=(3, 4, 3, 2), n=20, weights=True):
    rng = np.random.default_rng(seed)
    net = bn.Network.mlp(list(sizes), activation=activation, seed=seed)
    X = rng.normal(size=(n, sizes[0]))
    Y = 2.0 * rng.normal(size=(n, sizes[-1]))
    w = rng.uniform(0.2, 2.0, n) if weights else None
    return net, X, Y, w


def _check_case(net, X, Y, w, first, last, radius_factor, case, gauss_newton=False):
    """Force a case through the radius, assert it from brute-force quantities, compare S2."""
    part = group_part(net, first, last)
    g = fd_sensitivities(net, X, Y, w)[part]
    Y_h = net.predict(X) if gauss_newton else Y       # GN matrix = Hessian at zero residuals
    H = dense_scales_hessian(net, X, Y_h, w)[part, part]
    gnorm = np.linalg.norm(g)
    kappa = float(g @ H @ g)
    if case == "negative":
        assert kappa < -1e-6 * gnorm ** 2 * np.abs(H).max(), f"kappa = {kappa}"
        radius = radius_factor
    else:
        assert kappa > 0, f"kappa = {kappa}"
        radius = radius_factor * gnorm ** 3 / kappa
    decrease, t_star = brute_cauchy(g, H, radius)
    if case == "interior":
        assert t_star < 0.5 * radius, (t_star, radius)
    else:
        assert t_star == radius, (t_star, radius)
    sens = sensitivity(net, X, Y, w)
    score = sens.group_score(first, last, order=2, trust_radius=radius, gauss_newton=gauss_newton)
    assert score == pytest.approx(decrease / g.size, rel=1e-6), (score, decrease / g.size)
    assert sens.n_hvp == 1
    return score


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("case, radius_factor", [("interior", 10.0), ("boundary", 0.1)])
@pytest.mark.parametrize("group", [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)])
def test_second_order_score_matches_dense_hessian(activation, case, radius_factor, group):
    net, X, Y, w = _problem(activation, seed=11)
    _check_case(net, X, Y, w, *group, radius_factor, case)


def _first_negative_curvature_problem():
    """Search seeds for a layer whose brute-force κ = gᵀHg is clearly negative."""
    for seed in range(200):
        net, X, Y, w = _problem("tanh", seed, sizes=(2, 3, 3, 1), n=15)
        H = dense_scales_hessian(net, X, Y, w)
        g = fd_sensitivities(net, X, Y, w)
        for l in range(3):
            part = group_part(net, l, l)
            gl, Hl = g[part], H[part, part]
            if gl @ Hl @ gl < -1e-2 * (gl @ gl) * np.abs(Hl).max():
                return net, X, Y, w, l
    raise AssertionError("no negative-curvature layer among 200 seeds")


@pytest.mark.parametrize("radius", [1e-3, 1e-1, 3.0])
def test_second_order_score_with_negative_curvature(radius):
    net, X, Y, w, layer = _first_negative_curvature_problem()
    score = _check_case(net, X, Y, w, layer, layer, radius, "negative")
    g = fd_sensitivities(net, X, Y, w)[group_part(net, layer, layer)]
    # with kappa <= 0 the step goes to the boundary and gains more than the linear model
    assert score * g.size > radius * np.linalg.norm(g)


@pytest.mark.parametrize("case, radius_factor", [("interior", 10.0), ("boundary", 0.1)])
def test_second_order_gauss_newton_matches_zero_residual_hessian(case, radius_factor):
    net, X, Y, w, layer = _first_negative_curvature_problem()
    # the exact curvature of this layer is negative; the Gauss–Newton one is not
    _check_case(net, X, Y, w, layer, layer, radius_factor, case, gauss_newton=True)


def test_second_order_score_is_zero_for_zero_sensitivities():
    net = bn.Network.mlp([2, 4, 3, 1], seed=2)
    net.layers[1].W[...] = 0.0           # Identity 1: layer 0's sensitivities vanish at α = 1
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(10, 2)), rng.normal(size=(10, 1))
    sens = sensitivity(net, X, Y)
    assert np.all(sens.by_layer[0] == 0.0)
    assert sens.group_score(0, 0, order=2) == 0.0 and sens.group_score(0, 0) == 0.0
    assert sens.n_hvp == 0


def test_curvature_is_memoised_per_group_and_matrix():
    net, X, Y, w = _problem("tanh", seed=4)
    sens = sensitivity(net, X, Y, w)
    first = sens.group_score(0, 1, order=2)
    assert sens.group_score(0, 1, order=2) == first and sens.n_hvp == 1
    sens.group_score(0, 1, order=2, trust_radius=0.5)          # same kappa, another radius
    assert sens.n_hvp == 1
    sens.group_score(0, 1, order=2, gauss_newton=True)
    sens.group_score(1, 1, order=2)
    assert sens.n_hvp == 3
    sens.layer_scores(order=2)                                   # (1, 1) already known
    assert sens.n_hvp == 5


def test_stale_object_refuses_new_second_order_scores():
    net, X, Y, w = _problem("tanh", seed=6)
    sens = sensitivity(net, X, Y, w)
    known = sens.group_score(0, 0, order=2)
    net.params = net.params + 1e-3
    assert sens.group_score(0, 0, order=2) == known             # memoised: this point's value
    with pytest.raises(RuntimeError, match="stale"):
        sens.group_score(1, 1, order=2)


def test_boundary_cauchy_decrease_formula_at_large_kappa_has_no_overflow():
    from bcdnet.sensitivity import _cauchy_decrease

    # arguments: ||g||, the curvature along g (kappa / ||g||^2), the radius
    # tiny gradient, huge positive curvature: interior; huge negative: boundary, finite
    assert math.isfinite(_cauchy_decrease(1e-150, 1e300, 1e-3))
    assert math.isfinite(_cauchy_decrease(1e-150, math.inf, 1e-3))
    assert _cauchy_decrease(1.0, -1e300, 1e-3) > 0
    # a gradient near 1e300 (kappa would be near 1e600): both cases finite
    assert math.isfinite(_cauchy_decrease(1e300, 1e300, 1e-3))
    assert math.isfinite(_cauchy_decrease(1e300, 1.0, 1e-3))


def test_scores_of_sensitivities_near_1e300_do_not_overflow():
    net, X, Y, w = _problem("tanh", seed=4)
    sens = sensitivity(net, X, Y * 1e300, w)
    assert 1e290 < sens.max_abs() < 1e305
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert sens.layer_scores(order=1).tolist() == [math.inf] * sens.n_layers
        second = sens.layer_scores(order=2)
    assert np.isfinite(second).all() and (second > 0).all()


# ----------------------------------------------------------------------------- bad input
@pytest.fixture
def small():
    net = bn.Network.mlp([2, 3, 1], seed=0)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(5, 2)), rng.normal(size=(5, 1))


def test_unknown_method_lists_valid_names(small):
    with pytest.raises(ValueError, match=r"method.*'ad', 'fd'"):
        sensitivity(*small, method="complex_step")


def test_nonpositive_step_h_is_refused(small):
    with pytest.raises(ValueError, match="h must be positive"):
        sensitivity(*small, method="fd", h=0.0)


def test_nonpositive_trust_radius_is_refused(small):
    sens = sensitivity(*small)
    with pytest.raises(ValueError, match="trust_radius must be positive"):
        sens.group_score(0, 1, order=2, trust_radius=-1e-3)


@pytest.mark.parametrize("order", [0, 3, 1.5, True])
def test_order_outside_one_two_is_refused(small, order):
    sens = sensitivity(*small)
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        sens.layer_scores(order=order)


def test_group_bounds_are_checked(small):
    sens = sensitivity(*small)
    with pytest.raises(ValueError, match="last must be below the number of layers"):
        sens.group_score(0, 2)
    with pytest.raises(ValueError, match="last must be at least 1"):
        sens.group_score(1, 0)


def test_bad_network_and_data_are_refused(small):
    net, X, Y = small
    with pytest.raises(TypeError, match="net must be a Network"):
        sensitivity("net", X, Y)
    with pytest.raises(ValueError, match="X must have 2 columns"):
        sensitivity(net, X[:, :1], Y)
    with pytest.raises(ValueError, match="Y must be finite"):
        sensitivity(net, X, np.full_like(Y, np.nan))
