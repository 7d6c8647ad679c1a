"""The block coordinate descent loop: one ``Trainer.fit`` call, iteration by iteration.

:class:`~bcdnet.trainer.Trainer` holds the settings and checks the data;
:class:`BCDRun` runs the loop its docstring describes (:mod:`bcdnet.trainer` has the maths):
take the iteration's rows, compute sensitivities when the selector reads them, let the
selector choose a block (:meth:`BCDRun.iteration`), minimise over that block with the
block's own clone of the optimizer (:meth:`BCDRun._visit`), record a history row and test
the stopping rules (:meth:`BCDRun.checks`).

Everything that changes during a run lives on a :class:`BCDRun`, so that the end of every
iteration can be captured (:meth:`BCDRun.snapshot`) and a run can continue from a checkpoint
exactly as if it had never stopped.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from ._cpu import process_time
from ._progress import Progress
from ._validation import check_rng_seed
from .backend import asarray
from .checkpoint import fingerprint, resume, write_checkpoint
from .optim import ICRS, Optimizer
from .selection import Selection
from .sensitivity import Sensitivity, sensitivity, sensitivity_from_gradient

HISTORY_COLUMNS = ["iteration", "block", "first", "last", "n_rows", "selector", "scores",
                   "train_loss", "val_loss", "grad_inf", "sensitivity_inf", "nit", "nfev",
                   "accepted", "optimizer_message", "cpu_s", "wall_s"]


class BCDRun:
    """One training run: data, network, per-block optimizers, random state and history.

    Parameters
    ----------
    trainer : Trainer
        The settings (optimizer, selector, budgets, stopping rules, seed).
    net : Network
        Trained in place.
    X : ndarray of shape (n_samples, n_inputs)
    Y : ndarray of shape (n_samples, n_outputs)
    w : ndarray of shape (n_samples,) or None
        Checked by the Trainer, in the network's namespace and dtype.
    val : (X_val, Y_val) or None
        Validation data for early stopping.

    :meth:`execute` runs the loop and returns ``(history rows, stop reason, best iteration,
    best validation loss)``.
    """

    def __init__(self, trainer, net, X, Y, w, val):
        self.t, self.net, self.X, self.Y, self.w, self.val = trainer, net, X, Y, w, val
        self.rng = check_rng_seed(trainer.seed)
        self.optimizers: dict[tuple, Optimizer] = {}
        self.objectives: dict[tuple, object] = {}
        self.rows: list[dict] = []
        self.cpu0, self.wall0 = process_time(), time.perf_counter()
        size = trainer.shell_factor * net.n_params          # may be huge: compare first
        self.shell_size = (math.ceil(size) if trainer.batch_shell and size < X.shape[0]
                           else None)
        self._perm, self._pos = None, 0
        self.it, self.best_val, self.best_params, self.best_it = 0, math.inf, None, None
        self.stale, self.losses, self.stop = 0, [], None
        self.last_good = net.params.copy()
        self.last_block = None
        self.free_gradient = None     # (E, grad) after a whole-network visit: Identity 1
        self._saved = None
        trainer.selector.reset()

    # ---------------------------------------------------------------- data and pieces
    def _shell_rows(self):
        """The next ``shell_size`` rows of a shuffled order, reshuffled when used up."""
        n, k = self.X.shape[0], self.shell_size
        if self._perm is None or self._pos + k > n:
            self._perm, self._pos = self.rng.permutation(n), 0
        rows = np.sort(self._perm[self._pos:self._pos + k])
        rows = asarray(rows, self.net.xp)       # drawn on the host, moved to the data
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

    def _optimizer(self, key):
        """The block's optimizer; its state is kept if ``keep_state`` or if the same block
        was visited last (nothing else changed since, so an L-BFGS memory is still exact)."""
        opt = self.optimizers.get(key)
        if opt is None:
            opt = self.optimizers[key] = self.t.optimizer.clone()
        elif not self.t.keep_state and key != self.last_block:
            opt.reset()
        self.last_block = key
        return opt

    def _block(self, selection):
        net, n_layers = self.net, len(self.net.layers)
        if selection.first == selection.last:
            return net.blocks[selection.first]
        name = "all layers" if selection.last - selection.first + 1 == n_layers else None
        return net.block_covering(selection.first, selection.last, name)

    def _consider(self, val_loss) -> None:
        """Keep the parameters if ``val_loss`` is the best validation loss so far."""
        if val_loss < self.best_val:
            self.best_val, self.best_params, self.best_it = val_loss, self.net.params.copy(), self.it

    def _visit(self, obj, opt):
        """Optimise one block; returns the start, the optimizer's result and the new loss."""
        t, x0 = self.t, obj.x0()
        limits = {} if t.inner_max_iter is None else {"max_iter": t.inner_max_iter}
        if t.batch_size is not None:
            n, epochs = obj.X.shape[0], t.epochs or 1
            limits["max_iter"] = epochs * math.ceil(n / t.batch_size)
            res = opt.minimize(obj, x0, batches=_minibatches(self.rng, n, t.batch_size, epochs),
                               **limits)
            return x0, res, obj.value(res.x)
        callback = None
        if t.validate_steps and self.val is not None:
            def callback(step):
                obj.set(step.x)
                self._consider(self.net.loss_value(*self.val))
        res = opt.minimize(obj if opt.needs_gradient else obj.value, x0, callback=callback,
                           **limits)
        return x0, res, res.fun

    # ---------------------------------------------------------------- one iteration
    def iteration(self, it) -> dict | None:
        """Run BCD iteration ``it``; return its history row (None when a stop came first)."""
        t, net = self.t, self.net
        self.it = it
        best_before = self.best_val
        rows = self._shell_rows() if self.shell_size is not None else None
        Xd, Yd = (self.X, self.Y) if rows is None else (self.X[rows], self.Y[rows])
        wd = self.w if (rows is None or self.w is None) else self.w[rows]
        sens = self._sensitivity(Xd, Yd, wd, rows)
        s_inf = sens.max_abs() if isinstance(sens, Sensitivity) else math.nan
        if self._below_sensitivity_tol(s_inf, rows):
            return None
        selection = t.selector.select(sens, it - 1, self.rng, n_layers=len(net.layers))
        block = self._block(selection)
        obj = self._objective(block, rows)
        before = (self.last_block, self.free_gradient)     # what an undone visit restores
        x0, res, f_new = self._visit(obj, self._optimizer((block.first, block.last)))
        if not np.isfinite(f_new) or not net.xp.isfinite(res.x).all():
            net.params[:] = self.last_good
            self.stop = f"diverged: non-finite loss at iteration {it}; last finite parameters restored"
            return None
        accepted = True
        if rows is None and t.batch_size is None:   # full batch: never accept a worse point
            f_start = sens.loss if isinstance(sens, Sensitivity) else obj.value(x0)
            if f_new > f_start:
                accepted, f_new = False, f_start
        obj.set(res.x if accepted else x0)
        whole = block.first == 0 and block.last == len(net.layers) - 1
        self.free_gradient = ((f_new, res.jac) if whole and accepted and rows is None
                              and t.batch_size is None and res.jac is not None else None)
        train_loss = f_new if rows is None else net.loss_value(self.X, self.Y, self.w)
        row = self._row(it, block, obj.X.shape[0], selection, train_loss, math.nan, res,
                        accepted, s_inf)
        if t.selector.observe(row) is False and accepted:
            self._undo(obj, x0, before, row)
        self.last_good = net.params.copy()
        if self.val is not None:
            row["val_loss"] = float(net.loss_value(*self.val))
        self.rows.append(row)
        self.losses.append(row["train_loss"])
        if self.val is not None:
            self._consider(row["val_loss"])
            self.stale = 0 if self.best_val < best_before else self.stale + 1
        return row

    def _undo(self, obj, x0, before, row) -> None:
        """Undo a visit its selector rejected (a trial that did not pay): the block's
        parameters go back to ``x0``, and with them the last block visited and the free
        gradient, so an L-BFGS run interrupted by the trial goes on exactly as if it had
        never happened.  The row keeps the visit's cost, says ``accepted=False`` and names
        the training loss the visit had reached in its ``optimizer_message``."""
        obj.set(x0)
        self.last_block, self.free_gradient = before
        row.update(train_loss=self.rows[-1]["train_loss"], accepted=False,
                   optimizer_message=(f"undone by the selector at a training loss of "
                                      f"{row['train_loss']!r}; {row['optimizer_message']}"))

    def _sensitivity(self, Xd, Yd, wd, rows):
        """This iteration's sensitivities: free after a whole-network visit (Identity 1),
        else one backward pass when the selector or the sensitivity tolerance reads them
        (else a layer count only)."""
        free, self.free_gradient = self.free_gradient, None
        if free is not None and rows is None:
            sens = sensitivity_from_gradient(self.net, Xd, Yd, wd, *free)
            if sens is not None:
                return sens
        if self.t.selector.needs_sensitivity or self.t.sensitivity_tol is not None:
            return sensitivity(self.net, Xd, Yd, wd)
        return None                     # the selector needs only the layer count

    def _below_sensitivity_tol(self, s_inf, rows) -> bool:
        """Paper B's stop: max |s| below the tolerance, on all rows.  In batch-shell mode the
        shell's sensitivities only trigger the test; the full data confirm it."""
        tol = self.t.sensitivity_tol
        if tol is None or not s_inf < tol:
            return False
        where = ""
        if rows is not None:
            s_inf = sensitivity(self.net, self.X, self.Y, self.w).max_abs()
            if not s_inf < tol:
                return False
            where = " on all rows (batch shell)"
        self.stop = f"sensitivity tolerance: max |dE/dalpha| = {s_inf:.3g} < {tol:.3g}{where}"
        return True

    def checks(self, row) -> None:
        """The stopping rules that follow a completed iteration (callbacks, patience, tol)."""
        t, it = self.t, self.it
        if any(cb(row) for cb in t.callbacks):
            self.stop = f"stopped by a callback at iteration {it}"
        elif t.patience is not None and self.val is not None and self.stale >= t.patience:
            self.stop = f"patience: no better validation loss for {t.patience} iterations"
        elif t.tol > 0 and len(self.losses) > len(self.net.blocks):
            window = len(self.net.blocks)
            before = self.losses[-window - 1]
            if before - self.losses[-1] <= t.tol * max(abs(before), 1e-300):
                self.stop = (f"loss tolerance: training loss fell by less than {t.tol:g} "
                             f"(relative) over the last {window} iterations")

    # ---------------------------------------------------------------- the run
    def execute(self, resume_from=None):
        t, net = self.t, self.net
        if resume_from is not None:
            resume(self, resume_from)      # checks every field, then self.restore
        else:
            self._record_start()
            if t.icrs_init and self.stop is None:
                self._icrs_initialise()
                self.last_good = net.params.copy()
        progress = Progress(t.max_iter, enabled=t.progress)
        saving = t.checkpoint is not None
        self._saved = self.snapshot() if saving else None
        try:
            while self.stop is None and self.it < t.max_iter:
                row = self.iteration(self.it + 1)
                if row is not None:
                    progress.update(self.it, row["block"], row["train_loss"], row["val_loss"])
                    self.checks(row)
                if saving:
                    self._saved = self.snapshot()
                    if self.it % t.checkpoint_every == 0:
                        write_checkpoint(t.checkpoint, self._saved)
        except KeyboardInterrupt:
            progress.close()
            if saving:       # the end of the last complete iteration, resumable exactly
                write_checkpoint(t.checkpoint, self._saved)
                self.restore(self._saved)
            else:
                net.params[:] = self.last_good
            raise
        progress.close()
        budget_spent = self.stop is None
        if budget_spent:
            self.stop = f"max_iter ({t.max_iter}) BCD iterations done"
        if saving:   # a run stopped by its budget continues when resumed with a larger one
            self._saved["stop"] = None if budget_spent else self.stop
            write_checkpoint(t.checkpoint, self._saved)
        if self.val is not None and t.restore_best and self.best_params is not None:
            net.params[:] = self.best_params
        return self.rows, self.stop, self.best_it, (self.best_val if self.val else None)

    def _record_start(self):
        """Iteration 0: the losses of the initial parameters (a candidate for the best
        validation loss).  A non-finite training loss ends the run here: no optimizer can
        start from it, and the parameters stay as they were."""
        train_loss = self.net.loss_value(self.X, self.Y, self.w)
        val_loss = self.net.loss_value(*self.val) if self.val is not None else math.nan
        row = dict.fromkeys(HISTORY_COLUMNS, math.nan)
        row.update(iteration=0, block=None, n_rows=int(self.X.shape[0]),
                   selector=json.dumps({"strategy": "start"}), scores=None,
                   train_loss=float(train_loss), val_loss=float(val_loss), nit=0, nfev=0,
                   accepted=True, optimizer_message="starting point (initial parameters)",
                   cpu_s=process_time() - self.cpu0,
                   wall_s=time.perf_counter() - self.wall0)
        self.rows.append(row)
        self.t.selector.observe(dict(row))       # a schedule hears the starting loss
        if not math.isfinite(train_loss):
            self.stop = (f"non-finite loss at the start: the initial parameters give a "
                         f"training loss of {train_loss} (data too large for float64?); "
                         f"nothing was trained")
        elif self.val is not None:
            self._consider(val_loss)

    def _icrs_initialise(self):
        """Paper B's BCD-ICRS: a derivative-free search over all parameters before BCD."""
        net = self.net
        block = net.block_covering(0, len(net.layers) - 1, "all layers")
        rows = self._shell_rows() if self.shell_size is not None else None
        obj = self._objective(block, rows)
        x0 = obj.x0()
        res = ICRS(max_eval=self.t.icrs_init, seed=self.rng).minimize(obj.value, x0)
        obj.set(res.x if np.isfinite(res.fun) else x0)
        train_loss = net.loss_value(self.X, self.Y, self.w)
        val_loss = net.loss_value(*self.val) if self.val is not None else math.nan
        if self.val is not None:
            self._consider(val_loss)
        record = {"strategy": "icrs_init", "evaluations": int(res.nfev)}
        self.rows.append(self._row(0, block, obj.X.shape[0],
                                   Selection(0, len(net.layers) - 1, record),
                                   train_loss, val_loss, res, True, math.nan))
        self.t.selector.observe(dict(self.rows[-1]))

    def _row(self, it, block, n_rows, selection, train_loss, val_loss, res, accepted, s_inf):
        scores = selection.record.get("scores")
        jac = getattr(res, "jac", None)
        return {
            "iteration": it, "block": block.name, "first": block.first, "last": block.last,
            "n_rows": int(n_rows),
            "selector": json.dumps(selection.record, sort_keys=True, default=float),
            "scores": None if scores is None else [float(s) for s in scores],
            "train_loss": float(train_loss), "val_loss": float(val_loss),
            "grad_inf": float(abs(jac).max()) if jac is not None and jac.size else math.nan,
            "sensitivity_inf": float(s_inf), "nit": int(res.nit), "nfev": int(res.nfev),
            "accepted": bool(accepted), "optimizer_message": str(res.message),
            "cpu_s": process_time() - self.cpu0, "wall_s": time.perf_counter() - self.wall0,
        }

    # ---------------------------------------------------------------- checkpoints
    def snapshot(self) -> dict:
        """The run's state at the end of the current iteration, as plain data (copies)."""
        return {
            "fingerprint": fingerprint(self.net, self.X, self.Y, self.w, self.val),
            "iteration": self.it, "stop": self.stop,
            "params": self.net.params.copy(), "scales": self.net.scales.copy(),
            "last_good": self.last_good.copy(),
            "best_val": self.best_val, "best_it": self.best_it, "best_params": self.best_params,
            "stale": self.stale, "losses": list(self.losses),
            "rng": json.dumps(self.rng.bit_generator.state),
            "selector": self.t.selector.state_dict(),
            "optimizers": [{"first": k[0], "last": k[1], "state": opt.state_dict()}
                           for k, opt in self.optimizers.items()],
            "perm": self._perm, "pos": self._pos, "rows": [dict(r) for r in self.rows],
            "last_block": None if self.last_block is None else list(self.last_block),
            "free_gradient": None if self.free_gradient is None else list(self.free_gradient),
            "cpu": process_time() - self.cpu0, "wall": time.perf_counter() - self.wall0,
        }

    def restore(self, state: dict) -> None:
        """Continue from a :meth:`snapshot` (read back from a checkpoint file:
        :func:`bcdnet.checkpoint.resume` checks it against this run first)."""
        self.net.params, self.net.scales = state["params"], state["scales"]   # moved to net.xp
        self.last_good = self.net.xp.array(state["last_good"])
        self.it, self.stop, self.stale = int(state["iteration"]), state["stop"], state["stale"]
        self.best_val, self.best_it = float(state["best_val"]), state["best_it"]
        bp = state["best_params"]
        self.best_params = None if bp is None else self.net.xp.array(bp)
        self.losses = [float(v) for v in state["losses"]]
        self.rng.bit_generator.state = json.loads(state["rng"])
        self.t.selector.load_state_dict(state["selector"])
        self.optimizers = {}
        for entry in state["optimizers"]:
            opt = self.t.optimizer.clone()
            opt.load_state_dict(entry["state"])
            self.optimizers[(entry["first"], entry["last"])] = opt
        self._perm = None if state["perm"] is None else np.array(state["perm"])
        self._pos = int(state["pos"])
        self.last_block = None if state["last_block"] is None else tuple(state["last_block"])
        self.rows = [dict(r) for r in state["rows"]]
        free = state.get("free_gradient")       # absent from checkpoints before Identity 1
        self.free_gradient = (None if free is None
                              else (float(free[0]), self.net.xp.asarray(free[1])))
        self.cpu0 = process_time() - state["cpu"]
        self.wall0 = time.perf_counter() - state["wall"]


def _minibatches(rng, n, batch_size, epochs):
    """Row-index batches: each epoch a new permutation cut into ``batch_size`` pieces."""
    for _ in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield perm[start:start + batch_size]
