"""The README opens with the two commands, CI runs the second one, and its snippets run."""

import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def test_readme_opens_with_run_and_test_commands():
    lines = [line for line in (ROOT / "README.md").read_text().splitlines()
             if line.startswith("pip install")]
    assert lines[0] == "pip install . && python -m bcdnet demo"
    assert "pytest" in lines[1] and '".[test]"' in lines[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "grep -m1 -E '^pip install .*pytest' README.md" in ci
    assert "BCDNET_REQUIRE_DATA=1" in ci


def _python_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_python_runs_as_written(tmp_path):
    """Every Python snippet but the GPU one runs, in order, in a fresh interpreter."""
    blocks = [b for b in _python_blocks() if "cupy" not in b]
    assert len(blocks) >= 2 and "import bcdnet as bn" in blocks[0]
    script = "\n".join(blocks) + textwrap.dedent("""
        assert res.n_iter == 20 and len(res.history) == 21
        assert Hv.shape == v.shape == g.shape == net.params.shape
        assert 0.9 < est.score(X_test, y_test) <= 1.0
        print("README ok")
        """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]), "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "README ok" in run.stdout
    assert (tmp_path / "model.npz").is_file()


def test_readme_says_data_must_be_scaled_and_how_to_build_the_docs():
    text = (ROOT / "README.md").read_text()
    assert "Network and Trainer expect scaled data" in text
    assert "](docs/index.rst)" in text and "](docs/design.rst)" in text
    assert 'pip install ".[docs]"' in text
    assert "sphinx-build -W -b html docs docs/_build/html" in text


def test_readme_headline_is_the_committed_regressor_run():
    """The CCPP sentence quotes regressor.md's default-environment medians."""
    readme = (ROOT / "README.md").read_text()
    report = (ROOT / "benchmarks" / "results" / "regressor.md").read_text()
    rows = {}
    for line in report.split("\n\nRuns (default environment)")[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0].startswith(("bcdnet", "PyTorch")):
            rows[cells[0]] = {"r2": float(cells[1]), "ratio": float(cells[5])}
    adaptive = rows["bcdnet BCDRegressor() defaults"]        # selector="adaptive_hybrid"
    end_to_end = rows['bcdnet BCDRegressor(selector="all")']
    float32 = rows['bcdnet BCDRegressor(dtype="float32")']
    assert (f"test R² {adaptive['r2']:.3f} (median of 5 seeds) in {adaptive['ratio']:.2f}× "
            "the time of PyTorch's L-BFGS") in " ".join(readme.split())
    flat = " ".join(readme.split())
    assert f"gets {end_to_end['r2']:.3f} in {end_to_end['ratio']:.2f}×" in flat
    assert f"in float32 {float32['r2']:.3f} in {float32['ratio']:.2f}×" in flat


def test_readme_deep_network_sentence_is_the_committed_hybrid_run():
    """The 50-layer sentence quotes hybrid.csv's median (as hybrid.md computes it)."""
    frame = pd.read_csv(ROOT / "benchmarks" / "results" / "hybrid.csv")
    ours = frame[(frame["problem"] == "CSTR 50 layers")
                 & (frame["method"] == "adaptive hybrid (ours)")]
    median = float(ours["ratio_1x"].fillna(math.inf).median())
    flat = " ".join((ROOT / "README.md").read_text().split())
    assert (f"the adaptive hybrid reaches end-to-end L-BFGS's final test error in "
            f"{median:.2f}× its CPU time") in flat
