"""Central differences and the gradient and Hessian-vector product checkers.

Public through :mod:`bcdnet.testing`, whose docstring gives the maths; a module of its own so
that the whole-component checks (:mod:`bcdnet._checks`) build on these without an import
cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .backend import to_numpy

__all__ = ["CheckReport", "check_grad", "check_hvp", "fd_gradient", "fd_hvp"]


def fd_gradient(f, x, h: float = 1e-5) -> np.ndarray:
    r"""Central differences of a scalar function in every coordinate of ``x``.

    .. math::  \hat g_i = \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    Parameters
    ----------
    f : callable
        ``f(y) -> float`` for ``y`` shaped like ``x`` (a float64 host array, a fresh copy
        each call, so ``f`` may keep or change it).
    x : array_like of any shape
        Where to differentiate; not modified.
    h : float
        The step.

    Returns
    -------
    ndarray of float64, shaped like ``x``
    """
    x = np.array(to_numpy(x), dtype=np.float64)
    flat = x.reshape(-1)                 # a view: perturbing it perturbs x
    fd = np.empty_like(flat)
    for i in range(flat.size):
        xi = flat[i]
        flat[i] = xi + h
        f_plus = float(f(x.copy()))
        flat[i] = xi - h
        f_minus = float(f(x.copy()))
        flat[i] = xi
        fd[i] = (f_plus - f_minus) / (2 * h)
    return fd.reshape(x.shape)


def fd_hvp(grad, x, v, eps: float = 1e-5) -> np.ndarray:
    r"""The central difference of ``grad`` along ``v``: a finite-difference Hessian-vector product.

    .. math::  \widehat{Hv} = \frac{\nabla f(x + \epsilon v) - \nabla f(x - \epsilon v)}{2 \epsilon}

    ``grad`` may be any function of ``x`` returning an array: the result is then the
    derivative of that function along ``v`` (its Jacobian times ``v``); for an elementwise
    function and ``v`` of ones, its elementwise derivative.

    Parameters
    ----------
    grad : callable
        ``grad(y) -> array`` for ``y`` shaped like ``x``.
    x, v : array_like of the same shape
    eps : float
        The step along ``v``.

    Returns
    -------
    ndarray of float64, shaped like ``grad(x)``
    """
    x = np.asarray(to_numpy(x), dtype=np.float64)
    v = np.asarray(to_numpy(v), dtype=np.float64)
    plus = np.asarray(to_numpy(grad(x + eps * v)), dtype=np.float64)
    minus = np.asarray(to_numpy(grad(x - eps * v)), dtype=np.float64)
    return (plus - minus) / (2 * eps)


@dataclass
class CheckReport:
    """The outcome of a derivative check.

    Attributes
    ----------
    name : str
        What was checked.
    error : float
        The relative error found.
    tol : float
        The tolerance it was held to.
    worst : list of tuple
        ``(index, expected, computed)`` for the worst coordinates.
    extra : dict
        Further checks, ``name -> (error, tolerance)`` (e.g. the symmetry of a Hessian).
    """

    name: str
    error: float
    tol: float
    worst: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.error <= self.tol) and all(e <= t for e, t in self.extra.values())

    def __str__(self) -> str:
        status = "ok" if self.passed else "FAILED"
        lines = [f"{self.name}: {status}, relative error {self.error:.3e} (tolerance {self.tol:.1e})"]
        lines += [f"  {k}: {e:.3e} (tolerance {t:.1e})" for k, (e, t) in self.extra.items()]
        if not self.passed:
            lines.append("  worst coordinates (index: finite difference vs computed):")
            lines += [f"    {i}: {e:+.10e} vs {c:+.10e}" for i, e, c in self.worst]
        return "\n".join(lines)

    def raise_if_failed(self) -> "CheckReport":
        """Raise ``AssertionError`` with the report's text when the check failed."""
        if not self.passed:
            raise AssertionError(str(self))
        return self


