"""Row blocks in helper processes: the same bits as in this process, whatever happens to the
helper (bcdnet/_row_processes.py)."""

import os
import signal
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import bcdnet as bn
from bcdnet import _row_blocks, _row_processes
from bcdnet._threads import limit_threads

from test_row_blocks import evaluations, flat, problem

pytestmark = [
    pytest.mark.skipif(not _row_processes.enabled(), reason="helper processes need POSIX pipes"),
    pytest.mark.skipif(os.environ.get("BCDNET_BACKEND", "numpy") not in ("", "numpy"),
                       reason="row blocks split host arrays only"),
]


@pytest.fixture
def two_blocks(monkeypatch):
    """Two blocks on small data and a ready helper, whatever the machine's cores."""
    monkeypatch.setattr(_row_blocks, "MIN_BLOCK_WORK", 50)
    monkeypatch.setattr(_row_blocks, "cores", lambda: 2)
    assert _row_processes.start_helpers(1), "the helper did not start"


def all_evaluations(net, X, Y, w, v, u, threads):
    with limit_threads(threads, net.sizes, X.shape[0]):
        return {k: flat(r) for k, r in evaluations(net, X, Y, w, v, u).items()}


def assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y):
    """The next gradient uses the helper once and equals the one-thread gradient."""
    sent = _row_processes.blocks_sent()
    with limit_threads(2, net.sizes, X.shape[0]):
        helped = flat(net.loss_grad(X, Y))
    assert _row_processes.blocks_sent() == sent + 1
    with limit_threads(1, net.sizes, X.shape[0]):
        np.testing.assert_array_equal(helped, flat(net.loss_grad(X, Y)))


def assert_same_bits(a, b):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("tiled", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_helper_gives_the_bits_of_this_process(two_blocks, monkeypatch, weighted, tiled):
    """Also with each block in tiles: the parent chooses them and the helper, which has
    the machine's own tile size, runs the ones it is sent."""
    if tiled:
        monkeypatch.setattr(_row_blocks, "MIN_TILE_ROWS", 7)
        monkeypatch.setattr(_row_blocks, "cache_bytes", lambda: 4)
        assert len(_row_blocks.row_tiles(30, 7, 8)) == 5
    net, X, Y, w, v, u = problem(weighted)
    sent = _row_processes.blocks_sent()
    helped = all_evaluations(net, X, Y, w, v, u, threads=2)
    assert _row_processes.blocks_sent() - sent >= len(helped)   # every evaluation used it
    alone = all_evaluations(net, X, Y, w, v, u, threads=1)
    monkeypatch.setenv(_row_processes.ENV_SWITCH, "0")
    on_threads = all_evaluations(net, X, Y, w, v, u, threads=2)
    assert_same_bits(helped, alone)
    assert_same_bits(helped, on_threads)


def test_new_parameters_and_a_replaced_layer_reach_the_helper(two_blocks):
    net, X, Y, w, v, u = problem(weighted=False)
    with limit_threads(2, net.sizes, X.shape[0]):
        net.loss_grad(X, Y)
        net.params = net.params * 1.1                   # new values: sent with the request
        net.scales = net.scales[::-1].copy()
        net.layers[1].activation = bn.activations.get_activation("sigmoid")   # a new object
    assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y)


def test_rows_are_sent_again_only_when_their_bits_changed(two_blocks):
    net, X, Y, w, v, u = problem(weighted=False)
    X = X.copy()
    with limit_threads(2, net.sizes, X.shape[0]):
        net.loss_grad(X, Y)
        arrays = _row_processes._sent["arrays"]
        net.params = net.params * 1.1
        net.loss_grad(X, Y)                             # the same rows: none sent
        assert _row_processes._sent["arrays"] == arrays
        X[-1, 0] = -X[-1, 0]                            # the helper's block, in place
        assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y)
        assert _row_processes._sent["arrays"] == arrays + 1
        X[-1, 0] = -0.0 if X[-1, 0] == 0.0 else 0.0     # then 0.0 and -0.0: other bits
        assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y)
        X[-1, 0] = -X[-1, 0]
        assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y)
        assert _row_processes._sent["arrays"] == arrays + 3


def test_same_bits_tells_every_difference():
    same = _row_processes._same_bits
    a = np.array([[0.0, np.nan], [1.0, 2.0]])
    assert same(a, a.copy()) and same(None, None)
    assert not same(a, None) and not same(None, a)
    assert not same(a, a.astype(np.float32)) and not same(a, a.reshape(4, 1))
    b = a.copy()
    b[0, 0] = -0.0
    assert not same(a, b)
    assert not same(a.T, a.T.copy())                    # not C order: always sent


def test_an_activation_changed_in_place_reaches_the_helper(two_blocks):
    rng = np.random.default_rng(3)
    net = bn.Network.mlp([3, 6, 6, 1], activation="leaky_relu", seed=3)
    X, Y = rng.standard_normal((80, 3)), rng.standard_normal((80, 1))
    assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y)
    for layer in net.layers[:-1]:
        layer.activation.negative_slope = 0.3           # the same objects, changed
    assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y)


def test_an_outside_limit_of_one_thread_keeps_every_block_here(two_blocks):
    net, X, Y, *_ = problem(weighted=False)
    sent = _row_processes.blocks_sent()
    with threadpool_limits(1, user_api="blas"), limit_threads("auto", net.sizes, X.shape[0]):
        net.loss_grad(X, Y)
    assert _row_processes.blocks_sent() == sent


