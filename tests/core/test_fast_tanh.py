"""The expm1-based float64 tanh and the sigmoid: relative error <= 1e-13 over the whole range."""

import contextlib
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bcdnet import _tanh
from bcdnet._tanh import tanh_exp, tanh_path
from bcdnet.activations import Sigmoid, Tanh
from bcdnet.testing import check_grad, check_hvp
from network_strategies import at_point, problems

RTOL = 1e-13


def relative_error(actual, expected):
    scale = np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    return np.abs(actual - expected) / scale


def dense_grid():
    """Every scale from subnormals to past saturation, both signs, and a fine linear grid."""
    magnitudes = np.concatenate([np.geomspace(5e-324, 1e-3, 20_001),
                                 np.geomspace(1e-3, 1e3, 200_001),
                                 np.linspace(0, 25, 250_001)])
    return np.concatenate([magnitudes, -magnitudes])


def exact_sigmoid(z):
    """1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) below: neither overflows nor cancels."""
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def test_tanh_exp_matches_numpy_on_a_dense_grid():
    z = dense_grid()
    err = relative_error(tanh_exp(z), np.tanh(z))
    assert err.max() <= RTOL, f"max relative error {err.max():.3g} at z={z[err.argmax()]!r}"


def test_tanh_exp_is_accurate_at_the_table_points_their_midpoints_and_the_clip():
    """Grid points a = k/512 of x = 2z, the ties between two points (where rounding chooses),
    their neighbours, and the clip at |x| = 40: the places a wrong index or b would show."""
    k = np.arange(-_tanh._N, _tanh._N + 1)
    x = np.concatenate([k / _tanh._STEP, (k + 0.5) / _tanh._STEP])
    x = np.concatenate([x, np.nextafter(x, np.inf), np.nextafter(x, -np.inf)])
    z = np.concatenate([x / 2, [19.999, 20.0, 20.001, 40.0, -19.999, -20.001]])
    err = relative_error(tanh_exp(z), np.tanh(z))
    assert err.max() <= RTOL, f"max relative error {err.max():.3g} at z={z[err.argmax()]!r}"


def test_tanh_exp_works_across_chunks(monkeypatch):
    monkeypatch.setattr(_tanh, "_CHUNK", 7)
    z = np.linspace(-5, 5, 100).reshape(4, 25)
    err = relative_error(tanh_exp(z), np.tanh(z))
    assert err.max() <= RTOL


