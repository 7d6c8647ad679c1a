"""The optional ``columns`` of a model file: written by ``save(columns=...)``, read by
``read_header``, checked by ``load``."""

import pytest

import bcdnet as bn
from bcdnet import io as bio
from io_helpers import read_file, write_file


def test_columns_round_trip_and_stay_optional(tmp_path):
    net = bn.Network.mlp([2, 3, 1], seed=0)
    bio.save(net, tmp_path / "named.npz", columns={"features": ["a", "b"], "targets": ["y"]})
    bio.save(net, tmp_path / "plain.npz")
    assert bio.read_header(tmp_path / "named.npz")["columns"] == {"features": ["a", "b"],
                                                                  "targets": ["y"]}
    assert "columns" not in bio.read_header(tmp_path / "plain.npz")
    assert bio.load(tmp_path / "named.npz").sizes == [2, 3, 1]


@pytest.mark.parametrize("columns, error", [
    ({"features": ["a"], "targets": ["y"]}, ValueError),
    ({"features": ["a", 3], "targets": ["y"]}, ValueError),
    ({"features": ["a", "b"]}, TypeError),
    (["a", "b", "y"], TypeError),
])
def test_save_refuses_columns_that_do_not_fit(tmp_path, columns, error):
    with pytest.raises(error, match="columns"):
        bio.save(bn.Network.mlp([2, 3, 1], seed=0), tmp_path / "m.npz", columns=columns)


@pytest.mark.parametrize("columns", [{"features": ["a"], "targets": ["y"]}, "abc",
                                     {"features": "ab", "targets": ["y"]}])
def test_load_refuses_malformed_columns(tmp_path, columns):
    bio.save(bn.Network.mlp([2, 3, 1], seed=0), tmp_path / "m.npz")
    header, arrays = read_file(tmp_path / "m.npz")
    path = write_file(tmp_path / "bad.npz", {**header, "columns": columns}, arrays)
    with pytest.raises(ValueError, match="'columns' is malformed") as info:
        bio.load(path)
    assert str(path) in str(info.value)
