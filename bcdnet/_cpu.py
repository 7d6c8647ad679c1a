"""CPU seconds of this process and of the helper processes computing row blocks for it.

``time.process_time()`` counts the threads of this process only.  Row blocks computed by
helper processes (:mod:`bcdnet._row_processes`) would drop out of it, and a CPU time
reported for training (the history's ``cpu_s``, the benchmarks' CPU columns, the papers'
measure) would shrink by the helpers' share; each helper reports the CPU seconds of every
request it answers, and :func:`process_time` adds them.
"""

from __future__ import annotations

import time

from ._row_processes import helper_cpu_seconds

__all__ = ["process_time"]


def process_time() -> float:
    """CPU seconds of this process (all threads) plus its row-block helpers' so far."""
    return time.process_time() + helper_cpu_seconds()
