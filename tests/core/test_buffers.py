"""Layer buffers (bcdnet/passes.py): a shorter array reuses the memory a longer one had, so
row tiles and the last predict chunk neither allocate nor leave the cache; values written
through one view are what the next evaluation reads, never stale ones."""

import numpy as np

import bcdnet as bn
from bcdnet.passes import Cache, Tape


def test_a_smaller_buffer_is_a_view_of_the_same_memory():
    cache = Cache()
    big = cache.buffer("Z", (100, 8), np.float64)
    small = cache.buffer("Z", (99, 8), np.float64)
    assert small.shape == (99, 8) and small.flags.c_contiguous
    assert np.shares_memory(big, small)
    assert cache.buffer("Z", (99, 8), np.float64) is small       # same shape: same object


def test_growing_or_changing_dtype_allocates_new_memory():
    cache = Cache()
    first = cache.buffer("Z", (10, 8), np.float64)
    grown = cache.buffer("Z", (11, 8), np.float64)
    assert grown.shape == (11, 8) and not np.shares_memory(first, grown)
    single = cache.buffer("Z", (10, 8), np.float32)
    assert single.dtype == np.float32 and not np.shares_memory(grown, single)
    assert cache.buffer("H", (10, 8), np.float64) is not first    # names never share


def test_the_ones_vector_is_all_ones_at_every_length():
    tape = Tape(1)
    assert tape.ones(50, np.float64).sum() == 50.0
    assert tape.ones(7, np.float64).shape == (7,) and tape.ones(7, np.float64).sum() == 7.0
    assert tape.ones(60, np.float64).sum() == 60.0
    assert tape.ones(3, np.float32).dtype == np.float32


def test_evaluations_on_alternating_row_counts_match_fresh_networks():
    """One network's tape serving 40 rows, then 25, then 40 again gives what a network that
    never saw another row count gives, bit for bit."""
    rng = np.random.default_rng(3)
    net = bn.Network.mlp([3, 6, 2], activation="tanh", seed=1)
    data = {n: (rng.standard_normal((n, 3)), rng.standard_normal((n, 2))) for n in (40, 25)}
    v = rng.standard_normal(net.n_params)
    seen = [(n, net.loss_grad(*data[n]), net.hvp(*data[n], v)) for n in (40, 25, 40, 25)]
    for n, (f, g), hv in seen:
        fresh = net.copy()
        f0, g0 = fresh.loss_grad(*data[n])
        assert f == f0
        np.testing.assert_array_equal(g, g0)
        np.testing.assert_array_equal(hv, fresh.hvp(*data[n], v))
