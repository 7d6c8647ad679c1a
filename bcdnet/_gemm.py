r"""Matrix products written into a given array, optionally accumulated: :math:`C \mathrel{+}= AB`.

Every product goes through the array namespace's ``matmul`` (NumPy's BLAS on the CPU), and
only through it.  An earlier version called SciPy's ``dgemm`` to accumulate in one sweep;
but NumPy and SciPy each load their own OpenBLAS, each with a pool of threads spinning on
every core, and the two pools fought over them: the 4-10-10-10-1 gradient took 19 ms at the
default threads against 12 ms with NumPy's BLAS alone (and the HVP 60 ms against 20 ms, on a
2-core machine; 1 thread each: 5.0 and 4.2 ms).  One BLAS library means one pool for the
thread policy (:mod:`bcdnet._threads`) to size.

Accumulation costs a temporary :math:`AB` and an add; outer products (inner dimension 1),
which ``matmul`` handles slowly, are an elementwise broadcast product instead.
"""

from __future__ import annotations

import numpy as np

from .backend import namespace_of

__all__ = ["matmul_into"]


def matmul_into(A, B, out, accumulate: bool = False):
    r"""Compute :math:`C = AB` (or :math:`C \mathrel{+}= AB` with ``accumulate``) into ``out``.

    ``A`` is ``(n, k)``, ``B`` is ``(k, m)`` and ``out`` is ``(n, m)``; transposed views are
    fine.  Returns ``out``.
    """
    xp = namespace_of(out)
    outer = A.shape[1] == 1 and type(out) is np.ndarray
    if accumulate:
        out += A * B if outer else xp.matmul(A, B)
        return out
    if outer:
        return np.multiply(A, B, out=out)
    return xp.matmul(A, B, out=out)
