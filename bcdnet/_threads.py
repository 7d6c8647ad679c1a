r"""How many BLAS threads bcdnet's own work uses: chosen from the problem size.

The networks bcdnet trains are mostly a few neurons wide.  On such narrow products a second
BLAS thread only adds synchronisation, and its spinning takes a core from the elementwise
work: at the default threads of a 2-core machine the 4-10-10-10-1 gradient took 12 ms
against 4 ms on one thread.  Wide layers on many rows do gain from more threads.  So every
computation bcdnet runs (``Network`` evaluations, ``Trainer.fit``, ``BCDRegressor``) sets
the threads of *every* BLAS library loaded in the process (through threadpoolctl) for its
own duration and restores them after:

``threads="auto"`` (the default)
    1 thread while the largest product of a layer, :math:`N \cdot n_{in} \cdot n_{out}`
    multiply-adds on :math:`N` rows, stays below ``WIDE_PRODUCT`` or a layer that large is
    narrower than ``WIDE_LAYER`` on its smaller side; otherwise the cores this process may
    run on that other work leaves idle (1-minute load average).
an int
    That many threads.
``None``
    Leave the environment alone (whatever BLAS, ``OPENBLAS_NUM_THREADS`` or an enclosing
    context chose).

A limit set outside bcdnet is never raised: the threads used are at most what each library
had on entry, so a joblib or Dask worker's single thread, an ``OPENBLAS_NUM_THREADS=1``
or an enclosing ``threadpoolctl.threadpool_limits`` stay in force.  Calls nested inside one
that already set the threads (a ``predict`` inside ``fit``) keep the outer choice.  The
policy for direct ``Network`` calls is :func:`set_threads`; ``Trainer`` and
``BCDRegressor`` take their own ``threads=``.  Without threadpoolctl nothing is changed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading

from ._validation import check_int

__all__ = ["auto_threads", "limit_threads", "set_threads", "get_threads", "check_threads",
           "blas_threads"]

#: multiply-adds of one layer's product below which one thread is kept.  Measured on a
#: 2-core AVX2 machine, 15-(64x4)-1 on 28,032 rows (1.1e8 per product): 0.18-0.21 s on
#: two threads against 0.23 s on one when quiet, 1.3-1.6 s against 0.50 s under load (the
#: load check of :func:`auto_threads` keeps one thread there)
WIDE_PRODUCT = 2 ** 26
#: a layer narrower than this on its smaller side stays on one thread at any row count
WIDE_LAYER = 64

_policy: dict = {"threads": "auto"}
_local = threading.local()          # depth of nested limits in this thread
_controller: dict = {"blas": None, "n_modules": -1}


def check_threads(threads, name: str = "threads"):
    """Return ``threads`` checked: ``"auto"``, ``None`` or an int >= 1."""
    if threads is None or (isinstance(threads, str) and threads == "auto"):
        return threads
    if isinstance(threads, str):
        raise ValueError(f"{name} must be 'auto', None or a positive int, got {threads!r}")
    return check_int(threads, name, minimum=1)


def set_threads(threads="auto"):
    """Set the thread policy of direct ``Network`` calls; return the previous one.

    Parameters
    ----------
    threads : "auto", int or None
        See the module documentation; ``None`` leaves BLAS alone.
    """
    previous = _policy["threads"]
    _policy["threads"] = check_threads(threads)
    return previous


def get_threads():
    """The thread policy of direct ``Network`` calls (``"auto"``, an int or None)."""
    return _policy["threads"]


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _idle_cores(cores: int) -> int:
    """Cores not busy with other work, from the 1-minute load average (this process counts
    for one); all of them where the load average is unavailable."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return max(1, min(cores, int(cores - load + 2.0)))


def auto_threads(sizes, n_rows: int) -> int:
    r"""The ``"auto"`` thread count for a network of layer widths ``sizes`` on ``n_rows`` rows.

    Returns the cores this process may use, less those busy with other work (the load
    average), when some layer has :math:`N n_{in} n_{out} \ge` ``WIDE_PRODUCT`` and
    :math:`\min(n_{in}, n_{out}) \ge` ``WIDE_LAYER``; else 1.  On a busy machine a second
    BLAS thread waits for a core and the product takes several times longer (15-(256x4)-1
    on 100,000 rows at load 3 on 2 cores: 6.3 s on one thread, 9.2-24 s on two).  OpenBLAS
    splits a product by rows and columns of the result, not along the sum: products on 1 and
    2 threads were found bitwise equal, so the load does not change the results.
    """
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if min(n_in, n_out) >= WIDE_LAYER and n_rows * n_in * n_out >= WIDE_PRODUCT:
            return _idle_cores(_cores())
    return 1


def _blas_libraries():
    """threadpoolctl's controllers of the BLAS libraries loaded (rescanned after imports)."""
    if _controller["n_modules"] != len(sys.modules):
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return []
        _controller["blas"] = ThreadpoolController().select(user_api="blas").lib_controllers
        _controller["n_modules"] = len(sys.modules)
    return _controller["blas"]


@contextlib.contextmanager
def limit_threads(threads, sizes=None, n_rows: int = 0):
    """Run the body with bcdnet's BLAS threads: ``threads`` resolved for ``sizes`` and ``n_rows``.

    ``threads`` is ``"auto"``, an int or None (see the module documentation).  Inside an
    enclosing ``limit_threads`` this does nothing.
    """
    depth = getattr(_local, "depth", 0)
    if threads is None or depth:
        _local.depth = depth + 1
        try:
            yield
        finally:
            _local.depth = depth
        return
    wanted = auto_threads(sizes, n_rows) if threads == "auto" else threads
    libraries = _blas_libraries()
    original = [lib.num_threads for lib in libraries]
    target = min([wanted, *original])                 # never above a limit set outside
    changed = [(lib, n) for lib, n in zip(libraries, original) if n != target]
    for lib, _ in changed:
        lib.set_num_threads(target)
    _local.depth = 1
    try:
        yield
    finally:
        _local.depth = 0
        for lib, n in changed:
            lib.set_num_threads(n)


def network_threads(net, n_rows: int):
    """``limit_threads`` with the policy of direct ``Network`` calls (:func:`set_threads`)."""
    return limit_threads(_policy["threads"], net.sizes, n_rows)


def blas_threads(n: int | None = 1):
    """Limit every BLAS library to ``n`` threads (``None``: change nothing); a context manager.

    Unlike :func:`limit_threads` this is an explicit outside limit, for scripts and
    benchmarks: ``with blas_threads(1): ...``.
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def objective_threads(method):
    """Run ``method`` of an object with ``.net`` and ``.X`` (a block objective) under
    :func:`network_threads` for ``X``'s row count."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with network_threads(self.net, self.X.shape[0]):
            return method(self, *args, **kwargs)
    return wrapper
