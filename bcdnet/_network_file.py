"""How a :class:`~bcdnet.network.Network` is described in a model file and rebuilt from it.

Used by :mod:`bcdnet.io`: ``_describe_network`` gives the header fields of a network of
Dense layers; ``_build_network`` rebuilds one from the header and the container's arrays
(``arrays.box``, a :class:`~bcdnet._container.Container`), each array read only after its
declared shape and dtype (float32 or float64) fit the architecture (``_check_array``),
then checked finite; ``_check_outputs`` refuses weights whose outputs are not finite for
inputs of unit scale.  Every problem is a
:class:`~bcdnet._container.Refusal`.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from ._container import Refusal as _Refusal
from .activations import ACTIVATIONS
from .backend import to_numpy
from .layers import INITIALIZERS, Dense
from .losses import MSE
from .network import Network

DTYPES = ("float32", "float64")


def _describe_network(net: Network) -> dict:
    """The header fields that describe ``net``'s architecture."""
    if type(net.loss) is not MSE:
        raise TypeError(f"cannot save a network with the loss {type(net.loss).__name__}; "
                        f"the format describes MSE only")
    layers = []
    for i, layer in enumerate(net.layers):
        if type(layer) is not Dense:
            raise TypeError(f"cannot save layer {i}, a {type(layer).__name__}; the format "
                            f"describes Dense layers only")
        act = layer.activation
        if ACTIVATIONS.get(act.name) is not type(act):
            raise ValueError(f"cannot save layer {i}: its activation {type(act).__name__} is "
                             f"not registered under its name {act.name!r}; register it "
                             f"(bcdnet.activations.register) so that load can rebuild it")
        params = {name: getattr(act, name, None) for name in _init_args(type(act))}
        if not all(_is_json_scalar(v) for v in params.values()):
            raise ValueError(f"cannot save layer {i}: activation parameters {params} must be "
                             f"finite numbers, strings, bools or None")
        layers.append({"type": "Dense", "n_in": layer.n_in, "n_out": layer.n_out,
                       "activation": act.name, "init": layer.init,
                       "activation_params": {k: _to_json(v) for k, v in params.items()}})
    return {"dtype": net.dtype.name, "sizes": net.sizes, "layers": layers, "loss": "MSE"}


