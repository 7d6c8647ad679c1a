"""BCDRegressor: a scikit-learn-style estimator over the Network and the Trainer.

.. code-block:: python

    est = bn.BCDRegressor(random_state=0).fit(X, y)
    est.predict(X_new); est.score(X_test, y_test)      # R²

It standardises X and y on the training rows, fits a linear least-squares model, holds out
a validation fraction for early stopping (the best validation parameters are kept, the
linear model itself included), and trains tanh MLPs on the linear model's residuals with a
:class:`~bcdnet.trainer.Trainer`: by default two, from different random starts, whose
predictions are averaged.

A scikit-learn estimator whenever scikit-learn (>= 1.6) is installed, without depending on
it: ``__init__`` only stores its arguments and ``fit`` checks them (naming the parameter),
does the work and returns ``self``; fitted attributes end in ``_``; ``get_params`` /
``set_params`` work on the constructor arguments, nested ones (``optimizer__history_size``)
included; ``random_state`` makes ``fit`` repeatable; ``clone``, ``Pipeline``,
``GridSearchCV``, ``cross_val_score`` and ``check_is_fitted`` work, and scikit-learn's own
estimator checks pass (``tests/training/test_sklearn_checks.py``).  It speaks
scikit-learn's protocol (``__sklearn_tags__``, ``__sklearn_is_fitted__``) rather than
inheriting its base classes, so ``import bcdnet`` never imports scikit-learn, whatever the
import order (:mod:`bcdnet._sklearn` says why).  :class:`NotFittedError` is
scikit-learn's ``NotFittedError`` (a subclass) when scikit-learn can be imported.

Sample weights count everywhere: the weighted rows are first written in a canonical form
(weight-0 rows dropped, identical rows merged, rows sorted: :mod:`bcdnet._estimator_data`),
so a weight of 0 is exactly deleting the row and an integer weight exactly repeating it;
the scalers, the least-squares part, the validation split and the validation loss that
drives early stopping are all weighted.

Estimators pickle (``pickle``, ``copy.deepcopy``, ``joblib``) for moving them between
processes you trust; :func:`bcdnet.save` is the safe format for files from elsewhere.

How the defaults were chosen is recorded in ``benchmarks/results/regressor_defaults.md``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from ._estimator_data import (canonical_rows, check_feature_names, check_X, check_y,
                              feature_names, split_rows)
from ._estimator_params import as_generator, check_params
from ._row_blocks import chunks_of
from ._sklearn import not_fitted_error, regressor_tags
from ._validation import check_no_overflow
from ._threads import limit_threads, member_processes
from .backend import to_numpy
from .datasets import Standardizer
from .metrics import r2_score
from .network import Network
from .optim import Optimizer, get_optimizer
from .selection import Selector, get_selector
from .trainer import Trainer

__all__ = ["BCDRegressor", "NotFittedError"]


class BCDRegressor:
    """A multilayer perceptron regressor trained by (sensitivity-guided) block coordinate descent.

    Parameters
    ----------
    hidden : sequence of int, default (10, 10, 10)
        Widths of the hidden layers (a tuple, a list or a 1-D integer array).
    activation : str, default "tanh"
    init : str, optional
        ``"glorot"``, ``"he"`` or ``"orthogonal"``; default: the activation's own.
    optimizer : str or Optimizer, default "lbfgs"
        A registry name or an instance; "lbfgs" means ``LBFGS(history_size=30)``.
    selector : str or Selector, default "adaptive_hybrid"
        ``"adaptive_hybrid"`` (ours, :class:`bcdnet.hybrid.AdaptiveHybrid`) takes
        whole-network steps and switches to the most sensitive layer while layer steps gain
        more per unit of counted work; it won ``benchmarks/results/regressor.md`` (the
        fastest float64 method with median test R² ≥ 0.950 on CCPP), though only by about
        the timer's noise over end-to-end training (there 1.82 s against 1.84 s, test R²
        0.9507 against 0.9509; its own default row took 1.85 s).  ``"all"`` is
        end-to-end training; ``"paper_b_hybrid"`` alternates the two kinds of step;
        ``"most_sensitive"``, ``"bisection"``, ``"random"``, ``"forward"`` and
        ``"ping_pong"`` train one layer per iteration.
    n_networks : int, default 2
        Networks trained from different random starts on the same rows; ``predict``
        averages them.  Each network's error is a common part plus a part that depends on
        its start; averaging :math:`K` networks divides the variance of the second part by
        up to :math:`K`.  Two networks of ``max_iter`` visits each beat one network of
        twice as many visits on CCPP (``benchmarks/results/regressor_defaults.md``).
    max_iter : int, default 40
        BCD iterations (block visits) per network (how 40 was chosen:
        ``benchmarks/results/regressor_defaults.md``, session 4).
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
    random_state : None, int, numpy Generator or RandomState, default 0
        Seeds the validation split and the networks' starts.  An int repeats ``fit``
        exactly; a Generator is used (and advanced) by each ``fit``; a RandomState draws
        the seed of a new Generator; None draws fresh entropy.
    progress : bool, optional
        Progress line (default: on a terminal only).
    dtype : {"float64", "float32"}, default "float64"
        Precision of the networks (the scalers and the linear part stay float64).
    threads : "auto", int or None, default "auto"
        Parallelism during ``fit`` and ``predict`` (:mod:`bcdnet._threads`): BLAS on one
        thread, large evaluations in up to this many row blocks at once (helper processes or
        threads), and the
        ``n_networks`` networks in as many worker processes at once where the problem is
        large enough ("auto": the cores; an int; None leaves the environment alone
        and trains here, one thread).  Never above a limit set outside (a joblib or Dask
        worker's single thread).  The results do not depend on it, bit for bit.

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
    feature_names_in_ : ndarray of shape (n_features,) of str
        The column names, when ``fit`` saw a DataFrame whose names are all strings;
        ``predict`` then refuses a DataFrame with other columns or another order
        (ValueError naming them).
    n_iter_ : int
        BCD iterations (block visits) done, the most over the networks.
    """

    def __init__(self, hidden=(10, 10, 10), activation="tanh", init=None, optimizer="lbfgs",
                 selector="adaptive_hybrid", n_networks=2, max_iter=40, inner_max_iter=20, icrs_init=0,
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
        """The constructor arguments by name; with ``deep``, also those of an optimizer or
        selector instance, as ``optimizer__history_size``."""
        params = {name: getattr(self, name) for name in self._param_names()}
        if deep:
            for name, value in list(params.items()):
                if hasattr(value, "get_params") and not isinstance(value, type):
                    params.update({f"{name}__{k}": v for k, v in value.get_params().items()})
        return params

    def set_params(self, **params) -> "BCDRegressor":
        """Set constructor arguments, and nested ones (``optimizer__history_size=7``).

        Unknown names raise ValueError listing the valid ones.  Values are checked by ``fit``.
        """
        valid = self._param_names()
        nested = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"unknown parameter {name!r} for BCDRegressor; valid "
                                 f"parameters are {', '.join(valid)}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            owner = getattr(self, name)
            if not hasattr(owner, "get_params"):
                raise ValueError(f"{name} is {owner!r}, which has no parameters to set "
                                 f"({', '.join(sorted(sub_params))})")
            if hasattr(owner, "set_params"):
                owner.set_params(**sub_params)
            else:                       # a new instance with the changed settings
                setattr(self, name, type(owner)(**{**owner.get_params(), **sub_params}))
        return self

    def _checked_params(self) -> dict:
        """The constructor arguments checked as ``fit`` checks them (InvalidParameterError,
        naming the parameter); ``bcdnet.load`` calls this too."""
        return check_params(self.get_params(deep=False))

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                   if _differs(v, defaults.get(k))]
        return f"BCDRegressor({', '.join(changed)})"

    # ------------------------------------------------------------------ scikit-learn
    def __sklearn_tags__(self):
        return regressor_tags(self)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "net_")

    # ------------------------------------------------------------------ fit / predict
    @staticmethod
    def _make_optimizer(optimizer):
        if isinstance(optimizer, Optimizer):
            return optimizer.clone()
        if optimizer == "lbfgs":   # a longer memory than L-BFGS-B's 10 pays off here
            return get_optimizer("lbfgs", history_size=30)
        return get_optimizer(optimizer)

    @staticmethod
    def _make_selector(selector):
        return selector.clone() if isinstance(selector, Selector) else get_selector(selector)

    @staticmethod
    def _n_validation(fraction, n: int, n_params: int) -> int:
        """Rows' worth of weight to hold out for early stopping (the ``validation_fraction``
        rule), from the number ``n`` of distinct rows."""
        if fraction == "auto":
            small = n < 20 * n_params
            n_val = max(round(0.1 * n), min(round(0.25 * n), 200)) if small else 0
        else:
            n_val = round(fraction * n)
        return n_val if n >= 20 else 0

    def fit(self, X, y, sample_weight=None) -> "BCDRegressor":
        """Fit on ``X`` and ``y``, with optional non-negative ``sample_weight``.

        Parameters
        ----------
        X : array_like or DataFrame of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array_like of shape (n_samples,), optional
            A weight of 0 removes a row; an integer weight :math:`k` equals :math:`k` copies.

        Returns
        -------
        self
        """
        p = self._checked_params()
        names = feature_names(X)
        X = check_X(X)
        y_arr = check_y(y, X.shape[0])
        X, Y, w = canonical_rows(X, y_arr.reshape(X.shape[0], -1), sample_weight)
        hidden, n = p["hidden"], X.shape[0]
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
        n_val = self._n_validation(p["validation_fraction"], n, n_params)
        rng = as_generator(p["random_state"])
        seed = int(rng.integers(2**31))
        order = rng.permutation(n)
        seeds = [seed, *(int(s) for s in rng.integers(2**31, size=p["n_networks"] - 1))]
        val_rows, train_rows = split_rows(order, n_val, w)
        w_train = None if w is None else w[train_rows]
        self.x_scaler_ = Standardizer().fit(X[train_rows], sample_weight=w_train)
        self.y_scaler_ = Standardizer().fit(Y[train_rows], sample_weight=w_train)
        Xs, Ys = self.x_scaler_.transform(X), self.y_scaler_.transform(Y)
        if p["linear_skip"]:
            # y = net(x) + [x, 1] beta: (weighted) least squares first, the network learns
            # the rest, starting from zero output weights, i.e. from the linear model itself.
            A = np.column_stack([Xs, np.ones(n)])
            root_w = np.ones((n, 1)) if w is None else np.sqrt(w / w.max())[:, None]
            self.linear_coef_ = np.linalg.lstsq(A * root_w, Ys * root_w, rcond=None)[0]
            Ys = Ys - self._linear(Xs)
        else:
            self.linear_coef_ = None
        validation = None
        if len(val_rows):
            validation = (Xs[val_rows], Ys[val_rows], None if w is None else w[val_rows])
        train = (Xs[train_rows], Ys[train_rows], w_train)
        members = [self._member(p, sizes, s, validation is not None) for s in seeds]
        inner = p["inner_max_iter"] or 100            # None: the optimizer's own limit
        work = len(train[0]) * sum(sizes[1:]) * p["max_iter"] * inner
        processes = member_processes(p["threads"], len(members), work)
        if processes > 1 and members[0][0].xp is np:   # a GPU or registered backend: here
            # independent networks: one process each, the same bits as here
            from joblib import Parallel, delayed
            fitted = Parallel(n_jobs=processes, backend="loky")(
                delayed(_train_member)(net, trainer, train, validation)
                for net, trainer in members)
        else:
            fitted = [_train_member(net, trainer, train, validation) for net, trainer in members]
        self.networks_ = [net for net, _ in fitted]
        self.results_ = [result for _, result in fitted]
        self.net_, self.result_ = self.networks_[0], self.results_[0]
        self.history_ = _joined_histories(self.results_)
        self.stop_reason_ = "; ".join(dict.fromkeys(r.stop_reason for r in self.results_))
        self.n_iter_ = max(r.n_iter for r in self.results_)
        self.n_features_in_, self.n_outputs_ = X.shape[1], Y.shape[1]
        self._y_1d = y_arr.ndim == 1
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def _member(self, p, sizes, seed, early_stopping: bool):
        """One network drawn from ``seed`` and the Trainer that trains it (with patience
        when ``early_stopping``); ``p`` holds the checked parameters."""
        net = Network.mlp(sizes, activation=p["activation"], init=p["init"], seed=seed,
                          dtype=p["dtype"])
        if p["linear_skip"]:
            net.layers[-1].W[...] *= 0.01   # starts within ~1 % of the linear model
        trainer = Trainer(self._make_optimizer(p["optimizer"]),
                          self._make_selector(p["selector"]),
                          max_iter=p["max_iter"], inner_max_iter=p["inner_max_iter"],
                          icrs_init=p["icrs_init"], batch_shell=p["batch_shell"], tol=p["tol"],
                          sensitivity_tol=None,
                          patience=p["patience"] if early_stopping else None,
                          seed=seed, validate_steps=p["validate_steps"],
                          progress=p["progress"], threads=p["threads"])
        return net, trainer

    def _linear(self, Xs):
        return Xs @ self.linear_coef_[:-1] + self.linear_coef_[-1]

    def _check_fitted(self):
        if not hasattr(self, "net_"):
            raise not_fitted_error()("this BCDRegressor is not fitted yet; call fit(X, y) first")

    def predict(self, X) -> np.ndarray:
        """Predictions in the units of ``y``: shape (n_samples,) if ``y`` was 1-D.

        A DataFrame must have the columns ``fit`` saw, in the same order.
        """
        self._check_fitted()
        check_feature_names(getattr(self, "feature_names_in_", None), X)
        X = check_X(X, self.n_features_in_)
        Y = np.empty((X.shape[0], self.n_outputs_))
        with limit_threads(self.threads, self.networks_[0].sizes, X.shape[0]):
            for rows in self._chunks(X.shape[0]):                  # bounded memory
                Y[rows] = self._predict_rows(X[rows])
        Y = check_no_overflow(Y, X, "X", "the predictions")
        return Y[:, 0] if self._y_1d else Y

    def _chunks(self, n_rows: int) -> list:
        """Row chunks for :meth:`predict`: each holds its scaled inputs and a few arrays of
        outputs in 4 MB (``bcdnet._row_blocks.chunks_of``), so the memory beyond ``X`` and
        the result stays bounded while each network's ``predict`` gets rows enough to run
        on the cores (it chunks its own layer buffers).  On the 2-core Xeon a
        4-10-10-10-1 regressor predicted 1,000,000 rows in 239 ms in chunks sized for the
        layer buffers (5,637 rows, too few to split into blocks) and in 179-184 ms in
        these (74,898 rows), with the same bits."""
        return chunks_of(n_rows, 8 * (self.n_features_in_ + 3 * self.n_outputs_))

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


def _train_member(net, trainer, train, validation):
    """Train ``net`` with ``trainer`` on ``train = (X, Y, w)``, early stopping on
    ``validation`` (or None); return the network and the Trainer's result.  Module level:
    a worker process runs it when the networks train at once (:func:`member_processes`)."""
    return net, trainer.fit(net, *train, validation)


def _differs(value, default) -> bool:
    """Whether a parameter differs from its default (for ``repr``; arrays always do)."""
    if value is default:
        return False
    try:
        return type(value) is not type(default) or bool(value != default)
    except (TypeError, ValueError):
        return True


def __getattr__(name):
    if name == "NotFittedError":       # made on first use: bcdnet._sklearn says why
        return not_fitted_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _joined_histories(results) -> pd.DataFrame:
    """The histories of ``results`` one after the other, with a first column ``network``."""
    frames = []
    for k, result in enumerate(results):
        history = result.history.copy()
        history.insert(0, "network", k)
        frames.append(history)
    return pd.concat(frames, ignore_index=True)
