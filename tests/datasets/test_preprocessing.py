"""The Standardizer: training-rows-only statistics, exact round trips, kinds of input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bcdnet.datasets import Standardizer, make_cstr, train_test_split


def test_statistics_come_from_the_training_rows_only():
    # Training and test rows are drawn around different centres, so the full-data mean
    # differs from the training mean: fitting on all rows would be caught here.
    rng = np.random.default_rng(0)
    train = rng.normal([0.0, 10.0], [1.0, 2.0], size=(200, 2))
    test = rng.normal([5.0, -10.0], [1.0, 2.0], size=(50, 2))
    scaler = Standardizer().fit(train)
    np.testing.assert_array_equal(scaler.mean_, train.mean(axis=0))
    np.testing.assert_array_equal(scaler.scale_, train.std(axis=0))
    full_mean = np.vstack([train, test]).mean(axis=0)
    assert np.all(np.abs(scaler.mean_ - full_mean) > 0.5)
    z_train, z_test = scaler.transform(train), scaler.transform(test)
    np.testing.assert_allclose(z_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z_train.std(axis=0), 1, rtol=1e-12)
    assert np.all(np.abs(z_test.mean(axis=0)) > 2)       # the test rows stay off-centre


def test_fit_on_a_split_of_the_cstr_data():
    train, test = train_test_split(make_cstr(), test_size=0.25, seed=1)
    scaler = Standardizer().fit(train.y)
    np.testing.assert_allclose(scaler.mean_, train.y.to_numpy().mean(axis=0), rtol=1e-13)  # summation order differs
    back = scaler.inverse_transform(scaler.transform(test.y))
    np.testing.assert_allclose(back.to_numpy(), test.y.to_numpy(), rtol=1e-12, atol=1e-12)


@given(arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 5)),
              elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)))
def test_inverse_transform_round_trips_to_1e_12(X):
    scaler = Standardizer().fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    np.testing.assert_allclose(back, X, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(X).max()))
    assert np.isfinite(scaler.transform(X)).all()


def test_constant_columns_are_centred_not_divided_by_zero():
    X = np.column_stack([np.full(5, 0.1), np.arange(5.0), np.zeros(5)])
    scaler = Standardizer().fit(X)
    np.testing.assert_array_equal(scaler.scale_[[0, 2]], [1.0, 1.0])
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z[:, [0, 2]], 0, atol=1e-15)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-12, atol=1e-15)


def test_values_near_1e308_are_standardised_or_refused():
    """No overflow where the result fits (x - mean_ and z * scale_ alone would overflow
    here); a ValueError naming the argument where it does not."""
    scaler = Standardizer().fit(np.array([[1.6e308, 1e308], [0.0, 1e308]]))
    np.testing.assert_allclose(scaler.mean_, [0.8e308, 1e308], rtol=1e-15)
    np.testing.assert_allclose(scaler.scale_, [0.8e308, 1.0], rtol=1e-15)
    np.testing.assert_allclose(scaler.transform(np.array([[-1.6e308, 1e308]])), [[-3.0, 0.0]],
                               rtol=1e-15)
    np.testing.assert_allclose(scaler.inverse_transform(np.array([[-2.5, 0.0]])),
                               [[-1.2e308, 1e308]], rtol=1e-15)
    with pytest.raises(ValueError, match=r"X must keep \(X - mean_\) / scale_ finite"):
        scaler.transform(np.array([[0.0, -1e308]]))
    with pytest.raises(ValueError, match=r"Z must keep Z \* scale_ \+ mean_ finite"):
        scaler.inverse_transform(np.array([[3.0, 0.0]]))


def test_returns_the_kind_it_was_given():
    frame = pd.DataFrame({"a [m]": [1.0, 2.0, 4.0], "b [s]": [0.0, 1.0, 0.0]}, index=[7, 8, 9])
    scaler = Standardizer()
    Z = scaler.fit_transform(frame)
    assert isinstance(Z, pd.DataFrame) and list(Z.columns) == list(frame.columns)
    assert list(Z.index) == [7, 8, 9]
    pd.testing.assert_frame_equal(scaler.inverse_transform(Z), frame)
    assert isinstance(scaler.transform(frame.to_numpy()), np.ndarray)
    vector = np.array([1.0, 2.0, 3.0])
    z = Standardizer().fit(vector).transform(vector)
    assert z.shape == (3,)
    series = pd.Series(vector, name="y [kg]")
    z = Standardizer().fit(series).transform(series)
    assert isinstance(z, pd.Series) and z.name == "y [kg]"


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="not fitted yet"):
        Standardizer().transform(np.ones((2, 2)))
    scaler = Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]}))
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['c'\]"):
        scaler.transform(pd.DataFrame({"a": [1.0], "c": [2.0]}))
    with pytest.raises(ValueError, match="X must have 2 columns, got 3"):
        scaler.transform(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X must be finite"):
        Standardizer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        Standardizer().fit(np.array([["a"], ["b"]]))


def test_repr():
    assert repr(Standardizer()) == "Standardizer(unfitted)"
    assert repr(Standardizer().fit(np.ones((3, 2)))) == "Standardizer(n_features_in_=2)"
