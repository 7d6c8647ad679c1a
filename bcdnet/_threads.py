r"""How many threads bcdnet's own work uses, and that BLAS never spins against it.

The networks bcdnet trains are mostly a few neurons wide.  On such narrow products a second
BLAS thread only adds synchronisation, and its spinning takes a core from the elementwise
work: at the default threads of a 2-core machine the 4-10-10-10-1 gradient took 12 ms
against 4 ms on one thread.  So bcdnet parallelises by rows instead
(:mod:`bcdnet._row_blocks`): a large evaluation is split into row blocks that run at once,
in helper processes (:mod:`bcdnet._row_processes`) or on threads, each calling BLAS on one
thread.  Every computation bcdnet runs
(``Network`` evaluations, ``Trainer.fit``, ``BCDRegressor``) holds *every* BLAS library
loaded in the process (through threadpoolctl) to one thread for its own duration, restores
them after, and runs up to

``threads="auto"`` (the default)
    as many row blocks at once as the cores this process may run on, where the problem is
    large enough to be split at all (:func:`bcdnet._row_blocks.row_blocks`); one otherwise.
    Not less on a busy machine: unlike BLAS threads, which spin while they wait, Python
    threads and processes waiting for a core only wait, so a busy machine shares its cores
    and loses nothing (an earlier rule that counted the load average saw a benchmark's own
    PyTorch threads of a minute before and chose one core on an idle machine);
an int
    that many;
``None``
    one, and the environment is left alone (whatever BLAS, ``OPENBLAS_NUM_THREADS`` or an
    enclosing context chose).

A limit set outside bcdnet is never raised: the threads used are at most what each BLAS
library had on entry, so a joblib or Dask worker's single thread, an
``OPENBLAS_NUM_THREADS=1`` or an enclosing ``threadpoolctl.threadpool_limits`` stay in
force.  None of this changes a result: the row blocks are fixed by the problem and the
machine, not by the threads (:mod:`bcdnet._row_blocks`).  Calls nested inside one that
already set the threads (a ``predict`` inside ``fit``) keep the outer choice.  The policy
for direct ``Network`` calls is :func:`set_threads`; ``Trainer`` and ``BCDRegressor`` take
their own ``threads=``.  Without threadpoolctl BLAS is left alone.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading

from ._row_blocks import cores as machine_cores
from ._row_blocks import row_blocks, row_threads, set_row_threads
from ._validation import check_int

__all__ = ["auto_threads", "limit_threads", "set_threads", "get_threads", "check_threads",
           "blas_threads", "cores", "row_threads", "member_processes"]

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


def cores() -> int:
    """The cores this process may run on (its CPU affinity), a constant of the machine."""
    return _cores()


def _cores() -> int:
    return machine_cores()


def auto_threads(sizes, n_rows: int) -> int:
    r"""The ``"auto"`` thread count for a network of layer widths ``sizes`` on ``n_rows`` rows.

    The cores this process may run on where the evaluation splits into more than one row
    block; else 1.  It never changes a result: the blocks do not depend on it.
    """
    if len(row_blocks(n_rows, sum(list(sizes or [])[1:]))) < 2:
        return 1
    return _cores()


#: values times evaluations (rows x summed widths x visits x iterations per visit) of one
#: network below which an ensemble trains in this process: about a second of work on one
#: core, against about 1.5 s to start two worker processes the first time
MEMBER_WORK = 5e7


def member_processes(threads, n_members: int, work: float) -> int:
    """Worker processes to train ``n_members`` independent networks in, at once (1: here).

    ``work`` is one network's :data:`MEMBER_WORK` measure.  The thread policy decides as for
    row blocks: ``"auto"`` the cores, an int that many, None one; never above a BLAS
    limit set outside (a joblib or Dask worker's one thread), and one for a small problem.
    A small network on a few thousand rows cannot use a second core through threads (the
    GIL is handed over at every NumPy call), but two networks in two processes can.
    Each process runs on one thread, and the row blocks do not depend on threads, so the
    networks come out the same bit for bit as when trained here.
    """
    if threads is None or n_members < 2 or work < MEMBER_WORK or getattr(_local, "depth", 0):
        return 1
    wanted = _cores() if threads == "auto" else threads
    outside = [lib.num_threads for lib in _blas_libraries()]
    return max(1, min([n_members, wanted, *outside]))


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
    """Run the body with bcdnet's threads: ``threads`` resolved for ``sizes`` and ``n_rows``.

    BLAS is held to one thread, and up to the resolved count of row blocks run at once
    (:func:`row_threads`).  ``threads`` is ``"auto"``, an int or None (see the module
    documentation).  Inside an enclosing ``limit_threads`` this does nothing.
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
    rows = min([wanted, *original])                   # never above a limit set outside
    changed = [(lib, n) for lib, n in zip(libraries, original) if n != 1]
    for lib, _ in changed:
        lib.set_num_threads(1)
    _local.depth = 1
    set_row_threads(rows)
    try:
        yield
    finally:
        _local.depth = 0
        set_row_threads(1)
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
