r"""Row blocks in helper processes: the other cores without the GIL.

A row block (:mod:`bcdnet._row_blocks`) on a thread of this process hands the GIL over at
every NumPy call, and a narrow network makes many short calls.  On the 2-core AVX2 machine
of ``benchmarks/results/core.md`` two threads each making 19 calls of 25,000 values took
1.5x *longer* than one thread making all of them on 50,000: each hand-over wakes a sleeping
thread, which costs more than the call.  A helper process has an interpreter of its own, so
its block runs beside this one's with no hand-over at all.

**What a helper computes.**  The same function on the same rows as a block thread would
(``bcdnet.evaluation._evaluate`` or ``_curvature``, overflow warnings off), on its own
copy of the network: the network is sent once (pickled; these are processes of our own,
never files), its ``params`` and ``scales`` with every request.
The parts come back and are summed here in block order, so a block gives the same bits
wherever it runs, and a result never depends on whether a helper was ready, busy or gone.

**When.**  Only where row blocks would run on threads at once (:func:`run_blocks` is
called with the threads the policy allows, :mod:`bcdnet._threads`), so a joblib or Dask
worker held to one thread never starts one.  A helper starts on the first such
evaluation, in the background (importing bcdnet takes about a second); until it says it is
ready, blocks run on threads as before.  It runs BLAS on one thread and exits when this
process closes its input (at exit, or when this process dies).

**Fallbacks.**  A network that does not pickle, or that the helper cannot rebuild (a layer
class defined in ``__main__`` of a script the helper does not run), is computed here, once
noticed, for its lifetime.  A helper that fails on a block has the block computed here
instead, so a genuine error is raised here with its traceback.  A helper that exits is
noticed (one warning) and replaced, up to ``MAX_EXITS`` times.  On platforms without ``select`` on pipes
(Windows) and with ``BCDNET_ROW_PROCESSES=0`` no helper starts.

**A changed network is sent again.**  Every request is preceded by a fingerprint of what
the evaluation reads of the network but its parameters (its layers, their activations,
its loss and its slices, three levels down, scalars and arrays by value): a slope, a
weight or a layer changed in place or replaced makes the request send the network again,
so the helper never computes with an old copy.

**Rows are sent when they changed.**  A helper keeps the arrays of its last request (the
block's rows of the input, targets and weights); an array equal bit for bit to the one it
holds, compared here against a copy of what was sent, goes as a one-byte mark instead.
Within an optimizer's run the rows never change, so a request carries only the parameters
(on 4-10-10-10-1 and 3,827 rows a block, a 27 us comparison instead of 150 KB through the
pipe); rows changed in place are compared by value, so they are sent.  The helper holds
its arrays read-only: a computation that wrote into them would fail there and be
recomputed here.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections import OrderedDict

import numpy as np

__all__ = ["run_blocks", "enabled", "start_helpers", "helpers_alive", "blocks_sent",
           "helper_cpu_seconds", "shutdown"]

#: environment switch: "0" keeps every row block in this process
ENV_SWITCH = "BCDNET_ROW_PROCESSES"
#: networks a helper keeps copies of (the least recently used is dropped beyond)
MAX_NETWORKS = 8
_HEADER = struct.Struct("<Q")

_helpers: list = []
_helpers_lock = threading.Lock()
_tokens: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_local_only: weakref.WeakSet = weakref.WeakSet()
_counter = itertools.count()
_warned = {"exit": False}
#: helpers that may exit before bcdnet stops starting new ones in this process
MAX_EXITS = 3
_status = {"exits": 0, "off": False}
_sent = {"blocks": 0, "cpu": 0.0, "arrays": 0}


def _send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream):
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the row-block helper closed its output")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the row-block helper closed its output")
    return pickle.loads(data)


def _widen(stream) -> None:
    """Give a pipe a 1 MiB buffer where Linux allows (a request is written in one go, not
    in 64 KiB rounds that each wait for the reader)."""
    try:
        import fcntl
        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError):
        pass


def enabled() -> bool:
    """Whether helper processes may start here (POSIX, not switched off, not a helper)."""
    return (os.name == "posix" and bool(sys.executable) and not _status["off"]
            and os.environ.get(ENV_SWITCH, "1").strip() != "0")


class _Helper:
    """One helper process and what it holds: the networks sent, a request in flight."""

    def __init__(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   **{ENV_SWITCH: "0"})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bcdnet._row_helper"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env, close_fds=True)
        _widen(self.process.stdin)
        self.ready = self.dead = self.in_flight = False
        self.lock = threading.Lock()
        self.networks: OrderedDict = OrderedDict()     # token -> fingerprint it holds
        self.rows: tuple = ()                   # copies of the arrays the helper holds
        self.forget: list = []                  # tokens to drop, told with the next request

    def poll(self) -> bool:
        """Whether the helper is ready for a request (never waits for it)."""
        if self.ready or self.dead:
            return self.ready
        import select
        try:
            readable = select.select([self.process.stdout], [], [], 0)[0]
            if readable:
                self.ready = self.process.stdout.read(1) == b"R"
        except (OSError, ValueError):
            readable = True
        if readable and not self.ready:         # it exited before it was ready
            self.kill()
            _warn_exit()
        return self.ready

    def kill(self) -> None:
        """Stop the helper (a request interrupted half way leaves its pipes unusable)."""
        if not self.dead:
            self.dead, self.ready = True, False
            try:
                self.process.kill()
                self.process.wait(timeout=5)
            except Exception:  # already gone
                pass
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except Exception:
                    pass

    def submit(self, token, fingerprint, net, kind, arrays, options) -> None:
        """Send one block's request; raises what pickling the network raises."""
        if self.in_flight:                      # the reply of an interrupted call
            self.receive()
        blob = None
        if self.networks.get(token) != fingerprint:
            blob = pickle.dumps(net, protocol=pickle.HIGHEST_PROTOCOL)
        forget, self.forget = self.forget, []
        kept = tuple(i < len(self.rows) and _same_bits(a, self.rows[i])
                     for i, a in enumerate(arrays))
        sent = tuple(None if k else a for a, k in zip(arrays, kept))
        try:
            _send(self.process.stdin, (token, blob, forget, np.asarray(net.params),
                                       np.asarray(net.scales), kind, sent, kept, options))
        except BaseException:
            self.kill()
            raise
        self.rows = tuple(self.rows[i] if k else None if a is None else np.array(a)
                          for i, (a, k) in enumerate(zip(arrays, kept)))
        _sent["arrays"] += sum(a is not None for a in sent)
        self.in_flight = True
        self.networks[token] = fingerprint
        self.networks.move_to_end(token)
        while len(self.networks) > MAX_NETWORKS:
            self.forget.append(self.networks.popitem(last=False)[0])

    def receive(self):
        """The reply to the request in flight: ``("ok", result)``, ``("error", message)`` or
        ``("unbuildable", message)``; the CPU seconds it took are counted."""
        try:
            status, payload, cpu = _receive(self.process.stdout)
        except BaseException:
            self.kill()
            raise
        self.in_flight = False
        _sent["cpu"] += cpu
        return status, payload


