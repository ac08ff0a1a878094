"""The course's shipped data sets, sliding windows and scalers fitted on training data only.

Nothing here downloads: every loader reads a file from the repository's ``data/``
folder and checks its sha256 first, so a student never trains on a silently changed file.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

# sha256 of each shipped file, as recorded in data/README.md.
SHA256 = {
    "airline-passengers.csv": "d27dd74f3654ab4c688afccf2348870410902f480cea900d872be2ae33184411",
    "timemachine.txt": "113346b53bc70fe425781a6e587385c2fc139d7ed516f9b4c7f1db8192433213",
    "beijing-pm25-weather-2010-2014.csv": "77b185392c567d67bf0ddaa27cf57f6f1198e463a665d86360f3910c313719bd",
}


class DataFileError(OSError):
    """A shipped data file is missing or does not match its recorded sha256."""


def data_dir() -> Path:
    """The folder the loaders read: $RNNLAB_DATA_DIR if set, else the repository's ``data/``."""
    env = os.environ.get("RNNLAB_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_path(name: str, directory=None) -> Path:
    """Path of a shipped data file after checking that it exists and matches its sha256."""
    if name not in SHA256:
        raise ValueError(f"unknown data file {name!r}; known: {sorted(SHA256)}")
    path = Path(directory) if directory is not None else data_dir()
    path = path / name
    fix = (
        "Restore it from the course repository (git checkout -- data/"
        f"{name}, or clone the repository again); see data/README.md for its source."
    )
    if not path.is_file():
        raise DataFileError(f"data file {name} not found at {path}. {fix}")
    digest = sha256_of(path)
    if digest != SHA256[name]:
        raise DataFileError(
            f"data file {path} has sha256 {digest}, expected {SHA256[name]}: it is damaged or "
            f"a different version. {fix}"
        )
    return path


def load_airline_passengers(directory=None) -> pd.Series:
    """Monthly international airline passengers in thousands, 1949-01 to 1960-12 (144 values).

    A Series named "passengers" with a monthly (month-start) DatetimeIndex.
    """
    df = pd.read_csv(data_path("airline-passengers.csv", directory))
    index = pd.DatetimeIndex(pd.to_datetime(df["month"], format="%Y-%m"), freq="MS", name="month")
    return pd.Series(df["passengers"].to_numpy(dtype=np.int64), index=index, name="passengers")


def load_time_machine(directory=None) -> str:
    """H. G. Wells, The Time Machine, the text body (no Project Gutenberg header)."""
    return data_path("timemachine.txt", directory).read_text(encoding="utf-8")


def load_beijing_weather(directory=None) -> pd.DataFrame:
    """Hourly Beijing weather and PM2.5, 2010-01-01 00:00 to 2014-12-31 23:00 (43,824 rows).

    Columns: pm2.5 (ug/m3; NaN in the 2,067 hours the source has no reading, left
    missing on purpose so that no imputation is hidden in the loader), DEWP (dew
    point, degC), TEMP (degC), PRES (hPa), cbwd (combined wind direction: NE, NW,
    SE or "cv" for calm and variable), Iws (cumulated wind speed, m/s), Is and Ir
    (cumulated hours of snow and of rain). The index is an hourly DatetimeIndex.
    """
    df = pd.read_csv(data_path("beijing-pm25-weather-2010-2014.csv", directory))
    index = pd.to_datetime(df[["year", "month", "day", "hour"]])
    df = df.drop(columns=["No", "year", "month", "day", "hour"])
    df.index = pd.DatetimeIndex(index, freq="h", name="time")
    return df


def make_windows(values, window: int, horizon: int, targets=None, step: int = 1):
    """Supervised windows from a series: inputs of ``window`` steps, the next ``horizon`` targets.

    values: (N,) or (N, F) array; targets: array aligned with values ((N,) or (N, K)), default values.
    Returns X of shape (M, window, *F) and Y of shape (M, horizon, *K), where window m
    starts at row m*step and M = (N - window - horizon) // step + 1.
    """
    values = np.asarray(values)
    targets = values if targets is None else np.asarray(targets)
    if window < 1 or horizon < 1 or step < 1:
        raise ValueError(f"window, horizon and step must be >= 1; got {window}, {horizon}, {step}")
    if values.ndim not in (1, 2) or targets.ndim not in (1, 2):
        raise ValueError(
            f"values and targets must be 1-D or 2-D; got values {values.shape}, targets {targets.shape}"
        )
    if len(targets) != len(values):
        raise ValueError(
            f"targets must have one row per value; got values {values.shape}, targets {targets.shape}"
        )
    n = len(values)
    if n < window + horizon:
        raise ValueError(
            f"values of length {n} are too short for window={window} plus horizon={horizon}"
        )
    starts = np.arange(0, n - window - horizon + 1, step)
    X = values[starts[:, None] + np.arange(window)]
    Y = targets[starts[:, None] + window + np.arange(horizon)]
    return X, Y


class _Scaler:
    """Column-wise affine scaler x -> (x - shift) / scale, fitted on training data only."""

    shift = scale = None

    def _params(self, x):
        raise NotImplementedError

    def fit(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim not in (1, 2) or len(x) == 0:
            raise ValueError(f"fit needs a non-empty 1-D or 2-D array; got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"fit data contains NaN or inf (shape {x.shape}); clean it first")
        self.shift, scale = self._params(x)
        # A constant column would divide by zero; it is left unscaled instead.
        self.scale = np.where(scale > 0, scale, 1.0)
        self.ndim = x.ndim
        return self

    def _check(self, x):
        if self.shift is None:
            raise ValueError(f"{type(self).__name__} is not fitted: call fit(train) first")
        x = np.asarray(x, dtype=np.float64)
        n_cols = np.shape(self.shift)[0] if np.ndim(self.shift) else None
        if n_cols is not None and (x.ndim == 0 or x.shape[-1] != n_cols):
            got = x.shape[-1] if x.ndim else 0
            raise ValueError(
                f"x has {got} columns (shape {x.shape}) but the scaler was fitted on {n_cols}"
            )
        return x

    def transform(self, x):
        return (self._check(x) - self.shift) / self.scale

    def inverse_transform(self, x):
        return self._check(x) * self.scale + self.shift

    def fit_transform(self, x):
        return self.fit(x).transform(x)


class MinMaxScaler(_Scaler):
    """Maps the training range of each column onto ``feature_range`` (default [0, 1])."""

    def __init__(self, feature_range=(0.0, 1.0)):
        lo, hi = feature_range
        if not hi > lo:
            raise ValueError(f"feature_range must be (low, high) with high > low; got {feature_range}")
        self.feature_range = (float(lo), float(hi))

    def _params(self, x):
        lo, hi = self.feature_range
        x_min, x_max = x.min(axis=0), x.max(axis=0)
        scale = (x_max - x_min) / (hi - lo)
        return x_min - lo * np.where(scale > 0, scale, 1.0), scale


class StandardScaler(_Scaler):
    """Zero mean and unit standard deviation per column, from the training data."""

    def _params(self, x):
        return x.mean(axis=0), x.std(axis=0)
