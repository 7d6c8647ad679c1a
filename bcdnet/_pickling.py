"""Pickling and deep-copying objects that hold an array namespace.

A module object (``numpy``, ``cupy``, the strict test namespace) cannot be pickled, and
several objects keep the namespace they compute with in an attribute (``net.xp``, a layer's
``xp``, an optimizer's ``_xp``, the caches of a pass).  The two functions below are their
``__getstate__`` and ``__setstate__``: every attribute holding a namespace is stored by its
backend name (``"numpy"``, ``"cupy"``, ``"strict"``) and looked up again on loading, and
every device array (CuPy, strict) travels as a host NumPy copy with the name of its
namespace and is moved back there on loading.  A pickled CuPy network needs CuPy where it
is unpickled; a NumPy network pickles as it always would.

Pickles are for moving objects between processes you trust (``joblib``, ``copy.deepcopy``,
scikit-learn's model selection); :func:`bcdnet.save` stays the format for files from
elsewhere, because loading a pickle can run any code.
"""

from __future__ import annotations

import types

import numpy as np

from .backend import asarray, backend_name, get_namespace, is_host_array, namespace_of, to_numpy

__all__ = ["NamespaceName", "DeviceArray", "portable_state", "restore_portable_state"]


class NamespaceName(str):
    """The name of an array namespace, standing in for the module inside a pickled state."""

    def __reduce__(self):
        return NamespaceName, (str(self),)


class DeviceArray:
    """A device array inside a pickled state: its host copy and its namespace's name."""

    def __init__(self, host: np.ndarray, backend: str):
        self.host, self.backend = host, backend


def _portable(value):
    """``value`` with namespaces and device arrays (also inside lists, tuples and dicts)
    replaced by what pickles."""
    if isinstance(value, types.ModuleType):
        return NamespaceName(backend_name(value))
    if hasattr(value, "dtype") and not is_host_array(value):
        return DeviceArray(to_numpy(value), backend_name(namespace_of(value)))
    if type(value) in (list, tuple):
        return type(value)(_portable(v) for v in value)
    if type(value) is dict:
        return {k: _portable(v) for k, v in value.items()}
    return value


def _restored(value):
    if isinstance(value, NamespaceName):
        return get_namespace(str(value))
    if isinstance(value, DeviceArray):     # np.array: a plain writable copy (never a memmap)
        return asarray(np.array(value.host), get_namespace(value.backend))
    if type(value) in (list, tuple):
        return type(value)(_restored(v) for v in value)
    if type(value) is dict:
        return {k: _restored(v) for k, v in value.items()}
    return value


def portable_state(self) -> dict:
    """``__getstate__``: a copy of ``self.__dict__`` that pickles (see the module docstring)."""
    return _portable(self.__dict__)


def restore_portable_state(self, state: dict) -> None:
    """``__setstate__``: ``state`` with the namespaces and device arrays restored."""
    self.__dict__.update(_restored(state))
