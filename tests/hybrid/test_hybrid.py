"""Paper B's hybrid and the adaptive hybrid (OURS): both kinds of step, the switching rule
replayed from the history, determinism, and the cost model."""

import json
import re

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.hybrid import AdaptiveHybrid, PaperBHybrid, visit_cost
from bcdnet.optim import LBFGS


UNDONE = re.compile(r"undone by the selector at a training loss of ([^;]+);")


def regression(n=300, n_in=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    Y = np.column_stack([np.sin(X[:, 0]) * X[:, 1], np.tanh(X[:, 2] - X[:, 3])])
    return X, Y


def fit(selector, max_iter=30, sizes=(4, 5, 5, 5, 5, 5, 5, 2), seed=0, **kwargs):
    X, Y = regression()
    net = bn.Network.mlp(list(sizes), seed=1)
    trainer = bn.Trainer(LBFGS(max_iter=5), selector, max_iter=max_iter, tol=0,
                         sensitivity_tol=None, seed=seed, **kwargs)
    return trainer.fit(net, X, Y)


def steps(result):
    rows = result.history[result.history["iteration"] > 0]
    return rows, [json.loads(r)["kind"] for r in rows["selector"]]


def test_paper_b_hybrid_alternates_whole_network_and_most_sensitive_layer():
    result = fit(PaperBHybrid(layer_steps=2), max_iter=12)
    rows, kinds = steps(result)
    assert kinds == ["whole", "layer", "layer"] * 4
    n_layers = len(result.net.layers)
    for (_, row), kind in zip(rows.iterrows(), kinds):
        if kind == "whole":
            assert (row["first"], row["last"]) == (0, n_layers - 1)
        else:
            assert row["first"] == row["last"] == int(np.argmax(row["scores"]))


@pytest.mark.parametrize("undo, first_trial", [(False, 0.1), (True, 0.1), (False, 1.0),
                                               (False, 0.01)])
def test_adaptive_hybrid_mixes_both_kinds_by_the_documented_rule(undo, first_trial):
    result = fit(AdaptiveHybrid(undo=undo, first_trial=first_trial), max_iter=40)
    rows, kinds = steps(result)
    assert "whole" in kinds and "layer" in kinds
    assert kinds[0] == "whole"
    # Replay the rule from the history alone: rate = loss decrease / counted cost, where a
    # layer step after a whole-network step got its sensitivities free (Identity 1) and a
    # whole-network step computes none.
    n_layers = len(result.net.layers)
    loss = result.history["train_loss"].iloc[0]
    rates, previous, best_whole = {"whole": None, "layer": None}, None, None
    for i, ((_, row), kind) in enumerate(zip(rows.iterrows(), kinds)):
        if previous is not None:
            assert kind == previous, f"iteration {row['iteration']}: rule says {previous}"
        after_whole = i > 0 and kinds[i - 1] == "whole" and rows["accepted"].iloc[i - 1]
        paid = kind == "layer" and not after_whole
        assert np.isnan(row["sensitivity_inf"]) == (kind == "whole" and not after_whole)
        cost = row["n_rows"] * (row["nfev"] * (n_layers - row["first"]) + row["first"]
                                + (n_layers if paid else 0))
        undone = UNDONE.match(row["optimizer_message"])
        reached = float(undone.group(1)) if undone else row["train_loss"]
        gain = loss - reached
        rates[kind] = gain / cost
        if kind == "whole":
            best_whole = max(rates["whole"], best_whole or rates["whole"])
        other = rates["layer" if kind == "whole" else "whole"]
        if kind == "whole" and other is None:       # waiting for the first trial
            switch = gain <= 0 or rates["whole"] <= first_trial * best_whole
        else:
            switch = gain <= 0 or other is None or rates[kind] < other
        trial = kind == "layer" and kinds[i - 1] == "whole"
        # a trial layer step that loses is undone: its loss is not kept, nothing else is
        assert bool(undone) == (undo and trial and switch) == (not row["accepted"])
        loss = row["train_loss"]
        previous = ({"whole": "layer", "layer": "whole"}[kind] if switch else kind)


def test_adaptive_hybrid_waits_for_whole_network_steps_to_slow_before_a_layer_step():
    # first_trial=1.0: the old rule, a layer step right after the first whole one
    assert steps(fit(AdaptiveHybrid(first_trial=1.0), max_iter=6))[1][:2] == ["whole", "layer"]
    result = fit(AdaptiveHybrid(first_trial=1e-6), max_iter=6)
    history = result.history
    assert steps(result)[1] == ["whole"] * 6
    # whole-network steps only: the same run as end-to-end, bit for bit
    e2e = fit("all", max_iter=6, keep_state=True).history
    np.testing.assert_array_equal(history["train_loss"], e2e["train_loss"])


def test_adaptive_hybrid_takes_layer_steps_while_they_gain_faster():
    # switch_ratio near 0: stay with a kind until it stops gaining at all
    result = fit(AdaptiveHybrid(switch_ratio=1e-12), max_iter=20)
    _, kinds = steps(result)
    assert kinds.count("layer") >= 2 and kinds[0] == "whole"


@pytest.mark.parametrize("make", [lambda: PaperBHybrid(epsilon=0.3),
                                  lambda: AdaptiveHybrid(epsilon=0.3, order=2)])
def test_same_seed_gives_the_same_history_bit_for_bit(make):
    a, b = fit(make(), max_iter=15, seed=3), fit(make(), max_iter=15, seed=3)
    columns = [c for c in a.history.columns if c not in ("cpu_s", "wall_s")]
    assert a.history[columns].equals(b.history[columns])
    np.testing.assert_array_equal(a.net.params, b.net.params)


def resumes_exactly(make, tmp_path, max_iter=12, interrupt_at=7):
    """A run interrupted at ``interrupt_at`` and resumed equals an uninterrupted one."""
    path = tmp_path / "run.npz"
    reference = fit(make(), max_iter=max_iter)

    def interrupt(row):
        if row["iteration"] == interrupt_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):   # the checkpoint holds the iteration before
        fit(make(), max_iter=max_iter, checkpoint=path, callbacks=[interrupt])
    X, Y = regression()
    net = bn.Network.mlp([4, 5, 5, 5, 5, 5, 5, 2], seed=1)
    result = bn.Trainer(LBFGS(max_iter=5), make(), max_iter=max_iter, tol=0,
                        sensitivity_tol=None).fit(net, X, Y, resume_from=path)
    columns = [c for c in reference.history.columns if c not in ("cpu_s", "wall_s")]
    np.testing.assert_array_equal(net.params, reference.net.params)
    return reference.history[columns].equals(result.history[columns])


