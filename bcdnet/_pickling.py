"""Pickling and deep-copying objects that hold an array namespace.

A module object (``numpy``, ``cupy``, the strict test namespace) cannot be pickled, and
several objects keep the namespace they compute with in an attribute (``net.xp``, a layer's
``xp``, an optimizer's ``_xp``, the caches of a pass).  The two functions below are their
``__getstate__`` and ``__setstate__``: every attribute holding a namespace is stored by its
backend name (``"numpy"``, ``"cupy"``, ``"strict"``) and looked up again on loading, so a
pickled CuPy network needs CuPy where it is unpickled, and nothing else changes.

Pickles are for moving objects between processes you trust (``joblib``, ``copy.deepcopy``,
scikit-learn's model selection); :func:`bcdnet.save` stays the format for files from
elsewhere, because loading a pickle can run any code.
"""

from __future__ import annotations

import types

from .backend import backend_name, get_namespace

__all__ = ["NamespaceName", "state_with_namespace_names", "restore_namespaces"]


class NamespaceName(str):
    """The name of an array namespace, standing in for the module inside a pickled state."""

    def __reduce__(self):
        return NamespaceName, (str(self),)


def state_with_namespace_names(self) -> dict:
    """``__getstate__``: a copy of ``self.__dict__`` with every namespace replaced by its name."""
    return {key: NamespaceName(backend_name(value)) if isinstance(value, types.ModuleType)
            else value for key, value in self.__dict__.items()}


def restore_namespaces(self, state: dict) -> None:
    """``__setstate__``: ``state`` with every namespace name looked up again."""
    self.__dict__.update({key: get_namespace(str(value)) if isinstance(value, NamespaceName)
                          else value for key, value in state.items()})
