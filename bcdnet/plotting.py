r"""Figures of a fit and of a training run: parity, residuals, convergence, layer selection, boxes.

Every function builds a :class:`matplotlib.figure.Figure` directly (no ``pyplot``, so no GUI
backend is ever needed: it works headless, in threads and in tests), gives it a title and
labelled axes with units, returns it, and writes it to ``save`` when a path is given.
Files are written atomically (a temporary file in the same folder, then ``os.replace``), so
a reader never sees half a PNG.

=========================  =================================================================
function                   shows
=========================  =================================================================
:func:`parity`             actual against predicted, one panel per output, y = x drawn
:func:`residuals`          actual − predicted against predicted, one panel per output
:func:`convergence`        loss and ‖∇‖∞ against iteration and CPU time (Paper A Fig. 4)
:func:`selection_map`      which layers each iteration trained (Paper B Fig. 3)
:func:`boxplots`           one panel per metric, a box per method over splits (Paper B)
:func:`learning_curves`    a metric (e.g. test R²) against CPU time, one line per method
=========================  =================================================================

Histories are :attr:`bcdnet.TrainResult.history` DataFrames (columns ``iteration``,
``train_loss``, ``val_loss``, ``grad_inf``, ``cpu_s``, ``first``, ``last``, ...); several
runs overlay when given as a mapping ``{label: history}``.

(About 400 lines, kept as one module on purpose: the six figures share the figure, save and
title helpers above them, each is one short function, and ``bcdnet.plotting.<figure>`` is
the one place a reader looks for a figure.)
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from ._atomic import atomic_write

__all__ = ["parity", "residuals", "convergence", "selection_map", "boxplots",
           "learning_curves", "save_figure"]


def _figure(n_panels: int = 1, ncols: int | None = None, panel_size=(4.2, 3.6)):
    """A new Figure with ``n_panels`` axes in a grid (no pyplot, no backend)."""
    from matplotlib.figure import Figure

    ncols = ncols or min(n_panels, 3)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.5),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes[:n_panels])


def save_figure(fig, path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` atomically; the format follows the suffix (default PNG).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike
        Target file; its folder is created if missing.
    dpi : int, default 110

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower() or "png"
    atomic_write(path, lambda stream: fig.savefig(stream, format=fmt, dpi=dpi))
    return path


def _finish(fig, save, title=None):
    if title is not None:                      # wrapped to the figure's width
        width = max(30, int(fig.get_figwidth() * 9.5))
        fig.suptitle(textwrap.fill(str(title), width))
    if save is not None:
        save_figure(fig, save)
    return fig


def _as_columns(y, name: str) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty array of shape (n_samples,) or "
                         f"(n_samples, n_outputs), got shape {y.shape}")
    return y


def _pairs(y_true, y_pred, target_names):
    """Check the two arrays and the output names; return them as columns and a name list."""
    y_true, y_pred = _as_columns(y_true, "y_true"), _as_columns(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and "
                         f"{y_pred.shape}")
    n_out = y_true.shape[1]
    if target_names is None:
        target_names = ["y [-]"] if n_out == 1 else [f"y{j + 1} [-]" for j in range(n_out)]
    target_names = [str(n) for n in target_names]
    if len(target_names) != n_out:
        raise ValueError(f"target_names must name {n_out} outputs, got {target_names}")
    return y_true, y_pred, target_names


def _split_unit(name: str) -> tuple[str, str, str]:
    """``"tanh: P [mol/min]"`` -> ``("tanh", "P", "[mol/min]")``: panel, quantity, unit.

    The panel title (before ``": "``) is optional; no unit gives ``"[-]"``.
    """
    panel, _, name = name.rpartition(": ")
    if name.endswith("]") and "[" in name:
        i = name.rindex("[")
        return panel, name[:i].strip(), name[i:]
    return panel, name, "[-]"


def parity(y_true, y_pred, target_names=None, title="Actual against predicted", *,
           y_train=None, y_train_pred=None, save=None):
    """Parity plot: actual against predicted values, one panel per output, with y = x.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Actual and predicted values (test rows), in the targets' units.
    target_names : list of str, optional
        One name per output, with its unit in brackets (``"P [mol/min]"``); a prefix
        ending in ``": "`` becomes the panel's title (``"tanh: PE [MW]"``), so several
        models can share one figure.
    title : str
    y_train, y_train_pred : ndarray, optional
        Training rows, drawn underneath in grey.
    save : str or os.PathLike, optional
        Write the figure there (atomically).

    Returns
    -------
    matplotlib.figure.Figure
    """
    y_true, y_pred, names = _pairs(y_true, y_pred, target_names)
    train = None
    if y_train is not None and y_train_pred is not None:
        train = _pairs(y_train, y_train_pred, names)[:2]
    fig, axes = _figure(y_true.shape[1])
    for j, (ax, name) in enumerate(zip(axes, names)):
        panel, label, unit = _split_unit(name)
        ax.set_title(panel)
        if train is not None:
            ax.scatter(train[1][:, j], train[0][:, j], s=4, c="0.75", lw=0, label="training")
        ax.scatter(y_pred[:, j], y_true[:, j], s=5, c="C0", lw=0, alpha=0.6, label="test")
        lo = min(y_true[:, j].min(), y_pred[:, j].min())
        hi = max(y_true[:, j].max(), y_pred[:, j].max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
        ax.set_xlabel(f"predicted {label} {unit}")
        ax.set_ylabel(f"actual {label} {unit}")
        ax.legend(loc="upper left", fontsize="small", markerscale=2)
        ax.set_aspect("equal", adjustable="datalim")
    return _finish(fig, save, title)


def residuals(y_true, y_pred, target_names=None, title="Residuals", *, save=None):
    """Residuals (actual − predicted) against predicted, one panel per output.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    target_names : list of str, optional
        Names with units, as in :func:`parity`.
    title : str
    save : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    y_true, y_pred, names = _pairs(y_true, y_pred, target_names)
    fig, axes = _figure(y_true.shape[1])
    for j, (ax, name) in enumerate(zip(axes, names)):
        panel, label, unit = _split_unit(name)
        r = y_true[:, j] - y_pred[:, j]
        ax.scatter(y_pred[:, j], r, s=5, c="C0", lw=0, alpha=0.6)
        ax.axhline(0.0, color="k", lw=1, ls="--")
        ax.set_xlabel(f"predicted {label} {unit}")
        ax.set_ylabel(f"residual {label} {unit}")
        ax.set_title(f"{panel + ': ' if panel else ''}mean {r.mean():.3g}, std {r.std():.3g} "
                     f"{unit}", fontsize="small")
    return _finish(fig, save, title)


