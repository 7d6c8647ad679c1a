"""Seeded splits: sizes, disjointness, determinism, kinds of data, and bad arguments."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bcdnet.datasets import Dataset, kfold, make_cstr, repeated_splits, train_test_split


def numbered(n):
    """A Dataset whose single feature is the row number, so a split shows which rows it took."""
    rows = np.arange(n, dtype=float)
    return Dataset(pd.DataFrame({"row [-]": rows}), pd.DataFrame({"twice [-]": 2 * rows}), "rows")


def taken(part):
    return part.X.iloc[:, 0].to_numpy().astype(int)


@given(n=st.integers(2, 500), test_size=st.floats(0.01, 0.99), seed=st.integers(0, 10**6))
def test_a_split_partitions_the_rows(n, test_size, seed):
    n_test = int(np.ceil(test_size * n))
    data = numbered(n)
    if n_test >= n:
        with pytest.raises(ValueError, match="leaves no training rows"):
            train_test_split(data, test_size, seed)
        return
    train, test = train_test_split(data, test_size, seed)
    assert len(test) == n_test and len(train) == n - n_test
    rows_train, rows_test = taken(train), taken(test)
    assert np.array_equal(np.sort(np.concatenate([rows_train, rows_test])), np.arange(n))
    assert np.all(np.diff(rows_train) > 0) and np.all(np.diff(rows_test) > 0)   # original order
    np.testing.assert_array_equal(train.y.iloc[:, 0], 2 * rows_train)           # rows stay paired


def test_the_seed_fixes_the_split():
    data = make_cstr()
    first, again, other = (train_test_split(data, 0.2, seed) for seed in (3, 3, 4))
    pd.testing.assert_frame_equal(first[1].X, again[1].X)
    assert not first[1].X.index.equals(other[1].X.index)
    assert isinstance(first[0], Dataset) and len(first[0]) == 8000


def test_arrays_dataframes_and_tuples_keep_their_kind():
    X = np.arange(20.0).reshape(10, 2)
    Y = pd.DataFrame({"y": np.arange(10.0)})
    (X_train, Y_train), (X_test, Y_test) = train_test_split((X, Y), test_size=0.3, seed=0)
    assert isinstance(X_train, np.ndarray) and isinstance(Y_test, pd.DataFrame)
    assert X_test.shape == (3, 2) and len(Y_test) == 3
    np.testing.assert_array_equal(X_test[:, 0] / 2, Y_test["y"].to_numpy())
    train, test = train_test_split(X, test_size=0.3, seed=0)
    np.testing.assert_array_equal(test, X_test)


def test_repeated_splits_are_reproducible_and_different():
    data = numbered(100)
    runs = list(repeated_splits(data, n_splits=4, test_size=0.25, seed=5))
    again = list(repeated_splits(data, 4, 0.25, 5))
    assert len(runs) == 4
    tests = [tuple(taken(test)) for _, test in runs]
    assert tests == [tuple(taken(test)) for _, test in again]
    assert len(set(tests)) == 4 and all(len(t) == 25 for t in tests)


def test_kfold_puts_every_row_in_exactly_one_test_fold():
    data = numbered(103)
    folds = list(kfold(data, n_splits=5, seed=2))
    tests = [taken(test) for _, test in folds]
    assert sorted(len(t) for t in tests) == [20, 20, 21, 21, 21]
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(103))
    for train, test in folds:
        assert len(np.intersect1d(taken(train), taken(test))) == 0 and len(train) + len(test) == 103
    assert [list(t) for t in tests] == [list(taken(test)) for _, test in kfold(data, 5, 2)]


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5])
def test_test_size_outside_the_open_unit_interval(test_size):
    with pytest.raises(ValueError, match="test_size must lie strictly between 0 and 1"):
        train_test_split(numbered(10), test_size=test_size)


def test_test_size_that_leaves_a_side_empty():
    with pytest.raises(ValueError, match=r"test_size=0.9 of 3 rows leaves no training rows"):
        train_test_split(numbered(3), test_size=0.9)
    with pytest.raises(TypeError, match="test_size must be a float"):
        train_test_split(numbered(3), test_size="0.2")


def test_too_few_splits_are_refused_at_the_call():
    with pytest.raises(ValueError, match="n_splits must be at least 2, got 1"):
        kfold(numbered(10), n_splits=1)
    with pytest.raises(ValueError, match="n_splits must be at least 1, got 0"):
        repeated_splits(numbered(10), n_splits=0)
    with pytest.raises(ValueError, match="n_splits=11 exceeds the number of rows"):
        kfold(numbered(10), n_splits=11)


def test_mismatched_or_scalar_data():
    with pytest.raises(ValueError, match=r"same number of rows, got \[3, 4\]"):
        train_test_split((np.ones(3), np.ones(4)))
    with pytest.raises(TypeError, match="data must be a Dataset"):
        train_test_split(5)
