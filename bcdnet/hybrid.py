r"""Hybrid schedules: whole-network steps and layer steps in one run.

Both schedules are :class:`~bcdnet.selection.Selector` s, so they run through the one
Trainer loop (same history, checkpoints, stopping rules).  A *whole-network step* is a
visit of the block of every layer (end-to-end training for one visit); a *layer step* is a
visit of one layer chosen by its sensitivity score.  ``record["kind"]`` of every history
row says which it was (``"whole"`` or ``"layer"``).

**Names (Paper B and bcdnet).**  Paper B writes "BCD divides the dataset into mini-batches,
optimizing each batch separately, while the Batch Shell Method focuses on layer-by-layer
optimization, prioritizing the Most Sensitive Layer in the network".  bcdnet's names come
from the optimisation literature instead; the mapping is

=================================  ===========================================================
Paper B                            bcdnet
=================================  ===========================================================
"Batch Shell" (layer-wise, most    ``Trainer(selector="most_sensitive")``: block coordinate
sensitive layer)                   descent over layers
"BCD" (mini-batching the data)     ``Trainer(batch_shell=True)`` (a fresh row subset of
                                   1.1 × the parameter count per visit) or ``batch_size``
"hybrid"                           :class:`PaperBHybrid`
=================================  ===========================================================

**Cost.**  :func:`visit_cost` counts work, never time, so a seed gives the same run bit for
bit: a visit of layers ``first..last`` with ``nfev`` evaluations runs the layers
``first..L-1`` forward and back per evaluation (the layers below are the frozen prefix,
computed once per visit), and a sensitivity pass runs all :math:`L` layers once, unless
the sensitivities came free from the last whole-network gradient (Identity 1,
:func:`~bcdnet.sensitivity.sensitivity_from_gradient`):

.. math::

    c = n_{\text{rows}} \bigl(n_{\text{fev}} (L - \text{first}) + \text{first}
        + L\,[\text{sensitivities computed}]\bigr) \quad \text{layer-rows.}
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int, check_positive
from .selection import SELECTORS, Selection, Selector, _Scored

__all__ = ["PaperBHybrid", "AdaptiveHybrid", "visit_cost"]


def visit_cost(first: int, n_layers: int, nfev: int, n_rows: int,
               sensitivity_pass: bool) -> float:
    """The counted work of one visit, in layer-rows (module docstring).

    Parameters
    ----------
    first : int
        The block's first layer.
    n_layers : int
    nfev : int
        Objective evaluations of the visit.
    n_rows : int
        Rows of the visit's data.
    sensitivity_pass : bool
        Whether the iteration computed its sensitivities with a backward pass.

    Returns
    -------
    float
    """
    layers = nfev * (n_layers - first) + first + (n_layers if sensitivity_pass else 0)
    return float(n_rows) * float(layers)


def _whole(n_layers: int, kind_record: dict) -> Selection:
    return Selection(0, n_layers - 1, {"kind": "whole", **kind_record})


class PaperBHybrid(_Scored):
    """Paper B's hybrid: whole-network steps alternating with most-sensitive-layer steps.

    Paper B (Dorneanu, Mappas and Arellano-Garcia, "A Hybrid Method") describes its method as
    BCD "combined with traditional batch-based training to create a hybrid method that
    harnesses the strengths of both techniques", which "ensures that the model benefits from
    both global optimization strategies (e.g., ADAM) and targeted improvements in
    layer-specific sensitivity (via Batch Shell)", the Batch Shell Method "prioritizing the
    Most Sensitive Layer in the network".  It gives no ratio or switching rule.  Our reading:
    a fixed cycle of one global step (every layer, with the Trainer's optimizer and data:
    mini-batches with ``batch_size``) followed by ``layer_steps`` steps on the layer with
    the highest sensitivity score, recomputed before each.  ``layer_steps=1`` (the default)
    is the plain alternation, the reading that adds no number the paper does not give.

    Parameters
    ----------
    layer_steps : int, default 1
        Layer steps after each whole-network step.
    order, trust_radius, epsilon, gauss_newton
        As for :class:`~bcdnet.selection.MostSensitive` (the layer steps' scores).

    ``record["kind"]`` is ``"whole"`` or ``"layer"``; layer steps add ``"scores"``.
    """

    name = "paper_b_hybrid"

    def __init__(self, layer_steps: int = 1, order: int = 1, trust_radius: float | None = None,
                 epsilon: float = 0.0, gauss_newton: bool = False):
        super().__init__(order, trust_radius, epsilon, gauss_newton)
        self.layer_steps = check_int(layer_steps, "layer_steps", minimum=1)

    def _select(self, sens, n_layers, iteration, rng):
        if iteration % (self.layer_steps + 1) == 0:      # the cycle follows the iteration
            return _whole(n_layers, {})                   # count: no state to checkpoint
        scores = [self._score(sens, l, l) for l in range(n_layers)]
        layer = int(np.argmax(scores))
        return Selection(layer, layer, {"kind": "layer", "scores": scores})


class AdaptiveHybrid(_Scored):
    r"""OURS (not in the papers): switch between whole-network and layer steps by measured
    loss decrease per unit of counted cost.

    After every visit the schedule measures its *rate*, the training-loss decrease divided
    by :func:`visit_cost`, and remembers the latest rate of each kind.  It keeps taking steps
    of the current kind while their rate is at least ``switch_ratio`` times the other
    kind's last rate, and switches when it falls below (or the visit gained nothing).
    Rates fall as training converges, so the other kind's remembered rate is an optimistic
    estimate; a switch re-measures it, and the schedule switches back within a step if it
    was stale.  The run starts with whole-network steps (the first needs no sensitivities,
    and its gradient makes the next ones free, Identity 1) and measures its first layer step
    once whole-network steps have slowed: when their rate has fallen to ``first_trial``
    times the highest it reached.  Early in training a whole-network step gains the most
    (on CCPP it reaches 2x end-to-end's final test metric in one visit), so a layer step
    there only delays it; ``first_trial=1.0`` tries a layer step right after the first
    whole-network step.  Run side by side (`benchmarks/results/hybrid-first-trial.md`: 2-core
    AMD EPYC with AVX-512, five starts per problem, trials kept as ``undo=False`` keeps
    them), neither was faster everywhere: to end-to-end's
    final test metric the default took 0.60x end-to-end's time on steel against 0.69x, and
    0.12x against 0.10x on the 50-layer CSTR; on CCPP it kept end-to-end's path, and its
    counted work, up to 1.25x that metric.

    A layer step right after whole-network steps is a *trial*.  A trial that loses the
    comparison is undone (``undo=True``, the default): the Trainer puts its layer back
    (:meth:`~bcdnet.selection.Selector.observe` returns False) and the interrupted
    whole-network L-BFGS run goes on with its memory, exactly as if the trial had not
    happened.  Where layer steps never pay, the run is then end-to-end training bit for bit,
    plus the cost of the trials, so it cannot fall behind end-to-end by more than those
    trials.  ``undo=False`` keeps a losing trial's gain and loses the L-BFGS memory for it.
    Measured side by side (`benchmarks/results/hybrid.md`: 2-core Intel Xeon with AVX-512,
    five starts per problem), kept trials were the faster to end-to-end's final test metric
    (0.62x end-to-end's time on the 20-layer CSTR against 0.88x, 0.89x against 0.96x on
    steel), but they move the run off end-to-end's path into another local minimum, and on
    CCPP that missed end-to-end's final test metric from 2 of 5 starts in each of two earlier
    runs; undone trials reach it from every start where layer steps do not pay.  The
    default is the schedule that cannot fall behind.

    A layer step goes to the layer that ``layers`` selects (for example the bisection tree,
    :class:`~bcdnet.selection.Bisection`); by default to the layer with the highest
    predicted gain per cost, :math:`S(l) / (L - l)` (``cost_aware=True``): a late layer's
    visit only runs the layers above the frozen prefix, so it is cheap.
    ``cost_aware=False`` takes the plain most sensitive layer.  Layer steps differ with the
    layer chosen, so their rate is pooled over the last ``window`` layer steps (total gain
    over total cost); whole-network steps use their latest visit.

    Everything is counted, nothing timed: the same seed gives the same history bit for bit.

    Parameters
    ----------
    switch_ratio : float, default 1.0
        Switch when the current kind's rate < ``switch_ratio`` × the other kind's.
    cost_aware : bool, default True
    layers : Selector, optional
        Chooses the layer of a layer step (a copy is used); default: the rule above.
    window : int, default 1
        Layer steps pooled into the layer rate.
    undo : bool, default True
        Undo a trial layer step that loses the comparison (above).
    first_trial : float in (0, 1], default 0.1
        The first layer step waits until the whole-network rate has fallen to this
        fraction of its highest (1: right after the first whole-network step).
    order, trust_radius, epsilon, gauss_newton
        As for :class:`~bcdnet.selection.MostSensitive`.

    ``record`` holds ``"kind"``, the two remembered ``"rates"`` (``[whole, layer]``, None
    before the first measurement) and, for layer steps, ``"scores"``.
    """

    name = "adaptive_hybrid"
    _KINDS = ("whole", "layer")

    def __init__(self, switch_ratio: float = 1.0, cost_aware: bool = True, layers=None,
                 window: int = 1, undo: bool = True, first_trial: float = 0.1,
                 order: int = 1, trust_radius: float | None = None, epsilon: float = 0.0,
                 gauss_newton: bool = False):
        super().__init__(order, trust_radius, epsilon, gauss_newton)
        self.switch_ratio = check_positive(switch_ratio, "switch_ratio")
        if not isinstance(cost_aware, (bool, np.bool_)):
            raise TypeError(f"cost_aware must be a bool, got {type(cost_aware).__name__}")
        self.cost_aware = bool(cost_aware)
        if layers is not None and not isinstance(layers, Selector):
            raise TypeError(f"layers must be a Selector or None, got {type(layers).__name__}")
        self.layers = None if layers is None else layers.clone()
        self.window = check_int(window, "window", minimum=1)
        if not isinstance(undo, (bool, np.bool_)):
            raise TypeError(f"undo must be a bool, got {type(undo).__name__}")
        self.undo = bool(undo)
        self.first_trial = check_positive(first_trial, "first_trial")
        if self.first_trial > 1.0:
            raise ValueError(f"first_trial must be in (0, 1] (a fraction of the best "
                             f"whole-network rate), got {first_trial!r}")
        self.reset()

    def reset(self) -> None:
        self.kind = "whole"
        self.rates = [None, None]              # latest rate of [whole, layer]
        self.layer_steps = []                  # [gain, cost] of the last `window` layer steps
        self.loss_before = None                # training loss before the current visit
        self.sensitivity_pass = True           # did this iteration pay for its sensitivities
        self.n_layers = None
        self.last_kind = 0                     # the kind of the last visit (0: whole)
        self.best_whole = None                 # the highest whole-network rate so far
        if getattr(self, "layers", None) is not None:
            self.layers.reset()

    @property
    def needs_sensitivity(self) -> bool:
        """Only a layer step reads scores (of its own or of ``layers``)."""
        return self.kind == "layer" and (self.layers is None or self.layers.needs_sensitivity)

    def _select(self, sens, n_layers, iteration, rng):
        self.n_layers = n_layers
        self.sensitivity_pass = sens is not None and getattr(sens, "method", "ad") != "identity"
        if self.loss_before is None and sens is not None:
            self.loss_before = float(sens.loss)
        record = {"rates": list(self.rates)}
        if self.kind == "whole" or n_layers == 1:
            return _whole(n_layers, record)
        if self.layers is not None:
            chosen = self.layers.select(sens, iteration, rng)
            return Selection(chosen.first, chosen.last,
                             {"kind": "layer", "layers": chosen.record, **record})
        scores = [self._score(sens, l, l) for l in range(n_layers)]
        gains = [s / (n_layers - l) for l, s in enumerate(scores)] if self.cost_aware else scores
        layer = int(np.argmax(gains))
        return Selection(layer, layer, {"kind": "layer", "scores": scores, **record})

    def observe(self, row: dict) -> bool | None:
        if row["iteration"] == 0:               # the start (or the ICRS initialisation)
            self.loss_before = float(row["train_loss"])
            return None
        if self.n_layers is None or self.loss_before is None:   # an ε-uniform first pick
            return None
        k = 0 if row["first"] == 0 and row["last"] == self.n_layers - 1 else 1
        cost = visit_cost(int(row["first"]), self.n_layers, int(row["nfev"]),
                          int(row["n_rows"]), self.sensitivity_pass)
        gain = self.loss_before - float(row["train_loss"])
        trial, self.last_kind = k == 1 and self.last_kind == 0, k
        if k == 1:
            self.layer_steps = [*self.layer_steps, [gain, cost]][-self.window:]
            gain, cost = (sum(v) for v in zip(*self.layer_steps))
        self.rates[k] = gain / cost
        other = self.rates[1 - k]
        if k == 0 and (self.best_whole is None or self.rates[0] > self.best_whole):
            self.best_whole = self.rates[0]
        if other is None and k == 0:           # the first layer step waits for its moment
            slowed = self.rates[0] <= self.first_trial * self.best_whole
        else:
            slowed = other is None or self.rates[k] < self.switch_ratio * other
        switch = gain <= 0.0 or slowed
        self.kind = self._KINDS[1 - k if switch else k]
        if trial and switch and self.undo:
            self.last_kind = 0
            return False                        # undone: the loss stays self.loss_before
        self.loss_before = float(row["train_loss"])
        return None

    def _get_state(self) -> dict:
        return {"kind": self.kind, "rates": list(self.rates), "loss_before": self.loss_before,
                "sensitivity_pass": self.sensitivity_pass, "n_layers": self.n_layers,
                "last_kind": self.last_kind, "best_whole": self.best_whole,
                "layer_steps": [list(v) for v in self.layer_steps],
                "layers": None if self.layers is None else self.layers.state_dict()}

    def _set_state(self, state: dict) -> None:
        self.kind, self.rates = str(state["kind"]), list(state["rates"])
        self.loss_before, self.n_layers = state["loss_before"], state["n_layers"]
        self.sensitivity_pass = bool(state["sensitivity_pass"])
        self.last_kind = int(state.get("last_kind", 0))
        self.best_whole = state.get("best_whole")
        self.layer_steps = [list(v) for v in state["layer_steps"]]
        if self.layers is not None:
            self.layers.load_state_dict(state["layers"])


SELECTORS[PaperBHybrid.name] = PaperBHybrid
SELECTORS[AdaptiveHybrid.name] = AdaptiveHybrid
