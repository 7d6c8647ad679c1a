r"""One-call checks of a new Activation, Layer or Loss: every test such a component needs.

Each ``check_*`` runs its component through the checks below, all in float64 against
central finite differences, and raises one ``AssertionError`` listing every check that
failed with its worst coordinates; on success it returns the list of
:class:`~bcdnet.testing.CheckReport` objects (print them to see the errors found).

1. **Its own derivatives**, elementwise or in the predictions:
   :math:`\sigma'` against :math:`(\sigma(z + h) - \sigma(z - h)) / 2h`, and
   :math:`\sigma''` against the same difference of :math:`\sigma'`; a loss's gradient
   against differences of its value and its Hessian-vector product against differences of
   its gradient.
2. **The calling contract**: ``out=`` is filled *and* returned; optional arguments given
   (``h = f(z)``, ``d1 = df(z)``) change nothing; inputs are not modified; shapes and dtypes
   (float32 stays float32) are kept; repeated calls give the same result.
3. **Inside a network**, where a mistake that the elementwise checks miss shows up (the
   backward pass reads what ``out=`` should have written): the gradient and the
   Hessian-vector product in the parameters, the sensitivities :math:`\partial E /
   \partial \alpha` and their Hessian-vector product, at scaling factors away from 1, and
   the gradient of the component's block with the layers below frozen.

Points near a kink (ReLU at 0) make any finite difference wrong, so the elementwise points
keep :math:`|z| \ge 0.1` unless you pass your own.  Everything runs on NumPy in float64 (and
float32 for the dtype checks), whatever the default backend: these are checks of the maths.
"""

from __future__ import annotations

import copy

import numpy as np

from .activations import get_activation
from .layers import Cache, Dense, Layer
from .losses import Loss
from .network import Network
from ._finite_differences import CheckReport, check_grad, check_hvp

__all__ = ["check_activation", "check_layer", "check_loss"]


def _elementwise(name, expected, computed, tol, where=None, k=5) -> CheckReport:
    """Compare arrays entry by entry, relative to ``max(1, |expected|)``; keep the worst."""
    expected = np.asarray(expected, dtype=np.float64).ravel()
    computed = np.asarray(computed, dtype=np.float64).ravel()
    error = np.abs(expected - computed) / np.maximum(1.0, np.abs(expected))
    error[np.isnan(error)] = np.inf
    order = np.argsort(-error)[:k]
    labels = order if where is None else [f"z={where.ravel()[i]:+.4g}" for i in order]
    worst = [(label, float(expected[i]), float(computed[i])) for label, i in zip(labels, order)]
    return CheckReport(name, float(error.max(initial=0.0)), tol, worst)


class _ContractReport(CheckReport):
    """A yes/no check of the calling contract: error 0 (kept) or 1 (broken), no coordinates."""

    def __str__(self) -> str:
        return f"{self.name}: {'ok' if self.passed else 'FAILED'}"


def _contract(name, ok: bool, what: str) -> CheckReport:
    return _ContractReport(f"{name}: {what}", 0.0 if ok else 1.0, 0.0)


def _out_reports(name, call, reference, template) -> list:
    """``call(out=buf)`` must return ``buf`` itself and leave ``reference`` in it."""
    buf = np.full_like(template, np.nan)
    result = call(out=buf)
    return [_contract(name, result is buf, "returns the array passed as out="),
            _elementwise(f"{name}: the values written into out=", reference, buf, 1e-12)]


def _raise_if_any_failed(component, reports) -> list:
    failed = [r for r in reports if not r.passed]
    if failed:
        text = "\n".join(str(r) for r in failed)
        raise AssertionError(f"{component} failed {len(failed)} of {len(reports)} checks:\n"
                             f"{text}")
    return reports


def _kink_free_points(rng, n=64):
    """Points of both signs with ``0.1 <= |z| <= 4``: away from a kink at 0."""
    return rng.choice([-1.0, 1.0], n) * rng.uniform(0.1, 4.0, n)


# ---------------------------------------------------------------------- inside a network
def _network_reports(net: Network, X, Y, rng) -> list:
    """Gradient, HVP, sensitivities and their HVP, and each block's frozen-prefix gradient."""
    net.scales = rng.uniform(0.6, 1.4, net.scales.size)    # the alpha != 1 code paths too
    net.params = net.params + 0.1 * rng.standard_normal(net.n_params)   # biases off 0 (kinks)
    theta, alpha = net.params.copy(), net.scales.copy()

    def at_params(p):
        net.params = p
        return net.loss_grad(X, Y)

    def at_scales(a):
        net.scales = a
        return net.scales_grad(X, Y)

    def hvp_at(p, v):
        net.params = p
        return net.hvp(X, Y, v)

    def scales_hvp_at(a, u):
        net.scales = a
        return net.scales_hvp(X, Y, u)

    reports = [
        check_grad(at_params, theta, name="network gradient in the parameters"),
        check_hvp(lambda p: at_params(p)[1], hvp_at, theta,
                  name="network Hessian-vector product in the parameters"),
        check_grad(at_scales, alpha, name="sensitivities dE/dalpha"),
        check_hvp(lambda a: at_scales(a)[1], scales_hvp_at, alpha,
                  name="Hessian-vector product in alpha"),
    ]
    net.params, net.scales = theta, alpha
    for k, block in enumerate(net.blocks):
        obj = net.block_objective(k, X, Y)
        reports.append(check_grad(obj, obj.x0(), name=f"gradient of block {k} ({block.name}) "
                                  "with the layers below frozen"))
        net.params = theta
    first = net.loss_grad(X, Y)[1].copy()
    net.loss_grad(X[:3], Y[:3])                                # another data size between
    again = net.loss_grad(X, Y)[1]
    reports.append(_elementwise("the same gradient twice (buffers reused)", first, again, 1e-14))
    return reports