def _init_args(cls) -> list[str]:
    """Names of the keyword arguments of ``cls``'s constructor."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind in kinds]


def _is_json_scalar(value) -> bool:
    if value is None or isinstance(value, (str, bool, np.bool_, numbers.Integral)):
        return True
    return isinstance(value, numbers.Real) and bool(np.isfinite(float(value)))


def _to_json(value):
    """``value`` in plain JSON types (tuples become lists); TypeError if it has none."""
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if not _is_json_scalar(value):
        raise TypeError(type(value).__name__)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value) if isinstance(value, numbers.Real) else value


def _field(record, key: str, kind: type, where: str):
    """``record[key]`` after checking its JSON type (a bool never passes for an int)."""
    if not isinstance(record, dict) or key not in record:
        raise _Refusal(f"{where} lacks the field {key!r}")
    value = record[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _Refusal(f"{where} field {key!r} must be a {kind.__name__}, got {value!r:.80}")
    return value


def _check_outputs(nets: list, predict) -> None:
    """Refuse weights whose outputs are not finite for inputs of unit scale (|z| <= ~3)."""
    n_in = nets[0].n_inputs
    Z = np.vstack([np.zeros(n_in), np.ones(n_in), -np.ones(n_in),
                   np.random.default_rng(0).standard_normal((5, n_in))])
    with np.errstate(all="ignore"):
        for k, net in enumerate(nets):
            if not np.isfinite(to_numpy(net.predict(Z.astype(net.dtype)))).all():
                raise _Refusal(f"network {k}'s weights give non-finite outputs for inputs "
                               f"of unit scale (weights too large)")
        try:
            finite = np.isfinite(to_numpy(predict(Z))).all()
        except (ValueError, OverflowError):
            finite = False
    if not finite:
        raise _Refusal("the model gives non-finite outputs for inputs of unit scale "
                       "(weights or scalers too large)")


def _build_network(header: dict, arrays, suffix: str = "") -> Network:
    """The network the header describes, with the arrays ``params<suffix>``/``scales<suffix>``."""
    name = _field(header, "dtype", str, "header")
    try:
        dtype = np.dtype(name)
    except (TypeError, ValueError) as exc:
        raise _Refusal(f"unknown dtype {name!r}") from exc
    if dtype.name not in DTYPES or dtype.name != name:
        raise _Refusal(f"dtype must name a floating type, 'float32' or 'float64', got {name!r}")
    if _field(header, "loss", str, "header") != "MSE":
        raise _Refusal(f"unknown loss {header['loss']!r}; the format describes 'MSE' only")
    sizes = _field(header, "sizes", list, "header")
    records = _field(header, "layers", list, "header")
    if not records or len(sizes) != len(records) + 1:
        raise _Refusal(f"sizes {sizes!r:.80} must hold one entry more than layers "
                       f"({len(records)}), at least two")
    specs = [_layer_spec(record, f"layers[{i}]", sizes[i:i + 2])
             for i, record in enumerate(records)]
    n_params = sum(n_in * n_out + n_out for n_in, n_out, *_ in specs)
    params = _check_array(arrays, "params" + suffix, (n_params,), dtype,
                          "the architecture's parameter count")
    scales = _check_array(arrays, "scales" + suffix, (sum(spec[1] for spec in specs),), dtype,
                          "the architecture's neuron count")
    layers = []
    for i, (n_in, n_out, activation, act_params, init) in enumerate(specs):
        try:
            layers.append(Dense(n_in, n_out, ACTIVATIONS[activation](**act_params), init))
        except (TypeError, ValueError) as exc:
            raise _Refusal(f"layers[{i}] cannot be rebuilt: {exc}") from exc
    net = Network(layers, dtype=dtype)
    net.params, net.scales = params, scales
    return net


def _layer_spec(record, where: str, widths: list) -> tuple:
    """``(n_in, n_out, activation, activation_params, init)`` of a layer record, checked."""
    if _field(record, "type", str, where) != "Dense":
        raise _Refusal(f"{where} has type {record['type']!r}; only 'Dense' is known")
    n_in, n_out = _field(record, "n_in", int, where), _field(record, "n_out", int, where)
    if min(n_in, n_out) < 1 or [n_in, n_out] != widths:
        raise _Refusal(f"{where} is {n_in} -> {n_out}, which does not fit sizes {widths}")
    activation = _field(record, "activation", str, where)
    if activation not in ACTIVATIONS:
        raise _Refusal(f"{where} has the unknown activation {activation!r}; registered "
                       f"activations are {', '.join(sorted(ACTIVATIONS))}")
    act_params = _field(record, "activation_params", dict, where)
    allowed = _init_args(ACTIVATIONS[activation])
    if any(k not in allowed or not _is_json_scalar(v) for k, v in act_params.items()):
        raise _Refusal(f"{where} activation_params {act_params!r:.80} do not fit "
                       f"{activation!r}, whose parameters are {allowed}")
    init = _field(record, "init", str, where)
    if init not in INITIALIZERS:
        raise _Refusal(f"{where} has the unknown init {init!r}; valid names are "
                       f"{', '.join(sorted(INITIALIZERS))}")
    return n_in, n_out, activation, act_params, init


def _check_array(arrays, name: str, shape: tuple, dtype, what: str) -> np.ndarray:
    """Member ``name``, read only after its declared shape and dtype match; finite."""
    declared_shape, declared_dtype = arrays.box.declared(name)
    if declared_shape != shape:
        raise _Refusal(f"array {name!r} has shape {declared_shape}, but {what} gives {shape}")
    if declared_dtype != dtype:
        raise _Refusal(f"array {name!r} has dtype {declared_dtype}, expected {dtype}")
    array = arrays.box.read(name, dtypes=(np.dtype(dtype).name,))
    if not np.isfinite(array).all():
        raise _Refusal(f"array {name!r} holds non-finite values")
    return array
