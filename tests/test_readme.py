"""The README opens with the two commands, and CI runs the second one."""

from pathlib import Path

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
