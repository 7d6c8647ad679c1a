"""Minimal reproductions of the bugs the boundary suite found in code owned elsewhere.

An open bug is a strict xfail naming the file, the input and the exception: it passes once
its bug is fixed, which strict xfail reports as a failure, so the mark and the matching entry
of ``KNOWN_BUGS`` in boundary_strategies.py can then go.  The test stays, as the guard of the
fix ("was a known bug"), asserting the documented outcome: the exact value, or the refusal
with its message.
"""

import warnings

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.datasets import Standardizer, load_ccpp, make_cstr
from boundary_strategies import huge_data


def without_warnings(fn, *args, **kwargs):
    """Call ``fn`` with RuntimeWarnings as errors (a warning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args, **kwargs)


def test_complex_data_is_refused(net):      # was a known bug: cast to real with a warning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match="X"):
            net.predict(np.full((2, 3), 1 + 5j))


# was a known bug: check_sample_weight summed weights near 1e308 (RuntimeWarning, E = nan).
# Weights are normalised by their largest (MSE, r2_score), so equal huge weights give the
# unweighted values.
def test_sample_weights_whose_sum_overflows(net):
    X, Y = huge_data("none")
    f, g = without_warnings(net.loss_grad, X[:5], Y[:5], np.full(5, 1e308))
    f0, g0 = net.loss_grad(X[:5], Y[:5])
    assert f == pytest.approx(f0, rel=1e-12)
    np.testing.assert_allclose(g, g0, rtol=1e-12)
    r2 = without_warnings(bn.metrics.r2_score, Y[:5, 0], X[:5, 0], np.full(5, 1e308))
    assert r2 == pytest.approx(bn.metrics.r2_score(Y[:5, 0], X[:5, 0]), rel=1e-12)


# was a known bug: MSE._scale gave c = 2/(m*sum w) = inf, so E = inf and a NaN gradient
def test_tiny_sample_weights_give_the_unweighted_loss(net):
    X, Y = huge_data("none")
    f, g = without_warnings(net.loss_grad, X[:5], Y[:5], np.full(5, 5e-324))
    f0, g0 = net.loss_grad(X[:5], Y[:5])
    assert f == pytest.approx(f0, rel=1e-12)
    np.testing.assert_allclose(g, g0, rtol=1e-12)


# was a known bug: Standardizer.fit's mean/std of values near 1e308 overflowed to inf.
# The mean and the spread are computed without overflow: [1e308, -1e308] has mean 0 and
# standard deviation 1e308; a constant column has scale 1 (nothing to divide by).
@pytest.mark.parametrize("column, mean, scale", [([1e308, -1e308], 0.0, 1e308),
                                                 ([1e308, 1e308], 1e308, 1.0)])
def test_standardizer_near_1e308(column, mean, scale):
    scaler = without_warnings(Standardizer().fit, np.array(column)[:, None])
    np.testing.assert_allclose(scaler.mean_, [mean], rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, [scale], rtol=1e-12)


# was a known bug: predict overflowed in _linear (Xs @ linear_coef_) and gave inf; now refused
def test_regressor_predict_near_1e308(fitted):
    with pytest.raises(ValueError, match="X must keep the predictions finite"):
        without_warnings(fitted.predict, np.full((4, 3), 1.3e308))


# was a known bug: Sensitivity.group_score's g @ g overflowed for sensitivities near 1e299.
# Documented (bcdnet.sensitivity): S_2 stays finite, an S_1 beyond float64 is inf, no warning.
def test_group_score_near_1e300(net):
    X, Y = huge_data("Y")
    s = without_warnings(bn.sensitivity, net, X, Y)
    assert 1e290 < s.max_abs() < np.inf
    assert without_warnings(s.group_score, 0, 0, order=1) == np.inf
    assert 0.0 < without_warnings(s.group_score, 0, 0, order=2) < np.inf


# was a known bug: make_cstr's noise * std overflowed for noise=1e308, giving inf targets
def test_make_cstr_noise_near_1e308():
    with pytest.raises(ValueError, match="noise must keep the noisy targets finite"):
        without_warnings(make_cstr, 16, noise=1e308)


# was a known bug: OverflowError from math.ceil.  A shell larger than the data means no
# shell: every iteration trains on all rows.
def test_huge_shell_factor_fits(net):
    X = np.random.default_rng(0).normal(size=(6, 3))
    trainer = bn.Trainer("lbfgs", "all", max_iter=1, shell_factor=1e308, batch_shell=True,
                         progress=False)
    result = without_warnings(trainer.fit, net.copy(), X, X[:, :2])
    assert result.n_iter == 1
    assert result.history["n_rows"].tolist() == [6, 6]
    assert result.history["train_loss"].iloc[-1] <= result.history["train_loss"].iloc[0]


# was a known bug: get_data_home let Path.expanduser's RuntimeError out for '~nosuchuser'
def test_data_home_of_an_unknown_user():
    with pytest.raises((ValueError, OSError)):
        load_ccpp(data_home="~nosuchuser_bcdnet", download_if_missing=False)