def _data(rng, n_in, n_out, n=12):
    return rng.standard_normal((n, n_in)), rng.standard_normal((n, n_out))


# ---------------------------------------------------------------------- activation
def check_activation(activation, z=None, *, tol: float = 1e-6, seed: int = 0) -> list:
    r"""Run every check a new :class:`~bcdnet.activations.Activation` needs.

    Parameters
    ----------
    activation : Activation, Activation subclass or str
        What to check (an instance, a class, or a registered name).
    z : ndarray, optional
        Where to check :math:`\sigma'` and :math:`\sigma''` elementwise; by default 64
        points with :math:`0.1 \le |z| \le 4`.
    tol : float, default 1e-6
        Largest accepted error of a derivative, relative to ``max(1, |value|)``.
    seed : int, default 0
        Seed of the points, the data and the network.

    Returns
    -------
    list of CheckReport
        One per check (elementwise derivatives, contract, then the network checks), all
        passed.

    Raises
    ------
    AssertionError
        Listing every failed check with its worst coordinates: for the elementwise checks
        the input ``z``, the finite difference and the computed value.

    Examples
    --------
    >>> from bcdnet.testing import check_activation
    >>> reports = check_activation("tanh")
    """
    act = get_activation(activation)
    rng = np.random.default_rng(seed)
    z = _kink_free_points(rng) if z is None else np.array(z, dtype=np.float64)
    z_before = z.copy()
    h = 1e-6
    f, d1, d2 = act.f(z), act.df(z), act.d2f(z)
    reports = [
        _contract("f, df, d2f", all(a.shape == z.shape for a in (f, d1, d2)),
                  "keep the shape of z"),
        _elementwise("df against central differences of f",
                     (act.f(z + h) - act.f(z - h)) / (2 * h), d1, tol, where=z),
        _elementwise("d2f against central differences of df",
                     (act.df(z + h) - act.df(z - h)) / (2 * h), d2, tol, where=z),
        _elementwise("df(z, h=f(z)) against df(z)", d1, act.df(z, f), 1e-12, where=z),
        _elementwise("d2f(z, h=f(z), d1=df(z)) against d2f(z)", d2,
                     act.d2f(z, f, d1=d1), 1e-12, where=z),
    ]
    reports += _out_reports("f", lambda out: act.f(z, out=out), f, z)
    reports += _out_reports("df", lambda out: act.df(z, f, out=out), d1, z)
    reports += _out_reports("d2f", lambda out: act.d2f(z, f, out=out, d1=d1), d2, z)
    ratio = act.d2f_over_df(z, f)
    if ratio is not None:
        nonzero = d1 != 0
        reports.append(_elementwise("d2f_over_df against d2f / df", d2[nonzero] / d1[nonzero],
                                    ratio[nonzero], 1e-10, where=z[nonzero]))
        reports += _out_reports("d2f_over_df", lambda out: act.d2f_over_df(z, f, out=out),
                                ratio, z)
    if act.zero_curvature:
        reports.append(_elementwise("d2f = 0 (zero_curvature is True)", np.zeros_like(d2),
                                    d2, 0.0, where=z))
    z32 = z.astype(np.float32)
    reports.append(_contract("f, df, d2f", all(
        a.dtype == np.float32 for a in (act.f(z32), act.df(z32), act.d2f(z32))),
        "keep float32 as float32"))
    reports.append(_contract("f, df, d2f", np.array_equal(z, z_before), "leave z unchanged"))
    net = Network.mlp([3, 5, 4, 2], activation=act, seed=seed, backend="numpy")
    reports += _network_reports(net, *_data(rng, 3, 2), rng)
    return _raise_if_any_failed(f"activation {act!r}", reports)


