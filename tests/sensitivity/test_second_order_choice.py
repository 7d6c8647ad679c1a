"""Second-order scores with their own trust radius can choose another half than first order,
and on a constructed network the half they choose is the one whose training pays.

The network maps x to P = x W0 W1 with W0 = [1, 1] and W1 = [c, 1 - c]: P = x, target 3x.
The hidden half's sensitivities are -4 E[x^2] W1 (about c times the output's -4 E[x^2]),
so first order prefers it by about c^2; but its curvature along them is 2 E[x^2] |W1|^2,
c^2 times larger too, so the second-order (Cauchy) decrease per neuron prefers the output.
Gradient descent with a step that suits the output layer overshoots in the steep hidden
half: training the half first order chose gains nothing, the other half gains most of E.
"""

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.optim import GD
from bcdnet.selection import Bisection

C = 10.0


def constructed(c=C):
    net = bn.Network([bn.Dense(1, 2, "identity"), bn.Dense(2, 1, "identity")])
    hidden, output = net.layers
    hidden.W[:] = [[1.0, 1.0]]
    hidden.b[:] = 0.0
    output.W[:] = [[c], [1.0 - c]]
    output.b[:] = 0.0
    X = np.random.default_rng(0).normal(size=(200, 1))
    return net, X, 3.0 * X


def test_first_and_second_order_prefer_different_halves():
    net, X, Y = constructed()
    sens = bn.sensitivity(net, X, Y)
    s1 = [sens.group_score(0, 0, order=1), sens.group_score(1, 1, order=1)]
    s2 = [sens.group_score(0, 0, order=2), sens.group_score(1, 1, order=2)]
    assert s1[0] > 10 * s1[1]                     # first order: the hidden half, by ~c^2
    assert s2[1] > s2[0]                          # second order: the output half
    # with Paper A's radius 1e-3 every group is on the boundary: the same choice as order 1
    paper = [sens.group_score(l, l, order=2, trust_radius=1e-3) for l in (0, 1)]
    assert paper[0] > paper[1]


def test_the_half_second_order_chose_lowers_the_loss_more():
    losses = {}
    for order in (1, 2):
        net, X, Y = constructed()
        start = net.loss_value(X, Y)
        result = bn.Trainer(GD(lr=0.02), Bisection(order=order, explore=0.0), max_iter=1,
                            inner_max_iter=20, tol=0, sensitivity_tol=None).fit(net, X, Y)
        visit = result.history.iloc[1]
        losses[order] = (int(visit["first"]), start - visit["train_loss"], start)
    (half1, gain1, start), (half2, gain2, _) = losses[1], losses[2]
    assert (half1, half2) == (0, 1)
    assert gain2 > gain1 + 0.5 * start, losses    # measured: the output half gains > 50 % of E


def test_comparable_normalisation_inside_the_region():
    # inside the trust region S2 = S1 / (2 rho), rho the curvature along g (module docstring)
    net, X, Y = constructed(3.0)
    sens = bn.sensitivity(net, X, Y)
    g = sens.by_layer[0]
    v = np.concatenate([g, np.zeros(1)])
    rho = float(v @ net.scales_hvp(X, Y, v)) / float(g @ g)
    assert 1.0 * rho > np.linalg.norm(g)          # the default radius 1 holds the minimiser
    s1, s2 = sens.group_score(0, 0, order=1), sens.group_score(0, 0, order=2)
    assert s2 == pytest.approx(s1 / (2.0 * rho), rel=1e-10)
