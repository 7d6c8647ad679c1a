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

Loading trusts nothing in the file and is bounded (:mod:`bcdnet._container`): only a
regular file, only uncompressed members, each once, only the members the header's kind
implies, each checked against the architecture by its ``.npy`` header before a byte of its
data is read, so memory stays within a small multiple of the legitimate model's size
whatever the file claims.  Nothing is unpickled; layers are rebuilt only from registered
activation names (:data:`bcdnet.activations.ACTIVATIONS`) and known initialisers; arrays
must be float32 or float64 with exactly the shape the architecture implies, finite, and
give finite outputs for inputs of unit scale.  Anything else (a pickle, a truncated or
compressed archive, a FIFO, an unknown ``format_version``, a header that is not JSON or
lacks a field, arrays that do not fit) raises ``ValueError`` naming the file and what is
wrong.  Saving is atomic (:func:`bcdnet._atomic.atomic_write`): an existing file is
replaced whole or not at all, and keeps its permissions.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

from . import _container
from ._container import Refusal as _Refusal
from ._network_file import (_build_network, _check_array, _check_outputs, _describe_network,
                            _field, _to_json)
from ._version import __version__
from .backend import to_numpy
from .datasets import Standardizer
from ._estimator_params import decode_params, encode_param
from .estimator import BCDRegressor
from .network import Network

__all__ = ["save", "load", "read_header", "FORMAT", "FORMAT_VERSION"]

FORMAT = "bcdnet-model"
FORMAT_VERSION = 1
"""The version of the file layout written and read here."""

_KINDS = ("network", "bcd_regressor")


# ---------------------------------------------------------------------- save
def save(obj, path, *, columns=None) -> None:
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
        replaced only once the new one is completely on disk, and keeps its permissions.
    columns : dict, optional
        ``{"features": [...], "targets": [...]}``: the names of the inputs and outputs,
        stored in the header (as ``bcdnet train`` does) and read back by
        :func:`read_header`.

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
    header = {"bcdnet_version": __version__,
              "kind": "network" if obj is net else "bcd_regressor", **_describe_network(net)}
    if columns is not None:
        header["columns"] = _check_columns(columns, net)
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
    _container.write(path, FORMAT, FORMAT_VERSION, header, arrays)


def _check_columns(columns, net: Network) -> dict:
    """``columns`` as ``{"features": [str], "targets": [str]}`` fitting ``net``'s sizes."""
    if not isinstance(columns, dict) or set(columns) != {"features", "targets"}:
        raise TypeError("columns must be a dict with the keys 'features' and 'targets'")
    out = {}
    for key, n in (("features", net.n_inputs), ("targets", net.n_outputs)):
        if not isinstance(columns[key], (list, tuple)):
            raise TypeError(f"columns[{key!r}] must be a list of strings")
        names = list(columns[key])
        if len(names) != n or not all(isinstance(c, str) for c in names):
            raise ValueError(f"columns[{key!r}] must be {n} strings, got {names!r:.80}")
        out[key] = names
    return out


def _check_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise TypeError(f"path must be a str or an os.PathLike, got {type(path).__name__}")
    if not os.fspath(path):
        raise ValueError("path must not be empty")
    return os.fspath(path)


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


# ---------------------------------------------------------------------- load
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
        If the file is not a complete bcdnet model: not a regular file, a pickle, an
        archive holding an object array or a compressed or repeated member, a truncated or
        corrupt archive, an unknown ``format_version``, a header that is not JSON or lacks
        a field, an unregistered activation, arrays whose dtype (float32 or float64 only),
        shape or values do not fit the declared architecture, or weights whose outputs are
        not finite for inputs of unit scale.  The message names the file.
    """
    with _open(path) as (box, path):
        return _build(box.header, _Members(box))


def read_header(path) -> dict:
    """The checked JSON header of a model file (its ``columns`` among others), no arrays read.

    Raises as :func:`load` does for a file that is not a bcdnet model.
    """
    with _open(path) as (box, _):
        return box.header


class _open:
    """``with _open(path) as (container, path)``: every Refusal re-raised naming the file."""

    def __init__(self, path):
        self.path = _check_path(path)
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"{self.path} is a directory, not a bcdnet model file")
        self.box = None

    def __enter__(self):
        try:
            self.box = _container.Container(self.path, FORMAT, FORMAT_VERSION)
        except FileNotFoundError:
            raise FileNotFoundError(f"no bcdnet model file at {self.path}") from None
        except _Refusal as exc:
            raise ValueError(f"cannot load {self.path}: {exc}") from exc.__cause__
        return self.box, self.path

    def __exit__(self, kind, exc, tb):
        self.box.close()
        if isinstance(exc, _Refusal):
            raise ValueError(f"cannot load {self.path}: {exc}") from exc.__cause__
        return False


class _Members:
    """The container's arrays, each read only when :func:`_check_array` asks for it."""

    def __init__(self, box):
        self.box = box

    def __iter__(self):
        return iter(name for name in self.box.names if name != "header")

    def __len__(self):
        return len(self.box.names) - 1


def _build(header: dict, arrays: _Members):
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
    arrays.box.expect_members(expected, f"a {kind} file holds")
    nets = [_build_network(header, arrays, suffix=f"_{k}" if k else "")
            for k in range(n_networks)]
    if "columns" in header:
        try:
            _check_columns(header["columns"], nets[0])
        except (TypeError, ValueError) as exc:
            raise _Refusal(f"header field 'columns' is malformed: {exc}") from exc
    if kind == "network":
        _check_outputs(nets, nets[0].predict)
        return nets[0]
    est = _build_estimator(header["estimator"], nets, arrays)
    _check_outputs(nets, lambda Z: est.predict(_inputs_in_units(est, Z)))
    return est


def _inputs_in_units(est: BCDRegressor, Z):
    """Standardised inputs ``Z`` in the units of X, as a DataFrame where fit saw one."""
    X = est.x_scaler_.mean_ + est.x_scaler_.scale_ * Z
    names = getattr(est, "feature_names_in_", None)
    return X if names is None else pd.DataFrame(X, columns=names)


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
