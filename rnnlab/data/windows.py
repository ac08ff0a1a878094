"""Sliding windows over a series, and scalers fitted on the training part only (no look-ahead leak)."""
from __future__ import annotations

import numpy as np


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
