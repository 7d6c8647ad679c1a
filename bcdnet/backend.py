r"""The array namespace: NumPy by default, CuPy on request, and others registered by name.

Every numeric path of bcdnet is written once against an array namespace ``xp`` (NumPy's
function names: ``xp.matmul``, ``xp.tanh``, ``xp.empty``, ...).  A network carries its own
(``net.xp``); optimizers take theirs from ``x0``; everything else follows the network.

.. code-block:: python

    import bcdnet as bn
    net = bn.Network.mlp([4, 10, 10, 1], backend="cupy", dtype="float32")  # on the GPU
    net.to("numpy")                      # moved back in place; returns the network
    bn.set_backend("cupy")               # the default of networks built from now on
    bn.backend.to_numpy(net.params)      # an explicit host copy

=============  =====================================================================
name           namespace
=============  =====================================================================
``"numpy"``    NumPy, the default.
``"cupy"``     CuPy (``pip install "bcdnet[gpu]"``); needs a usable CUDA device.
others         Registered with :func:`register_backend`.  The test suite registers
               ``"strict"`` (``tests/strict_namespace.py``): NumPy underneath, but its
               arrays refuse implicit conversion to NumPy as CuPy's do, so a NumPy call
               slipped onto a device array fails on a machine without a GPU.
=============  =====================================================================

This is the only module that imports CuPy, and only when asked for it.  The default can
also be set by the environment variable ``BCDNET_BACKEND`` (read once, at the first use;
``BCDNET_BACKEND=strict`` in the test suite).

**Why NumPy's namespace and not the array API standard.**  The hot loops write into buffers
kept between evaluations: ``xp.matmul(A, W, out=Z)``, ``activation.f(Z, out=H)``,
``xp.multiply(D1, dA, out=dZ)``, one buffer per layer and data size
(:class:`~bcdnet.passes.Cache`), so a training run allocates almost nothing after its first
evaluation.  The array API standard
has no ``out=`` (its functions return new arrays; only operators update in place), so the
same code written to it would allocate a temporary for every step of every pass.  NumPy's
names with ``out=`` are implemented by NumPy and CuPy alike, the two backends bcdnet
targets; that subset, and no NumPy-only call on a device array, is what the strict test
namespace checks.

**Boundaries.**  Host data (``X``, ``Y``, sample weights, parameters given by hand) is moved
to the network's namespace by the checks at the public boundary; results stay there
(``net.predict`` returns a CuPy array on a CuPy network).  Copies to the host happen only
where asked for: :func:`to_numpy`, saving and checkpoints, and Python floats where an
algorithm needs a number (the loss value, line-search tests, stopping tests, logging).

**dtype policy.**  float64 by default on every backend, so results match the papers' and the
tests' tolerances.  On a GPU ask for float32 (``dtype="float32"``): most consumer and
workstation GPUs run float64 at 1/32 or 1/64 of their float32 speed, so a float64 network can
be slower on the GPU than on the CPU.  Datacenter GPUs (A100, H100) run float64 at half speed.

**What differs between backends.**

* Random numbers (initial weights, shells, mini-batches, ICRS trials, selector draws) are
  drawn on the host with NumPy Generators and then moved, so a seed gives the same numbers
  on every backend (CuPy's own generators give other streams).
* Reductions and matrix products may differ in the last bits (another summation order,
  cuBLAS), so results agree to rounding (about 1e-12 relative in float64), not bit for bit,
  and a long training run can drift apart where a line search takes another branch.
* Each Python float read from the device (the loss of every evaluation, the L-BFGS dot
  products, stopping tests) is a synchronisation; small networks are faster on the CPU.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["BACKENDS", "get_namespace", "namespace_of", "backend_name", "set_backend",
           "get_backend", "to_numpy", "asarray", "is_host_array", "register_backend",
           "BackendUnavailableError"]

#: The built-in backend names; :func:`register_backend` adds others.
BACKENDS = ("numpy", "cupy")

INSTALL_HINT = 'pip install "bcdnet[gpu]"'

_default_name: str | None = None    # resolved on first use (BCDNET_BACKEND, else "numpy")
_cupy = None                        # the cupy module once it has been checked
_registered: dict = {}              # name -> namespace, from register_backend
_by_array_type: dict = {}           # array type -> its registered namespace


class BackendUnavailableError(ImportError):
    """The backend asked for cannot run here (CuPy missing, or no usable CUDA device)."""


def _load_cupy():
    """Import CuPy and check for a usable device; raise one clear error otherwise."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        import cupy
    except Exception as exc:          # ImportError, or a broken CUDA installation
        raise BackendUnavailableError(
            f"the 'cupy' backend needs CuPy, which could not be imported ({exc}); "
            f"install it with: {INSTALL_HINT}") from exc
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
        if n_devices > 0:
            cupy.zeros(1).sum().item()   # a real allocation and kernel: the driver works
    except Exception as exc:
        raise BackendUnavailableError(
            f"the 'cupy' backend needs a usable CUDA device, but CuPy reports: {exc}; "
            f"check the driver, or install the CuPy build for your CUDA version "
            f"({INSTALL_HINT})") from exc
    if n_devices < 1:
        raise BackendUnavailableError(
            f"the 'cupy' backend needs a usable CUDA device, but CuPy found none "
            f"({INSTALL_HINT} installs CuPy; a GPU and its driver must be present)")
    _cupy = cupy
    return cupy