def _relative_error(expected, computed, floor):
    scale = max(float(np.max(np.abs(expected), initial=0.0)),
                float(np.max(np.abs(computed), initial=0.0)), floor)
    return float(np.max(np.abs(expected - computed), initial=0.0)) / scale


def _worst(expected, computed, k=5):
    order = np.argsort(-np.abs(expected - computed))[:k]
    return [(int(i), float(expected[i]), float(computed[i])) for i in order]


def check_grad(fun, x, h: float = 1e-5, tol: float = 1e-7, floor: float | None = None,
               name: str = "gradient") -> CheckReport:
    r"""Check ``fun(x) -> (f, g)`` against central differences of ``f`` in every coordinate.

    Parameters
    ----------
    fun : callable
        Returns the value and the gradient at a 1-D float64 point.
    x : ndarray of shape (n,)
        Where to check; not modified.
    h : float
        Finite-difference step.
    tol : float
        Largest accepted relative error.
    floor : float, optional
        Lower bound on the scale of the relative error.  By default ``1e-3 |f(x)|`` (and at
        least 1e-12): a central difference cannot resolve gradient entries much smaller
        than its rounding error, about :math:`\epsilon_{mach} |f| / h \approx 2 \cdot 10^{-11}
        |f|`, so those are compared in absolute terms.  A sign error in any entry above
        that resolution still fails.

    Returns
    -------
    CheckReport
    """
    x = np.array(to_numpy(x), dtype=np.float64)
    f0, g = fun(x.copy())
    if floor is None:
        floor = max(1e-3 * abs(float(f0)), 1e-12)
    g = np.array(to_numpy(g), dtype=np.float64)
    fd = fd_gradient(lambda y: fun(y)[0], x, h)
    return CheckReport(name, _relative_error(fd, g, floor), tol, _worst(fd, g))


def check_hvp(grad, hvp, x, v=None, u=None, eps: float = 1e-5, tol: float = 1e-6,
              floor: float = 1e-12, seed: int = 0, name: str = "Hessian-vector product",
              symmetry_tol: float = 1e-10) -> CheckReport:
    """Check ``hvp(x, v)`` against central differences of ``grad`` along ``v``, and symmetry.

    Parameters
    ----------
    grad : callable
        ``grad(x) -> g``, the gradient at ``x``.
    hvp : callable
        ``hvp(x, v) -> Hv``.
    x : ndarray of shape (n,)
    v, u : ndarray of shape (n,), optional
        Directions; random unit-normal draws by default.
    eps : float
        Finite-difference step along ``v``.
    tol : float
        Largest accepted relative error of ``Hv``.
    symmetry_tol : float
        Largest accepted :math:`|u^\\top Hv - v^\\top Hu| / (\\|u\\| \\|Hv\\| + \\|v\\| \\|Hu\\|)`.

    Returns
    -------
    CheckReport
        ``extra["symmetry"]`` holds the symmetry error and its tolerance.
    """
    x = np.array(to_numpy(x), dtype=np.float64)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(x.size) if v is None else np.asarray(to_numpy(v), dtype=np.float64)
    u = rng.standard_normal(x.size) if u is None else np.asarray(to_numpy(u), dtype=np.float64)
    Hv = np.array(to_numpy(hvp(x.copy(), v)), dtype=np.float64)
    Hu = np.array(to_numpy(hvp(x.copy(), u)), dtype=np.float64)
    fd = fd_hvp(grad, x, v, eps)
    denominator = (np.linalg.norm(u) * np.linalg.norm(Hv)
                   + np.linalg.norm(v) * np.linalg.norm(Hu))
    symmetry = abs(float(u @ Hv) - float(v @ Hu)) / max(denominator, floor)
    report = CheckReport(name, _relative_error(fd, Hv, floor), tol, _worst(fd, Hv))
    report.extra["symmetry"] = (symmetry, symmetry_tol)
    return report
