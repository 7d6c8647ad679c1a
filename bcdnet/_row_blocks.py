r"""Row blocks: one evaluation split by rows, the blocks run at once, the parts summed.

The loss bcdnet trains is a weighted mean over rows (:class:`~bcdnet.losses.MSE`,
``row_mean = True``), so on rows split into blocks :math:`B_1, \dots, B_K`

.. math::  E = \sum_k c_k E_k, \qquad \nabla E = \sum_k c_k \nabla E_k, \qquad
           c_k = \frac{\sum_{n \in B_k} w_n}{\sum_n w_n}

(:math:`c_k = |B_k| / N` without weights), where :math:`E_k` is the loss of block
:math:`k` alone; the same holds for every derivative, Hessian-vector products included.
Each block has its own buffers (:meth:`bcdnet.passes.Tape.parts`), so the blocks can run
at once: in helper processes (:mod:`bcdnet._row_processes`, block 0 in the caller), or
on threads of this process while a helper starts or where none can (NumPy releases the
GIL inside its loops and BLAS products, but hands it over at every call, which a narrow
network makes often).  On a 2-core AVX2 machine threads took the gradient of 4-(5x20)-2 on
10,000 rows from 27 ms to 17 ms, and 15-(256x4)-1 on 100,000 rows from 4.5 s on two BLAS
threads to 3.2 s; ``benchmarks/results/core.md`` has the current figures.

**The blocks do not depend on the threads.**  Their number is a function of the rows, the
work per row and the machine's cores only (:func:`row_blocks`), and the parts are summed
in block order whichever thread computed them.  So one thread, two threads, a joblib
worker held to one thread and an unloaded laptop all give the same bits on one machine;
the thread policy (:mod:`bcdnet._threads`) only decides how many blocks run at once, and
a block computed by a helper process is the same block.  Small problems stay one block:
below ``MIN_BLOCK_WORK`` values per block, sending a block to a helper and back costs
about what the second core gains.  Several small networks gain from processes of their
own instead (:func:`bcdnet._threads.member_processes`).

**Tiles.**  A block's rows run in tiles, one after the other (:func:`row_tiles`), through
the same buffers: the identity above holds for tiles as for blocks, with each tile's
:math:`c` taken over all the rows.  Their size too is a constant of the widths, the dtype
and the machine (its level-2 cache, :func:`cache_bytes`).
"""

from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["row_blocks", "row_tiles", "row_chunks", "chunks_of", "run_blocks", "cores",
           "cache_bytes", "row_threads", "set_row_threads", "MIN_BLOCK_WORK",
           "PREDICT_CHUNK_BYTES"]

#: activations a block must compute (rows x the widths of the layers run) to be worth a
#: core of its own.  On the 2-core AMD AVX2 machine, with the second block in a helper
#: process, 4-10-10-10-1 took 5.4 ms in two blocks against 6.1 ms in one on 7,654 rows
#: (118,000 values per block) and 5.1 against 4.1 ms on 4,000 rows (62,000); 4-(5x20)-2
#: 6.4 against 7.1 ms on 2,000 rows (102,000) and 5.6 against 5.5 ms on 1,000 (51,000).
#: (On threads, before the helpers, the limit was 250,000: 118,000 per block ran between
#: 1.35x faster and 1.2x slower from one measurement to the next.)
MIN_BLOCK_WORK = 100_000
#: fewest rows in a tile (:func:`row_tiles`): below it the calls of a pass cost more than
#: the cache gains
MIN_TILE_ROWS = 1024
#: bytes assumed for the level-2 cache where the machine does not say (:func:`cache_bytes`)
DEFAULT_CACHE = 2**20

_pool: dict = {"executor": None, "size": 0}
_pool_lock = threading.Lock()
_state = threading.local()


