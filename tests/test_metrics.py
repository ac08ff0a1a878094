"""Forecast metrics: RMSE, MAE, MAPE (percent)."""
import numpy as np
import pandas as pd
import pytest

from rnnlab.training.metrics import angle_error, angle_mse, mae, mape, rmse, split_by_time


def test_values_on_a_small_example():
    y_true = np.array([100.0, 200.0, 400.0, 50.0])
    y_pred = np.array([110.0, 180.0, 400.0, 45.0])
    # errors 10, -20, 0, -5
    assert rmse(y_true, y_pred) == pytest.approx(np.sqrt((100 + 400 + 0 + 25) / 4))
    assert mae(y_true, y_pred) == pytest.approx(35 / 4)
    assert mape(y_true, y_pred) == pytest.approx(100 * (0.1 + 0.1 + 0 + 0.1) / 4)


def test_perfect_forecast_and_types():
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    for metric in (rmse, mae, mape):
        value = metric(y, y)
        assert isinstance(value, float) and value == 0.0


def test_accepts_pandas_and_lists_and_ints():
    s = pd.Series([100, 120, 150])
    assert rmse(s, [100, 120, 160]) == pytest.approx(np.sqrt(100 / 3))
    assert mape(s, s * 1.1) == pytest.approx(10.0)


def test_mape_is_scale_free_and_rmse_is_not():
    rng = np.random.default_rng(0)
    y, p = rng.uniform(1, 2, 20), rng.uniform(1, 2, 20)
    assert mape(10 * y, 10 * p) == pytest.approx(mape(y, p))
    assert rmse(10 * y, 10 * p) == pytest.approx(10 * rmse(y, p))
    assert mae(y, p) <= rmse(y, p)


@pytest.mark.parametrize("metric", [rmse, mae, mape])
def test_shape_mismatch_names_both_shapes(metric):
    with pytest.raises(ValueError, match=r"y_true \(4,\) and y_pred \(4, 1\)"):
        metric(np.ones(4), np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"empty; got shape \(0,\)"):
        metric(np.ones(0), np.ones(0))


def test_mape_rejects_zero_truth():
    with pytest.raises(ValueError, match=r"y_true contains zeros; y_true \(shape \(3,\)\) has 1 zero"):
        mape(np.array([1.0, 0.0, 2.0]), np.ones(3))


def test_split_by_time_on_months():
    months = pd.date_range("1950-01-01", "1960-12-01", freq="MS")
    train, val, test = split_by_time(months, ("1957-01", "1959-01"))
    assert months[train[-1]] == pd.Timestamp("1956-12-01")
    assert months[val[0]] == pd.Timestamp("1957-01-01") and months[val[-1]] == pd.Timestamp("1958-12-01")
    assert months[test[0]] == pd.Timestamp("1959-01-01") and months[test[-1]] == pd.Timestamp("1960-12-01")
    assert (len(train), len(val), len(test)) == (84, 24, 24)
    np.testing.assert_array_equal(np.concatenate([train, val, test]), np.arange(len(months)))


def test_split_by_time_on_numbers():
    a, b = split_by_time([1, 2, 3, 5, 8], [4])
    np.testing.assert_array_equal(a, [0, 1, 2])
    np.testing.assert_array_equal(b, [3, 4])


def test_split_by_time_errors():
    months = pd.date_range("1950-01-01", periods=24, freq="MS")
    with pytest.raises(ValueError, match=r"period 2 \(from 1952-01-01 00:00:00 to end\) holds no sample"):
        split_by_time(months, ("1951-01", "1952-01"))
    with pytest.raises(ValueError, match="increasing order"):
        split_by_time(months[::-1], ("1951-01",))
    with pytest.raises(ValueError, match="strictly increasing"):
        split_by_time(months, ("1951-06", "1951-01"))


def test_angle_error_wraps_around_the_circle():
    np.testing.assert_allclose(angle_error([359.0, 1.0, 90.0, 0.0], [1.0, 359.0, 270.0, 720.0]), [2.0, -2.0, -180.0, 0.0])
    assert angle_mse([359.0], [1.0]) == 4.0
    assert rmse([359.0], [1.0]) ** 2 == 358.0**2  # what a plain regression of the number counts
    np.testing.assert_allclose(angle_error([3.0], [-3.0], period=2 * np.pi), [2 * np.pi - 6.0])
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 360, 1000), rng.uniform(0, 360, 1000)
    assert np.all(np.abs(angle_error(a, b)) <= 180.0)


def test_angle_error_refuses_bad_input():
    with pytest.raises(ValueError, match="period"):
        angle_error([1.0], [2.0], period=0)
    with pytest.raises(ValueError, match="same shape"):
        angle_mse([1.0, 2.0], [1.0])
