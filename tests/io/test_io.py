"""bcdnet.io: bit-exact round trips, what save refuses, and atomic writes under failures.

Round trips run over hypothesis-drawn architectures: 1-4 Dense layers of width 1-6, each
with its own activation (LeakyReLU with a drawn slope), initialiser, float32 or float64,
random parameters and scales.  The refusal of bad files is in test_io_refusals.py.
"""

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bcdnet as bn
from bcdnet import io as bio
from bcdnet.activations import ACTIVATIONS, Activation, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from bcdnet.layers import INITIALIZERS, Dense
from io_helpers import read_file, regression_data

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

BUILTIN_ACTIVATIONS = [cls.name for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("io")


@st.composite
def networks(draw):
    """A network of 1-4 Dense layers with per-layer activations, inits and a dtype."""
    n_layers = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 6), min_size=n_layers + 1, max_size=n_layers + 1))
    layers = []
    for i in range(n_layers):
        name = draw(st.sampled_from(BUILTIN_ACTIVATIONS))
        activation = (LeakyReLU(draw(st.floats(0.0, 3.0))) if name == "leaky_relu" else name)
        init = draw(st.none() | st.sampled_from(sorted(INITIALIZERS)))
        layers.append(Dense(sizes[i], sizes[i + 1], activation, init=init))
    net = bn.Network(layers, dtype=draw(st.sampled_from([np.float32, np.float64])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    net.params = rng.normal(scale=draw(st.sampled_from([1e-3, 1.0, 30.0])), size=net.n_params)
    net.scales = rng.uniform(-2.0, 2.0, net.scales.size)
    X = rng.normal(scale=3.0, size=(draw(st.integers(1, 30)), sizes[0]))
    return net, X


def assert_same_network(net, loaded, X):
    assert type(loaded) is bn.Network
    assert loaded.sizes == net.sizes and loaded.dtype == net.dtype
    for a, b in zip(net.layers, loaded.layers):
        assert type(b) is Dense and b.activation == a.activation and b.init == a.init
    assert loaded.params.dtype == net.params.dtype
    assert np.array_equal(loaded.params, net.params), "params differ"
    assert np.array_equal(loaded.scales, net.scales), "scales differ"
    expected, actual = net.predict(X), loaded.predict(X)
    assert np.array_equal(actual, expected, equal_nan=True), (
        f"predictions differ: max |diff| {np.max(np.abs(actual - expected))}")


# ---------------------------------------------------------------------- round trips
@settings(max_examples=60, deadline=None)
@given(case=networks(), as_path=st.booleans())
def test_network_round_trip_is_bit_exact(folder, case, as_path):
    net, X = case
    path = folder / "net.npz"
    bio.save(net, path if as_path else str(path))
    assert_same_network(net, bio.load(str(path) if as_path else path), X)
    assert sorted(os.listdir(folder)) == ["net.npz"], "a temporary file was left behind"


@pytest.mark.parametrize("activation", BUILTIN_ACTIVATIONS + ["linear"])
def test_every_builtin_activation_round_trips(tmp_path, activation):
    net = bn.Network.mlp([3, 5, 5, 2], activation=activation, output_activation=activation,
                         seed=4)
    bio.save(net, tmp_path / "m.npz")
    assert_same_network(net, bio.load(tmp_path / "m.npz"), np.linspace(-4, 4, 30).reshape(10, 3))


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.3, 1.0, 2.5])
def test_leaky_relu_slope_is_kept(tmp_path, slope):
    net = bn.Network([Dense(2, 3, LeakyReLU(slope)), Dense(3, 1, "identity")])
    net.initialize(1)
    bio.save(net, tmp_path / "m.npz")
    header = read_file(tmp_path / "m.npz")[0]
    assert header["layers"][0]["activation_params"] == {"negative_slope": slope}
    loaded = bio.load(tmp_path / "m.npz")
    assert loaded.layers[0].activation.negative_slope == slope
    assert_same_network(net, loaded, np.linspace(-3, 3, 20).reshape(10, 2))


