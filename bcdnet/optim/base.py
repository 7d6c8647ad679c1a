r"""The contract every optimizer in :mod:`bcdnet.optim` keeps.

An optimizer minimises a function of one flat vector,

.. math::

    \min_{x \in \mathbb{R}^n} f(x), \qquad \texttt{fun}(x) \to (f(x), \nabla f(x)),

in the style of :func:`scipy.optimize.minimize`: ``opt.minimize(fun, x0)`` returns an
:class:`OptimizeResult` that says where it stopped and why.  Hyperparameters go to
``__init__`` and are checked there; limits and tolerances (``max_iter``, ``gtol``, ...) have
documented defaults there too, and any of them can be replaced for one call
(``opt.minimize(fun, x0, max_iter=20)``).

The instance also holds the optimizer's *state* (Adam's moments, the L-BFGS memory, ...).
``minimize`` continues from it, which is how block coordinate descent revisits a block;
``reset()`` clears it, ``state_dict()`` / ``load_state_dict()`` save and restore it as plain
data, and ``clone()`` gives a fresh optimizer with the same hyperparameters.
"""

from __future__ import annotations

import abc
import math

import numpy as np

from .._validation import as_float_array, check_int, check_nonnegative, check_vector
from .._component import Component, _is_array
from .._pickling import portable_state, restore_portable_state
from ..backend import asarray, namespace_of
from .result import OptimizeResult, Status, result, snapshot, stopped  # noqa: F401

__all__ = ["Status", "OptimizeResult", "Optimizer"]


def check_x0(x0) -> np.ndarray:
    """Return a copy of ``x0`` after checking that it is 1-D, non-empty and finite.

    A float32 ``x0`` (a float32 network's parameters) stays float32; anything else becomes
    float64.
    """
    dtype = np.float32 if getattr(x0, "dtype", None) == np.float32 else np.float64
    array = as_float_array(x0, "x0", dtype)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"x0 must be a non-empty 1-D array, got shape {array.shape}")
    return check_vector(array, "x0", array.shape[0], dtype).copy()


def _in_dtype(fun, dtype):
    """``fun`` called with its point cast to ``dtype`` (a step ``x + t d`` with a NumPy
    float64 ``t`` is float64 even when ``x`` and ``d`` are float32)."""
    def fun_in_dtype(x, *args):
        return fun(x.astype(dtype, copy=False), *args)
    return fun_in_dtype


def first_evaluation(fun, x0: np.ndarray, *args) -> tuple[float, np.ndarray]:
    """Call ``fun(x0, *args)`` once and check what it returns: ``(f, grad)``, finite, grad like x0."""
    out = fun(x0, *args)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"fun must return a tuple (f, grad), got {type(out).__name__}")
    f = _as_float(out[0])
    grad = as_float_array(out[1], "the gradient returned by fun")
    if grad.shape != x0.shape:
        raise ValueError(f"fun returned a gradient of shape {grad.shape} at x0, "
                         f"expected {x0.shape} like x0")
    finite = namespace_of(grad).isfinite(grad)
    if not math.isfinite(f) or not finite.all():
        raise ValueError(f"fun must be finite at x0, got f={f} and "
                         f"{int((~finite).sum())} non-finite gradient entries")
    return f, grad.copy()


def first_value(fun, x0: np.ndarray) -> float:
    """Call ``fun(x0)`` once for a derivative-free method and check that the value is finite."""
    f = value_of(fun(x0))
    if not math.isfinite(f):
        raise ValueError(f"fun must be finite at x0, got f={f}")
    return f


def value_of(out) -> float:
    """The value from what ``fun`` returned: a number, or the first item of a tuple."""
    return _as_float(out[0] if isinstance(out, tuple) else out)


def _as_float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"fun must return a real number as f, got {value!r}") from exc


def all_finite(f: float, g: np.ndarray) -> bool:
    """The cheap finiteness test of the hot loop: one float and one array."""
    return math.isfinite(f) and bool(namespace_of(g).isfinite(g).all())


def check_max_iter(value, name="max_iter"):
    return check_int(value, name, minimum=1)


def check_optional_limit(value, name):
    """A positive integer limit, or None for no limit."""
    return None if value is None else check_int(value, name, minimum=1)


def check_tolerance(value, name):
    """A tolerance: a finite number >= 0 (0 switches that test off)."""
    return check_nonnegative(value, name)


