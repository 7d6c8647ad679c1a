r"""Standardisation (z-scoring) of columns, fitted on training rows only.

.. math::

    z_{nj} = \frac{x_{nj} - \mu_j}{s_j}, \qquad x_{nj} = z_{nj}\, s_j + \mu_j,

with :math:`\mu_j` and :math:`s_j` the mean and the standard deviation (ddof=0) of column
:math:`j` over the rows given to ``fit``.  Fit on the training rows, then transform the
training and the test rows with the same statistics, so nothing about the test rows leaks
into training; map predictions back with ``inverse_transform``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_matrix, check_no_overflow, check_sample_weight

__all__ = ["Standardizer"]


class Standardizer:
    """Shift each column to mean 0 and scale it to standard deviation 1.

    A column that is constant in the fitting rows (standard deviation below
    ``10 * eps * |mean|``, or zero) gets ``scale_ = 1``: it is only centred, so it becomes 0
    rather than NaN, and ``inverse_transform`` still restores it.

    Values up to the float64 limit (1.8e308) never overflow on the way; where a result of
    ``transform`` or ``inverse_transform`` itself exceeds it, they raise ``ValueError``.

    Works on NumPy arrays and pandas DataFrames and returns the kind it was given: an array
    for an array (1-D stays 1-D), a DataFrame with the same columns and index for a DataFrame.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Column means of the fitting rows.
    scale_ : ndarray of shape (n_features,)
        Column standard deviations (ddof=0) of the fitting rows; 1 for constant columns.
    n_features_in_ : int
        Number of columns seen by ``fit``.
    feature_names_in_ : list of str or None
        Column names when ``fit`` saw a DataFrame; transforms of DataFrames must match them.

    Examples
    --------
    >>> import numpy as np
    >>> scaler = Standardizer().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> scaler.mean_, scaler.scale_
    (array([2., 5.]), array([1., 1.]))
    """

    def __init__(self) -> None:
        self.mean_ = None
        self.scale_ = None
        self.n_features_in_ = None
        self.feature_names_in_ = None

    def fit(self, X, sample_weight=None) -> "Standardizer":
        r"""Learn the column means and standard deviations of ``X``.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_samples, n_features)
            The training rows; a 1-D array is one column.
        sample_weight : ndarray of shape (n_samples,), optional
            Weighted mean and standard deviation,
            :math:`\mu_j = \sum_n w_n x_{nj} / \sum_n w_n`; integer weights equal
            repeated rows.

        Returns
        -------
        self
        """
        values = check_matrix(X, "X")
        w = check_sample_weight(sample_weight, values.shape[0])
        # The statistics of each column divided by a power of two above its largest |x|: the
        # scaling is exact, so they are unchanged, yet sums and squares of values near 1e308
        # cannot overflow (|mean| and std stay below the largest |x|).
        exponent = np.frexp(np.abs(values).max(axis=0))[1] + 1
        unit = np.ldexp(values, -exponent)
        if w is None:
            mean, std = unit.mean(axis=0), unit.std(axis=0)
        else:
            w = w / w.max()                   # a sum of weights near 1e308 would overflow
            mean = np.average(unit, axis=0, weights=w)
            std = np.sqrt(np.average((unit - mean) ** 2, axis=0, weights=w))
        mean = np.ldexp(mean, exponent)
        scale = np.ldexp(std, exponent)
        constant = scale <= 10 * np.finfo(np.float64).eps * np.abs(mean)
        scale[constant] = 1.0
        self.mean_ = mean
        self.scale_ = scale
        self.n_features_in_ = values.shape[1]
        self.feature_names_in_ = (
            [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
        )
        return self

    def transform(self, X):
        """Return ``(X - mean_) / scale_``, of the same kind and shape as ``X``.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_samples, ``n_features_in_``)
        """
        values = self._check(X, "X")
        Z = check_no_overflow(self._standardise(values), values, "X", "(X - mean_) / scale_")
        return self._like(X, Z)

    def inverse_transform(self, Z):
        """Return ``Z * scale_ + mean_``: data (e.g. predictions) back in the original units.

        Parameters
        ----------
        Z : ndarray or DataFrame of shape (n_samples, ``n_features_in_``)
        """
        values = self._check(Z, "Z")
        X = check_no_overflow(self._unstandardise(values), values, "Z", "Z * scale_ + mean_")
        return self._like(Z, X)

    # Both maps work on halves: halving is exact, so the result is the same wherever the
    # direct formula is finite, but x/2 - mean_/2 and z/2 * scale_ + mean_/2 cannot overflow
    # where x - mean_ or z * scale_ would while the result fits.  inf where it does not.
    def _standardise(self, values: np.ndarray) -> np.ndarray:
        """``(values - mean_) / scale_``, inf where it overflows (no warning)."""
        with np.errstate(over="ignore"):
            Z = np.multiply(values, 0.5)
            Z -= 0.5 * self.mean_
            Z /= self.scale_
            Z *= 2.0
        return Z

    def _unstandardise(self, values: np.ndarray) -> np.ndarray:
        """``values * scale_ + mean_``, inf where it overflows (no warning)."""
        with np.errstate(over="ignore"):
            X = np.multiply(values, 0.5)
            X *= self.scale_
            X += 0.5 * self.mean_
            X *= 2.0
        return X

    def fit_transform(self, X):
        """Fit on ``X`` and return it transformed."""
        return self.fit(X).transform(X)

    def _check(self, X, name: str) -> np.ndarray:
        if self.mean_ is None:
            raise ValueError(
                "this Standardizer is not fitted yet; call fit(X) on the training rows"
            )
        if isinstance(X, pd.DataFrame) and self.feature_names_in_ is not None:
            names = [str(c) for c in X.columns]
            if names != self.feature_names_in_:
                missing = [c for c in self.feature_names_in_ if c not in names]
                extra = [c for c in names if c not in self.feature_names_in_]
                raise ValueError(
                    f"{name} must have the columns seen in fit, in the same order: "
                    f"{self.feature_names_in_}; missing {missing}, unexpected {extra}"
                )
        return check_matrix(X, name, n_columns=self.n_features_in_)

    @staticmethod
    def _like(original, values: np.ndarray):
        """Return ``values`` as the same kind of container as ``original``."""
        if isinstance(original, pd.DataFrame):
            return pd.DataFrame(values, index=original.index, columns=original.columns)
        if isinstance(original, pd.Series):
            return pd.Series(values[:, 0], index=original.index, name=original.name)
        if np.ndim(original) == 1:
            return values[:, 0]
        return values

    def __repr__(self) -> str:
        if self.mean_ is None:
            return "Standardizer(unfitted)"
        return f"Standardizer(n_features_in_={self.n_features_in_})"
