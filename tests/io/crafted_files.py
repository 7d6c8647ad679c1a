"""Hostile model, estimator and checkpoint files, written byte by byte.

Each builder writes a file to a given folder and returns its path.  The zip archives are
made with :mod:`zipfile` directly (``np.savez`` cannot compress a member, repeat a name or
declare a shape its data do not have); ``.npy`` members are a header from
``numpy.lib.format`` followed by raw bytes.
"""

import io
import json
import os
import zipfile

import numpy as np

import bcdnet as bn

BOMB_BYTES = 300 * 2**20
"""What a compressed bomb expands to: more than the 200 MB the loaders may use."""


def npy_header(shape, dtype) -> bytes:
    """The ``.npy`` header of an array of ``shape`` and ``dtype`` (no data)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": tuple(shape)})
    return buf.getvalue()


def npy(array) -> bytes:
    array = np.ascontiguousarray(array)
    return npy_header(array.shape, array.dtype) + array.tobytes()


def header_bytes(header: dict) -> bytes:
    return npy(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))


def write_zip(path, members):
    """``members``: ``(name, bytes or ("zeros", shape, dtype), compressed)`` triples.

    A ``("zeros", shape, dtype)`` member is streamed: its header, then zeros, so that a
    300 MB member costs no memory to write.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # "Duplicate name" is the point
        with zipfile.ZipFile(path, "w") as zf:
            for name, data, compressed in members:
                kind = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
                info = zipfile.ZipInfo(name)
                info.compress_type = kind
                with zf.open(info, "w", force_zip64=True) as fh:
                    if isinstance(data, bytes):
                        fh.write(data)
                        continue
                    _, shape, dtype = data
                    fh.write(npy_header(shape, dtype))
                    left = int(np.prod(shape)) * np.dtype(dtype).itemsize
                    chunk = bytes(2**20)
                    while left > 0:
                        fh.write(chunk[:min(left, len(chunk))])
                        left -= len(chunk)
    return path


def good_network_file(folder):
    path = os.path.join(folder, "good-net.npz")
    bn.save(bn.Network.mlp([3, 4, 2], activation="tanh", seed=0), path)
    return path


