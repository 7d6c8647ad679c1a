"""bcdnet.backend: names, defaults, explicit moves, and the one clear error without CuPy."""

import ast
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import bcdnet
from bcdnet import backend
import strict_namespace
from strict_namespace import StrictArray

PACKAGE = Path(bcdnet.__file__).parent


def test_names_resolve():
    assert backend.get_namespace("numpy") is np
    assert backend.get_namespace(np) is np
    strict = backend.get_namespace("strict")
    assert backend.get_namespace(strict) is strict
    assert backend.backend_name(strict) == "strict" and backend.backend_name(np) == "numpy"


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'numpy', 'cupy', 'strict'"):
        backend.get_namespace("jax")


def test_set_backend_and_env_default(monkeypatch):
    monkeypatch.setattr(backend, "_default_name", None)
    monkeypatch.setenv("BCDNET_BACKEND", "strict")
    assert backend.get_backend() == "strict"
    backend.set_backend("numpy")
    assert backend.get_backend() == "numpy" and backend.get_namespace() is np


def test_to_numpy_and_asarray():
    strict = backend.get_namespace("strict")
    host = np.arange(3.0)
    assert backend.to_numpy(host) is host
    moved = backend.asarray(host, strict)
    assert type(moved) is StrictArray and backend.namespace_of(moved) is strict
    back = backend.to_numpy(moved)
    assert type(back) is np.ndarray and np.array_equal(back, host)
    assert backend.asarray(moved, np, dtype=np.float32).dtype == np.float32
    assert backend.to_numpy([1.0, 2.0]).tolist() == [1.0, 2.0]


def _no_cached_cupy(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)


def test_cupy_missing_raises_one_clear_error(monkeypatch):
    _no_cached_cupy(monkeypatch)
    monkeypatch.setitem(sys.modules, "cupy", None)          # import cupy -> ImportError
    with pytest.raises(backend.BackendUnavailableError, match=r'pip install "bcdnet\[gpu\]"'):
        backend.get_namespace("cupy")
    with pytest.raises(ImportError, match="needs CuPy"):
        bcdnet.Network.mlp([2, 3, 1], backend="cupy")


def _fake_cupy(get_device_count):
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(
        getDeviceCount=get_device_count))
    return cupy


def test_cupy_without_a_device_raises_one_clear_error(monkeypatch):
    _no_cached_cupy(monkeypatch)

    def no_driver():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(no_driver))
    with pytest.raises(backend.BackendUnavailableError,
                       match=r'usable CUDA device.*no CUDA-capable.*bcdnet\[gpu\]'):
        backend.get_namespace("cupy")
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(lambda: 0))
    with pytest.raises(backend.BackendUnavailableError, match="found none"):
        backend.set_backend("cupy")


def test_only_backend_imports_cupy():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "cupy" or n.startswith("cupy.") for n in names):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert all(o.startswith("backend.py:") for o in offenders), offenders
    assert offenders, "backend.py should import cupy (lazily)"


def test_the_strict_namespace_is_registered_by_the_tests_not_shipped():
    assert "strict" not in backend.BACKENDS
    assert not (PACKAGE / "_strict.py").exists()
    assert backend.get_namespace("strict") is strict_namespace.namespace


def test_register_backend_refuses_the_built_in_names():
    with pytest.raises(ValueError, match="new backend name"):
        backend.register_backend("numpy", np, np.ndarray)
    with pytest.raises(TypeError, match="array_type must be a class"):
        backend.register_backend("mine", np, "ndarray")
