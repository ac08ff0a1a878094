"""Notebook 07's exercises: the sequential LSTM's time loop, BPTT over the sequence, the MSE loss, a forecast.

References: ``rnnlab.parallel.lstm_sequential`` (the loop and BPTT), ``rnnlab.layers.functional.mse`` and
``rnnlab.training.models.SequenceRegressor`` (the honest multi-step forecast that feeds its predictions back).
"""
from __future__ import annotations

import numpy as np

from ..layers.functional import mse
from ..parallel import lstm_sequential
from ..training.models import SequenceRegressor
from .checking import Case, check_function, random_cases

__all__ = ["check_lstm_sequence_forward", "check_lstm_sequence_backward", "check_mse_loss",
           "check_recursive_forecast"]

#: T, B, D, H with size-1 dimensions among them.
SEQUENCE_SHAPES = ({"T": 1, "B": 1, "D": 1, "H": 1}, {"T": 4, "B": 3, "D": 2, "H": 3},
                   {"T": 3, "B": 1, "D": 4, "H": 2}, {"T": 5, "B": 2, "D": 1, "H": 1})
#: The case whose first step is scaled up: a sigmoid written as 1 / (1 + exp(-a)) overflows there.
LARGE_SEQUENCE = {"T": 3, "B": 2, "D": 2, "H": 2}


def lstm_sequence_forward(params, X, h0, c0):
    """Reference: the sequential layer ``rnnlab.parallel.lstm_sequential.forward`` from the state (h0, c0).

    params {W_x (D, 4H), W_h (H, 4H), b (4H,)}, X (T, B, D), h0 (B, H), c0 (B, H)
    -> Y (T, B, H) with Y[t] = h_{t+1}, h_T (B, H), c_T (B, H).
    """
    Y, (h_T, c_T), _ = lstm_sequential.forward(params, X, (h0, c0))
    return Y, h_T, c_T


def lstm_sequence_backward(dY, params, X, h0, c0):
    """Reference: ``rnnlab.parallel.lstm_sequential.backward`` after its forward pass from (h0, c0).

    dY (T, B, H) = dL/dY, params {W_x (D, 4H), W_h (H, 4H), b (4H,)}, X (T, B, D), h0 (B, H), c0 (B, H)
    -> grads {W_x (D, 4H), W_h (H, 4H), b (4H,)}, dX (T, B, D), dh0 (B, H), dc0 (B, H).
    """
    _, _, cache = lstm_sequential.forward(params, X, (h0, c0))
    grads, dX, (dh0, dc0) = lstm_sequential.backward(dY, cache)
    return grads, dX, dh0, dc0


def mse_loss(pred, target):
    """Reference: ``rnnlab.layers.functional.mse``, the loss of ``SequenceRegressor``.

    pred (B, K), target (B, K) -> (loss, dpred (B, K)): the mean of the B*K squared errors and its gradient.
    """
    return mse(pred, target)


def recursive_forecast(model, params, window, steps):
    """Reference: forecast ``steps`` steps ahead, each prediction fed back as the newest input.

    model: a ``SequenceRegressor`` whose outputs are its inputs (output_size == input_size = D),
    params: its params, window (T, B, D): the last T known inputs, steps: an int
    -> forecasts (steps, B, D); forecast k reads the window of the T values before it, the known ones
    followed by forecasts 0..k-1, and no true value after the window.
    """
    forecasts = []
    for _ in range(steps):
        y_next = model.predict(params, window)  # (B, D)
        forecasts.append(y_next)
        window = np.concatenate([window[1:], y_next[None]], axis=0)
    return np.stack(forecasts)