def read_members(path):
    """The raw members of an archive, as ``(name, bytes)`` pairs in order."""
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def _network_header(sizes, dtype="float64"):
    layers = [{"type": "Dense", "n_in": a, "n_out": b, "init": "glorot", "activation_params": {},
               "activation": "tanh" if i < len(sizes) - 2 else "identity"}
              for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
    return {"format": "bcdnet-model", "format_version": 1, "bcdnet_version": "0.1.0",
            "kind": "network", "dtype": dtype, "sizes": sizes, "layers": layers,
            "loss": "MSE"}


def _sizes_for(nbytes):
    """Network sizes ``[1, H, 1]`` whose float64 parameters take about ``nbytes``."""
    hidden = nbytes // 8 // 3
    return [1, hidden, 1], 3 * hidden + 1, hidden + 1


# ---------------------------------------------------------------------- model files
def deflate_bomb(folder):
    """Consistent with its header (a 1-H-1 network of 300 MB), every member compressed."""
    sizes, n_params, n_scales = _sizes_for(BOMB_BYTES)
    return write_zip(os.path.join(folder, "deflate-bomb.npz"), [
        ("params.npy", ("zeros", (n_params,), "float64"), True),
        ("scales.npy", ("zeros", (n_scales,), "float64"), True),
        ("header.npy", header_bytes(_network_header(sizes)), True)])


def deflate_extra_member(folder):
    """A good network plus an unexpected compressed member of 300 MB."""
    members = [(n, d, False) for n, d in read_members(good_network_file(folder))]
    members.insert(0, ("junk.npy", ("zeros", (BOMB_BYTES // 8,), "float64"), True))
    return write_zip(os.path.join(folder, "deflate-extra.npz"), members)


def stored_consistent_bomb(folder):
    """Header and .npy headers agree on 300 MB of parameters; the members hold 8 bytes."""
    sizes, n_params, n_scales = _sizes_for(BOMB_BYTES)
    return write_zip(os.path.join(folder, "stored-bomb.npz"), [
        ("params.npy", npy_header((n_params,), "float64") + bytes(8), False),
        ("scales.npy", npy_header((n_scales,), "float64") + bytes(8), False),
        ("header.npy", header_bytes(_network_header(sizes)), False)])


def huge_declared_sizes(folder):
    """The header declares a 1 - 10**12 - 1 network; the arrays are small."""
    return write_zip(os.path.join(folder, "huge-sizes.npz"), [
        ("params.npy", npy(np.zeros(16)), False), ("scales.npy", npy(np.ones(4)), False),
        ("header.npy", header_bytes(_network_header([1, 10**12, 1])), False)])


def huge_npy_shape(folder):
    """A good header; the params member's .npy header claims 10**15 values."""
    members = [(n, npy_header((10**15,), "float64") if n == "params.npy" else d, False)
               for n, d in read_members(good_network_file(folder))]
    return write_zip(os.path.join(folder, "huge-npy-shape.npz"), members)


def duplicate_params(folder):
    """Two ``params.npy`` members: the second, loaded silently before, differs."""
    members = [(n, d, False) for n, d in read_members(good_network_file(folder))]
    params = dict(members_as_pairs(members))["params.npy"]
    members.append(("params.npy", params[:-8] + np.float64(9.0).tobytes(), False))
    return write_zip(os.path.join(folder, "duplicate.npz"), members)


def members_as_pairs(members):
    return [(n, d) for n, d, _ in members]


def fifo(folder, name="fifo.npz"):
    path = os.path.join(folder, name)
    os.mkfifo(path)
    return path


def dtype_file(folder, dtype):
    """A 3-4-2 network stored in ``dtype`` (float16, longdouble) and declared so."""
    net = bn.Network.mlp([3, 4, 2], activation="tanh", seed=0)
    sizes = net.sizes
    return write_zip(os.path.join(folder, f"{np.dtype(dtype).name}.npz"), [
        ("params.npy", npy(net.params.astype(dtype)), False),
        ("scales.npy", npy(net.scales.astype(dtype)), False),
        ("header.npy", header_bytes(_network_header(sizes, np.dtype(dtype).name)), False)])


def weights_file(folder, value, name):
    """A 3-4-2 network whose weights are all ``value`` (1e308: finite, outputs overflow)."""
    net = bn.Network.mlp([3, 4, 2], activation="tanh", seed=0)
    return write_zip(os.path.join(folder, name), [
        ("params.npy", npy(np.full(net.n_params, value)), False),
        ("scales.npy", npy(net.scales), False),
        ("header.npy", header_bytes(_network_header(net.sizes)), False)])


# ---------------------------------------------------------------------- estimator files
def _estimator_members(folder):
    X = np.random.default_rng(0).normal(size=(40, 3))
    est = bn.BCDRegressor(hidden=(4,), n_networks=1, max_iter=2, progress=False)
    est.fit(X, X.sum(axis=1))
    path = os.path.join(folder, "good-est.npz")
    bn.save(est, path)
    return [(n, d, False) for n, d in read_members(path)]


def estimator_deflate_bomb(folder):
    """A good estimator whose ``x_mean`` member is a compressed 300 MB of zeros."""
    members = [(n, ("zeros", (BOMB_BYTES // 8,), "float64"), True) if n == "x_mean.npy"
               else (n, d, c) for n, d, c in _estimator_members(folder)]
    return write_zip(os.path.join(folder, "est-bomb.npz"), members)


def estimator_duplicate(folder):
    members = _estimator_members(folder)
    members.append(("y_scale.npy", npy(np.array([1e300])), False))
    return write_zip(os.path.join(folder, "est-duplicate.npz"), members)


def estimator_huge_shape(folder):
    members = [(n, npy_header((10**13,), "float64"), False) if n == "x_scale.npy"
               else (n, d, c) for n, d, c in _estimator_members(folder)]
    return write_zip(os.path.join(folder, "est-huge-shape.npz"), members)


# ---------------------------------------------------------------------- checkpoints
def _checkpoint_header(n_arrays, dtype="float64"):
    state = {"params": {"__array__": "a0"},
             **{f"x{i}": {"__array__": f"a{i}"} for i in range(1, n_arrays)}}
    return {"format": "bcdnet-checkpoint", "format_version": 2, "state": state}


def checkpoint_deflate_bomb(folder):
    return write_zip(os.path.join(folder, "ck-bomb.npz"), [
        ("a0.npy", ("zeros", (BOMB_BYTES // 8,), "float64"), True),
        ("header.npy", header_bytes(_checkpoint_header(1)), False)])


def checkpoint_duplicate(folder):
    return write_zip(os.path.join(folder, "ck-duplicate.npz"), [
        ("a0.npy", npy(np.zeros(3)), False), ("a0.npy", npy(np.ones(3)), False),
        ("header.npy", header_bytes(_checkpoint_header(1)), False)])


def checkpoint_huge_shape(folder):
    return write_zip(os.path.join(folder, "ck-huge-shape.npz"), [
        ("a0.npy", npy_header((10**14,), "float64") + bytes(64), False),
        ("header.npy", header_bytes(_checkpoint_header(1)), False)])


def checkpoint_float16(folder):
    return write_zip(os.path.join(folder, "ck-float16.npz"), [
        ("a0.npy", npy(np.zeros(3, np.float16)), False),
        ("header.npy", header_bytes(_checkpoint_header(1)), False)])


def checkpoint_deep_json(folder):
    raw = ('{"format": "bcdnet-checkpoint", "format_version": 2, "state": '
           + "[" * 200_000 + "]" * 200_000 + "}").encode()
    return write_zip(os.path.join(folder, "ck-deep.npz"), [
        ("header.npy", npy(np.frombuffer(raw, np.uint8)), False)])
