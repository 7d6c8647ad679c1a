"""Save and load models: one ``.npz`` of plain numeric arrays and a JSON header, never pickle.

.. code-block:: python

    bn.io.save(net, "model.npz")          # a Network or a fitted BCDRegressor
    net = bn.io.load("model.npz")         # predicts bit for bit like the saved one

A file is an uncompressed NumPy ``.npz`` archive.  Its arrays are float arrays (``params``,
``scales`` and, for an estimator, ``x_mean``, ``x_scale``, ``y_mean``, ``y_scale`` and
``linear_coef``) and ``header``: UTF-8 JSON stored as a ``uint8`` array, which describes them::

    {"format": "bcdnet-model", "format_version": 1, "bcdnet_version": "0.1.0",
     "kind": "network" | "bcd_regressor", "dtype": "float64", "sizes": [4, 10, 1],
     "layers": [{"type": "Dense", "n_in": 4, "n_out": 10, "activation": "leaky_relu",
                 "activation_params": {"negative_slope": 0.01}, "init": "he"}, ...],
     "loss": "MSE", "estimator": {...}}

Loading trusts nothing in the file.  It is read with ``allow_pickle=False``; layers are
rebuilt only from registered activation names (:data:`bcdnet.activations.ACTIVATIONS`) and
known initialisers; every array must have exactly the dtype and shape that the header's
architecture implies, and be finite.  Anything else (a pickle, a truncated archive, an
unknown ``format_version``, a header that is not JSON or lacks a field, arrays that do not
fit) raises ``ValueError`` naming the file and what is wrong.  Saving is atomic: the file
is written to a temporary file in the same directory, flushed, fsync'ed and renamed over
``path``, so an existing file is replaced whole or not at all.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import numbers
import os
import secrets
import warnings

import numpy as np

from .activations import ACTIVATIONS
from .backend import to_numpy
from .datasets import Standardizer
from ._estimator_params import decode_params, encode_param
from .estimator import BCDRegressor
from .layers import INITIALIZERS, Dense
from .losses import MSE
from .network import Network

__all__ = ["save", "load", "FORMAT", "FORMAT_VERSION"]

FORMAT = "bcdnet-model"
FORMAT_VERSION = 1
"""The version of the file layout written and read here."""

_KINDS = ("network", "bcd_regressor")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


# ---------------------------------------------------------------------- save
def save(obj, path) -> None:
    """Write a Network or a fitted BCDRegressor to ``path`` as an ``.npz`` file, atomically.

    Parameters
    ----------
    obj : Network or BCDRegressor
        A network of :class:`~bcdnet.layers.Dense` layers with registered activations and
        the MSE loss, or a fitted :class:`~bcdnet.estimator.BCDRegressor` over such
        networks (the first as ``params``/``scales``, network ``k`` as ``params_k``/
        ``scales_k``).
    path : str or os.PathLike
        Where to write, used exactly as given (no suffix is added).  An existing file is
        replaced only once the new one is completely on disk.

    Raises
    ------
    TypeError
        If ``obj`` is neither, or holds a layer or loss that the format cannot describe.
    ValueError
        If the estimator is not fitted, a parameter is not finite, or an activation is not
        registered under its name.

    Notes
    -----
    Estimator parameters that JSON cannot hold (an Optimizer instance, a Generator) are not
    stored, with a warning: :func:`load` gives them their defaults; the header keeps their
    ``repr`` under ``"unsaved_params"``.  ``result_`` and ``history_`` are not stored.
    """
    path = _check_path(path)
    if isinstance(obj, BCDRegressor):
        obj._check_fitted()
    elif not isinstance(obj, Network):
        raise TypeError(f"obj must be a Network or a BCDRegressor, got {type(obj).__name__}")
    net = obj if isinstance(obj, Network) else obj.net_
    import bcdnet  # here, not at the top: bcdnet/__init__ may import this module

    header = {"format": FORMAT, "format_version": FORMAT_VERSION,
              "bcdnet_version": str(getattr(bcdnet, "__version__", "unknown")),
              "kind": "network" if obj is net else "bcd_regressor", **_describe_network(net)}
    arrays = {"params": to_numpy(net.params), "scales": to_numpy(net.scales)}   # host copies
    if obj is not net:
        header["estimator"] = _describe_estimator(obj, arrays)
        for k, other in enumerate(obj.networks_[1:], start=1):
            if _describe_network(other) != _describe_network(net):
                raise ValueError(f"cannot save: network {k} of the estimator differs in "
                                 f"architecture from network 0")
            arrays.update({f"params_{k}": to_numpy(other.params),
                           f"scales_{k}": to_numpy(other.scales)})
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise ValueError(f"cannot save: {name} holds non-finite values (NaN or inf)")
    text = json.dumps(header, allow_nan=False)
    arrays["header"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    _write_atomically(path, arrays)


def _check_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise TypeError(f"path must be a str or an os.PathLike, got {type(path).__name__}")
    if not os.fspath(path):
        raise ValueError("path must not be empty")
    return os.fspath(path)


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


def _describe_estimator(est: BCDRegressor, arrays: dict) -> dict:
    """The header's ``estimator`` section; the scalers and linear part go into ``arrays``."""
    params, unsaved = {}, {}
    for name, value in est.get_params(deep=False).items():
        try:
            params[name] = encode_param(value)      # every type round-trips (decode_param)
        except TypeError:
            unsaved[name] = repr(value)
    if unsaved:
        warnings.warn(f"BCDRegressor parameters {sorted(unsaved)} cannot be stored as JSON; "
                      f"load gives them their default values", UserWarning, stacklevel=3)
    arrays.update(x_mean=est.x_scaler_.mean_, x_scale=est.x_scaler_.scale_,
                  y_mean=est.y_scaler_.mean_, y_scale=est.y_scaler_.scale_)
    if est.linear_coef_ is not None:
        arrays["linear_coef"] = est.linear_coef_
    return {"class": "BCDRegressor", "params": params,
            "tuple_params": [k for k, v in est.get_params(False).items() if isinstance(v, tuple)],
            "unsaved_params": unsaved, "n_features_in": int(est.n_features_in_),
            "n_outputs": int(est.n_outputs_), "y_1d": bool(est._y_1d),
            "linear": est.linear_coef_ is not None, "n_networks": len(est.networks_),
            "stop_reason": str(getattr(est, "stop_reason_", "")),
            "n_iter": int(getattr(est, "n_iter_", 0)), "feature_names": (
                None if getattr(est, "feature_names_in_", None) is None
                else [str(name) for name in est.feature_names_in_])}