def _lstm_params(rng, dtype, D, H):
    return {"W_x": (rng.standard_normal((D, 4 * H)) / np.sqrt(D)).astype(dtype),
            "W_h": (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(dtype),
            "b": (0.5 * rng.standard_normal(4 * H)).astype(dtype)}


def _sequence_inputs(rng, dtype, *, T, B, D, H, scale):
    """params, X (T, B, D), h0, c0; ``scale`` multiplies the first step of X only, so that the gates
    saturate at that step (an overflowing sigmoid fails there) and the later steps still carry gradient."""
    params = _lstm_params(rng, dtype, D, H)
    X = rng.standard_normal((T, B, D))
    X[0] *= scale
    h0 = np.tanh(rng.standard_normal((B, H)))
    c0 = rng.standard_normal((B, H))
    return params, X.astype(dtype), h0.astype(dtype), c0.astype(dtype)


def _backward_inputs(rng, dtype, *, T, B, D, H, scale):
    params, X, h0, c0 = _sequence_inputs(rng, dtype, T=T, B=B, D=D, H=H, scale=scale)
    dY = rng.standard_normal((T, B, H)).astype(dtype)
    return dY, params, X, h0, c0


def check_lstm_sequence_forward(student) -> None:
    """Exercise 07.1: ``lstm_sequence_forward(params, X, h0, c0)`` on 10 cases, float64 and float32.

    The last case of each dtype scales the first step's inputs up (an overflowing sigmoid fails there).
    """
    cases = random_cases(_sequence_inputs, SEQUENCE_SHAPES, large=LARGE_SEQUENCE)
    check_function("lstm_sequence_forward", student, lstm_sequence_forward, cases)


def check_lstm_sequence_backward(student) -> None:
    """Exercise 07.2: ``lstm_sequence_backward(dY, params, X, h0, c0)`` on 10 cases, float64 and float32.

    The last case of each dtype scales the first step's inputs up (an overflowing sigmoid fails there).
    """
    cases = random_cases(_backward_inputs, SEQUENCE_SHAPES, large=LARGE_SEQUENCE, seed=1)
    check_function("lstm_sequence_backward", student, lstm_sequence_backward, cases)


def _mse_inputs(rng, dtype, *, B, K, scale):
    pred = (scale * rng.standard_normal((B, K))).astype(dtype)
    target = (scale * rng.standard_normal((B, K))).astype(dtype)
    return pred, target


def check_mse_loss(student) -> None:
    """Exercise 07.3: ``mse_loss(pred, target)`` on 8 cases, float64 and float32.

    No large case: the loss has no exp that could overflow.
    """
    shapes = ({"B": 1, "K": 1}, {"B": 5, "K": 1}, {"B": 3, "K": 2}, {"B": 1, "K": 4})
    check_function("mse_loss", student, mse_loss, random_cases(_mse_inputs, shapes, seed=2))


class _Regressor(SequenceRegressor):
    """A ``SequenceRegressor`` that deep-copies as itself: the engine deep-copies every case's arguments, and a
    model holds modules (its layer, its array module), which cannot be copied; it has no state to protect."""

    def __deepcopy__(self, memo):
        return self


def _forecast_cases() -> list[Case]:
    """(model, params, window, steps) with random params (the head scaled up so that forecasts differ).

    No large case: the student's function calls the model's own predict, and adds no formula that could
    overflow.
    """
    rng = np.random.default_rng(3)
    shapes = ((1, 1, 1, 2, 1), (4, 2, 1, 3, 3), (3, 1, 2, 2, 5), (2, 3, 1, 1, 4), (5, 2, 2, 3, 2))
    cases = []
    for dtype in (np.float64, np.float32):
        for T, B, D, H, steps in shapes:
            model = _Regressor(D, H, D, seed=0)
            params = _lstm_params(rng, dtype, D, H)
            params["W_y"] = (2 * rng.standard_normal((H, D))).astype(dtype)
            params["b_y"] = (0.5 * rng.standard_normal(D)).astype(dtype)
            window = rng.standard_normal((T, B, D)).astype(dtype)
            cases.append(Case((model, params, window, steps),
                              f"T={T}, B={B}, D={D}, H={H}, steps={steps}, {np.dtype(dtype).name}"))
    return cases


def check_recursive_forecast(student) -> None:
    """Exercise 07.4: ``recursive_forecast(model, params, window, steps)`` on 10 cases, float64 and float32."""
    check_function("recursive_forecast", student, recursive_forecast, _forecast_cases())
