"""bcdnet.io: bit-exact round trips, refusal of every bad file (nothing executed), atomic saves.

Round trips run over hypothesis-drawn architectures: 1-4 Dense layers of width 1-6, each
with its own activation (LeakyReLU with a drawn slope), initialiser, float32 or float64,
random parameters and scales.  Each refused file gets a ValueError whose message names the
file and what is wrong; the pickle cases carry a payload that would create a marker file if
it were ever unpickled, and the marker must not exist afterwards.
"""

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bcdnet as bn
from bcdnet import io as bio
from bcdnet.activations import ACTIVATIONS, Activation, Identity, LeakyReLU, Sigmoid, Tanh, ReLU
from bcdnet.layers import INITIALIZERS, Dense

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


def test_registered_custom_activation_round_trips(tmp_path, monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "scaled_tanh", ScaledTanh)
    net = bn.Network([Dense(3, 2, ScaledTanh(2.5)), Dense(2, 1, "identity")])
    net.initialize(0)
    bio.save(net, tmp_path / "m.npz")
    loaded = bio.load(tmp_path / "m.npz")
    assert loaded.layers[0].activation == ScaledTanh(2.5)
    assert np.array_equal(loaded.predict(np.eye(3)), net.predict(np.eye(3)))


def regression_data(n=80, n_out=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1] * (k + 1) for k in range(n_out)])
    return X, Y[:, 0] if n_out == 1 else Y


@pytest.mark.parametrize("n_out, linear_skip, hidden", [
    (1, True, (5, 3)), (1, False, (4,)), (2, True, [6]), (2, False, (3, 3))])
def test_estimator_round_trip(tmp_path, n_out, linear_skip, hidden):
    X, y = regression_data(n_out=n_out)
    est = bn.BCDRegressor(hidden=hidden, max_iter=4, inner_max_iter=5, linear_skip=linear_skip,
                          random_state=2, progress=False).fit(X, y)
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
    assert_same_network(est.net_, loaded.net_, X_new / 100)


def test_estimator_parameters_json_cannot_hold_fall_back_to_defaults(tmp_path):
    X, y = regression_data()
    est = bn.BCDRegressor(hidden=(3,), optimizer=bn.optim.Adam(), max_iter=2,
                          random_state=np.random.default_rng(0), progress=False).fit(X, y)
    with pytest.warns(UserWarning, match=r"\['optimizer', 'random_state'\].*default"):
        bio.save(est, tmp_path / "est.npz")
    header = read_file(tmp_path / "est.npz")[0]
    assert set(header["estimator"]["unsaved_params"]) == {"optimizer", "random_state"}
    loaded = bio.load(tmp_path / "est.npz")
    assert loaded.optimizer == "lbfgs" and loaded.random_state == 0
    assert np.array_equal(loaded.predict(X), est.predict(X))


# ---------------------------------------------------------------------- crafted files
def read_file(path):
    """The JSON header and the arrays of a saved file (read with allow_pickle=False)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(arrays.pop("header").tobytes()), arrays


def write_file(path, header, arrays, header_array=None):
    """Write an .npz by hand: ``header`` is a dict (dumped to JSON) or raw bytes."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    if header_array is None:
        header_array = np.frombuffer(raw, dtype=np.uint8)
    np.savez(path, header=header_array, **arrays)
    return path


@pytest.fixture
def saved(tmp_path):
    """A valid saved network: ``(path, header, arrays)``."""
    path = tmp_path / "good.npz"
    bio.save(bn.Network.mlp([3, 4, 2], activation="leaky_relu", seed=0), path)
    return (path, *read_file(path))


@pytest.fixture
def saved_estimator(tmp_path):
    X, y = regression_data()
    est = bn.BCDRegressor(hidden=(4,), max_iter=2, progress=False).fit(X, y)
    path = tmp_path / "est.npz"
    bio.save(est, path)
    return (path, *read_file(path))


def refused(path, match):
    """Load ``path``, expecting a ValueError that names the file and matches ``match``."""
    with pytest.raises(ValueError, match=match) as info:
        bio.load(path)
    assert str(path) in str(info.value), f"the message does not name the file: {info.value}"
    return info.value


def test_crafted_copy_of_a_good_file_loads(saved, tmp_path):
    path, header, arrays = saved
    loaded = bio.load(write_file(tmp_path / "copy.npz", header, arrays))
    assert np.array_equal(loaded.params, arrays["params"])


