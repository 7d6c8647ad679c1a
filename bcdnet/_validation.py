"""Checks made once at the public boundary.

Every public function validates its inputs here and nowhere else, so inner kernels can
trust their arguments and stay fast.  Each check raises ``ValueError`` or ``TypeError``
with a message that names the argument, says what was expected and shows what came.
"""

from __future__ import annotations

import numbers

import numpy as np

from .backend import asarray, is_host_array, namespace_of, to_numpy

__all__ = [
    "as_float_array",
    "check_matrix",
    "check_targets",
    "check_sample_weight",
    "check_no_overflow",
    "check_vector",
    "check_positive",
    "check_nonnegative",
    "check_probability",
    "check_int",
    "check_choice",
    "check_rng_seed",
]


def _describe(value) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray) or not is_host_array(value):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def as_float_array(value, name: str, dtype=np.float64) -> np.ndarray:
    """Convert ``value`` to a floating array, or raise ``TypeError`` naming ``name``.

    A device array (CuPy, strict) stays in its namespace; anything else becomes NumPy.
    """
    if type(value) is not np.ndarray and not is_host_array(value):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be an array of real numbers, got {_describe(value)}")
        return value if value.dtype == dtype else value.astype(dtype)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {_describe(value)}")
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of numbers, got {_describe(value)}") from exc
    if array.dtype.kind == "c":
        raise TypeError(f"{name} must be an array of real numbers, got complex "
                        f"{_describe(array)}")
    if array.dtype == object or array.dtype.kind not in "biuf":
        try:
            array = array.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must be an array of numbers, got {_describe(array)}"
            ) from exc
    return np.asarray(array, dtype=dtype)


def _check_finite(array: np.ndarray, name: str) -> None:
    if not namespace_of(array).isfinite(array).all():
        array = to_numpy(array)
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} must be finite, but it holds {array[tuple(bad)]} at index {tuple(bad.tolist())}"
        )


def _move(array, xp):
    """``array`` in namespace ``xp`` (None: where it is): the explicit host-device move."""
    return array if xp is None or namespace_of(array) is xp else asarray(array, xp)


def check_matrix(value, name: str, n_columns: int | None = None, dtype=np.float64,
                 xp=None) -> np.ndarray:
    """Return ``value`` as a finite 2-D float array of shape ``(n_samples, n_columns)``.

    A 1-D input is read as one column when ``n_columns`` is 1 or unknown, and as one
    sample otherwise is refused (the caller must be explicit).  With ``xp`` (an array
    namespace) the result is moved there.
    """
    array = as_float_array(value, name, dtype)
    if array.ndim == 1 and n_columns in (None, 1):
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_features), got {array.ndim}-D "
            f"shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {array.shape}")
    if n_columns is not None and array.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns, got {array.shape[1]}")
    _check_finite(array, name)
    array = _move(array, xp)
    # row-major: BLAS and the passes run several times faster
    return namespace_of(array).ascontiguousarray(array)


def check_targets(value, name: str, n_samples: int, n_outputs: int | None = None,
                  dtype=np.float64, xp=None) -> np.ndarray:
    """Return targets as a finite ``(n_samples, n_outputs)`` array; 1-D means one output."""
    array = check_matrix(value, name, None if n_outputs is None else n_outputs, dtype, xp)
    if array.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have as many rows as X ({n_samples}), got {array.shape[0]}"
        )
    return array


def check_sample_weight(value, n_samples: int, dtype=np.float64, xp=None) -> np.ndarray | None:
    """Return non-negative, finite sample weights of shape ``(n_samples,)`` with a positive sum."""
    if value is None:
        return None
    array = as_float_array(value, "sample_weight", dtype)
    if array.ndim != 1 or array.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {array.shape}"
        )
    _check_finite(array, "sample_weight")
    if (array < 0).any():
        raise ValueError(f"sample_weight must be non-negative, got minimum {array.min()}")
    if not array.max() > 0:      # the max, not the sum: a sum of weights near 1e308 overflows
        raise ValueError("sample_weight must have a positive sum, got all zeros")
    return _move(array, xp)


def check_no_overflow(result: np.ndarray, value, name: str, what: str) -> np.ndarray:
    """Return ``result`` (``what``, computed from ``value``) if it is finite.

    Otherwise raise ``ValueError``: ``value``, the argument ``name``, is too large for it.
    The caller computes ``result`` with overflow warnings off.
    """
    if not np.isfinite(result).all():
        given = (f"{name} = {value:.3g}" if np.ndim(value) == 0 else
                 f"|{name}| up to {np.max(np.abs(value)):.3g}")
        raise ValueError(f"{name} must keep {what} finite in float64, got {given}")
    return result


def check_vector(value, name: str, size: int, dtype=np.float64, xp=None) -> np.ndarray:
    """Return a finite 1-D float array of length ``size`` (in namespace ``xp`` if given)."""
    array = as_float_array(value, name, dtype)
    if array.ndim != 1 or array.shape[0] != size:
        raise ValueError(f"{name} must be a 1-D array of length {size}, got shape {array.shape}")
    _check_finite(array, name)
    return _move(array, xp)


def _check_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and > 0."""
    value = _check_real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and >= 0."""
    value = _check_real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def check_probability(value, name: str) -> float:
    """Return ``value`` as a float in [0, 1]."""
    value = _check_real(value, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def check_int(value, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as an int, checking its type and optional lower bound."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise list the valid ones."""
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(repr(c) for c in sorted(choices))
        raise ValueError(f"unknown {name} {value!r}; valid names are {valid}")
    return value


def check_rng_seed(seed, name: str = "seed") -> np.random.Generator:
    """Return a NumPy ``Generator`` from an int, a ``SeedSequence``, a ``Generator`` or None."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be an int, a numpy SeedSequence or Generator, or None, got {_describe(seed)}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be non-negative, got {seed}")
    return np.random.default_rng(int(seed))