@pytest.mark.parametrize("make", [AdaptiveHybrid, PaperBHybrid,
                                  lambda: AdaptiveHybrid(undo=True),
                                  lambda: AdaptiveHybrid(layers=bn.selection.PingPong(),
                                                         window=2)])
def test_hybrids_resume_from_a_checkpoint_exactly(make, tmp_path):
    assert resumes_exactly(make, tmp_path)


def test_visit_cost_counts_layers_run_above_the_frozen_prefix():
    # a late layer's visit runs 2 of 10 layers per evaluation (plus its 8-layer prefix once)
    assert visit_cost(8, 10, nfev=5, n_rows=100, sensitivity_pass=False) == 100 * (5 * 2 + 8)
    assert visit_cost(0, 10, nfev=5, n_rows=100, sensitivity_pass=True) == 100 * (50 + 10)


def test_hybrids_are_registered_and_check_their_arguments():
    assert isinstance(bn.selection.get_selector("paper_b_hybrid"), PaperBHybrid)
    assert isinstance(bn.selection.get_selector("adaptive_hybrid"), AdaptiveHybrid)
    with pytest.raises(ValueError, match="layer_steps"):
        PaperBHybrid(layer_steps=0)
    with pytest.raises(ValueError, match="switch_ratio"):
        AdaptiveHybrid(switch_ratio=0.0)
    with pytest.raises(TypeError, match="cost_aware"):
        AdaptiveHybrid(cost_aware="yes")
    with pytest.raises(TypeError, match="layers must be a Selector"):
        AdaptiveHybrid(layers="bisection")
    with pytest.raises(ValueError, match="window"):
        AdaptiveHybrid(window=0)
    with pytest.raises(TypeError, match="undo must be a bool"):
        AdaptiveHybrid(undo=1)
    with pytest.raises(ValueError, match="first_trial"):
        AdaptiveHybrid(first_trial=0.0)
    with pytest.raises(ValueError, match=r"first_trial must be in \(0, 1\].*got 1.5"):
        AdaptiveHybrid(first_trial=1.5)


def test_adaptive_hybrid_delegates_layer_steps_and_pools_their_rate():
    result = fit(AdaptiveHybrid(layers=bn.selection.Bisection(explore=0.5), window=3,
                                switch_ratio=1e-12, first_trial=1.0), max_iter=12, seed=1)
    rows, kinds = steps(result)
    layer_rows = [json.loads(s) for s, k in zip(rows["selector"], kinds) if k == "layer"]
    assert len(layer_rows) >= 3
    assert all(rec["layers"]["selector"] == "bisection" and rec["layers"]["path"]
               for rec in layer_rows)
    # the layer rate after three layer steps is their pooled gain over pooled cost
    n_layers = len(result.net.layers)
    loss = list(result.history["train_loss"])
    pooled_gain = pooled_cost = 0.0
    for i, (_, row) in enumerate(rows.iterrows()):
        if kinds[i] == "layer" and i < 4:
            paid = kinds[i - 1] != "whole"
            pooled_gain += loss[i] - loss[i + 1]
            pooled_cost += row["n_rows"] * (row["nfev"] * (n_layers - row["first"])
                                            + row["first"] + (n_layers if paid else 0))
    assert kinds[:4] == ["whole", "layer", "layer", "layer"]
    rate = json.loads(rows["selector"].iloc[4])["rates"][1]
    assert rate == pytest.approx(pooled_gain / pooled_cost, rel=1e-12)


