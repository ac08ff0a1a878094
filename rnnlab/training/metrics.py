"""Forecast error metrics (RMSE, MAE, MAPE in percent, the error of an angle) and a chronological split.

Each metric takes ``y_true`` and ``y_pred`` of the same shape (NumPy or CuPy arrays,
pandas Series or plain lists) and returns one Python float over all elements.
Shapes must match exactly: broadcasting a (N,) forecast against (N, 1) truth
would silently average an N x N table of errors, so it is refused.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..backend import to_numpy


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    true = np.asarray(to_numpy(y_true), dtype=np.float64)
    pred = np.asarray(to_numpy(y_pred), dtype=np.float64)
    if true.shape != pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got y_true {true.shape} and y_pred {pred.shape}"
        )
    if true.size == 0:
        raise ValueError(f"y_true and y_pred must not be empty; got shape {true.shape}")
    return true, pred


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, in the units of the data."""
    true, pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((pred - true) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error, in the units of the data."""
    true, pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(pred - true)))


def mape(y_true, y_pred) -> float:
    """Mean absolute percentage error, in percent: 100 * mean(|pred - true| / |true|).

    Undefined where the truth is zero, so any zero in ``y_true`` raises a ValueError.
    """
    true, pred = _pair(y_true, y_pred)
    if np.any(true == 0):
        raise ValueError(
            f"mape is undefined when y_true contains zeros; y_true (shape {true.shape}) "
            f"has {int(np.sum(true == 0))} zero(s)"
        )
    return float(100.0 * np.mean(np.abs(pred - true) / np.abs(true)))


def angle_error(y_true, y_pred, period: float = 360.0) -> np.ndarray:
    """The error of angles on the circle: pred - true wrapped into [-period/2, period/2), elementwise.

    Degrees by default: a forecast of 1 for a true 359 is 2 degrees off, not -358. The plain difference of
    two angles, as a regression on the raw numbers sees it, counts the way round the back of the circle.
    """
    if not period > 0:
        raise ValueError(f"period must be positive; got period={period!r}")
    true, pred = _pair(y_true, y_pred)
    return (pred - true + period / 2) % period - period / 2


def angle_mse(y_true, y_pred, period: float = 360.0) -> float:
    """Mean squared :func:`angle_error` (degrees squared by default): at most (period/2)**2 per angle."""
    return float(np.mean(angle_error(y_true, y_pred, period) ** 2))


def split_by_time(times, boundaries) -> tuple[np.ndarray, ...]:
    """Chronological split: the positions of the samples that fall in each period.

    times: one time per sample, increasing (a DatetimeIndex, datetime64 values, strings pandas
        can parse, or plain numbers), e.g. the month of each window's first target, so a window
        belongs to the period its target falls in while its inputs may reach back before it.
    boundaries: increasing starts of the second, third, ... periods, e.g. ("1957-01", "1959-01")
        for train < 1957 <= validation < 1959 <= test.
    Returns len(boundaries) + 1 integer arrays of positions into ``times``; together they cover
    every sample once, in order. An empty period is almost always a wrong boundary, so it raises.
    """
    index = pd.Index(times)
    if isinstance(index, pd.DatetimeIndex) or index.dtype == object:
        index = pd.DatetimeIndex(index)
        edges = pd.DatetimeIndex([pd.Timestamp(b) for b in boundaries])
    else:
        edges = pd.Index(boundaries)
    if index.ndim != 1 or len(index) == 0:
        raise ValueError(f"times must be a non-empty 1-D sequence; got {len(index)} values")
    if not index.is_monotonic_increasing:
        raise ValueError("times must be in increasing order (a chronological split needs sorted times)")
    if len(edges) == 0 or not edges.is_monotonic_increasing or not edges.is_unique:
        raise ValueError(f"boundaries must be one or more strictly increasing times; got {list(boundaries)}")
    cuts = np.searchsorted(index.to_numpy(), edges.to_numpy(), side="left")
    bounds = [0, *cuts.tolist(), len(index)]
    parts = tuple(np.arange(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:]))
    for k, part in enumerate(parts):
        if len(part) == 0:
            lo = "start" if k == 0 else str(edges[k - 1])
            hi = "end" if k == len(edges) else str(edges[k])
            raise ValueError(
                f"period {k} (from {lo} to {hi}) holds no sample; times run from {index[0]} to {index[-1]}"
            )
    return parts