def _histories(history) -> dict:
    import pandas as pd

    if isinstance(history, pd.DataFrame):
        history = {"": history}
    if not isinstance(history, dict) or not history:
        raise TypeError("history must be a TrainResult.history DataFrame or a non-empty dict "
                        "of them by label")
    for label, frame in history.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"history[{label!r}] must be a DataFrame, got "
                            f"{type(frame).__name__}")
    return history


def _positive(values) -> np.ndarray:
    """Values for a log axis: non-positive and non-finite entries become NaN (not drawn)."""
    v = np.asarray(values, dtype=np.float64).copy()
    v[~(np.isfinite(v) & (v > 0))] = np.nan
    return v


def convergence(history, title="Convergence", *, loss_label="MSE (standardised) [-]",
                save=None):
    """Loss and the block gradient's ∞-norm against iteration and against CPU time.

    Four panels: training loss (solid) and validation loss (dotted, when recorded) against
    the BCD iteration and against cumulative CPU seconds; ‖∇‖∞ of the trained block after
    each visit against the same two axes (Paper A, Fig. 4).  All on log scales.

    Parameters
    ----------
    history : DataFrame or dict of str to DataFrame
        ``TrainResult.history`` of one run, or several by label (overlaid).
    title : str
    loss_label : str
        Y-axis label of the loss panels, with its unit.
    save : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = _histories(history)
    fig, axes = _figure(4, ncols=2)
    for k, (label, h) in enumerate(runs.items()):
        color = f"C{k % 10}"
        name = label or "training"
        for ax, x in ((axes[0], h["iteration"]), (axes[1], h["cpu_s"])):
            ax.plot(x, _positive(h["train_loss"]), color=color, label=f"{name} (train)")
            val = _positive(h["val_loss"])
            if np.isfinite(val).any():
                ax.plot(x, val, color=color, ls=":", label=f"{name} (validation)")
        for ax, x in ((axes[2], h["iteration"]), (axes[3], h["cpu_s"])):
            ax.plot(x, _positive(h["grad_inf"]), color=color, marker=".", ms=3, lw=0.8,
                    label=name)
    for ax in axes:
        ax.set_yscale("log")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(loss_label)
    axes[1].set_ylabel(loss_label)
    axes[2].set_ylabel("‖∇ of the trained block‖∞ [-]")
    axes[3].set_ylabel("‖∇ of the trained block‖∞ [-]")
    for ax in (axes[0], axes[2]):
        ax.set_xlabel("BCD iteration [-]")
    for ax in (axes[1], axes[3]):
        ax.set_xlabel("cumulative CPU time [s]")
    axes[0].legend(fontsize="small")
    if len(runs) > 1:
        axes[2].legend(fontsize="small")
    return _finish(fig, save, title)


def _selection_matrix(h, n_layers):
    """Boolean (n_layers, n_iterations) image: layer l trained at iteration k."""
    h = h[h["iteration"] > 0]
    first = h["first"].to_numpy(dtype=int)
    last = h["last"].to_numpy(dtype=int)
    layers = np.arange(n_layers)[:, None]
    return (layers >= first[None, :]) & (layers <= last[None, :]), h["iteration"].to_numpy()


def selection_map(history, n_layers=None, title="Layers selected by block coordinate descent",
                  *, ncols: int = 2, save=None):
    """Which layers each BCD iteration trained: a map of iteration × layer (Paper B, Fig. 3).

    Parameters
    ----------
    history : DataFrame or dict of str to DataFrame
        One run, or several by label (one panel each, e.g. the four selection strategies).
    n_layers : int, optional
        Layers of the network (hidden and output); default: the largest ``last`` + 1.
    title : str
    ncols : int, default 2
        Panels per row when there are several runs.
    save : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import ListedColormap

    runs = _histories(history)
    if n_layers is None:
        n_layers = 1 + max(int(h["last"].max()) for h in runs.values() if len(h))
    fig, axes = _figure(len(runs), ncols=min(ncols, len(runs)), panel_size=(5.0, 3.2))
    cmap = ListedColormap(["white", "C0"])
    for ax, (label, h) in zip(axes, runs.items()):
        image, its = _selection_matrix(h, n_layers)
        if its.size:
            ax.imshow(image, aspect="auto", origin="lower", cmap=cmap, vmin=0, vmax=1,
                      interpolation="nearest",
                      extent=(its[0] - 0.5, its[-1] + 0.5, 0.5, n_layers + 0.5))
        ax.set_xlabel("BCD iteration [-]")
        ax.set_ylabel(f"layer trained (1 = first hidden, {n_layers} = output) [-]",
                      fontsize="small")
        ax.set_yticks(_layer_ticks(n_layers))
        if label:
            ax.set_title(label)
    return _finish(fig, save, title)


