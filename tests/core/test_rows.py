"""``bcdnet._rows.apply_rows``: the tiled view gives the broadcast's bits on every shape."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bcdnet._rows import TILE, apply_rows


@settings(max_examples=150)
@given(n=st.integers(1, 700), m=st.integers(1, 2 * TILE), seed=st.integers(0, 2**32 - 1),
       ufunc=st.sampled_from([np.add, np.multiply, np.subtract]),
       in_place=st.booleans(), dtype=st.sampled_from([np.float64, np.float32]))
def test_the_same_bits_as_the_broadcast(n, m, seed, ufunc, in_place, dtype):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, m)).astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    expected = ufunc(A, v)
    out = A if in_place else np.full_like(A, np.nan)
    assert apply_rows(ufunc, A, v, out) is out
    np.testing.assert_array_equal(out, expected)


def test_views_that_are_not_contiguous_are_broadcast_as_usual():
    A = np.arange(60.0).reshape(10, 6)[:, ::2]          # (10, 3), strided
    out = np.empty((10, 3))
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_array_equal(apply_rows(np.multiply, A, v, out), A * v)


def test_a_wrong_shape_still_raises():
    with pytest.raises(ValueError):
        apply_rows(np.add, np.ones((600, 2)), np.ones(3), np.empty((600, 2)))
