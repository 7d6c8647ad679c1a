"""Estimator files: every parameter type round-trips through bn.save/bn.load, and loading
checks the parameters exactly as fit does (a ValueError naming the file and parameter)."""

import json

import numpy as np
import pytest

import bcdnet as bn
from bcdnet._estimator_params import check_params, decode_param, encode_param


def fitted(**params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    params = {"max_iter": 2, "inner_max_iter": 3, **params}
    return bn.BCDRegressor(**params).fit(X, X @ [1.0, 2.0, 3.0])


def header_and_arrays(path):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    return json.loads(arrays.pop("header").tobytes().decode()), arrays


def rewrite(path, header, arrays):
    np.savez(path, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **arrays)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, (bn.optim.Optimizer, bn.selection.Selector)):
        return type(a) is type(b) and a.get_params() == b.get_params()
    if isinstance(a, np.random.Generator):
        return a.bit_generator.state == b.bit_generator.state
    if isinstance(a, np.random.RandomState):
        return same(*(g.get_state(legacy=False)["state"]["key"] for g in (a, b)))
    if isinstance(a, tuple):
        return type(b) is tuple and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name, value", [
    ("hidden", np.array([5, 5])), ("hidden", [4, 3]), ("hidden", (6,)),
    ("hidden", np.array([2], dtype=np.int32)), ("hidden", (np.int32(3), 2)),
    ("optimizer", bn.optim.LBFGS(history_size=7)), ("optimizer", bn.optim.Adam(lr=0.02)),
    ("selector", bn.selection.Bisection(explore=0.3)), ("selector", "random"),
    ("activation", bn.activations.LeakyReLU(0.2)), ("init", "he"),
    ("random_state", np.random.default_rng(4)), ("random_state", np.random.RandomState(4)),
    ("random_state", None), ("random_state", np.int64(3)), ("validation_fraction", 0.15),
    ("tol", np.float32(1e-6)), ("batch_shell", np.bool_(False)),
    ("tol", 0.0), ("progress", False), ("inner_max_iter", None)])
def test_every_parameter_type_round_trips(tmp_path, name, value):
    assert same(value, decode_param(json.loads(json.dumps(encode_param(value)))))
    est = fitted(**{name: value})
    bn.save(est, tmp_path / "est.npz")
    loaded = bn.load(tmp_path / "est.npz")
    original = value if name != "random_state" or value is None else est.random_state
    assert same(original, loaded.get_params()[name]), (value, loaded.get_params()[name])
    X = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert loaded.n_iter_ == est.n_iter_


def test_loaded_array_hidden_reports_the_networks_it_holds(tmp_path):
    est = fitted(hidden=np.array([5, 5]))
    bn.save(est, tmp_path / "est.npz")
    loaded = bn.load(tmp_path / "est.npz")
    assert list(loaded.hidden) == [5, 5] and loaded.net_.sizes == [3, 5, 5, 1]


def test_feature_names_survive_a_file(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    est = bn.BCDRegressor(hidden=(2,), max_iter=2).fit(frame, frame["a"] - frame["b"])
    bn.save(est, tmp_path / "est.npz")
    loaded = bn.load(tmp_path / "est.npz")
    assert list(loaded.feature_names_in_) == ["a", "b"]
    with pytest.raises(ValueError, match="same order"):
        loaded.predict(frame[["b", "a"]])


@pytest.mark.parametrize("name, value, match", [
    ("hidden", "zzz", "hidden must be a sequence"), ("max_iter", -5, "max_iter must be at least 1"),
    ("hidden", {"type": "tuple", "items": [3, -1]}, r"hidden\[1\] must be at least 1"),
    ("validation_fraction", 1.5, "validation_fraction must lie in"),
    ("optimizer", {"type": "optimizer", "name": "lbfgs", "params": {"history_size": 0}},
     "history_size"),
    ("optimizer", {"type": "optimizer", "name": "os.system", "params": {}}, "unknown optimizer"),
    ("random_state", {"type": "generator", "state": {"bit_generator": "Evil"}},
     "unknown bit generator"),
    ("hidden", {"type": "ndarray", "dtype": "<U3", "shape": [1], "items": ["a"]}, "numeric"),
    ("hidden", {"type": "lambda"}, "unknown parameter encoding")])
def test_an_estimator_file_with_invalid_parameters_is_refused(tmp_path, name, value, match):
    path = tmp_path / "est.npz"
    bn.save(fitted(), path)
    header, arrays = header_and_arrays(path)
    header["estimator"]["params"][name] = value
    rewrite(path, header, arrays)
    with pytest.raises(ValueError, match=match) as caught:
        bn.load(path)
    assert str(path) in str(caught.value) and name in str(caught.value)


def test_fit_and_load_share_one_check():
    params = bn.BCDRegressor(hidden=np.array([3, 2]), max_iter=4).get_params(deep=False)
    checked = check_params(params)
    assert checked["hidden"] == (3, 2) and checked["max_iter"] == 4
