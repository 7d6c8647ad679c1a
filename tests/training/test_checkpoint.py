"""Checkpoints: an interrupted and resumed run equals an uninterrupted one, exactly."""

import pickle

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.checkpoint import read_checkpoint
from bcdnet.optim import ICRS, LBFGS, Adam


def data(seed=0, n=240):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1] * X[:, 2], np.cos(X[:, 1])])
    return X, Y, (X[:60] + 0.1, Y[:60])


def without_timings(history):
    return history.drop(columns=["cpu_s", "wall_s"])


class Interrupt:
    """A callback that raises KeyboardInterrupt once, at iteration ``at``."""

    def __init__(self, at):
        self.at, self.fired = at, False

    def __call__(self, row):
        if row["iteration"] == self.at and not self.fired:
            self.fired = True
            raise KeyboardInterrupt


CONFIGS = {
    "lbfgs": dict(optimizer=LBFGS(max_iter=5), selector=bn.selection.MostSensitive(epsilon=0.3),
                  keep_state=True, patience=50),
    "adam": dict(optimizer=Adam(lr=1e-2), selector=bn.selection.PingPong(epsilon=0.2),
                 batch_size=40, epochs=1, keep_state=True),
    "icrs": dict(optimizer=ICRS(max_eval=60, seed=3), selector=bn.selection.RandomLayer(),
                 batch_shell=True, icrs_init=50, keep_state=True),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("interrupt_at", [1, 7])
def test_interrupt_and_resume_equals_an_uninterrupted_run(tmp_path, name, interrupt_at):
    X, Y, val = data()
    cfg = CONFIGS[name]

    def trainer(callbacks=(), checkpoint=None):
        return bn.Trainer(cfg["optimizer"].clone(), cfg["selector"].clone(), max_iter=12,
                          tol=0, seed=7, callbacks=callbacks, checkpoint=checkpoint,
                          checkpoint_every=3,
                          **{k: v for k, v in cfg.items() if k not in ("optimizer", "selector")})

    reference_net = bn.Network.mlp([3, 6, 6, 2], seed=1)
    reference = trainer().fit(reference_net, X, Y, validation=val)

    path = tmp_path / "run.npz"
    net = bn.Network.mlp([3, 6, 6, 2], seed=1)
    with pytest.raises(KeyboardInterrupt):
        trainer([Interrupt(interrupt_at)], checkpoint=path).fit(net, X, Y, validation=val)
    assert read_checkpoint(path)["iteration"] == interrupt_at - 1
    fresh = bn.Network.mlp([3, 6, 6, 2], seed=99)       # any start: the checkpoint has all
    resumed = trainer(checkpoint=path).fit(fresh, X, Y, validation=val, resume_from=path)

    assert without_timings(resumed.history).equals(without_timings(reference.history))
    np.testing.assert_array_equal(fresh.params, reference_net.params)
    assert resumed.stop_reason == reference.stop_reason


def test_periodic_checkpoints_and_refusals(tmp_path):
    X, Y, _ = data(1)
    path = tmp_path / "ck.npz"
    bn.Trainer("lbfgs", "forward", max_iter=7, tol=0, sensitivity_tol=None, checkpoint=path,
               checkpoint_every=3).fit(bn.Network.mlp([3, 4, 2], seed=0), X, Y)
    assert read_checkpoint(path)["iteration"] == 7            # the final state is written too
    with pytest.raises(ValueError, match="sizes"):
        bn.Trainer("lbfgs", "forward", max_iter=9).fit(
            bn.Network.mlp([3, 5, 2]), X, Y, resume_from=path)
    with pytest.raises(ValueError, match="other training data"):
        bn.Trainer("lbfgs", "forward", max_iter=9).fit(
            bn.Network.mlp([3, 4, 2]), X + 1, Y, resume_from=path)
    pickled = tmp_path / "evil.npz"
    pickled.write_bytes(pickle.dumps({"params": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        bn.Trainer().fit(bn.Network.mlp([3, 4, 2]), X, Y, resume_from=pickled)
    with pytest.raises(FileNotFoundError):
        bn.Trainer().fit(bn.Network.mlp([3, 4, 2]), X, Y, resume_from=tmp_path / "none.npz")
    with pytest.raises(TypeError, match="checkpoint must be a file path"):
        bn.Trainer(checkpoint=3)
