"""Paper A's coarse-to-fine descent: multi-layer blocks at upper levels, the user's rule."""

import json

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.coarse_to_fine import CoarseToFine
from bcdnet.optim import LBFGS

N_LAYERS = 8


def fit(selector, max_iter=12):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1] * X[:, 2], np.cos(X[:, 1])])
    net = bn.Network.mlp([3] + [5] * (N_LAYERS - 1) + [2], seed=1)
    return bn.Trainer(LBFGS(max_iter=4), selector, max_iter=max_iter, tol=0,
                      sensitivity_tol=None).fit(net, X, Y)


def visits(result):
    rows = result.history[result.history["iteration"] > 0]
    return [(int(r["first"]), int(r["last"]), json.loads(r["selector"]))
            for _, r in rows.iterrows()]


def test_descends_to_a_single_layer_training_every_level():
    rows = visits(fit(CoarseToFine(explore=0.0), max_iter=6))
    levels = [rec["level"] for _, _, rec in rows]
    assert levels == [1, 2, 3, 1, 2, 3]              # 8 layers: halves of 4, 2, then 1
    sizes = [last - first + 1 for first, last, _ in rows]
    assert sizes == [4, 2, 1, 4, 2, 1]
    for (f0, l0, _), (f1, l1, rec) in zip(rows, rows[1:]):
        if rec["level"] > 1:                         # each level splits the block just trained
            assert f0 <= f1 <= l1 <= l0 and rec["path"][0][0] == f0 and rec["path"][0][2] == l0


def test_max_level_keeps_multi_layer_blocks():
    rows = visits(fit(CoarseToFine(explore=0.0, max_level=2), max_iter=8))
    assert [rec["level"] for _, _, rec in rows] == [1, 2] * 4
    assert all(last > first for first, last, _ in rows)


def test_a_callable_rule_decides_the_descent():
    asked = {}

    def descend(info):
        asked[info["row"]["iteration"]] = info
        return info["gain"] > 0.05               # refine only blocks that still gain 5 %

    result = fit(CoarseToFine(explore=0.0, descend=descend), max_iter=12)
    rows = visits(result)
    said = {False: 0, True: 0}
    for it, ((first, last, rec), following) in enumerate(zip(rows, rows[1:]), start=1):
        if last == first:
            assert it not in asked and following[2]["level"] == 1
            continue
        info = asked[it]
        assert (info["first"], info["last"], info["level"]) == (first, last, rec["level"])
        go = info["gain"] > 0.05
        said[go] += 1
        assert following[2]["level"] == (rec["level"] + 1 if go else 1)
    assert said[False] and said[True]            # the rule both descended and stopped


def test_min_gain_above_any_gain_never_descends():
    rows = visits(fit(CoarseToFine(min_gain=1.0), max_iter=6))
    assert [rec["level"] for _, _, rec in rows] == [1] * 6
    assert all(last - first + 1 >= N_LAYERS // 2 for first, last, _ in rows)


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="descend"):
        CoarseToFine(descend=3)
    with pytest.raises(ValueError, match="max_level"):
        CoarseToFine(max_level=0)
    assert isinstance(bn.selection.get_selector("coarse_to_fine"), CoarseToFine)