def _layer_ticks(n_layers):
    if n_layers <= 10:
        return list(range(1, n_layers + 1))
    step = max(1, round(n_layers / 8))
    return sorted(set(list(range(1, n_layers + 1, step)) + [n_layers]))


def boxplots(frame, by, metrics, title="Comparison across splits", *, labels=None,
             ncols: int = 3, save=None):
    """Box plots of metrics across splits: one panel per metric, one box per group.

    Parameters
    ----------
    frame : DataFrame
        One row per (method, split), with the column ``by`` and every column of ``metrics``.
    by : str
        The column naming the method (strategy, activation, optimizer).
    metrics : dict of str to str
        Column -> axis label with unit, e.g. ``{"test_r2": "test R² [-]"}``.
    title : str
    labels : list of str, optional
        Order of the groups; default: order of first appearance.
    ncols : int, default 3
    save : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    missing = [c for c in [by, *metrics] if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the columns {missing}; it has {list(frame.columns)}")
    groups = list(labels) if labels is not None else list(dict.fromkeys(frame[by]))
    fig, axes = _figure(len(metrics), ncols=min(ncols, len(metrics)),
                        panel_size=(max(3.6, 0.9 * len(groups) + 1.2), 3.6))
    for ax, (column, axis_label) in zip(axes, metrics.items()):
        data = [frame.loc[frame[by] == g, column].to_numpy(dtype=float) for g in groups]
        ax.boxplot(data, showmeans=True)
        ax.set_xticks(range(1, len(groups) + 1), groups)
        for i, values in enumerate(data, start=1):
            jitter = np.linspace(-0.08, 0.08, len(values)) if len(values) > 1 else [0.0]
            ax.scatter(i + np.asarray(jitter), values, s=10, c="C1", zorder=3, lw=0)
        ax.set_ylabel(axis_label)
        ax.set_xlabel(by.replace("_", " ") + " [-]")
        ax.tick_params(axis="x", labelrotation=30, labelsize="small")
        ax.grid(True, axis="y", alpha=0.3)
    return _finish(fig, save, title)


def learning_curves(curves, ylabel, title="Learning curves", *, targets=(), log_time=True,
                    ylim=None, save=None):
    """A metric against CPU time, one line per method (a single point: a marker).

    Parameters
    ----------
    curves : dict of str to (array, array)
        Label -> (CPU seconds, metric values), e.g. test R² after each iteration.
    ylabel : str
        Axis label of the metric, with its unit (``"test R² [-]"``).
    title : str
    targets : sequence of float
        Horizontal reference lines (e.g. a paper's figure).
    log_time : bool, default True
        Logarithmic time axis.
    ylim : (float, float), optional
        Range of the metric axis (early points far below it are cut off).
    save : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(curves, dict) or not curves:
        raise TypeError("curves must be a non-empty dict of label -> (seconds, values)")
    fig, (ax,) = _figure(1, panel_size=(6.4, 4.2))
    for k, (label, (t, v)) in enumerate(curves.items()):
        t, v = np.asarray(t, dtype=float), np.asarray(v, dtype=float)
        style = dict(marker="o", ms=6, ls="none") if t.size == 1 else dict(lw=1.5)
        ax.plot(t, v, color=f"C{k % 10}", label=label, **style)
    for target in targets:
        ax.axhline(target, color="0.4", ls="--", lw=1)
        ax.annotate(f"{target:g}", (1.0, target), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize="small", color="0.3")
    if log_time:
        ax.set_xscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("training CPU time [s]")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return _finish(fig, save, title)
