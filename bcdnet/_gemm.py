r"""Matrix products written into a given array, optionally accumulated: :math:`C \mathrel{+}= AB`.

``numpy.matmul(A, B, out=C)`` can only overwrite ``C``, so a sum of two products such as
the forward R-pass :math:`R\{Z\} = R\{A_{prev}\} W + A_{prev} V_W` costs a temporary and an
extra sweep over an ``(n_samples, n_out)`` array to add it.  BLAS's ``gemm`` computes
:math:`C \leftarrow \alpha\, op(A)\, op(B) + \beta C` in one sweep, so with :math:`\beta = 1`
the sum needs neither.  SciPy exposes it (``scipy.linalg.blas``), column-major: for
row-major (C-contiguous) arrays we ask for the transpose,
:math:`C^\top \leftarrow B^\top A^\top + C^\top`, whose operands are the same memory read
column-major, so nothing is copied.

:func:`matmul_into` takes this route for NumPy float32/float64 arrays that BLAS can read in
place, and falls back to ``numpy.matmul`` (plus an add) otherwise.  Two cases stay with
``numpy.matmul`` even then, because it is faster there: products with a single output
column (NumPy calls ``gemv``) and small outputs reduced over many rows, such as the weight
gradient :math:`A_{prev}^\top \delta Z` of a narrow layer.  Outer products (inner dimension
1), which ``numpy.matmul`` handles slowly, always go to ``gemm``.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

from .backend import namespace_of

__all__ = ["matmul_into"]

_GEMM = {np.dtype(np.float64): blas.dgemm, np.dtype(np.float32): blas.sgemm}

#: an output smaller than this whose inner dimension is larger still (a weight gradient
#: A_prev^T dZ of a narrow layer, reduced over the samples) goes to numpy.matmul, measured
#: faster there on the 4-10-10-10-1 network
_SMALL_OUTPUT = 1024


def _column_major(M):
    """Return ``(M_cm, trans)``: a column-major array BLAS reads in place, and whether BLAS
    must transpose it to get :math:`M^\top`; ``(None, False)`` if ``M`` is neither C- nor
    F-contiguous."""
    if M.flags.c_contiguous:
        return M.T, False          # M^T itself, F-contiguous
    if M.flags.f_contiguous:
        return M, True             # M is F-contiguous: BLAS transposes it
    return None, False


def _use_gemm(A, B, out) -> bool:
    if not (type(A) is type(B) is type(out) is np.ndarray) or out.ndim != 2:
        return False
    if not (A.dtype == B.dtype == out.dtype) or out.dtype not in _GEMM:
        return False
    if not out.flags.c_contiguous or out.shape[1] == 1:
        return False
    inner = A.shape[1]
    return inner == 1 or out.size >= _SMALL_OUTPUT or inner < out.size


def matmul_into(A, B, out, accumulate: bool = False):
    r"""Compute :math:`C = AB` (or :math:`C \mathrel{+}= AB` with ``accumulate``) into ``out``.

    ``A`` is ``(n, k)``, ``B`` is ``(k, m)`` and ``out`` is ``(n, m)``; transposed views are
    fine.  Returns ``out``.
    """
    if _use_gemm(A, B, out):
        b_cm, trans_b = _column_major(A)       # C^T = B^T A^T: A^T is gemm's right operand
        a_cm, trans_a = _column_major(B)
        if a_cm is not None and b_cm is not None:
            result = _GEMM[out.dtype](1.0, a_cm, b_cm, 1.0 if accumulate else 0.0, out.T,
                                      trans_a=trans_a, trans_b=trans_b, overwrite_c=True)
            if result.ctypes.data != out.ctypes.data:    # never expected; stay correct
                out[...] = result.T
            return out
    if accumulate:
        out += A @ B
        return out
    return namespace_of(out).matmul(A, B, out=out)   # CuPy and strict arrays come here