def test_a_network_that_does_not_pickle_is_computed_here(two_blocks):
    net, X, Y, w, v, u = problem(weighted=False)
    with limit_threads(1, net.sizes, X.shape[0]):
        expected = flat(net.loss_grad(X, Y))
    net.layers[0].unpicklable = lambda: None            # a local function: no pickle
    sent = _row_processes.blocks_sent()
    with limit_threads(2, net.sizes, X.shape[0]):
        assert_same_bits({"g": flat(net.loss_grad(X, Y))}, {"g": expected})
        net.loss_grad(X, Y)
    assert _row_processes.blocks_sent() == sent


class Failing(bn.losses.MSE):
    """An MSE that fails on one row count only: block 1's, which the helper computes."""

    rows = -1

    def value_and_grad(self, P, Y, w=None, out=None):
        if P.shape[0] == self.rows:
            raise FloatingPointError("the helper's block failed")
        return super().value_and_grad(P, Y, w, out=out)


def test_an_error_in_the_helper_is_raised_here_and_the_helper_goes_on(two_blocks):
    net, X, Y, *_ = problem(weighted=False)
    net.loss = Failing()
    block_1 = _row_blocks.row_blocks(X.shape[0], sum(net.sizes[1:]))[1]
    net.loss.rows = block_1.stop - block_1.start
    with limit_threads(2, net.sizes, X.shape[0]):
        with pytest.raises(FloatingPointError, match="helper's block"):
            net.loss_grad(X, Y)                       # raised again here, with a traceback
    net.loss.rows = -1                                # changed in place: sent again
    assert_one_helper_block_gives_the_bits_of_one_thread(net, X, Y)


def test_an_error_here_while_the_helper_works_leaves_the_pipes_in_step(two_blocks):
    net, X, Y, *_ = problem(weighted=False)
    net.loss = Failing()
    block_0 = _row_blocks.row_blocks(X.shape[0], sum(net.sizes[1:]))[0]
    net.loss.rows = block_0.stop - block_0.start        # block 0 fails, block 1 is sent
    with limit_threads(2, net.sizes, X.shape[0]):
        with pytest.raises(FloatingPointError):
            net.loss_grad(X, Y)
        net.loss.rows = -1
        first = flat(net.loss_grad(X, Y))               # reads the stale reply first
        second = flat(net.hvp(X, Y, np.ones(net.n_params)))
    with limit_threads(1, net.sizes, X.shape[0]):
        np.testing.assert_array_equal(first, flat(net.loss_grad(X, Y)))
        np.testing.assert_array_equal(second, flat(net.hvp(X, Y, np.ones(net.n_params))))


def test_a_helper_that_dies_is_noticed_and_its_blocks_computed_here(two_blocks, monkeypatch):
    net, X, Y, *_ = problem(weighted=False)
    with limit_threads(1, net.sizes, X.shape[0]):
        expected = flat(net.loss_grad(X, Y))
    helper = _row_processes._helpers[0]
    os.kill(helper.process.pid, signal.SIGKILL)
    helper.process.wait(10)
    monkeypatch.setitem(_row_processes._warned, "exit", False)
    with limit_threads(2, net.sizes, X.shape[0]):
        with pytest.warns(RuntimeWarning, match="helper process exited"):
            got = flat(net.loss_grad(X, Y))
    np.testing.assert_array_equal(got, expected)
    assert helper.dead
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # a new helper, no second warning
        assert _row_processes.start_helpers(1)
        with limit_threads(2, net.sizes, X.shape[0]):
            np.testing.assert_array_equal(flat(net.loss_grad(X, Y)), expected)


def test_shutdown_ends_the_helpers():
    assert _row_processes.start_helpers(1)
    processes = [h.process for h in _row_processes._helpers]
    _row_processes.shutdown()
    assert all(p.wait(10) is not None for p in processes)
    assert _row_processes.helpers_alive() == 0


def test_helpers_that_cannot_start_are_given_up_after_a_few(two_blocks, monkeypatch):
    import sys
    import time

    _row_processes.shutdown()
    monkeypatch.setattr(sys, "executable", "/bin/false")     # exits at once, says nothing
    monkeypatch.setitem(_row_processes._status, "exits", 0)
    monkeypatch.setitem(_row_processes._status, "off", False)
    monkeypatch.setitem(_row_processes._warned, "exit", True)
    net, X, Y, *_ = problem(weighted=False)
    with limit_threads(1, net.sizes, X.shape[0]):
        expected = flat(net.loss_grad(X, Y))
    deadline = time.monotonic() + 30
    with limit_threads(2, net.sizes, X.shape[0]):
        while _row_processes.enabled() and time.monotonic() < deadline:
            np.testing.assert_array_equal(flat(net.loss_grad(X, Y)), expected)
            time.sleep(0.01)
    assert not _row_processes.enabled()
    assert _row_processes._status["exits"] == _row_processes.MAX_EXITS
    assert _row_processes.helpers_alive() == 0


def test_the_cpu_a_helper_spends_is_counted_here(two_blocks):
    """Training reports CPU seconds (the history's cpu_s): a helper's must not drop out."""
    import time

    from bcdnet._cpu import process_time

    net, X, Y, *_ = problem(weighted=False)
    X, Y = np.tile(X, (400, 1)), np.tile(Y, (400, 1))        # blocks of some milliseconds
    before, here = _row_processes.helper_cpu_seconds(), time.process_time()
    with limit_threads(2, net.sizes, X.shape[0]):
        for _ in range(10):
            net.loss_grad(X, Y)
    spent, here = _row_processes.helper_cpu_seconds() - before, time.process_time() - here
    assert spent > 0.25 * here              # the helper's block is about as big as this one's
    total = process_time() - time.process_time()
    assert abs(total - _row_processes.helper_cpu_seconds()) < 1e-3
