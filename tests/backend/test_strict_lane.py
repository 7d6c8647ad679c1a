"""The core, optimizer and trainer tests pass with the strict namespace as the default backend.

Every network those tests build then lives on strict arrays, which refuse implicit NumPy
conversion from library code as CuPy does; so a hidden ``numpy`` call on a device array
anywhere in the numeric code fails this test on a CPU-only machine.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ["tests/core", "tests/optim", "tests/training"]


@pytest.mark.slow
def test_core_optim_and_training_tests_pass_on_the_strict_backend():
    env = dict(os.environ, BCDNET_BACKEND="strict",
               HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    command = [sys.executable, "-m", "pytest", *FOLDERS, "-x", "-q", "-p", "no:cacheprovider",
               "-m", "not gpu"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1800)
    tail = "\n".join(done.stdout.splitlines()[-40:])
    assert done.returncode == 0, f"strict lane failed:\n{tail}\n{done.stderr[-2000:]}"
    assert " passed" in tail and "failed" not in tail, tail
