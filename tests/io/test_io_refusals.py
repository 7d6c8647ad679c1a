"""bcdnet.io.load refuses every bad file with a ValueError naming it, and executes nothing.

The pickle cases carry a payload that would create a marker file if it were ever unpickled
(a control test shows that it does); the marker must not exist after the refused load.
Other files are written by hand: a good file's header and arrays with one thing changed.
"""

import copy
import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bcdnet as bn
from bcdnet import io as bio
from io_helpers import read_file, regression_data, write_file

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


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
    # an unexpected member is refused by name, unread
    refused(path, "holds the arrays" if where == "extra" else
            f"array '{where}' is a pickled object array")
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


# ---------------------------------------------------------------------- fuzzed headers
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=6)


def json_paths(value, prefix=()):
    """Every path (a tuple of keys and indices) into a JSON value, the root included."""
    yield prefix
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in items:
        yield from json_paths(child, prefix + (key,))


@pytest.fixture(scope="module")
def good_files(tmp_path_factory):
    """The header and arrays of a saved network and of a saved estimator."""
    folder = tmp_path_factory.mktemp("good")
    X, y = regression_data()
    bio.save(bn.Network.mlp([3, 4, 2], activation="leaky_relu", seed=0), folder / "net.npz")
    bio.save(bn.BCDRegressor(hidden=(4,), max_iter=2, progress=False).fit(X, y),
             folder / "est.npz")
    return [read_file(folder / "net.npz"), read_file(folder / "est.npz")]


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, 1), pick=st.integers(0, 10**6), value=JSON_VALUES,
       delete=st.booleans())
def test_fuzzed_header_loads_or_is_refused(tmp_path_factory, good_files, which, pick, value,
                                           delete):
    """One value of a good header replaced by random JSON (or deleted): load it or refuse."""
    header, arrays = copy.deepcopy(good_files[which])
    paths = list(json_paths(header))
    path = paths[pick % len(paths)]
    if not path:
        header = value
    else:
        parent = header
        for key in path[:-1]:
            parent = parent[key]
        if delete:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    target = write_file(tmp_path_factory.getbasetemp() / "fuzzed.npz", header, arrays)
    try:
        bio.load(target)
    except ValueError as exc:
        assert str(target) in str(exc)
