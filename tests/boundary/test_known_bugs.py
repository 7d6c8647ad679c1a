"""Minimal reproductions of the bugs the boundary suite found in code owned elsewhere.

An open bug is a strict xfail naming the file, the input and the exception: it passes once
its bug is fixed, which strict xfail reports as a failure, so the mark and the matching entry
of ``KNOWN_BUGS`` in boundary_strategies.py can then go.  The test stays, as the guard of the
fix ("was a known bug").
"""

import warnings

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.datasets import Standardizer, load_ccpp, make_cstr
from boundary_strategies import huge_data


def no_warning_or_value_error(fn, *args, **kwargs):
    """Call ``fn`` with RuntimeWarnings as errors; a ValueError counts as a clean refusal."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return fn(*args, **kwargs)
        except ValueError:
            return None


def test_complex_data_is_refused(net):      # was a known bug: cast to real with a warning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match="X"):
            net.predict(np.full((2, 3), 1 + 5j))


# was a known bug: check_sample_weight summed weights near 1e308 (RuntimeWarning, E = nan)
def test_sample_weights_whose_sum_overflows(net):
    X, Y = huge_data("none")
    out = no_warning_or_value_error(net.loss_grad, X[:5], Y[:5], np.full(5, 1e308))
    assert out is None or np.isclose(out[0], net.loss_grad(X[:5], Y[:5])[0])
    r2 = no_warning_or_value_error(bn.metrics.r2_score, Y[:5, 0], X[:5, 0], np.full(5, 1e308))
    assert r2 is None or np.isclose(r2, bn.metrics.r2_score(Y[:5, 0], X[:5, 0]))


# was a known bug: MSE._scale gave c = 2/(m*sum w) = inf, so E = inf and a NaN gradient
def test_tiny_sample_weights_give_the_unweighted_loss(net):
    X, Y = huge_data("none")
    out = no_warning_or_value_error(net.loss_grad, X[:5], Y[:5], np.full(5, 5e-324))
    assert out is None or np.isclose(out[0], net.loss_grad(X[:5], Y[:5])[0])


# was a known bug: Standardizer.fit's mean/std of values near 1e308 overflowed to inf
@pytest.mark.parametrize("column", [[1e308, -1e308], [1e308, 1e308]])
def test_standardizer_near_1e308(column):
    scaler = no_warning_or_value_error(Standardizer().fit, np.array(column)[:, None])
    assert scaler is None or np.isfinite([scaler.mean_, scaler.scale_]).all()


# was a known bug: predict overflowed in _linear (Xs @ linear_coef_) and gave inf
def test_regressor_predict_near_1e308(fitted):
    y = no_warning_or_value_error(fitted.predict, np.full((4, 3), 1.3e308))
    assert y is None or np.isfinite(y).all()


# was a known bug: Sensitivity.group_score's g @ g overflowed for sensitivities near 1e299
def test_group_score_near_1e300(net):
    X, Y = huge_data("Y")
    s = no_warning_or_value_error(bn.sensitivity, net, X, Y)
    assert s is None or no_warning_or_value_error(s.group_score, 0, 0) is not None


# was a known bug: make_cstr's noise * std overflowed for noise=1e308, giving inf targets
def test_make_cstr_noise_near_1e308():
    dataset = no_warning_or_value_error(make_cstr, 16, noise=1e308)
    assert dataset is None or np.isfinite(dataset.y.to_numpy()).all()


def test_huge_shell_factor_fits(net):      # was a known bug: OverflowError from math.ceil
    X = np.random.default_rng(0).normal(size=(6, 3))
    trainer = bn.Trainer("lbfgs", "all", max_iter=1, shell_factor=1e308, progress=False)
    no_warning_or_value_error(trainer.fit, net.copy(), X, X[:, :2])


# was a known bug: get_data_home let Path.expanduser's RuntimeError out for '~nosuchuser'
def test_data_home_of_an_unknown_user():
    with pytest.raises((ValueError, OSError)):
        load_ccpp(data_home="~nosuchuser_bcdnet", download_if_missing=False)
