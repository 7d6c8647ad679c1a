r"""Matrix products written into a given array, optionally accumulated: :math:`C \mathrel{+}= AB`.

Every product goes through the array namespace's ``matmul`` (NumPy's BLAS on the CPU), and
only through it.  An earlier version called SciPy's ``dgemm`` to accumulate in one sweep;
but NumPy and SciPy each load their own OpenBLAS, each with a pool of threads spinning on
every core, and the two pools fought over them: the 4-10-10-10-1 gradient took 19 ms at the
default threads against 12 ms with NumPy's BLAS alone (and the HVP 60 ms against 20 ms, on a
2-core machine; 1 thread each: 5.0 and 4.2 ms).  One BLAS library means one pool for the
thread policy (:mod:`bcdnet._threads`) to size.

Accumulation costs a temporary :math:`AB` and an add; outer products (inner dimension 1),
which ``matmul`` handles slowly, are ``einsum``'s: on the 2-core AMD machine 85 us for a
7,654 x 10 product against 154 us for the broadcast ``A * B`` and 151 us for ``matmul``
(5,000 x 2: 34 against 60 us), the same single products, so the same bits.  A small
transposed right-hand factor (:math:`\delta Z\, W^\top` in a backward pass) is copied to C
order first: OpenBLAS's kernel for a tall matrix times a small transposed one was the slower,
and the copy of at most ``SMALL_B`` values costs a microsecond.  With NumPy's AVX-512 on, on
a 2-core Xeon, the copy took ``loss_grad`` of 4-(5x20)-2 and 4-(5x50)-2 on 10,000 rows to
0.92-0.95 of its time, the HVP to 0.86, with the same bits (interleaved, both orders).
"""

from __future__ import annotations

import numpy as np

from .backend import namespace_of

__all__ = ["matmul_into"]

#: a right-hand factor of at most this many values that is not C-contiguous (a narrow
#: layer's weight matrix transposed, in backward passes) is copied to C order first
SMALL_B = 256


def matmul_into(A, B, out, accumulate: bool = False):
    r"""Compute :math:`C = AB` (or :math:`C \mathrel{+}= AB` with ``accumulate``) into ``out``.

    ``A`` is ``(n, k)``, ``B`` is ``(k, m)`` and ``out`` is ``(n, m)``; transposed views are
    fine.  Returns ``out``.
    """
    xp = namespace_of(out)
    outer = A.shape[1] == 1 and type(out) is np.ndarray
    if (type(B) is np.ndarray and not B.flags.c_contiguous and B.size <= SMALL_B
            and A.shape[0] > B.shape[1]):
        B = np.ascontiguousarray(B)
    if accumulate:
        out += A * B if outer else xp.matmul(A, B)
        return out
    if outer:
        return np.einsum("ik,kj->ij", A, B, out=out)
    return xp.matmul(A, B, out=out)
