"""Hypothesis strategies for random networks and data (the one module the tests draw networks from)."""

import numpy as np
from hypothesis import strategies as st

import bcdnet as bn

ACTIVATION_NAMES = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]


@st.composite
def problems(draw, activation, max_layers=6, max_width=12, max_samples=50, weights=None,
             random_scales=True):
    """A network of 1-6 Dense layers (widths 1-12, 1-3 outputs) and data of 1-50 samples.

    Returns ``(net, X, Y, w)``; ``w`` is None or positive sample weights.  The scales are
    random around 1 (or exactly 1) so every derivative in α is exercised.
    """
    n_layers = draw(st.integers(1, max_layers))
    widths = draw(st.lists(st.integers(1, max_width), min_size=n_layers, max_size=n_layers))
    widths[-1] = draw(st.integers(1, 3))
    n_in = draw(st.integers(1, max_width))
    n = draw(st.integers(1, max_samples))
    seed = draw(st.integers(0, 2**31 - 1))
    use_weights = draw(st.booleans()) if weights is None else weights
    scaled = draw(st.booleans()) if random_scales else False
    rng = np.random.default_rng(seed)
    net = bn.Network.mlp([n_in] + widths, activation=activation, seed=seed)
    if scaled:
        net.scales[:] = rng.uniform(0.5, 1.5, net.scales.size)
    X = rng.normal(size=(n, n_in))
    Y = rng.normal(size=(n, widths[-1]))
    w = rng.uniform(0.1, 3.0, n) if use_weights else None
    return net, X, Y, w


def min_abs_preactivation(net, X):
    """The smallest |Z| over hidden layers: finite differences are unreliable near a kink."""
    smallest, A = np.inf, X
    for layer in net.layers:
        Z = A @ layer.W + layer.b
        if layer is not net.layers[-1]:
            smallest = min(smallest, float(np.abs(Z).min()))
        A = layer.activation.f(Z) * layer.scales
    return smallest


def kink_free(net, X, activation):
    """True unless a piecewise-linear activation has a pre-activation within 1e-4 of 0."""
    if activation not in ("relu", "leaky_relu"):
        return True
    return min_abs_preactivation(net, X) > 1e-4


def at_point(net, X, Y, w=None, space="params"):
    """``(fun, grad, hvp)`` of the loss as functions of ``net.params`` or ``net.scales``.

    ``fun(x) -> (E, g)``, ``grad(x) -> g`` and ``hvp(x, v) -> Hv`` each write ``x`` into the
    network first: the shapes :func:`bcdnet.testing.check_grad` and ``check_hvp`` take.
    """
    if space == "params":
        value_grad, product = net.loss_grad, net.hvp
    elif space == "scales":
        value_grad, product = net.scales_grad, net.scales_hvp
    else:
        raise ValueError(f"space must be 'params' or 'scales', got {space!r}")

    def fun(x):
        setattr(net, space, x)
        return value_grad(X, Y, w)

    def hvp(x, v):
        setattr(net, space, x)
        return product(X, Y, v, w)
    return fun, (lambda x: fun(x)[1]), hvp
