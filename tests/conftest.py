"""Shared test fixtures.

Data-dependent tests use the ``data_dir`` fixture.  It points at ``BCDNET_DATA``; when the
files are missing the tests skip with a reason, unless ``BCDNET_REQUIRE_DATA=1`` (as in CI),
in which case a missing file is a failure.
"""

import os
from pathlib import Path

import pytest
import strict_namespace  # noqa: F401  (registers the "strict" backend: BCDNET_BACKEND=strict)
from hypothesis import HealthCheck, settings

# The hypothesis profiles, registered here once; a test file sets only its example budget
# (``@settings(max_examples=N)``), which inherits the rest from the loaded profile.  No
# deadline: the machines are shared, and no test asserts a time.  Drawing a network and data
# can be slow, and the boundary suite draws large junk on purpose, so those health checks
# are off.  "ci" is repeatable (derandomize) and prints the blob that reproduces a failure.
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.filter_too_much,
                                                     HealthCheck.data_too_large])
settings.register_profile("ci", print_blob=True, derandomize=True, **_COMMON)
settings.register_profile("dev", **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _require_data() -> bool:
    return os.environ.get("BCDNET_REQUIRE_DATA", "") not in ("", "0")


@pytest.fixture
def data_dir():
    """The directory holding ``ccpp/Folds5x2_pp.csv`` and ``siec/Steel_industry_data.csv``."""
    root = os.environ.get("BCDNET_DATA")
    expected = ("ccpp/Folds5x2_pp.csv", "siec/Steel_industry_data.csv")
    if root and all((Path(root) / name).is_file() for name in expected):
        return Path(root)
    reason = f"UCI data files not found (set BCDNET_DATA to a folder holding {', '.join(expected)})"
    if _require_data():
        pytest.fail(reason + "; BCDNET_REQUIRE_DATA=1 makes this an error")
    pytest.skip(reason)


@pytest.fixture
def forward_calls(monkeypatch):
    """``count(net)`` patches every layer's forward to count calls; returns the counts list."""
    def count(net):
        calls = [0] * len(net.layers)
        for i, layer in enumerate(net.layers):
            original = layer.forward

            def counted(A, cache, i=i, original=original):
                calls[i] += 1
                return original(A, cache)
            monkeypatch.setattr(layer, "forward", counted)
        return calls
    return count