def _write_atomically(path: str, arrays: dict) -> None:
    """Write ``arrays`` to a temporary file next to ``path``, fsync it, then rename it."""
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 minus the umask
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX directories)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------- load
class _Refusal(ValueError):
    """What is wrong with a file; :func:`load` re-raises it as a ValueError naming the file."""


def load(path):
    """Read a model written by :func:`save`; nothing in the file is unpickled or executed.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Network or BCDRegressor
        Whichever was saved.  A network predicts bit for bit like the saved one; an
        estimator has the same constructor parameters, scalers and linear part.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    TypeError
        If ``path`` is not a path.
    ValueError
        If the file is not a complete bcdnet model: a pickle, an archive holding an object
        array, a truncated or corrupt archive, an unknown ``format_version``, a header that
        is not JSON or lacks a field, an unregistered activation, or arrays whose dtype,
        shape or values do not fit the declared architecture.  The message names the file.
    """
    path = _check_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no bcdnet model file at {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory, not a bcdnet model file")
    try:
        with open(path, "rb") as fh, _open_npz(fh) as archive:
            header, arrays = _read_archive(archive)
        return _build(header, arrays)
    except _Refusal as exc:
        raise ValueError(f"cannot load {path}: {exc}") from exc.__cause__


def _open_npz(fh):
    """The archive in ``fh``, after checking that it starts like a zip file."""
    head = fh.read(4)
    if head not in _ZIP_MAGIC:
        what = ("is empty" if not head else "is a Python pickle; bcdnet never unpickles files"
                if head[:1] == b"\x80" else f"is not an .npz archive (it starts {head!r})")
        raise _Refusal(f"the file {what}")
    fh.seek(0)
    try:
        return np.load(fh, allow_pickle=False)
    except Exception as exc:  # BadZipFile, EOFError, NotImplementedError, struct.error, ...
        raise _Refusal(f"the file is truncated or is not a complete .npz archive "
                       f"({type(exc).__name__}: {exc})") from exc


def _read_archive(archive) -> tuple[dict, dict]:
    """The parsed header and the arrays, each checked to be a plain numeric array."""
    arrays = {}
    for name in archive.files:
        try:
            value = archive[name]
        except Exception as exc:  # an object array, a truncated member, a bad CRC, ...
            what = ("is a pickled object array; bcdnet never unpickles files"
                    if "allow_pickle" in str(exc) else "is truncated or corrupt")
            raise _Refusal(f"array {name!r} {what} ({type(exc).__name__}: {exc})") from exc
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiubU":
            raise _Refusal(f"member {name!r} is not an array of numbers")
        arrays[name] = value
    if "header" not in arrays:
        raise _Refusal(f"it has no 'header', so it is not a bcdnet model (arrays: "
                       f"{sorted(arrays)})")
    return _parse_header(arrays.pop("header")), arrays


def _parse_header(array: np.ndarray) -> dict:
    if array.dtype == np.uint8 and array.ndim == 1:
        raw = array.tobytes()
    elif array.dtype.kind == "U" and array.ndim == 0:
        raw = str(array[()]).encode("utf-8")
    else:
        raise _Refusal(f"its header must be a 1-D uint8 array of UTF-8 JSON, got dtype "
                       f"{array.dtype} and shape {array.shape}")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, 5000-digit ints
        raise _Refusal(f"its header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _Refusal(f"its header is not a JSON object with format {FORMAT!r}")
    version = _field(header, "format_version", int, "header")
    if version != FORMAT_VERSION:
        raise _Refusal(f"format_version {version} is not supported; this bcdnet reads "
                       f"format_version {FORMAT_VERSION}")
    return header


def _field(record, key: str, kind: type, where: str):
    """``record[key]`` after checking its JSON type (a bool never passes for an int)."""
    if not isinstance(record, dict) or key not in record:
        raise _Refusal(f"{where} lacks the field {key!r}")
    value = record[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _Refusal(f"{where} field {key!r} must be a {kind.__name__}, got {value!r:.80}")
    return value


def _build(header: dict, arrays: dict):
    kind = _field(header, "kind", str, "header")
    if kind not in _KINDS:
        raise _Refusal(f"unknown kind {kind!r}; valid kinds are {', '.join(_KINDS)}")
    expected, n_networks = {"params", "scales"}, 1
    if kind == "bcd_regressor":
        record = _field(header, "estimator", dict, "header")
        n_networks = record.get("n_networks", 1)      # absent in files of bcdnet 0.1
        if type(n_networks) is not int or not 1 <= n_networks <= len(arrays):
            raise _Refusal(f"estimator field 'n_networks' must be a positive int no larger "
                           f"than the number of arrays, got {n_networks!r:.40}")
        expected |= {"x_mean", "x_scale", "y_mean", "y_scale"}
        expected |= {f"{name}_{k}" for k in range(1, n_networks) for name in ("params", "scales")}
        if _field(record, "linear", bool, "estimator"):
            expected.add("linear_coef")
    if set(arrays) != expected:
        raise _Refusal(f"it holds the arrays {sorted(arrays)}; a {kind} file holds "
                       f"{sorted(expected)}")
    nets = [_build_network(header, arrays, suffix=f"_{k}" if k else "")
            for k in range(n_networks)]
    return nets[0] if kind == "network" else _build_estimator(header["estimator"], nets, arrays)


def _build_network(header: dict, arrays: dict, suffix: str = "") -> Network:
    """The network the header describes, with the arrays ``params<suffix>``/``scales<suffix>``."""
    name = _field(header, "dtype", str, "header")
    try:
        dtype = np.dtype(name)
    except (TypeError, ValueError) as exc:
        raise _Refusal(f"unknown dtype {name!r}") from exc
    if dtype.kind != "f" or dtype.name != name:
        raise _Refusal(f"dtype must name a floating type such as 'float64', got {name!r}")
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
    _check_array(arrays, "params" + suffix, (n_params,), dtype,
                 "the architecture's parameter count")
    _check_array(arrays, "scales" + suffix, (sum(spec[1] for spec in specs),), dtype,
                 "the architecture's neuron count")
    layers = []
    for i, (n_in, n_out, activation, act_params, init) in enumerate(specs):
        try:
            layers.append(Dense(n_in, n_out, ACTIVATIONS[activation](**act_params), init))
        except (TypeError, ValueError) as exc:
            raise _Refusal(f"layers[{i}] cannot be rebuilt: {exc}") from exc
    net = Network(layers, dtype=dtype)
    net.params, net.scales = arrays["params" + suffix], arrays["scales" + suffix]
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


def _check_array(arrays: dict, name: str, shape: tuple, dtype, what: str) -> np.ndarray:
    array = arrays[name]
    if array.shape != shape:
        raise _Refusal(f"array {name!r} has shape {array.shape}, but {what} gives {shape}")
    if array.dtype != dtype:
        raise _Refusal(f"array {name!r} has dtype {array.dtype}, expected {dtype}")
    if not np.isfinite(array).all():
        raise _Refusal(f"array {name!r} holds non-finite values")
    return array


def _build_estimator(record: dict, nets: list, arrays: dict) -> BCDRegressor:
    where = "estimator"
    if _field(record, "class", str, where) != "BCDRegressor":
        raise _Refusal(f"unknown estimator class {record['class']!r}")
    params = dict(_field(record, "params", dict, where))
    for name in _field(record, "tuple_params", list, where):
        if isinstance(name, str) and isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    try:    # the parameters are checked exactly as fit checks them
        est = BCDRegressor().set_params(**decode_params(params))
        est._checked_params()
    except (TypeError, ValueError) as exc:
        raise _Refusal(str(exc)) from exc
    n_in, n_out = _field(record, "n_features_in", int, where), _field(record, "n_outputs",
                                                                      int, where)
    net = nets[0]
    if (n_in, n_out) != (net.n_inputs, net.n_outputs):
        raise _Refusal(f"{where} declares {n_in} features and {n_out} outputs, but the network "
                       f"has {net.n_inputs} inputs and {net.n_outputs} outputs")
    est.x_scaler_, est.y_scaler_ = _scaler(arrays, "x", n_in), _scaler(arrays, "y", n_out)
    est.linear_coef_ = None
    if record["linear"]:
        est.linear_coef_ = _check_array(arrays, "linear_coef", (n_in + 1, n_out), np.float64,
                                        "(n_features_in + 1, n_outputs)")
    est.networks_, est.net_ = nets, nets[0]
    est.n_features_in_, est.n_outputs_ = n_in, n_out
    est._y_1d = _field(record, "y_1d", bool, where)
    est.stop_reason_ = _field(record, "stop_reason", str, where)
    est.n_iter_ = _field(record, "n_iter", int, where) if "n_iter" in record else 0   # older
    if record.get("feature_names") is not None:
        names = [str(c) for c in _field(record, "feature_names", list, where)]
        if len(names) != n_in:
            raise _Refusal(f"{where} names {len(names)} features, but declares {n_in}")
        est.feature_names_in_ = np.asarray(names, dtype=object)
    return est


def _scaler(arrays: dict, prefix: str, n: int) -> Standardizer:
    """A fitted Standardizer from the arrays ``<prefix>_mean`` and ``<prefix>_scale``."""
    scaler, what = Standardizer(), "n_features_in" if prefix == "x" else "n_outputs"
    scaler.mean_ = _check_array(arrays, f"{prefix}_mean", (n,), np.float64, what)
    scaler.scale_ = _check_array(arrays, f"{prefix}_scale", (n,), np.float64, what)
    if not (scaler.scale_ > 0).all():
        raise _Refusal(f"array '{prefix}_scale' must be positive")
    scaler.n_features_in_ = n
    return scaler
