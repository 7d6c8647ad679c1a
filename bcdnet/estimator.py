"""BCDRegressor: a scikit-learn-style estimator over the Network and the Trainer.

.. code-block:: python

    est = bn.BCDRegressor(random_state=0).fit(X, y)
    est.predict(X_new); est.score(X_test, y_test)      # R²

It standardises X and y on the training rows, fits a linear least-squares model, holds out
a validation fraction for early stopping (the best validation parameters are kept, the
linear model itself included), and trains tanh MLPs on the linear model's residuals with a
:class:`~bcdnet.trainer.Trainer`: by default two, from different random starts, whose
predictions are averaged.  Follows the scikit-learn conventions without depending
on scikit-learn: ``__init__`` only stores its arguments, ``fit`` does the work and returns
``self``, fitted attributes end in ``_``, ``get_params``/``set_params`` work on the
constructor arguments, and ``random_state`` makes ``fit`` repeatable.

How the defaults were chosen is recorded in ``benchmarks/results/regressor_defaults.md``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from ._validation import (as_float_array, check_choice, check_int, check_matrix,
                          check_no_overflow, check_probability, check_rng_seed,
                          check_sample_weight)
from ._threads import limit_threads
from .backend import to_numpy
from .datasets import Standardizer
from .metrics import r2_score
from .network import Network, row_chunks
from .optim import OPTIMIZERS, Optimizer, get_optimizer
from .selection import SELECTORS, Selector, get_selector
from .trainer import Trainer

__all__ = ["BCDRegressor", "NotFittedError"]


class NotFittedError(ValueError, AttributeError):
    """Raised when ``predict`` or ``score`` is called before ``fit``."""


class BCDRegressor:
    """A multilayer perceptron regressor trained by (sensitivity-guided) block coordinate descent.

    Parameters
    ----------
    hidden : tuple of int, default (10, 10, 10)
        Widths of the hidden layers.
    activation : str, default "tanh"
    init : str, optional
        ``"glorot"``, ``"he"`` or ``"orthogonal"``; default: the activation's own.
    optimizer : str or Optimizer, default "lbfgs"
        A registry name or an instance; "lbfgs" means ``LBFGS(history_size=30)``.
    selector : str or Selector, default "all"
        ``"all"`` is end-to-end training; ``"most_sensitive"``, ``"bisection"``, ``"random"``,
        ``"forward"`` and ``"ping_pong"`` train one layer per iteration.
    n_networks : int, default 2
        Networks trained from different random starts on the same rows; ``predict``
        averages them.  Each network's error is a common part plus a part that depends on
        its start; averaging :math:`K` networks divides the variance of the second part by
        up to :math:`K`.  Two networks of ``max_iter`` visits each beat one network of
        twice as many visits on CCPP (``benchmarks/results/regressor_defaults.md``).
    max_iter : int, default 45
        BCD iterations (block visits) per network.
    inner_max_iter : int, default 20
        Optimizer iterations per visit (Paper B's restricted iterations).
    icrs_init : int, default 0
        ICRS evaluations before BCD (Paper B's BCD-ICRS).
    batch_shell : bool, default False
    validation_fraction : float or "auto", default "auto"
        Share of the training rows held out for early stopping; 0 disables it.  "auto"
        holds rows out only when there are fewer than 20 per network parameter (with more,
        a network of this size barely overfits and every row is worth more for fitting):
        then 10 % of the rows, raised towards 25 % while that gives fewer than 200 rows (a
        validation set of a dozen rows picks overfitted points by chance).
    patience : int, default 10
        Iterations without a better validation loss before stopping.
    validate_steps : bool, default True
        Early stopping looks at the validation loss after every optimizer iteration.
    linear_skip : bool, default True
        Fit a linear least-squares model first and train the network on its residuals,
        starting from zero output weights (so training starts *at* the linear model).  With
        early stopping the result is then never worse on the validation rows than the linear
        model: the honest guard against overfitting small, noisy data.  (The output weights
        start at 1 % of their drawn values rather than 0, because at 0 every sensitivity
        below the output vanishes and a sensitivity-guided selector has nothing to rank.)
    tol : float, default 1e-7
        Loss tolerance of the Trainer.
    random_state : int or None, default 0
    progress : bool, optional
        Progress line (default: on a terminal only).
    dtype : {"float64", "float32"}, default "float64"
        Precision of the networks (the scalers and the linear part stay float64).
    threads : "auto", int or None, default "auto"
        BLAS threads during ``fit`` and ``predict`` (:mod:`bcdnet._threads`): one thread
        for narrow networks, more for wide ones; None leaves the environment alone.  Never
        above a limit set outside (a joblib or Dask worker's single thread).

    Attributes
    ----------
    networks_ : list of Network
        The ``n_networks`` trained networks.
    net_ : Network
        The first of them (the model itself when ``n_networks=1``).
    results_ : list of TrainResult
        One per network; ``result_`` is the first.
    history_ : pandas.DataFrame
        The histories of all networks, one after the other, told apart by a ``network``
        column.
    stop_reason_ : str
        Why training stopped (per network, separated by "; " when they differ).
    x_scaler_, y_scaler_ : Standardizer
    linear_coef_ : ndarray of shape (n_features + 1, n_outputs) or None
        The linear part (on standardised data; intercept last) when ``linear_skip``.
    n_features_in_, n_outputs_ : int
    """

    def __init__(self, hidden=(10, 10, 10), activation="tanh", init=None, optimizer="lbfgs",
                 selector="all", n_networks=2, max_iter=45, inner_max_iter=20, icrs_init=0,
                 batch_shell=False, validation_fraction="auto", patience=10,
                 validate_steps=True, linear_skip=True, tol=1e-7, random_state=0,
                 progress=None, dtype="float64", threads="auto"):
        self.hidden = hidden
        self.activation = activation
        self.init = init
        self.optimizer = optimizer
        self.selector = selector
        self.n_networks = n_networks
        self.max_iter = max_iter
        self.inner_max_iter = inner_max_iter
        self.icrs_init = icrs_init
        self.batch_shell = batch_shell
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.validate_steps = validate_steps
        self.linear_skip = linear_skip
        self.tol = tol
        self.random_state = random_state
        self.progress = progress
        self.dtype = dtype
        self.threads = threads

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls):
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> "BCDRegressor":
        """Set constructor arguments; unknown names raise ValueError listing the valid ones."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"unknown parameter {name!r} for BCDRegressor; valid "
                                 f"parameters are {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults.get(k)]
        return f"BCDRegressor({', '.join(changed)})"

    # ------------------------------------------------------------------ fit / predict
    def _make_optimizer(self):
        if isinstance(self.optimizer, Optimizer):
            return self.optimizer.clone()
        check_choice(self.optimizer, "optimizer", OPTIMIZERS)
        if self.optimizer == "lbfgs":   # a longer memory than L-BFGS-B's 10 pays off here
            return get_optimizer("lbfgs", history_size=30)
        return get_optimizer(self.optimizer)

    def _make_selector(self):
        if isinstance(self.selector, Selector):
            return self.selector.clone()
        check_choice(self.selector, "selector", SELECTORS)
        return get_selector(self.selector)

    def fit(self, X, y, sample_weight=None) -> "BCDRegressor":
        """Fit on ``X`` (n_samples, n_features) and ``y`` (n_samples,) or (n_samples, n_outputs)."""
        X = check_matrix(X, "X")
        y_arr = as_float_array(y, "y")
        self._y_1d = y_arr.ndim == 1
        Y = check_matrix(y_arr, "y")
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have as many rows as X ({X.shape[0]}), got {Y.shape[0]}")
        w = check_sample_weight(sample_weight, X.shape[0])
        hidden = tuple(check_int(h, f"hidden[{i}]", minimum=1)
                       for i, h in enumerate(self.hidden))
        n = X.shape[0]
        n_params = sum((a + 1) * b for a, b in zip([X.shape[1], *hidden], [*hidden, Y.shape[1]]))
        if isinstance(self.validation_fraction, str) and self.validation_fraction == "auto":
            small = n < 20 * n_params
            n_val = max(round(0.1 * n), min(round(0.25 * n), 200)) if small else 0
        else:
            fraction = check_probability(self.validation_fraction, "validation_fraction")
            if fraction >= 1:
                raise ValueError(f"validation_fraction must be below 1, got {fraction}")
            n_val = round(fraction * n)
        n_val = n_val if n >= 20 else 0
        n_networks = check_int(self.n_networks, "n_networks", minimum=1)
        rng = check_rng_seed(self.random_state, "random_state")
        seed = int(rng.integers(2**31))
        order = rng.permutation(n)
        seeds = [seed, *(int(s) for s in rng.integers(2**31, size=n_networks - 1))]
        val_rows, train_rows = np.sort(order[:n_val]), np.sort(order[n_val:])
        self.x_scaler_ = Standardizer().fit(X[train_rows])
        self.y_scaler_ = Standardizer().fit(Y[train_rows])
        Xs, Ys = self.x_scaler_.transform(X), self.y_scaler_.transform(Y)
        self.n_features_in_, self.n_outputs_ = X.shape[1], Y.shape[1]
        if self.linear_skip:
            # y = net(x) + [x, 1] beta: least squares first, the network learns the rest,
            # starting from zero output weights, i.e. from the linear model itself.
            A = np.column_stack([Xs, np.ones(n)])
            self.linear_coef_ = np.linalg.lstsq(A, Ys, rcond=None)[0]
            Ys = Ys - self._linear(Xs)
        else:
            self.linear_coef_ = None
        validation = (Xs[val_rows], Ys[val_rows]) if n_val else None
        train = (Xs[train_rows], Ys[train_rows], None if w is None else w[train_rows])
        self.networks_, self.results_ = [], []
        for s in seeds:
            net, result = self._fit_network([X.shape[1], *hidden, Y.shape[1]], s, train,
                                            validation)
            self.networks_.append(net)
            self.results_.append(result)
        self.net_, self.result_ = self.networks_[0], self.results_[0]
        self.history_ = _joined_histories(self.results_)
        self.stop_reason_ = "; ".join(dict.fromkeys(r.stop_reason for r in self.results_))
        return self

    def _fit_network(self, sizes, seed, train, validation):
        """Draw one network from ``seed``, train it on ``train = (X, Y, w)`` with early
        stopping on ``validation`` (or None); return it and the Trainer's result."""
        net = Network.mlp(sizes, activation=self.activation, init=self.init, seed=seed,
                          dtype=self.dtype)
        if self.linear_skip:
            net.layers[-1].W[...] *= 0.01   # starts within ~1 % of the linear model
        trainer = Trainer(self._make_optimizer(), self._make_selector(),
                          max_iter=self.max_iter, inner_max_iter=self.inner_max_iter,
                          icrs_init=self.icrs_init, batch_shell=self.batch_shell, tol=self.tol,
                          sensitivity_tol=None,
                          patience=None if validation is None else self.patience,
                          seed=seed, validate_steps=self.validate_steps,
                          progress=self.progress, threads=self.threads)
        return net, trainer.fit(net, *train, validation)

    def _linear(self, Xs):
        return Xs @ self.linear_coef_[:-1] + self.linear_coef_[-1]

    def _check_fitted(self):
        if not hasattr(self, "net_"):
            raise NotFittedError("this BCDRegressor is not fitted yet; call fit(X, y) first")

    def predict(self, X) -> np.ndarray:
        """Predictions in the units of ``y``: shape (n_samples,) if ``y`` was 1-D."""
        self._check_fitted()
        X = check_matrix(X, "X", self.n_features_in_)
        Y = np.empty((X.shape[0], self.n_outputs_))
        with limit_threads(self.threads, self.networks_[0].sizes, X.shape[0]):
            for rows in row_chunks(X.shape[0], self.networks_[0].sizes):   # bounded memory
                Y[rows] = self._predict_rows(X[rows])
        Y = check_no_overflow(Y, X, "X", "the predictions")
        return Y[:, 0] if self._y_1d else Y

    def _predict_rows(self, X):
        Xs = self.x_scaler_.transform(X)           # a ValueError naming X where it overflows
        # X far outside the training data (near 1e308) can overflow the linear part and the
        # units of y: inf (or inf - inf), found once by predict and refused naming X.
        with np.errstate(over="ignore", invalid="ignore"):
            Ys = sum(to_numpy(net.predict(Xs)) for net in self.networks_)   # host copies
            Ys /= len(self.networks_)
            if self.linear_coef_ is not None:
                Ys += self._linear(Xs)
            return self.y_scaler_._unstandardise(Ys)

    def score(self, X, y, sample_weight=None) -> float:
        """The coefficient of determination R² of ``predict(X)`` against ``y``."""
        return r2_score(y, self.predict(X), sample_weight=sample_weight)


def _joined_histories(results) -> pd.DataFrame:
    """The histories of ``results`` one after the other, with a first column ``network``."""
    frames = []
    for k, result in enumerate(results):
        history = result.history.copy()
        history.insert(0, "network", k)
        frames.append(history)
    return pd.concat(frames, ignore_index=True)