def cores() -> int:
    """The cores this process may run on (its CPU affinity), a constant of the machine."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def row_threads() -> int:
    """Row blocks to run at once in this thread: what the enclosing
    :func:`bcdnet._threads.limit_threads` chose (:func:`set_row_threads`), else 1."""
    return getattr(_state, "threads", 1)


def set_row_threads(n: int) -> None:
    """Set :func:`row_threads` for this thread (the thread policy's business)."""
    _state.threads = n


def row_blocks(n_rows: int, width: int, n_cores: int | None = None) -> list[slice]:
    """Consecutive row slices for ``n_rows`` rows through layers whose widths sum to ``width``.

    As many blocks as the machine has cores (``n_cores``, default :func:`cores`),
    fewer when a block would hold under ``MIN_BLOCK_WORK`` values; one slice of every row
    when the problem is that small.  Blocks differ in size by at most one row.
    """
    n_cores = cores() if n_cores is None else n_cores
    n = int(max(1, min(n_cores, (n_rows * max(width, 1)) // MIN_BLOCK_WORK, n_rows)))
    edges = [n_rows * k // n for k in range(n + 1)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


@functools.lru_cache(maxsize=None)
def cache_bytes() -> int:
    """The size of one core's level-2 cache in bytes (Linux reports it), else ``DEFAULT_CACHE``.

    A constant of the machine, like :func:`cores`: tiles sized from it never depend on load
    or threads.
    """
    root = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(root)):
            with open(f"{root}/{entry}/level") as level, open(f"{root}/{entry}/type") as kind:
                if level.read().strip() != "2" or kind.read().strip() == "Instruction":
                    continue
            with open(f"{root}/{entry}/size") as size:
                text = size.read().strip().upper()
            scale = {"K": 2**10, "M": 2**20}.get(text[-1:], 1)
            value = int(text.rstrip("KM")) * scale
            if value > 0:
                return value
    except (OSError, ValueError):
        pass
    return DEFAULT_CACHE


def row_tiles(n_rows: int, width: int, itemsize: int,
              tile_bytes: int | None = None) -> list[slice]:
    r"""Consecutive row slices (tiles) in which one block's passes run one after the other.

    A tile holds at most ``tile_bytes`` (default: half of :func:`cache_bytes`) in one
    layer's array of ``width`` columns (the widest layer run) and ``itemsize`` bytes per
    value, but at least ``MIN_TILE_ROWS`` rows; tiles differ in size by at most one row.
    The passes of a tile reuse the same buffers (:class:`bcdnet.passes.Cache`), so a layer's
    arrays stay in cache from one product to the next instead of streaming from memory:
    on the 2-core Intel Xeon (2 MiB of L2 per core), on one thread, the float64 gradient of
    15-(64x4)-1 on 28,032 rows took 121 ms in one tile, 91, 88, 94 and 101 ms in tiles of
    256 KiB, 512 KiB, 1 MiB and 2 MiB per array (512 to 4,096 rows), 79 ms in the default
    tiles of 1,024 rows (float32: 55 ms, then 36 ms in 2,048 rows); 15-(256x4)-1 on 100,000
    rows took 2.9 s in one tile, 2.4 s in 1,024 rows and 2.7 s in 2,048.
    """
    limit = cache_bytes() // 4 if tile_bytes is None else tile_bytes
    step = max(MIN_TILE_ROWS, limit // max(1, width * itemsize))
    n = max(1, -(-n_rows // step))
    edges = [n_rows * k // n for k in range(n + 1)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


#: bytes of layer buffers (Z, H and A of every layer) one chunk of rows may use in a forward
#: pass alone (``Network.predict``, a block objective's frozen prefix)
PREDICT_CHUNK_BYTES = 4 * 2**20


def row_chunks(n_rows: int, sizes, itemsize: int = 8):
    """Slices of consecutive rows, each small enough that a forward pass through a network
    of widths ``sizes`` keeps its buffers within ``PREDICT_CHUNK_BYTES`` (256 rows at least)."""
    return chunks_of(n_rows, 3 * sum(sizes[1:]) * itemsize)


def chunks_of(n_rows: int, bytes_per_row: int) -> list[slice]:
    """Slices of consecutive rows holding ``PREDICT_CHUNK_BYTES`` at ``bytes_per_row`` each
    (256 rows at least; the last one shorter)."""
    step = max(256, PREDICT_CHUNK_BYTES // max(1, bytes_per_row))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def _executor(size: int) -> ThreadPoolExecutor:
    with _pool_lock:
        if _pool["executor"] is None or _pool["size"] < size:
            if _pool["executor"] is not None:
                _pool["executor"].shutdown(wait=False)
            _pool["executor"] = ThreadPoolExecutor(size, thread_name_prefix="bcdnet-rows")
            _pool["size"] = size
        return _pool["executor"]


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool on first use."""
    _pool.update(executor=None, size=0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _block(fn, k):
    """``fn(k)`` with overflow warnings off, as in the calling thread (``quiet_overflow``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return fn(k)


def run_blocks(fn, n_blocks: int, task=None, owner=None) -> list:
    """Return ``[fn(0), ..., fn(n_blocks - 1)]``, running up to :func:`row_threads` at once.

    Where all of them may run at once and ``task`` is given, blocks 1.. run in helper
    processes (:mod:`bcdnet._row_processes`: ``task(k)`` says what to compute, ``owner`` is
    the network), else on threads.  Block 0 runs in the calling thread; an exception in any
    block is raised here.
    """
    threads = min(n_blocks, row_threads())
    if threads <= 1:
        return [_block(fn, k) for k in range(n_blocks)]
    if task is not None and threads == n_blocks:
        from . import _row_processes
        results = _row_processes.run_blocks(lambda k: _block(fn, k), task, owner, n_blocks)
        if results is not None:
            return results
    executor = _executor(threads - 1)
    futures = [executor.submit(_block, fn, k) for k in range(1, n_blocks)]
    first = _block(fn, 0)
    return [first] + [f.result() for f in futures]
