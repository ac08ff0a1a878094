"""Notebook 01's exercises: the RNN step (forward and backward), ... (references: ``rnnlab.layers``)."""
from __future__ import annotations

import numpy as np

from ..layers import rnn
from .checking import check_function, random_cases

__all__ = ["check_rnn_step_forward"]

#: B, D, H with size-1 dimensions among them.
STEP_SHAPES = ({"B": 1, "D": 1, "H": 1}, {"B": 4, "D": 3, "H": 2}, {"B": 2, "D": 1, "H": 5}, {"B": 1, "D": 6, "H": 3})


def rnn_step_forward(x, h_prev, W_x, W_h, b):
    """Reference: h = tanh(x W_x + h_prev W_h + b), the layer ``rnnlab.layers.rnn`` run for one step.

    x (B, D), h_prev (B, H), W_x (D, H), W_h (H, H), b (H,) -> h (B, H).
    """
    Y, _, _ = rnn.forward({"W_x": W_x, "W_h": W_h, "b": b}, x[None], h_prev)
    return Y[0]


def _step_inputs(rng, dtype, *, B, D, H, scale):
    x = (rng.standard_normal((B, D)) * scale).astype(dtype)
    h_prev = np.tanh(rng.standard_normal((B, H))).astype(dtype)
    W_x = (rng.standard_normal((D, H)) / np.sqrt(D)).astype(dtype)
    W_h = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype)
    b = (0.1 * rng.standard_normal(H)).astype(dtype)
    return x, h_prev, W_x, W_h, b


def check_rnn_step_forward(student) -> None:
    """Exercise 01.1: ``rnn_step_forward(x, h_prev, W_x, W_h, b)`` on 10 cases, float64 and float32."""
    cases = random_cases(_step_inputs, STEP_SHAPES, large={"B": 3, "D": 2, "H": 2})
    check_function("rnn_step_forward", student, rnn_step_forward, cases)
