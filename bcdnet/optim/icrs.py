r"""ICRS: Iterated Control(led) Random Search, derivative-free (our reconstruction)."""

from __future__ import annotations

import copy
import math

import numpy as np

from .._validation import as_float_array, check_int, check_positive, check_rng_seed
from ..backend import asarray
from .adam import _size
from .base import (Optimizer, Status, check_optional_limit, first_value, result, snapshot,
                   stopped, value_of)

__all__ = ["ICRS"]


class ICRS(Optimizer):
    r"""Adaptive random search with Gaussian trials and a per-variable spread.

    .. note::

        The primary papers, Goulcher & Casares Long (1978), "The solution of steady-state
        chemical engineering optimisation problems using a random-search algorithm",
        Comput. Chem. Eng. 2:33–36, and Li et al. (2016, ICRS-Filter), could not be
        retrieved.  What follows is our reconstruction (docs/design.rst, section ICRS):
        the adaptive-random-search template of that line of work (Gaussian trial points
        around the incumbent, a per-variable spread contracted after repeated failures), with
        defaults from implementations that were retrieved (Luus–Jaakola; K. Polyakov's
        ``randsearch.m``: 20 failures before contracting by 0.5, 2 successes before expanding
        by 1.1).  Replace them when the primary text turns up.

    With incumbent :math:`x` (value :math:`f_x`) and spread :math:`\sigma \in \mathbb{R}^n`,
    each iteration draws one trial

    .. math::

        x' = \operatorname{clip}(x + \sigma \odot z,\ l,\ u), \qquad z \sim N(0, I),

    and keeps it when :math:`f(x') < f_x` (a NaN or inf value is a failure).  After
    ``n_succ_expand`` successes in a row :math:`\sigma \leftarrow` ``expand`` :math:`\sigma`;
    after ``n_fail_max`` failures in a row :math:`\sigma \leftarrow` ``contract``
    :math:`\sigma`.  The run stops after ``max_eval`` evaluations (``max_iter`` trials), or
    when :math:`\max_i \sigma_i / \sigma^0_i \le` ``rel_min`` (``MIN_SPREAD``, a success).
    The best value never rises: ``res.trace[j]`` is the best value after evaluation
    :math:`j` (the first at ``x0``).

    **Value only.** ICRS calls ``fun(x)`` and uses the value; if ``fun`` returns a tuple
    its first item is used, so ``fun(x) -> (f, grad)`` works, but the Trainer passes a
    value-only function (``BlockObjective.value``) so no backward pass is paid for.

    **State.** :math:`\sigma`, :math:`\sigma^0`, the two counters and the RNG.  A later call
    continues with them (and stops at once if the spread has already reached ``rel_min``:
    ``reset()`` to start again).  ``reset()`` and ``clone()`` rewind the RNG to its state at
    construction, so a reset run repeats the first one exactly.

    Parameters
    ----------
    sigma0 : float, array of shape (n,), or None, default None
        Initial spread :math:`\sigma^0` (> 0).  None: ``0.1 * (u - l)`` with bounds, else
        ``0.1 * max(|x0_i|, 1)`` per variable.
    n_fail_max : int, default 20
        Failures in a row before contracting.
    contract : float, default 0.5
        Contraction factor, in (0, 1).
    n_succ_expand : int, default 2
        Successes in a row before expanding.
    expand : float, default 1.1
        Expansion factor, >= 1.
    rel_min : float, default 1e-6
        Stop when every :math:`\sigma_i/\sigma^0_i \le` rel_min (> 0).
    max_eval : int, default 10000
        Calls of ``fun`` per call of ``minimize``, the first at ``x0`` included.
    max_iter : int or None, default None
        Trials per call; None: limited by ``max_eval`` only.
    seed : int, SeedSequence, Generator or None, default None
        Seed of the NumPy Generator that draws :math:`z`; a Generator is copied, so the
        caller's own is not advanced.
    bounds : (lower, upper) or None, default None
        Box :math:`[l, u]`, scalars or arrays of shape (n,); trials are clipped into it and
        ``x0`` must lie in it.
    """

    needs_gradient = False
    limits = {"max_eval": check_optional_limit, "max_iter": check_optional_limit,
              "rel_min": check_positive}

    def __init__(self, sigma0=None, n_fail_max=20, contract=0.5, n_succ_expand=2, expand=1.1,
                 *, rel_min=1e-6, max_eval=10000, max_iter=None, seed=None, bounds=None):
        if sigma0 is not None:
            spread = as_float_array(sigma0, "sigma0")
            if spread.ndim > 1 or not np.isfinite(spread).all() or not (spread > 0).all():
                raise ValueError(f"sigma0 must be a positive finite number or 1-D array, "
                                 f"got {sigma0!r}")
        self.sigma0 = sigma0           # hyperparameters are kept as given (get_params, clone)
        self.n_fail_max = check_int(n_fail_max, "n_fail_max", minimum=1)
        self.contract = check_positive(contract, "contract")
        if self.contract >= 1.0:
            raise ValueError(f"contract must lie in (0, 1), got {contract}")
        self.n_succ_expand = check_int(n_succ_expand, "n_succ_expand", minimum=1)
        self.expand = check_positive(expand, "expand")
        if self.expand < 1.0:
            raise ValueError(f"expand must be at least 1, got {expand}")
        self.bounds = bounds
        self._bounds = self._check_bounds(bounds)
        self.seed = seed
        self._rng = copy.deepcopy(check_rng_seed(seed))   # private: never advances the caller's
        self._rng_start = self._rng.bit_generator.state
        self._check_limits(max_eval=max_eval, max_iter=max_iter, rel_min=rel_min)
        self.reset()

    @staticmethod
    def _check_bounds(bounds):
        if bounds is None:
            return None
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
            raise TypeError(f"bounds must be a pair (lower, upper) or None, got {bounds!r}")
        lower = as_float_array(bounds[0], "bounds[0]")
        upper = as_float_array(bounds[1], "bounds[1]")
        if lower.ndim > 1 or upper.ndim > 1 or np.isnan(lower).any() or np.isnan(upper).any():
            raise ValueError("bounds must be scalars or 1-D arrays without NaN")
        if not (lower < upper).all():
            raise ValueError("bounds must satisfy lower < upper in every entry")
        return lower, upper

    def reset(self):
        self.sigma = None            # current spread, shape (n,)
        self.sigma_start = None      # sigma^0, shape (n,)
        self.n_success = 0           # successes in a row
        self.n_failure = 0           # failures in a row
        self._rng.bit_generator.state = self._rng_start

    def clone(self):
        twin = super().clone()
        twin._rng = copy.deepcopy(self._rng)
        twin._rng.bit_generator.state = self._rng_start
        twin._rng_start = self._rng_start
        return twin

    def _start(self, x0):
        n, xp = x0.size, self._xp
        if self._bounds is not None:
            lower, upper = (asarray(np.broadcast_to(b, (n,)), xp) if b.ndim == 0 or b.size == n
                            else None for b in self._bounds)
            if lower is None or upper is None:
                raise ValueError(f"bounds must be scalars or have {n} entries like x0")
            if ((x0 < lower) | (x0 > upper)).any():
                raise ValueError("x0 must lie within bounds")
            box = (lower, upper)
        else:
            box = None
        if self.sigma is None:
            if self.sigma0 is None:
                sigma = (0.1 * (box[1] - box[0]) if box is not None
                         else 0.1 * xp.maximum(abs(x0), 1.0))
                if not xp.isfinite(sigma).all():
                    raise ValueError("sigma0 must be given when bounds are infinite")
            else:
                if np.ndim(self.sigma0) == 1 and np.size(self.sigma0) != n:
                    raise ValueError(f"sigma0 must have {n} entries like x0, "
                                     f"got {np.size(self.sigma0)}")
                sigma = np.broadcast_to(np.asarray(self.sigma0, dtype=float), (n,))
            self.sigma = xp.array(sigma, dtype=float)   # a copy, moved to x0's namespace
            self.sigma_start = self.sigma.copy()
        return box

    def _minimize(self, fun, x0, callback, batches, *, max_eval, max_iter, rel_min):
        box = self._start(x0)
        f = first_value(fun, x0)
        x, nit, nfev = x0, 0, 1
        trace = [f]
        max_eval = math.inf if max_eval is None else max_eval
        max_iter = math.inf if max_iter is None else max_iter
        rng, sigma, xp = self._rng, self.sigma, self._xp
        while True:
            spread = float((sigma / self.sigma_start).max())
            if spread <= rel_min:
                status = Status.MIN_SPREAD
                message = f"converged: largest relative spread {spread:.3g} <= rel_min = {rel_min:.3g}"
                break
            if nfev >= max_eval:
                status, message = stopped(Status.MAX_EVAL, max_eval=max_eval)
                break
            if nit >= max_iter:
                status, message = stopped(Status.MAX_ITER, "trials", max_iter=max_iter)
                break
            trial = x + sigma * asarray(rng.standard_normal(x.size), xp)   # drawn on the host
            if box is not None:
                xp.clip(trial, box[0], box[1], out=trial)
            f_trial = value_of(fun(trial))
            nfev += 1
            nit += 1
            if f_trial < f:                       # NaN compares False: a failure
                x, f = trial, f_trial
                self.n_failure = 0
                self.n_success += 1
                if self.n_success >= self.n_succ_expand:
                    sigma *= self.expand
                    self.n_success = 0
            else:
                self.n_success = 0
                self.n_failure += 1
                if self.n_failure >= self.n_fail_max:
                    sigma *= self.contract
                    self.n_failure = 0
            trace.append(f)
            if callback is not None and callback(snapshot(x, f, None, nit, nfev)):
                status, message = stopped(Status.CALLBACK)
                break
        return result(x, f, None, nit, nfev, status, message, trace=np.array(trace))

    def _state_size(self):
        return None if self.sigma is None else self.sigma.size

    def _get_state(self):
        return {"sigma": self.sigma, "sigma_start": self.sigma_start,
                "n_success": self.n_success, "n_failure": self.n_failure,
                "rng": self._rng.bit_generator.state}

    def _set_state(self, state):
        sigma = self._load_vector(state, "sigma", _size(state["sigma"]))
        start = self._load_vector(state, "sigma_start", None if sigma is None else sigma.size)
        if (sigma is None) != (start is None):
            raise ValueError("state['sigma'] and state['sigma_start'] must both be set or None")
        n_success = check_int(state["n_success"], "state['n_success']", minimum=0)
        n_failure = check_int(state["n_failure"], "state['n_failure']", minimum=0)
        rng_state = state["rng"]
        if not isinstance(rng_state, dict) or "bit_generator" not in rng_state:
            raise ValueError("state['rng'] must be a bit-generator state dict")
        try:
            self._rng.bit_generator.state = rng_state
        except (TypeError, ValueError) as exc:
            raise ValueError(f"state['rng'] does not fit this RNG: {exc}") from exc
        self.sigma, self.sigma_start = sigma, start
        self.n_success, self.n_failure = n_success, n_failure
