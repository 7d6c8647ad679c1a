"""Describe the machine a benchmark ran on, for the header of every report."""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np


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
    ]
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i['internal_api']} {i.get('version')} ({i.get('num_threads')} threads)"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            lines.append("- BLAS: " + "; ".join(blas))
    except ImportError:
        pass
    for name in ("scipy", "torch", "sklearn"):
        try:
            module = __import__(name)
            lines.append(f"- {name} {module.__version__}")
        except ImportError:
            lines.append(f"- {name}: not installed")
    lines.append(f"- Measured {time.strftime('%Y-%m-%d %H:%M %Z')}")
    return "\n".join(lines)


def median_times(fns: dict, repeats: int = 20, warmup: int = 2) -> dict:
    """Median wall time in seconds of each callable in ``fns``, measured interleaved.

    Every round calls each function once, in turn, so a change of load on a shared machine
    (a job starting on the other core) hits every function alike and ratios between them
    stay fair; timing one function's repeats after another's does not have that property.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}

