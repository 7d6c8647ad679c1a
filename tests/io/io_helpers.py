"""Helpers shared by the io tests: data to fit estimators on, and reading/writing files by hand."""

import json

import numpy as np


def regression_data(n=80, n_out=1, seed=0):
    """Three inputs on different scales and 1 or 2 smooth targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1] * (k + 1) for k in range(n_out)])
    return X, Y[:, 0] if n_out == 1 else Y


def read_file(path):
    """The JSON header and the arrays of a saved file (read with allow_pickle=False)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(arrays.pop("header").tobytes()), arrays


def write_file(path, header, arrays, header_array=None):
    """Write an .npz by hand: ``header`` is a dict (dumped to JSON) or raw bytes."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    if header_array is None:
        header_array = np.frombuffer(raw, dtype=np.uint8)
    np.savez(path, header=header_array, **arrays)
    return path
