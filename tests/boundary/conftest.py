"""Fixtures of the boundary suite: a small network and a fitted regressor, built once."""

import numpy as np
import pytest

import bcdnet as bn


@pytest.fixture(scope="module")
def net():
    """The 3 -> 4 -> 2 tanh network that the entry points are called on (never trained)."""
    return bn.Network.mlp([3, 4, 2], seed=0)


@pytest.fixture(scope="module")
def fitted():
    """A BCDRegressor fitted on 30 rows of 3 features."""
    X = np.random.default_rng(0).normal(size=(30, 3))
    return bn.BCDRegressor(hidden=(3,), max_iter=2, progress=False).fit(X, X.sum(axis=1))
