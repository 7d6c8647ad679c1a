"""How many BLAS threads NumPy uses, for code that runs on small matrices."""

from __future__ import annotations

import contextlib


def blas_threads(n: int | None = 1):
    """Limit BLAS to ``n`` threads when threadpoolctl is installed (else change nothing).

    The networks bcdnet trains are a few neurons wide: a second BLAS thread only adds
    synchronisation, and on a busy 2-core machine it made a 20-layer gradient 3.5 times
    slower (28 ms against 8 ms).  ``n=None`` leaves the BLAS default.  Use as a context
    manager: ``with blas_threads(1): trainer.fit(...)``.
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")
