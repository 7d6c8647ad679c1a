r"""A float64 ``tanh`` built on ``exp``, for CPUs where NumPy's own ``tanh`` is slow.

On a CPU without AVX-512 NumPy's float64 ``tanh`` costs about 15 ns per element, twice its
``exp``; on an AVX-512 CPU it is several times faster than that.  Away from zero,

.. math::  \tanh z = \operatorname{sign}(z) \left(\frac{2}{1 + t} - 1\right)
           = \operatorname{sign}(z)\, \frac{1 - t}{1 + t}, \qquad t = e^{-2|z|} \in (0, 1],

which never overflows (:math:`t \to 0` gives exactly :math:`\pm 1`, ``±inf`` included) and
propagates NaN; it is computed in place, with no second buffer.  Near zero the result
cancels: an error of :math:`k` ulps in :math:`t` becomes a relative error of about
:math:`k \varepsilon / (2|z|)`, so for :math:`|z| < c = 1/32` the odd Taylor polynomial is
used instead,

.. math::  \tanh z = z - \tfrac{1}{3} z^3 + \tfrac{2}{15} z^5 - \tfrac{17}{315} z^7
           + \tfrac{62}{2835} z^9 + O(z^{11}),

whose truncation error is below :math:`0.009\, c^{10} < 10^{-17}` relative.  Above :math:`c`
the exp form's error stays near :math:`k \cdot 2 \times 10^{-15}`: both are well inside the
:math:`10^{-13}` relative error tests ask of it (``tests/core/test_fast_tanh.py``).

Which of the two (this or ``numpy.tanh``) runs is decided from the CPU, once per process:
NumPy's own where it dispatches AVX-512 code (its float64 ``tanh`` is vectorised there and
several times faster than this), this kernel elsewhere (on the 2-core AVX2 machine of
``benchmarks/results/core.md`` it took 0.6-0.8 of ``numpy.tanh``'s time).  The choice does
not depend on a timing: a timing on a loaded machine can flip from one run to the next,
and the two paths differ in the last bits, so the same seed would no longer give the same
result bit for bit.  :func:`speed_ratio` measures the two on the machine at hand (the
benchmarks report it beside the path), and the environment variable ``BCDNET_TANH``
(``"numpy"`` or ``"exp"``) forces a path where the measurement disagrees with the rule.
"""

from __future__ import annotations

import os
import time

import numpy as np

__all__ = ["tanh", "tanh_exp", "tanh_path", "speed_ratio"]

#: below this |z| the Taylor polynomial replaces the exp form (which cancels there)
_SMALL = 1.0 / 32.0
#: Taylor coefficients of tanh(z)/z - 1 in powers of z^2: -1/3, 2/15, -17/315, 62/2835
_TAYLOR = (-1.0 / 3.0, 2.0 / 15.0, -17.0 / 315.0, 62.0 / 2835.0)

_path: str | None = None


def _taylor(z: np.ndarray) -> np.ndarray:
    r""":math:`z\,(1 + z^2 (c_1 + z^2 (c_2 + z^2 (c_3 + z^2 c_4))))`, the Taylor polynomial
    (written as a product with ``z`` so that ``-0.0`` keeps its sign)."""
    z2 = z * z
    p = np.full_like(z, _TAYLOR[-1])
    for c in (*_TAYLOR[-2::-1], 1.0):
        p *= z2
        p += c
    p *= z
    return p


def tanh_exp(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\tanh z` from :math:`e^{-2|z|}`, with the Taylor polynomial for :math:`|z| < 1/32`.

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
    direct = out.flags.c_contiguous and not np.may_share_memory(out, z)
    result = out.reshape(-1) if direct else np.empty_like(flat_z)
    np.abs(flat_z, out=result)
    small = np.flatnonzero(result < _SMALL)
    with np.errstate(over="ignore", under="ignore"):    # -2|z| near -1e308 is -inf: t = 0
        np.multiply(result, -2.0, out=result)
        np.exp(result, out=result)             # t = exp(-2|z|) in (0, 1]
    np.add(result, 1.0, out=result)
    np.divide(2.0, result, out=result)
    np.subtract(result, 1.0, out=result)       # 2 / (1 + t) - 1 = (1 - t) / (1 + t)
    np.copysign(result, flat_z, out=result)
    if small.size:
        result[small] = _taylor(flat_z[small])
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


def _has_avx512() -> bool:
    """Whether NumPy dispatches AVX-512 code on this CPU (its vectorised float64 tanh)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:
        return False
    return bool(__cpu_features__.get("AVX512F") or __cpu_features__.get("AVX512_SKX"))


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
    """``tanh`` of a NumPy float64 array by the faster exact path; NumPy's for anything else."""
    if type(z) is np.ndarray and z.dtype == np.float64 and tanh_path() == "exp":
        return tanh_exp(z, out)
    return np.tanh(z, out=out)
