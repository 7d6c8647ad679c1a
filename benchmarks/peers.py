"""Peers on the same data, split, architecture, scaling and (where possible) starting weights.

- PyTorch (float64, CPU): full-batch L-BFGS (``torch.optim.LBFGS``, strong-Wolfe line search,
  memory 10 unless asked otherwise, the tolerances switched off so the budget decides) and
  mini-batch Adam (lr 1e-3, batches of 200 rows, like scikit-learn's default);
- scikit-learn's ``MLPRegressor``: ``solver="lbfgs"`` (SciPy's L-BFGS-B) and ``"adam"``
  (batches of 200, lr 1e-3), ``alpha=0`` (no weight decay, so it minimises the same MSE; its
  loss is half of ours, which moves nothing).

Both start from a copy of a bcdnet :class:`~bcdnet.network.Network`'s weights, so "same
starting point" means the same numbers.  scikit-learn has no public way to pass initial
weights; :func:`sklearn_train` overrides its private ``_init_coef`` and says so in the note
(falling back to its own Glorot initialisation if that hook changes).  PyTorch can also start
from its own default initialisation (``init="default"``: ``nn.Linear``'s
U(±1/√fan_in)), the starting point the issue's reference numbers used.

Each peer is skipped, with a note, when its package is not installed; nothing in
``bcdnet/`` imports either.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["available", "PeerResult", "torch_train", "sklearn_train"]


def available() -> dict:
    """Which peers can run: ``{"torch": bool, "sklearn": bool}``."""
    out = {}
    for name in ("torch", "sklearn"):
        try:
            __import__(name)
            out[name] = True
        except ImportError:
            out[name] = False
    return out


@dataclass
class PeerResult:
    """A peer's fit: a predictor on standardised inputs, its cost and a learning curve."""

    name: str
    predict: object
    cpu_s: float
    wall_s: float
    n_iter: int
    note: str = ""
    curve: list = field(default_factory=list)   # (cpu_s, monitor dict) after each chunk


def _activation_name(net) -> str:
    names = {layer.activation.name for layer in net.layers[:-1]}
    if len(names) != 1 or net.layers[-1].activation.name != "identity":
        raise ValueError(f"peers need one hidden activation and an identity output, got {names}")
    return names.pop()


class _Timer:
    """Process CPU and wall time that can be paused while a monitor evaluates metrics."""

    def __init__(self):
        self.cpu = self.wall = 0.0
        self._c = self._w = None

    def start(self):
        self._c, self._w = time.process_time(), time.perf_counter()

    def stop(self):
        self.cpu += time.process_time() - self._c
        self.wall += time.perf_counter() - self._w


