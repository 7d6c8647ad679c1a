"""Adam's docstring, checked: moments reset on every block switch unless keep_state=True."""

import numpy as np
import pytest

import bcdnet as bn
from bcdnet.optim import Adam

STARTS = []


class RecordingAdam(Adam):
    """Adam that records its step counter t at the start of every visit."""

    def _minimize(self, fun, x0, callback, batches, **limits):
        STARTS.append(self.t)
        return super()._minimize(fun, x0, callback, batches, **limits)


@pytest.mark.parametrize("selector, keep_state, expected", [
    ("forward", False, [0, 0, 0, 0, 0, 0]),     # every visit follows a switch: reset
    ("forward", True, [0, 0, 0, 2, 2, 2]),      # each block resumes its own moments
    ("all", False, [0, 2, 4, 6, 8, 10]),        # the same block again: moments continue
])
def test_moments_follow_the_documented_rule(selector, keep_state, expected):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 2)), rng.normal(size=(40, 1))
    STARTS.clear()
    bn.Trainer(RecordingAdam(lr=1e-3), selector, max_iter=6, inner_max_iter=2, tol=0,
               sensitivity_tol=None, keep_state=keep_state).fit(
        bn.Network.mlp([2, 3, 3, 1], seed=0), X, Y)
    assert STARTS == expected
