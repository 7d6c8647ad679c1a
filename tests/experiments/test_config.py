"""Configs: defaults, checks naming the field, ids that ignore key order, spawned seeds."""

import json

import numpy as np
import pytest

from bcdnet.experiments import DEFAULTS, canonical_json, config_id, normalise, seeds
from bcdnet.experiments.config import run_id, start_id


def test_defaults_fill_and_id_ignores_key_order_and_explicit_defaults():
    a = {"dataset": "cstr", "hidden": [5, 5], "seed": 3}
    b = {"seed": 3, "hidden": [5, 5], "dataset": "cstr", "activation": DEFAULTS["activation"]}
    assert normalise(a) == normalise(b)
    assert config_id(a) == config_id(b)
    assert len(config_id(a)) == 16 and int(config_id(a), 16) >= 0
    assert json.loads(canonical_json(a))["hidden"] == [5, 5]


def test_id_is_the_hash_of_the_canonical_json():
    import hashlib

    c = {"dataset": "steel", "split": 2}
    text = json.dumps(normalise(c), sort_keys=True, separators=(",", ":"))
    assert config_id(c) == hashlib.sha256(text.encode()).hexdigest()[:16]


def test_any_change_changes_the_id():
    base = {"dataset": "cstr"}
    changed = [{"split": 1}, {"hidden": [10, 10]}, {"selector": "random"},
               {"optimizer_options": {"max_iter": 21}}, {"seed": 1}, {"label": "x"}]
    ids = {config_id(base)} | {config_id({**base, **c}) for c in changed}
    assert len(ids) == 1 + len(changed)


def test_seeds_come_from_seedsequence_keyed_by_the_ids():
    c = {"dataset": "cstr", "seed": 7, "selector": "random"}
    expected = np.random.SeedSequence(7, spawn_key=(int(run_id(c), 16),)).generate_state(
        1, dtype=np.uint32)[0]
    assert seeds(c)["trainer"] == int(expected)
    # a label or a recording changes the id, never the seeds
    described = {**c, "label": "x", "record": ["history"]}
    assert config_id(described) != config_id(c) and seeds(described) == seeds(c)
    # runs that differ only in the method share the starting weights, not the BCD seed
    other = {**c, "selector": "forward", "optimizer": "adam"}
    assert start_id(other) == start_id(c)
    assert seeds(other)["weights"] == seeds(c)["weights"]
    assert seeds(other)["trainer"] != seeds(c)["trainer"]
    assert seeds({**c, "split": 1})["weights"] != seeds(c)["weights"]


@pytest.mark.parametrize("config, field", [
    ({"datset": "cstr"}, "datset"), ({"dataset": "iris"}, "dataset"),
    ({"hidden": [5, 0]}, "hidden"), ({"hidden": "10,10"}, "hidden"),
    ({"split": -1}, "split"), ({"trainer": {"seed": 3}}, "trainer"),
    ({"record": ["weights"]}, "record"), ({"optimizer_options": 5}, "optimizer_options")])
def test_bad_configs_name_the_field(config, field):
    with pytest.raises(ValueError, match=field):
        normalise(config)


def test_a_config_must_be_a_dict():
    with pytest.raises(TypeError, match="dict"):
        normalise([("dataset", "cstr")])
