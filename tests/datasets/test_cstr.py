"""The CSTR simulator: closed-form values, the grid, determinism and the noise."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from bcdnet.datasets import Dataset, make_cstr

BOX = {"F": (50.0, 150.0), "V": (50.0, 150.0), "T": (320.0, 380.0), "C_A0": (0.5, 1.5)}


def reference_outputs(F, V, T, C_A0):
    """Steady state written out by hand, per point, from the mole balance F(C_A0 - C_A) = kVC_A."""
    k = 7.2e10 * math.exp(-8750.0 / T)          # 1/min
    residence_time = V / F                      # min
    C_A = C_A0 / (1.0 + k * residence_time)     # mol/L
    C_B = C_A0 - C_A                            # mol/L
    return C_A, F * C_B                         # mol/L, mol/min


def test_default_is_the_ten_thousand_point_grid_with_unit_labelled_columns():
    data = make_cstr()
    assert isinstance(data, Dataset)
    assert data.X.shape == (10_000, 4) and data.y.shape == (10_000, 2)
    assert data.feature_names == ["F [L/min]", "V [L]", "T [K]", "C_A0 [mol/L]"]
    assert data.target_names == ["C_A [mol/L]", "P [mol/min]"]
    for column, (low, high) in zip(data.X.columns, BOX.values()):
        np.testing.assert_allclose(np.unique(data.X[column]), np.linspace(low, high, 10))
    X, Y = data.to_numpy()
    assert X.dtype == Y.dtype == np.float64 and Y.shape == (10_000, 2)


def test_corners_of_the_input_box_match_the_closed_form():
    data = make_cstr()
    X, Y = data.to_numpy()
    for corner in itertools.product((0, 9), repeat=4):
        row = ((corner[0] * 10 + corner[1]) * 10 + corner[2]) * 10 + corner[3]   # 'ij' order
        inputs = [BOX[name][i // 9] for name, i in zip(BOX, corner)]
        np.testing.assert_array_equal(X[row], inputs)
        np.testing.assert_allclose(Y[row], reference_outputs(*inputs), rtol=1e-13)


def test_published_anchor_values():
    # k(350 K) = 0.99993 1/min (docs/design.rst, Data), and the ranges of C_A and P on the grid.
    assert math.isclose(7.2e10 * math.exp(-8750 / 350), 0.99993, rel_tol=1e-5)
    data = make_cstr(n_samples=81)   # 3 per axis: the centre is the benchmark's nominal point
    centre = data.X.to_numpy().tolist().index([100.0, 100.0, 350.0, 1.0])
    C_A, P = data.y.to_numpy()[centre]
    assert C_A == pytest.approx(1 / (1 + 0.99993), rel=1e-5)
    assert P == pytest.approx(100 * (1 - C_A), rel=1e-12)
    Y = make_cstr().y.to_numpy()
    np.testing.assert_allclose(Y.min(axis=0), [0.0221, 2.189], rtol=2e-3)
    np.testing.assert_allclose(Y.max(axis=0), [1.4535, 197.55], rtol=2e-4)


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    first = make_cstr(500, design="random", noise=0.1, seed=7)
    again = make_cstr(500, design="random", noise=0.1, seed=7)
    other = make_cstr(500, design="random", noise=0.1, seed=8)
    np.testing.assert_array_equal(first.X.to_numpy(), again.X.to_numpy())
    np.testing.assert_array_equal(first.y.to_numpy(), again.y.to_numpy())
    assert not np.array_equal(first.X.to_numpy(), other.X.to_numpy())
    np.testing.assert_array_equal(make_cstr(noise=0.05, seed=3).y, make_cstr(noise=0.05, seed=3).y)


def test_noise_has_the_stated_relative_standard_deviation():
    noise = 0.1
    clean = make_cstr(noise=0.0).y.to_numpy()
    noisy = make_cstr(noise=noise, seed=11).y.to_numpy()
    residual = noisy - clean
    expected_sd = noise * clean.std(axis=0)
    n = len(residual)
    # The sample sd of n Gaussian draws has relative sd 1/sqrt(2n) = 0.7 %; allow 5 of them.
    np.testing.assert_allclose(residual.std(axis=0), expected_sd, rtol=5 / math.sqrt(2 * n))
    assert np.all(np.abs(residual.mean(axis=0)) < 5 * expected_sd / math.sqrt(n))
    for j in range(2):
        assert stats.kstest(residual[:, j] / expected_sd[j], "norm").pvalue > 1e-3
    assert abs(np.corrcoef(residual.T)[0, 1]) < 5 / math.sqrt(n)


def test_random_design_fills_the_box_uniformly():
    X = make_cstr(20_000, design="random", seed=1).X.to_numpy()
    for j, (low, high) in enumerate(BOX.values()):
        assert low <= X[:, j].min() and X[:, j].max() <= high
        assert stats.kstest(X[:, j], "uniform", args=(low, high - low)).pvalue > 1e-3


@given(n_samples=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_random_design_obeys_the_mole_balance(n_samples, seed):
    data = make_cstr(n_samples, design="random", seed=seed)
    F, V, T, C_A0 = data.X.to_numpy().T
    C_A, P = data.y.to_numpy().T
    assert data.X.shape == (n_samples, 4)
    assert np.all((0 < C_A) & (C_A < C_A0))
    k = 7.2e10 * np.exp(-8750.0 / T)
    np.testing.assert_allclose(F * (C_A0 - C_A), k * V * C_A, rtol=1e-12)   # in = out + reacted
    np.testing.assert_allclose(P, F * (C_A0 - C_A), rtol=1e-12)


def test_grid_needs_a_fourth_power():
    assert len(make_cstr(16)) == 16 and len(make_cstr(6561)) == 6561
    with pytest.raises(ValueError, match=r"fourth power.*got 5000.*4096 \(m=8\).*6561 \(m=9\)"):
        make_cstr(5000)
    with pytest.raises(ValueError, match="fourth power"):
        make_cstr(1)


def test_description_documents_the_model_and_its_provenance():
    text = make_cstr(noise=0.1).description
    for phrase in ("7.2e10", "8750 K", "F [L/min]", "50 ... 150", "320 ... 380", "reconstruction",
                   "10 linearly spaced", "standard deviation"):
        assert phrase in text


@pytest.mark.parametrize("kwargs, error, message", [
    ({"design": "sobol"}, ValueError, "valid names are 'grid', 'random'"),
    ({"noise": -0.1}, ValueError, "noise must be non-negative"),
    ({"noise": 1e308}, ValueError, "noise must keep the noisy targets finite.*got noise = 1e"),
    ({"n_samples": 10.5}, TypeError, "n_samples must be an integer"),
    ({"n_samples": 0, "design": "random"}, ValueError, "n_samples must be at least 1"),
    ({"seed": -1}, ValueError, "seed must be non-negative"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_cstr(**kwargs)
