r"""A float64 ``tanh`` built on ``expm1``, for CPUs where NumPy's own ``tanh`` is slow.

On a CPU without AVX-512 NumPy's float64 ``tanh`` and ``exp`` run scalar code (about 15 and
9 ns per element on the 2-core AVX2 machine of ``benchmarks/results/core.md``); on an
AVX-512 CPU they are vectorised and several times faster.  This kernel is made of
vectorised NumPy operations only:

.. math::  \tanh z = \frac{m}{m + 2}, \qquad m = e^{2z} - 1 = \operatorname{expm1}(2z),

which has no cancellation anywhere (near zero :math:`m \approx 2z` and the quotient is
:math:`z` to a few ulps; :math:`z < 0` gives :math:`-1 < m < 0`).  ``expm1`` comes from a
table and a polynomial: with :math:`x = 2z` clipped to :math:`[-40, 40]` (beyond it
:math:`\tanh` rounds to :math:`\pm 1`), :math:`a = k/512` the nearest point of a grid of
step 1/512 and :math:`b = x - a \in [-1/1024, 1/1024]`,

.. math::  \operatorname{expm1}(x) = e^{a}\,\operatorname{expm1}(b) + \operatorname{expm1}(a),
           \qquad \operatorname{expm1}(b) \approx b + \frac{b^2}{2} + \frac{b^3}{6}
           + \frac{b^4}{24},

with :math:`e^a` and :math:`\operatorname{expm1}(a)` read from two tables of 40,961 values
each (NumPy's ``exp`` and ``expm1``, computed once at import).  The rounding to the grid
is the magic-number trick: :math:`u = 512x` (exact) plus :math:`S = 1.5 \cdot 2^{52}`
rounds :math:`u` to the nearest integer :math:`k`, whose bits are the low bits of the sum
(the table index, read through an int64 view) and which the sum minus :math:`S` gives
exactly, so :math:`v = u - k \in [-1/2, 1/2]` is exact too; the polynomial runs in
:math:`v = 512 b` with its coefficients scaled to match.  Every step is one pass of a
NumPy ufunc (19 in all), run on chunks of ``_CHUNK`` values (32,768), which stay in
the core's cache between passes while a call still costs little beside its work: on the
2-core AMD AVX2 machine chunks of 16,384, 32,768 and 65,536 values took 414, 351 and
284 us on 38,270 values, 674, 617 and 656 us on 76,540 and 4.3, 4.2 and 4.6 ms on
448,256 (each call of a ufunc costs about 1.3 us there).  The truncation error is below :math:`b^4/120 < 8 \times 10^{-15}`
relative, as measured against ``numpy.tanh`` on a dense grid (``7.7e-15``), inside the
:math:`10^{-13}` the tests ask of it (``tests/core/test_fast_tanh.py``).  ``±inf`` give
:math:`\pm 1` exactly, NaN stays NaN, subnormals and the sign of zero are kept
(``expm1(0)`` is stored as :math:`-0`, so :math:`-0 + (-0) = -0`).

With NumPy's AVX-512 code turned off on a 2-core Xeon (``NPY_DISABLE_CPU_FEATURES``, to
reproduce an AVX2 machine), ``numpy.tanh`` took 12.6 ns per value on 76,540 values (the
4-10-10-10-1 network's layer on CCPP) and this kernel 0.64 of that time, against 0.76 for
the former one (a grid of 1/256, a fifth-degree polynomial, ``rint`` and chunks of
131,072 values, 23 passes); on 560,640 values 0.68 against 0.95.

Which of the two (this or ``numpy.tanh``) runs is decided from the CPU, once per process:
NumPy's own where it dispatches AVX-512 code, this kernel elsewhere.  The choice does
not depend on a timing: a timing on a loaded machine can flip from one run to the next,
and the two paths differ in the last bits, so the same seed would no longer give the same
result bit for bit.  :func:`speed_ratio` measures the two on the machine at hand (the
benchmarks report it beside the path), and the environment variable ``BCDNET_TANH``
(``"numpy"`` or ``"exp"``) forces a path where the measurement disagrees with the rule.
"""

from __future__ import annotations

import math
import os
import threading
import time

import numpy as np


__all__ = ["tanh", "tanh_exp", "tanh_path", "speed_ratio"]

#: grid points per unit of x = 2z
_STEP = 512
#: |x| = |2z| is clipped here: tanh(20) = 1 - 8.5e-18 rounds to 1
_X_MAX = 40.0
_N = int(_X_MAX * _STEP)
#: e^a and expm1(a) on the grid a = k / 512, k = -20480..20480 (expm1(0) stored as -0.0)
_GRID = np.arange(-_N, _N + 1) / _STEP
_EXP = np.exp(_GRID)
_EXPM1 = np.expm1(_GRID)
_EXPM1[_N] = -0.0
#: u + 1.5 * 2^52 rounds u (|u| < 2^51) to an integer whose bits end the sum's
_ROUND = 1.5 * 2.0 ** 52
#: the int64 bits of _ROUND, less the table index of a = 0
_INDEX_OFFSET = int(np.array([_ROUND]).view(np.int64)[0]) - _N
#: expm1(b) = sum_j b^j / j!, in v = 512 b: coefficients 1 / (j! 512^j), j = 1..4
_COEFFICIENTS = tuple(1.0 / (math.factorial(j) * _STEP ** j) for j in range(1, 5))
#: values per pass: the scratch (three arrays of this size per thread) stays in the cache
_CHUNK = 1 << 15

_path: str | None = None
_scratch = threading.local()


