"""Describe the machine a benchmark ran on, for the header of every report."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bcdnet.experiments import git_commit   # the one reader of the commit


ROOT = Path(__file__).resolve().parents[1]
#: the variables that pin every library (BLAS, PyTorch's OpenMP) to one thread
PIN = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def in_environment(module: str, args, pinned: bool) -> dict:
    """Run ``python -m module --worker *args`` in a fresh interpreter and return the JSON it
    prints last: in the default environment (the thread variables of ``PIN`` removed) or,
    with ``pinned``, with every library on one thread."""
    env = {k: v for k, v in os.environ.items() if k not in PIN}
    if pinned:
        env.update(PIN)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", module, "--worker", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {'pinned' if pinned else 'default'} benchmark process "
                           f"failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def simd_level() -> str:
    """What NumPy reports for this CPU: its baseline, the SIMD groups found and not found."""
    try:
        from numpy._core._multiarray_umath import (__cpu_baseline__, __cpu_dispatch__,
                                                   __cpu_features__)
    except ImportError:
        return "unknown (NumPy does not expose its CPU features)"
    found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    missing = [f for f in __cpu_dispatch__ if not __cpu_features__.get(f)]
    text = (f"baseline {' '.join(__cpu_baseline__) or '-'}; found {' '.join(found) or '-'}; "
            f"not found {' '.join(missing) or '-'}")
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES")
    return text + (f" (NPY_DISABLE_CPU_FEATURES={disabled})" if disabled else "")


#: variables that hold a library below the CPU's instruction set (NumPy, OpenBLAS's kernels
#: are OPENBLAS_CORETYPE, PyTorch's ATen, MKL, oneDNN): how an AVX2 machine is reproduced
#: on an AVX-512 one, recorded in the report when set
ISA_LIMITS = ("NPY_DISABLE_CPU_FEATURES", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS",
              "ONEDNN_MAX_CPU_ISA")


def machine_description() -> str:
    """Return a Markdown bullet list: CPU, cores, OS, Python, NumPy and its BLAS, peers."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    lines = [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, NumPy {np.__version__}",
        f"- SIMD (NumPy): {simd_level()}",
        f"- bcdnet commit: {git_commit()}",
    ]
    try:
        from bcdnet._tanh import speed_ratio, tanh_path

        lines.append(f"- float64 tanh path: {tanh_path()} (bcdnet._tanh, from the CPU); time of "
                     f"its exp kernel / numpy.tanh here: {speed_ratio():.2f}")
    except ImportError:
        pass
    pinned = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                         "MKL_NUM_THREADS", "OPENBLAS_CORETYPE") + ISA_LIMITS
              if k in os.environ}
    if pinned:
        lines.append("- Environment: " + ", ".join(f"{k}={v}" for k, v in pinned.items()))
    try:
        from threadpoolctl import threadpool_info

        blas = [" ".join(str(part) for part in (i["internal_api"], i.get("version"),
                                                 i.get("architecture")) if part)
                + f" ({i.get('num_threads')} threads)"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            lines.append("- BLAS: " + "; ".join(blas))
    except ImportError:
        pass
    for name in ("scipy", "torch", "sklearn"):
        try:
            module = __import__(name)
            extra = ""
            if name == "torch":
                extra = f" (CPU kernels: {module.backends.cpu.get_cpu_capability()})"
            lines.append(f"- {name} {module.__version__}{extra}")
        except ImportError:
            lines.append(f"- {name}: not installed")
    lines.append(f"- Measured {time.strftime('%Y-%m-%d %H:%M %Z')}")
    return "\n".join(lines)


def median_times(fns: dict, repeats: int = 20, warmup: int = 2, run_length: int = 1,
                 settle: float = 0.0) -> dict:
    """Median wall time in seconds of each callable in ``fns``, measured interleaved.

    Every round calls each function once, in turn, so a change of load on a shared machine
    (a job starting on the other core) hits every function alike and ratios between them
    stay fair; timing one function's repeats after another's does not have that property.

    With ``run_length`` > 1 each round calls each function that many times in a row and
    times all but the first call of the run (``repeats`` timed calls in all, rounded up to
    whole runs).  The untimed first call absorbs the hand-over from the library before:
    PyTorch's OpenMP threads keep spinning for a while after its call returns and take a
    core from whatever runs next, which a user's training loop, calling one library many
    times in a row, never meets.  ``settle`` (seconds) makes the untimed part of a run last
    at least that long: on the 2-core AMD machine, bcdnet's 4-10-10-10-1 gradient took
    9.2, 5.2 and 5.2 ms right after a PyTorch call and 4.2 ms from then on, and 8.5 ms for
    115 ms after a scikit-learn call (NumPy's OpenBLAS threads spin that long after a
    product on two threads), so one untimed call of a few milliseconds does not cover the
    hand-over.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    timed = max(1, run_length - 1) if run_length > 1 else 1
    for _ in range(-(-repeats // timed)):
        for name, fn in fns.items():
            if run_length > 1:
                start = time.perf_counter()
                fn()
                while time.perf_counter() - start < settle:
                    fn()
            for _ in range(timed):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}