class Optimizer(Component):
    """Base class: the scipy-style ``minimize`` contract, limits, state and cloning.

    A subclass

    - checks its hyperparameters in ``__init__`` and stores each under its argument's name
      (``self.lr = lr``): :meth:`get_params`, :meth:`set_params`, :meth:`clone` and
      ``repr`` read them from ``__init__``'s signature, so nothing else lists them;
      limits (``max_iter``, ``gtol``, ...) are stored through :meth:`_check_limits`;
    - implements the four abstract methods, :meth:`_minimize` (the algorithm),
      :meth:`reset`, :meth:`_get_state` and :meth:`_set_state` (the state; a stateless
      optimizer returns ``{}`` and does nothing); a subclass missing one of them cannot be
      instantiated, and the ``TypeError`` names what is missing;
    - may override :meth:`_state_size` so that ``minimize`` refuses a state made for
      vectors of another length.

    ``self._xp`` is the array namespace of ``x0`` (NumPy, or CuPy on a GPU network):
    allocate state with it (``self._xp.zeros(n)``).

    Attributes
    ----------
    needs_gradient : bool
        False when ``fun`` may return the value alone (ICRS).
    supports_batches : bool
        True when ``minimize`` accepts ``batches`` (GD and Adam).
    limits : dict
        Name -> checker of every limit or tolerance that ``minimize`` overrides may replace.
    """

    _state_kind = "optimizer"
    needs_gradient = True
    supports_batches = False
    _xp = np        # the array namespace of the state: that of the last x0 (None after a load)
    limits: dict = {}
    __getstate__, __setstate__ = portable_state, restore_portable_state   # _xp by name

    # ---------------------------------------------------------------- public interface
    def minimize(self, fun, x0, *, callback=None, batches=None, **overrides) -> OptimizeResult:
        """Minimise ``fun`` from ``x0``, continuing from the stored state.

        Parameters
        ----------
        fun : callable
            ``fun(x) -> (f, grad)`` with ``f`` a float and ``grad`` a new array of shape
            ``(n,)`` (optimizers keep gradients between calls without copying them);
            ``fun(x, batch)`` when ``batches`` is given.  Only the first call is checked
            in full (shape, finiteness); later calls are checked for finiteness only.
        x0 : array_like of shape (n,)
            Starting point; 1-D and finite.  It is copied, never modified.
        callback : callable, optional
            ``callback(res)`` after every iteration with a snapshot :class:`OptimizeResult`
            (``x``, ``fun``, ``jac``, ``nit``, ``nfev``); returning True stops the run with
            the message "stopped by callback".
        batches : iterable, optional
            One item per iteration, consumed lazily (optimizers with ``supports_batches``).
        **overrides
            New values, for this call only, of any name in :attr:`limits`.

        Returns
        -------
        OptimizeResult

        Raises
        ------
        ValueError
            ``x0`` not 1-D or not finite; ``fun`` not finite at ``x0`` or its gradient not
            shaped like ``x0``; ``batches`` given to a full-batch method; a limit out of
            range; or a stored state for vectors of another size than ``x0`` (the state is
            never dropped silently: call :meth:`reset`, or keep one :meth:`clone` per block).
        TypeError
            ``fun`` or ``callback`` not callable, ``fun`` not returning ``(f, grad)``, or an
            unknown limit name (the message lists the valid ones).
        """
        if not callable(fun):
            raise TypeError(f"fun must be callable, got {type(fun).__name__}")
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
        if batches is not None and not self.supports_batches:
            raise ValueError(f"{type(self).__name__} is a full-batch method: batches must be "
                             f"None (mini-batches are supported by GD and Adam)")
        limits = self._resolve_limits(overrides)
        x0 = check_x0(x0)
        xp = namespace_of(x0)
        if xp is not self._xp:        # state loaded, or made on another backend: move it
            self._xp = xp
            self._move_state(xp)
        size = self._state_size()
        if size is not None and size != x0.size:
            raise ValueError(f"x0 has {x0.size} entries but the stored state of "
                             f"{type(self).__name__} is for {size}; call reset() first, or use "
                             f"one clone() per block")
        if x0.dtype != np.float64:    # float32: fun sees and the result keeps x0's dtype
            fun = _in_dtype(fun, x0.dtype)
            res = self._minimize(fun, x0, callback, batches, **limits)
            res.x = res.x.astype(x0.dtype, copy=False)
            return res
        return self._minimize(fun, x0, callback, batches, **limits)

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget the state, so that the next ``minimize`` starts afresh."""

    def load_state_dict(self, state: dict) -> None:
        """Restore a state made by :meth:`state_dict` of the same optimizer class.

        Raises ValueError when keys are missing or unknown, or shapes do not fit.  The
        arrays move to the namespace of the next ``x0``.
        """
        super().load_state_dict(state)
        self._xp = None

    # ---------------------------------------------------------------- for subclasses
    @abc.abstractmethod
    def _minimize(self, fun, x0, callback, batches, **limits) -> OptimizeResult:
        """Run the algorithm from the stored state; return an :class:`OptimizeResult`.

        Parameters
        ----------
        fun : callable
            As in :meth:`minimize` (``fun(x, batch)`` when ``batches`` is given).
        x0 : ndarray of shape (n,)
            A checked, finite copy of the caller's starting point.
        callback : callable or None
            Call ``callback(snapshot(x, f, g, nit, nfev))`` after each iteration and stop
            with :data:`Status.CALLBACK` when it returns True.
        batches : iterable or None
            None unless the class sets ``supports_batches``.
        **limits
            Every name of :attr:`limits`, with this call's value.

        Build the result with :func:`~bcdnet.optim.result.result` and the shared stop
        messages with :func:`~bcdnet.optim.result.stopped`.
        """

    @abc.abstractmethod
    def _get_state(self) -> dict:
        """The state as ``{key: array, number, string, list or None}``; ``{}`` when stateless.

        Arrays are those the optimizer keeps (``state_dict`` copies them), e.g. moments of
        shape ``(n,)``.
        """

    @abc.abstractmethod
    def _set_state(self, state: dict) -> None:
        """Restore what :meth:`_get_state` returned, checking shapes (see :meth:`_load_vector`)."""

    def _state_size(self) -> int | None:
        """Length ``n`` of the vectors the state is for, or None when it holds none.

        ``minimize`` refuses an ``x0`` of another length while this is not None.  The
        default, None, skips the check: override it when the state holds vectors.
        """
        return None

    def _move_state(self, xp) -> None:
        """Move the state's arrays into namespace ``xp`` (a load, or a change of backend)."""
        state = self._get_state()
        if any(_is_array(v) for v in state.values()):
            self._set_state({k: asarray(v, xp) if _is_array(v) else v for k, v in state.items()})

    def _check_limits(self, **values) -> None:
        """Check limits given to ``__init__`` and store them as attributes."""
        for name, value in values.items():
            setattr(self, name, self.limits[name](value, name))

    def _resolve_limits(self, overrides: dict) -> dict:
        unknown = set(overrides) - set(self.limits)
        if unknown:
            valid = ", ".join(sorted(self.limits))
            raise TypeError(f"{type(self).__name__}.minimize got unknown limit(s) "
                            f"{', '.join(sorted(unknown))}; valid names are {valid}")
        return {name: (check(overrides[name], name) if name in overrides
                       else getattr(self, name))
                for name, check in self.limits.items()}

    @staticmethod
    def _load_vector(state: dict, key: str, size, allow_none: bool = True):
        """Check one saved vector (or None) against the size the state is for."""
        value = state[key]
        if value is None and allow_none:
            return None
        array = as_float_array(value, f"state[{key!r}]")
        if size is None or array.shape != (size,):
            raise ValueError(f"state[{key!r}] must have shape ({size},), got {array.shape}")
        return array.copy()