# ---------------------------------------------------------------- PyTorch
def torch_train(start, X, Y, method: str = "lbfgs", *, iterations: int = 1000,
                epochs: int = 100, lr: float = 1e-3, batch_size: int = 200,
                init: str = "same", seed: int = 0, chunks: int = 20, monitor=None,
                history_size: int = 10):
    """Train a PyTorch copy of ``start`` on ``(X, Y)``; None when PyTorch is missing.

    Parameters
    ----------
    start : Network
        Architecture and (``init="same"``) starting weights.
    X, Y : ndarray of shape (n_samples, n_in), (n_samples, n_out)
        Standardised training data.
    method : {"lbfgs", "adam"}
    iterations : int
        L-BFGS iterations in total (run in ``chunks`` calls of ``step``; the memory
        carries over between calls, as in one long run).
    epochs, lr, batch_size : Adam's passes over the data, step size and batch rows.
    init : {"same", "default"}
        ``start``'s weights, or PyTorch's own ``nn.Linear`` initialisation from ``seed``.
    history_size : int
        L-BFGS memory (pairs); 10 as in L-BFGS-B, PyTorch's own default is 100.
    monitor : callable, optional
        ``monitor(predict) -> dict`` after each chunk (epoch for Adam), not timed.
    """
    try:
        import torch
    except ImportError:
        return None
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
           "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01)}[
        _activation_name(start)]
    if init == "same":
        Ws = [torch.tensor(layer.W.copy(), requires_grad=True) for layer in start.layers]
        bs = [torch.tensor(layer.b.copy(), requires_grad=True) for layer in start.layers]
    else:
        torch.manual_seed(seed)
        linears = [torch.nn.Linear(a, b, dtype=torch.float64)
                   for a, b in zip(start.sizes[:-1], start.sizes[1:])]
        Ws = [lin.weight.detach().T.contiguous().requires_grad_(True) for lin in linears]
        bs = [lin.bias.detach().clone().requires_grad_(True) for lin in linears]
    params = Ws + bs
    Xt, Yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(Y))

    def forward(A):
        for i, (W, b) in enumerate(zip(Ws, bs)):
            A = torch.addmm(b, A, W)
            if i < len(Ws) - 1:
                A = act(A)
        return A

    def predict(Xn):
        with torch.no_grad():
            return forward(torch.from_numpy(np.ascontiguousarray(Xn))).numpy().copy()

    timer, curve, n_iter = _Timer(), [], 0
    if method == "lbfgs":
        per_chunk = max(1, iterations // chunks)
        opt = torch.optim.LBFGS(params, lr=1.0, max_iter=per_chunk, max_eval=4 * per_chunk,
                                history_size=history_size, line_search_fn="strong_wolfe",
                                tolerance_grad=0.0, tolerance_change=0.0)

        def closure():
            opt.zero_grad()
            loss = torch.mean((forward(Xt) - Yt) ** 2)
            loss.backward()
            return loss

        done = 0
        while done < iterations:
            timer.start()
            opt.step(closure)
            timer.stop()
            done += per_chunk
            n_iter = opt.state[opt._params[0]].get("n_iter", done)
            if monitor is not None:
                curve.append((timer.cpu, monitor(predict)))
        note = f"full batch, strong Wolfe, memory {history_size}"
    elif method == "adam":
        opt = torch.optim.Adam(params, lr=lr)
        gen = torch.Generator().manual_seed(seed)
        n = Xt.shape[0]
        size = min(batch_size, n)
        for _ in range(epochs):
            timer.start()
            perm = torch.randperm(n, generator=gen)
            for k in range(0, n, size):
                rows = perm[k:k + size]
                opt.zero_grad()
                loss = torch.mean((forward(Xt[rows]) - Yt[rows]) ** 2)
                loss.backward()
                opt.step()
                n_iter += 1
            timer.stop()
            if monitor is not None:
                curve.append((timer.cpu, monitor(predict)))
        note = f"batches of {size}, lr {lr:g}, {epochs} epochs"
    else:
        raise ValueError(f"unknown method {method!r}; valid: 'lbfgs', 'adam'")
    note += ", " + ("bcdnet's starting weights" if init == "same"
                    else "PyTorch's default init (nn.Linear)")
    return PeerResult(f"PyTorch {'L-BFGS' if method == 'lbfgs' else 'Adam'}", predict,
                      timer.cpu, timer.wall, int(n_iter), note, curve)


# ---------------------------------------------------------------- scikit-learn
def sklearn_train(start, X, Y, solver: str = "lbfgs", *, iterations: int = 1000,
                  epochs: int = 100, lr: float = 1e-3, batch_size: int = 200, seed: int = 0):
    """Train scikit-learn's MLPRegressor like ``start``; None when it cannot.

    Returns None when scikit-learn is missing or the activation has no scikit-learn
    counterpart (LeakyReLU).  ``iterations`` bounds L-BFGS-B iterations, ``epochs`` Adam's.
    """
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor
    except ImportError:
        return None
    act = {"tanh": "tanh", "sigmoid": "logistic", "relu": "relu"}.get(_activation_name(start))
    if act is None:
        return None
    weights = [(layer.W.copy(), layer.b.copy()) for layer in start.layers]

    class SameStart(MLPRegressor):
        def _init_coef(self, fan_in, fan_out, dtype):   # private hook: our weights, in order
            W, b = weights.pop(0)
            return W.astype(dtype), b.astype(dtype)

    hidden = tuple(start.sizes[1:-1])
    common = dict(hidden_layer_sizes=hidden, activation=act, solver=solver, alpha=0.0,
                  random_state=seed, tol=0.0)
    if solver == "lbfgs":
        kwargs = dict(max_iter=iterations, max_fun=4 * iterations)
        note = "SciPy L-BFGS-B, memory 10"
    else:
        kwargs = dict(max_iter=epochs, batch_size=min(batch_size, X.shape[0]),
                      learning_rate_init=lr, n_iter_no_change=epochs + 1, shuffle=True)
        note = f"batches of {min(batch_size, X.shape[0])}, lr {lr:g}, {epochs} epochs"
    est = SameStart(**common, **kwargs)
    y = Y[:, 0] if Y.shape[1] == 1 else Y
    c0, w0 = time.process_time(), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            est.fit(X, y)
            note += ", bcdnet's starting weights (via the private _init_coef)"
        except (IndexError, AttributeError, TypeError):
            est = MLPRegressor(**common, **kwargs).fit(X, y)
            note += ", scikit-learn's own Glorot init (the _init_coef hook changed)"
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0

    def predict(Xn):
        return est.predict(Xn).reshape(Xn.shape[0], -1)

    name = f"scikit-learn {'L-BFGS' if solver == 'lbfgs' else 'Adam'}"
    return PeerResult(name, predict, cpu, wall, int(est.n_iter_), note)
