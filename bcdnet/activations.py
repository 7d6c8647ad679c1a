r"""Activation functions with their first and second derivatives.

An activation :math:`\sigma` acts elementwise on the pre-activations ``Z`` of a layer.  The
backward pass needs :math:`\sigma'` and the Hessian-vector product (R-operator) also needs
:math:`\sigma''`.  Many activations are cheaper to differentiate from their output
:math:`h = \sigma(z)` than from :math:`z` (``tanh' = 1 - h^2``), so ``df`` and ``d2f`` take
the already computed ``h`` as an optional second argument.

To add an activation, subclass :class:`Activation`, implement ``f``, ``df`` and ``d2f``
(each with an optional ``out=``), and optionally register it with :func:`register`.
"""

from __future__ import annotations

import abc

import numpy as np

from ._tanh import tanh as _tanh
from ._validation import check_choice, check_nonnegative
from .backend import namespace_of

__all__ = [
    "Activation",
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ACTIVATIONS",
    "get_activation",
    "register",
]


class Activation(abc.ABC):
    r"""Base class: an elementwise function ``f`` with derivatives ``df`` and ``d2f``.

    Subclasses implement the three methods below (abstract: a subclass missing one cannot be
    instantiated, and the ``TypeError`` names it).  ``z`` and ``h`` are arrays of the same
    shape; ``out``, when given, is a preallocated array of that shape that receives the
    result (and is returned).

    Attributes
    ----------
    name : str
        The registry name (``"tanh"``).
    init : str
        The default initialisation for layers using this activation (``"glorot"`` or ``"he"``).
    zero_curvature : bool
        True when :math:`\sigma'' = 0` wherever it exists (identity, ReLU family), so the
        R-passes can skip the :math:`\sigma''` term.
    """

    name = "activation"
    init = "glorot"
    zero_curvature = False  # True when d2f is 0 everywhere it exists: R-passes skip its term

    @abc.abstractmethod
    def f(self, z, out=None):
        """Return :math:`\\sigma(z)`, shaped like ``z``."""

    @abc.abstractmethod
    def df(self, z, h=None, out=None):
        """Return :math:`\\sigma'(z)`, shaped like ``z``; ``h = f(z)`` may be passed when known."""

    @abc.abstractmethod
    def d2f(self, z, h=None, out=None, d1=None):
        """Return :math:`\\sigma''(z)`, shaped like ``z``.

        ``h = f(z)`` and ``d1 = df(z)`` may be passed when already known.
        """

    def d2f_over_df(self, z, h, out=None):
        """Return :math:`\\sigma''(z) / \\sigma'(z)` when it is a smooth function of ``h``.

        Optional (the default returns None): when available, the backward R-pass forms its
        curvature term :math:`\\delta H \\odot \\sigma'' \\odot R\\{Z\\}` as
        :math:`\\delta Z \\odot (\\sigma''/\\sigma') \\odot R\\{Z\\}`, reusing
        :math:`\\delta Z = \\delta H \\odot \\sigma'` and saving passes over the data.
        """
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))


def _out(z, out):
    return namespace_of(z).empty_like(z) if out is None else out


class Identity(Activation):
    r"""The identity, used by the output layer.

    .. math::  \sigma(z) = z, \qquad \sigma'(z) = 1, \qquad \sigma''(z) = 0
    """

    name = "identity"
    zero_curvature = True

    def f(self, z, out=None):
        if out is None:
            return z.copy()
        out[...] = z
        return out

    def df(self, z, h=None, out=None):
        out = _out(z, out)
        out.fill(1.0)
        return out

    def d2f(self, z, h=None, out=None, d1=None):
        out = _out(z, out)
        out.fill(0.0)
        return out


class Tanh(Activation):
    r"""The hyperbolic tangent.

    .. math::  \sigma(z) = \tanh z, \qquad \sigma'(z) = 1 - h^2, \qquad
               \sigma''(z) = -2 h (1 - h^2), \qquad h = \tanh z

    On NumPy float64 arrays :math:`\tanh` runs by whichever of NumPy's and an exact
    ``exp``-based kernel is faster on this CPU (:mod:`bcdnet._tanh`).
    """

    name = "tanh"

    def f(self, z, out=None):
        return _tanh(z, out=out) if type(z) is np.ndarray else namespace_of(z).tanh(z, out=out)

    def df(self, z, h=None, out=None):
        xp = namespace_of(z)
        h = self.f(z) if h is None else h
        out = xp.multiply(h, h, out=out)
        return xp.subtract(1.0, out, out=out)

    def d2f(self, z, h=None, out=None, d1=None):
        xp = namespace_of(z)
        h = self.f(z) if h is None else h
        if d1 is None:
            out = self.df(z, h, out=out)
            out *= h
        else:
            out = xp.multiply(d1, h, out=out)
        out *= -2.0
        return out

    def d2f_over_df(self, z, h, out=None):
        """:math:`\\sigma''/\\sigma' = -2h`."""
        return namespace_of(h).multiply(h, -2.0, out=out)


