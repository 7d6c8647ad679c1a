"""bcdnet.plotting: every figure has a title and labelled axes with units, saves atomically,
and needs no GUI backend (pyplot is never imported)."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import bcdnet as bn
from bcdnet import plotting

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def histories():
    """Two short real runs on a small problem: BCD (most sensitive) and end to end."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    Y = np.column_stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
    out = {}
    for selector in ("most_sensitive", "all"):
        net = bn.Network.mlp([3, 5, 5, 2], seed=0)
        result = bn.Trainer("lbfgs", selector, max_iter=6, inner_max_iter=4, tol=0,
                            progress=False).fit(net, X[:90], Y[:90], validation=(X[90:], Y[90:]))
        out[selector] = result.history
    return out


def _labels(fig):
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert fig._suptitle is not None and fig._suptitle.get_text().strip()
    for ax in axes:
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            assert "[" in label and label.endswith("]"), f"no unit in {label!r}"
    return axes


def _saved(path):
    assert path.read_bytes()[:8] == PNG
    assert not list(path.parent.glob(".*.tmp")), "temporary file left behind"


def test_parity_one_panel_per_output_with_units(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.normal(size=(50, 2))
    fig = plotting.parity(y, y + 0.1, ["C_A [mol/L]", "P [mol/min]"], "Parity",
                          y_train=y, y_train_pred=y, save=tmp_path / "p.png")
    assert isinstance(fig, Figure)
    axes = _labels(fig)
    assert len(axes) == 2
    assert axes[1].get_xlabel() == "predicted P [mol/min]"
    assert axes[1].get_ylabel() == "actual P [mol/min]"
    _saved(tmp_path / "p.png")


def test_parity_default_names_and_1d_input():
    fig = plotting.parity(np.arange(5.0), np.arange(5.0))
    assert _labels(fig)[0].get_xlabel() == "predicted y [-]"


@pytest.mark.parametrize("kwargs, match", [
    ({"y_true": np.zeros((4, 2)), "y_pred": np.zeros((4, 1))}, "same shape"),
    ({"y_true": np.zeros((4, 2)), "y_pred": np.zeros((4, 2)), "target_names": ["a [-]"]},
     "name 2 outputs"),
    ({"y_true": np.zeros((0,)), "y_pred": np.zeros((0,))}, "non-empty"),
])
def test_parity_and_residuals_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.parity(**kwargs)
    with pytest.raises(ValueError, match=match):
        plotting.residuals(**kwargs)


def test_residuals_are_actual_minus_predicted(tmp_path):
    fig = plotting.residuals([1.0, 2.0, 3.0], [0.5, 2.0, 4.0], ["PE [MW]"], "Residuals",
                             save=tmp_path / "r.png")
    (ax,) = _labels(fig)
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_array_equal(offsets[:, 1], [0.5, 0.0, -1.0])
    assert ax.get_ylabel() == "residual PE [MW]"
    _saved(tmp_path / "r.png")


def test_convergence_four_log_panels_one_line_per_run(histories, tmp_path):
    fig = plotting.convergence(histories, "Convergence", save=tmp_path / "c.png")
    axes = _labels(fig)
    assert len(axes) == 4
    assert all(ax.get_yscale() == "log" for ax in axes)
    assert axes[1].get_xlabel() == "cumulative CPU time [s]"
    # train + validation per run in the loss panels, one line per run for the gradient
    assert len(axes[0].lines) == 4 and len(axes[2].lines) == 2
    _saved(tmp_path / "c.png")


def test_convergence_of_one_history_without_validation(histories):
    h = histories["all"].assign(val_loss=np.nan)
    fig = plotting.convergence(h)
    assert len(fig.axes[0].lines) == 1


def test_convergence_rejects_non_frames():
    with pytest.raises(TypeError, match="history"):
        plotting.convergence({"a": [1, 2, 3]})
    with pytest.raises(TypeError, match="history"):
        plotting.convergence({})


def test_selection_map_marks_exactly_the_trained_layers(tmp_path):
    h = pd.DataFrame({"iteration": [0, 1, 2, 3, 4], "first": [0, 2, 0, 1, 0],
                      "last": [2, 2, 0, 1, 2]})
    fig = plotting.selection_map({"run": h}, save=tmp_path / "s.png")
    (ax,) = _labels(fig)
    image = np.asarray(ax.images[0].get_array())
    expected = np.array([[0, 1, 0, 1],      # layer 1: iterations 2 and 4
                         [0, 0, 1, 1],      # layer 2: iterations 3 and 4
                         [1, 0, 0, 1]])     # layer 3 (output): iterations 1 and 4
    np.testing.assert_array_equal(image, expected)
    assert ax.get_title() == "run"
    _saved(tmp_path / "s.png")


def test_selection_map_one_panel_per_strategy(histories):
    fig = plotting.selection_map(histories, 3)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2


def test_boxplots_one_panel_per_metric_one_box_per_group(tmp_path):
    frame = pd.DataFrame({"strategy": ["a", "b", "c"] * 4,
                          "test_r2": np.linspace(0.9, 0.95, 12),
                          "test_mse": np.linspace(20, 25, 12)})
    fig = plotting.boxplots(frame, "strategy", {"test_r2": "test R² [-]",
                                                 "test_mse": "test MSE [MW²]"},
                            labels=["c", "a", "b"], save=tmp_path / "b.png")
    axes = _labels(fig)
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["c", "a", "b"]
    _saved(tmp_path / "b.png")
    with pytest.raises(ValueError, match="lacks the columns"):
        plotting.boxplots(frame, "method", {"test_r2": "R² [-]"})


def test_learning_curves_lines_points_and_targets(tmp_path):
    fig = plotting.learning_curves({"ours": ([0.1, 0.2, 0.4], [0.90, 0.93, 0.94]),
                                    "peer": ([0.3], [0.935])}, "test R² [-]", "Curves",
                                   targets=(0.931,), ylim=(0.9, 1.0), save=tmp_path / "l.png")
    (ax,) = _labels(fig)
    assert ax.get_xscale() == "log" and ax.get_ylim() == (0.9, 1.0)
    _saved(tmp_path / "l.png")


def test_save_is_atomic(tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")
    fig = plotting.parity([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        plotting.save_figure(fig, tmp_path / "keep.notaformat")
    plotting.save_figure(fig, target)
    _saved(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]


def test_no_pyplot_and_no_display_needed(tmp_path):
    code = ("import os, sys; os.environ.pop('DISPLAY', None); "
            "os.environ['MPLBACKEND'] = 'TkAgg'; "
            "from bcdnet import plotting; "
            f"plotting.parity([1.0, 2.0], [1.5, 2.5], save=r'{tmp_path / 'x.png'}'); "
            "print('matplotlib.pyplot' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
    _saved(tmp_path / "x.png")


def test_name_prefix_becomes_the_panel_title():
    y = np.arange(6.0).reshape(3, 2)
    fig = plotting.parity(y, y, ["tanh: PE [MW]", "relu: PE [MW]"])
    axes = _labels(fig)
    assert [ax.get_title() for ax in axes] == ["tanh", "relu"]
    assert axes[0].get_xlabel() == "predicted PE [MW]"
    fig = plotting.residuals(y, y, ["tanh: PE [MW]", "relu: PE [MW]"])
    assert fig.axes[1].get_title().startswith("relu: mean 0")
