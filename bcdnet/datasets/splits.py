"""Seeded splits into training and test rows: one split, repeated random splits, and k-fold.

Paper B reports "multiple runs with randomised test sets"; :func:`repeated_splits` gives those
runs and :func:`kfold` the cross-validation alternative.  All three accept the same ``data``:

- a :class:`Dataset`, split into two ``Dataset`` objects;
- one array or DataFrame, split into two of the same kind;
- a tuple of arrays or DataFrames with the same number of rows, e.g. ``(X, Y)``, split into
  two tuples: ``(X_train, Y_train), (X_test, Y_test)``.

Rows are chosen by a random permutation from ``seed`` and kept in their original order
within each side, so time-indexed data stay sorted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .._validation import check_int, check_rng_seed
from ._base import Dataset

__all__ = ["train_test_split", "repeated_splits", "kfold"]


def _n_rows(data) -> int:
    """Number of rows of ``data``, checking that the parts of a tuple agree."""
    if isinstance(data, tuple):
        if not data:
            raise ValueError("data must not be an empty tuple")
        counts = [_n_rows(part) for part in data]
        if len(set(counts)) != 1:
            raise ValueError(f"all parts of data must have the same number of rows, got {counts}")
        return counts[0]
    if isinstance(data, (Dataset, pd.DataFrame, pd.Series)):
        return len(data)
    if np.ndim(data) == 0:
        raise TypeError(
            f"data must be a Dataset, an array, a DataFrame or a tuple of them, got "
            f"{type(data).__name__} {data!r}"
        )
    return len(data)


def _take(data, rows: np.ndarray):
    """Rows ``rows`` (positions) of ``data``, as the same kind of object."""
    if isinstance(data, tuple):
        return tuple(_take(part, rows) for part in data)
    if isinstance(data, Dataset):
        return data.take(rows)
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[rows]
    return np.asarray(data)[rows]


def _check_test_size(test_size, n_samples: int) -> int:
    """Number of test rows, ``ceil(test_size * n_samples)``; both sides must be non-empty."""
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.floating)):
        raise TypeError(f"test_size must be a float in (0, 1), got {type(test_size).__name__}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must lie strictly between 0 and 1, got {test_size}")
    n_test = math.ceil(test_size * n_samples)
    if n_test >= n_samples:
        raise ValueError(
            f"test_size={test_size} of {n_samples} rows leaves no training rows "
            f"({n_test} test rows)"
        )
    return n_test


def _split(data, permutation: np.ndarray, n_test: int):
    test = np.sort(permutation[:n_test])
    train = np.sort(permutation[n_test:])
    return _take(data, train), _take(data, test)


def train_test_split(data, test_size: float = 0.2, seed=0):
    """Split rows at random into a training and a test part.

    Parameters
    ----------
    data : Dataset, ndarray, DataFrame, or tuple of them
        What to split; see the module docstring.  Arrays and DataFrames have shape
        (n_samples, ...).
    test_size : float, default 0.2
        Fraction of rows in the test part, strictly between 0 and 1.  The test part has
        ``ceil(test_size * n_samples)`` rows; both parts must be non-empty.
    seed : int, numpy SeedSequence or Generator, or None, default 0
        Seeds the permutation; the same seed gives the same split.

    Returns
    -------
    train, test
        Of the same kind as ``data``; rows keep their original order within each part.

    Examples
    --------
    >>> from bcdnet.datasets import make_cstr
    >>> train, test = train_test_split(make_cstr(), test_size=0.2, seed=0)
    >>> len(train), len(test)
    (8000, 2000)
    """
    n_samples = _n_rows(data)
    n_test = _check_test_size(test_size, n_samples)
    rng = check_rng_seed(seed)
    return _split(data, rng.permutation(n_samples), n_test)


def repeated_splits(data, n_splits: int = 5, test_size: float = 0.2, seed=0) -> Iterator:
    """Return an iterator over ``n_splits`` independent random train/test splits.

    The arguments are checked at the call, not at the first iteration.

    Parameters
    ----------
    data : Dataset, ndarray, DataFrame, or tuple of them
        What to split.
    n_splits : int, default 5
        Number of splits (runs), at least 1.
    test_size : float, default 0.2
        Fraction of rows in each test part, as in :func:`train_test_split`.
    seed : int, numpy SeedSequence or Generator, or None, default 0
        Seeds all the permutations, drawn one after the other from one generator; the same
        seed gives the same sequence of splits.

    Yields
    ------
    train, test
        As returned by :func:`train_test_split`.  Test parts of different runs may overlap.
    """
    n_splits = check_int(n_splits, "n_splits", minimum=1)
    n_samples = _n_rows(data)
    n_test = _check_test_size(test_size, n_samples)
    rng = check_rng_seed(seed)
    permutations = [rng.permutation(n_samples) for _ in range(n_splits)]
    return (_split(data, permutation, n_test) for permutation in permutations)


def kfold(data, n_splits: int = 5, seed=0) -> Iterator:
    """Return an iterator over the ``n_splits`` train/test splits of k-fold cross-validation.

    The rows are permuted once from ``seed`` and cut into ``n_splits`` folds whose sizes
    differ by at most one (``np.array_split``); each fold is the test part once.  Every row
    is in exactly one test part.

    Parameters
    ----------
    data : Dataset, ndarray, DataFrame, or tuple of them
        What to split.
    n_splits : int, default 5
        Number of folds, at least 2 and at most the number of rows.
    seed : int, numpy SeedSequence or Generator, or None, default 0
        Seeds the permutation.

    Yields
    ------
    train, test
        As returned by :func:`train_test_split`.
    """
    n_splits = check_int(n_splits, "n_splits", minimum=2)
    n_samples = _n_rows(data)
    if n_splits > n_samples:
        raise ValueError(f"n_splits={n_splits} exceeds the number of rows ({n_samples})")
    rng = check_rng_seed(seed)
    folds = np.array_split(rng.permutation(n_samples), n_splits)
    return ((_take(data, np.sort(np.concatenate(folds[:k] + folds[k + 1:]))),
             _take(data, np.sort(fold)))
            for k, fold in enumerate(folds))