def test_an_undone_trial_leaves_the_end_to_end_run_as_if_it_never_happened():
    # Where the trials lose, the adaptive hybrid's whole-network steps are end-to-end
    # L-BFGS bit for bit: the trial's layer goes back, and so does L-BFGS's memory.
    X, Y = regression()
    sizes, lbfgs = [4, 12, 2], LBFGS(max_iter=5)
    common = dict(max_iter=25, tol=0, sensitivity_tol=None)
    adaptive = bn.Trainer(lbfgs, AdaptiveHybrid(), **common).fit(
        bn.Network.mlp(sizes, seed=1), X, Y).history
    end_to_end = bn.Trainer(lbfgs, "all", keep_state=True, **common).fit(
        bn.Network.mlp(sizes, seed=1), X, Y).history
    undone = adaptive[~adaptive["accepted"].astype(bool)]
    assert len(undone) >= 2 and all(UNDONE.match(m) for m in undone["optimizer_message"])
    assert (undone["first"] == undone["last"]).all()            # layer steps
    kept = adaptive[adaptive["accepted"].astype(bool)]
    assert (kept["last"].iloc[1:] - kept["first"].iloc[1:] == 1).all()   # all whole steps
    losses = list(kept["train_loss"])
    assert losses == list(end_to_end["train_loss"][:len(losses)])     # bit for bit
    assert AdaptiveHybrid().undo                                   # the default
    # with undo=False the first trial is kept and the run leaves end-to-end's path
    kept_trial = bn.Trainer(lbfgs, AdaptiveHybrid(undo=False), **common).fit(
        bn.Network.mlp(sizes, seed=1), X, Y).history
    assert kept_trial["accepted"].astype(bool).all()
    assert list(kept_trial["train_loss"][3:8]) != list(end_to_end["train_loss"][2:7])


class _UndoLayers(bn.selection.Selector):
    """Alternates whole network and last layer, and undoes every last-layer visit."""

    name = "undo_layers"

    def _select(self, sens, n_layers, iteration, rng):
        first = 0 if iteration % 2 == 0 else n_layers - 1
        return bn.selection.Selection(first, n_layers - 1, {})

    def observe(self, row):
        return row["first"] != row["last"] or row["first"] == 0


def test_the_trainer_undoes_a_visit_its_selector_rejects():
    X, Y = regression()
    net = bn.Network.mlp([4, 6, 6, 2], seed=2)
    params = []
    trainer = bn.Trainer(LBFGS(max_iter=4), _UndoLayers(), max_iter=6, tol=0,
                         sensitivity_tol=None, callbacks=[lambda row: params.append(
                             net.params.copy()) and False])
    history = trainer.fit(net, X, Y).history.iloc[1:]
    accepted = list(history["accepted"].astype(bool))
    assert accepted == [True, False] * 3
    for i in (1, 3, 5):                  # the layer visit's parameters were put back
        np.testing.assert_array_equal(params[i], params[i - 1])
        assert history["train_loss"].iloc[i] == history["train_loss"].iloc[i - 1]
        assert history["nfev"].iloc[i] > 0        # its cost is still recorded
    assert net.loss_value(X, Y) == history["train_loss"].iloc[-1]


class _Listening(bn.selection.Selector):
    """The whole network every visit; keeps every row it hears."""

    name = "listening"

    def __init__(self, epsilon=0.0):
        super().__init__(epsilon)
        self.heard = []

    def _select(self, sens, n_layers, iteration, rng):
        return bn.selection.Selection(0, n_layers - 1, {})

    def observe(self, row):
        self.heard.append(dict(row))


@pytest.mark.parametrize("icrs_init", [0, 50])
def test_a_selector_hears_the_starting_rows_then_every_visit(icrs_init):
    X, Y = regression()
    selector = _Listening()
    history = bn.Trainer(LBFGS(max_iter=3), selector, max_iter=4, tol=0, sensitivity_tol=None,
                         icrs_init=icrs_init).fit(bn.Network.mlp([4, 5, 2], seed=0), X, Y).history
    heard = [(r["iteration"], r["train_loss"]) for r in selector.heard]
    assert heard == list(zip(history["iteration"], history["train_loss"]))
    assert [i for i, _ in heard[:1 + bool(icrs_init)]] == [0] * (1 + bool(icrs_init))
