"""Test functions for the optimizers (Moré, Garbow & Hillstrom 1981, plus two quadratics).

Each problem gives ``fun(x) -> (f, grad)``, the standard start ``x0`` and the known
minimum value.  The gradients are written by hand and checked against central differences
in ``test_problems`` below, so a wrong gradient cannot make an optimizer look bad or good.
The benchmark ``benchmarks/bench_optim.py`` uses the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Problem:
    name: str
    fun: object
    x0: np.ndarray
    f_min: float = 0.0

    def value(self, x):
        return self.fun(x)[0]


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

    problem = Problem(f"quadratic-{n} (cond {condition:.0e})", fun, np.zeros(n))
    object.__setattr__(problem, "lipschitz", float(eigenvalues[-1]))
    object.__setattr__(problem, "mu", float(eigenvalues[0]))
    return problem


def sphere(n: int = 10) -> Problem:
    """sum x_i^2; start all ones."""

    def fun(x):
        return float(x @ x), 2.0 * x

    return Problem(f"sphere-{n}", fun, np.ones(n))


def lbfgs_problems() -> list[Problem]:
    """The acceptance set of issue 3 for L-BFGS."""
    return [extended_rosenbrock(2), extended_rosenbrock(10), extended_rosenbrock(100),
            powell_singular(), beale(), quadratic()]