class Sigmoid(Activation):
    r"""The logistic function, evaluated without overflow for any finite ``z``.

    .. math::  \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = h (1 - h), \qquad
               \sigma''(z) = h (1 - h)(1 - 2h), \qquad h = \sigma(z)

    Computed from :math:`t = e^{-|z|} \in (0, 1]`, which never overflows: for :math:`z < 0`,
    :math:`\sigma(z) = t / (1 + t)`, and for :math:`z \ge 0`, :math:`\sigma(z) = 1 - t/(1 + t)`.
    So ``|z|`` up to 1e3 and beyond gives no warning, and small values keep their relative
    accuracy (:math:`\sigma(-50) \approx 1.9 \times 10^{-22}`, not 0).
    """

    name = "sigmoid"

    def f(self, z, out=None):
        xp = namespace_of(z)
        out = xp.abs(z, out=out)
        xp.negative(out, out=out)
        xp.exp(out, out=out)                       # t = exp(-|z|)
        xp.divide(out, out + 1.0, out=out)         # t / (1 + t) = sigma(-|z|)
        if xp is np:
            np.subtract(1.0, out, out=out, where=z >= 0)
        else:                                      # CuPy's ufuncs take no where=
            xp.copyto(out, 1.0 - out, where=z >= 0)
        return out

    def df(self, z, h=None, out=None):
        h = self.f(z) if h is None else h
        out = namespace_of(h).subtract(1.0, h, out=out)
        out *= h
        return out

    def d2f(self, z, h=None, out=None, d1=None):
        h = self.f(z) if h is None else h
        out = namespace_of(h).multiply(h, -2.0, out=out)
        out += 1.0
        out *= self.df(z, h) if d1 is None else d1
        return out

    def d2f_over_df(self, z, h, out=None):
        """:math:`\\sigma''/\\sigma' = 1 - 2h`."""
        out = namespace_of(h).multiply(h, -2.0, out=out)
        out += 1.0
        return out


class LeakyReLU(Activation):
    r"""The leaky rectifier with slope ``negative_slope`` for negative inputs.

    .. math::  \sigma(z) = \max(z, 0) + \beta \min(z, 0), \qquad
               \sigma'(z) = \begin{cases} 1 & z > 0 \\ \beta & z \le 0 \end{cases}, \qquad
               \sigma''(z) = 0

    The kink at 0 takes the derivative from the left (:math:`\beta`); :math:`\sigma''` is the
    almost-everywhere value 0.

    Parameters
    ----------
    negative_slope : float, default 0.01
        The slope :math:`\beta \ge 0` for :math:`z \le 0`.
    """

    name = "leaky_relu"
    init = "he"
    zero_curvature = True

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = check_nonnegative(negative_slope, "negative_slope")

    def f(self, z, out=None):
        xp = namespace_of(z)
        if self.negative_slope == 0.0:
            return xp.maximum(z, 0.0, out=out)
        out = xp.multiply(z, self.negative_slope, out=out)
        return xp.maximum(z, out, out=out) if self.negative_slope <= 1 else xp.minimum(z, out, out=out)

    def df(self, z, h=None, out=None):
        out = _out(z, out)
        namespace_of(z).greater(z, 0.0, out=out, casting="unsafe")
        if self.negative_slope != 0.0:
            out *= 1.0 - self.negative_slope
            out += self.negative_slope
        return out

    def d2f(self, z, h=None, out=None, d1=None):
        out = _out(z, out)
        out.fill(0.0)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(negative_slope={self.negative_slope})"


class ReLU(LeakyReLU):
    r"""The rectifier, a :class:`LeakyReLU` with slope 0.

    .. math::  \sigma(z) = \max(z, 0), \qquad \sigma'(z) = [z > 0], \qquad \sigma''(z) = 0
    """

    name = "relu"

    def __init__(self):
        super().__init__(negative_slope=0.0)

    def __repr__(self) -> str:
        return "ReLU()"


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU)
}
ACTIVATIONS["linear"] = Identity


def register(cls: type[Activation]) -> type[Activation]:
    """Register an :class:`Activation` subclass under ``cls.name``; usable as a decorator."""
    if not (isinstance(cls, type) and issubclass(cls, Activation)):
        raise TypeError(f"register expects an Activation subclass, got {cls!r}")
    ACTIVATIONS[cls.name] = cls
    return cls


def get_activation(activation) -> Activation:
    """Return an :class:`Activation` from an instance, a subclass or a registry name.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    TypeError
        If ``activation`` is neither a string nor an Activation.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, type) and issubclass(activation, Activation):
        return activation()
    if isinstance(activation, str):
        key = activation.lower().replace("-", "_")
        check_choice(key, "activation", ACTIVATIONS)
        return ACTIVATIONS[key]()
    raise TypeError(
        f"activation must be a name such as 'tanh' or an Activation instance, got {activation!r}"
    )
