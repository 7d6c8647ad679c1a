"""Training checkpoints: everything a BCD run needs to continue exactly where it stopped.

A checkpoint is one container file (:mod:`bcdnet._container`: an uncompressed ``.npz`` of
numeric arrays plus a JSON header).  It holds the network's parameters and scales, each
block's optimizer state, the selector's position, the random generator's state, the best
validation point, the batch-shell order, the history so far, and a fingerprint of the run
(architecture, activations, dtype, training and validation data).  It is written
atomically (:func:`bcdnet._atomic.atomic_write`) and read with the container's bounded
reader: nothing in a checkpoint is ever unpickled or executed, and every malformed file is
a ``ValueError`` naming the file and the field.

Nested state (an optimizer's ``state_dict()`` with lists of arrays) is stored by replacing
each array with ``{"__array__": name}`` in the JSON and the array itself under that name.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os

import numpy as np

from . import _container
from .backend import is_host_array, to_numpy

__all__ = ["write_checkpoint", "read_checkpoint", "fingerprint", "resume", "FORMAT",
           "FORMAT_VERSION"]

FORMAT = "bcdnet-checkpoint"
FORMAT_VERSION = 2
"""2: the fingerprint covers architecture, dtype and validation data (1: sizes and data)."""

_DTYPES = ("float32", "float64", "int32", "int64", "bool")


def _flatten(value, arrays: dict, name: str):
    """JSON-able copy of ``value`` with arrays moved into ``arrays`` (device arrays: host copies)."""
    if isinstance(value, np.ndarray) or not is_host_array(value):
        key = f"a{len(arrays)}"
        arrays[key] = to_numpy(value)
        return {"__array__": key}
    if isinstance(value, dict):
        return {str(k): _flatten(v, arrays, f"{name}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, arrays, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot store {name} of type {type(value).__name__} in a checkpoint")


def _references(value, found: set, depth: int = 0) -> set:
    """The array names that ``{"__array__": name}`` entries in ``value`` refer to."""
    if depth > 100:
        raise _container.Refusal("its state is nested more than 100 levels deep")
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            if not isinstance(value["__array__"], str):
                raise _container.Refusal(f"an array reference is {value!r:.80}")
            found.add(value["__array__"])
        for v in value.values():
            _references(v, found, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _references(v, found, depth + 1)
    return found


def _unflatten(value, arrays: dict):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _unflatten(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_unflatten(v, arrays) for v in value]
    return value


def write_checkpoint(path, state: dict) -> None:
    """Write ``state`` (nested dicts, lists, scalars, strings and arrays) to ``path`` atomically."""
    arrays: dict = {}
    body = {"state": _flatten(state, arrays, "state")}
    _container.write(os.fspath(path), FORMAT, FORMAT_VERSION, body, arrays, allow_nan=True)


def read_checkpoint(path) -> dict:
    """Read a checkpoint written by :func:`write_checkpoint`; refuse anything else clearly.

    Raises FileNotFoundError if there is no file, ValueError naming the file (and the field)
    for anything that is not a complete checkpoint.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory, not a checkpoint file")
    try:
        with _container.Container(path, FORMAT, FORMAT_VERSION) as box:
            if not isinstance(box.header.get("state"), dict):
                raise _container.Refusal("its header lacks the field 'state' (a JSON object)")
            names = _references(box.header["state"], set())
            box.expect_members(names, "its state refers to")
            arrays = {name: box.read(name, dtypes=_DTYPES) for name in sorted(names)}
            return _unflatten(box.header["state"], arrays)
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint file at {path}") from None
    except _container.Refusal as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc.__cause__


# ---------------------------------------------------------------------- BCD runs
def fingerprint(net, X, Y, w=None, validation=None) -> dict:
    """What a run's checkpoint must match to be resumed: the network's architecture
    (layers, activations and their parameters), its dtype, and SHA-256 digests of the
    training data ``(X, Y, w)`` and of the validation data."""
    return {"architecture": [repr(layer) for layer in net.layers],
            "dtype": np.dtype(net.dtype).name,
            "data": _digest(X, Y, w),
            "validation": None if validation is None else _digest(*validation)}


def _digest(*arrays) -> str:
    digest = hashlib.sha256()
    for a in arrays:
        if a is not None:
            a = np.ascontiguousarray(to_numpy(a))
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            digest.update(a.tobytes())
    return digest.hexdigest()


