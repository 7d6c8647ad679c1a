"""Optimizers on flat parameter vectors, one interface for all (docs/design.rst, Optimizers).

>>> from bcdnet.optim import LBFGS
>>> res = LBFGS(max_iter=100).minimize(lambda x: (float(x @ x), 2 * x), [1.0, -2.0])
>>> res.success, res.status.name
(True, 'GTOL')

=================  ========================  ==================================================
name               class                     method
=================  ========================  ==================================================
``"gd"``           :class:`GD`               gradient descent, step clipped to a trust radius
``"adam"``         :class:`Adam`             Kingma & Ba (2015), Algorithm 1
``"lbfgs"``        :class:`LBFGS`            L-BFGS, strong-Wolfe line search
``"bb"``           :class:`BarzilaiBorwein`  BB steps, non-monotone (GLL) line search
``"icrs"``         :class:`ICRS`             derivative-free controlled random search
=================  ========================  ==================================================
"""

from .._validation import check_choice
from .adam import Adam
from .barzilai_borwein import BarzilaiBorwein
from .base import OptimizeResult, Optimizer, Status
from .gd import GD
from .icrs import ICRS
from .lbfgs import LBFGS
from .line_search import strong_wolfe

__all__ = ["Optimizer", "OptimizeResult", "Status", "GD", "Adam", "LBFGS", "BarzilaiBorwein",
           "ICRS", "OPTIMIZERS", "get_optimizer", "strong_wolfe"]

#: Registry of optimizer classes by short name.
OPTIMIZERS = {"gd": GD, "adam": Adam, "lbfgs": LBFGS, "bb": BarzilaiBorwein, "icrs": ICRS}


def get_optimizer(name: str, **kwargs) -> Optimizer:
    """Build the optimizer registered as ``name`` with ``kwargs`` as its hyperparameters.

    Raises ValueError listing the valid names when ``name`` is unknown.
    """
    return OPTIMIZERS[check_choice(name, "optimizer", OPTIMIZERS)](**kwargs)
