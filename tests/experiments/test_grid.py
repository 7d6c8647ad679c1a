"""Grids: products of axes in a fixed order, joint axes, lists of grids, duplicates once."""

import json

import pytest

from bcdnet.experiments import config_id, expand, load_grid


def test_product_of_axes_last_fastest():
    configs = expand({"base": {"dataset": "cstr"},
                      "axes": {"split": [0, 1], "activation": ["tanh", "relu", "sigmoid"]}})
    assert [(c["split"], c["activation"]) for c in configs] == [
        (0, "tanh"), (0, "relu"), (0, "sigmoid"), (1, "tanh"), (1, "relu"), (1, "sigmoid")]
    assert all(c["dataset"] == "cstr" for c in configs)


def test_joint_axis_sets_several_fields():
    configs = expand({"axes": {"strategy": [
        {"selector": "random"}, {"selector": "all", "trainer": {"max_iter": 5}}]}})
    assert [c["selector"] for c in configs] == ["random", "all"]
    assert configs[1]["trainer"] == {"max_iter": 5}


def test_list_of_grids_and_duplicates_kept_once():
    grid = [{"axes": {"split": [0, 1]}}, {"axes": {"split": [1, 2]}}, {"split": 0}]
    assert [c["split"] for c in expand(grid)] == [0, 1, 2]
    assert len({config_id(c) for c in expand(grid)}) == 3


def test_bad_axes_are_named():
    with pytest.raises(ValueError, match="'split'"):
        expand({"axes": {"split": []}})
    with pytest.raises(ValueError, match="'strategy'"):
        expand({"axes": {"strategy": ["random"]}})
    with pytest.raises(ValueError, match="datset"):
        expand({"base": {"datset": "cstr"}})


def test_load_grid_reads_json(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"axes": {"seed": [0, 1, 2]}}))
    assert [c["seed"] for c in load_grid(path)] == [0, 1, 2]
    path.write_text("{not json")
    with pytest.raises(ValueError, match="grid.json"):
        load_grid(path)
