"""The real CuPy path: runs only where CuPy and a usable CUDA device exist, skips elsewhere."""

import numpy as np
import pytest

import bcdnet as bn
from bcdnet import backend


def _cupy_or_none():
    try:
        return backend.get_namespace("cupy")
    except ImportError:
        return None


cupy = _cupy_or_none()
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(cupy is None, reason="needs CuPy and a usable CUDA device "
                                                      '(pip install "bcdnet[gpu]")')]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, (200, 4))
    return X, np.sin(X @ np.array([1.0, -2.0, 0.5, 1.5]))[:, None]


def test_network_on_the_gpu_matches_numpy(data):
    X, Y = data
    host = bn.Network.mlp([4, 16, 16, 1], seed=0, backend="numpy")
    gpu = bn.Network.mlp([4, 16, 16, 1], seed=0, backend="cupy")
    assert isinstance(gpu.params, cupy.ndarray) and isinstance(gpu.layers[0].W, cupy.ndarray)
    f0, g0 = host.loss_grad(X, Y)
    f1, g1 = gpu.loss_grad(X, Y)
    assert f1 == pytest.approx(f0, rel=1e-10)
    np.testing.assert_allclose(backend.to_numpy(g1), g0, rtol=1e-9, atol=1e-12)
    v = np.random.default_rng(1).standard_normal(host.n_params)
    np.testing.assert_allclose(backend.to_numpy(gpu.hvp(X, Y, v)), host.hvp(X, Y, v),
                               rtol=1e-9, atol=1e-12)
    assert isinstance(gpu.predict(X), cupy.ndarray)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam", "icrs"])
def test_training_on_the_gpu(data, optimizer):
    X, Y = data
    net = bn.Network.mlp([4, 16, 16, 1], seed=0).to("cupy")
    start = net.loss_value(X, Y)
    result = bn.Trainer(optimizer, "most_sensitive", max_iter=5, seed=0).fit(net, X, Y)
    assert result.train_loss < start
    assert bn.metrics.r2_score(Y, net.predict(X)) > -1.0     # host metrics take device arrays


def test_float32_on_the_gpu(data):
    X, Y = data
    net = bn.Network.mlp([4, 16, 1], seed=0, backend="cupy", dtype="float32")
    f, g = net.loss_grad(X, Y)
    assert g.dtype == np.float32 and np.isfinite(f)
