"""Selectors against references written here, and their statistics.

- ``Bisection(explore=0)`` picks the one leaf that wins every split on its way up the tree,
  found by checking *every* leaf against *every* ancestor (an exhaustive reference that does
  not walk the tree the way the selector does), for L = 1..20 and random group scores with
  ties.  With ``explore=p`` the frequency of taking the lower-scored half is p within 3σ.
- Order 2 bisection costs at most 2⌈log₂ L⌉ Hessian-vector products (``sens.n_hvp``).
- The cyclic selectors produce their exact sequences; their state round-trips.
- ε-uniform mixing and ``RandomLayer`` have the right frequencies (3σ).
- Records hold plain JSON values; bad hyperparameters raise errors naming the argument.
"""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bcdnet as bn
from bcdnet import selection
from bcdnet.selection import (SELECTORS, AllLayers, Bisection, ForwardSequential, MostSensitive,
                              PingPong, RandomLayer, Selection, Selector, get_selector)
from bcdnet.sensitivity import sensitivity


class FakeSensitivity:
    """Prescribed group scores: ``table[(first, last)]``, drawn once per group from ``rng``.

    Scores are rounded to ``levels`` distinct values (few levels make ties common).
    """

    def __init__(self, n_layers, seed=0, levels=None, table=None):
        self.n_layers = n_layers
        self.rng = np.random.default_rng(seed)
        self.levels = levels
        self.table = {} if table is None else dict(table)
        self.calls = []

    def group_score(self, first, last, order=1, trust_radius=1e-3, gauss_newton=False):
        self.calls.append((first, last))
        if (first, last) not in self.table:
            value = self.rng.random()
            if self.levels is not None:
                value = math.floor(value * self.levels) / self.levels
            self.table[(first, last)] = value
        return self.table[(first, last)]


def tree_nodes(lo, hi):
    """Every internal node ``(lo, mid, hi)`` of the bisection tree over ``lo..hi``."""
    if lo == hi:
        return []
    mid = (lo + hi) // 2
    return [(lo, mid, hi)] + tree_nodes(lo, mid) + tree_nodes(mid + 1, hi)


def exhaustive_bisection(scores, n_layers):
    """The leaves that win every split containing them (ties go to the lower half)."""
    nodes = tree_nodes(0, n_layers - 1)
    winners = []
    for leaf in range(n_layers):
        wins = True
        for lo, mid, hi in nodes:
            if not lo <= leaf <= hi:
                continue
            a, b = scores[(lo, mid)], scores[(mid + 1, hi)]
            wins &= (a >= b) if leaf <= mid else (b > a)
        if wins:
            winners.append(leaf)
    return winners


def plain(value):
    """True when ``value`` is made only of str, int, float, bool, None, lists and dicts."""
    if type(value) in (str, int, float, bool, type(None)):
        return True
    if type(value) is list:
        return all(plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and plain(v) for k, v in value.items())
    return False


def real_sensitivity(sizes=(3, 4, 5, 4, 3, 2), seed=0, activation="tanh"):
    net = bn.Network.mlp(list(sizes), activation=activation, seed=seed)
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(30, sizes[0])), rng.normal(size=(30, sizes[-1]))
    return sensitivity(net, X, Y)


def three_sigma(p, n):
    return 3.0 * math.sqrt(p * (1.0 - p) / n)


# ----------------------------------------------------------------------------- bisection
@settings(max_examples=400)
@given(n_layers=st.integers(1, 20), seed=st.integers(0, 2**32 - 1),
       levels=st.sampled_from([None, 2, 3, 5]))
def test_bisection_without_exploration_matches_exhaustive_reference(n_layers, seed, levels):
    sens = FakeSensitivity(n_layers, seed, levels)
    for lo, mid, hi in tree_nodes(0, n_layers - 1):     # draw every group's score up front
        sens.group_score(lo, mid), sens.group_score(mid + 1, hi)
    sens.calls.clear()
    winners = exhaustive_bisection(sens.table, n_layers)
    assert len(winners) == 1, winners
    rng = np.random.default_rng(seed)
    before = rng.bit_generator.state
    chosen = Bisection(explore=0.0).select(sens, 0, rng)
    assert (chosen.first, chosen.last) == (winners[0], winners[0])
    assert rng.bit_generator.state == before, "explore=0 must not draw random numbers"
    path = chosen.record["path"]
    assert len(path) <= math.ceil(math.log2(n_layers))
    assert len(sens.calls) == 2 * len(path)
    for lo, mid, hi, score_a, score_b, went in path:
        assert lo <= winners[0] <= hi
        assert (score_a, score_b) == (sens.table[(lo, mid)], sens.table[(mid + 1, hi)])
        assert went == ("A" if winners[0] <= mid else "B")
    assert chosen.record["explored"] is False and chosen.record["n_explored"] == 0


