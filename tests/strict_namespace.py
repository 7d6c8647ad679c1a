r"""A strict array namespace for tests: NumPy underneath, CuPy's rules on top.

CuPy arrays live on a GPU and refuse to become NumPy arrays implicitly:
``numpy.asarray(cupy_array)`` and ``numpy.tanh(cupy_array)`` raise ``TypeError``, and so does
an operator mixing a CuPy array with a ``numpy.ndarray``.  Code that slips a NumPy call onto
a device array therefore works on a CPU and fails on a GPU.  This namespace finds such code
without a GPU: :class:`StrictArray` holds a ``numpy.ndarray`` (it is *not* a subclass) and

* refuses ``__array__``, ``__array_ufunc__`` and ``__array_function__`` (so ``np.asarray``,
  ``np.tanh``, ``np.max`` ... on it fail), and any operator or namespace function that mixes
  it with a ``numpy.ndarray``;
* supports what CuPy supports: operators (also in place), indexing and item assignment,
  ``.T``, ``.shape``, ``.dtype``, the array methods, ``float()``/``int()``/``bool()`` of a
  one-element array, ``len`` and iteration, and ``.get()`` for an explicit host copy.

Importing this module registers the namespace as the backend ``"strict"``
(:func:`bcdnet.backend.register_backend`); ``tests/conftest.py`` imports it, so
``BCDNET_BACKEND=strict`` works in the test suite.  The namespace has NumPy's functions, which
unwrap their arguments, call NumPy and wrap the results; reductions give 0-d arrays, as in
CuPy.  It has no ``random``: random numbers are drawn on the host and moved.

**Who is refused.**  The existing tests compare results with ``numpy.testing``, which
converts its arguments.  So the refusal looks at who asked: walking outward from the call,
the first frame in a file of the ``bcdnet`` package means library code (refused; frames of
``bcdnet/backend.py``, whose :func:`~bcdnet.backend.to_numpy` and
:func:`~bcdnet.backend.asarray` are the explicit moves, are allowed), the first frame in
the project's ``tests/`` folder means a test (allowed: it gets a host array).  Frames of
NumPy, SciPy, pandas or anything else in between are skipped, so a library call that
hands a strict array to SciPy is still caught.  The verdict per code object is cached, and
the walk happens only on a conversion, never on the ordinary path.

For tests only: not meant for real work.
"""

from __future__ import annotations

import functools
import operator
import os
import sys
import types

import numpy as np

import bcdnet
from bcdnet import backend

__all__ = ["StrictArray", "namespace", "ImplicitConversionError"]

_SELF = os.path.abspath(__file__)
_TESTS = os.path.dirname(_SELF) + os.sep
_LIBRARY_DIR = os.path.dirname(os.path.abspath(bcdnet.__file__))
_PACKAGE = _LIBRARY_DIR + os.sep
_ALLOWED_FILES = {os.path.abspath(backend.__file__)}

_LIBRARY, _TEST, _OTHER = "library", "test", "other"
_verdicts: dict = {}          # code object -> _LIBRARY, _TEST or _OTHER


class ImplicitConversionError(TypeError):
    """Library code converted a strict (device-like) array to NumPy implicitly."""


def _classify(code) -> str:
    verdict = _verdicts.get(code)
    if verdict is None:
        path = os.path.abspath(code.co_filename)
        if path == _SELF:
            verdict = _OTHER
        elif path in _ALLOWED_FILES:
            verdict = _TEST
        elif path.startswith(_PACKAGE):
            verdict = _LIBRARY
        elif path.startswith(_TESTS):
            verdict = _TEST
        else:
            verdict = _OTHER
        _verdicts[code] = verdict
    return verdict


def _library_frame():
    """The frame of the library code that asked, or None when a test (or nobody) asked."""
    frame = sys._getframe(1)
    while frame is not None:
        verdict = _classify(frame.f_code)
        if verdict is _LIBRARY:
            return frame
        if verdict is _TEST:
            return None
        frame = frame.f_back
    return None


def _refuse(what: str) -> None:
    """Raise if library code is asking; return (allow) when a test is."""
    frame = _library_frame()
    if frame is not None:
        path = os.path.relpath(frame.f_code.co_filename, os.path.dirname(_LIBRARY_DIR))
        where = f"{path}:{frame.f_lineno}"
        raise ImplicitConversionError(
            f"{what} at {where}: implicit conversion between a strict (device) array and "
            f"NumPy is not allowed, as in CuPy; use the array's namespace (xp), or move "
            f"explicitly with bcdnet.backend.to_numpy / bcdnet.backend.asarray")