# ---------------------------------------------------------------------- layer
def check_layer(layer: Layer, *, seed: int = 0) -> list:
    """Run every check a new :class:`~bcdnet.layers.Layer` needs.

    The layer is checked alone (``forward`` and ``backward`` shapes and dtypes) and as the
    middle of the network ``Dense(3, n_in) -> layer -> Dense(n_out, 2)``, so that its
    input gradient and the R-pass of its input are exercised too.  ``layer`` must be new
    (not bound to a network yet); it is copied, never modified.

    Parameters
    ----------
    layer : Layer
        What to check.
    seed : int, default 0
        Seed of the data, the weights and the scaling factors.

    Returns
    -------
    list of CheckReport
        The shapes and dtypes of ``forward`` and ``backward`` in float64 and float32, then
        the network checks; all passed.

    Raises
    ------
    AssertionError
        Listing every failed check; the worst coordinates index the network's parameter or
        scale vector, in which the layer checked is layer 1 (after a Dense layer 0).

    Examples
    --------
    >>> from bcdnet import Dense
    >>> from bcdnet.testing import check_layer
    >>> reports = check_layer(Dense(4, 3, activation="sigmoid"))
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a Layer, got {type(layer).__name__}")
    rng = np.random.default_rng(seed)
    reports = []
    for dtype in (np.float64, np.float32):
        alone = Network([copy.deepcopy(layer)], dtype=dtype, backend="numpy")
        alone = alone.initialize(seed).layers[0]
        A_prev = rng.standard_normal((7, layer.n_in)).astype(dtype)
        cache = Cache()
        A = alone.forward(A_prev, cache)
        dA_prev = alone.backward(np.ones_like(A), cache, ones=np.ones(7, dtype=dtype))
        name = np.dtype(dtype).name
        reports += [
            _contract("forward", A.shape == (7, layer.n_out) and A.dtype == dtype,
                      f"returns shape (n_samples, n_out) in {name}"),
            _contract("backward", dA_prev.shape == A_prev.shape and dA_prev.dtype == dtype,
                      f"returns shape (n_samples, n_in) in {name}"),
        ]
    net = Network([Dense(3, layer.n_in), copy.deepcopy(layer),
                   Dense(layer.n_out, 2, "identity")], backend="numpy")
    net.initialize(seed)
    reports += _network_reports(net, *_data(rng, 3, 2), rng)
    return _raise_if_any_failed(f"layer {layer!r}", reports)


# ---------------------------------------------------------------------- loss
def check_loss(loss: Loss, Y=None, *, seed: int = 0) -> list:
    r"""Run every check a new :class:`~bcdnet.losses.Loss` needs.

    ``grad`` against central differences of ``value``, ``hvp`` against central
    differences of ``grad`` (with and without sample weights), ``value_and_grad`` against
    the two, ``out=`` handling, shapes, and the loss inside a small network.

    Parameters
    ----------
    loss : Loss
        What to check.
    Y : ndarray of shape (n_samples, n_outputs), optional
        Targets to check at (a loss with a restricted domain needs its own); by default
        standard normal, shape (9, 2).
    seed : int, default 0
        Seed of the predictions, the weights and the network.

    Returns
    -------
    list of CheckReport
        Without and with sample weights: the derivatives in the predictions, ``out=``;
        then shapes and the network checks; all passed.

    Raises
    ------
    AssertionError
        Listing every failed check; for the checks in the predictions the worst coordinates
        index ``P.ravel()``.

    Examples
    --------
    >>> from bcdnet import MSE
    >>> from bcdnet.testing import check_loss
    >>> reports = check_loss(MSE())
    """
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a Loss, got {type(loss).__name__}")
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((9, 2)) if Y is None else np.array(Y, dtype=np.float64)
    P = Y + 0.5 * rng.standard_normal(Y.shape)
    P_before = P.copy()
    reports = []
    for weights in (None, rng.uniform(0.2, 2.0, Y.shape[0])):
        tag = "" if weights is None else " (sample weights)"

        def fun(p, w=weights):
            Pp = p.reshape(Y.shape)
            return loss.value(Pp, Y, w), np.array(loss.grad(Pp, Y, w)).ravel()

        reports.append(check_grad(fun, P.ravel(), name=f"grad against differences of value{tag}"))
        reports.append(check_hvp(lambda p, w=weights: fun(p, w)[1],
                                 lambda p, r, w=weights: np.ravel(
                                     loss.hvp(p.reshape(Y.shape), Y, r.reshape(Y.shape), w)),
                                 P.ravel(), name=f"hvp against differences of grad{tag}"))
        value, grad = loss.value_and_grad(P, Y, weights)
        reports.append(_elementwise(f"value_and_grad against value and grad{tag}",
                                    np.append(loss.value(P, Y, weights), loss.grad(P, Y, weights)),
                                    np.append(value, grad), 1e-12))
        R = rng.standard_normal(Y.shape)
        reports += _out_reports(f"grad{tag}", lambda out, w=weights: loss.grad(P, Y, w, out=out),
                                loss.grad(P, Y, weights), P)
        reports += _out_reports(f"hvp{tag}", lambda out, w=weights: loss.hvp(P, Y, R, w, out=out),
                                loss.hvp(P, Y, R, weights), P)
    reports += [
        _contract("value", np.ndim(loss.value(P, Y)) == 0, "returns a scalar"),
        _contract("grad", np.shape(loss.grad(P, Y)) == P.shape, "keeps the shape of P"),
        _contract("value, grad, hvp", np.array_equal(P, P_before), "leave P unchanged"),
    ]
    net = Network.mlp([3, 4, Y.shape[1]], loss=loss, seed=seed, backend="numpy")
    X = rng.standard_normal((Y.shape[0], 3))
    reports += _network_reports(net, X, Y, rng)
    return _raise_if_any_failed(f"loss {loss!r}", reports)
