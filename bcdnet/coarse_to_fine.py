r"""Paper A's coarse-to-fine descent: train whole halves of the network, then finer parts.

Paper A (§3): "Employing a set bisection strategy, the procedure is moving downward through
an expanding binary search tree, iteratively refining the level of detail considered for
optimization, until user-defined criteria are satisfied or the final level of detail is
reached"; its conclusion: the algorithm "selects and optimizes one side of a binary tree at
each level until a single layer remains".  :class:`~bcdnet.selection.Bisection` walks the
tree down to one layer within one iteration and trains only that layer;
:class:`CoarseToFine` trains at every level:

1. at the root ``[0, L-1]`` (level 0), split into halves ``A = [lo, mid]``,
   ``B = [mid+1, hi]``, score both and train the higher one (with probability ``explore``
   the other) *as one block*: that visit is level 1;
2. after the visit, ask the descent rule; if it says descend, the next iteration splits
   the block just trained (level 2, 3, ...), with sensitivities recomputed at the new
   point; otherwise, or when the block is a single layer, the next iteration starts again
   at the root.

The descent rule (all given parts must agree): ``max_level`` (never train deeper than this
level), ``min_gain`` (descend only while the last visit lowered the training loss by at
least this fraction: a block that gains little is not refined, the tree restarts from the
top), and ``descend``, a callable ``descend(info) -> bool`` with ``info`` a dict of
``level``, ``first``, ``last``, ``gain`` (relative training-loss decrease of the visit) and
``row`` (the Trainer's history row).  With none given it descends to a single layer, as in
the paper's conclusion.

``record`` of each row: ``"level"``, ``"path"`` (as :class:`~bcdnet.selection.Bisection`,
one ``[lo, mid, hi, score_A, score_B, went]``) and ``"explored"``.
"""

from __future__ import annotations

import math

from ._validation import check_int, check_nonnegative, check_probability
from .selection import SELECTORS, Selection, _Scored

__all__ = ["CoarseToFine"]


class CoarseToFine(_Scored):
    """Paper A's coarse-to-fine bisection, training the chosen half at every level.

    Parameters
    ----------
    order : {1, 2}, default 1
    explore : float, default 0.1
        Probability of training the lower-scored half instead ("to avoid getting trapped
        in loops", Paper A).
    max_level : int, optional
        Deepest level trained (1: always a half of the whole network).
    min_gain : float, default 0.0
        Descend only after a visit whose relative training-loss decrease is at least this.
    descend : callable, optional
        ``descend(info) -> bool``, the user's rule (module docstring).
    trust_radius, epsilon, gauss_newton
        As for :class:`~bcdnet.selection.Bisection`.
    """

    name = "coarse_to_fine"

    def __init__(self, order: int = 1, explore: float = 0.1, max_level: int | None = None,
                 min_gain: float = 0.0, descend=None, trust_radius: float | None = None,
                 epsilon: float = 0.0, gauss_newton: bool = False):
        super().__init__(order, trust_radius, epsilon, gauss_newton)
        self.explore = check_probability(explore, "explore")
        self.max_level = None if max_level is None else check_int(max_level, "max_level", 1)
        self.min_gain = check_nonnegative(min_gain, "min_gain")
        if descend is not None and not callable(descend):
            raise TypeError(f"descend must be a callable or None, got {type(descend).__name__}")
        self.descend = descend
        self.reset()

    def reset(self) -> None:
        self.node = None          # [lo, hi] to split next; None: the root
        self.level = 0            # the level of the node
        self.trained = None       # [first, last, level] of the last selection
        self.loss_before = None

    def _select(self, sens, n_layers, iteration, rng):
        if self.loss_before is None:
            self.loss_before = float(sens.loss)
        lo, hi = self.node if self.node is not None else (0, n_layers - 1)
        level = self.level if self.node is not None else 0
        if hi == lo:                                     # one layer: nothing to split
            self.trained = [lo, hi, level]
            return Selection(lo, hi, {"level": level, "path": [], "explored": False})
        mid = (lo + hi) // 2
        score_a, score_b = self._score(sens, lo, mid), self._score(sens, mid + 1, hi)
        go_a = score_a >= score_b
        explored = self.explore > 0.0 and rng.random() < self.explore
        go_a = go_a != explored
        first, last = (lo, mid) if go_a else (mid + 1, hi)
        self.trained = [first, last, level + 1]
        return Selection(first, last, {"level": level + 1, "explored": explored,
                                       "path": [[lo, mid, hi, score_a, score_b,
                                                 "A" if go_a else "B"]]})

    def observe(self, row: dict) -> None:
        if self.trained is None or self.loss_before is None:     # an ε-uniform first pick
            return
        first, last, level = self.trained
        after = float(row["train_loss"])
        gain = (self.loss_before - after) / max(abs(self.loss_before), 1e-300)
        self.loss_before, self.trained = after, None
        if row["first"] != first or row["last"] != last:       # an ε-uniform pick
            self.node = None
            return
        go = (last > first
              and (self.max_level is None or level < self.max_level)
              and math.isfinite(gain) and gain >= self.min_gain
              and (self.descend is None or bool(self.descend(
                  {"level": level, "first": first, "last": last, "gain": gain, "row": row}))))
        self.node, self.level = ([first, last], level) if go else (None, 0)

    def _get_state(self) -> dict:
        return {"node": self.node, "level": self.level, "trained": self.trained,
                "loss_before": self.loss_before}

    def _set_state(self, state: dict) -> None:
        self.node, self.level = state["node"], int(state["level"])
        self.trained, self.loss_before = state["trained"], state["loss_before"]


SELECTORS[CoarseToFine.name] = CoarseToFine
