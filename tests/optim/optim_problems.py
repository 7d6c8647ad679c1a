"""Test functions for the optimizers (Moré, Garbow & Hillstrom 1981, plus two quadratics).

Each problem gives ``fun(x) -> (f, grad)``, the standard start ``x0`` and the known
minimum value.  The gradients are written by hand and checked against central differences
in ``test_optim_problems.py``, so a wrong gradient cannot make an optimizer look bad or good.
The benchmark ``benchmarks/bench_optim.py`` uses the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Problem:
    name: str
    fun: object
    x0: np.ndarray
    f_min: float = 0.0
    # quadratics only: A = Q diag(eigenvalues) Q' and the minimiser
    eigenvalues: np.ndarray | None = None
    Q: np.ndarray | None = None
    x_star: np.ndarray | None = None

    def value(self, x):
        return self.fun(x)[0]

    @property
    def lipschitz(self) -> float:
        """Largest Hessian eigenvalue L (quadratics)."""
        return float(self.eigenvalues[-1])

    @property
    def mu(self) -> float:
        """Smallest Hessian eigenvalue (quadratics)."""
        return float(self.eigenvalues[0])


def extended_rosenbrock(n: int) -> Problem:
    """MGH #21: sum over pairs of 100 (x_{2i} - x_{2i-1}^2)^2 + (1 - x_{2i-1})^2; start (-1.2, 1, ...)."""
    if n % 2:
        raise ValueError("n must be even")

    def fun(x):
        a, b = x[0::2], x[1::2]
        r1 = 10.0 * (b - a * a)
        r2 = 1.0 - a
        g = np.empty_like(x)
        g[0::2] = -40.0 * a * r1 - 2.0 * r2
        g[1::2] = 20.0 * r1
        return float(r1 @ r1 + r2 @ r2), g

    return Problem(f"Rosenbrock-{n}", fun, np.tile([-1.2, 1.0], n // 2))


def powell_singular() -> Problem:
    """MGH #13: singular Hessian at the minimum 0; start (3, -1, 0, 1)."""

    def fun(x):
        x1, x2, x3, x4 = x
        r1, r2, r3, r4 = x1 + 10 * x2, x3 - x4, x2 - 2 * x3, x1 - x4
        f = r1 * r1 + 5 * r2 * r2 + r3 ** 4 + 10 * r4 ** 4
        g = np.array([2 * r1 + 40 * r4 ** 3,
                      20 * r1 + 4 * r3 ** 3,
                      10 * r2 - 8 * r3 ** 3,
                      -10 * r2 - 40 * r4 ** 3])
        return float(f), g

    return Problem("Powell singular", fun, np.array([3.0, -1.0, 0.0, 1.0]))


def beale() -> Problem:
    """MGH #5: minimum 0 at (3, 0.5); start (1, 1)."""
    y = np.array([1.5, 2.25, 2.625])
    i = np.arange(1, 4)

    def fun(x):
        x1, x2 = x
        p = x2 ** i
        r = y - x1 * (1 - p)
        dr1 = -(1 - p)
        dr2 = x1 * i * x2 ** (i - 1)
        return float(r @ r), np.array([2 * r @ dr1, 2 * r @ dr2])

    return Problem("Beale", fun, np.array([1.0, 1.0]))


def quadratic(n: int = 50, condition: float = 1e6, seed: int = 0) -> Problem:
    """f = 1/2 (x - x*)' A (x - x*), A = Q diag(logspace(0, log10(condition))) Q'; start 0.

    Q is a random orthogonal matrix and x* a standard normal draw.  Writing f around x*
    keeps it and its gradient ``A (x - x*)`` accurate to rounding near the minimum, where
    the form 1/2 x'Ax - b'x loses about 1e-9 to cancellation with eigenvalues up to 1e6.
    """
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = np.logspace(0.0, np.log10(condition), n)
    A = (Q * eigenvalues) @ Q.T
    A = 0.5 * (A + A.T)
    x_star = rng.standard_normal(n)

    def fun(x):
        e = x - x_star
        Ae = A @ e
        return float(0.5 * e @ Ae), Ae

    return Problem(f"quadratic-{n} (cond {condition:.0e})", fun, np.zeros(n),
                   eigenvalues=eigenvalues, Q=Q, x_star=x_star)


def sphere(n: int = 10) -> Problem:
    """sum x_i^2; start all ones."""

    def fun(x):
        return float(x @ x), 2.0 * x

    return Problem(f"sphere-{n}", fun, np.ones(n))


def lbfgs_problems() -> list[Problem]:
    """The acceptance set of issue 3 for L-BFGS."""
    return [extended_rosenbrock(2), extended_rosenbrock(10), extended_rosenbrock(100),
            powell_singular(), beale(), quadratic()]


def gd_iterations_to_tol(problem: Problem, h: float, tol: float) -> int:
    """First k with ||grad f(x_k)||_inf <= tol for GD ``x_{k+1} = x_k - h grad f(x_k)``, exactly.

    On a :func:`quadratic` the gradient after k steps is ``g_k = Q a_k`` with
    ``a_k = diag(r^k) a_0``, ``r = 1 - h lam``, ``a_0 = lam Q' (x_0 - x*)``.  For
    ``h <= 2/(L + mu)`` its 2-norm never rises, so no k before the first with
    ``||a_k||_2 <= tol sqrt(n)`` can hit (found by bisection).  From there the count walks
    forward, jumping over steps that cannot hit: over the next s steps ``||g||_inf`` changes by
    at most ``||a_k * c(s)||_2``, ``c_i(s) = max_{j<=s} |1 - r_i^j|``.  Millions of GD
    iterations are counted in milliseconds, and the count is what GD itself would report.
    """
    lam, Q = problem.eigenvalues, problem.Q
    if not h <= 2.0 / (lam[0] + lam[-1]) * (1 + 1e-12):
        raise ValueError("h must be at most 2/(L + mu)")
    a0 = lam * (Q.T @ (problem.x0 - problem.x_star))
    r = 1.0 - h * lam
    rate = np.abs(r)

    def a(k):
        return a0 * np.where(r < 0, (-1.0) ** (k % 2), 1.0) * rate ** k

    def change_bound(k, s):    # max over 1 <= j <= s of ||g_{k+j} - g_k||_2
        worst = np.where(r >= 0, 1.0 - rate ** s, 1.0 + rate)
        return np.linalg.norm(a(k) * worst)

    lo, hi = 0, 1
    while np.linalg.norm(a(hi)) > tol * np.sqrt(lam.size):
        lo, hi = hi, 2 * hi
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if np.linalg.norm(a(mid)) <= tol * np.sqrt(lam.size) else (mid + 1, hi)
    k = lo
    while True:
        margin = np.max(np.abs(Q @ a(k))) - tol
        if margin <= 0:
            return k
        s = 1
        while change_bound(k, 2 * s) < margin:
            s *= 2
        k += s


def gd_gradient_after(problem: Problem, h: float, k: int) -> np.ndarray:
    """The gradient after k GD steps of size h on a :func:`quadratic`, in closed form."""
    lam, Q = problem.eigenvalues, problem.Q
    return Q @ (lam * (1.0 - h * lam) ** k * (Q.T @ (problem.x0 - problem.x_star)))


def run_saved_and_restored(opt, fun, x0, first: dict, then: dict):
    """Run ``opt`` with limits ``first``, save its state, run on with ``then``; load the saved
    state into a clone and run ``then`` again from the same point.

    Returns ``(after, again, twin)``: the two continued results and the clone.
    """
    mid = opt.minimize(fun, x0, **first)
    state = opt.state_dict()
    after = opt.minimize(fun, mid.x, **then)
    twin = opt.clone()
    twin.load_state_dict(state)
    again = twin.minimize(fun, mid.x, **then)
    return after, again, twin
