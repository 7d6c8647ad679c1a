"""Prose cites only files in the repository: no notes from outside it, no dangling paths.

Docstrings and comments once cited the starting design notes and an algorithm digest that
live outside the repository; the design page, docs/design.rst, replaces them.  This test reads
the prose of ``bcdnet/``, ``docs/``, ``tests/``, ``examples/`` and the README (whole text
files; docstrings and comments of Python files, not string literals, which may name files
a test writes) and checks that every file name it cites exists here.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("docs/_build", "docs/generated", "docs/auto_examples", "docs/sg_execution_times")
# Built from parts so that this file does not cite them itself.
OUTSIDE = re.compile("|".join([r"\bDESIGN(\.md|\s*§)", re.escape("algorithms" + ".md"),
                               re.escape("../" + "research"), re.escape("../" + "papers"),
                               re.escape("shared/" + "research")]))
FILE_NAME = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.(?:md|rst|py|txt|toml|cfg|ipynb)\b")
# Files of other projects, cited with the project's name beside them.
ELSEWHERE = {"torch/optim/lbfgs.py"}


def _sources():
    files = [ROOT / "README.md"]
    for folder in ("bcdnet", "docs", "tests", "examples"):
        files += [p for p in sorted((ROOT / folder).rglob("*"))
                  if p.suffix in (".py", ".rst", ".md", ".txt") and p.is_file()
                  and not p.relative_to(ROOT).as_posix().startswith(GENERATED)
                  and "__pycache__" not in p.parts]
    return files


def _prose(path: Path) -> str:
    """The whole text of a document; the docstrings and comments of a Python file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return text
    parts = [tok.string for tok in tokenize.generate_tokens(io.StringIO(text).readline)
             if tok.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            parts.append(ast.get_docstring(node, clean=False) or "")
    return "\n".join(parts)


def _repository_names():
    skip = {".git", ".ci-venv", "__pycache__", "_build", "build", "dist"}
    names = set()
    for path in ROOT.rglob("*"):
        if not skip.intersection(path.relative_to(ROOT).parts) and path.is_file():
            names.add(path.name)
    return names


SOURCES = _sources()
NAMES = _repository_names()


def _exists(name: str, cited_in: Path) -> bool:
    if name in ELSEWHERE:
        return True
    if "/" not in name:
        return name in NAMES
    return (ROOT / name).exists() or (cited_in.parent / name).exists()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_cites_nothing_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    outside = [m.group(0) for m in OUTSIDE.finditer(text)]
    assert not outside, f"{path.relative_to(ROOT)} cites notes outside the repository: {outside}"
    missing = sorted({name for name in FILE_NAME.findall(_prose(path))
                      if not _exists(name, path)})
    assert not missing, f"{path.relative_to(ROOT)} cites files that are not here: {missing}"


def test_the_checks_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    outside = "../" + "research/x.md"
    bad.write_text('"""See DESIGN' + f' §3 and docs/nowhere.rst."""\n# and {outside}\n'
                   'NAME = "written_by_a_test.md"\n', encoding="utf-8")
    assert OUTSIDE.search(bad.read_text())
    cited = FILE_NAME.findall(_prose(bad))
    assert sorted(cited) == sorted(["docs/nowhere.rst", outside])
    assert not any(_exists(name, bad) for name in cited)
    assert _exists("docs/design.rst", bad) and _exists("backend.py", bad)