_END = object()


class SteppingOptimizer(Optimizer):
    r"""Shared driver of the methods whose iteration is one explicit step (GD, Adam).

    .. math::

        x_{k+1} = x_k - \texttt{step}(g_k), \qquad (f_k, g_k) = \texttt{fun}(x_k[, b_k])

    Subclasses write the step itself in :meth:`_step` and allocate their state in
    :meth:`_prepare`.  Full batch, each step is followed by one evaluation at the new point.
    With ``batches``, the first batch is evaluated at ``x0`` and each later batch at the point
    after the previous step, so ``B`` batches give ``B`` steps; when the batches run out the
    last step is kept without an evaluation, and ``fun``/``jac`` of the result are the loss and
    gradient of the last batch at the point before that step.

    A non-finite ``f`` or gradient stops the run at the last finite point (``success=False``,
    status ``NONFINITE``); the state keeps the updates made from finite gradients.
    """

    supports_batches = True

    @abc.abstractmethod
    def _step(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Return the next point :math:`x_{k+1}` from ``x`` and ``g`` (all of shape ``(n,)``).

        Update the state here (moments, velocity); do not modify ``x`` or ``g``.
        """

    @abc.abstractmethod
    def _prepare(self, size: int) -> None:
        """Allocate the state for vectors of length ``size`` unless it already exists."""

    def _minimize(self, fun, x0, callback, batches, *, max_iter, gtol):
        stream = None if batches is None else iter(batches)
        args = ()
        if stream is not None:
            batch = next(stream, _END)
            if batch is _END:
                raise ValueError("batches must yield at least one batch, got an empty iterable")
            args = (batch,)
        f, g = first_evaluation(fun, x0, *args)
        self._prepare(x0.size)
        x, nit, nfev = x0, 0, 1
        while True:
            if gtol > 0:
                gnorm = float(abs(g).max())
                if gnorm <= gtol:
                    status, message = stopped(Status.GTOL, gnorm=gnorm, gtol=gtol)
                    break
            if nit >= max_iter:
                status, message = stopped(Status.MAX_ITER, "steps", max_iter=max_iter)
                break
            with np.errstate(over="ignore", invalid="ignore"):  # caught just below
                x_new = self._step(x, g)
            nit += 1
            if stream is not None:
                batch = next(stream, _END)
                if batch is _END:
                    x = x_new
                    status = Status.BATCHES_EXHAUSTED
                    message = (f"stopped: batches exhausted after {nit} steps (fun and jac are "
                               f"the last batch's, at the point before the final step)")
                    break
                args = (batch,)
            f_new, g_new = fun(x_new, *args)
            nfev += 1
            f_new = float(f_new)
            if not all_finite(f_new, g_new):
                status = Status.NONFINITE
                message = (f"failed: fun returned f = {f_new} or a non-finite gradient after "
                           f"step {nit}; returning the last finite point")
                nit -= 1
                break
            x, f, g = x_new, f_new, g_new
            if callback is not None and callback(snapshot(x, f, g, nit, nfev)):
                status, message = stopped(Status.CALLBACK)
                break
        return result(x, f, g, nit, nfev, status, message)
