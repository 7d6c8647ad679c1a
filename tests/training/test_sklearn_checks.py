"""scikit-learn's own estimator checks on BCDRegressor (skipped without scikit-learn)."""

import warnings

import pytest

sklearn_checks = pytest.importorskip("sklearn.utils.estimator_checks")

import bcdnet as bn  # noqa: E402

# Every check passes; none is listed as an expected failure.
EXPECTED_FAILED_CHECKS = {}


with warnings.catch_warnings():    # "does not inherit from BaseEstimator": by design
    warnings.simplefilter("ignore", UserWarning)
    checks = sklearn_checks.parametrize_with_checks(
        [bn.BCDRegressor(), bn.BCDRegressor(validation_fraction=0)],
        expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)


@checks
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