def _same_bits(a, b) -> bool:
    """Whether arrays ``a`` and ``b`` (or None) hold the same values bit for bit (NaN,
    -0.0 and all): the same shape and dtype, and equal as unsigned integers."""
    if a is None or b is None:
        return a is b
    if type(a) is not np.ndarray or a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not a.flags.c_contiguous or a.dtype.kind not in "fiub" or a.itemsize > 8:
        return False
    bits = np.dtype(f"u{a.itemsize}")
    return bool(np.array_equal(a.view(bits), b.view(bits)))


_SCALARS = frozenset((int, float, complex, str, bytes, bool, type(None), np.float64,
                      np.float32, np.int64, np.bool_, np.dtype,
                      type(np.dtype(np.float64)), type(np.dtype(np.float32))))


def _state(value, roots, depth: int = 3):
    """What ``value`` is, as a tuple to compare: scalars by value, arrays by their bytes
    (but the network's ``params`` and ``scales`` and their views, which are sent anyway),
    and objects by the state of their attributes, ``depth`` levels down."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is np.ndarray:
        if value.base is None:
            owner = value
        else:
            owner = value.base
        if owner is roots[0] or owner is roots[1]:
            return "params"
        return (value.dtype.str, value.shape, value.tobytes())
    if kind is list or kind is tuple:
        return tuple([_state(v, roots, depth) for v in value])
    if kind is slice:
        return ("slice", value.start, value.stop, value.step)
    if kind is type(os):                        # a namespace: by its name
        return (kind, value.__name__)
    attributes = getattr(value, "__dict__", None)
    if attributes is None or depth <= 0:
        return (kind, id(value))
    return (kind, tuple([(k, _state(v, roots, depth - 1)) for k, v in attributes.items()
                         if k != "_tape"]))


#: what the evaluation functions read of a network (``bcdnet/evaluation.py``)
_READ = ("layers", "loss", "dtype", "xp", "param_slices", "scale_slices", "n_params")


def _identity(net):
    """``(token, fingerprint)`` of ``net``, or None when it cannot go to a helper.

    The fingerprint is the state of what the evaluation reads of the network but the
    parameter values (``_READ``, :func:`_state`): a changed attribute of a layer, an
    activation or the loss, in place or by a new object, makes the next request send the
    network again.
    """
    try:
        if net in _local_only:
            return None
        token = _tokens.get(net)
        if token is None:
            token = _tokens[net] = next(_counter)
    except TypeError:                           # not weakly referenceable or not hashable
        return None
    roots = (getattr(net, "_params", None), getattr(net, "_scales", None))
    roots = tuple(r if r is None or r.base is None else r.base for r in roots)
    return token, tuple(_state(getattr(net, name, None), roots) for name in _READ)


def _ready_helpers(n: int) -> list:
    """``n`` ready helpers, starting any missing (an empty list until they are ready)."""
    with _helpers_lock:
        _helpers[:] = [h for h in _helpers if not h.dead]
        while len(_helpers) < n:
            try:
                _helpers.append(_Helper())
            except OSError:                     # cannot start processes here
                _status["off"] = True
                return []
        chosen = _helpers[:n]
    return chosen if all(h.poll() for h in chosen) else []


def start_helpers(n: int = 1, timeout: float = 60.0) -> bool:
    """Start ``n`` helpers and wait until they are ready; whether they are.  Not needed
    (evaluations start them), but a benchmark calls it so that its timings do not include
    the start."""
    if not enabled():
        return False
    if n < 1:
        return False
    deadline = time.monotonic() + timeout
    while not _ready_helpers(n):
        if time.monotonic() > deadline or not enabled() or all(h.dead for h in _helpers):
            return False
        time.sleep(0.02)
    return True


def blocks_sent() -> int:
    """How many blocks helpers have computed for this process so far."""
    return _sent["blocks"]


def helper_cpu_seconds() -> float:
    """CPU seconds the helpers spent on this process's requests so far (each reply says
    its own; :func:`bcdnet._cpu.process_time` adds them to this process's)."""
    return _sent["cpu"]