@settings(max_examples=200, deadline=None)
@given(z=arrays(np.float64, st.integers(1, 50),
                elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_tanh_exp_matches_numpy_on_any_finite_float(z):
    err = relative_error(tanh_exp(z), np.tanh(z))
    assert err.max() <= RTOL, f"max relative error {err.max():.3g} at z={z[err.argmax()]!r}"


def test_tanh_exp_edge_values_are_exact():
    z = np.array([np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 20.0, -20.0, 800.0, -1e308])
    h = tanh_exp(z)
    np.testing.assert_array_equal(h, [1.0, -1.0, 0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, 1.0,
                                      -1.0])
    assert np.signbit(h[3]) and not np.signbit(h[2]), "the sign of zero must be kept"
    nan = tanh_exp(np.array([np.nan, 1.0, -np.nan]))
    assert np.isnan(nan[0]) and np.isnan(nan[2])
    assert abs(nan[1] - np.tanh(1.0)) <= RTOL * np.tanh(1.0), "NaN must not spill over"


def test_tanh_exp_out_may_be_the_input_or_a_strided_view():
    z = np.linspace(-3, 3, 60).reshape(3, 20)
    expected = np.tanh(z)
    inplace = z.copy()
    assert tanh_exp(inplace, out=inplace) is inplace
    np.testing.assert_allclose(inplace, expected, rtol=RTOL)
    out = np.empty((20, 3)).T                       # F-ordered output
    assert tanh_exp(z[:, ::-1], out=out) is out
    np.testing.assert_allclose(out, expected[:, ::-1], rtol=RTOL)


def test_tanh_activation_uses_the_chosen_path_and_keeps_other_dtypes():
    assert tanh_path() in ("exp", "numpy")
    z = np.linspace(-4, 4, 1001)
    np.testing.assert_allclose(Tanh().f(z), np.tanh(z), rtol=RTOL)
    z32 = z.astype(np.float32)
    h32 = Tanh().f(z32)
    assert h32.dtype == np.float32
    np.testing.assert_array_equal(h32, np.tanh(z32))


@pytest.mark.parametrize("features, expected", [
    # NumPy >= 2.4 with AVX-512 dispatched; the same CPU under
    # NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" (AVX512F, the hardware's,
    # stays true); an AVX2-only CPU; NumPy < 2.4's names, on and off
    ({"X86_V3": True, "X86_V4": True, "AVX512F": True, "AVX512_SKX": True}, True),
    ({"X86_V3": True, "X86_V4": False, "AVX512F": True, "AVX512_SKX": False}, False),
    ({"X86_V3": True, "X86_V4": False, "AVX512F": False, "AVX512_SKX": False}, False),
    ({"AVX2": True, "AVX512F": True, "AVX512_SKX": True}, True),
    ({"AVX2": True, "AVX512F": True, "AVX512_SKX": False}, False),
])
def test_the_path_follows_numpys_dispatch_not_the_hardware(features, expected):
    assert _tanh._has_avx512(features) is expected


def test_the_path_follows_npy_disable_cpu_features():
    """In a fresh process with NumPy's AVX-512 code turned off, the kernel is chosen."""
    import subprocess
    import sys
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    avx512 = [t for t in __cpu_dispatch__                 # those this CPU has (none: AVX2)
              if (t == "X86_V4" or t.startswith("AVX512")) and __cpu_features__.get(t)]
    code = "from bcdnet._tanh import tanh_path; print(tanh_path())"
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(avx512)}
    env.pop("BCDNET_TANH", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "exp", done.stderr


@pytest.mark.parametrize("forced", ["numpy", "exp"])
def test_bcdnet_tanh_forces_a_path(monkeypatch, forced):
    monkeypatch.setattr(_tanh, "_path", None)
    monkeypatch.setenv("BCDNET_TANH", forced)
    assert tanh_path() == forced
    z = np.linspace(-2, 2, 11)
    np.testing.assert_allclose(_tanh.tanh(z), np.tanh(z), rtol=RTOL)


def test_sigmoid_matches_the_exact_formula_on_a_dense_grid():
    z = np.concatenate([dense_grid(), np.linspace(-745, 745, 100_001)])
    err = relative_error(Sigmoid().f(z), exact_sigmoid(z))
    assert err.max() <= RTOL, f"max relative error {err.max():.3g} at z={z[err.argmax()]!r}"


def test_sigmoid_edge_values():
    h = Sigmoid().f(np.array([np.inf, -np.inf, 0.0, -0.0, 800.0, -800.0, np.nan]))
    np.testing.assert_array_equal(h[:6], [1.0, 0.0, 0.5, 0.5, 1.0, 0.0])
    assert np.isnan(h[6])


@contextlib.contextmanager
def forced_path(path):
    """Run the body with the float64 tanh of ``path``, whatever the CPU chose."""
    before = _tanh._path
    _tanh._path = path
    try:
        yield
    finally:
        _tanh._path = before


@pytest.mark.parametrize("path", ["exp", "numpy"])
@settings(max_examples=25)
@given(data=st.data())
def test_derivatives_through_either_tanh_path(path, data):
    """Gradient and HVP of tanh networks against central differences, through the kernel
    as on an AVX2 machine and through numpy.tanh as with AVX-512, on any machine."""
    net, X, Y, w = data.draw(problems("tanh"))
    with forced_path(path):
        assert tanh_path() == path
        fun, grad, hvp = at_point(net, X, Y, w)
        check_grad(fun, net.params.copy(), tol=1e-7).raise_if_failed()
        check_hvp(grad, hvp, net.params.copy(), tol=1e-6, eps=1e-5,
                  symmetry_tol=1e-10).raise_if_failed()