def register_backend(name: str, namespace, array_type: type) -> None:
    """Make ``namespace`` available as backend ``name``; its arrays are of ``array_type``.

    The namespace must offer the NumPy functions bcdnet calls, with ``out=`` (see the module
    docstring), and its arrays ``.get()`` for a host copy.  Registering a name again
    replaces it; ``"numpy"`` and ``"cupy"`` cannot be replaced.
    """
    if not isinstance(name, str) or name.lower() in BACKENDS:
        raise ValueError(f"name must be a new backend name (not {', '.join(BACKENDS)}), "
                         f"got {name!r}")
    if not isinstance(array_type, type):
        raise TypeError(f"array_type must be a class, got {array_type!r}")
    _registered[name.lower()] = namespace
    _by_array_type[array_type] = namespace


def _valid_names() -> str:
    return ", ".join(repr(b) for b in BACKENDS + tuple(_registered))


def get_namespace(backend=None):
    """Return the array namespace of ``backend``.

    Parameters
    ----------
    backend : {"numpy", "cupy"}, a registered name, a namespace or None
        A name, a namespace returned earlier (``numpy``, ``cupy``, a registered one), or
        None for the current default (:func:`get_backend`).

    Raises
    ------
    BackendUnavailableError
        For ``"cupy"`` when CuPy is not installed or no CUDA device is usable (an
        ``ImportError``; the message names ``pip install "bcdnet[gpu]"``).
    ValueError
        For an unknown name (the message lists the valid ones).
    """
    if backend is None:
        backend = get_backend()
    if isinstance(backend, str):
        name = backend.lower()
        if name == "numpy":
            return np
        if name == "cupy":
            return _load_cupy()
        if name in _registered:
            return _registered[name]
        raise ValueError(f"unknown backend {backend!r}; valid names are {_valid_names()}")
    if backend is np:
        return np
    if getattr(backend, "__name__", None) == "cupy":
        return _load_cupy()
    if any(backend is xp for xp in _registered.values()):
        return backend
    raise TypeError(f"backend must be one of {_valid_names()} or their namespace, "
                    f"got {backend!r}")


def backend_name(xp) -> str:
    """The name (``"numpy"``, ``"cupy"`` or a registered one) of a namespace."""
    if xp is np:
        return "numpy"
    for name, registered in _registered.items():
        if xp is registered:
            return name
    return getattr(xp, "__name__", "")


def namespace_of(array):
    """The namespace an array belongs to (NumPy for anything that is not a device array).

    Like ``cupy.get_array_module``, without importing CuPy: a CuPy array's type lives in a
    ``cupy`` module, so CuPy was imported already when one exists.
    """
    if type(array) is np.ndarray:
        return np
    registered = _by_array_type.get(type(array))
    if registered is not None:
        return registered
    if type(array).__module__.startswith("cupy"):
        return _load_cupy()
    return np


def is_host_array(array) -> bool:
    """True unless ``array`` is a CuPy array or one of a registered backend."""
    return type(array) is np.ndarray or namespace_of(array) is np


def set_backend(backend) -> None:
    """Set the default backend (``"numpy"``, ``"cupy"`` or a registered name) of new networks.

    The name is checked now: ``set_backend("cupy")`` without CuPy raises at once.
    """
    global _default_name
    _default_name = backend_name(get_namespace(backend))


def get_backend() -> str:
    """The default backend's name: from :func:`set_backend`, else ``BCDNET_BACKEND``, else numpy."""
    global _default_name
    if _default_name is None:
        name = os.environ.get("BCDNET_BACKEND", "").strip() or "numpy"
        get_namespace(name)             # fail here, with the clear error, if unusable
        _default_name = name.lower()
    return _default_name


def to_numpy(array) -> np.ndarray:
    """A host (NumPy) version of ``array``: the array itself when it is already on the host.

    CuPy arrays and those of registered backends are copied to the host (``.get()``);
    anything else goes through ``numpy.asarray``.
    """
    if type(array) is np.ndarray:
        return array
    if not is_host_array(array):
        return array.get()
    return np.asarray(array)


def asarray(array, xp, dtype=None):
    """Move ``array`` to namespace ``xp`` explicitly (host to device, or device to host).

    Returns ``array`` itself when it is already there with the right dtype.
    """
    if xp is np and type(array) is np.ndarray and dtype is None:
        return array                      # the NumPy backend's every call: nothing to do
    source = namespace_of(array)
    if source is not xp and source is not np:
        array = array.get()               # device to host first, then on to xp
    if xp is np:
        return np.asarray(array, dtype=dtype)
    return xp.asarray(array, dtype=dtype)
