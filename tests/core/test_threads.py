"""bcdnet's thread policy: in force inside fit, lifted after, never above an outside limit."""

import os

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

import bcdnet as bn  # noqa: E402
from bcdnet import _row_blocks, _threads  # noqa: E402
from bcdnet._threads import auto_threads, check_threads, limit_threads  # noqa: E402


def blas_threads_now():
    """The thread count of every BLAS library loaded, read from threadpoolctl."""
    return sorted({lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                   if lib["user_api"] == "blas"})


@pytest.fixture
def two_threads():
    """An environment whose BLAS runs 2 threads (skipped where BLAS cannot have 2)."""
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if blas_threads_now() != [2]:
            pytest.skip("BLAS cannot run 2 threads here")
        yield


def fit_recording_threads(threads, X=None, sizes=(3, 6, 1)):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, sizes[0])) if X is None else X
    Y = X[:, :1] ** 2
    seen = []

    def record(row):
        seen.append(blas_threads_now())

    net = bn.Network.mlp(list(sizes), seed=0)
    bn.Trainer("lbfgs", "all", max_iter=2, inner_max_iter=2, threads=threads,
               callbacks=[record], progress=False).fit(net, X, Y)
    assert seen, "the callback was never called"
    return seen


@pytest.mark.parametrize("threads", [1, "auto"])
def test_limit_is_in_force_inside_fit_and_lifted_after(two_threads, threads):
    seen = fit_recording_threads(threads)      # a 3-6-1 network: "auto" is one thread
    assert all(s == [1] for s in seen), f"BLAS threads inside fit: {seen}, expected [1]"
    assert blas_threads_now() == [2], "fit must restore the threads it found"


def test_fit_never_raises_an_outside_limit(two_threads):
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        seen = fit_recording_threads(2)
        assert all(s == [1] for s in seen), f"threads inside fit: {seen}, outside limit 1"
        assert blas_threads_now() == [1]
    assert blas_threads_now() == [2]


def test_threads_none_leaves_the_environment_alone(two_threads):
    seen = fit_recording_threads(None)
    assert all(s == [2] for s in seen), f"threads inside fit: {seen}, expected untouched [2]"


def test_auto_on_a_large_problem_runs_row_blocks_on_the_cores_allowed(two_threads):
    """BLAS stays on one thread inside fit; the cores go to row blocks instead."""
    width = 64
    rows = 2 * _row_blocks.MIN_BLOCK_WORK // (width + 1) + 1      # two blocks' worth
    X = np.random.default_rng(1).standard_normal((rows, width))
    seen, row_threads = [], []

    def record(row):
        seen.append(blas_threads_now())
        row_threads.append(_threads.row_threads())

    net = bn.Network.mlp([width, width, 1], seed=0)
    bn.Trainer("lbfgs", "all", max_iter=1, inner_max_iter=1, threads="auto",
               callbacks=[record], progress=False).fit(net, X, X[:, :1])
    assert all(s == [1] for s in seen), f"BLAS threads inside fit: {seen}"
    assert row_threads and all(t == min(2, _threads._cores()) for t in row_threads)
    assert _threads.row_threads() == 1 and blas_threads_now() == [2]


def test_auto_does_not_depend_on_the_load(monkeypatch):
    """Python threads waiting for a core only wait: a busy machine keeps every core."""
    monkeypatch.setattr(os, "getloadavg", lambda: (8.0, 8.0, 8.0), raising=False)
    assert auto_threads([15, 256, 256, 1], 10**6) == _threads._cores()


def test_auto_threads_rule():
    cores = _threads._cores()
    assert auto_threads([4, 10, 10, 10, 1], 3000) == 1           # one row block: one thread
    assert auto_threads([4, 10, 10, 10, 1], 7654) == min(cores, 2)   # 237,000 values: two
    assert auto_threads([4, 10, 10, 10, 1], 10**7) == cores       # many rows: every core
    wide = [15, 256, 256, 1]
    assert auto_threads(wide, 100_000) == cores
    assert auto_threads(wide, 10) == 1                            # too few rows to split


def test_network_calls_follow_set_threads(two_threads):
    net = bn.Network.mlp([3, 4, 1], seed=0)
    previous = bn.set_threads(1)
    try:
        with limit_threads(_threads.get_threads(), net.sizes, 10):
            assert blas_threads_now() == [1]
        assert blas_threads_now() == [2]
        bn.set_threads(None)
        with limit_threads(_threads.get_threads(), net.sizes, 10):
            assert blas_threads_now() == [2]
    finally:
        bn.set_threads(previous)


def test_nested_limits_keep_the_outer_choice(two_threads):
    with limit_threads(2, [3, 4, 1], 10):
        with limit_threads(1, [3, 4, 1], 10):
            assert blas_threads_now() == [1] and _threads.row_threads() == 2
        assert _threads.row_threads() == 2
    assert blas_threads_now() == [2] and _threads.row_threads() == 1


def test_row_threads_never_exceed_an_outside_limit(two_threads):
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        with limit_threads(4, [3, 4, 1], 10):
            assert _threads.row_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, "many", 1.5])
def test_bad_threads_are_refused_naming_the_argument(bad):
    with pytest.raises((ValueError, TypeError), match="threads"):
        check_threads(bad)
    with pytest.raises((ValueError, TypeError), match="threads"):
        bn.Trainer(threads=bad)
