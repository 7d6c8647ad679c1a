"""BCDRegressor's parameters: one check, used by ``fit`` and by loading, and a JSON form.

:func:`check_params` is the only place the constructor arguments are validated
(scikit-learn's convention: ``__init__`` stores them untouched, ``fit`` checks them), and
:func:`bcdnet.load` calls it too, so a file can hold nothing that ``fit`` would refuse.

:func:`encode_param` and :func:`decode_param` write every value a parameter may take as
plain JSON and read it back as the same type: tuples, lists, NumPy arrays and scalars,
registered activations, optimizers and selectors (by registry name and hyperparameters),
and NumPy ``Generator`` / ``RandomState`` seeds (by their bit generator's state).  Nothing
is ever looked up by an arbitrary name: only the registries and NumPy's bit generators.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from ._validation import (check_choice, check_int, check_nonnegative, check_probability,
                          check_rng_seed)
from ._threads import check_threads
from .activations import ACTIVATIONS, Activation, get_activation
from .layers import INITIALIZERS
from .optim import OPTIMIZERS, Optimizer
from .selection import SELECTORS, Selector

__all__ = ["InvalidParameterError", "check_params", "encode_param", "decode_param",
           "decode_params", "as_generator"]


class InvalidParameterError(ValueError, TypeError):
    """A constructor argument of the wrong type or value (a ValueError and a TypeError, as
    scikit-learn's own); the message names the parameter."""


def _check_hidden(value) -> tuple:
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1:
        raise TypeError(f"hidden must be a sequence of layer widths (ints >= 1), "
                        f"got {value!r}")
    return tuple(check_int(h, f"hidden[{i}]", minimum=1) for i, h in enumerate(value))


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_instance_or_name(value, name: str, base: type, registry: dict):
    if isinstance(value, base):
        return value
    return check_choice(value, name, registry)


def _check_validation_fraction(value):
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, str):
        raise ValueError(f"validation_fraction must be 'auto' or a number in [0, 1), "
                         f"got {value!r}")
    fraction = check_probability(value, "validation_fraction")
    if fraction >= 1:
        raise ValueError(f"validation_fraction must be below 1, got {fraction}")
    return fraction


def _check_random_state(value):
    if isinstance(value, np.random.RandomState):
        return value
    check_rng_seed(value, "random_state")
    return value


def _check_activation(value, name):
    get_activation(value)          # raises for an unknown name or a wrong type
    return value                   # unchanged: each network builds its own instance from it


def _optional(check):
    return lambda value, name: None if value is None else check(value, name)


def _check_dtype(value, name):
    """float32 or float64, by name or as a NumPy type."""
    try:
        ok = np.dtype(value) in (np.float32, np.float64)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be 'float64' or 'float32', got {value!r:.60}")
    return value


_CHECKS = {
    "hidden": lambda v, name: _check_hidden(v),
    "activation": _check_activation,
    "init": _optional(lambda v, name: check_choice(v, name, INITIALIZERS)),
    "optimizer": lambda v, name: _check_instance_or_name(v, name, Optimizer, OPTIMIZERS),
    "selector": lambda v, name: _check_instance_or_name(v, name, Selector, SELECTORS),
    "n_networks": lambda v, name: check_int(v, name, minimum=1),
    "max_iter": lambda v, name: check_int(v, name, minimum=1),
    "inner_max_iter": _optional(lambda v, name: check_int(v, name, minimum=1)),
    "icrs_init": lambda v, name: check_int(v, name, minimum=0),
    "batch_shell": _check_bool,
    "validation_fraction": lambda v, name: _check_validation_fraction(v),
    "patience": lambda v, name: check_int(v, name, minimum=1),
    "validate_steps": _check_bool,
    "linear_skip": _check_bool,
    "tol": check_nonnegative,
    "random_state": lambda v, name: _check_random_state(v),
    "progress": _optional(_check_bool),
    "dtype": lambda v, name: _check_dtype(v, name),
    "threads": check_threads,
}


def check_params(params: dict) -> dict:
    """Return the checked values of BCDRegressor's parameters (``hidden`` as a tuple of ints).

    Raises
    ------
    InvalidParameterError
        For the first parameter of a wrong type or value; the message names it.
    """
    unknown = set(params) - set(_CHECKS)
    if unknown:
        raise InvalidParameterError(f"unknown parameter(s) {sorted(unknown)}; valid "
                                    f"parameters are {', '.join(_CHECKS)}")
    checked = {}
    for name, value in params.items():
        try:
            checked[name] = _CHECKS[name](value, name)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            if name not in message:
                message = f"{name}: {message}"
            raise InvalidParameterError(f"invalid parameter {message}") from exc
    return checked


