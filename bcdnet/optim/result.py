"""What a run of an optimizer returns: where it stopped, why, and the message saying so."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Status", "OptimizeResult", "result", "snapshot", "stopped"]


class Status(enum.IntEnum):
    """Why a run stopped; ``OptimizeResult.status`` holds one of these.

    The first three are convergence (``success=True``); the budget and callback stops are
    normal ends of a run that did not converge; the last two are failures.
    """

    GTOL = 0                #: ||grad f||_inf <= gtol
    FTOL = 1                #: relative reduction of f <= ftol
    MIN_SPREAD = 2          #: ICRS: every spread contracted below rel_min times its start
    MAX_ITER = 3            #: max_iter iterations done
    MAX_EVAL = 4            #: max_eval evaluations of fun done
    CALLBACK = 5            #: the callback returned True
    BATCHES_EXHAUSTED = 6   #: the batch iterable ran out
    NONFINITE = 7           #: fun gave NaN or inf and the method could not step back
    LINE_SEARCH_FAILED = 8  #: no step along a descent direction lowered f


_CONVERGED = frozenset({Status.GTOL, Status.FTOL, Status.MIN_SPREAD})


@dataclass(repr=False, eq=False)
class OptimizeResult:
    """Where a run stopped and why.

    Attributes
    ----------
    x : ndarray of shape (n,)
        The returned point (the last finite one, for a run that met NaN or inf).
    fun : float
        ``f(x)`` (with batches: the loss of the last batch used, see each optimizer).
    jac : ndarray of shape (n,) or None
        The gradient at ``x``; None for derivative-free methods.
    nit : int
        Iterations done in this call.
    nfev : int
        Calls of ``fun`` in this call, including the first one at ``x0``.
    success : bool
        True when a convergence test stopped the run (``status`` 0, 1 or 2).
    status : int
        A :class:`Status` code.
    message : str
        The reason in words, with the numbers that triggered it.
    trace : ndarray or None
        Optimizer-specific history (ICRS: the best value after each evaluation).
    """

    x: np.ndarray
    fun: float
    jac: np.ndarray | None = None
    nit: int = 0
    nfev: int = 0
    success: bool = False
    status: int = -1
    message: str = ""
    trace: np.ndarray | None = field(default=None)

    def __repr__(self) -> str:
        with np.printoptions(precision=6, threshold=8, edgeitems=3):
            rows = [f"  {name:>7}: {getattr(self, name)!r}" for name in
                    ("message", "success", "status", "fun", "x", "nit", "nfev", "jac")]
            if isinstance(self.status, Status):
                rows[2] = f"  {'status':>7}: {int(self.status)} ({self.status.name})"
            if self.trace is not None:
                rows.append(f"  {'trace':>7}: array of {len(self.trace)} values")
        return "OptimizeResult(\n" + "\n".join(rows) + "\n)"


#: The messages of the stops every optimizer shares, filled in by :func:`stopped`.
STOP_MESSAGES = {
    Status.GTOL: "converged: ||grad f||_inf = {gnorm:.3g} <= gtol = {gtol:.3g}",
    Status.MAX_ITER: "stopped: max_iter = {max_iter} {unit} done",
    Status.MAX_EVAL: "stopped: max_eval = {max_eval} evaluations done",
    Status.CALLBACK: "stopped by callback",
}


def stopped(status: Status, unit: str = "iterations", **numbers) -> tuple[Status, str]:
    """Return ``(status, message)`` for a shared stop, its message filled with ``numbers``.

    ``unit`` names what ``max_iter`` counts (iterations, steps, trials).
    """
    return status, STOP_MESSAGES[status].format(unit=unit, **numbers)


def result(x, f, g, nit, nfev, status: Status, message: str, trace=None) -> OptimizeResult:
    """Build an :class:`OptimizeResult`; ``success`` follows from ``status``."""
    return OptimizeResult(x=x, fun=f, jac=g, nit=nit, nfev=nfev,
                          success=status in _CONVERGED, status=status,
                          message=message, trace=trace)


def snapshot(x, f, g, nit, nfev) -> OptimizeResult:
    """What a callback sees after an iteration: copies, so it may keep them."""
    return OptimizeResult(x=x.copy(), fun=f, jac=None if g is None else g.copy(), nit=nit,
                          nfev=nfev, success=False, status=-1, message="running")
