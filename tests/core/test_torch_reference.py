"""PyTorch as an independent reference (skipped when torch is not installed)."""

import numpy as np
import pytest

import bcdnet as bn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_loss_gradient_and_hvp_equal_torch_autograd(activation):
    rng = np.random.default_rng(0)
    net = bn.Network.mlp([4, 7, 6, 2], activation=activation, seed=0)
    net.scales[:] = rng.uniform(0.5, 1.5, net.scales.size)
    X, Y = rng.normal(size=(50, 4)), rng.normal(size=(50, 2))
    v = rng.normal(size=net.n_params)
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}

    def loss_of(p):
        A = torch.from_numpy(X)
        for i, layer in enumerate(net.layers):
            chunk = p[net.param_slices[i]]
            W = chunk[:layer.W.size].reshape(layer.W.shape)
            Z = A @ W + chunk[layer.W.size:]
            H = Z if i == len(net.layers) - 1 else acts[activation](Z)
            A = H * torch.from_numpy(bn.to_numpy(net.scales)[net.scale_slices[i]].copy())
        return ((A - torch.from_numpy(Y)) ** 2).mean()

    p = torch.tensor(bn.to_numpy(net.params).copy(), requires_grad=True)   # any backend
    loss = loss_of(p)
    (g,) = torch.autograd.grad(loss, p, create_graph=True)
    (Hv,) = torch.autograd.grad(g, p, grad_outputs=torch.from_numpy(v))
    f, g_ours = net.loss_grad(X, Y)
    assert f == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(g_ours, g.detach().numpy(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(net.hvp(X, Y, v), Hv.numpy(), rtol=1e-10, atol=1e-13)
