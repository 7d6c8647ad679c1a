"""What optimizers and selectors share: hyperparameters read from ``__init__``, and a state.

**Hyperparameters**, as in scikit-learn: the names are those of ``__init__``'s signature, and
``__init__`` stores each argument, as given, under its own name (``self.lr = lr``) after
checking it.  So :meth:`~Component.get_params`, :meth:`~Component.set_params`,
:meth:`~Component.clone`, ``repr`` and scikit-learn's ``clone`` see every hyperparameter of
a subclass without a list kept by hand.

**State** (a position, moments, a curvature memory): :meth:`~Component.state_dict` returns
it as plain data, ``{<kind>: class name, key: value, ...}``, and
:meth:`~Component.load_state_dict` restores it, refusing a state of another class or with
other keys.  A subclass with state implements ``_get_state() -> dict`` and
``_set_state(dict)``; the base has none.
"""

from __future__ import annotations

import abc
import inspect

import numpy as np

from .backend import is_host_array

__all__ = ["Component"]


def _is_array(value) -> bool:
    """A NumPy array or a device array (CuPy, strict)."""
    return isinstance(value, np.ndarray) or not is_host_array(value)


def _copied(value):
    return value.copy() if _is_array(value) else value


class Component(abc.ABC):
    """Base of :class:`~bcdnet.optim.Optimizer` and :class:`~bcdnet.selection.Selector`.

    A subclass missing an abstract method cannot be instantiated; Python's ``TypeError``
    names the missing methods.
    """

    #: The key naming the class in :meth:`state_dict` ("optimizer", "selector").
    _state_kind = "component"

    # ---------------------------------------------------------------- hyperparameters
    @classmethod
    def _hyperparameter_names(cls) -> list[str]:
        """The names of ``__init__``'s arguments (``self`` and ``*args``/``**kwargs`` refused)."""
        init = cls.__init__
        if init is object.__init__:
            return []
        names = []
        for p in inspect.signature(init).parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must name its hyperparameters, "
                                f"not take *{p.name}")
            names.append(p.name)
        return names

    def get_params(self, deep: bool = True) -> dict:
        """Return the hyperparameters: ``{name: value}`` for every argument of ``__init__``.

        ``deep`` is accepted for scikit-learn; there are no nested components.
        """
        params = {}
        for name in self._hyperparameter_names():
            if not hasattr(self, name):
                raise AttributeError(f"{type(self).__name__}.__init__ takes {name!r} but does "
                                     f"not store it as self.{name}, so get_params and clone "
                                     f"cannot read it")
            params[name] = getattr(self, name)
        return params

    def set_params(self, **params) -> "Component":
        """Set hyperparameters by name and return self.

        The constructor runs again with the new values, so they are checked as in
        ``__init__``, and the state is cleared.  Raises ValueError for a name ``__init__``
        does not take (the message lists the valid names).
        """
        valid = self._hyperparameter_names()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no hyperparameter(s) "
                             f"{', '.join(unknown)}; valid names are {', '.join(valid)}")
        self.__init__(**{**self.get_params(), **params})
        return self

    def clone(self):
        """A new instance of the same class and hyperparameters, with empty state."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict:
        """Return the state as plain data (arrays, ints, floats, strings, lists); a copy."""
        state = {self._state_kind: type(self).__name__}
        for key, value in self._get_state().items():
            state[key] = _copied(value)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a state made by :meth:`state_dict` of the same class.

        Raises TypeError when ``state`` is not a dict, ValueError when its keys differ from
        this class's or it was saved by another class.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        expected = set(self.state_dict())
        if set(state) != expected:
            raise ValueError(f"state keys must be {sorted(expected)}, got {sorted(state)}")
        kind = self._state_kind
        if state[kind] != type(self).__name__:
            raise ValueError(f"state was saved by {state[kind]}, "
                             f"cannot load it into {type(self).__name__}")
        self._set_state({k: _copied(v) for k, v in state.items() if k != kind})

    def _get_state(self) -> dict:
        """The state as ``{key: plain value}`` (none by default)."""
        return {}

    def _set_state(self, state: dict) -> None:
        """Restore what :meth:`_get_state` returned (checked by the subclass)."""
