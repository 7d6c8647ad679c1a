"""The strict test namespace refuses implicit NumPy conversion from library code, like CuPy."""

import os

import numpy as np
import pytest
import scipy.linalg

import bcdnet
from bcdnet import backend
from strict_namespace import ImplicitConversionError, StrictArray

xp = backend.get_namespace("strict")
LIBRARY_FILE = os.path.join(os.path.dirname(bcdnet.__file__), "_library_probe.py")


def run_as_library(source: str, **names):
    """Run ``source`` as if it were code in a bcdnet module; return its ``result``."""
    scope = {"np": np, "xp": xp, "backend": backend, "scipy": scipy, **names}
    exec(compile(source, LIBRARY_FILE, "exec"), scope)
    return scope.get("result")


@pytest.fixture
def a():
    return xp.asarray(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("source", [
    "result = np.asarray(a)",
    "result = np.tanh(a)",
    "result = np.max(a)",
    "result = a + np.ones(3)",
    "result = np.ones(3) + a",
    "a += np.ones(3)",
    "result = xp.matmul(a, np.ones(3))",
    "result = a[np.array([0, 1])]",
    "a[0] = np.zeros(3)",
    "result = scipy.linalg.norm(a)",      # SciPy frames in between are skipped
])
def test_library_code_is_refused(a, source):
    with pytest.raises(ImplicitConversionError, match="_library_probe.py:1"):
        run_as_library(source, a=a)


def test_refusal_is_a_type_error_like_cupy(a):
    with pytest.raises(TypeError, match="implicit conversion"):
        run_as_library("np.asarray(a)", a=a)


def test_explicit_moves_are_allowed_in_library_code(a):
    host = run_as_library("result = backend.to_numpy(a)", a=a)
    assert type(host) is np.ndarray and np.array_equal(host, np.arange(6.0).reshape(2, 3))
    moved = run_as_library("result = backend.asarray(np.ones(3), xp)")
    assert type(moved) is StrictArray
    assert type(run_as_library("result = a.get()", a=a)) is np.ndarray
    assert type(run_as_library("result = xp.asarray(np.ones(2))")) is StrictArray


def test_library_code_in_the_namespace_works(a):
    result = run_as_library("result = float(xp.tanh(a).sum() + (a @ a.T).max())", a=a)
    assert result == pytest.approx(np.tanh(np.arange(6.0)).sum() + 50.0)


def test_tests_may_convert(a):
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3))
    assert type(np.asarray(a)) is np.ndarray
    assert type(a + np.ones(3)) is StrictArray
    assert np.max(a) == 5.0


def test_results_are_strict_and_reductions_are_0d(a):
    total = a.sum()
    assert type(total) is StrictArray and total.ndim == 0
    assert float(total) == 15.0 and int(a[1, 2]) == 5 and bool(a[0, 1])
    assert type(a @ xp.ones(3)) is StrictArray
    assert type(xp.vdot(a, a)) is StrictArray
    with pytest.raises(TypeError, match="one element"):
        float(a)


def test_out_returns_the_same_object(a):
    out = xp.empty((2, 3))
    assert xp.multiply(a, 2.0, out=out) is out
    np.testing.assert_array_equal(out, 2 * np.arange(6.0).reshape(2, 3))


def test_views_share_memory(a):
    row = a[1]
    row[...] = 0.0
    a.reshape(-1)[0] = 7.0
    a.T[2, 0] = 9.0
    np.testing.assert_array_equal(a, [[7.0, 1.0, 9.0], [0.0, 0.0, 0.0]])


def test_len_iteration_and_methods(a):
    assert len(a) == 2 and [float(v) for v in a[0]] == [0.0, 1.0, 2.0]
    assert a.ravel().shape == (6,) and a.astype(np.float32).dtype == np.float32
    assert a.max().item() == 5.0 and float(a[0].dot(a[1])) == 14.0
    b = a.copy()
    b.fill(1.0)
    assert float(a.sum()) == 15.0 and float(b.sum()) == 6.0


def test_no_random_in_the_namespace():
    with pytest.raises(AttributeError, match="on the host"):
        xp.random


def test_not_an_ndarray_subclass(a):
    assert not isinstance(a, np.ndarray)
    assert xp.ndarray is StrictArray and isinstance(a, xp.ndarray)
