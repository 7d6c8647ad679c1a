r"""Barzilai–Borwein steps globalised by a non-monotone line search (Raydan's GBB)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .._validation import as_float_array, check_int, check_positive
from .base import (Optimizer, Status, check_max_iter, check_optional_limit, check_tolerance,
                   first_evaluation, result, snapshot, stopped)

__all__ = ["BarzilaiBorwein"]

_EPS = np.finfo(np.float64).eps


class BarzilaiBorwein(Optimizer):
    r"""Barzilai–Borwein gradient method with the Grippo–Lampariello–Lucidi line search.

    The direction is the gradient scaled by a step :math:`\lambda_k` that imitates the
    inverse Hessian along the last step (:math:`s = x_k - x_{k-1}`,
    :math:`y = g_k - g_{k-1}`):

    .. math::

        \text{BB1: } \lambda = \frac{s^\top s}{s^\top y}, \qquad
        \text{BB2: } \lambda = \frac{s^\top y}{y^\top y}, \qquad
        \text{BB3: } \lambda = \sqrt{\frac{s^\top s}{y^\top y}},

    safeguarded to :math:`[\lambda_{\min}, \lambda_{\max}]`; a pair without positive
    curvature (BB1, BB2: :math:`s^\top y \le 0`; BB3: :math:`s^\top s = 0` or
    :math:`y^\top y = 0`) gives :math:`\lambda_{\max}` (as the R package ``BB``'s ``spg``
    does).  The first :math:`\lambda` is :math:`1 / \lVert g_0 \rVert_\infty`.

    The step :math:`x_{k+1} = x_k + t\, d_k`, :math:`d_k = -\lambda_k g_k`, is accepted by the
    non-monotone Armijo test of Grippo, Lampariello & Lucidi over the last ``window`` values
    (:math:`M`):

    .. math::

        f(x_k + t d_k) \le \max_{0 \le j < M} f_{k-j} + \gamma\, t\, g_k^\top d_k ,

    starting from :math:`t = 1` and otherwise shrinking :math:`t` to the minimiser of the
    quadratic through :math:`f(x_k)`, :math:`g_k^\top d_k` and :math:`f(x_k + t d_k)`,
    safeguarded to :math:`[\sigma_1 t, \sigma_2 t] = [0.1t, 0.5t]`; a non-finite trial value
    gives :math:`\sigma_1 t`.  Because f may rise for a while, the BB step is kept on curved
    valleys (Rosenbrock) where a monotone search would cut it down.  A run that meets
    ``gtol`` returns that point; one stopped otherwise returns the lowest point it visited.

    Stopping: :math:`\lVert g\rVert_\infty \le` ``gtol``, ``max_iter`` iterations,
    ``max_eval`` evaluations, or a trial step too short to change :math:`x`
    (``LINE_SEARCH_FAILED``).  A relative-reduction test is not offered: f is not monotone.

    State: :math:`\lambda` and the last :math:`M` values of f.  A later call continues with
    them, so its first steps are judged against the window of the previous call.

    References: J. Barzilai and J. M. Borwein, "Two-point step size gradient methods",
    IMA J. Numer. Anal. 8 (1988) 141–148; M. Raydan, "The Barzilai and Borwein gradient
    method for the large scale unconstrained minimization problem", SIAM J. Optim. 7 (1997)
    26–33; L. Grippo, F. Lampariello and S. Lucidi, "A nonmonotone line search technique for
    Newton's method", SIAM J. Numer. Anal. 23 (1986) 707–716; E. G. Birgin, J. M. Martínez
    and M. Raydan, "Nonmonotone spectral projected gradient methods on convex sets", SIAM J.
    Optim. 10 (2000) 1196–1211 (the safeguarded quadratic); R package ``BB``, ``spg``.

    Parameters
    ----------
    variant : {1, 2, 3}, default 2
        Which BB step.  Raydan's GBB uses 1; we default to 2, the first that the R package
        ``BB``'s ``BBoptim`` tries, because on a quadratic with condition number 1e6 BB1 and
        BB3 under the non-monotone search need over 7× more iterations than BB2 or stall
        (``benchmarks/results/optim.md``).
    window : int, default 10
        :math:`M`, how many recent values the non-monotone test looks back over (1 makes it
        the monotone Armijo test).
    gamma : float, default 1e-4
        Sufficient-decrease constant :math:`\gamma`, in (0, 1).
    lambda_min, lambda_max : float, default 1e-10, 1e4
        Safeguards on :math:`\lambda`.  ``spg`` uses 1e-30 and 1e30; the finite upper bound
        keeps the step after a negative-curvature pair sane on network losses (our choice,
        docs/design.rst, section Optimizers).
    max_iter : int, default 1500
        Iterations per call (``spg``'s ``maxit``).
    gtol : float, default 1e-5
        Gradient tolerance on :math:`\lVert g\rVert_\infty` (0: off).
    max_eval : int or None, default None
        Calls of ``fun`` per call of ``minimize``; None: no cap.
    """

    limits = {"max_iter": check_max_iter, "max_eval": check_optional_limit,
              "gtol": check_tolerance}

    def __init__(self, variant=2, window=10, *, gamma=1e-4, lambda_min=1e-10, lambda_max=1e4,
                 max_iter=1500, gtol=1e-5, max_eval=None):
        self.variant = check_int(variant, "variant", minimum=1)
        if self.variant > 3:
            raise ValueError(f"variant must be 1, 2 or 3, got {variant}")
        self.window = check_int(window, "window", minimum=1)
        self.gamma = check_positive(gamma, "gamma")
        if self.gamma >= 1.0:
            raise ValueError(f"gamma must lie in (0, 1), got {gamma}")
        self.lambda_min = check_positive(lambda_min, "lambda_min")
        self.lambda_max = check_positive(lambda_max, "lambda_max")
        if self.lambda_min > self.lambda_max:
            raise ValueError(f"lambda_min must not exceed lambda_max, got {lambda_min} > "
                             f"{lambda_max}")
        self._check_limits(max_iter=max_iter, gtol=gtol, max_eval=max_eval)
        self.reset()

    def reset(self):
        self.step_size = None                       # lambda
        self.recent_f = deque(maxlen=self.window)   # last M values of f
        self._size = None

    def _clip(self, value: float) -> float:
        return min(self.lambda_max, max(self.lambda_min, value))

    def _bb_step(self, s, y) -> float:
        """The safeguarded BB step of the chosen variant from the last pair."""
        ss, sy, yy = float(s @ s), float(s @ y), float(y @ y)
        if self.variant == 1:
            ok = sy > 0.0 and ss > 0.0
            return self._clip(ss / sy) if ok else self.lambda_max
        if self.variant == 2:
            ok = sy > 0.0 and yy > 0.0
            return self._clip(sy / yy) if ok else self.lambda_max
        ok = ss > 0.0 and yy > 0.0
        return self._clip(math.sqrt(ss / yy)) if ok else self.lambda_max

    def _minimize(self, fun, x0, callback, batches, *, max_iter, max_eval, gtol):
        # With gradients near 1e154 and beyond, g·d, s·y and y·y exceed float64: they
        # become ±inf or NaN, which the safeguards below already treat as a failed test
        # (the step falls back to lambda_max, the line search shrinks and then stops), so
        # NumPy's overflow warnings would only repeat what the stop reason says.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._iterate(fun, x0, callback, max_iter=max_iter, max_eval=max_eval,
                                 gtol=gtol)

    def _iterate(self, fun, x0, callback, *, max_iter, max_eval, gtol):
        f, g = first_evaluation(fun, x0)
        self._size = x0.size
        max_eval = math.inf if max_eval is None else max_eval
        x, nit, nfev = x0, 0, 1
        gnorm = float(abs(g).max())
        if self.step_size is None and gnorm > 0.0:
            self.step_size = self._clip(1.0 / gnorm)
        self.recent_f.append(f)
        best = (x, f, g)
        status = None
        while status is None:
            if gnorm <= gtol or gnorm == 0.0:
                status, message = stopped(Status.GTOL, gnorm=gnorm, gtol=gtol)
                break
            if nit >= max_iter:
                status, message = stopped(Status.MAX_ITER, max_iter=max_iter)
                break
            d = -self.step_size * g
            gtd = float(g @ d)
            if not math.isfinite(gtd):
                status = Status.LINE_SEARCH_FAILED
                message = (f"failed: the slope g·d = {gtd} along the step is beyond float64 "
                           f"(gradient up to {gnorm:.3g}); rescale the data")
                break
            d_norm, x_norm = float(abs(d).max()), float(abs(x).max())
            f_ref = max(self.recent_f)
            t = 1.0
            while True:                                   # non-monotone line search
                if nfev >= max_eval:
                    status, message = stopped(Status.MAX_EVAL, max_eval=max_eval)
                    break
                if t * d_norm <= _EPS * max(x_norm, 1.0):
                    status = Status.LINE_SEARCH_FAILED
                    message = ("failed: the non-monotone line search shrank the step below "
                               "rounding without meeting its test")
                    break
                x_new = x + t * d
                f_new, g_new = fun(x_new)
                nfev += 1
                f_new = float(f_new)
                finite = math.isfinite(f_new) and bool(self._xp.isfinite(g_new).all())
                if finite and f_new <= f_ref + self.gamma * t * gtd:
                    break
                if not finite:
                    t *= 0.1
                    continue
                curvature = f_new - f - t * gtd          # > 0 here, since f_new > f + t gtd
                t_quad = -gtd * t * t / (2.0 * curvature) if curvature > 0.0 else 0.0
                t = min(max(t_quad, 0.1 * t), 0.5 * t) if math.isfinite(t_quad) else 0.1 * t
            if status is not None:
                break
            nit += 1
            self.step_size = self._bb_step(x_new - x, g_new - g)
            x, f, g = x_new, f_new, g_new
            self.recent_f.append(f)
            if f < best[1]:
                best = (x, f, g)
            gnorm = float(abs(g).max())
            if callback is not None and callback(snapshot(x, f, g, nit, nfev)):
                status, message = stopped(Status.CALLBACK)
        if status != Status.GTOL:      # a converged point is returned as is, else the best
            x, f, g = best
        return result(x, f, g, nit, nfev, status, message)

    def _state_size(self):
        return self._size

    def _get_state(self):
        return {"size": self._size, "step_size": self.step_size,
                "recent_f": [float(v) for v in self.recent_f]}

    def _set_state(self, state):
        size, step, recent = state["size"], state["step_size"], state["recent_f"]
        if size is None:
            if step is not None or len(recent):
                raise ValueError("state['step_size'] and state['recent_f'] must be empty "
                                 "when state['size'] is None")
            self.reset()
            return
        size = check_int(size, "state['size']", minimum=1)
        step = None if step is None else check_positive(step, "state['step_size']")
        recent = as_float_array(recent, "state['recent_f']")
        if recent.ndim != 1 or recent.size > self.window:
            raise ValueError(f"state['recent_f'] must hold at most window = {self.window} "
                             f"values, got shape {recent.shape}")
        self.reset()
        self._size, self.step_size = size, step
        self.recent_f.extend(float(v) for v in recent)