def test_bisection_on_real_first_order_scores_matches_reference():
    for seed in range(10):
        sens = real_sensitivity(seed=seed)
        s = sens.values
        table = {}
        for lo, mid, hi in tree_nodes(0, sens.n_layers - 1):
            for a, b in ((lo, mid), (mid + 1, hi)):
                part = s[sens.net.scale_slices[a].start:sens.net.scale_slices[b].stop]
                table[(a, b)] = np.mean(part ** 2)
        (expected,) = exhaustive_bisection(table, sens.n_layers)
        chosen = Bisection(explore=0.0).select(sens, 0, np.random.default_rng(0))
        assert chosen.first == chosen.last == expected


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5])
def test_bisection_explores_with_probability_p(p):
    n_layers, n_draws = 16, 2500
    sens = FakeSensitivity(n_layers, seed=7)          # continuous scores: no ties
    bisection = Bisection(explore=p)
    rng = np.random.default_rng(12345)
    other = levels = 0
    for it in range(n_draws):
        chosen = bisection.select(sens, it, rng)
        path = chosen.record["path"]
        n_other, current = 0, (0, n_layers - 1)
        for lo, mid, hi, score_a, score_b, went in path:
            assert (lo, hi) == current and mid == (lo + hi) // 2
            n_other += went != ("A" if score_a >= score_b else "B")
            current = (lo, mid) if went == "A" else (mid + 1, hi)
        assert current == (chosen.first, chosen.last) and chosen.first == chosen.last
        assert chosen.record["n_explored"] == n_other
        assert chosen.record["explored"] == (n_other > 0)
        other += n_other
        levels += len(path)
    assert levels == 4 * n_draws
    frequency = other / levels
    assert abs(frequency - p) <= three_sigma(p, levels), (frequency, p, three_sigma(p, levels))


def test_bisection_explore_one_always_takes_the_other_half():
    sens = FakeSensitivity(9, seed=3)
    chosen = Bisection(explore=1.0).select(sens, 0, np.random.default_rng(0))
    for lo, mid, hi, score_a, score_b, went in chosen.record["path"]:
        assert went == ("B" if score_a >= score_b else "A")


@pytest.mark.parametrize("n_layers", range(1, 10))
def test_second_order_bisection_uses_logarithmically_many_hvps(n_layers):
    sizes = [2] + [3] * (n_layers - 1) + [1]
    for seed in range(3):
        sens = real_sensitivity(sizes, seed=seed)
        chosen = Bisection(order=2, explore=0.5).select(sens, 0, np.random.default_rng(seed))
        bound = 2 * math.ceil(math.log2(n_layers)) if n_layers > 1 else 0
        assert sens.n_hvp <= bound, (sens.n_hvp, bound)
        assert sens.n_hvp == 2 * len(chosen.record["path"])
    every_layer = real_sensitivity(sizes)
    MostSensitive(order=2).select(every_layer, 0, np.random.default_rng(0))
    assert every_layer.n_hvp == n_layers


# ----------------------------------------------------------------------------- most sensitive
@settings(max_examples=200)
@given(scores=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0]), min_size=1, max_size=20))
def test_most_sensitive_is_the_first_maximum(scores):
    sens = FakeSensitivity(len(scores), table={(l, l): s for l, s in enumerate(scores)})
    chosen = MostSensitive().select(sens, 0, np.random.default_rng(0))
    best = max(scores)
    expected = next(l for l, s in enumerate(scores) if s == best)
    assert chosen.first == chosen.last == expected
    assert chosen.record["scores"] == scores


def test_most_sensitive_reads_the_requested_order():
    sens = real_sensitivity(seed=4)
    for order in (1, 2):
        chosen = MostSensitive(order=order, trust_radius=0.05).select(sens, 0,
                                                                      np.random.default_rng(0))
        scores = [sens.group_score(l, l, order=order, trust_radius=0.05)
                  for l in range(sens.n_layers)]
        assert chosen.record["scores"] == scores and chosen.record["order"] == order
        assert scores[chosen.first] == max(scores)


