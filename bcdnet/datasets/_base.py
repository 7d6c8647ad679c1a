"""The ``Dataset`` container: inputs and targets as unit-labelled pandas DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Dataset"]


def _as_float_frame(frame, name: str) -> pd.DataFrame:
    """Return ``frame`` as a DataFrame of float64 columns, or raise naming the bad column."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got none")
    if not frame.columns.is_unique:
        repeated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise ValueError(f"{name} has repeated column names: {repeated}")
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(
            frame[column]
        ):
            raise TypeError(
                f"{name} column {column!r} must be numeric, got dtype {frame[column].dtype}"
            )
    return frame.astype(np.float64)


class Dataset:
    """Inputs ``X`` and targets ``y`` of a regression problem, with names and a description.

    Parameters
    ----------
    X : DataFrame of shape (n_samples, n_features)
        Numeric inputs.  Column names carry their units, e.g. ``"F [L/min]"``.
    y : DataFrame of shape (n_samples, n_targets)
        Numeric targets, with the same index as ``X``.
    name : str
        A short identifier, e.g. ``"cstr"``.
    description : str, default ""
        Where the data come from, what the columns mean, and the choices made in loading.

    Attributes
    ----------
    X, y : DataFrame
        The data, as float64 columns.
    name, description : str

    Examples
    --------
    >>> from bcdnet.datasets import make_cstr
    >>> data = make_cstr()
    >>> X, Y = data.to_numpy()
    >>> X.shape, Y.shape
    ((10000, 4), (10000, 2))
    """

    def __init__(self, X, y, name: str, description: str = "") -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        if not isinstance(description, str):
            raise TypeError(f"description must be a string, got {type(description).__name__}")
        X = _as_float_frame(X, "X")
        y = _as_float_frame(y, "y")
        if len(X) != len(y):
            raise ValueError(
                f"X and y must have the same number of rows, got {len(X)} and {len(y)}"
            )
        if not X.index.equals(y.index):
            raise ValueError("X and y must share the same index")
        self.X = X
        self.y = y
        self.name = name
        self.description = description

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return len(self.X)

    @property
    def feature_names(self) -> list[str]:
        """Names of the input columns, with units."""
        return [str(c) for c in self.X.columns]

    @property
    def target_names(self) -> list[str]:
        """Names of the target columns, with units."""
        return [str(c) for c in self.y.columns]

    def to_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(X, Y)`` as new float64 arrays.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_targets)
            Always 2-D, also for a single target.
        """
        return (self.X.to_numpy(dtype=np.float64, copy=True),
                self.y.to_numpy(dtype=np.float64, copy=True))

    def take(self, rows) -> "Dataset":
        """Return the rows at integer positions ``rows`` as a new ``Dataset``.

        Parameters
        ----------
        rows : array of int of shape (n_rows,)
            Positions (not index labels) of the rows to keep, in the order wanted.
        """
        rows = np.asarray(rows)
        if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
            raise TypeError(f"rows must be a 1-D array of integer positions, got {rows!r}")
        return Dataset(self.X.iloc[rows], self.y.iloc[rows], self.name, self.description)

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, n_samples={self.n_samples}, "
                f"features={self.feature_names}, targets={self.target_names})")
