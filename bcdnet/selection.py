r"""Selectors: which block of layers block coordinate descent trains next, and why.

Every selector answers ``select(sens, iteration, rng) -> Selection``: the layers
``first..last`` to train (a single layer has ``first == last``) and a ``record`` of plain
JSON-friendly values saying why (strategy, scores, tree path, whether it explored).

=====================  ===========================  ==============================================
name                   class                        rule
=====================  ===========================  ==============================================
``"most_sensitive"``   :class:`MostSensitive`       argmax of the layer scores (Paper B)
``"bisection"``        :class:`Bisection`           binary tree over the layers, explore (Paper A)
``"random"``           :class:`RandomLayer`         a uniform layer
``"forward"``          :class:`ForwardSequential`   0, 1, ..., L-1, 0, 1, ...
``"ping_pong"``        :class:`PingPong`            0, 1, ..., L-1, L-2, ..., 1, 0, 1, ...
``"all"``              :class:`AllLayers`           every layer at once: end-to-end training
=====================  ===========================  ==============================================

Scores come from a :class:`~bcdnet.sensitivity.Sensitivity`: order 1 is the mean squared
neuron sensitivity, order 2 the trust-region Cauchy decrease (see :mod:`bcdnet.sensitivity`).

**ε-uniform mixing.**  With probability ``epsilon`` any selector (but :class:`RandomLayer`,
already uniform, and :class:`AllLayers`) picks a uniform layer instead of following its
rule, and says so in ``record["explored_uniform"]``.  A greedy rule such as "most
sensitive" carries no convergence guarantee of its own (a small sensitivity does not imply
a small block gradient), and can lock onto one layer.  Mixing gives every block probability
at least :math:`\varepsilon / L` at every iteration, which restores the expected-descent
argument of random block coordinate descent (Nesterov 2012; docs/design.rst, Selection).

Randomness comes only from the ``rng`` the caller (the Trainer) passes, and a selector
draws from it only when it has something random to decide, so a run repeats exactly from
the Trainer's seed.  The cyclic selectors keep a position; ``state_dict()`` and
``load_state_dict()`` save and restore it so a checkpointed run resumes identically.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np

from ._component import Component
from ._validation import check_choice, check_int, check_positive, check_probability
from .sensitivity import _check_order

__all__ = ["Selection", "Selector", "MostSensitive", "Bisection", "RandomLayer",
           "ForwardSequential", "PingPong", "AllLayers", "SELECTORS", "get_selector"]


@dataclass
class Selection:
    """The block a selector chose: layers ``first..last`` (inclusive), and why.

    Attributes
    ----------
    first, last : int
        Layer indices, ``0 <= first <= last < n_layers``.
    record : dict
        Plain values (str, int, float, bool, lists of them): ``"selector"`` and
        ``"explored_uniform"`` always, plus what the strategy adds.
    """

    first: int
    last: int
    record: dict = field(default_factory=dict)

    @property
    def layers(self) -> range:
        return range(self.first, self.last + 1)


class Selector(Component):
    """Base class: ε-uniform mixing, checks, state and ``__repr__``.

    A subclass sets :attr:`name` and :attr:`needs_sensitivity`, stores each ``__init__``
    argument under its own name (``get_params``, ``clone`` and ``repr`` read them from the
    signature), and implements :meth:`_select`; without it the class cannot be
    instantiated.  A selector with a position also implements :meth:`reset`,
    :meth:`_get_state` and :meth:`_set_state` (the state protocol of
    :class:`~bcdnet.optim.Optimizer`, written once in ``bcdnet._component``).

    Parameters
    ----------
    epsilon : float, default 0.0
        Probability in [0, 1] of picking a uniform layer instead of following the rule.

    Attributes
    ----------
    name : str or None
        The registry name, written into every record (the class name when None).
    needs_sensitivity : bool
        Whether the rule reads scores; otherwise ``select`` may be given ``sens=None``.
    """

    name: str | None = None
    needs_sensitivity = False
    _state_kind = "selector"

    def __init__(self, epsilon: float = 0.0):
        self.epsilon = check_probability(epsilon, "epsilon")

    def select(self, sens, iteration: int, rng: np.random.Generator,
               n_layers: int | None = None) -> Selection:
        """Choose the next block.

        Parameters
        ----------
        sens : Sensitivity or None
            At the current point; may be None when :attr:`needs_sensitivity` is False.
        iteration : int
            The 0-based BCD iteration.
        rng : numpy.random.Generator
            The caller's generator; the only source of randomness.
        n_layers : int, optional
            Number of layers; required when ``sens`` is None, else ``sens.n_layers``.

        Returns
        -------
        Selection
        """
        if sens is None:
            if self.needs_sensitivity:
                raise ValueError(f"sens must be a Sensitivity: {type(self).__name__} ranks "
                                 f"layers by their scores, got None")
            n_layers = check_int(n_layers, "n_layers", minimum=1)
        else:
            n_layers = check_int(getattr(sens, "n_layers", None), "sens.n_layers", minimum=1)
        iteration = check_int(iteration, "iteration", minimum=0)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
        if self.epsilon > 0.0 and rng.random() < self.epsilon:
            layer = int(rng.integers(n_layers))
            return Selection(layer, layer, {"selector": self._record_name(),
                                            "explored_uniform": True})
        selection = self._select(sens, n_layers, iteration, rng)
        if not 0 <= selection.first <= selection.last < n_layers:
            raise ValueError(f"{type(self).__name__} chose layers {selection.first}.."
                             f"{selection.last}, outside 0..{n_layers - 1}")
        selection.record = {"selector": self._record_name(), "explored_uniform": False,
                            **selection.record}
        return selection

    def reset(self) -> None:
        """Forget any position, so the next ``select`` starts afresh (stateless: nothing)."""

    def observe(self, row: dict) -> bool | None:
        """Hear what the chosen block's visit did (the Trainer's history row, a dict with
        ``first``, ``last``, ``nfev``, ``train_loss``, ...); schedules that adapt use it,
        the rest ignore it.  Returning False asks the Trainer to undo the visit (its
        parameters, and the optimizer state of the block visited before it, as they were;
        the row then says ``accepted=False`` and the training loss before the visit).
        Rows of iteration 0 (the starting point, and Paper B's ICRS initialisation) are
        heard too, so that a schedule knows the loss before its first visit; their
        ``first`` and ``last`` may be NaN, and what it returns for them is ignored."""

    def _record_name(self) -> str:
        return self.name or type(self).__name__

    # ---------------------------------------------------------------- for subclasses
    @abc.abstractmethod
    def _select(self, sens, n_layers: int, iteration: int, rng) -> Selection:
        """Return the :class:`Selection` of the rule (ε-mixing is done by :meth:`select`).

        Parameters
        ----------
        sens : Sensitivity or None
            At the current point; None when :attr:`needs_sensitivity` is False.
        n_layers : int
            Number of layers :math:`L`; the selection must satisfy
            ``0 <= first <= last < n_layers``.
        iteration : int
            The 0-based BCD iteration.
        rng : numpy.random.Generator
            The only source of randomness; draw from it only when something is random.

        The returned ``record`` holds what the rule adds (scores, a path); ``select``
        prepends ``"selector"`` and ``"explored_uniform"``.
        """


class _Scored(Selector):
    """Shared hyperparameters of the selectors that read scores."""

    needs_sensitivity = True

    def __init__(self, order: int = 1, trust_radius: float | None = None,
                 epsilon: float = 0.0, gauss_newton: bool = False):
        super().__init__(epsilon)
        self.order = _check_order(order)
        self.trust_radius = (None if trust_radius is None
                             else check_positive(trust_radius, "trust_radius"))
        if not isinstance(gauss_newton, (bool, np.bool_)):
            raise TypeError(f"gauss_newton must be a bool, got {type(gauss_newton).__name__}")
        self.gauss_newton = bool(gauss_newton)

    def _score(self, sens, first: int, last: int) -> float:
        return float(sens.group_score(first, last, order=self.order,
                                      trust_radius=self.trust_radius,
                                      gauss_newton=self.gauss_newton))


class MostSensitive(_Scored):
    """The layer with the highest score (Paper B, "most sensitive"); ties go to the lower index.

    Parameters
    ----------
    order : {1, 2}, default 1
        Score order (:meth:`Sensitivity.group_score`).
    trust_radius : float, optional
        :math:`\\Delta` of the order-2 score; default
        :data:`~bcdnet.sensitivity.SECOND_ORDER_RADIUS` (Paper A used 1e-3).
    epsilon : float, default 0.0
        ε-uniform mixing (module docstring).
    gauss_newton : bool, default False
        Order-2 curvature from the Gauss–Newton matrix.

    ``record["scores"]`` holds every layer's score; order 2 costs one HVP per layer.
    """

    name = "most_sensitive"

    def _select(self, sens, n_layers, iteration, rng):
        scores = [self._score(sens, l, l) for l in range(n_layers)]
        layer = int(np.argmax(scores))                 # the first maximum: lower index wins
        return Selection(layer, layer, {"order": self.order, "scores": scores})


class Bisection(_Scored):
    """Paper A's binary tree over the layers, with random exploration (docs/design.rst, Selection).

    Starting from all layers ``[lo, hi] = [0, L-1]``, split at ``mid = (lo + hi) // 2``
    into ``A = [lo, mid]`` and ``B = [mid+1, hi]``, score both halves, and follow the
    higher (``A`` on ties); with probability ``explore`` follow the other one, "to avoid
    getting trapped in loops".  A single layer is reached after at most
    :math:`\\lceil \\log_2 L \\rceil` levels, so it costs :math:`2\\lceil \\log_2 L \\rceil`
    group scores (order 2: as many HVPs) instead of one per layer.

    Parameters
    ----------
    order : {1, 2}, default 1
    explore : float, default 0.1
        Probability in [0, 1] of following the lower-scored half, at each level.
    trust_radius : float, optional
        As for :class:`MostSensitive`.
    epsilon : float, default 0.0
        ε-uniform mixing; with ``explore`` alone a layer's probability can be as low as
        :math:`\\text{explore}^{\\lceil \\log_2 L \\rceil}` (1e-5 for 0.1 and L = 20).
    gauss_newton : bool, default False

    ``record["path"]`` lists one ``[lo, mid, hi, score_A, score_B, went]`` per level, with
    ``went`` ``"A"`` or ``"B"``; ``record["explored"]`` says whether any level explored.
    """

    name = "bisection"

    def __init__(self, order: int = 1, explore: float = 0.1, trust_radius: float | None = None,
                 epsilon: float = 0.0, gauss_newton: bool = False):
        super().__init__(order, trust_radius, epsilon, gauss_newton)
        self.explore = check_probability(explore, "explore")

    def _select(self, sens, n_layers, iteration, rng):
        lo, hi = 0, n_layers - 1
        path, n_explored = [], 0
        while hi > lo:
            mid = (lo + hi) // 2
            score_a, score_b = self._score(sens, lo, mid), self._score(sens, mid + 1, hi)
            go_a = score_a >= score_b
            if self.explore > 0.0 and rng.random() < self.explore:
                go_a, n_explored = not go_a, n_explored + 1
            path.append([lo, mid, hi, score_a, score_b, "A" if go_a else "B"])
            lo, hi = (lo, mid) if go_a else (mid + 1, hi)
        return Selection(lo, lo, {"order": self.order, "path": path,
                                  "explored": n_explored > 0, "n_explored": n_explored})


class RandomLayer(Selector):
    """A layer drawn uniformly at random (Paper B, "random")."""

    name = "random"

    def __init__(self):
        super().__init__(0.0)

    def _select(self, sens, n_layers, iteration, rng):
        layer = int(rng.integers(n_layers))
        return Selection(layer, layer, {})


class _Cyclic(Selector):
    """A fixed periodic sequence of layers; the state is how many steps were taken."""

    def __init__(self, epsilon: float = 0.0):
        super().__init__(epsilon)
        self.step = 0

    @abc.abstractmethod
    def _layer(self, step: int, n_layers: int) -> int:
        """The layer the cycle visits at ``step`` (0, 1, 2, ...)."""

    def _select(self, sens, n_layers, iteration, rng):
        layer = self._layer(self.step, n_layers)
        self.step += 1
        return Selection(layer, layer, {"step": self.step - 1})

    def reset(self) -> None:
        self.step = 0

    def _get_state(self) -> dict:
        return {"step": self.step}

    def _set_state(self, state: dict) -> None:
        self.step = check_int(state["step"], "state['step']", minimum=0)


class ForwardSequential(_Cyclic):
    """Layers in order, cyclically: 0, 1, ..., L-1, 0, 1, ... (Paper B, "forward sequential").

    A uniform pick from ε-mixing does not advance the cycle.
    """

    name = "forward"

    def _layer(self, step, n_layers):
        return step % n_layers


class PingPong(_Cyclic):
    """Up the stack and back, the ends not repeated: 0, 1, ..., L-1, L-2, ..., 1, 0, 1, ...

    Paper B's "ping-pong" (a symmetric Gauss–Seidel sweep); period :math:`2(L-1)`, and
    0, 0, ... for one layer.  A uniform pick from ε-mixing does not advance the sweep.
    """

    name = "ping_pong"

    def _layer(self, step, n_layers):
        if n_layers == 1:
            return 0
        k = step % (2 * n_layers - 2)
        return k if k < n_layers else 2 * n_layers - 2 - k


class AllLayers(Selector):
    """One block covering every layer: end-to-end training through the same code path."""

    name = "all"

    def __init__(self):
        super().__init__(0.0)

    def _select(self, sens, n_layers, iteration, rng):
        return Selection(0, n_layers - 1, {})


#: Registry of selector classes by short name.
SELECTORS = {"most_sensitive": MostSensitive, "bisection": Bisection, "random": RandomLayer,
             "forward": ForwardSequential, "ping_pong": PingPong, "all": AllLayers}


def get_selector(name: str, **kwargs) -> Selector:
    """Build the selector registered as ``name`` with ``kwargs`` as its hyperparameters.

    Raises ValueError listing the valid names when ``name`` is unknown.
    """
    return SELECTORS[check_choice(name, "selector", SELECTORS)](**kwargs)
