r"""Strong-Wolfe line search with cubic interpolation, reusable by any descent method.

Given a descent direction :math:`d` at :math:`x` (:math:`\phi(t) = f(x + t d)`,
:math:`\phi'(0) = g^\top d < 0`) the search looks for a step :math:`t > 0` with

.. math::

    \phi(t) \le \phi(0) + c_1 t\, \phi'(0)  \quad\text{(sufficient decrease)}, \qquad
    |\phi'(t)| \le c_2\, |\phi'(0)|          \quad\text{(strong curvature)}.

It follows Nocedal & Wright, *Numerical Optimization* (2nd ed. 2006), Algorithms 3.5
(bracketing) and 3.6 (zoom), with trial steps from the minimiser of the cubic that fits
:math:`\phi` and :math:`\phi'` at two points (their eq. 3.59), as in Moré & Thuente (1994)
and in the minFunc-derived ``_strong_wolfe`` of PyTorch's ``torch/optim/lbfgs.py``, whose
safeguards we keep:

* bracketing: extrapolate within :math:`[t + 0.01(t - t_{prev}),\ 10 t]`;
* zoom: a trial within 10 % of the bracket's width from an end is moved to that 10 % mark
  when the previous trial was also that close (or fell outside the bracket);
* stop zooming when the bracket's width times :math:`\lVert d\rVert_\infty` is below ``xtol``.

Non-finite values are never accepted: a trial where ``f`` or the gradient is NaN or inf
counts as "too far" (an infinite value), closes the bracket there, and the next trial is
the bracket's midpoint, since no cubic fits an infinite value.
"""

from __future__ import annotations

import math

__all__ = ["cubic_minimizer", "strong_wolfe"]

_INF = math.inf


def cubic_minimizer(t1, f1, d1, t2, f2, d2, lower=None, upper=None) -> float:
    r"""Minimiser of the cubic through :math:`(t_1, f_1, f'_1)` and :math:`(t_2, f_2, f'_2)`.

    .. math::

        e_1 = f'_1 + f'_2 - 3\,\frac{f_1 - f_2}{t_1 - t_2}, \quad
        e_2 = \operatorname{sign}(t_2 - t_1) \sqrt{e_1^2 - f'_1 f'_2}, \quad
        t = t_2 - (t_2 - t_1)\,\frac{f'_2 + e_2 - e_1}{f'_2 - f'_1 + 2 e_2}

    (Nocedal & Wright eq. 3.59), clipped to ``[lower, upper]`` (default: between the two
    points).  When the cubic has no minimiser there, or any input is not finite, the result
    is the midpoint of the interval.
    """
    if lower is None:
        lower, upper = (t1, t2) if t1 <= t2 else (t2, t1)
    midpoint = 0.5 * (lower + upper)
    if t1 == t2:
        return midpoint
    e1 = d1 + d2 - 3.0 * (f1 - f2) / (t1 - t2)
    radicand = e1 * e1 - d1 * d2
    if not (radicand >= 0.0 and math.isfinite(radicand)):   # also catches NaN
        return midpoint
    e2 = math.sqrt(radicand)
    if t1 <= t2:
        num, den, near, far = d2 + e2 - e1, d2 - d1 + 2.0 * e2, t2, t1
    else:
        num, den, near, far = d1 + e2 - e1, d1 - d2 + 2.0 * e2, t1, t2
    if den == 0.0:
        return midpoint
    t = near - (near - far) * (num / den)
    if not math.isfinite(t):
        return midpoint
    return min(max(t, lower), upper)


def strong_wolfe(phi, f0, g0, gtd0, t, d_norm, *, c1=1e-4, c2=0.9, max_ls=25, xtol=1e-9):
    r"""Find a step satisfying the strong Wolfe conditions along one direction.

    Parameters
    ----------
    phi : callable
        ``phi(t) -> (f, g, gtd)``: value, gradient (ndarray of shape (n,)) and directional
        derivative :math:`g^\top d` at :math:`x + t d`.  For a non-finite point it must return
        ``(inf, None, inf)``.
    f0 : float
    g0 : ndarray of shape (n,)
    gtd0 : float
        :math:`\phi(0)`, the gradient at :math:`x` and :math:`\phi'(0) < 0`.
    t : float
        First trial step (> 0).
    d_norm : float
        :math:`\lVert d \rVert_\infty`, for the ``xtol`` test.
    c1, c2 : float
        Sufficient-decrease and curvature constants, :math:`0 < c_1 < c_2 < 1`.
    max_ls : int
        Most evaluations of ``phi``.
    xtol : float
        Stop zooming when (bracket width) :math:`\cdot \lVert d\rVert_\infty <` xtol.

    Returns
    -------
    t : float
        The step; 0.0 when nothing better than :math:`x` was found.
    f : float
    g : ndarray of shape (n,)
        Value and gradient at the returned step.
    n_evals : int
        Calls of ``phi``.
    wolfe : bool
        True when both strong Wolfe conditions hold at the returned step.
    """
    f_new, g_new, gtd_new = phi(t)
    n_evals = 1
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f0, g0, gtd0

    # Bracketing phase: grow t until [t_prev, t] must hold an acceptable step.
    bracket = None
    while True:
        if f_new > f0 + c1 * t * gtd0 or (n_evals > 1 and f_new >= f_prev):
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new, gtd_new)]
            break
        if abs(gtd_new) <= -c2 * gtd0:
            return t, f_new, g_new, n_evals, True
        if gtd_new >= 0.0:
            bracket = [(t_prev, f_prev, g_prev, gtd_prev), (t, f_new, g_new, gtd_new)]
            break
        if n_evals >= max_ls:
            return t, f_new, g_new, n_evals, False   # still descending: keep the longest step
        t_next = cubic_minimizer(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                 lower=t + 0.01 * (t - t_prev), upper=10.0 * t)
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new, gtd_new = phi(t)
        n_evals += 1

    # Zoom phase: shrink the bracket; `low` is the end with the lower value.
    low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
    insufficient_progress = False
    while n_evals < max_ls:
        (t_a, f_a, _, gtd_a), (t_b, f_b, _, gtd_b) = bracket
        t_min, t_max = (t_a, t_b) if t_a <= t_b else (t_b, t_a)
        if (t_max - t_min) * d_norm < xtol:
            break
        t = cubic_minimizer(t_a, f_a, gtd_a, t_b, f_b, gtd_b)
        margin = 0.1 * (t_max - t_min)
        if min(t_max - t, t - t_min) < margin:
            # too close to an end: accept that once, then force the trial inwards
            if insufficient_progress or t >= t_max or t <= t_min:
                t = t_max - margin if abs(t - t_max) < abs(t - t_min) else t_min + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new, gtd_new = phi(t)
        n_evals += 1
        point = (t, f_new, g_new, gtd_new)
        if f_new > f0 + c1 * t * gtd0 or f_new >= bracket[low][1]:
            bracket[high] = point
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd0:
                return t, f_new, g_new, n_evals, True
            if gtd_new * (bracket[high][0] - bracket[low][0]) >= 0.0:
                bracket[high] = bracket[low]
            bracket[low] = point
    t, f_low, g_low, _ = bracket[low]
    return t, f_low, g_low, n_evals, False
