r"""Weight initialisers: a ``(fan_in, fan_out)`` matrix drawn on the host from a NumPy Generator.

``INITIALIZERS`` maps the names a :class:`~bcdnet.layers.Dense` layer accepts (``init=``) to
the functions ``init(rng, fan_in, fan_out, dtype) -> ndarray``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["INITIALIZERS"]


def _glorot(rng, fan_in, fan_out, dtype):
    r"""Glorot (Xavier) uniform: :math:`U(-a, a)`, :math:`a = \sqrt{6 / (n_{in} + n_{out})}`."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


def _he(rng, fan_in, fan_out, dtype):
    r"""He (Kaiming) uniform: :math:`U(-a, a)`, :math:`a = \sqrt{6 / n_{in}}`."""
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


def _orthogonal(rng, fan_in, fan_out, dtype):
    r"""Orthogonal (Saxe et al. 2014): the Q factor of a Gaussian matrix, signs fixed by R.

    The result has orthonormal rows or columns (whichever are fewer), so a deep stack of
    square layers preserves the norm of signals and gradients: the reason deep, narrow tanh
    stacks (Paper A's 20 and 50 layers of 5 neurons) train from it and barely from Glorot.
    """
    big, small = max(fan_in, fan_out), min(fan_in, fan_out)
    q, r = np.linalg.qr(rng.standard_normal((big, small)))
    q *= np.sign(np.diag(r))
    return (q if fan_in >= fan_out else q.T).astype(dtype)


INITIALIZERS = {"glorot": _glorot, "he": _he, "orthogonal": _orthogonal}