def _buffers(n: int):
    """This thread's scratch arrays (float64, index, float64) of ``n`` elements."""
    held = getattr(_scratch, "arrays", None)
    if held is None or held[0].size < n:
        held = _scratch.arrays = (np.empty(n), np.empty(n, np.intp), np.empty(n))
    return held[0][:n], held[1][:n], held[2][:n]


def _kernel(z: np.ndarray, out: np.ndarray) -> None:
    """``out = tanh(z)`` for flat contiguous float64 arrays (``out`` may be ``z``)."""
    tmp, index, table = _buffers(z.size)
    u = np.clip(z, -_X_MAX / 2, _X_MAX / 2, out=out)
    u *= 2.0 * _STEP                                      # 512 x (exact)
    k = np.add(u, _ROUND, out=tmp)                        # rounded to an integer
    np.subtract(k.view(np.int64), _INDEX_OFFSET, out=index)   # NaN: any index, b is NaN
    k -= _ROUND                                           # k itself, exact; +0 for 0
    v = np.subtract(u, k, out=u)                          # 512 b, exact, keeps z's sign
    p = np.multiply(v, _COEFFICIENTS[-1], out=tmp)
    for c in _COEFFICIENTS[-2::-1]:
        p += c
        p *= v                                            # last: expm1(b)
    p *= np.take(_EXP, index, mode="clip", out=table)
    p += np.take(_EXPM1, index, mode="clip", out=table)   # m = expm1(2z)
    np.add(p, 2.0, out=out)
    np.divide(p, out, out=out)


def tanh_exp(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\tanh z = m / (m + 2)` with :math:`m = \operatorname{expm1}(2z)` from a table
    and a polynomial (module documentation).

    Parameters
    ----------
    z : ndarray of float64, any shape
    out : ndarray like ``z``, optional
        Receives the result (may be ``z`` itself).

    Returns
    -------
    ndarray like ``z``
    """
    z = np.asarray(z, dtype=np.float64)
    if out is None:
        out = np.empty_like(z)
    flat_z = z.reshape(-1)                     # a copy only if z is not contiguous
    direct = out.flags.c_contiguous and (out is z or not np.may_share_memory(out, z) or (
        out.shape == z.shape and out.strides == z.strides and z.flags.c_contiguous
        and out.ctypes.data == z.ctypes.data))     # in place: each chunk read, then written
    result = out.reshape(-1) if direct else np.empty_like(flat_z)
    for start in range(0, flat_z.size, _CHUNK):
        rows = slice(start, start + _CHUNK)
        _kernel(flat_z[rows], result[rows])
    if not direct:
        out[...] = result.reshape(z.shape)
    return out


def speed_ratio(n: int = 1 << 14, rounds: int = 21) -> float:
    """Median over rounds of (time of :func:`tanh_exp`) / (time of ``numpy.tanh``) on ``n``
    normal values of scale 2, the two timed back to back in each round so that a change of
    load hits both alike (below 1: this kernel is the faster)."""
    z = np.random.default_rng(0).standard_normal(n) * 2.0
    out = np.empty_like(z)
    tanh_exp(z, out=out), np.tanh(z, out=out)                  # warm up both
    ratios = []
    for _ in range(rounds):
        start = time.perf_counter()
        tanh_exp(z, out=out)
        middle = time.perf_counter()
        np.tanh(z, out=out)
        ratios.append((middle - start) / max(time.perf_counter() - middle, 1e-9))
    return float(np.median(ratios))


def _has_avx512(features: dict | None = None) -> bool:
    """Whether NumPy dispatches AVX-512 code on this CPU (its vectorised float64 tanh).

    Read from NumPy's dispatch targets in ``features`` (default: NumPy's own CPU feature
    table): ``X86_V4`` from NumPy 2.4 on, ``AVX512_SKX`` before.  Not from ``AVX512F``,
    which reports the hardware and stays true when ``NPY_DISABLE_CPU_FEATURES`` has turned
    NumPy's AVX-512 code off (the way to reproduce an AVX2 machine on a newer CPU).
    """
    if features is None:
        try:
            from numpy._core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            return False
    target = "X86_V4" if "X86_V4" in features else "AVX512_SKX"
    return bool(features.get(target))


def tanh_path() -> str:
    """``"exp"`` or ``"numpy"``: the float64 tanh this process uses (``BCDNET_TANH``, else
    NumPy's with AVX-512 and this kernel without)."""
    global _path
    if _path is None:
        forced = os.environ.get("BCDNET_TANH", "").strip().lower()
        if forced in ("numpy", "exp"):
            _path = forced
        else:
            _path = "numpy" if _has_avx512() else "exp"
    return _path


def tanh(z, out=None):
    """``tanh`` of a NumPy float64 array by the faster exact path; NumPy's for anything else.

    The same inside a row block as outside it.  Row blocks run in helper processes
    (:mod:`bcdnet._row_processes`), where the kernel's twenty short NumPy calls cost what
    they cost on one thread; on threads of one process they hand the GIL over at each
    call, and an earlier rule sent arrays under 131,072 values inside a block to
    ``numpy.tanh`` (one long call) instead.  With the blocks in processes the kernel is
    the faster there too: on the 2-core AVX2 machine 4-(5x50)-2 on 10,000 rows took
    40-43 ms with it against 49-52 ms with ``numpy.tanh`` in the blocks.
    """
    if type(z) is np.ndarray and z.dtype == np.float64 and tanh_path() == "exp":
        return tanh_exp(z, out)
    return np.tanh(z, out=out)
