r"""
Derivatives by hand: a Dense layer's gradient and R-operator
============================================================

Everything bcdnet trains with rests on two hand-written derivatives of a Dense layer: the
gradient (the backward pass) and the Hessian-vector product (Pearlmutter's R-operator).  This
example writes both out in NumPy for a one-hidden-layer network, checks them against
bcdnet's and against central finite differences, and shows why the finite-difference step
:math:`h \approx 10^{-5}` is the one to use in float64.
"""

# %%
# A network small enough to write out
# -----------------------------------
# Samples are rows.  The hidden layer computes :math:`Z = X W_1 + b_1`, :math:`H = \tanh Z`,
# :math:`A = H \operatorname{diag}(\alpha)`; the output layer is linear,
# :math:`\hat Y = A W_2 + b_2`, and the loss is the mean squared error
# :math:`E = \frac{1}{Nm} \sum_n \lVert \hat y_n - y_n \rVert^2`.
import matplotlib.pyplot as plt
import numpy as np

import bcdnet as bn

rng = np.random.default_rng(0)
X = rng.normal(size=(50, 3))
Y = np.sin(X[:, :1]) + 0.5 * X[:, 1:2] * X[:, 2:3]
net = bn.Network.mlp([3, 4, 1], activation="tanh", seed=0)
print(net)
W1, b1, W2, b2 = net.layers[0].W, net.layers[0].b, net.layers[1].W, net.layers[1].b
alpha = net.layers[0].scales        # the hidden layer's scaling factors, ones by default


def loss_and_grad(W1, b1, W2, b2):
    """The forward pass, then the backward pass, line by line."""
    N, m = Y.shape
    Z = X @ W1 + b1
    H = np.tanh(Z)
    A = H * alpha
    P = A @ W2 + b2
    E = np.sum((P - Y) ** 2) / (N * m)
    dP = 2 * (P - Y) / (N * m)                 # dE/dY_hat
    dW2, db2 = A.T @ dP, dP.sum(axis=0)        # output layer
    dA = dP @ W2.T                             # back through W2
    dZ = dA * alpha * (1 - H ** 2)             # tanh' = 1 - h^2
    dW1, db1 = X.T @ dZ, dZ.sum(axis=0)
    return E, np.concatenate([dW1.ravel(), db1, dW2.ravel(), db2])


E, g_hand = loss_and_grad(W1, b1, W2, b2)
E_bn, g_bn = net.loss_grad(X, Y)
print(f"E by hand {E:.12f}, bcdnet {E_bn:.12f}")
print("largest difference of the gradients:", np.abs(g_hand - g_bn).max())

# %%
# The gradient against central differences
# ----------------------------------------
# Coordinate :math:`i` of :math:`\nabla E` is compared with
# :math:`(E(\theta + h e_i) - E(\theta - h e_i)) / 2h`.  The truncation error falls like
# :math:`h^2`, the rounding error grows like :math:`\epsilon_{mach} |E| / h`: the total is
# smallest near :math:`h = 10^{-5}`, where it is about :math:`10^{-10}` relative, far below
# what a wrong sign or a missing term would give.
theta = net.params.copy()


def E_at(p):
    net.params = p
    return net.loss_value(X, Y)


steps = np.logspace(-12, -1, 23)
errors = []
for h in steps:
    fd = np.array([(E_at(theta + h * e) - E_at(theta - h * e)) / (2 * h)
                   for e in np.eye(theta.size)])
    errors.append(np.abs(fd - g_bn).max() / np.abs(g_bn).max())
net.params = theta

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.loglog(steps, errors, "o-")
ax.set(xlabel="finite-difference step h", ylabel="largest relative error",
       title="Central differences of E against the gradient")
ax.axvline(1e-5, color="grey", ls=":")
fig.tight_layout()

# %%
# ``bcdnet.testing.check_grad`` does this for every coordinate at :math:`h = 10^{-5}` and
# reports the worst ones.
from bcdnet.testing import check_grad, check_hvp  # noqa: E402


def at(p):
    net.params = p
    return net.loss_grad(X, Y)


print(check_grad(at, theta))
net.params = theta

# %%
# The R-operator: :math:`Hv` without forming :math:`H`
# ----------------------------------------------------
# Pearlmutter's :math:`R_v\{f\} = \frac{d}{dr} f(\theta + r v)\big|_{r=0}` applied to every
# line of the forward and backward passes above gives :math:`R_v\{\nabla E\} = Hv`, exactly,
# for about the cost of two gradients.  For the hidden layer, with :math:`v` split like the
# parameters into :math:`(V_{W_1}, V_{b_1}, V_{W_2}, V_{b_2})`:
#
# .. math::
#
#     R\{Z\} = X V_{W_1} + \mathbf 1 V_{b_1}^\top, \quad
#     R\{H\} = \sigma'(Z) \odot R\{Z\}, \quad
#     R\{\delta Z\} = R\{\delta A\} \odot \alpha \odot \sigma'(Z)
#                   + \delta A \odot \alpha \odot \sigma''(Z) \odot R\{Z\}.
v = rng.normal(size=theta.size)


def hvp_by_hand(v):
    N, m = Y.shape
    n1 = W1.size
    VW1, Vb1 = v[:n1].reshape(W1.shape), v[n1:n1 + b1.size]
    VW2, Vb2 = v[n1 + b1.size:-b2.size].reshape(W2.shape), v[-b2.size:]
    Z = X @ W1 + b1
    H = np.tanh(Z)
    D1, D2 = 1 - H ** 2, -2 * H * (1 - H ** 2)         # tanh' and tanh''
    A = H * alpha
    P = A @ W2 + b2
    RZ = X @ VW1 + Vb1                                   # forward R-pass
    RA = D1 * RZ * alpha
    RP = RA @ W2 + A @ VW2 + Vb2
    dP, RdP = 2 * (P - Y) / (N * m), 2 * RP / (N * m)    # the MSE's Hessian is 2/(Nm) I
    dA, RdA = dP @ W2.T, RdP @ W2.T + dP @ VW2.T         # backward R-pass
    RdZ = RdA * alpha * D1 + dA * alpha * D2 * RZ
    return np.concatenate([(X.T @ RdZ).ravel(), RdZ.sum(axis=0),
                           (RA.T @ dP + A.T @ RdP).ravel(), RdP.sum(axis=0)])


Hv_hand, Hv_bn = hvp_by_hand(v), net.hvp(X, Y, v)
print("largest difference of Hv, by hand against bcdnet:", np.abs(Hv_hand - Hv_bn).max())

# %%
# And against finite differences of the gradient along :math:`v`,
# :math:`(\nabla E(\theta + \epsilon v) - \nabla E(\theta - \epsilon v)) / 2\epsilon`;
# ``check_hvp`` also checks the symmetry :math:`u^\top H v = v^\top H u`.
eps = 1e-5
fd_Hv = (at(theta + eps * v)[1] - at(theta - eps * v)[1]) / (2 * eps)
net.params = theta


def hvp_at(p, w):
    net.params = p
    return net.hvp(X, Y, w)


print(check_hvp(lambda p: at(p)[1], hvp_at, theta))
net.params = theta

fig, ax = plt.subplots(figsize=(4.5, 4))
ax.plot(fd_Hv, Hv_bn, "o", ms=4)
lim = np.abs(fd_Hv).max() * 1.1
ax.plot([-lim, lim], [-lim, lim], "k:", lw=1)
ax.set(xlabel="finite differences of the gradient", ylabel="R-operator (bcdnet)",
       title="Hv, coordinate by coordinate")
fig.tight_layout()
