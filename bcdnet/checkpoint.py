"""Training checkpoints: everything a BCD run needs to continue exactly where it stopped.

A checkpoint is one ``.npz`` archive: plain numeric arrays plus a JSON header (stored as
UTF-8 bytes in the array ``header``).  It holds the network's parameters and scales, each
block's optimizer state, the selector's position, the random generator's state, the best
validation point, the batch-shell order and the history so far.  It is written atomically
(a temporary file, fsync, then a rename) and read with ``allow_pickle=False``: nothing in a
checkpoint is ever unpickled or executed.

Nested state (an optimizer's ``state_dict()`` with lists of arrays) is stored by replacing
each array with ``{"__array__": name}`` in the JSON and the array itself under that name.
"""

from __future__ import annotations

import json
import numbers
import os

import numpy as np

from .backend import is_host_array, to_numpy

__all__ = ["write_checkpoint", "read_checkpoint", "FORMAT", "FORMAT_VERSION"]

FORMAT = "bcdnet-checkpoint"
FORMAT_VERSION = 1


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


def _unflatten(value, arrays: dict):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            key = value["__array__"]
            if key not in arrays:
                raise ValueError(f"the checkpoint refers to a missing array {key!r}")
            return arrays[key]
        return {k: _unflatten(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_unflatten(v, arrays) for v in value]
    return value


def write_checkpoint(path, state: dict) -> None:
    """Write ``state`` (nested dicts, lists, scalars, strings and arrays) to ``path`` atomically."""
    arrays: dict = {}
    body = {"format": FORMAT, "format_version": FORMAT_VERSION,
            "state": _flatten(state, arrays, "state")}
    header = json.dumps(body, allow_nan=True).encode("utf-8")
    arrays["header"] = np.frombuffer(header, dtype=np.uint8)
    from .io import _write_atomically   # here, not at the top: io imports the estimator

    _write_atomically(os.fspath(path), arrays)


def read_checkpoint(path) -> dict:
    """Read a checkpoint written by :func:`write_checkpoint`; refuse anything else clearly."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as exc:  # a pickle, a truncated archive, an object array, ...
        raise ValueError(f"cannot read checkpoint {path}: not a complete .npz archive of "
                         f"numeric arrays ({type(exc).__name__}: {exc})") from exc
    if "header" not in arrays or arrays["header"].dtype != np.uint8:
        raise ValueError(f"cannot read checkpoint {path}: it has no bcdnet header")
    try:
        body = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
    except ValueError as exc:
        raise ValueError(f"cannot read checkpoint {path}: its header is not JSON") from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValueError(f"cannot read checkpoint {path}: not a bcdnet checkpoint")
    if body.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"cannot read checkpoint {path}: format_version "
                         f"{body.get('format_version')!r} is not {FORMAT_VERSION}")
    return _unflatten(body["state"], arrays)
