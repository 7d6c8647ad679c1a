r"""The array namespace: NumPy by default, CuPy on request, and a strict test namespace.

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
``"strict"``   For tests: NumPy underneath, but its arrays refuse implicit conversion
               to NumPy as CuPy's do (:mod:`bcdnet._strict`).
=============  =====================================================================

This is the only module that imports CuPy, and only when asked for it.  The default can
also be set by the environment variable ``BCDNET_BACKEND`` (read once, at the first use).

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
           "get_backend", "to_numpy", "asarray", "is_host_array", "BackendUnavailableError"]

#: The backend names :func:`get_namespace` accepts.
BACKENDS = ("numpy", "cupy", "strict")

INSTALL_HINT = 'pip install "bcdnet[gpu]"'

_default_name: str | None = None    # resolved on first use (BCDNET_BACKEND, else "numpy")
_cupy = None                        # the cupy module once it has been checked


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


def _strict_namespace():
    from . import _strict
    return _strict.namespace


def get_namespace(backend=None):
    """Return the array namespace of ``backend``.

    Parameters
    ----------
    backend : {"numpy", "cupy", "strict"}, namespace or None
        A name, a namespace returned earlier (``numpy``, ``cupy``, the strict one), or None
        for the current default (:func:`get_backend`).

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
        if name == "strict":
            return _strict_namespace()
        raise ValueError(f"unknown backend {backend!r}; valid names are "
                         f"{', '.join(repr(b) for b in BACKENDS)}")
    if backend is np:
        return np
    name = getattr(backend, "__name__", None)
    if name == "cupy":
        return _load_cupy()
    if name == "bcdnet.strict":
        return backend
    raise TypeError(f"backend must be one of {', '.join(repr(b) for b in BACKENDS)} or their "
                    f"namespace, got {backend!r}")


def backend_name(xp) -> str:
    """The name (``"numpy"``, ``"cupy"`` or ``"strict"``) of a namespace."""
    if xp is np:
        return "numpy"
    name = getattr(xp, "__name__", "")
    return "strict" if name == "bcdnet.strict" else name


def namespace_of(array):
    """The namespace an array belongs to (NumPy for anything that is not a device array).

    Like ``cupy.get_array_module``, without importing CuPy: a CuPy array's type lives in a
    ``cupy`` module, so CuPy was imported already when one exists.
    """
    if type(array) is np.ndarray:
        return np
    module = type(array).__module__
    if module.startswith("bcdnet._strict"):
        return _strict_namespace()
    if module.startswith("cupy"):
        return _load_cupy()
    return np


def is_host_array(array) -> bool:
    """True unless ``array`` is a CuPy array or a strict test array."""
    return type(array) is np.ndarray or namespace_of(array) is np


def set_backend(backend) -> None:
    """Set the default backend (``"numpy"``, ``"cupy"``, ``"strict"``) of new networks.

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

    CuPy and strict arrays are copied to the host (``.get()``); anything else goes through
    ``numpy.asarray``.
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
