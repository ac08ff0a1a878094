"""Feature preparation and naive baselines for multi-step forecasting of the hourly Beijing weather.

The shipped data (``rnnlab.data.load_beijing_weather``) has TEMP, DEWP, PRES, a wind
direction ``cbwd`` with four classes (NE, NW, SE and "cv" = calm or variable) and
``Iws``, a *cumulated* wind speed: within a run of hours with the same direction it
adds the hour's wind speed to the previous value, and it starts again from that
hour's speed whenever the direction changes. This module turns those columns into
model features, splits the hours by calendar year, cuts forecast windows and
computes the two naive baselines (persistence and the daily profile).

Shapes follow the rest of ``rnnlab``: model inputs are time-major ``(window, N, D)``;
targets and forecasts are ``(N, horizon, K)`` for N forecast origins and K variables.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .windows import make_windows

WIND_CLASSES = ("NE", "NW", "SE", "cv")
"""The four classes of ``cbwd``, in the column order of :func:`one_hot_wind`."""

CONTINUOUS = ("TEMP", "DEWP", "PRES", "WSPD")
"""The continuous variables :func:`weather_features` returns first (WSPD = hourly wind speed)."""


def hourly_wind_speed(cumulated, direction) -> np.ndarray:
    """Undo the cumulation of ``Iws``: the wind speed of each hour, in the units of ``Iws``.

    Inputs:
        cumulated: (N,) cumulated wind speed (``Iws``), non-negative
        direction: (N,) wind-direction labels (``cbwd``), aligned with ``cumulated``
    Returns:
        (N,) float64: ``cumulated[t] - cumulated[t-1]`` while the direction stays the same,
        ``cumulated[t]`` itself where a new run starts (direction changed, or the first hour).

    A drop of the cumulated value without a change of direction can only be a restart
    the labels do not show (e.g. a gap in the record), so it is also treated as a new run
    rather than producing a negative speed.
    """
    cum = np.asarray(cumulated, dtype=np.float64)
    dirs = np.asarray(direction)
    if cum.ndim != 1 or dirs.shape != cum.shape:
        raise ValueError(
            f"cumulated and direction must be 1-D of the same length; got cumulated {cum.shape}, "
            f"direction {dirs.shape}"
        )
    if not np.isfinite(cum).all() or (cum < 0).any():
        raise ValueError(f"cumulated (shape {cum.shape}) must be finite and non-negative")
    speed = cum.copy()
    if len(cum) > 1:
        step = np.diff(cum)
        same_run = (dirs[1:] == dirs[:-1]) & (step >= 0)
        speed[1:] = np.where(same_run, step, cum[1:])
    return speed


def one_hot_wind(direction, classes=WIND_CLASSES) -> pd.DataFrame:
    """One column of 0.0/1.0 per wind-direction class, named ``wind_<class>``.

    A label outside ``classes`` raises a ValueError instead of becoming an all-zero row.
    """
    labels = pd.Series(direction)
    unknown = sorted(set(labels.unique()) - set(classes))
    if unknown:
        raise ValueError(f"direction has labels {unknown} outside classes {list(classes)}")
    data = {f"wind_{c}": (labels == c).to_numpy(dtype=np.float64) for c in classes}
    return pd.DataFrame(data, index=labels.index)


def weather_features(df: pd.DataFrame) -> pd.DataFrame:
    """The model's hourly features from ``load_beijing_weather()``: TEMP, DEWP, PRES, WSPD, one-hot wind.

    Returns a float64 DataFrame on the same hourly DatetimeIndex with the columns
    ``CONTINUOUS`` (TEMP, DEWP, PRES and WSPD = :func:`hourly_wind_speed` of Iws)
    followed by ``wind_NE, wind_NW, wind_SE, wind_cv``. PM2.5 and the snow/rain
    hours are not weather-forecast variables here and are dropped.
    """
    needed = ["TEMP", "DEWP", "PRES", "Iws", "cbwd"]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"df is missing columns {missing}; it needs {needed}")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise ValueError(f"df must have a DatetimeIndex; got {type(df.index).__name__}")
    out = df[["TEMP", "DEWP", "PRES"]].astype(np.float64)
    out["WSPD"] = hourly_wind_speed(df["Iws"].to_numpy(), df["cbwd"].to_numpy())
    wind = one_hot_wind(df["cbwd"].to_numpy(), WIND_CLASSES)
    wind.index = df.index
    return pd.concat([out, wind], axis=1)


def split_by_year(frame: pd.DataFrame, train_years, val_years, test_years):
    """Chronological split of an hourly frame by calendar year: (train, validation, test) frames.

    Each ``*_years`` is an iterable of years; the three sets must not overlap and every
    training year must come before every validation year, which come before every
    test year, so no future hour leaks into fitting.
    """
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError(f"frame must have a DatetimeIndex; got {type(frame.index).__name__}")
    groups = [sorted(int(y) for y in ys) for ys in (train_years, val_years, test_years)]
    for name, ys in zip(("train_years", "val_years", "test_years"), groups):
        if not ys:
            raise ValueError(f"{name} must name at least one year")
    if not (groups[0][-1] < groups[1][0] and groups[1][-1] < groups[2][0]):
        raise ValueError(
            f"years must be chronological and disjoint (train < validation < test); got {groups}"
        )
    parts = []
    for name, ys in zip(("train_years", "val_years", "test_years"), groups):
        part = frame[frame.index.year.isin(ys)]
        if len(part) == 0:
            raise ValueError(f"{name} {ys} select no rows of frame (years present: "
                             f"{sorted(set(frame.index.year))})")
        parts.append(part)
    return tuple(parts)


def forecast_windows(inputs, targets, window: int, horizon: int, step: int = 1):
    """Forecast windows inside one contiguous split: time-major inputs and the next ``horizon`` targets.

    Inputs:
        inputs: (N, D) array or DataFrame of (scaled) input features
        targets: (N, K) array or DataFrame of (scaled) target variables, aligned with inputs
        window, horizon: hours of input, hours to forecast; step: hours between window starts
    Returns:
        X: (window, M, D) time-major inputs, the hours t-window+1 .. t of each origin t
        Y: (M, horizon, K) the hours t+1 .. t+horizon
        origins: if ``inputs`` has an index, the (M,) index labels of the last input hour t,
                 else the (M,) row positions of t
    """
    x = np.asarray(inputs, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y):
        raise ValueError(
            f"inputs and targets must be 2-D with the same number of rows; got inputs {x.shape}, "
            f"targets {y.shape}"
        )
    X, Y = make_windows(x, window, horizon, targets=y, step=step)
    last_rows = np.arange(len(X)) * step + window - 1
    origins = inputs.index[last_rows] if hasattr(inputs, "index") else last_rows
    return np.ascontiguousarray(X.transpose(1, 0, 2)), Y, origins


def persistence_forecast(history, horizon: int) -> np.ndarray:
    """Repeat the last observed hour: history (N, W, K) -> forecast (N, horizon, K)."""
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 3 or h.shape[1] < 1:
        raise ValueError(f"history must be (N, W, K) with W >= 1; got shape {h.shape}")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1; got {horizon}")
    return np.repeat(h[:, -1:, :], horizon, axis=1)


def daily_profile_forecast(history, horizon: int, period: int = 24) -> np.ndarray:
    """Same hour yesterday: forecast hour t+h is the observed hour t+h-period*ceil(h/period).

    history (N, W, K) with W >= period -> forecast (N, horizon, K): the last observed
    ``period`` hours repeated, so every forecast hour copies the latest observed hour
    of the same time of day.
    """
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 3 or h.shape[1] < period:
        raise ValueError(f"history must be (N, W, K) with W >= period={period}; got shape {h.shape}")
    if horizon < 1 or period < 1:
        raise ValueError(f"horizon and period must be >= 1; got horizon={horizon}, period={period}")
    last_day = h[:, -period:, :]
    return last_day[:, np.arange(horizon) % period, :]
