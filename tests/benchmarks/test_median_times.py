"""``benchmarks._machine.median_times``: interleaved runs, untimed calls that settle."""

import time

from benchmarks._machine import median_times


def test_untimed_calls_last_at_least_settle_and_the_rest_are_timed():
    calls = {"a": 0, "b": 0}

    def make(name, seconds):
        def fn():
            calls[name] += 1
            time.sleep(seconds)
        return fn

    result = median_times({"a": make("a", 0.001), "b": make("b", 0.004)}, repeats=6,
                          warmup=0, run_length=4, settle=0.02)
    # 2 runs of 3 timed calls each; the untimed part of a run lasts >= 20 ms
    assert calls["a"] >= 2 * (3 + 15)          # >= 15 untimed calls of >= 1 ms per run
    assert 2 * (3 + 4) <= calls["b"] <= 2 * (3 + 7)
    assert 0.001 <= result["a"] < 0.004 <= result["b"]


def test_without_settle_one_untimed_call_per_run():
    calls = {"a": 0}

    def fn():
        calls["a"] += 1

    median_times({"a": fn}, repeats=6, warmup=1, run_length=4)
    assert calls["a"] == 1 + 2 * 4