def as_generator(random_state) -> np.random.Generator:
    """A NumPy Generator from a checked ``random_state``: None, an int, a SeedSequence, a
    Generator (used, and so advanced, as scikit-learn uses a RandomState) or a RandomState
    (which draws the seed of a new Generator)."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32, size=4, dtype=np.uint64))
    return check_rng_seed(random_state, "random_state")


# ---------------------------------------------------------------------- JSON form
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _init_values(obj) -> dict:
    """An object's constructor arguments read back from its attributes of the same name."""
    names = [p.name for p in inspect.signature(type(obj).__init__).parameters.values()
             if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return {name: getattr(obj, name) for name in names if hasattr(obj, name)}


def _registered(obj, kind: str, registry: dict) -> dict:
    """``{"type": kind, "name": ..., "params": ...}`` for an instance of a registered class."""
    names = [name for name, cls in registry.items() if cls is type(obj)]
    if not names:
        raise TypeError(f"{type(obj).__name__} is not a registered {kind}")
    params = obj.get_params() if hasattr(obj, "get_params") else _init_values(obj)
    return {"type": kind, "name": names[0],
            "params": {k: encode_param(v) for k, v in params.items()}}


def encode_param(value):
    """``value`` as plain JSON (None, bool, int, float, str, list, dict); TypeError if it has
    no such form.  Tuples, arrays and objects become ``{"type": ..., ...}`` dicts."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"type": "scalar", "dtype": value.dtype.str, "value": encode_param(value.item())}
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not np.isfinite(float(value)):
            raise TypeError(f"the non-finite number {value}")
        return float(value)
    if isinstance(value, list):
        return [encode_param(v) for v in value]
    if isinstance(value, tuple):
        return {"type": "tuple", "items": [encode_param(v) for v in value]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"type": "ndarray", "dtype": value.dtype.str, "shape": list(value.shape),
                "items": [encode_param(v) for v in value.ravel().tolist()]}
    if isinstance(value, Optimizer):
        return _registered(value, "optimizer", OPTIMIZERS)
    if isinstance(value, Selector):
        return _registered(value, "selector", SELECTORS)
    if isinstance(value, Activation):
        return _registered(value, "activation", ACTIVATIONS)
    if isinstance(value, np.random.Generator):
        return {"type": "generator", "state": _encode_state(value.bit_generator.state)}
    if isinstance(value, np.random.RandomState):
        return {"type": "random_state", "state": _encode_state(value.get_state(legacy=False))}
    raise TypeError(type(value).__name__)


def _encode_state(state: dict) -> dict:
    return {k: _encode_state(v) if isinstance(v, dict) else encode_param(v)
            for k, v in state.items()}


def _decode_state(state) -> dict:
    if not isinstance(state, dict):
        raise ValueError(f"a saved random generator needs a dict state, got {state!r}")
    return {k: decode_param(v) if isinstance(v, dict) and "type" in v else
            (_decode_state(v) if isinstance(v, dict) else v) for k, v in state.items()}


def _bit_generator(state: dict):
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(f"unknown bit generator {name!r}; valid names are "
                         f"{', '.join(_BIT_GENERATORS)}")
    return getattr(np.random, name)()


def decode_param(value):
    """The value :func:`encode_param` wrote; ValueError for anything it cannot have written."""
    if isinstance(value, list):
        return [decode_param(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    if kind == "tuple":
        return tuple(decode_param(v) for v in _items(value))
    if kind in ("ndarray", "scalar"):
        dtype = np.dtype(str(value.get("dtype")))
        if dtype.kind not in "biuf":
            raise ValueError(f"an array parameter must be numeric, got dtype {dtype}")
        if kind == "scalar":
            return dtype.type(value.get("value"))
        return np.array(_items(value), dtype=dtype).reshape(value.get("shape"))
    registries = {"optimizer": OPTIMIZERS, "selector": SELECTORS, "activation": ACTIVATIONS}
    if kind in registries:
        cls = registries[kind][check_choice(value.get("name"), kind, registries[kind])]
        params = value.get("params")
        if not isinstance(params, dict):
            raise ValueError(f"a saved {kind} needs a dict of parameters, got {params!r}")
        return cls(**{k: decode_param(v) for k, v in params.items()})
    if kind == "generator":
        state = _decode_state(value.get("state"))
        bit_generator = _bit_generator(state)
        bit_generator.state = state
        return np.random.Generator(bit_generator)
    if kind == "random_state":
        state = _decode_state(value.get("state"))
        _bit_generator(state)
        generator = np.random.RandomState()
        generator.set_state(state)
        return generator
    raise ValueError(f"unknown parameter encoding {kind!r}")


def decode_params(params: dict) -> dict:
    """Every value of ``params`` decoded; ValueError naming the parameter that cannot be."""
    decoded = {}
    for name, value in params.items():
        try:
            decoded[name] = decode_param(value)
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as exc:
            raise InvalidParameterError(f"invalid parameter {name}: {exc}") from exc
    return decoded


def _items(value: dict) -> list:
    items = value.get("items")
    if not isinstance(items, list):
        raise ValueError(f"a saved {value.get('type')} needs a list of items, got {items!r}")
    return [decode_param(v) for v in items]
