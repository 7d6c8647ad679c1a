r"""BCDRegressor's data: the checks of X, y and weights, and the rows a fit sees.

The checks name the argument, as everywhere in bcdnet, and use the wording scikit-learn's
estimator checks look for ("Reshape your data", "Complex data not supported", "NaN",
"sparse", "X has 1 features, but BCDRegressor is expecting 4 features as input"), so that
code written for scikit-learn recognises them.

**The rows a fit sees.**  A weighted data set is an empirical distribution
:math:`\sum_n w_n \delta_{(x_n, y_n)}`; :func:`canonical_rows` writes it in one canonical
form before anything is fitted: rows of weight 0 dropped, identical rows (``X`` and ``y``)
merged into one whose weight is their sum, and the rows sorted.  Every later step (scalers,
least squares, the validation split, training) then depends only on the distribution, so a
weight of 0 equals deleting the row and an integer weight :math:`k` equals :math:`k` copies
of it, exactly, and shuffling the rows changes nothing.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import check_matrix, check_sample_weight

__all__ = ["check_X", "check_y", "feature_names", "check_feature_names", "canonical_rows",
           "split_rows"]


def _is_sparse(value) -> bool:
    return type(value).__module__.startswith("scipy.sparse")


def _as_real_array(value, name: str) -> np.ndarray:
    """``value`` as a float64 array: TypeError for non-numbers, ValueError for complex."""
    if _is_sparse(value):
        raise TypeError(f"{name} is a sparse matrix; BCDRegressor needs dense data "
                        f"({name}.toarray())")
    array = np.asarray(value)
    if array.dtype.kind == "c":
        raise ValueError(f"{name} holds complex numbers: Complex data not supported")
    try:
        return np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from exc


def _check_finite(array: np.ndarray, name: str) -> None:
    if not np.isfinite(array).all():
        index = tuple(np.argwhere(~np.isfinite(array))[0].tolist())
        kind = "NaN" if np.isnan(array[index]) else "inf"
        raise ValueError(f"{name} must be finite, but it holds {kind} at index {index}")


def check_X(X, n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite float64 array of shape ``(n_samples, n_features)``."""
    array = _as_real_array(X, "X")
    if array.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (n_samples, n_features), got "
                         f"{array.ndim}-D shape {array.shape}. Reshape your data either "
                         f"using X.reshape(-1, 1) if it has a single feature or "
                         f"X.reshape(1, -1) if it holds a single sample")
    if array.shape[1] == 0:
        raise ValueError(f"X must hold at least one column: found 0 feature(s) "
                         f"(shape={array.shape}) while a minimum of 1 is required.")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(f"X has {array.shape[1]} features, but BCDRegressor is expecting "
                         f"{n_features} features as input")
    _check_finite(array, "X")
    return check_matrix(array, "X")     # at least one row; C order


def check_y(y, n_samples: int) -> np.ndarray:
    """``y`` as a finite float64 array of shape ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
    if y is None:
        raise ValueError("BCDRegressor requires y to be passed, but the target y is None")
    array = _as_real_array(y, "y")
    if array.ndim not in (1, 2) or array.shape[0] != n_samples:
        raise ValueError(f"y must have as many rows as X ({n_samples}) and one or two "
                         f"dimensions, got shape {array.shape}")
    if array.ndim == 2 and array.shape[1] == 0:
        raise ValueError(f"y must hold at least one output, got shape {array.shape}")
    _check_finite(array, "y")
    return array


def feature_names(X) -> np.ndarray | None:
    """The column names of a DataFrame whose names are all strings, as an object array."""
    columns = getattr(X, "columns", None)
    if columns is None or not all(isinstance(c, str) for c in columns):
        return None
    return np.asarray(list(columns), dtype=object)


def check_feature_names(fitted: np.ndarray | None, X) -> None:
    """Refuse a DataFrame whose columns are not those seen in ``fit``, in the same order.

    As scikit-learn does: a ValueError naming the unexpected and the missing columns; a
    warning when only one of ``fit`` and this call saw names.
    """
    names = feature_names(X)
    if fitted is None or names is None:
        if names is not None:
            warnings.warn("X has feature names, but BCDRegressor was fitted without feature "
                          "names", UserWarning, stacklevel=3)
        elif fitted is not None and getattr(X, "columns", None) is None:
            warnings.warn("X does not have valid feature names, but BCDRegressor was fitted "
                          "with feature names", UserWarning, stacklevel=3)
        return
    if len(names) == len(fitted) and (names == fitted).all():
        return
    unexpected = sorted(set(names) - set(fitted))
    missing = sorted(set(fitted) - set(names))
    message = "The feature names should match those that were passed during fit.\n"
    if unexpected:
        message += "Feature names unseen at fit time:\n" + _listed(unexpected)
    if missing:
        message += "Feature names seen at fit time, yet now missing:\n" + _listed(missing)
    if not unexpected and not missing:
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ValueError(message)


def _listed(names: list, most: int = 5) -> str:
    shown = "".join(f"- {name}\n" for name in names[:most])
    return shown + ("- ...\n" if len(names) > most else "")


def canonical_rows(X, Y, sample_weight):
    """The weighted rows in canonical form: ``(X, Y, w)`` with ``w`` None when all equal.

    Rows of weight 0 are dropped, identical rows of ``[X, Y]`` merged (weights summed), and
    the rows sorted lexicographically (module docstring).
    """
    w = check_sample_weight(sample_weight, X.shape[0])
    if w is not None:
        keep = w > 0
        X, Y, w = X[keep], Y[keep], w[keep]
    rows = np.column_stack([X, Y])
    order = np.lexsort(rows.T[::-1])                   # first column is the primary key
    rows = rows[order]
    first = np.ones(rows.shape[0], dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]).any(axis=1)    # the first of each group of copies
    starts = np.flatnonzero(first)
    weights = np.ones(rows.shape[0]) if w is None else w[order]
    w = np.add.reduceat(weights, starts)
    rows = rows[starts]
    X, Y = np.ascontiguousarray(rows[:, :X.shape[1]]), np.ascontiguousarray(rows[:, X.shape[1]:])
    return X, Y, (None if (w == w[0]).all() else w)


def split_rows(order: np.ndarray, n_val: int, w):
    """Validation and training rows: the first rows of the random ``order`` that hold
    ``n_val / n`` of the total weight (``n_val`` rows when unweighted); at least one row
    stays for training.  Returns the sorted ``(val_rows, train_rows)``."""
    k = n_val
    if w is not None and n_val > 0:
        cumulative = np.cumsum(w[order])
        share = n_val / len(order) * cumulative[-1]
        k = min(int(np.searchsorted(cumulative, share)) + 1, len(order) - 1)
    return np.sort(order[:k]), np.sort(order[k:])
