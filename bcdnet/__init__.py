"""bcdnet: sensitivity-guided, layer-by-layer training of deep regression networks in NumPy.

.. code-block:: python

    import bcdnet as bn
    net = bn.Network.mlp([4, 10, 10, 10, 1], activation="tanh", seed=0)
    f, g = net.loss_grad(X, Y)
    s = bn.sensitivity(net, X, Y)
    res = bn.Trainer(bn.optim.LBFGS(max_iter=20), bn.selection.MostSensitive()).fit(net, X, Y)
    bn.save(net, "model.npz"); bn.load("model.npz")
"""

from . import activations, datasets, layers, losses, metrics, optim, selection, testing  # noqa: F401
from . import backend  # noqa: F401
from . import coarse_to_fine, hybrid  # noqa: F401  (register their selectors)
from .backend import get_backend, set_backend, to_numpy  # noqa: F401
from ._threads import get_threads, set_threads  # noqa: F401
from .activations import Activation, get_activation  # noqa: F401
from .block import BlockObjective  # noqa: F401
from .estimator import BCDRegressor  # noqa: F401
from .io import load, save  # noqa: F401
from .layers import Dense, Layer  # noqa: F401
from .losses import MSE, Loss  # noqa: F401
from .network import Block, Network  # noqa: F401
from .sensitivity import Sensitivity, sensitivity  # noqa: F401
from .trainer import Trainer, TrainResult  # noqa: F401

from ._version import __version__  # noqa: F401,E402


def __getattr__(name):
    if name == "NotFittedError":     # made on first use (bcdnet._sklearn says why)
        return estimator.NotFittedError
    raise AttributeError(f"module 'bcdnet' has no attribute {name!r}")
