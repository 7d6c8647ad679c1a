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
    full_budget(7, checkpoint=path, checkpoint_every=3).fit(bn.Network.mlp([3, 4, 2], seed=0),
                                                            X, Y)
    assert read_checkpoint(path)["iteration"] == 7            # the final state is written too
    with pytest.raises(ValueError, match="fingerprint.architecture"):
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


# ---------------------------------------------------------------------- fingerprint, budget
def full_budget(max_iter, **options):
    """A Trainer that runs all ``max_iter`` iterations (no loss or sensitivity tolerance)."""
    return bn.Trainer("lbfgs", "forward", max_iter=max_iter, tol=0, sensitivity_tol=None,
                      **options)


def checkpointed_run(tmp_path, net=None, max_iter=4, validation=None, X=None, Y=None):
    X0, Y0, _ = data(2, n=80)
    X, Y = (X0 if X is None else X), (Y0 if Y is None else Y)
    path = tmp_path / "ck.npz"
    net = net or bn.Network.mlp([3, 4, 2], seed=0)
    full_budget(max_iter, checkpoint=path, checkpoint_every=2).fit(net, X, Y, validation=validation)
    return path, X, Y


@pytest.mark.parametrize("other, field", [
    (dict(activation="relu"), "fingerprint.architecture"),
    (dict(dtype="float32"), "fingerprint.dtype"),
    (dict(sizes=[3, 5, 2]), "fingerprint.architecture"),
])
def test_resuming_another_network_is_refused(tmp_path, other, field):
    path, X, Y = checkpointed_run(tmp_path)
    kwargs = {"sizes": [3, 4, 2], "seed": 0, **other}
    net = bn.Network.mlp(kwargs.pop("sizes"), **kwargs)
    with pytest.raises(ValueError, match=field) as info:
        bn.Trainer("lbfgs", "forward", max_iter=6).fit(net, X, Y, resume_from=path)
    assert str(path) in str(info.value)


def test_resuming_with_other_validation_data_is_refused(tmp_path):
    X, Y, _ = data(2, n=80)
    path, X, Y = checkpointed_run(tmp_path, validation=(X[:20], Y[:20]))
    with pytest.raises(ValueError, match="fingerprint.validation"):
        bn.Trainer("lbfgs", "forward", max_iter=6).fit(
            bn.Network.mlp([3, 4, 2]), X, Y, validation=(X[20:40], Y[20:40]), resume_from=path)
    with pytest.raises(ValueError, match="fingerprint.validation"):
        bn.Trainer("lbfgs", "forward", max_iter=6).fit(
            bn.Network.mlp([3, 4, 2]), X, Y, resume_from=path)


def test_a_float32_run_resumes(tmp_path):
    net = bn.Network.mlp([3, 4, 2], seed=0, dtype="float32")
    path, X, Y = checkpointed_run(tmp_path, net=net)
    fresh = bn.Network.mlp([3, 4, 2], seed=5, dtype="float32")
    result = full_budget(6).fit(fresh, X, Y, resume_from=path)
    assert result.n_iter == 6


def test_a_finished_run_continues_with_a_larger_budget(tmp_path):
    path, X, Y = checkpointed_run(tmp_path, max_iter=4)
    reference_net = bn.Network.mlp([3, 4, 2], seed=0)
    reference = full_budget(8).fit(reference_net, X, Y)
    net = bn.Network.mlp([3, 4, 2], seed=3)
    resumed = full_budget(8).fit(net, X, Y, resume_from=path)
    assert resumed.n_iter == 8
    assert without_timings(resumed.history).equals(without_timings(reference.history))
    np.testing.assert_array_equal(net.params, reference_net.params)
    same = full_budget(4).fit(bn.Network.mlp([3, 4, 2]), X, Y, resume_from=path)
    assert same.n_iter == 4 and same.stop_reason.startswith("max_iter")


# ---------------------------------------------------------------------- malformed files
def rewritten(path, tmp_path, change):
    """A copy of checkpoint ``path`` with ``change(state)`` applied, written as a checkpoint."""
    from bcdnet.checkpoint import write_checkpoint

    state = read_checkpoint(path)
    change(state)
    target = tmp_path / "bad.npz"
    write_checkpoint(target, state)
    return target


def _set(key, value):
    return lambda state: state.__setitem__(key, value)


MALFORMED = [
    ("iteration", _set("iteration", "seven")), ("iteration", _set("iteration", -1)),
    ("iteration", lambda s: s.pop("iteration")), ("params", _set("params", np.zeros(3))),
    ("params", _set("params", [1.0, 2.0])), ("scales", _set("scales", None)),
    ("last_good", lambda s: s.pop("last_good")), ("best_params", _set("best_params", "x")),
    ("stop", _set("stop", 3)), ("best_val", _set("best_val", "low")),
    ("losses", _set("losses", ["a"])), ("rows", _set("rows", [1, 2])),
    ("rng", _set("rng", "{not json")), ("rng", _set("rng", '{"bit_generator": "Nope"}')),
    ("selector", _set("selector", {"selector": "Other"})), ("selector", _set("selector", 5)),
    ("optimizers[0]", lambda s: s["optimizers"][0].pop("first")),
    ("optimizers[0].state", lambda s: s["optimizers"][0]["state"].pop("optimizer")),
    ("optimizers[0]", lambda s: s["optimizers"][0].update(last=99)),
    ("perm", _set("perm", np.arange(5))), ("last_block", _set("last_block", [1])),
    ("fingerprint", _set("fingerprint", None)), ("pos", _set("pos", 1.5)),
]


@pytest.mark.parametrize("field, change", MALFORMED, ids=[f"{f}-{i}" for i, (f, _) in
                                                          enumerate(MALFORMED)])
def test_every_malformed_field_is_a_value_error_naming_file_and_field(tmp_path, field, change):
    path, X, Y = checkpointed_run(tmp_path)
    bad = rewritten(path, tmp_path, change)
    with pytest.raises(ValueError) as info:
        bn.Trainer("lbfgs", "forward", max_iter=6).fit(bn.Network.mlp([3, 4, 2]), X, Y,
                                                        resume_from=bad)
    message = str(info.value)
    assert str(bad) in message and f"'{field}" in message, message


@pytest.mark.parametrize("raw, match", [
    (b'{"format": "bcdnet-checkpoint", "format_version": 2}', "state"),
    (b'{"format": "bcdnet-checkpoint", "format_version": 2, "state": {"p": {"__array__": "a9"}}}',
     r"holds the arrays \[\]"),
    (b'{"format": "bcdnet-checkpoint", "format_version": 2, "state": {"p": {"__array__": 5}}}',
     "array reference"),
    (b'{"format": "bcdnet-checkpoint", "format_version": 2, "state": ' + b"[" * 5000
     + b"]" * 5000 + b"}", "not valid JSON|nested|state"),
    (b'{"format": "bcdnet-checkpoint", "format_version": "2", "state": {}}', "format_version"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_crafted_headers_are_value_errors(tmp_path, raw, match):
    path = tmp_path / "crafted.npz"
    np.savez(path, header=np.frombuffer(raw, dtype=np.uint8))
    with pytest.raises(ValueError, match=match) as info:
        read_checkpoint(path)
    assert str(path) in str(info.value)
