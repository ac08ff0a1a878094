"""rnnlab.data.weather: wind-speed de-cumulation, one-hot wind, year split, forecast windows, baselines."""
import numpy as np
import pandas as pd
import pytest

from rnnlab import weather
from rnnlab.data import load_beijing_weather


def hourly_frame(n, start="2010-12-31 20:00"):
    index = pd.date_range(start, periods=n, freq="h")
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=n), "b": np.arange(n, dtype=float)}, index=index)


def test_hourly_wind_speed_undoes_the_cumulation_and_restarts_on_direction_change():
    cum = [1.0, 3.0, 6.0, 2.0, 2.5, 0.5, 1.5]
    dirs = ["NW", "NW", "NW", "SE", "SE", "SE", "cv"]
    # 2.5 -> 0.5 without a label change is a hidden restart, not a negative speed.
    np.testing.assert_allclose(weather.hourly_wind_speed(cum, dirs), [1.0, 2.0, 3.0, 2.0, 0.5, 0.5, 1.5])


def test_hourly_wind_speed_recumulates_to_iws_on_the_real_data():
    df = load_beijing_weather()
    speed = weather.hourly_wind_speed(df["Iws"], df["cbwd"])
    assert (speed > 0).all()
    run_id = (df["cbwd"] != df["cbwd"].shift()).cumsum()
    rebuilt = pd.Series(speed, index=df.index).groupby(run_id).cumsum()
    np.testing.assert_allclose(rebuilt.to_numpy(), df["Iws"].to_numpy(), atol=1e-9)


def test_hourly_wind_speed_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        weather.hourly_wind_speed([1.0, 2.0], ["NW"])
    with pytest.raises(ValueError, match="non-negative"):
        weather.hourly_wind_speed([1.0, -2.0], ["NW", "NW"])


def test_one_hot_wind_has_one_one_per_row_and_rejects_unknown_labels():
    hot = weather.one_hot_wind(["cv", "NE", "SE", "NW", "cv"])
    assert list(hot.columns) == ["wind_NE", "wind_NW", "wind_SE", "wind_cv"]
    np.testing.assert_array_equal(hot.to_numpy().sum(axis=1), 1.0)
    np.testing.assert_array_equal(hot.to_numpy().argmax(axis=1), [3, 0, 2, 1, 3])
    with pytest.raises(ValueError, match="SW"):
        weather.one_hot_wind(["NE", "SW"])


def test_weather_features_columns_and_index():
    df = load_beijing_weather()
    feats = weather.weather_features(df)
    assert list(feats.columns) == [*weather.CONTINUOUS, "wind_NE", "wind_NW", "wind_SE", "wind_cv"]
    assert feats.index.equals(df.index) and feats.index.freqstr == "h"
    assert feats.dtypes.eq(np.float64).all() and np.isfinite(feats.to_numpy()).all()
    with pytest.raises(ValueError, match="Iws"):
        weather.weather_features(df.drop(columns=["Iws"]))


def test_split_by_year_is_chronological_and_complete():
    frame = hourly_frame(24 * 800, start="2010-01-01")
    train, val, test = weather.split_by_year(frame, [2010], [2011], [2012])
    assert (train.index.year == 2010).all() and (val.index.year == 2011).all()
    assert (test.index.year == 2012).all()
    assert len(train) + len(val) + len(test) == len(frame)
    assert train.index.max() < val.index.min() and val.index.max() < test.index.min()
    with pytest.raises(ValueError, match="chronological"):
        weather.split_by_year(frame, [2011], [2010], [2012])
    with pytest.raises(ValueError, match="test_years"):
        weather.split_by_year(frame, [2010], [2011], [2015])


def test_forecast_windows_shapes_values_and_origins():
    frame = hourly_frame(30)
    X, Y, origins = weather.forecast_windows(frame, frame[["b"]], window=5, horizon=3, step=4)
    M = (30 - 5 - 3) // 4 + 1
    assert X.shape == (5, M, 2) and Y.shape == (M, 3, 1) and len(origins) == M
    for m in range(M):
        t = m * 4 + 4  # row of the last input hour
        assert origins[m] == frame.index[t]
        np.testing.assert_array_equal(X[:, m, 1], np.arange(t - 4, t + 1))
        np.testing.assert_array_equal(Y[m, :, 0], np.arange(t + 1, t + 4))
    with pytest.raises(ValueError, match="same number of rows"):
        weather.forecast_windows(frame, frame[["b"]].iloc[:-1], window=5, horizon=3)


def test_persistence_and_daily_profile_forecasts():
    N, W, K = 2, 48, 3
    history = np.arange(N * W * K, dtype=float).reshape(N, W, K)
    pers = weather.persistence_forecast(history, 5)
    assert pers.shape == (N, 5, K)
    np.testing.assert_array_equal(pers, np.broadcast_to(history[:, -1:, :], (N, 5, K)))
    daily = weather.daily_profile_forecast(history, 72)
    assert daily.shape == (N, 72, K)
    for h in range(1, 73):  # forecast hour t+h copies observed hour t+h-24*ceil(h/24)
        back = 24 * int(np.ceil(h / 24))
        np.testing.assert_array_equal(daily[:, h - 1], history[:, W - 1 + h - back])
    with pytest.raises(ValueError, match="period"):
        weather.daily_profile_forecast(history[:, :10], 24)