def helpers_alive() -> int:
    """How many helper processes are running (for tests and the benchmarks)."""
    return sum(1 for h in _helpers if not h.dead and h.process.poll() is None)


def _warn_exit() -> None:
    """A helper exited: say so once; after ``MAX_EXITS`` start no more."""
    _status["exits"] += 1
    if _status["exits"] >= MAX_EXITS:
        _status["off"] = True
    if not _warned["exit"]:
        _warned["exit"] = True
        warnings.warn("bcdnet: a row-block helper process exited; its blocks were computed "
                      "in this process and a new helper starts (after "
                      f"{MAX_EXITS} exits, none)", RuntimeWarning, stacklevel=4)


def run_blocks(local, task, net, n_blocks: int):
    """``[block 0, ..., block n-1]`` with blocks 1.. on helpers, or None where none can run.

    ``local(k)`` computes block ``k`` here; ``task(k)`` gives ``(kind, arrays, options)``
    for a helper.  Returns None (the caller runs its threads) when helper processes are
    off, not ready yet, busy with another thread's call, or ``net`` cannot be sent.
    """
    if n_blocks < 2 or not enabled():
        return None
    identity = _identity(net)
    if identity is None:
        return None
    helpers = _ready_helpers(n_blocks - 1)
    if not helpers:
        return None
    taken = [h for h in helpers if h.lock.acquire(blocking=False)]
    if len(taken) < len(helpers):
        for h in taken:
            h.lock.release()
        return None
    try:
        return _run(local, task, net, identity, helpers)
    finally:
        for h in taken:
            h.lock.release()