def test_mlp_round_trip_and_header_fields(tmp_path):
    net = bn.Network.mlp([4, 10, 10, 1], activation="tanh", seed=3)
    bio.save(net, tmp_path / "m.npz")
    header, arrays = read_file(tmp_path / "m.npz")
    assert header["format"] == "bcdnet-model" and header["format_version"] == 1
    assert header["bcdnet_version"] == bn.__version__
    assert (header["kind"], header["dtype"], header["sizes"], header["loss"]) == (
        "network", "float64", [4, 10, 10, 1], "MSE")
    assert header["layers"][0] == {"type": "Dense", "n_in": 4, "n_out": 10, "init": "glorot",
                                   "activation": "tanh", "activation_params": {}}
    assert sorted(arrays) == ["params", "scales"]
    assert all(a.dtype == np.float64 for a in arrays.values())
    assert_same_network(net, bio.load(tmp_path / "m.npz"), np.ones((3, 4)))


class ScaledTanh(Activation):
    """A registered test activation with a constructor parameter."""

    name = "scaled_tanh"

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def f(self, z, out=None):
        return np.multiply(np.tanh(z, out=out), self.gain, out=out)

    def df(self, z, h=None, out=None):
        return np.multiply(1.0 - np.tanh(z) ** 2, self.gain, out=out)

    def d2f(self, z, h=None, out=None, d1=None):
        t = np.tanh(z)
        return np.multiply(-2.0 * t * (1.0 - t ** 2), self.gain, out=out)


def test_registered_custom_activation_round_trips(tmp_path, monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "scaled_tanh", ScaledTanh)
    net = bn.Network([Dense(3, 2, ScaledTanh(2.5)), Dense(2, 1, "identity")])
    net.initialize(0)
    bio.save(net, tmp_path / "m.npz")
    loaded = bio.load(tmp_path / "m.npz")
    assert loaded.layers[0].activation == ScaledTanh(2.5)
    assert np.array_equal(loaded.predict(np.eye(3)), net.predict(np.eye(3)))


@pytest.mark.parametrize("n_out, linear_skip, hidden, n_networks", [
    (1, True, (5, 3), 2), (1, False, (4,), 1), (2, True, [6], 3), (2, False, (3, 3), 2)])
def test_estimator_round_trip(tmp_path, n_out, linear_skip, hidden, n_networks):
    X, y = regression_data(n_out=n_out)
    est = bn.BCDRegressor(hidden=hidden, max_iter=4, inner_max_iter=5, linear_skip=linear_skip,
                          n_networks=n_networks, random_state=2, progress=False).fit(X, y)
    bio.save(est, tmp_path / "est.npz")
    loaded = bio.load(tmp_path / "est.npz")
    assert type(loaded) is bn.BCDRegressor
    assert loaded.get_params() == est.get_params()
    assert type(loaded.get_params()["hidden"]) is type(hidden)
    X_new = regression_data(n=30, n_out=n_out, seed=1)[0]
    assert loaded.predict(X_new).shape == est.predict(X_new).shape
    assert np.array_equal(loaded.predict(X_new), est.predict(X_new))
    assert loaded.score(X, y) == est.score(X, y)
    for name in ("x_scaler_", "y_scaler_"):
        a, b = getattr(est, name), getattr(loaded, name)
        assert np.array_equal(a.mean_, b.mean_) and np.array_equal(a.scale_, b.scale_)
    assert (loaded.linear_coef_ is None) == (not linear_skip)
    if linear_skip:
        assert np.array_equal(loaded.linear_coef_, est.linear_coef_)
    assert (loaded.n_features_in_, loaded.n_outputs_) == (3, n_out)
    assert loaded.stop_reason_ == est.stop_reason_
    assert len(loaded.networks_) == n_networks
    for ours, theirs in zip(est.networks_, loaded.networks_):
        assert_same_network(ours, theirs, X_new / 100)