# ---------------------------------------------------------------------- wrap / unwrap
def _wrap(value):
    """NumPy results become strict arrays (scalars become 0-d arrays, as in CuPy)."""
    kind = type(value)
    if kind is np.ndarray:
        return StrictArray(value)
    if isinstance(value, np.generic):
        return StrictArray(np.asarray(value))
    if kind is tuple or kind is list:
        return kind(_wrap(v) for v in value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):   # named results (qr, svd)
        return tuple(_wrap(v) for v in value)
    return value


def _unwrap(value, what):
    """Arguments for NumPy: strict arrays give their data; a numpy.ndarray is mixing."""
    kind = type(value)
    if kind is StrictArray:
        return value._data
    if kind is np.ndarray:
        _refuse(f"{what} got a numpy.ndarray")
        return value
    if kind is tuple or kind is list:
        return kind(_unwrap(v, what) for v in value)
    return value


def _to_host(value):
    """Arguments for NumPy from a test: strict arrays give their data, recursively."""
    kind = type(value)
    if kind is StrictArray:
        return value._data
    if kind is tuple or kind is list:
        return kind(_to_host(v) for v in value)
    if kind is dict:
        return {k: _to_host(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------- the array
def _operator(op, name, reflected=False, inplace=False):
    """The method ``name`` of StrictArray: ``op`` on the data, refusing a numpy.ndarray."""
    def method(self, other):
        kind = type(other)
        if kind is StrictArray:
            other = other._data
        elif kind is np.ndarray:
            _refuse(f"the operator {name} mixed a strict array with a numpy.ndarray")
        if inplace:
            op(self._data, other)
            return self
        return _wrap(op(other, self._data) if reflected else op(self._data, other))
    method.__name__ = name
    return method


def _unary(op, name):
    def method(self):
        return _wrap(op(self._data))
    method.__name__ = name
    return method


class StrictArray:
    """An ndarray in a box that refuses implicit conversion to NumPy (for tests).

    Everything NumPy arrays have is available, unwrapped on the way in and wrapped on the
    way out; :meth:`get` is the explicit host copy (as ``cupy.ndarray.get``).
    """

    __slots__ = ("_data",)
    __hash__ = None

    def __init__(self, data):
        if type(data) is not np.ndarray:
            raise TypeError(f"StrictArray holds a numpy.ndarray, got {type(data).__name__}")
        self._data = data

    # -------------------------------------------------------------- refusals
    def __array__(self, dtype=None, copy=None):
        _refuse("numpy.asarray (or another implicit conversion) of a strict array")
        data = self._data if dtype is None else self._data.astype(dtype)
        return data.copy() if copy else data

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse(f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} "
                f"on a strict array")
        return getattr(ufunc, method)(*_to_host(list(inputs)), **_to_host(kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        _refuse(f"numpy.{func.__name__} on a strict array")
        return func(*_to_host(list(args)), **_to_host(kwargs))

    # -------------------------------------------------------------- explicit moves
    def get(self) -> np.ndarray:
        """A host copy (``cupy.ndarray.get``)."""
        return self._data.copy()

    # -------------------------------------------------------------- attributes
    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def T(self):
        return StrictArray(self._data.T)

    def reshape(self, *shape, **kwargs):
        return StrictArray(self._data.reshape(*shape, **kwargs))

    def copy(self, order="C"):
        return StrictArray(self._data.copy(order))

    def fill(self, value):
        self._data.fill(value)

    def __getattr__(self, name):
        """Other ndarray methods and attributes, wrapped (never the array protocols)."""
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self._data, name)
        if callable(attr):
            def method(*args, **kwargs):
                what = f"StrictArray.{name}"
                return _wrap(attr(*_unwrap(args, what),
                                  **{k: _unwrap(v, what) for k, v in kwargs.items()}))
            method.__name__ = name
            return method
        return _wrap(attr)

    # -------------------------------------------------------------- indexing
    def __getitem__(self, key):
        return _wrap(self._data[_unwrap(key, "indexing")])

    def __setitem__(self, key, value):
        self._data[_unwrap(key, "indexing")] = _unwrap(value, "item assignment")

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (_wrap(row) for row in self._data)

    # -------------------------------------------------------------- scalars
    def _one(self, kind):
        if self._data.size != 1:
            raise TypeError(f"only arrays of one element can become a Python {kind.__name__}, "
                            f"got shape {self._data.shape}")
        return kind(self._data.reshape(()).item() if kind is not bool else self._data.reshape(()))

    def __float__(self):
        return self._one(float)

    def __int__(self):
        return self._one(int)

    def __complex__(self):
        return self._one(complex)

    def __bool__(self):
        return self._one(bool)

    def __copy__(self):
        return StrictArray(self._data.copy())

    def __deepcopy__(self, memo):
        return StrictArray(self._data.copy())

    def __reduce__(self):
        return (StrictArray, (self._data,))

    def __repr__(self):
        return "strict." + repr(self._data)

    def __str__(self):
        return str(self._data)

    def __format__(self, spec):
        return format(self._data.item() if self._data.ndim == 0 else self._data, spec)


_BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
           "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
           "pow": operator.pow, "matmul": operator.matmul, "and": operator.and_,
           "or": operator.or_, "xor": operator.xor}
for _name, _op in _BINARY.items():
    setattr(StrictArray, f"__{_name}__", _operator(_op, f"__{_name}__"))
    setattr(StrictArray, f"__r{_name}__", _operator(_op, f"__r{_name}__", reflected=True))
    setattr(StrictArray, f"__i{_name}__", _operator(getattr(operator, f"i{_name}"),
                                                    f"__i{_name}__", inplace=True))
for _name, _op in {"lt": operator.lt, "le": operator.le, "gt": operator.gt,
                   "ge": operator.ge, "eq": operator.eq, "ne": operator.ne}.items():
    setattr(StrictArray, f"__{_name}__", _operator(_op, f"__{_name}__"))
for _name, _op in {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs,
                   "invert": operator.invert}.items():
    setattr(StrictArray, f"__{_name}__", _unary(_op, f"__{_name}__"))


# ---------------------------------------------------------------------- the namespace
def _wrap_function(fn, name):
    what = f"strict.{name}"

    @functools.wraps(fn)
    def call(*args, **kwargs):
        args = [a._data if type(a) is StrictArray else _unwrap(a, what) for a in args]
        out = None
        if kwargs:
            out = kwargs.get("out")
            kwargs = {k: v._data if type(v) is StrictArray else _unwrap(v, what)
                      for k, v in kwargs.items()}
        result = fn(*args, **kwargs)
        if out is not None and type(out) is StrictArray and result is out._data:
            return out                       # the same object, as NumPy and CuPy return
        return StrictArray(result) if type(result) is np.ndarray else _wrap(result)
    return call


def _asarray(a, dtype=None, order=None, *, copy=None):
    """Move ``a`` into the namespace (an explicit move: NumPy arrays are accepted and copied)."""
    if type(a) is StrictArray:
        if (dtype is None or np.dtype(dtype) == a.dtype) and not copy:
            return a
        return StrictArray(a._data.astype(dtype if dtype is not None else a.dtype, copy=True))
    return StrictArray(np.array(_to_host(a), dtype=dtype, order=order or "K", copy=True))


def _array(a, dtype=None, copy=True, order="K", ndmin=0):
    result = _asarray(a, dtype, copy=copy)
    if ndmin and result.ndim < ndmin:
        result = StrictArray(np.array(result._data, ndmin=ndmin, copy=False))
    return result


def _asnumpy(a):
    """``cupy.asnumpy``: a host copy."""
    return a.get() if type(a) is StrictArray else np.array(a)


class _Namespace(types.ModuleType):
    """NumPy's names with strict arrays; sub-modules (``linalg``) are wrapped the same way."""

    def __init__(self, name, source, extra=None):
        super().__init__(name, f"strict version of {source.__name__} (for tests)")
        self._source = source
        for key, value in (extra or {}).items():
            setattr(self, key, value)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("random", "ctypeslib", "testing"):
            raise AttributeError(f"the strict namespace has no {name!r}"
                                 + (": draw random numbers on the host with a NumPy Generator "
                                    "and move them" if name == "random" else ""))
        obj = getattr(self._source, name)
        if isinstance(obj, types.ModuleType):
            wrapped = _Namespace(f"{self.__name__}.{name}", obj)
        elif callable(obj) and not isinstance(obj, type):
            wrapped = _wrap_function(obj, name)
        else:
            wrapped = obj                    # dtypes, constants, classes such as errstate
        setattr(self, name, wrapped)         # looked up once
        return wrapped

    def __repr__(self):
        return f"<strict array namespace {self.__name__!r} (for tests)>"


#: The namespace object (``bcdnet.backend.get_namespace("strict")``).
namespace = _Namespace("strict", np, {
    "ndarray": StrictArray, "asarray": _asarray, "array": _array, "asnumpy": _asnumpy,
})

backend.register_backend("strict", namespace, StrictArray)
