r"""The Trainer: block coordinate descent over layers, guided by sensitivities.

One BCD iteration (DESIGN §6, Papers A and B):

1. take the data of this iteration (all training rows, or the next *batch shell*: a subset of
   :math:`\lceil 1.1\,|\theta| \rceil` rows, so each block subproblem stays over-determined);
2. compute the neuron sensitivities :math:`s = \partial E / \partial \alpha` (one backward pass;
   only when the selector or the sensitivity tolerance uses them);
3. let the selector choose a block (a layer, or every layer for end-to-end training) and
   record why;
4. minimise the loss over that block's parameters with the optimizer, for a budget of
   iterations (or epochs of mini-batches), the layers below the block frozen and cached;
5. record a row of history and test the stopping rules.

End-to-end backpropagation is the same loop with :class:`~bcdnet.selection.AllLayers`, so
comparisons run through one code path from one starting point.

Stopping rules, each reported in ``TrainResult.stop_reason``: the iteration budget; the loss
tolerance (relative decrease of the training loss over the last ``n_blocks`` iterations below
``tol``); the sensitivity tolerance (``max |s| <`` ``sensitivity_tol``, by default 10 × the
optimizer's gradient tolerance, Paper B); patience on the validation loss (the best
parameters are restored); a callback; and divergence (a non-finite loss: the last finite
parameters are restored).

On full batches a visit whose result is worse than its start is rejected (the block keeps
its old parameters), so with a deterministic optimizer the training loss never increases.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd

from ._progress import Progress
from ._validation import (check_int, check_matrix, check_nonnegative, check_positive,
                          check_rng_seed, check_sample_weight, check_targets)
from .network import Network
from .optim import ICRS, Optimizer, get_optimizer
from .selection import Selector, get_selector
from .sensitivity import sensitivity

__all__ = ["Trainer", "TrainResult"]


class TrainResult:
    """What a training run did.

    Attributes
    ----------
    net : Network
        The trained network (the same object that was passed to ``fit``).
    history : pandas.DataFrame
        One row per BCD iteration: ``iteration``, ``block``, ``first``, ``last``,
        ``selector`` (JSON record of why the block was chosen), ``scores``, ``train_loss``,
        ``val_loss``, ``grad_inf`` (the block gradient's ∞-norm after the visit),
        ``sensitivity_inf``, ``nit``, ``nfev``, ``accepted``, ``optimizer_message``,
        ``cpu_s`` and ``wall_s`` (cumulative).
    stop_reason : str
        Why training stopped.
    best_iteration : int or None
        The iteration whose parameters were kept (with validation data and restore_best).
    """

    def __init__(self, net, rows, stop_reason, best_iteration, best_val_loss):
        self.net = net
        self.history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
        self.stop_reason = stop_reason
        self.best_iteration = best_iteration
        self.best_val_loss = best_val_loss

    @property
    def n_iter(self) -> int:
        return int((self.history["iteration"] > 0).sum())

    @property
    def train_loss(self) -> float:
        return float(self.history["train_loss"].iloc[-1]) if len(self.history) else math.nan

    def __repr__(self) -> str:
        return (f"TrainResult(n_iter={self.n_iter}, train_loss={self.train_loss:.6g}, "
                f"stop_reason={self.stop_reason!r})")


HISTORY_COLUMNS = ["iteration", "block", "first", "last", "n_rows", "selector", "scores",
                   "train_loss",
                   "val_loss", "grad_inf", "sensitivity_inf", "nit", "nfev", "accepted",
                   "optimizer_message", "cpu_s", "wall_s"]


class _LayerCount:
    """Stands in for a Sensitivity when the selector does not use one."""

    def __init__(self, n_layers):
        self.n_layers = n_layers


class Trainer:
    r"""Train a :class:`~bcdnet.network.Network` block by block.

    Parameters
    ----------
    optimizer : Optimizer or str, default "lbfgs"
        The inner optimizer (a registry name or an instance; each block gets its own clone).
    selector : Selector or str, default "most_sensitive"
        The block-selection strategy (a registry name or an instance).
    max_iter : int, default 100
        Budget of BCD iterations (block visits).
    inner_max_iter : int, optional
        Optimizer iterations per visit; default: the optimizer's own ``max_iter``.
    epochs : int, optional
        With ``batch_size``: passes over the data per visit (mini-batch optimizers only).
    batch_size : int, optional
        Mini-batch size for optimizers that support batches (GD, Adam); None: full batch.
    batch_shell : bool, default False
        Train each iteration on a fresh subset of :math:`\lceil` ``shell_factor`` ×
        ``n_params`` :math:`\rceil` rows (all rows when that exceeds the data).
    shell_factor : float, default 1.1
    icrs_init : int, default 0
        Evaluations of ICRS on all parameters before BCD (Paper B's BCD-ICRS); 0: none.
    tol : float, default 1e-6
        Loss tolerance: stop when the training loss fell by less than this fraction over the
        last ``n_blocks`` iterations.  0 disables it.
    sensitivity_tol : float, "auto" or None, default "auto"
        Stop when every :math:`|s| <` this; "auto" is 10 × the optimizer's ``gtol`` (if any).
        Tested on full data whenever the selector computes sensitivities (selectors that do
        not use them save that backward pass; their runs end by the other rules).
    patience : int, optional
        Stop after this many iterations without a better validation loss.
    restore_best : bool, default True
        With validation data, end with the parameters of the best validation loss.
    validate_steps : bool, default False
        With validation data, also evaluate it after every optimizer iteration (full-batch
        optimizers), so early stopping can keep a point inside a visit: finer-grained
        early stopping for small data, at the cost of a validation forward pass per step.
    keep_state : bool, default False
        Keep each block's optimizer state (Adam moments, L-BFGS memory) between visits.
    seed : int, default 0
        Seeds the Trainer's Generator (selector draws, shells, batches, ICRS).
    callbacks : list of callable
        ``callback(row)`` after each iteration with the history row (a dict); returning
        True stops training.
    progress : bool, optional
        Show a progress line; default: only when standard error is a terminal.
    """

    def __init__(self, optimizer="lbfgs", selector="most_sensitive", *, max_iter=100,
                 inner_max_iter=None, epochs=None, batch_size=None, batch_shell=False,
                 shell_factor=1.1, icrs_init=0, tol=1e-6, sensitivity_tol="auto",
                 patience=None, restore_best=True, validate_steps=False, keep_state=False,
                 seed=0, callbacks=(), progress=None):
        self.optimizer = get_optimizer(optimizer) if isinstance(optimizer, str) else optimizer
        if not isinstance(self.optimizer, Optimizer):
            raise TypeError(f"optimizer must be an Optimizer or a name, got {optimizer!r}")
        self.selector = get_selector(selector) if isinstance(selector, str) else selector
        if not isinstance(self.selector, Selector):
            raise TypeError(f"selector must be a Selector or a name, got {selector!r}")
        self.max_iter = check_int(max_iter, "max_iter", minimum=1)
        self.inner_max_iter = None if inner_max_iter is None else check_int(
            inner_max_iter, "inner_max_iter", minimum=1)
        self.epochs = None if epochs is None else check_int(epochs, "epochs", minimum=1)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", 1)
        if self.batch_size is not None and not self.optimizer.supports_batches:
            raise ValueError(f"batch_size needs a mini-batch optimizer (GD, Adam); "
                             f"{type(self.optimizer).__name__} is full-batch")
        self.batch_shell = bool(batch_shell)
        self.shell_factor = check_positive(shell_factor, "shell_factor")
        self.icrs_init = check_int(icrs_init, "icrs_init", minimum=0)
        self.tol = check_nonnegative(tol, "tol")
        if sensitivity_tol == "auto":
            gtol = getattr(self.optimizer, "gtol", None)
            sensitivity_tol = None if gtol is None else 10.0 * gtol
        self.sensitivity_tol = (None if sensitivity_tol is None
                                else check_nonnegative(sensitivity_tol, "sensitivity_tol"))
        self.patience = None if patience is None else check_int(patience, "patience", 1)
        self.restore_best = bool(restore_best)
        self.validate_steps = bool(validate_steps)
        self.keep_state = bool(keep_state)
        self.seed = seed
        check_rng_seed(seed)
        self.callbacks = list(callbacks)
        if not all(callable(c) for c in self.callbacks):
            raise TypeError("callbacks must be a list of callables")
        self.progress = progress

    def __repr__(self) -> str:
        return (f"Trainer(optimizer={self.optimizer!r}, selector={self.selector!r}, "
                f"max_iter={self.max_iter}, batch_shell={self.batch_shell}, "
                f"icrs_init={self.icrs_init}, seed={self.seed!r})")

    # ------------------------------------------------------------------ fit
    def fit(self, net: Network, X, Y, sample_weight=None, validation=None) -> TrainResult:
        """Train ``net`` in place on ``(X, Y)``; ``validation`` is an optional ``(X_val, Y_val)``.

        Returns
        -------
        TrainResult
        """
        if not isinstance(net, Network):
            raise TypeError(f"net must be a Network, got {type(net).__name__}")
        X, Y, w = net._check_data(X, Y, sample_weight)
        val = self._check_validation(net, validation)
        run = _Run(self, net, X, Y, w, val)
        return run.execute()

    @staticmethod
    def _check_validation(net, validation):
        if validation is None:
            return None
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError("validation must be a tuple (X_val, Y_val)")
        Xv = check_matrix(validation[0], "validation X", net.n_inputs, net.dtype)
        Yv = check_targets(validation[1], "validation Y", Xv.shape[0], net.n_outputs, net.dtype)
        return Xv, Yv


class _Run:
    """The state of one ``fit`` call (kept apart so the Trainer holds only settings)."""

    def __init__(self, trainer: Trainer, net, X, Y, w, val):
        self.t, self.net, self.X, self.Y, self.w, self.val = trainer, net, X, Y, w, val
        self.rng = check_rng_seed(trainer.seed)
        self.optimizers: dict[tuple, Optimizer] = {}
        self.objectives: dict[tuple, object] = {}
        self.rows: list[dict] = []
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        n = X.shape[0]
        size = math.ceil(trainer.shell_factor * net.n_params)
        self.shell_size = size if trainer.batch_shell and size < n else None
        self._perm, self._pos = None, 0
        self.it, self.best_val, self.best_params, self.best_it = 0, math.inf, None, None
        trainer.selector.reset()

    # ---------------------------------------------------------------- data
    def _shell_rows(self):
        """The next ``shell_size`` rows of a shuffled order, reshuffled when used up."""
        n, k = self.X.shape[0], self.shell_size
        if self._perm is None or self._pos + k > n:
            self._perm, self._pos = self.rng.permutation(n), 0
        rows = np.sort(self._perm[self._pos:self._pos + k])
        self._pos += k
        return rows

    def _objective(self, block, rows):
        """The block's objective on the iteration's data (cached for full data)."""
        if rows is None:
            key = (block.first, block.last)
            if key not in self.objectives:
                self.objectives[key] = self.net.block_objective(block, self.X, self.Y, self.w)
            return self.objectives[key]
        w = None if self.w is None else self.w[rows]
        return self.net.block_objective(block, self.X[rows], self.Y[rows], w)

    def _optimizer(self, block):
        key = (block.first, block.last)
        opt = self.optimizers.get(key)
        if opt is None:
            opt = self.optimizers[key] = self.t.optimizer.clone()
        elif not self.t.keep_state:
            opt.reset()
        return opt

    # ---------------------------------------------------------------- one visit
    def _visit(self, obj, opt):
        t, x0 = self.t, obj.x0()
        limits = {} if t.inner_max_iter is None else {"max_iter": t.inner_max_iter}
        if t.batch_size is not None:
            n = obj.X.shape[0]
            epochs = t.epochs or 1
            per_epoch = math.ceil(n / t.batch_size)
            limits["max_iter"] = epochs * per_epoch
            batches = _minibatches(self.rng, n, t.batch_size, epochs)
            res = opt.minimize(obj, x0, batches=batches, **limits)
            f_new = obj.value(res.x)
        else:
            fun = obj if opt.needs_gradient else obj.value
            callback = None
            if t.validate_steps and self.val is not None:
                def callback(step):
                    obj.set(step.x)
                    self._consider(self.net.loss_value(*self.val))
            res = opt.minimize(fun, x0, callback=callback, **limits)
            f_new = res.fun
        return x0, res, f_new

    def _consider(self, val_loss) -> bool:
        """Keep the parameters if ``val_loss`` is the best so far; return whether it was."""
        if val_loss < self.best_val:
            self.best_val, self.best_params = val_loss, self.net.params.copy()
            self.best_it = self.it
            return True
        return False

    # ---------------------------------------------------------------- main loop
    def execute(self) -> TrainResult:
        t, net = self.t, self.net
        n_layers = len(net.layers)
        stale = 0
        last_good = net.params.copy()
        stop = f"max_iter ({t.max_iter}) BCD iterations done"
        progress = Progress(t.max_iter, enabled=t.progress)
        if t.icrs_init:
            self._icrs_initialise()
            last_good = net.params.copy()
        if self.val is not None:
            self._consider(net.loss_value(*self.val))   # the starting point is a candidate
        losses = []
        for it in range(1, t.max_iter + 1):
            self.it = it
            best_before = self.best_val
            rows = self._shell_rows() if self.shell_size is not None else None
            Xd = self.X if rows is None else self.X[rows]
            Yd = self.Y if rows is None else self.Y[rows]
            wd = self.w if (rows is None or self.w is None) else self.w[rows]
            need_sens = t.selector.needs_sensitivity
            sens = sensitivity(net, Xd, Yd, wd) if need_sens else _LayerCount(n_layers)
            s_inf = sens.max_abs() if need_sens else math.nan
            if t.sensitivity_tol is not None and s_inf < t.sensitivity_tol and rows is None:
                stop = (f"sensitivity tolerance: max |dE/dalpha| = {s_inf:.3g} < "
                        f"{t.sensitivity_tol:.3g}")
                break
            selection = t.selector.select(sens, it - 1, self.rng)
            block = (net.blocks[selection.first] if selection.first == selection.last
                     else net.block_covering(selection.first, selection.last, "all layers"
                                             if selection.last - selection.first + 1 == n_layers
                                             else None))
            obj = self._objective(block, rows)
            f_start = sens.loss if need_sens else None
            x0, res, f_new = self._visit(obj, self._optimizer(block))
            accepted = True
            if not np.isfinite(f_new) or not np.all(np.isfinite(res.x)):
                obj.set(x0)
                net.params[:] = last_good
                stop = f"diverged: non-finite loss at iteration {it}; last finite parameters restored"
                break
            if rows is None and t.batch_size is None:
                if f_start is None:
                    f_start = obj.value(x0)
                if f_new > f_start:
                    accepted, f_new = False, f_start
            obj.set(res.x if accepted else x0)
            train_loss = f_new if rows is None else net.loss_value(self.X, self.Y, self.w)
            last_good = net.params.copy()
            val_loss = (net.loss_value(*self.val) if self.val is not None else math.nan)
            row = self._row(it, block, obj.X.shape[0], selection, train_loss, val_loss, res,
                            accepted, s_inf)
            self.rows.append(row)
            losses.append(train_loss)
            progress.update(it, block.name, train_loss, val_loss)
            if self.val is not None:
                self._consider(val_loss)
                stale = 0 if self.best_val < best_before else stale + 1
                if t.patience is not None and stale >= t.patience:
                    stop = f"patience: no better validation loss for {t.patience} iterations"
                    break
            if any(cb(row) for cb in t.callbacks):
                stop = f"stopped by a callback at iteration {it}"
                break
            window = len(net.blocks)
            if t.tol > 0 and len(losses) > window:
                before = losses[-window - 1]
                if before - train_loss <= t.tol * max(abs(before), 1e-300):
                    stop = (f"loss tolerance: training loss fell by less than {t.tol:g} "
                            f"(relative) over the last {window} iterations")
                    break
        progress.close()
        if self.val is not None and t.restore_best and self.best_params is not None:
            net.params[:] = self.best_params
        return TrainResult(net, self.rows, stop, self.best_it,
                           self.best_val if self.val else None)

    def _icrs_initialise(self):
        """Paper B's BCD-ICRS: a derivative-free search over all parameters before BCD."""
        net = self.net
        block = net.block_covering(0, len(net.layers) - 1, "all layers")
        rows = self._shell_rows() if self.shell_size is not None else None
        obj = self._objective(block, rows)
        icrs = ICRS(max_eval=self.t.icrs_init, seed=self.rng)
        x0 = obj.x0()
        res = icrs.minimize(obj.value, x0)
        obj.set(res.x if np.isfinite(res.fun) else x0)
        train_loss = net.loss_value(self.X, self.Y, self.w)
        val_loss = net.loss_value(*self.val) if self.val is not None else math.nan
        record = {"strategy": "icrs_init", "evaluations": int(res.nfev)}
        self.rows.append(self._row(0, block, obj.X.shape[0],
                                   _Sel(0, len(net.layers) - 1, record), train_loss, val_loss,
                                   res, True, math.nan))

    def _row(self, it, block, n_rows, selection, train_loss, val_loss, res, accepted, s_inf):
        scores = selection.record.get("scores")
        jac = getattr(res, "jac", None)
        return {
            "iteration": it, "block": block.name, "first": block.first, "last": block.last,
            "n_rows": int(n_rows),
            "selector": json.dumps(selection.record, sort_keys=True, default=float),
            "scores": None if scores is None else [float(s) for s in scores],
            "train_loss": float(train_loss), "val_loss": float(val_loss),
            "grad_inf": float(np.abs(jac).max()) if jac is not None and jac.size else math.nan,
            "sensitivity_inf": float(s_inf), "nit": int(res.nit), "nfev": int(res.nfev),
            "accepted": bool(accepted), "optimizer_message": str(res.message),
            "cpu_s": time.process_time() - self.cpu0, "wall_s": time.perf_counter() - self.wall0,
        }


class _Sel:
    def __init__(self, first, last, record):
        self.first, self.last, self.record = first, last, record


def _minibatches(rng, n, batch_size, epochs):
    """Row-index batches: each epoch a new permutation cut into ``batch_size`` pieces."""
    for _ in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield perm[start:start + batch_size]
