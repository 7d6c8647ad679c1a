r"""Regression metrics: R², MSE, MAE, RMSE (averaged uniformly over outputs).

.. math::

    \mathrm{MSE} = \frac{1}{N} \sum_n (y_n - \hat y_n)^2, \quad
    \mathrm{MAE} = \frac{1}{N} \sum_n |y_n - \hat y_n|, \quad
    R^2 = 1 - \frac{\sum_n (y_n - \hat y_n)^2}{\sum_n (y_n - \bar y)^2}

With sample weights every sum is weighted and :math:`\bar y` is the weighted mean.  For
several outputs each metric is computed per output and averaged.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_sample_weight
from .backend import is_host_array, to_numpy

__all__ = ["r2_score", "mean_squared_error", "mean_absolute_error", "root_mean_squared_error"]


def _host(value):
    """Metrics are computed on the host: device arrays (a CuPy network's predictions) are copied."""
    return value if is_host_array(value) else to_numpy(value)


def _prepare(y_true, y_pred, sample_weight):
    y_true = as_float_array(_host(y_true), "y_true")
    y_pred = as_float_array(_host(y_pred), "y_pred")
    if y_true.ndim == 1:
        y_true = y_true[:, None]
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} "
                         f"and {y_pred.shape}")
    if y_true.shape[0] == 0:
        raise ValueError("y_true must hold at least one sample")
    w = check_sample_weight(_host(sample_weight), y_true.shape[0])
    w = np.ones(y_true.shape[0]) if w is None else w / w.max()   # the sum of 1e308s overflows
    return y_true, y_pred, w / w.sum()


def mean_squared_error(y_true, y_pred, sample_weight=None) -> float:
    y_true, y_pred, w = _prepare(y_true, y_pred, sample_weight)
    return float(np.mean(w @ (y_true - y_pred) ** 2))


def root_mean_squared_error(y_true, y_pred, sample_weight=None) -> float:
    y_true, y_pred, w = _prepare(y_true, y_pred, sample_weight)
    return float(np.mean(np.sqrt(w @ (y_true - y_pred) ** 2)))


def mean_absolute_error(y_true, y_pred, sample_weight=None) -> float:
    y_true, y_pred, w = _prepare(y_true, y_pred, sample_weight)
    return float(np.mean(w @ np.abs(y_true - y_pred)))


def r2_score(y_true, y_pred, sample_weight=None) -> float:
    r"""R², averaged over outputs.

    An output whose target is constant (all values of weight > 0 equal) has no variance
    to explain: it scores 1 when predicted exactly and 0 otherwise, as in scikit-learn
    (``force_finite=True``), never the huge numbers that rounding in
    :math:`\sum_n (y_n - \bar y)^2` would give.
    """
    y_true, y_pred, w = _prepare(y_true, y_pred, sample_weight)
    residual = w @ (y_true - y_pred) ** 2
    total = w @ (y_true - w @ y_true) ** 2
    counted = y_true[w > 0]
    constant = (counted == counted[0]).all(axis=0) | ~(total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(constant, np.where(residual == 0, 1.0, 0.0),
                          1.0 - residual / np.where(constant, 1.0, total))
    return float(np.mean(scores))
