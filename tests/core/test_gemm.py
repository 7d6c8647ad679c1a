"""``matmul_into`` against ``numpy.matmul``: every layout, both dtypes, with and without accumulation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bcdnet._gemm import matmul_into

LAYOUTS = {
    "C": np.ascontiguousarray,
    "F": np.asfortranarray,
    "strided": lambda M: np.repeat(M, 2, axis=1)[:, ::2],     # neither C- nor F-contiguous
}


@settings(max_examples=60)
@given(n=st.integers(1, 300), k=st.integers(1, 40), m=st.integers(1, 40),
       dtype=st.sampled_from([np.float64, np.float32]), accumulate=st.booleans(),
       layout_a=st.sampled_from(sorted(LAYOUTS)), layout_b=st.sampled_from(sorted(LAYOUTS)),
       seed=st.integers(0, 2**16))
def test_matmul_into_equals_numpy(n, k, m, dtype, accumulate, layout_a, layout_b, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, k)).astype(dtype)
    B = rng.standard_normal((k, m)).astype(dtype)
    out = rng.standard_normal((n, m)).astype(dtype)
    before = out.astype(np.float64)
    expected = A.astype(np.float64) @ B.astype(np.float64) + (before if accumulate else 0.0)
    result = matmul_into(LAYOUTS[layout_a](A), LAYOUTS[layout_b](B), out, accumulate)
    assert result is out
    tol = 1e-12 if dtype == np.float64 else 1e-4
    scale = np.abs(A).max() * np.abs(B).max() * k + np.abs(before).max()
    np.testing.assert_allclose(out, expected, rtol=0, atol=tol * scale)


@pytest.mark.parametrize("accumulate", [False, True])
def test_transposed_operands_as_in_the_weight_gradient(accumulate):
    rng = np.random.default_rng(0)
    A, D = rng.standard_normal((2000, 37)), rng.standard_normal((2000, 41))
    G = rng.standard_normal((37, 41))
    expected = A.T @ D + (G if accumulate else 0.0)
    matmul_into(A.T, D, G, accumulate)
    np.testing.assert_allclose(G, expected, rtol=1e-12, atol=1e-10)
