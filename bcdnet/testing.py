r"""Derivative checkers: compare hand-written derivatives with finite differences.

Use them on anything you write yourself; ``check_activation``, ``check_layer`` and
``check_loss`` run every check a new Activation, Layer or Loss needs in one call:

.. code-block:: python

    import numpy as np
    import bcdnet as bn
    from bcdnet.testing import check_activation, check_grad

    check_activation("tanh")                   # raises AssertionError on any failure

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    net = bn.Network.mlp([3, 5, 1], seed=0)

    def loss_and_grad(p):
        net.params = p
        return net.loss_grad(X, Y)

    check_grad(loss_and_grad, net.params.copy()).raise_if_failed()

**Gradient.**  Each coordinate :math:`i` of :math:`\nabla f(x)` is compared with the
central difference

.. math::  \frac{f(x + h e_i) - f(x - h e_i)}{2h},

whose truncation error is :math:`O(h^2)` and rounding error about
:math:`\epsilon_{mach}|f|/h`; with :math:`h = 10^{-5}` in float64 both are near
:math:`10^{-10}` relative for smooth functions, far below any error a wrong sign or a
missing term produces.  The relative error is measured against the largest gradient entry
(``max|fd - g| / max(max|g|, floor)``) so that entries near zero do not blow it up.

**Hessian-vector product.**  :math:`Hv` is compared with the central difference of the
gradient along :math:`v`,

.. math::  \frac{\nabla f(x + \epsilon v) - \nabla f(x - \epsilon v)}{2 \epsilon},

and the symmetry of the Hessian is checked through :math:`u^\top (Hv) = v^\top (Hu)` for a
second random direction :math:`u`.  Both are exact identities for a correct implementation.

On failure the report lists the worst coordinates with the expected and computed values.
"""

from ._checks import check_activation, check_layer, check_loss
from ._finite_differences import CheckReport, check_grad, check_hvp, fd_gradient, fd_hvp

__all__ = ["CheckReport", "check_grad", "check_hvp", "fd_gradient", "fd_hvp",
           "check_activation", "check_layer", "check_loss"]
