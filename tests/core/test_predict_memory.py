"""predict works in row chunks: memory beyond the input stays a small multiple of it."""

import tracemalloc

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.network import row_chunks


def peak_over_input(predict, X):
    tracemalloc.start()
    try:
        predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / X.nbytes


@pytest.fixture(scope="module")
def X():
    """Two million rows of four inputs (issue 15's case, 64 MB).  The estimator's chunks
    (``BCDRegressor._chunks``, 75,000 rows here) are sized to run on the cores: 40 MB at the
    peak with the 16 MB result (0.63x the input), near the input's own size on a tenth of
    the rows."""
    return np.random.default_rng(0).standard_normal((2_000_000, 4))


def test_network_predict_peaks_below_three_times_the_input(X):
    net = bn.Network.mlp([4, 10, 10, 10, 1], seed=0)
    ratio = peak_over_input(net.predict, X)
    assert ratio <= 3.0, f"predict allocated {ratio:.2f} x the input's size"


def test_estimator_predict_peaks_below_three_times_the_input(X):
    y = np.sin(X[:500, 0])
    est = bn.BCDRegressor(max_iter=2, progress=False).fit(X[:500], y)
    ratio = peak_over_input(est.predict, X)
    assert ratio <= 3.0, f"BCDRegressor.predict allocated {ratio:.2f} x the input's size"


def test_chunked_predict_equals_one_pass():
    net = bn.Network.mlp([3, 6, 2], seed=0)
    X = np.random.default_rng(1).standard_normal((70_000, 3))
    assert len(row_chunks(X.shape[0], net.sizes)) > 1
    expected = np.vstack([net.predict(X[i:i + 1000]) for i in range(0, X.shape[0], 1000)])
    np.testing.assert_array_equal(net.predict(X), expected)


def test_row_chunks_cover_every_row_once():
    chunks = row_chunks(100_003, [4, 10, 10, 1])
    rows = np.concatenate([np.arange(100_003)[c] for c in chunks])
    np.testing.assert_array_equal(rows, np.arange(100_003))
