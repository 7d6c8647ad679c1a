"""BCDRegressor as a scikit-learn citizen: model selection, clone, errors, random_state,
and import isolation (scikit-learn never imported by ``import bcdnet``)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import bcdnet as bn

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402


def smooth(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 3)) * [1, 10, 100]
    y = np.sin(X[:, 0]) + X[:, 1] / 10 - (X[:, 2] / 100) ** 2 + 0.05 * rng.normal(size=n)
    return X, y


def run_python(code: str) -> str:
    # a bare interpreter: the strict test backend exists only where tests/conftest.py runs
    env = {k: v for k, v in os.environ.items() if k != "BCDNET_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_bcdnet_never_imports_sklearn():
    code = ("import sys, numpy as np, bcdnet as bn\n"
            "X = np.random.default_rng(0).normal(size=(30, 2))\n"
            "est = bn.BCDRegressor(hidden=(3,), max_iter=2).fit(X, X.sum(axis=1))\n"
            "repr(est), est.score(X, X.sum(axis=1))\n"
            "print('sklearn' in sys.modules)")
    assert run_python(code) == "False"


def test_not_fitted_error_without_sklearn_is_a_value_and_attribute_error():
    code = ("import sys; sys.modules['sklearn'] = None\n"      # makes `import sklearn` fail
            "import bcdnet as bn\n"
            "try:\n    bn.BCDRegressor().predict([[1.0]])\n"
            "except bn.NotFittedError as exc:\n"
            "    print(isinstance(exc, ValueError) and isinstance(exc, AttributeError))")
    assert run_python(code) == "True"


def test_not_fitted_error_is_sklearns():
    assert issubclass(bn.NotFittedError, SklearnNotFittedError)
    assert bn.NotFittedError is bn.estimator.NotFittedError
    est = bn.BCDRegressor()
    with pytest.raises(SklearnNotFittedError, match="not fitted yet"):
        est.predict(np.ones((2, 3)))
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(est)
    X, y = smooth(40)
    check_is_fitted(est.set_params(max_iter=2).fit(X, y))


def test_pipeline_in_grid_search_and_parallel_cross_validation_give_finite_scores():
    X, y = smooth()
    pipe = Pipeline([("scale", StandardScaler()), ("bcd", bn.BCDRegressor())])
    search = GridSearchCV(pipe, {"bcd__max_iter": [5, 20]}, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.isfinite(scores).all(), scores
    assert search.best_params_["bcd__max_iter"] in (5, 20)
    assert np.isfinite(search.score(X, y))
    # Estimators pickled to two worker processes.  The strict lane's test backend is
    # registered by tests/conftest.py, which worker processes never run: one job there.
    n_jobs = 1 if os.environ.get("BCDNET_BACKEND") == "strict" else 2
    scores = cross_val_score(pipe, X, y, cv=3, n_jobs=n_jobs)
    assert scores.shape == (3,) and np.isfinite(scores).all() and scores.min() > 0.5, scores


def test_clone_keeps_optimizer_and_selector_settings():
    est = bn.BCDRegressor(optimizer=bn.optim.LBFGS(history_size=7),
                          selector=bn.selection.Bisection(explore=0.3), hidden=(4, 4))
    twin = clone(est)
    assert twin.optimizer is not est.optimizer and twin.selector is not est.selector
    assert type(twin.optimizer) is bn.optim.LBFGS and twin.optimizer.history_size == 7
    assert type(twin.selector) is bn.selection.Bisection and twin.selector.explore == 0.3
    assert twin.hidden == (4, 4)
    deep = est.get_params(deep=True)
    assert deep["optimizer__history_size"] == 7 and deep["selector__explore"] == 0.3
    est.set_params(optimizer__history_size=9, max_iter=3)
    assert est.optimizer.history_size == 9 and est.max_iter == 3
    with pytest.raises(ValueError, match="unknown parameter 'optimiser'"):
        est.set_params(optimiser__history_size=3)
    with pytest.raises(ValueError, match="optimizer is 'lbfgs', which has no parameters"):
        bn.BCDRegressor().set_params(optimizer__history_size=3)


@pytest.mark.parametrize("make_state", [
    lambda: None, lambda: 3, lambda: np.random.default_rng(3), lambda: np.random.RandomState(3),
    lambda: np.int64(3)])
def test_random_state_takes_what_sklearn_users_pass(make_state):
    X, y = smooth(60)
    a = bn.BCDRegressor(hidden=(4,), max_iter=3, random_state=make_state()).fit(X, y)
    b = bn.BCDRegressor(hidden=(4,), max_iter=3, random_state=make_state()).fit(X, y)
    assert np.isfinite(a.predict(X)).all()
    if make_state() is not None:      # the same seed, fresh each time: the same fit
        np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_a_generator_is_advanced_by_each_fit():
    X, y = smooth(60)
    est = bn.BCDRegressor(hidden=(4,), max_iter=3, random_state=np.random.default_rng(0))
    first = est.fit(X, y).predict(X)
    assert not np.array_equal(first, est.fit(X, y).predict(X))