def _run(local, task, net, identity, helpers):
    sent = {}
    for k, helper in enumerate(helpers, start=1):
        kind, arrays, options = task(k)
        try:
            helper.submit(*identity, net, kind, arrays, options)
        except (pickle.PicklingError, TypeError, AttributeError, ValueError):
            _local_only.add(net)                # does not pickle: computed here from now on
            break
        except (OSError, EOFError):             # it died (the write or a stale reply failed)
            _warn_exit()
            continue
        sent[k] = helper
    results = [local(0)]
    for k in range(1, len(helpers) + 1):
        reply = None
        if k in sent:
            try:
                reply = sent[k].receive()
            except EOFError:
                _warn_exit()
        if reply is not None and reply[0] == "ok":
            results.append(reply[1])
            _sent["blocks"] += 1
            continue
        if reply is not None and reply[0] == "unbuildable":
            _local_only.add(net)
        results.append(local(k))                # an error is raised here, with its traceback
    return results


def shutdown() -> None:
    """Close every helper's input (it exits) and forget them; called at exit."""
    with _helpers_lock:
        for helper in _helpers:
            if not helper.dead:
                try:
                    helper.process.stdin.close()
                    helper.process.wait(timeout=2)
                except Exception:
                    helper.kill()
        _helpers.clear()


def _forget_after_fork() -> None:
    """A forked child shares its parent's pipes: it must not use the parent's helpers."""
    _helpers.clear()


atexit.register(shutdown)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


# ---------------------------------------------------------------------- the helper's side
def serve(stdin, stdout, compute) -> None:
    """Answer requests until the input closes: the helper process's main loop.

    ``compute(net, kind, arrays, options)`` computes one block (``bcdnet._row_helper``
    passes the evaluation functions, which this module does not import: they import it).
    """
    networks: dict = {}
    rows: tuple = ()
    _widen(stdout)
    stdout.write(b"R")
    stdout.flush()
    while True:
        try:
            token, blob, forget, params, scales, kind, sent, kept, options = _receive(stdin)
        except EOFError:
            return
        start = time.process_time()
        rows = arrays = tuple(rows[i] if k else _read_only(a)
                              for i, (a, k) in enumerate(zip(sent, kept)))
        for old in forget:
            networks.pop(old, None)
        reply = None
        if blob is not None:
            try:
                networks[token] = pickle.loads(blob)
            except Exception as exc:            # a class this process cannot import
                networks.pop(token, None)
                reply = ("unbuildable", f"{type(exc).__name__}: {exc}")
        if reply is None:
            try:
                net = networks[token]
                net.params[...] = params
                net.scales[...] = scales
                with np.errstate(over="ignore", invalid="ignore"):     # as in the caller's
                    reply = ("ok", compute(net, kind, arrays, options))
            except Exception as exc:            # computed again by the caller, who raises
                reply = ("error", f"{type(exc).__name__}: {exc}")
        _send(stdout, (*reply, time.process_time() - start))


def _read_only(array):
    if array is not None:
        array.flags.writeable = False
    return array
