"""Loading is bounded: hostile files are refused with a ValueError naming them, in little memory.

The crafted files (:mod:`crafted_files`) are loaded one after another in one fresh Python
process, which reports after each its outcome and its peak resident memory so far
(``ru_maxrss``, the interpreter with numpy and bcdnet imported included: a bound on the
peak of every file loaded until then).  A loader that decompressed the 300 MB bombs, or allocated what
a header declares before checking it against the file, would exceed the 200 MB bound; one
that opened a FIFO for a blocking read would hang until the timeout.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import crafted_files as cf

LIMIT_MB = 200

LOADER = """
import json, resource, sys
import bcdnet as bn
from bcdnet.checkpoint import read_checkpoint
for name, kind, path in json.loads(sys.argv[1]):
    try:
        (bn.load if kind == "model" else read_checkpoint)(path)
        outcome = "loaded"
    except ValueError as exc:
        outcome = "ValueError: " + str(exc)
    except BaseException as exc:
        outcome = type(exc).__name__ + ": " + str(exc)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux
    print(json.dumps({"name": name, "outcome": outcome, "peak_mb": peak}), flush=True)
"""

CASES = {   # name: (loader, builder, what the message must say)
    "deflate_bomb": ("model", cf.deflate_bomb, "compressed"),
    "deflate_extra_member": ("model", cf.deflate_extra_member, "compressed"),
    "stored_consistent_bomb": ("model", cf.stored_consistent_bomb, "declares .* bytes"),
    "huge_declared_sizes": ("model", cf.huge_declared_sizes, "shape"),
    "huge_npy_shape": ("model", cf.huge_npy_shape, "shape"),
    "duplicate_params": ("model", cf.duplicate_params, "twice"),
    "fifo": ("model", cf.fifo, "FIFO"),
    "proc_self_mem": ("model", lambda folder: "/proc/self/mem", "empty"),
    "float16": ("model", lambda folder: cf.dtype_file(folder, np.float16), "float32"),
    "longdouble": ("model", lambda folder: cf.dtype_file(folder, np.longdouble), "float32"),
    "weights_1e308": ("model", lambda folder: cf.weights_file(folder, 1e308, "big.npz"),
                      "non-finite outputs"),
    "weights_nan": ("model", lambda folder: cf.weights_file(folder, np.nan, "nan.npz"),
                    "non-finite"),
    "estimator_deflate_bomb": ("model", cf.estimator_deflate_bomb, "compressed"),
    "estimator_duplicate": ("model", cf.estimator_duplicate, "twice"),
    "estimator_huge_shape": ("model", cf.estimator_huge_shape, "shape"),
    "checkpoint_deflate_bomb": ("checkpoint", cf.checkpoint_deflate_bomb, "compressed"),
    "checkpoint_duplicate": ("checkpoint", cf.checkpoint_duplicate, "twice"),
    "checkpoint_huge_shape": ("checkpoint", cf.checkpoint_huge_shape, "declares .* bytes"),
    "checkpoint_float16": ("checkpoint", cf.checkpoint_float16, "dtype float16"),
    "checkpoint_fifo": ("checkpoint", lambda folder: cf.fifo(folder, "ck.npz"), "FIFO"),
    "checkpoint_deep_json": ("checkpoint", cf.checkpoint_deep_json, "not valid JSON"),
}


def load_in_subprocess(files) -> dict:
    """``{name: {"outcome": ..., "peak_mb": ...}}`` for ``files``, ``(name, kind, path)``."""
    # Through a shell that forks: on Linux a process's ru_maxrss starts at its parent's
    # peak when the parent exec's it directly (pytest's own hundreds of MB); the shell's
    # child starts from the shell's few MB.
    argv = ["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, "-c", LOADER,
            json.dumps(files)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.strip().splitlines()]
    return {r["name"]: r for r in reports}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("crafted"))
    files = [(name, kind, str(build(folder))) for name, (kind, build, _) in CASES.items()]
    return load_in_subprocess(files), dict((name, path) for name, _, path in files)


@pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, /proc and ru_maxrss in KiB")
@pytest.mark.parametrize("name", list(CASES))
def test_crafted_file_is_refused_in_bounded_memory(reports, name):
    results, paths = reports
    report, path, match = results[name], paths[name], CASES[name][2]
    outcome = report["outcome"]
    assert outcome.startswith("ValueError: "), outcome
    assert path in outcome, f"the message does not name the file: {outcome}"
    assert re.search(match, outcome), f"{match!r} not in {outcome}"
    assert report["peak_mb"] < LIMIT_MB, f"{name}: peak {report['peak_mb']:.0f} MB"


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB")
def test_the_bound_can_fail(tmp_path):
    """Control: numpy's own loader, given the compressed bomb, does exceed the bound."""
    path = cf.deflate_bomb(str(tmp_path))
    code = ("import numpy as np, resource, sys\n"
            "with np.load(sys.argv[1]) as f: f['params']\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    done = subprocess.run(["/bin/sh", "-c", '"$0" "$@"; exit $?', sys.executable, "-c", code,
                           path], capture_output=True, text=True, timeout=120)
    assert float(done.stdout.strip()) > LIMIT_MB


def test_good_files_load_in_the_same_loader(tmp_path):
    """The same loader accepts legitimate files (the refusals are not of everything)."""
    import bcdnet as bn

    bn.save(bn.Network.mlp([3, 4, 2], seed=0), tmp_path / "net.npz")
    bn.save(bn.Network.mlp([3, 4, 2], seed=0, dtype="float32"), tmp_path / "net32.npz")
    results = load_in_subprocess([("64", "model", str(tmp_path / "net.npz")),
                                  ("32", "model", str(tmp_path / "net32.npz"))])
    assert [r["outcome"] for r in results.values()] == ["loaded", "loaded"]