_WHAT = {"architecture": "network architecture (layers, activations)", "dtype": "dtype",
         "data": "training data (X, Y or sample_weight differ)",
         "validation": "validation data"}


def resume(run, path) -> None:
    """Restore the BCD run ``run`` (:class:`bcdnet._bcd_loop.BCDRun`) from the checkpoint at
    ``path``, after checking every field against the run: a ValueError naming the file and
    the field for anything that does not fit."""
    path = os.fspath(path)
    state = read_checkpoint(path)
    try:
        _check_state(state, run)
        run.restore(state)
    except (_container.Refusal, KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"cannot resume from checkpoint {path}: {exc}") from exc


def _check_state(state: dict, run) -> None:
    """Every field of a run's state (see ``BCDRun.snapshot``), checked against ``run``."""
    expected = fingerprint(run.net, run.X, run.Y, run.w, run.val)
    found = _typed(state, "fingerprint", dict)
    for key, what in _WHAT.items():
        if found.get(key) != expected[key]:
            raise _container.Refusal(f"field 'fingerprint.{key}': the checkpoint was made "
                                     f"for another {what}: {found.get(key)!r:.120}, this run "
                                     f"has {expected[key]!r:.120}")
    n_params, n_neurons = run.net.params.shape[0], run.net.scales.shape[0]
    for key, n, optional in (("params", n_params, False), ("scales", n_neurons, False),
                             ("last_good", n_params, False), ("best_params", n_params, True)):
        value = _typed(state, key, object)
        if optional and value is None:
            continue
        if not isinstance(value, np.ndarray) or value.shape != (n,) or value.dtype.kind != "f":
            raise _container.Refusal(f"field {key!r} must be a float array of shape ({n},), "
                                     f"got {_show(value)}")
    for key in ("iteration", "stale", "pos"):
        if _typed(state, key, int) < 0:
            raise _container.Refusal(f"field {key!r} must be non-negative")
    _typed(state, "stop", (str, type(None)))
    _typed(state, "best_it", (int, type(None)))
    for key in ("best_val", "cpu", "wall"):
        _typed(state, key, numbers.Real)
    if not all(isinstance(v, numbers.Real) for v in _typed(state, "losses", list)):
        raise _container.Refusal("field 'losses' must be a list of numbers")
    if not all(isinstance(r, dict) for r in _typed(state, "rows", list)):
        raise _container.Refusal("field 'rows' must be a list of JSON objects")
    perm = _typed(state, "perm", (np.ndarray, type(None)))
    if perm is not None and (perm.ndim != 1 or perm.dtype.kind != "i"
                             or not np.array_equal(np.sort(perm), np.arange(run.X.shape[0]))):
        raise _container.Refusal(f"field 'perm' must be a permutation of the "
                                 f"{run.X.shape[0]} training rows")
    block = _typed(state, "last_block", (list, type(None)))
    if block is not None and (len(block) != 2 or not all(type(i) is int for i in block)):
        raise _container.Refusal(f"field 'last_block' must be two ints, got {block!r:.80}")
    try:
        rng = np.random.default_rng()
        rng.bit_generator.state = json.loads(_typed(state, "rng", str))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise _container.Refusal(f"field 'rng' is not a random generator state ({exc})") from exc
    _load_into(run.t.selector.clone(), _typed(state, "selector", dict), "selector")
    for i, entry in enumerate(_typed(state, "optimizers", list)):
        where = f"optimizers[{i}]"
        if not isinstance(entry, dict) or not all(
                type(entry.get(k)) is int and 0 <= entry[k] < len(run.net.layers)
                for k in ("first", "last")):
            raise _container.Refusal(f"field {where!r} must hold the layer indices 'first' "
                                     f"and 'last' of the network's {len(run.net.layers)}")
        _load_into(run.t.optimizer.clone(), entry.get("state"), f"{where}.state")


def _typed(state: dict, key: str, kind):
    """``state[key]``, refused naming the field unless it is a ``kind`` (never a bool for int)."""
    if key not in state:
        raise _container.Refusal(f"it lacks the field {key!r}")
    value = state[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _container.Refusal(f"field {key!r} has the wrong type: {_show(value)}")
    return value


def _load_into(target, state, where: str) -> None:
    """``target.load_state_dict(state)`` with any failure refused naming the field."""
    try:
        target.load_state_dict(state)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise _container.Refusal(f"field {where!r} does not fit: {exc}") from exc


def _show(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__} {value!r:.60}"
