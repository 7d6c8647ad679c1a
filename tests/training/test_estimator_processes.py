"""An ensemble trains its networks in worker processes at once, with the same bits as here."""

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")
pytest.importorskip("joblib")

from bcdnet import BCDRegressor, _threads, estimator  # noqa: E402
from bcdnet._threads import member_processes  # noqa: E402


@pytest.fixture
def idle_two_cores(monkeypatch):
    """BLAS at 2 threads outside, two cores, and every problem large enough."""
    monkeypatch.setattr(_threads, "_cores", lambda: 2)
    monkeypatch.setattr(_threads, "MEMBER_WORK", 0)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if {lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                if lib["user_api"] == "blas"} != {2}:
            pytest.skip("BLAS cannot run 2 threads here")
        yield


def test_processes_give_the_networks_trained_here_bit_for_bit(idle_two_cores, monkeypatch):
    used = []

    def spy(*args):
        used.append(member_processes(*args))
        return used[-1]

    monkeypatch.setattr(estimator, "member_processes", spy)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    kwargs = dict(n_networks=2, max_iter=3, inner_max_iter=5, hidden=(6, 6), progress=False)
    parallel = BCDRegressor(**kwargs).fit(X, y)
    serial = BCDRegressor(threads=1, **kwargs).fit(X, y)
    assert used == [2, 1], f"processes used: {used}"
    np.testing.assert_array_equal(parallel.predict(X), serial.predict(X))
    for a, b in zip(parallel.networks_, serial.networks_):
        np.testing.assert_array_equal(a.params, b.params)
    timing = ["cpu_s", "wall_s"]
    assert parallel.history_.drop(columns=timing).equals(serial.history_.drop(columns=timing))


def test_the_rule_for_processes(idle_two_cores, monkeypatch):
    assert member_processes("auto", 2, 1.0) == 2
    assert member_processes(None, 2, 1.0) == 1              # the environment left alone
    assert member_processes(1, 2, 1.0) == 1
    assert member_processes("auto", 1, 1.0) == 1            # one network
    monkeypatch.setattr(_threads, "MEMBER_WORK", 10.0)
    assert member_processes("auto", 2, 1.0) == 1            # too small to pay a start
    monkeypatch.setattr(_threads, "MEMBER_WORK", 0)
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert member_processes("auto", 2, 1.0) == 1        # a worker's outside limit
