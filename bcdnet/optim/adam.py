r"""Adam: adaptive moment estimation (Kingma & Ba 2015, Algorithm 1)."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_positive, check_probability
from ..backend import namespace_of
from .base import SteppingOptimizer, check_max_iter, check_tolerance

__all__ = ["Adam"]


def _size(value) -> int:
    """Number of entries of an array of any namespace, or of a list."""
    return value.size if hasattr(value, "size") else np.size(value)


class Adam(SteppingOptimizer):
    r"""Adam, as in Kingma & Ba (2015), Algorithm 1, with bias correction.

    With gradient :math:`g_t` at step :math:`t = 1, 2, \dots`:

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat m_t &= m_t / (1 - \beta_1^t) \\
        \hat v_t &= v_t / (1 - \beta_2^t) \\
        x_t &= x_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    all element-wise, with :math:`m_0 = v_0 = 0`.  Because of the bias correction the
    first step is :math:`\eta\, g_1 / (|g_1| + \epsilon) \approx \eta\,\mathrm{sign}(g_1)`
    per coordinate.  :math:`\epsilon` is the one of Algorithm 1, added after the square
    root (not the "epsilon hat" of the paper's Section 2 that Keras uses).

    The state is :math:`(m, v, t)`.  It persists across calls of :meth:`minimize` on the same
    instance and is cleared by :meth:`reset`.  Inside the :class:`~bcdnet.trainer.Trainer`
    each block has its own instance, and the Trainer *resets* it whenever block coordinate
    descent switches to that block from another one, so a revisited block starts again
    from :math:`m = v = 0`, :math:`t = 0` (with the bias-correction warm-up); only
    consecutive visits of the same block (nothing else changed in between) continue the
    moments.  ``Trainer(keep_state=True)`` keeps every block's moments and step counter
    across switches instead (docs/design.rst, section Optimizers §4.3).  With ``batches``
    each step uses one mini-batch gradient (see :class:`~bcdnet.optim.base.SteppingOptimizer`).

    Reference: D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization",
    ICLR 2015, arXiv:1412.6980, Algorithm 1.

    Parameters
    ----------
    lr : float, default 1e-3
        Step size :math:`\eta` (> 0).
    betas : (float, float), default (0.9, 0.999)
        Decay rates :math:`\beta_1, \beta_2`, each in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon` (> 0).
    max_iter : int, default 1000
        Steps per call.
    gtol : float, default 0.0
        Stop when :math:`\lVert g \rVert_\infty \le` gtol; 0 switches the test off.
    """

    limits = {"max_iter": check_max_iter, "gtol": check_tolerance}

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, *, max_iter=1000, gtol=0.0):
        self.lr = check_positive(lr, "lr")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if check_probability(beta, f"betas[{i}]") >= 1.0:
                raise ValueError(f"betas[{i}] must lie in [0, 1), got {beta}")
        self.betas = betas
        self.eps = check_positive(eps, "eps")
        self._check_limits(max_iter=max_iter, gtol=gtol)
        self.reset()

    def reset(self):
        self.m = None   # first moment, shape (n,)
        self.v = None   # second moment, shape (n,)
        self.t = 0      # steps taken
        self._g2 = None

    def _prepare(self, size):
        xp = self._xp
        if self.m is None:
            self.m = xp.zeros(size)
            self.v = xp.zeros(size)
        if self._g2 is None or self._g2.size != size or namespace_of(self._g2) is not xp:
            self._g2 = xp.empty(size)

    def _step(self, x, g):
        beta1, beta2 = self.betas
        self.t += 1
        m, v, g2 = self.m, self.v, self._g2
        m *= beta1                       # m = beta1 m + (1 - beta1) g
        m += (1.0 - beta1) * g
        self._xp.multiply(g, g, out=g2)  # v = beta2 v + (1 - beta2) g^2
        g2 *= 1.0 - beta2
        v *= beta2
        v += g2
        m_hat = m / (1.0 - beta1 ** self.t)
        v_hat = v / (1.0 - beta2 ** self.t)
        return x - self.lr * m_hat / (self._xp.sqrt(v_hat) + self.eps)

    def _state_size(self):
        return None if self.m is None else self.m.size

    def _get_state(self):
        return {"t": self.t, "m": self.m, "v": self.v}

    def _set_state(self, state):
        t = check_int(state["t"], "state['t']", minimum=0)
        if state["m"] is None or state["v"] is None:
            if t != 0 or state["m"] is not state["v"]:
                raise ValueError("state['m'] and state['v'] must both be None only when t = 0")
            self.reset()
            return
        m = self._load_vector(state, "m", _size(state["m"]), allow_none=False)
        v = self._load_vector(state, "v", m.size, allow_none=False)
        self.m, self.v, self.t = m, v, t