# ---------------------------------------------------------------------- pickles
class MarkerPayload:
    """Unpickling this creates ``marker``: proof that pickled code was executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_payload_really_executes_when_unpickled(tmp_path):
    marker = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(MarkerPayload(marker))).close()
    assert marker.exists(), "the payload would not prove anything"


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_raw_pickle_file_is_refused_unexecuted(tmp_path, protocol):
    marker, path = tmp_path / "marker", tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(MarkerPayload(marker), protocol=protocol))
    refused(path, "pickle" if protocol >= 2 else "not an .npz archive")
    assert not marker.exists(), "the pickle was executed"


@pytest.mark.parametrize("where", ["params", "header", "extra"])
def test_npz_with_object_array_is_refused_unexecuted(saved, tmp_path, where):
    _, header, arrays = saved
    marker = tmp_path / "marker"
    evil = np.array([MarkerPayload(marker)], dtype=object)
    path = tmp_path / "evil.npz"
    if where == "header":
        write_file(path, header, arrays, header_array=evil)
    else:
        write_file(path, header, {**arrays, where: evil})
    refused(path, f"array '{where}' is a pickled object array")
    assert not marker.exists(), "the object array was unpickled"


def test_single_npy_file_is_refused(tmp_path):
    path = tmp_path / "m.npy"
    np.save(path, np.zeros(3))
    refused(path, "not an .npz archive")


# ---------------------------------------------------------------------- truncated, corrupt
def test_every_truncation_is_refused(saved, tmp_path):
    path = saved[0]
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    for n in range(0, len(data), 7):
        cut.write_bytes(data[:n])
        refused(cut, "empty|truncated|not an .npz|not a complete")


def test_flipped_bytes_never_load_silently_wrong(saved, tmp_path):
    path, _, arrays = saved
    data = bytearray(path.read_bytes())
    bad = tmp_path / "flipped.npz"
    for i in range(0, len(data), 3):
        copy = bytearray(data)
        copy[i] ^= 0xFF
        bad.write_bytes(bytes(copy))
        try:
            net = bio.load(bad)
        except ValueError as exc:
            assert str(bad) in str(exc)
        else:  # a flip in unused zip metadata is harmless, but the model must be the same
            assert np.array_equal(net.params, arrays["params"]), f"byte {i} changed the model"


def test_empty_and_foreign_files(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    refused(tmp_path / "empty.npz", "empty")
    (tmp_path / "text.npz").write_text("hello, world")
    refused(tmp_path / "text.npz", "not an .npz archive")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    refused(tmp_path / "plain.npz", "no 'header'")


# ---------------------------------------------------------------------- headers
@pytest.mark.parametrize("version", [0, 2, 99, "1", 1.0, True, None])
def test_unknown_format_version_is_refused(saved, tmp_path, version):
    _, header, arrays = saved
    path = write_file(tmp_path / "v.npz", {**header, "format_version": version}, arrays)
    refused(path, "format_version")


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b"null",
                                 b'{"format": "bcdnet-model"', b"[" * 100_000])
def test_header_that_is_not_a_json_object_is_refused(saved, tmp_path, raw):
    path = write_file(tmp_path / "h.npz", raw, saved[2])
    refused(path, "header")


def test_header_of_wrong_dtype_is_refused(saved, tmp_path):
    _, header, arrays = saved
    path = write_file(tmp_path / "h.npz", header, arrays,
                      header_array=np.frombuffer(json.dumps(header).encode(), np.uint8)
                      .astype(np.float64))
    refused(path, "header must be a 1-D uint8 array")


def test_header_as_unicode_scalar_is_accepted(saved, tmp_path):
    _, header, arrays = saved
    path = write_file(tmp_path / "u.npz", header, arrays,
                      header_array=np.array(json.dumps(header)))
    assert np.array_equal(bio.load(path).params, arrays["params"])


@pytest.mark.parametrize("key", ["format", "format_version", "kind", "dtype", "sizes",
                                 "layers", "loss"])
def test_header_lacking_a_field_is_refused(saved, tmp_path, key):
    _, header, arrays = saved
    del header[key]
    refused(write_file(tmp_path / "f.npz", header, arrays), "lacks|format")


@pytest.mark.parametrize("key", ["type", "n_in", "n_out", "activation", "activation_params",
                                 "init"])
def test_layer_lacking_a_field_is_refused(saved, tmp_path, key):
    _, header, arrays = saved
    del header["layers"][1][key]
    refused(write_file(tmp_path / "f.npz", header, arrays), rf"layers\[1\] lacks the field '{key}'")


@pytest.mark.parametrize("change, match", [
    ({"kind": "optimizer"}, "unknown kind 'optimizer'"),
    ({"dtype": "int64"}, "floating type"),
    ({"dtype": "object"}, "floating type"),
    ({"dtype": "no such dtype"}, "unknown dtype"),
    ({"loss": "MAE"}, "unknown loss 'MAE'"),
    ({"sizes": [3, 4]}, "one entry more than layers"),
    ({"sizes": [3, 5, 2]}, r"layers\[0\] is 3 -> 4"),
    ({"layers": []}, "one entry more than layers"),
    ({"layers": "Dense"}, "must be a list"),
    ({"format": "keras"}, "format 'bcdnet-model'"),
])
def test_inconsistent_header_is_refused(saved, tmp_path, change, match):
    _, header, arrays = saved
    refused(write_file(tmp_path / "c.npz", {**header, **change}, arrays), match)


@pytest.mark.parametrize("change, match", [
    ({"activation": "swish"}, r"unknown activation 'swish'.*leaky_relu.*tanh"),
    ({"activation": "__import__('os')"}, "unknown activation"),
    ({"activation_params": {"negative_slope": -1.0}}, "negative_slope must be non-negative"),
    ({"activation_params": {"negative_slope": "0.1"}}, "negative_slope must be a real number"),
    ({"activation_params": {"slope": 0.1}}, r"do not fit 'leaky_relu'.*negative_slope"),
    ({"activation_params": {"negative_slope": [1]}}, "do not fit"),
    ({"init": "zeros"}, "unknown init 'zeros'"),
    ({"type": "Conv2D"}, "only 'Dense'"),
    ({"n_in": 0, "n_out": 4}, "does not fit"),
    ({"n_in": True}, "must be a int"),
])
def test_bad_layer_record_is_refused(saved, tmp_path, change, match):
    _, header, arrays = saved
    header["layers"][0].update(change)
    refused(write_file(tmp_path / "l.npz", header, arrays), match)


# ---------------------------------------------------------------------- arrays vs architecture
@pytest.mark.parametrize("change, match", [
    (lambda a: {"params": a["params"][:-1]}, r"'params' has shape \(25,\).*\(26,\)"),
    (lambda a: {"params": np.append(a["params"], 0.0)}, r"'params' has shape \(27,\)"),
    (lambda a: {"scales": a["scales"][:-1]}, r"'scales' has shape \(5,\).*neuron count"),
    (lambda a: {"scales": np.ones(7)}, r"'scales' has shape \(7,\)"),
    (lambda a: {"params": a["params"].reshape(2, 13)}, r"shape \(2, 13\)"),
    (lambda a: {"params": a["params"].astype(np.float32)}, "dtype float32, expected float64"),
    (lambda a: {"params": np.arange(26)}, "dtype int64"),
    (lambda a: {"params": np.full(26, np.nan)}, "non-finite"),
    (lambda a: {"scales": np.full(6, np.inf)}, "non-finite"),
    (lambda a: {"params": np.array(["x"] * 26)}, "dtype <U1"),
    (lambda a: {"extra": np.zeros(2)}, r"holds the arrays \['extra', 'params', 'scales'\]"),
])
def test_arrays_that_do_not_fit_the_architecture_are_refused(saved, tmp_path, change, match):
    _, header, arrays = saved
    refused(write_file(tmp_path / "a.npz", header, {**arrays, **change(arrays)}), match)


def test_missing_array_is_refused(saved, tmp_path):
    _, header, arrays = saved
    del arrays["scales"]
    refused(write_file(tmp_path / "a.npz", header, arrays), r"holds the arrays \['params'\]")


@pytest.mark.parametrize("change, match", [
    (lambda h, a: a.update(x_mean=a["x_mean"][:2]), r"'x_mean' has shape \(2,\)"),
    (lambda h, a: a.update(y_scale=np.zeros(1)), "'y_scale' must be positive"),
    (lambda h, a: a.update(linear_coef=a["linear_coef"][:-1]), "linear_coef"),
    (lambda h, a: a.pop("linear_coef"), "holds the arrays"),
    (lambda h, a: h["estimator"].update(n_features_in=4), "declares 4 features"),
    (lambda h, a: h["estimator"].update(params={"hiddenn": [3]}), "unknown parameter 'hiddenn'"),
    (lambda h, a: h["estimator"].pop("y_1d"), "lacks the field 'y_1d'"),
    (lambda h, a: h["estimator"].update({"class": "MLPRegressor"}), "MLPRegressor"),
    (lambda h, a: h.pop("estimator"), "lacks the field 'estimator'"),
])
def test_bad_estimator_file_is_refused(saved_estimator, tmp_path, change, match):
    _, header, arrays = saved_estimator
    change(header, arrays)
    refused(write_file(tmp_path / "e.npz", header, arrays), match)


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
