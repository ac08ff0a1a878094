"""Notebook 06's exercises: leak-free sliding windows and a scaler fitted on the training months only.

References: ``rnnlab.data.windows.make_windows`` and ``rnnlab.data.windows.MinMaxScaler``.
"""
from __future__ import annotations

import numpy as np

from ..data.windows import MinMaxScaler, make_windows
from .checking import Case, check_function, random_cases

__all__ = ["check_sliding_windows", "check_scale_with_training_range"]

#: N, window, horizon: the shortest series (N = window + horizon), windows and horizons of 1.
WINDOW_SHAPES = ({"N": 2, "window": 1, "horizon": 1}, {"N": 10, "window": 3, "horizon": 1},
                 {"N": 9, "window": 4, "horizon": 5}, {"N": 30, "window": 12, "horizon": 2},
                 {"N": 5, "window": 1, "horizon": 3})


def sliding_windows(values, window, horizon):
    """Reference: values (N,) -> X (M, window), Y (M, horizon), M = N - window - horizon + 1."""
    return make_windows(values, window=window, horizon=horizon)


def _series(rng, dtype, *, N, window, horizon, scale):
    return rng.standard_normal(N).astype(dtype), window, horizon


def check_sliding_windows(student) -> None:
    """``sliding_windows(values, window, horizon)`` on 10 series, float64 and float32 (values are only copied)."""
    check_function("sliding_windows", student, sliding_windows, random_cases(_series, WINDOW_SHAPES))


def scale_with_training_range(values, n_train):
    """Reference: min-max scaling of values (N,) or (N, F) fitted on the first ``n_train`` rows only."""
    return MinMaxScaler().fit(values[:n_train]).transform(values)


def check_scale_with_training_range(student) -> None:
    """``scale_with_training_range(values, n_train)`` on 6 cases, 1-D and 2-D; float64 only, as the package's
    scalers compute in float64 whatever the input."""
    rng = np.random.default_rng(6)
    cases = []
    for shape, n_train in (((2,), 1), ((12,), 8), ((40,), 30), ((5, 1), 3), ((20, 3), 15), ((7, 2), 7)):
        # A trend, so that the later months leave the training range (a leaky fit would hide it).
        trend = np.linspace(0, 3, shape[0]).reshape(-1, *([1] * (len(shape) - 1)))
        values = rng.standard_normal(shape) + trend
        cases.append(Case((values, n_train), f"values {shape}, n_train={n_train}"))
    check_function("scale_with_training_range", student, scale_with_training_range, cases)