# ----------------------------------------------------------------------------- ε-mixing
def test_epsilon_mixing_frequencies():
    eps, n_layers, n_draws, best = 0.2, 5, 5000, 2
    table = {(l, l): (10.0 if l == best else 1.0) for l in range(n_layers)}
    sens = FakeSensitivity(n_layers, table=table)
    selector = MostSensitive(epsilon=eps)
    rng = np.random.default_rng(99)
    picks = [selector.select(sens, it, rng) for it in range(n_draws)]
    explored = np.array([c.record["explored_uniform"] for c in picks])
    layers = np.array([c.first for c in picks])
    assert abs(explored.mean() - eps) <= three_sigma(eps, n_draws)
    assert np.all(layers[~explored] == best)
    for l in range(n_layers):
        p = eps / n_layers + (1 - eps) * (l == best)
        assert abs(np.mean(layers == l) - p) <= three_sigma(p, n_draws), (l, p)


def test_epsilon_zero_selectors_draw_nothing():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    for selector in (MostSensitive(), ForwardSequential(), PingPong(), AllLayers()):
        selector.select(real_sensitivity(), 0, rng)
    assert rng.bit_generator.state == before


def test_uniform_picks_do_not_advance_the_cycle():
    selector = PingPong(epsilon=0.4)
    rng = np.random.default_rng(5)
    picks = [selector.select(None, it, rng, n_layers=4) for it in range(300)]
    cyclic = [c.first for c in picks if not c.record["explored_uniform"]]
    assert cyclic == ([0, 1, 2, 3, 2, 1] * 60)[:len(cyclic)]
    assert 0.3 < 1 - len(cyclic) / 300 < 0.5


# ----------------------------------------------------------------------------- other rules
def test_random_layer_is_uniform():
    n_layers, n_draws = 7, 7000
    selector = RandomLayer()
    rng = np.random.default_rng(2024)
    counts = np.bincount([selector.select(None, it, rng, n_layers=n_layers).first
                          for it in range(n_draws)], minlength=n_layers)
    p = 1 / n_layers
    assert np.all(np.abs(counts / n_draws - p) <= three_sigma(p, n_draws)), counts


def test_forward_sequential_exact_sequence():
    for n_layers, expected in [(1, [0, 0, 0]), (3, [0, 1, 2, 0, 1, 2, 0]),
                               (4, [0, 1, 2, 3, 0, 1, 2, 3, 0])]:
        selector, rng = ForwardSequential(), np.random.default_rng(0)
        got = [selector.select(None, i, rng, n_layers=n_layers).first
               for i in range(len(expected))]
        assert got == expected


@pytest.mark.parametrize("n_layers, expected", [
    (1, [0, 0, 0]),
    (2, [0, 1, 0, 1, 0]),
    (3, [0, 1, 2, 1, 0, 1, 2, 1, 0]),
    (4, [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1]),
])
def test_ping_pong_exact_sequence(n_layers, expected):
    selector, rng = PingPong(), np.random.default_rng(0)
    got = [selector.select(None, i, rng, n_layers=n_layers).first
           for i in range(len(expected))]
    assert got == expected


@pytest.mark.parametrize("n_layers", range(2, 12))
def test_ping_pong_never_repeats_a_layer_and_visits_ends_once_per_sweep(n_layers):
    selector, rng = PingPong(), np.random.default_rng(0)
    got = [selector.select(None, i, rng, n_layers=n_layers).first for i in range(6 * n_layers)]
    assert all(abs(a - b) == 1 for a, b in zip(got, got[1:]))
    assert got[:n_layers] == list(range(n_layers))


def test_all_layers_is_one_block():
    for n_layers in (1, 2, 7):
        chosen = AllLayers().select(None, 0, np.random.default_rng(0), n_layers=n_layers)
        assert (chosen.first, chosen.last) == (0, n_layers - 1)
        assert list(chosen.layers) == list(range(n_layers))


def test_needs_sensitivity_flags():
    assert MostSensitive.needs_sensitivity and Bisection.needs_sensitivity
    for cls in (RandomLayer, ForwardSequential, PingPong, AllLayers):
        assert not cls.needs_sensitivity
        cls().select(None, 0, np.random.default_rng(0), n_layers=3)


# ----------------------------------------------------------------------------- state, records
@pytest.mark.parametrize("make", [ForwardSequential, PingPong, lambda: PingPong(epsilon=0.3),
                                  lambda: ForwardSequential(epsilon=0.3)])
