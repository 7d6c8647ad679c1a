r"""Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, ch. 6–7)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import as_float_array, check_choice, check_int, check_positive
from ..backend import namespace_of
from .base import (Optimizer, Status, check_max_iter, check_optional_limit, check_tolerance,
                   first_evaluation, result, snapshot, stopped)
from .line_search import strong_wolfe

__all__ = ["LBFGS"]

_EPS = np.finfo(np.float64).eps
LINE_SEARCHES = ("strong_wolfe", None)


class LBFGS(Optimizer):
    r"""L-BFGS: quasi-Newton steps from the last ``m`` curvature pairs.

    With :math:`s_i = x_{i+1} - x_i`, :math:`y_i = g_{i+1} - g_i` and
    :math:`\rho_i = 1 / y_i^\top s_i`, the direction :math:`d_k = -H_k g_k` comes from the
    two-loop recursion (Nocedal & Wright, Algorithm 7.4), newest pair first:

    .. math::

        q &\leftarrow -g_k; \quad
        a_i = \rho_i s_i^\top q,\; q \leftarrow q - a_i y_i
            \quad (i = k-1, \dots, k-m) \\
        r &\leftarrow \gamma_k q, \qquad
            \gamma_k = \frac{s_{k-1}^\top y_{k-1}}{y_{k-1}^\top y_{k-1}}
            \quad\text{(Shanno–Phua scaling of } H_k^0 = \gamma_k I\text{, N\&W eq. 7.20)} \\
        b &= \rho_i y_i^\top r,\; r \leftarrow r + (a_i - b)\, s_i
            \quad (i = k-m, \dots, k-1); \qquad d_k = r.

    The step :math:`x_{k+1} = x_k + t_k d_k` takes :math:`t_k` from the strong-Wolfe line
    search of :mod:`bcdnet.optim.line_search` (cubic interpolation, PyTorch/minFunc
    safeguards), first trial :math:`t = \text{lr}`, or
    :math:`\min(1, 1/\lVert g\rVert_1)\,\text{lr}` while the memory is empty (PyTorch's
    rule; the direction is then :math:`-g`).  With ``line_search=None`` the step is the fixed
    ``lr`` and a non-finite value stops the run.

    **Curvature check.** A pair enters the memory only when
    :math:`y^\top s > \varepsilon\, y^\top y` (:math:`\varepsilon` = machine epsilon), i.e.
    when it keeps :math:`H` positive definite with :math:`\gamma > \varepsilon`; otherwise
    the memory is left as it was.  If :math:`d_k` is not a descent direction, or the line
    search finds no lower point, the memory is cleared and the iteration is retried along
    :math:`-g_k`; failing along :math:`-g_k` too ends the run (``LINE_SEARCH_FAILED``).

    **Stopping** (first met, checked after every step): :math:`\lVert g\rVert_\infty \le`
    ``gtol``; :math:`(f_k - f_{k+1}) / \max(|f_k|, |f_{k+1}|, 1) \le` ``ftol`` (SciPy's
    L-BFGS-B test); ``max_iter`` steps in this call ("restricted iterations" in Paper B:
    block coordinate descent gives each visit a small cap); ``max_eval`` calls of ``fun``
    (the line search is never allowed past it).

    **State.** The pairs, kept in preallocated ring arrays of shape ``(m, n)``, and
    :math:`\gamma`.  A later call continues with them; a pair is stored as soon as its step is
    taken, so two calls of k and j iterations follow the same path as one of k + j, apart
    from the extra evaluation at the start of the second call.  When block coordinate
    descent moves to another block the pairs describe another Hessian: give each block its
    own ``clone()`` or ``reset()`` (docs/design.rst, section Optimizers).

    References: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer
    2006, ch. 6–7 (Algorithm 7.4, eq. 7.20) and §3.5 (line search); J. J. Moré and
    D. J. Thuente, "Line search algorithms with guaranteed sufficient decrease", ACM TOMS
    20 (1994); PyTorch ``torch/optim/lbfgs.py`` (minFunc-derived strong-Wolfe search).

    Parameters
    ----------
    history_size : int, default 10
        Memory :math:`m`: number of :math:`(s, y)` pairs kept (SciPy's ``maxcor``).
    max_iter : int, default 20
        Iterations per call (PyTorch's default; Paper B's restricted iterations).
    line_search : {"strong_wolfe", None}, default "strong_wolfe"
    lr : float, default 1.0
        First trial step of the line search, or the fixed step without one.
    c1, c2 : float, default 1e-4, 0.9
        Wolfe constants, :math:`0 < c_1 < c_2 < 1`.
    max_ls : int, default 25
        Evaluations per line search.
    gtol : float, default 1e-5
        Gradient tolerance on :math:`\lVert g \rVert_\infty` (SciPy's default; 0: off).
    ftol : float, default 2.220446049250313e-09
        Relative-reduction tolerance (SciPy's default, ``factr = 1e7`` times eps; 0 switches
        the test off, since every accepted line-search step lowers f).
    max_eval : int or None, default None
        Calls of ``fun`` per call of ``minimize``; None: no cap besides ``max_iter``.
    xtol : float, default 1e-9
        The line search stops zooming when its bracket times :math:`\lVert d\rVert_\infty`
        is below ``xtol`` (PyTorch's ``tolerance_change``).
    """

    limits = {"max_iter": check_max_iter, "max_eval": check_optional_limit,
              "gtol": check_tolerance, "ftol": check_tolerance}

    def __init__(self, history_size=10, max_iter=20, line_search="strong_wolfe", *, lr=1.0,
                 c1=1e-4, c2=0.9, max_ls=25, gtol=1e-5, ftol=2.220446049250313e-09,
                 max_eval=None, xtol=1e-9):
        self.history_size = check_int(history_size, "history_size", minimum=1)
        if line_search is not None:
            try:
                check_choice(line_search, "line_search", {"strong_wolfe"})
            except ValueError as exc:
                raise ValueError(f"{exc}, or None for a fixed step") from None
        self.line_search = line_search
        self.lr = check_positive(lr, "lr")
        self.c1 = check_positive(c1, "c1")
        self.c2 = check_positive(c2, "c2")
        if not self.c1 < self.c2 < 1.0:
            raise ValueError(f"c1 and c2 must satisfy 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
        self.max_ls = check_int(max_ls, "max_ls", minimum=1)
        self.xtol = check_tolerance(xtol, "xtol")
        self._check_limits(max_iter=max_iter, max_eval=max_eval, gtol=gtol, ftol=ftol)
        self.reset()

    # ---------------------------------------------------------------- memory
    def reset(self):
        self._S = self._Y = None     # ring arrays, shape (history_size, n)
        self._rho = [0.0] * self.history_size   # 1 / y's, Python floats for the loops
        self._count = 0              # pairs stored
        self._head = 0               # row the next pair goes to
        self._gamma = 1.0            # H0 scaling from the newest pair

    def _clear_pairs(self):
        self._count = self._head = 0
        self._gamma = 1.0

    def _push(self, x_new, x, g_new, g) -> None:
        """Store the pair of the step just taken, if it passes the curvature check."""
        s, y = self._rows_s[self._head], self._rows_y[self._head]
        self._xp.subtract(x_new, x, out=s)
        self._xp.subtract(g_new, g, out=y)
        ys, yy = float(y @ s), float(y @ y)
        if ys > _EPS * yy and yy > 0.0:
            self._rho[self._head] = 1.0 / ys
            self._gamma = ys / yy
            self._head = (self._head + 1) % self.history_size
            self._count = min(self._count + 1, self.history_size)

    def _direction(self, g, tmp) -> np.ndarray:
        """:math:`-H g` by the two-loop recursion over the stored pairs."""
        q = -g
        if self._count == 0:
            return q
        m, rows_s, rows_y, rho = self.history_size, self._rows_s, self._rows_y, self._rho
        multiply = self._xp.multiply
        order = [(self._head - 1 - j) % m for j in range(self._count)]   # newest first
        alpha = []
        for i in order:
            a = rho[i] * float(rows_s[i] @ q)
            alpha.append(a)
            multiply(rows_y[i], a, out=tmp)
            q -= tmp
        q *= self._gamma
        for i, a in zip(reversed(order), reversed(alpha)):
            b = rho[i] * float(rows_y[i] @ q)
            multiply(rows_s[i], a - b, out=tmp)
            q += tmp
        return q

    def _allocate(self, size, xp):
        self._S = xp.zeros((self.history_size, size))
        self._Y = xp.zeros((self.history_size, size))
        self._rows_s, self._rows_y = list(self._S), list(self._Y)   # row views, made once

    # ---------------------------------------------------------------- the run
    def _minimize(self, fun, x0, callback, batches, *, max_iter, max_eval, gtol, ftol):
        f, g = first_evaluation(fun, x0)
        n = x0.size
        xp = self._xp
        if self._S is None:
            self._allocate(n, xp)
        tmp = xp.empty(n)
        x, nit, nfev = x0, 0, 1
        max_eval = math.inf if max_eval is None else max_eval
        status = None
        gnorm = float(abs(g).max())
        if gnorm <= gtol or gnorm == 0.0:
            return result(x, f, g, 0, 1, *stopped(Status.GTOL, gnorm=gnorm, gtol=gtol))

        def phi(t):
            x_t = x + t * d
            f_t, g_t = fun(x_t)
            f_t = float(f_t)
            if not (math.isfinite(f_t) and xp.isfinite(g_t).all()):
                return math.inf, None, math.inf
            return f_t, g_t, float(g_t @ d)

        while status is None:
            if nfev >= max_eval:
                status, message = stopped(Status.MAX_EVAL, max_eval=max_eval)
                break
            d = self._direction(g, tmp)
            gtd = float(g @ d)
            if not gtd < 0.0:                         # not a descent direction: restart
                self._clear_pairs()
                d = -g
                gtd = float(g @ d)
            while True:
                t = self.lr if self._count else min(1.0, 1.0 / float(abs(g).sum())) * self.lr
                if self.line_search is None:
                    f_new, g_new, _ = phi(t)
                    nfev += 1
                    if not math.isfinite(f_new):
                        status = Status.NONFINITE
                        message = (f"failed: fun was not finite after a fixed step lr = "
                                   f"{self.lr:g}; returning the last finite point")
                    break
                t, f_new, g_new, n_ls, _ = strong_wolfe(
                    phi, f, g, gtd, t, float(abs(d).max()), c1=self.c1, c2=self.c2,
                    max_ls=int(min(self.max_ls, max_eval - nfev)), xtol=self.xtol)
                nfev += n_ls
                if t > 0.0 and f_new < f:
                    break
                if self._count == 0 or nfev >= max_eval:
                    status = Status.LINE_SEARCH_FAILED
                    message = (f"failed: the line search found no lower point along -grad "
                               f"(||grad f||_inf = {gnorm:.3g}); returning the best point")
                    break
                self._clear_pairs()                   # retry along the steepest descent
                d = -g
                gtd = float(g @ d)
            if status is not None:
                break
            x_new = x + t * d
            nit += 1
            self._push(x_new, x, g_new, g)
            f_old = f
            x, f, g = x_new, f_new, g_new
            gnorm = float(abs(g).max())
            if gnorm <= gtol:
                status, message = stopped(Status.GTOL, gnorm=gnorm, gtol=gtol)
            elif 0.0 <= f_old - f <= ftol * max(abs(f_old), abs(f), 1.0):
                status = Status.FTOL
                message = (f"converged: relative reduction of f "
                           f"{(f_old - f) / max(abs(f_old), abs(f), 1.0):.3g} <= ftol = {ftol:.3g}")
            elif callback is not None and callback(snapshot(x, f, g, nit, nfev)):
                status, message = stopped(Status.CALLBACK)
            elif nit >= max_iter:
                status, message = stopped(Status.MAX_ITER, max_iter=max_iter)
        return result(x, f, g, nit, nfev, status, message)

    # ---------------------------------------------------------------- state
    def _state_size(self):
        return None if self._S is None else self._S.shape[1]

    def _get_state(self):
        m = self.history_size
        order = [(self._head - self._count + j) % m for j in range(self._count)]  # oldest first
        size = self._state_size()
        empty = np.zeros((0, 0 if size is None else size))
        return {"size": size,
                "s": self._S[order] if self._count else empty,
                "y": self._Y[order] if self._count else empty.copy(),
                "rho": np.array([self._rho[i] for i in order]),
                "gamma": self._gamma}

    def _set_state(self, state):
        size = state["size"]
        if size is None:
            self.reset()
            return
        size = check_int(size, "state['size']", minimum=1)
        s = as_float_array(state["s"], "state['s']")
        y = as_float_array(state["y"], "state['y']")
        rho = as_float_array(state["rho"], "state['rho']")
        k = rho.shape[0] if rho.ndim == 1 else -1
        if k > self.history_size or rho.ndim != 1:
            raise ValueError(f"state['rho'] must be 1-D with at most history_size = "
                             f"{self.history_size} entries, got shape {rho.shape}")
        for key, array in (("s", s), ("y", y)):
            if array.shape != (k, size) and not (k == 0 and array.size == 0):
                raise ValueError(f"state[{key!r}] must have shape ({k}, {size}), got {array.shape}")
        self.reset()
        self._allocate(size, namespace_of(s))
        if k:
            self._S[:k], self._Y[:k] = s, y
            self._rho[:k] = [float(v) for v in rho]
        self._count, self._head = k, k % self.history_size
        self._gamma = float(state["gamma"])
