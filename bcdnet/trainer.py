r"""The Trainer: block coordinate descent over layers, guided by sensitivities.

One BCD iteration (Papers A and B; docs/design.rst, section The Trainer):

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
comparisons run through one code path from one starting point; the hybrid schedules of
:mod:`bcdnet.hybrid` mix both kinds of visit, and :mod:`bcdnet.coarse_to_fine` trains
whole halves.  Names: Paper B's "Batch Shell" (layer-wise training of the most sensitive
layer) is ``selector="most_sensitive"`` here, and its "BCD" (mini-batching the data) is
``batch_shell=True`` or ``batch_size`` (the table in :mod:`bcdnet.hybrid`).

Stopping rules, each reported in ``TrainResult.stop_reason``: the iteration budget; the loss
tolerance (relative decrease of the training loss over the last ``n_blocks`` iterations below
``tol``); the sensitivity tolerance (``max |s| <`` ``sensitivity_tol``, by default 10 × the
optimizer's gradient tolerance, Paper B); patience on the validation loss (the best
parameters are restored); a callback; divergence (a non-finite loss: the last finite
parameters are restored); and a non-finite loss at the start (e.g. data near 1e300), where
nothing is trained and the parameters are left as they were.

On full batches a visit whose result is worse than its start is rejected (the block keeps
its old parameters), so with a deterministic optimizer the training loss never increases.
"""

from __future__ import annotations

import math
import os

import pandas as pd

from .bcd import HISTORY_COLUMNS, BCDRun
from ._threads import check_threads, limit_threads
from ._validation import (check_int, check_matrix, check_nonnegative, check_positive,
                          check_rng_seed, check_sample_weight, check_targets)
from .network import Network
from .optim import Optimizer, get_optimizer
from .selection import Selector, get_selector

__all__ = ["Trainer", "TrainResult"]


class TrainResult:
    """What a training run did.

    Attributes
    ----------
    net : Network
        The trained network (the same object that was passed to ``fit``).
    history : pandas.DataFrame
        Row 0 is the starting point (``iteration`` 0, ``selector`` ``{"strategy": "start"}``,
        no block: ``block``, ``first``, ``last`` and ``grad_inf`` empty, ``nit`` = ``nfev`` = 0)
        with the training and validation loss of the initial parameters; with ``icrs_init``
        the ICRS initialisation follows as a second row of iteration 0.  Then one row per
        BCD iteration: ``iteration``, ``block``, ``first``, ``last``,
        ``selector`` (JSON record of why the block was chosen), ``scores``, ``train_loss``,
        ``val_loss``, ``grad_inf`` (the block gradient's ∞-norm after the visit),
        ``sensitivity_inf``, ``nit``, ``nfev``, ``accepted`` (False: the visit's point was
        not kept, because it was worse or its selector undid it, and ``train_loss`` is the
        loss before it), ``optimizer_message``, ``cpu_s`` and ``wall_s`` (cumulative; ``cpu_s`` counts every thread of this process
        and the row-block helper processes working for it, ``bcdnet/_cpu.py``).
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
        Stop when every :math:`|s| <` this; "auto" is 10 × the optimizer's ``gtol`` (if any),
        Paper B's "sensitivity tolerance adjusted to 10 times the projected gradient
        tolerance".  Tested in every mode: on all rows (in batch-shell mode the shell's
        sensitivities trigger the test and all rows confirm it), at the cost of one backward
        pass per iteration, which is free after a whole-network visit (Identity 1).  None
        switches it off (and saves that pass for selectors that do not read scores).
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
        Without it the state is still kept when the same block is visited twice in a row
        (nothing else changed in between; end-to-end training is one long L-BFGS run).
    seed : int, default 0
        Seeds the Trainer's Generator (selector draws, shells, batches, ICRS).
    callbacks : list of callable
        ``callback(row)`` after each iteration with the history row (a dict); returning
        True stops training.
    progress : bool, optional
        Show a progress line; default: only when standard error is a terminal.
    checkpoint : str or path, optional
        File to write a checkpoint to every ``checkpoint_every`` iterations, at the end, and
        on KeyboardInterrupt (then holding the last complete iteration).
        ``fit(..., resume_from=checkpoint)`` continues such a run exactly: same history,
        same parameters as an uninterrupted run with the same seed.
    checkpoint_every : int, default 10
    threads : "auto", int or None, default "auto"
        Threads during ``fit`` (:mod:`bcdnet._threads`): BLAS is held to one thread and
        large evaluations run in up to this many row blocks at once, in helper processes
        (:mod:`bcdnet._row_processes`) or on threads ("auto":
        the cores; an int; None leaves the environment alone and runs one).  Never
        more than a limit set outside (a joblib or Dask worker, ``OPENBLAS_NUM_THREADS``,
        ``threadpoolctl``); restored after ``fit``.  The results do not depend on it.
    """

    def __init__(self, optimizer="lbfgs", selector="most_sensitive", *, max_iter=100,
                 inner_max_iter=None, epochs=None, batch_size=None, batch_shell=False,
                 shell_factor=1.1, icrs_init=0, tol=1e-6, sensitivity_tol="auto",
                 patience=None, restore_best=True, validate_steps=False, keep_state=False,
                 seed=0, callbacks=(), progress=None, checkpoint=None, checkpoint_every=10,
                 threads="auto"):
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
        if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
            raise TypeError(f"checkpoint must be a file path or None, got {checkpoint!r}")
        self.checkpoint = checkpoint
        self.checkpoint_every = check_int(checkpoint_every, "checkpoint_every", minimum=1)
        self.threads = check_threads(threads)

    def __repr__(self) -> str:
        return (f"Trainer(optimizer={self.optimizer!r}, selector={self.selector!r}, "
                f"max_iter={self.max_iter}, batch_shell={self.batch_shell}, "
                f"icrs_init={self.icrs_init}, seed={self.seed!r})")

    # ------------------------------------------------------------------ fit
    def fit(self, net: Network, X, Y, sample_weight=None, validation=None,
            resume_from=None) -> TrainResult:
        """Train ``net`` in place on ``(X, Y)``; ``validation``: ``(X_val, Y_val[, w_val])``.

        ``resume_from`` names a checkpoint written by a Trainer with the same settings on
        the same data; the run continues from it.

        Returns
        -------
        TrainResult
        """
        if not isinstance(net, Network):
            raise TypeError(f"net must be a Network, got {type(net).__name__}")
        X, Y, w = net._check_data(X, Y, sample_weight)
        val = self._check_validation(net, validation)
        with limit_threads(self.threads, net.sizes, X.shape[0]):
            rows, stop, best_it, best_val = BCDRun(self, net, X, Y, w, val).execute(resume_from)
        return TrainResult(net, rows, stop, best_it, best_val)

    @staticmethod
    def _check_validation(net, validation):
        if validation is None:
            return None
        if not isinstance(validation, (tuple, list)) or len(validation) not in (2, 3):
            raise TypeError("validation must be a tuple (X_val, Y_val) or (X_val, Y_val, w_val)")
        Xv = check_matrix(validation[0], "validation X", net.n_inputs, net.dtype, net.xp)
        Yv = check_targets(validation[1], "validation Y", Xv.shape[0], net.n_outputs, net.dtype,
                           net.xp)
        if len(validation) == 3 and validation[2] is not None:   # a weighted validation loss
            return Xv, Yv, check_sample_weight(validation[2], Xv.shape[0], net.dtype, net.xp)
        return Xv, Yv