def test_an_estimator_file_missing_one_of_its_networks_is_refused(tmp_path):
    X, y = regression_data()
    est = bn.BCDRegressor(hidden=(3,), max_iter=2, inner_max_iter=2, progress=False).fit(X, y)
    bio.save(est, tmp_path / "est.npz")
    with np.load(tmp_path / "est.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "params_1"}
    np.savez(tmp_path / "cut.npz", **arrays)
    with pytest.raises(ValueError, match="params_1"):
        bio.load(tmp_path / "cut.npz")


def test_estimator_parameters_json_cannot_hold_fall_back_to_defaults(tmp_path):
    X, y = regression_data()
    unregistered = type("MyAdam", (bn.optim.Adam,), {})()    # registered ones round-trip
    est = bn.BCDRegressor(hidden=(3,), optimizer=unregistered, max_iter=2,
                          random_state=np.random.default_rng(0), progress=False).fit(X, y)
    with pytest.warns(UserWarning, match=r"\['optimizer'\].*default"):
        bio.save(est, tmp_path / "est.npz")
    header = read_file(tmp_path / "est.npz")[0]
    assert set(header["estimator"]["unsaved_params"]) == {"optimizer"}
    loaded = bio.load(tmp_path / "est.npz")
    assert loaded.optimizer == "lbfgs"
    assert np.array_equal(loaded.predict(X), est.predict(X))


# ---------------------------------------------------------------------- paths and objects
def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here.npz"):
        bio.load(tmp_path / "nothing-here.npz")
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        bio.load(tmp_path)


@pytest.mark.parametrize("path", [None, 3, b"model.npz", ["m.npz"]])
def test_path_of_wrong_type(path):
    net = bn.Network.mlp([2, 1])
    with pytest.raises(TypeError, match="path must be a str or an os.PathLike"):
        bio.save(net, path)
    with pytest.raises(TypeError, match="path must be a str or an os.PathLike"):
        bio.load(path)


@pytest.mark.parametrize("obj", [None, {"params": [1.0]}, "net", np.zeros(3), Dense(2, 2)])
def test_save_refuses_objects_of_other_types(tmp_path, obj):
    with pytest.raises(TypeError, match="obj must be a Network or a BCDRegressor"):
        bio.save(obj, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_save_refuses_what_load_could_not_rebuild(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        bio.save(bn.BCDRegressor(), tmp_path / "x.npz")
    unregistered = type("Unregistered", (Tanh,), {"name": "unregistered"})
    with pytest.raises(ValueError, match="not registered under its name 'unregistered'"):
        bio.save(bn.Network([Dense(2, 1, unregistered())]), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="loss"):
        bio.save(bn.Network([Dense(2, 1)], loss=type("L1", (bn.MSE,), {})()), tmp_path / "x")
    net = bn.Network.mlp([2, 1])
    net.params[0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        bio.save(net, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


# ---------------------------------------------------------------------- atomic writes
@pytest.fixture
def existing(tmp_path):
    """A folder holding one saved model ``old.npz``: ``(path, its bytes, the network)``."""
    net = bn.Network.mlp([3, 5, 1], seed=7)
    path = tmp_path / "old.npz"
    bio.save(net, path)
    return path, path.read_bytes(), net


def failing(exc, half_write=False):
    """A stand-in that raises ``exc``, after writing half an archive if ``half_write``."""
    def fail(*args, **kwargs):
        if half_write:
            args[0].write(b"PK\x03\x04 half a model")
        raise exc
    return fail


@pytest.mark.parametrize("target, replacement", [
    ("numpy.savez", failing(OSError(28, "No space left on device"), half_write=True)),
    ("numpy.savez", failing(KeyboardInterrupt(), half_write=True)),
    ("os.fsync", failing(OSError(5, "Input/output error"))),
    ("os.replace", failing(PermissionError(13, "Permission denied"))),
])
def test_failed_save_leaves_the_old_file_and_no_temporary(existing, monkeypatch, target,
                                                          replacement):
    path, old_bytes, old_net = existing
    monkeypatch.setattr(target, replacement)
    with pytest.raises((OSError, KeyboardInterrupt)):
        bio.save(bn.Network.mlp([3, 2, 1], seed=1), path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes, "the old file was changed"
    assert os.listdir(path.parent) == ["old.npz"], "a temporary file was left behind"
    assert np.array_equal(bio.load(path).params, old_net.params)


def test_successful_save_replaces_the_file_whole(existing, monkeypatch):
    path, old_bytes, _ = existing
    new, renames, real_replace = bn.Network.mlp([3, 2, 1], seed=1), [], os.replace

    def spy(src, dst):
        renames.append((Path(src), Path(dst)))
        assert Path(src).read_bytes()[:4] == b"PK\x03\x04" and path.read_bytes() == old_bytes
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    bio.save(new, path)
    monkeypatch.undo()
    [(src, dst)] = renames
    assert src.parent == path.parent and src != path and dst.resolve() == path.resolve()
    assert path.read_bytes() != old_bytes and os.listdir(path.parent) == ["old.npz"]
    assert np.array_equal(bio.load(path).params, new.params)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        bio.save(bn.Network.mlp([2, 1]), tmp_path / "no" / "such" / "m.npz")
    assert not os.listdir(tmp_path)


def test_save_onto_a_directory_fails_cleanly(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(OSError):
        bio.save(bn.Network.mlp([2, 1]), tmp_path / "d.npz")
    assert os.listdir(tmp_path) == ["d.npz"] and (tmp_path / "d.npz").is_dir()