def test_state_round_trip_continues_the_same_sequence(make):
    selector, rng = make(), np.random.default_rng(8)
    for it in range(7):
        selector.select(None, it, rng, n_layers=5)
    state = json.loads(json.dumps(selector.state_dict()))
    rng_state = rng.bit_generator.state
    original = [selector.select(None, it, rng, n_layers=5).first for it in range(7, 20)]
    resumed_selector, resumed_rng = make(), np.random.default_rng(0)
    resumed_selector.load_state_dict(state)
    resumed_rng.bit_generator.state = rng_state
    resumed = [resumed_selector.select(None, it, resumed_rng, n_layers=5).first
               for it in range(7, 20)]
    assert resumed == original
    resumed_selector.reset()
    fresh = make()
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    assert ([resumed_selector.select(None, i, rng_a, n_layers=5).first for i in range(9)]
            == [fresh.select(None, i, rng_b, n_layers=5).first for i in range(9)])


def test_state_of_another_selector_or_with_wrong_keys_is_refused():
    with pytest.raises(ValueError, match="saved by PingPong"):
        ForwardSequential().load_state_dict(PingPong().state_dict())
    with pytest.raises(ValueError, match="state keys"):
        PingPong().load_state_dict({"selector": "PingPong"})
    assert MostSensitive().state_dict() == {"selector": "MostSensitive"}


def test_records_are_plain_json_values():
    sens = real_sensitivity()
    rng = np.random.default_rng(3)
    for name, cls in SELECTORS.items():
        kwargs = {"order": 2, "explore": 0.5} if cls is Bisection else {}
        chosen = get_selector(name, **kwargs).select(sens, 0, rng)
        assert isinstance(chosen, Selection) and chosen.record["selector"] == name
        assert plain(chosen.record), chosen.record
        assert type(chosen.first) is int and type(chosen.last) is int
        json.dumps(chosen.record)


def test_repr_shows_hyperparameters_and_rebuilds():
    selector = Bisection(order=2, explore=0.25, trust_radius=0.01, epsilon=0.05)
    text = repr(selector)
    for part in ("order=2", "explore=0.25", "trust_radius=0.01", "epsilon=0.05"):
        assert part in text
    rebuilt = eval(text, vars(selection))
    assert rebuilt.get_params() == selector.get_params()
    assert repr(PingPong()) == "PingPong(epsilon=0.0)" and repr(AllLayers()) == "AllLayers()"


def test_subclass_with_its_own_rule():
    class LastLayer(Selector):
        def _select(self, sens, n_layers, iteration, rng):
            return Selection(n_layers - 1, n_layers - 1, {"why": "always the top"})

    chosen = LastLayer().select(None, 0, np.random.default_rng(0), n_layers=4)
    assert (chosen.first, chosen.record["selector"], chosen.record["why"]) == (3, "LastLayer",
                                                                             "always the top")

    class OutOfRange(Selector):
        def _select(self, sens, n_layers, iteration, rng):
            return Selection(0, n_layers, {})

    with pytest.raises(ValueError, match="outside 0..3"):
        OutOfRange().select(None, 0, np.random.default_rng(0), n_layers=4)


# ----------------------------------------------------------------------------- bad input
def test_unknown_selector_name_lists_valid_ones():
    with pytest.raises(ValueError, match="selector") as info:
        get_selector("greedy")
    for name in SELECTORS:
        assert repr(name) in str(info.value)


@pytest.mark.parametrize("explore", [-0.1, 1.5])
def test_explore_outside_unit_interval_is_refused(explore):
    with pytest.raises(ValueError, match=r"explore must lie in \[0, 1\]"):
        Bisection(explore=explore)


@pytest.mark.parametrize("make", [MostSensitive, Bisection, ForwardSequential, PingPong])
@pytest.mark.parametrize("epsilon", [-0.5, 2.0])
def test_epsilon_outside_unit_interval_is_refused(make, epsilon):
    with pytest.raises(ValueError, match=r"epsilon must lie in \[0, 1\]"):
        make(epsilon=epsilon)


@pytest.mark.parametrize("make", [MostSensitive, Bisection])
@pytest.mark.parametrize("radius", [0.0, -1e-3])
def test_nonpositive_trust_radius_is_refused(make, radius):
    with pytest.raises(ValueError, match="trust_radius must be positive"):
        make(trust_radius=radius)


@pytest.mark.parametrize("make", [MostSensitive, Bisection])
@pytest.mark.parametrize("order", [0, 3, "2"])
def test_order_outside_one_two_is_refused(make, order):
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        make(order=order)


def test_bad_select_arguments_are_refused():
    with pytest.raises(ValueError, match="iteration must be at least 0"):
        ForwardSequential().select(None, -1, np.random.default_rng(0), n_layers=3)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        ForwardSequential().select(None, 0, 42, n_layers=3)
    with pytest.raises(TypeError, match="sens.n_layers"):
        ForwardSequential().select(object(), 0, np.random.default_rng(0))
