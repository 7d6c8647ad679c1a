"""The strict namespace computes what NumPy computes: the same code, to 1e-12.

The strict arrays run NumPy underneath, so any difference would come from a code path that
depends on the backend (the BLAS route of ``_gemm`` is NumPy-only, for instance).
"""

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.backend import to_numpy
from strict_namespace import StrictArray

RTOL = 1e-12


@pytest.fixture(autouse=True)
def numpy_tanh(monkeypatch):
    """The strict namespace runs numpy.tanh; make NumPy arrays run it too, not the exp-based
    kernel of bcdnet._tanh (equal to 1e-15, which a training run would amplify)."""
    from bcdnet import _tanh
    monkeypatch.setattr(_tanh, "_path", "numpy")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, (80, 3))
    Y = np.column_stack([np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2], np.cos(X.sum(axis=1))])
    return X, Y, rng.uniform(0.5, 1.5, 80)


def pair(**kwargs):
    """The same network on NumPy and on the strict namespace."""
    args = dict(sizes=[3, 7, 6, 2], activation="tanh", seed=3)
    args.update(kwargs)
    sizes = args.pop("sizes")
    return (bn.Network.mlp(sizes, backend="numpy", **args),
            bn.Network.mlp(sizes, backend="strict", **args))


def close(strict, expected, rtol=RTOL):
    assert type(strict) is StrictArray
    expected = np.asarray(expected)
    np.testing.assert_allclose(to_numpy(strict), expected, rtol=rtol,
                               atol=rtol * max(np.abs(expected).max(), 1e-300))


def test_the_strict_network_lives_on_the_strict_namespace():
    _, net = pair()
    assert net.backend == "strict" and type(net.params) is StrictArray
    assert type(net.layers[0].W) is StrictArray and type(net.scales) is StrictArray


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "identity"])
def test_loss_grad_hvp_gnvp_and_sensitivities(data, activation):
    X, Y, w = data
    a, b = pair(activation=activation)
    v = np.random.default_rng(1).standard_normal(a.n_params)
    u = np.random.default_rng(2).standard_normal(a.scales.size)
    for weights in (None, w):
        fa, ga = a.loss_grad(X, Y, weights)
        fb, gb = b.loss_grad(X, Y, weights)
        assert fb == pytest.approx(fa, rel=RTOL)
        close(gb, ga)
        close(b.hvp(X, Y, v, weights), a.hvp(X, Y, v, weights))
        close(b.gnvp(X, Y, v, weights), a.gnvp(X, Y, v, weights))
        close(b.scales_hvp(X, Y, u, weights), a.scales_hvp(X, Y, u, weights))
        close(b.scales_grad(X, Y, weights)[1], a.scales_grad(X, Y, weights)[1])
        close(b.predict(X), a.predict(X))
    sa, sb = bn.sensitivity(a, X, Y), bn.sensitivity(b, X, Y)
    np.testing.assert_allclose(sb.layer_scores(order=2), sa.layer_scores(order=2), rtol=1e-10)


def test_block_objective_and_fd_sensitivity(data):
    X, Y, _ = data
    a, b = pair()
    oa, ob = a.block_objective(1, X, Y), b.block_objective(1, X, Y)
    fa, ga = oa(oa.x0())
    fb, gb = ob(ob.x0())
    assert fb == pytest.approx(fa, rel=RTOL)
    close(gb, ga)
    v = np.ones(oa.size)
    close(ob.hvp(ob.x0(), v), oa.hvp(oa.x0(), v))
    close(bn.sensitivity(b, X, Y, method="fd").values,
          bn.sensitivity(a, X, Y, method="fd").values, rtol=1e-9)


@pytest.mark.parametrize("trainer", [
    dict(optimizer=bn.optim.LBFGS(max_iter=10), selector="most_sensitive"),
    dict(optimizer=bn.optim.Adam(lr=1e-2), selector="ping_pong", batch_size=16, epochs=2),
    dict(optimizer=bn.optim.ICRS(max_eval=60, seed=0), selector="random"),
    dict(optimizer=bn.optim.BarzilaiBorwein(max_iter=10), selector="bisection", icrs_init=50,
         batch_shell=True),
], ids=["lbfgs", "adam", "icrs", "bb-icrs-init-shells"])
def test_short_training_runs_match(data, trainer):
    X, Y, w = data
    a, b = pair()
    ra = bn.Trainer(max_iter=6, seed=0, **trainer).fit(a, X, Y, w, validation=(X[:20], Y[:20]))
    rb = bn.Trainer(max_iter=6, seed=0, **trainer).fit(b, X, Y, w, validation=(X[:20], Y[:20]))
    assert list(rb.history["block"]) == list(ra.history["block"])
    np.testing.assert_allclose(rb.history["train_loss"], ra.history["train_loss"], rtol=RTOL)
    close(b.params, a.params, rtol=1e-10)


def test_to_moves_in_place_and_back(data):
    X, Y, _ = data
    a, b = pair()
    f = a.loss_value(X, Y)
    assert a.to("strict") is a and type(a.params) is StrictArray and a.backend == "strict"
    assert a.loss_value(X, Y) == pytest.approx(f, rel=RTOL)
    a.to("numpy")
    assert type(a.params) is np.ndarray and type(a.layers[1].b) is np.ndarray
    np.testing.assert_array_equal(a.params, b.params)


def test_save_and_load_through_the_host(tmp_path, data):
    X, Y, _ = data
    _, b = pair()
    bn.save(b, tmp_path / "net.npz")
    back = bn.load(tmp_path / "net.npz")
    np.testing.assert_array_equal(back.predict(X), b.predict(X))
