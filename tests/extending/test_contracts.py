"""The extension points state their contracts: abstract methods, hyperparameters, state."""

import re

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.optim import GD, ICRS, LBFGS, OPTIMIZERS, Adam, BarzilaiBorwein, Optimizer
from bcdnet.optim.base import SteppingOptimizer
from bcdnet.selection import SELECTORS, Bisection, MostSensitive, Selector


def _missing(cls, *names):
    """The TypeError of instantiating ``cls`` names every one of ``names``."""
    with pytest.raises(TypeError) as info:
        cls()
    for name in names:
        assert re.search(rf"\b{name}\b", str(info.value)), (name, str(info.value))


@pytest.mark.parametrize("base, required", [
    (bn.Layer, ["bind", "initialize", "forward", "backward"]),
    (bn.Loss, ["value", "grad", "hvp"]),
    (bn.Activation, ["f", "df", "d2f"]),
    (Optimizer, ["_minimize", "reset", "_get_state", "_set_state"]),
    (SteppingOptimizer, ["_step", "_prepare", "reset", "_get_state", "_set_state"]),
    (Selector, ["_select"]),
])
def test_a_subclass_missing_required_methods_fails_at_instantiation_naming_them(base, required):
    _missing(type("Empty", (base,), {}), *required)
    # implementing all but the last one names just that one
    body = {name: (lambda self, *a, **k: None) for name in required[:-1]}
    _missing(type("AlmostDone", (base,), body), required[-1])


def test_a_layer_without_r_operator_trains_but_refuses_hvp_by_name():
    class Plain(bn.Dense):
        r_forward = bn.Layer.r_forward
        r_backward = bn.Layer.r_backward

    net = bn.Network([Plain(2, 3), bn.Dense(3, 1, "identity")])
    net.initialize(0)
    X, Y = np.ones((4, 2)), np.zeros((4, 1))
    assert np.isfinite(net.loss_grad(X, Y)[0])
    with pytest.raises(NotImplementedError, match="Plain has no R-operator"):
        net.hvp(X, Y, np.ones(net.n_params))


def test_a_layer_without_its_sizes_is_refused_by_the_network():
    class NoSizes(bn.Dense):
        def __init__(self):
            pass

    with pytest.raises(TypeError, match=r"layers\[0\] \(NoSizes\) must set the integer "
                                        r"attribute n_in"):
        bn.Network([NoSizes()])


class DoubleGD(GD):
    """A subclass with a new hyperparameter and no list of names anywhere."""

    used = []

    def __init__(self, lr=0.01, factor=2.0, *, max_iter=5, gtol=0.0):
        super().__init__(lr=lr, max_iter=max_iter, gtol=gtol)
        self.factor = factor

    def _step(self, x, g):
        DoubleGD.used.append((self.lr, self.factor))
        return x - self.factor * self.lr * g


def test_optimizer_subclass_hyperparameters_survive_the_trainers_cloning():
    DoubleGD.used.clear()
    X = np.random.default_rng(0).normal(size=(30, 2))
    net = bn.Network.mlp([2, 3, 1], seed=0)
    bn.Trainer(DoubleGD(lr=0.5, factor=0.25), "forward", max_iter=3, tol=0).fit(net, X, X[:, :1])
    assert DoubleGD.used and set(DoubleGD.used) == {(0.5, 0.25)}
    twin = DoubleGD(lr=0.5, factor=0.25).clone()
    assert twin.get_params() == {"lr": 0.5, "factor": 0.25, "max_iter": 5, "gtol": 0.0}


def test_get_params_names_an_argument_that_was_not_stored():
    class Forgetful(GD):
        def __init__(self, lr=0.1, momentum=0.9):
            super().__init__(lr=lr)

    with pytest.raises(AttributeError, match="takes 'momentum' but does not store it"):
        Forgetful().clone()


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()) + list(SELECTORS.values()))
def test_get_params_is_the_init_signature_and_clone_keeps_it(cls):
    import inspect
    obj = cls()
    names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert list(obj.get_params()) == names
    assert obj.clone().get_params() == obj.get_params()
    assert repr(obj) == repr(obj.clone())


@pytest.mark.parametrize("obj, change", [
    (LBFGS(), {"history_size": 7, "gtol": 1e-3}),
    (Adam(), {"lr": 0.5, "betas": (0.5, 0.9)}),
    (BarzilaiBorwein(), {"variant": 3}),
    (ICRS(), {"sigma0": 0.3, "max_eval": 50}),
    (Bisection(), {"explore": 0.3, "order": 2}),
    (MostSensitive(), {"epsilon": 0.2}),
])
def test_set_params_checks_like_init_and_get_params_reads_it_back(obj, change):
    assert obj.set_params(**change) is obj
    assert {k: obj.get_params()[k] for k in change} == change
    with pytest.raises(ValueError, match="no hyperparameter.*nonsense.*valid names are"):
        obj.set_params(nonsense=1)
    first = next(iter(change))
    with pytest.raises((ValueError, TypeError), match=first.split("_")[0]):
        obj.set_params(**{first: -1.0})


def test_scikit_learn_clone_keeps_the_optimizer_settings():
    clone = pytest.importorskip("sklearn.base").clone
    est = bn.BCDRegressor(optimizer=LBFGS(history_size=7), selector=Bisection(explore=0.3))
    twin = clone(est)
    assert twin.optimizer is not est.optimizer
    assert twin.optimizer.history_size == 7
    assert twin.selector.explore == 0.3


def test_optimizer_and_selector_share_one_state_protocol():
    opt, sel = Adam(), SELECTORS["forward"]()
    opt.minimize(lambda x: (float(x @ x), 2 * x), np.ones(3), max_iter=2)
    for _ in range(3):
        sel.select(None, 0, np.random.default_rng(0), n_layers=4)
    for obj, kind in ((opt, "optimizer"), (sel, "selector")):
        state = obj.state_dict()
        assert state[kind] == type(obj).__name__
        twin = obj.clone()
        twin.load_state_dict(state)
        for key, value in obj.state_dict().items():
            np.testing.assert_array_equal(twin.state_dict()[key], value)
        with pytest.raises(ValueError, match="state keys must be"):
            twin.load_state_dict({kind: type(obj).__name__, "bogus": 1})
    with pytest.raises(ValueError, match="saved by Adam, cannot load it into LBFGS"):
        LBFGS().load_state_dict({**LBFGS().state_dict(), "optimizer": "Adam"})


def test_network_repr_works_for_a_layer_without_an_activation():
    class Affine(bn.Dense):
        def __init__(self, n_in, n_out):
            super().__init__(n_in, n_out, "identity")
            del self.activation

    net = bn.Network([Affine(2, 3), bn.Dense(3, 1, "identity")], backend="numpy")
    assert repr(net) == "Network(sizes=[2, 3, 1], activation=Affine, n_params=13, dtype=float64)"


def test_select_takes_none_for_a_selector_that_does_not_read_scores():
    rng = np.random.default_rng(0)
    assert SELECTORS["forward"]().select(None, 0, rng, n_layers=3).layers == range(0, 1)
    with pytest.raises(ValueError, match="sens must be a Sensitivity: MostSensitive"):
        MostSensitive().select(None, 0, rng, n_layers=3)
    with pytest.raises(TypeError, match="n_layers must be an integer"):
        SELECTORS["forward"]().select(None, 0, rng)
