"""The public boundary: hypothesis-drawn bad input either works or raises ValueError/TypeError.

Every entry point a user can call with data or settings (``Network.mlp``, ``predict``,
``loss_grad``, ``hvp``, ``scales_grad``, ``block_objective``, ``Trainer`` and its ``fit``,
``BCDRegressor.fit``/``predict``, the dataset loaders and ``bn.io.load``) gets 500 drawn
inputs: wrong shapes, dtypes (strings, bytes, objects, complex, datetimes), NaN, inf, empty
arrays, values near 1e300, and wrong types (None, dicts, strings, sets).  A call passes when
it returns without a RuntimeWarning, or raises ValueError or TypeError with a message
(FileNotFoundError or another OSError too for the loaders and ``load``, which read files).
Anything else, e.g. an IndexError from deep inside NumPy, fails the test.

Budgets are tiny (``max_iter`` 1-2) so the 500 examples per entry point run in seconds.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import bcdnet as bn
from bcdnet import io as bio
from bcdnet.datasets import load_ccpp, load_steel, make_cstr, train_test_split
from boundary_strategies import (CSV_TEXT, DTYPES, FILE_ERRORS, FLOATS, JUNK, at_boundary,
                                 bad_arrays, data, good_arrays, huge_data, maybe, moderate,
                                 sample_weights)

SETTINGS = settings(max_examples=500)
NET_SIZES = [3, 4, 2]


# ---------------------------------------------------------------------- Network
# Widths stay small: a drawn width of 30,000 would allocate gigabytes before any check.
SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)
SMALL_SIZES = st.one_of(
    hnp.arrays(st.sampled_from([np.int8, np.int64, np.float64]), SHAPES,
               elements=st.integers(-3, 6)),
    hnp.arrays(np.uint16, SHAPES, elements=st.integers(0, 6)),
    st.lists(st.one_of(st.integers(-3, 6), st.floats(-3, 6), st.none(), st.text(max_size=2),
                       st.sampled_from([np.int32(3), np.float64(3.0), True, 2**70])),
             max_size=4),
    st.none(), st.text(max_size=4), st.integers(-3, 6),
    st.dictionaries(st.integers(0, 3), st.integers(0, 3)))


def test_network_mlp_of_impossible_size():
    """Widths beyond memory fail at once (MemoryError is fine: nothing is allocated)."""
    for sizes in ([10**12, 1], [10**20, 1], [2**62, 2]):
        with pytest.raises((ValueError, MemoryError)):
            bn.Network.mlp(sizes)


@SETTINGS
@given(sizes=maybe(st.lists(st.integers(-2, 6), max_size=5), SMALL_SIZES),
       activation=maybe(st.sampled_from(["tanh", "relu", "Leaky-ReLU", "sigmoid", "linear"])),
       output_activation=maybe(st.sampled_from(["identity", "tanh"])),
       init=maybe(st.sampled_from([None, "glorot", "he", "orthogonal"])),
       seed=maybe(st.integers(-5, 2**64) | st.none()),
       dtype=maybe(st.sampled_from([np.float32, np.float64, "float64"]),
                   DTYPES | st.sampled_from([int, complex, "abc", object, str]) | JUNK))
def test_network_mlp(sizes, activation, output_activation, init, seed, dtype):
    net = at_boundary(bn.Network.mlp, sizes, activation=activation, init=init,
                      output_activation=output_activation, seed=seed, dtype=dtype)
    if net is not None:
        assert np.isfinite(net.params).all() and net.dtype.kind == "f"


def check_finite(inputs, *outputs):
    """Outputs of a call that worked on moderate input must be finite."""
    if moderate(*inputs):
        for out in outputs:
            assert np.isfinite(out).all(), f"non-finite result {out} from moderate input"


@SETTINGS
@given(X=data(5, 3))
def test_predict(net, X):
    P = at_boundary(net.predict, X)
    if P is not None:
        assert P.shape[1] == 2
        check_finite([X], P)


@pytest.mark.parametrize("method, like", [("loss_grad", "params"), ("scales_grad", "scales")])
@SETTINGS
@given(X=data(5, 3), Y=data(5, 2), w=sample_weights(5))
def test_loss_grad_and_scales_grad(net, method, like, X, Y, w):
    out = at_boundary(getattr(net, method), X, Y, w)
    if out is not None:
        assert out[1].shape == getattr(net, like).shape
        check_finite([X, Y, w], *out)


@SETTINGS
@given(X=data(5, 3), Y=data(5, 2), v=good_arrays(26) | bad_arrays(26, 1))
def test_hvp(net, X, Y, v):
    Hv = at_boundary(net.hvp, X, Y, v)
    if Hv is not None:
        assert Hv.shape == net.params.shape
        check_finite([X, Y, v], Hv)


@SETTINGS
@given(block=maybe(st.integers(-2, 3)), X=data(5, 3), Y=data(5, 2), w=sample_weights(5))
def test_block_objective(net, block, X, Y, w):
    obj = at_boundary(net.block_objective, block, X, Y, w)
    if obj is not None:
        check_finite([X, Y, w], *obj(obj.x0()))


# ---------------------------------------------------------------------- Trainer
@SETTINGS
@given(optimizer=maybe(st.sampled_from(["lbfgs", "adam", "gd", "bb", "icrs"])),
       selector=maybe(st.sampled_from(["most_sensitive", "bisection", "random", "forward",
                                       "ping_pong", "all"])),
       max_iter=maybe(st.integers(-1, 2)), inner_max_iter=maybe(st.none() | st.integers(-1, 2)),
       batch_size=maybe(st.none() | st.integers(-1, 3)), tol=maybe(FLOATS),
       shell_factor=maybe(FLOATS), icrs_init=maybe(st.integers(-1, 3)),
       patience=maybe(st.none() | st.integers(-1, 2)), seed=maybe(st.integers(-1, 2**40)),
       callbacks=maybe(st.just(()), st.lists(JUNK, max_size=2)))
def test_trainer_settings(optimizer, selector, max_iter, inner_max_iter, batch_size, tol,
                          shell_factor, icrs_init, patience, seed, callbacks):
    """Drawn settings, and a tiny fit with them when they are accepted and the budget is."""
    trainer = at_boundary(bn.Trainer, optimizer, selector, max_iter=max_iter, tol=tol,
                          inner_max_iter=inner_max_iter, batch_size=batch_size, seed=seed,
                          shell_factor=shell_factor, icrs_init=icrs_init, patience=patience,
                          callbacks=callbacks, batch_shell=True, progress=False)
    if trainer is not None and trainer.max_iter <= 2 and (trainer.inner_max_iter or 3) <= 3:
        trainer.optimizer.max_iter = min(getattr(trainer.optimizer, "max_iter", 3) or 3, 3)
        net = bn.Network.mlp(NET_SIZES, seed=0)
        X = np.random.default_rng(0).normal(size=(40, 3))
        if at_boundary(trainer.fit, net, X, X[:, :2] ** 2) is not None:
            assert np.isfinite(net.params).all()


TRAINERS = [bn.Trainer(bn.optim.LBFGS(max_iter=2), "most_sensitive", max_iter=2, progress=False),
            bn.Trainer("adam", "all", max_iter=1, inner_max_iter=2, batch_size=2,
                       progress=False),
            bn.Trainer("icrs", "bisection", max_iter=1, inner_max_iter=3, icrs_init=3,
                       progress=False)]


@SETTINGS
@given(which=st.sampled_from(range(len(TRAINERS))), net_arg=maybe(st.just("net")),
       X=data(6, 3), Y=data(6, 2), w=sample_weights(6),
       validation=st.none() | st.tuples(data(3, 3), data(3, 2)) | JUNK)
def test_trainer_fit(which, net_arg, X, Y, w, validation):
    net = bn.Network.mlp(NET_SIZES, seed=0) if net_arg == "net" else net_arg
    result = at_boundary(TRAINERS[which].fit, net, X, Y, w, validation)
    if result is not None:
        assert np.isfinite(net.params).all(), f"non-finite parameters; {result.stop_reason}"
        assert isinstance(result.stop_reason, str) and result.stop_reason


# ---------------------------------------------------------------------- BCDRegressor
@SETTINGS
@given(X=data(8, 2), y=data(8, 1) | good_arrays(8), w=sample_weights(8),
       hidden=maybe(st.just((3,)), st.lists(st.integers(-1, 3) | JUNK, max_size=2) | JUNK),
       activation=maybe(st.just("tanh")), optimizer=maybe(st.sampled_from(["lbfgs", "adam"])),
       validation_fraction=maybe(st.just("auto") | st.floats(0, 0.5), FLOATS | JUNK),
       random_state=maybe(st.integers(0, 5)))
def test_regressor_fit(X, y, w, hidden, activation, optimizer, validation_fraction,
                       random_state):
    est = bn.BCDRegressor(hidden=hidden, activation=activation, optimizer=optimizer,
                          validation_fraction=validation_fraction, max_iter=1,
                          inner_max_iter=2, random_state=random_state, progress=False)
    if at_boundary(est.fit, X, y, w) is not None:
        assert np.isfinite(est.net_.params).all()
        check_finite([X, y, w], est.predict(X))


@SETTINGS
@given(X=data(4, 3))
def test_regressor_predict(fitted, X):
    y = at_boundary(fitted.predict, X)
    if y is not None:
        assert y.ndim == 1
        check_finite([X], y)


# ---------------------------------------------------------------------- datasets
@SETTINGS
@given(n_samples=maybe(st.integers(-3, 2000) | st.sampled_from([16, 81, 256])),
       design=maybe(st.sampled_from(["grid", "random"])),
       noise=maybe(st.floats(0, 1) | st.sampled_from([1e300, 1e308]), FLOATS),
       seed=maybe(st.integers(0, 2**64) | st.none()))
def test_make_cstr(n_samples, design, noise, seed):
    dataset = at_boundary(make_cstr, n_samples, design=design, noise=noise, seed=seed)
    if dataset is not None:
        assert np.isfinite(dataset.X.to_numpy()).all()
        assert np.isfinite(dataset.y.to_numpy()).all()


def test_make_cstr_of_impossible_size():
    """Sample counts beyond memory fail at once (MemoryError is fine: nothing is allocated)."""
    for n_samples, design in [(10**12, "grid"), (10**12, "random"), (2**70, "random")]:
        with pytest.raises((ValueError, MemoryError)):
            make_cstr(n_samples, design=design)


@SETTINGS
@given(dataset=st.one_of(data(10, 2), st.tuples(data(10, 2), data(10, 1)), st.just(()), JUNK),
       test_size=maybe(st.floats(0.05, 0.95), FLOATS | JUNK),
       seed=maybe(st.integers(0, 2**64) | st.none()))
def test_train_test_split(dataset, test_size, seed):
    at_boundary(train_test_split, dataset, test_size=test_size, seed=seed)


@pytest.fixture(scope="module")
def data_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("data_home")
    (home / "ccpp").mkdir()
    (home / "siec").mkdir()
    return home


@SETTINGS
@given(data_home_arg=st.one_of(JUNK, st.text(max_size=8), st.just("home"), st.just("file")),
       content=CSV_TEXT, loader=st.sampled_from([load_ccpp, load_steel]),
       verify=st.booleans())
def test_uci_loaders(data_home, data_home_arg, content, loader, verify):
    """Bad ``data_home`` values, and data files of drawn content; downloads are off."""
    target = data_home / ("ccpp/Folds5x2_pp.csv" if loader is load_ccpp
                          else "siec/Steel_industry_data.csv")
    target.write_text(content, encoding="utf-8", errors="surrogatepass")
    data_home_arg = {"home": data_home, "file": target}.get(data_home_arg, data_home_arg) \
        if isinstance(data_home_arg, str) else data_home_arg
    at_boundary(loader, data_home=data_home_arg, download_if_missing=False, verify=verify,
                allowed=FILE_ERRORS)


# ---------------------------------------------------------------------- io.load
@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.npz"
    bio.save(bn.Network.mlp([2, 3, 1], seed=0), path)
    return path.read_bytes()


@SETTINGS
@given(content=st.binary(max_size=300) | st.binary(max_size=40).map(lambda b: b"PK\x03\x04" + b),
       mutation=st.tuples(st.integers(0, 10**6), st.integers(0, 255), st.booleans()),
       use_model=st.booleans(), path_arg=maybe(st.just("path"), JUNK))
def test_io_load(tmp_path_factory, model_bytes, content, mutation, use_model, path_arg):
    """Random bytes, and saved models with one byte changed or cut short."""
    path = tmp_path_factory.getbasetemp() / "random.npz"
    if use_model:
        position, value, cut = mutation
        position %= len(model_bytes)
        content = (model_bytes[:position] if cut else
                   model_bytes[:position] + bytes([value]) + model_bytes[position + 1:])
    path.write_bytes(content)
    at_boundary(bio.load, path if path_arg == "path" else path_arg, allowed=FILE_ERRORS)


# ---------------------------------------------------------------------- values near 1e300
@pytest.mark.parametrize("optimizer", ["lbfgs", "adam", "gd", "bb", "icrs"])
@pytest.mark.parametrize("selector", ["all", "most_sensitive", "random"])
@pytest.mark.parametrize("where", ["X", "Y", "both"])
@pytest.mark.parametrize("scale", [1e300, 1e152])   # 1e152: finite loss, gradients ~1e154
def test_values_near_1e300_end_with_finite_parameters(optimizer, selector, where, scale):
    X, Y = huge_data(where, scale=scale)
    net = bn.Network.mlp(NET_SIZES, seed=0)
    trainer = bn.Trainer(optimizer, selector, max_iter=4, inner_max_iter=5, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = trainer.fit(net, X, Y)
    assert np.isfinite(net.params).all(), result.stop_reason
    assert isinstance(result.stop_reason, str) and result.stop_reason


@pytest.mark.parametrize("optimizer", [bn.optim.GD(lr=1e12), bn.optim.Adam(lr=1e12),
                                       bn.optim.LBFGS(lr=1e12, line_search=None)])
def test_exploding_learning_rate_ends_with_finite_parameters(optimizer):
    X, Y = huge_data("Y", scale=1e150)
    net = bn.Network.mlp(NET_SIZES, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = bn.Trainer(optimizer, "all", max_iter=5, inner_max_iter=10, tol=0,
                            progress=False).fit(net, X, Y)
    assert np.isfinite(net.params).all(), result.stop_reason
    assert result.stop_reason
