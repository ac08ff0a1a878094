"""Notebook 03's exercises: the GRU step, Bài tập 3 in the slide's notation, the output layer of Exercise 4.

References: ``rnnlab.layers.gru`` (the course's convention: blocks r, z, n; h_t = z h_{t-1} + (1 - z) n;
the reset gate applied before the recurrent product) and ``rnnlab.layers.functional.softmax``.
"""
from __future__ import annotations

import numpy as np

from ..layers import functional, gru
from .checking import check_function, random_cases

__all__ = ["check_gru_step_forward", "check_gru_step_slide", "check_gru_output"]

#: B, D, H with size-1 dimensions among them.
STEP_SHAPES = ({"B": 1, "D": 1, "H": 1}, {"B": 4, "D": 3, "H": 2}, {"B": 2, "D": 1, "H": 5}, {"B": 1, "D": 6, "H": 3})
#: D, H of one sample in the slide's column-vector notation; the first is Bài tập 3's.
SLIDE_SHAPES = ({"D": 2, "H": 2}, {"D": 1, "H": 1}, {"D": 3, "H": 1}, {"D": 1, "H": 4}, {"D": 5, "H": 3})
#: H (state), K (classes) of the output layer; the first is Exercise 4's.
OUTPUT_SHAPES = ({"H": 2, "K": 2}, {"H": 1, "K": 1}, {"H": 3, "K": 1}, {"H": 1, "K": 3}, {"H": 4, "K": 5})
GATES = gru.GATES


def gru_step_forward(x, h_prev, W_x, W_h, b):
    """Reference: one step of ``rnnlab.layers.gru`` (its forward run for T = 1).

    x (B, D), h_prev (B, H), W_x (D, 3H), W_h (H, 3H), b (3H,) with blocks r, z, n -> h (B, H).
    """
    Y, _, _ = gru.forward({"W_x": W_x, "W_h": W_h, "b": b}, x[None], h_prev)
    return Y[0]


def _step_inputs(rng, dtype, *, B, D, H, scale):
    x = (rng.standard_normal((B, D)) * scale).astype(dtype)
    h_prev = np.tanh(rng.standard_normal((B, H))).astype(dtype)
    W_x = (rng.standard_normal((D, 3 * H)) / np.sqrt(D)).astype(dtype)
    W_h = (rng.standard_normal((H, 3 * H)) / np.sqrt(H)).astype(dtype)
    b = (0.5 * rng.standard_normal(3 * H)).astype(dtype)
    return x, h_prev, W_x, W_h, b


def check_gru_step_forward(student) -> None:
    """Exercise 03.1: ``gru_step_forward(x, h_prev, W_x, W_h, b)`` on 10 cases, float64 and float32."""
    cases = random_cases(_step_inputs, STEP_SHAPES, large={"B": 3, "D": 2, "H": 2})
    check_function("gru_step_forward", student, gru_step_forward, cases)


def gru_step_slide(x, h_prev, W, U, b):
    """Reference: one GRU step from the slide's per-gate weights, in both conventions for the update gate.

    x (D,), h_prev (H,); W, U, b dicts with keys "r", "z", "n": W[k] (H, D) on the input, U[k] (H, H) on
    the state, b[k] (H,), column vectors as on the VietAI slide. Returns (h_course, h_slide), each (H,):
    h_course = z h_prev + (1 - z) n from ``rnnlab.layers.gru`` (its blocks are the slide's matrices
    transposed), h_slide = (1 - z) h_prev + z n with the same gates z and candidate n, read from its cache.
    """
    H = h_prev.shape[0]
    params = {"W_x": np.concatenate([W[k].T for k in GATES], axis=1),
              "W_h": np.concatenate([U[k].T for k in GATES], axis=1),
              "b": np.concatenate([b[k] for k in GATES])}
    _, h_course, (_, _, _, gates, _) = gru.forward(params, x[None, None], h_prev[None])
    z, n = gates[0, 0, H : 2 * H], gates[0, 0, 2 * H :]
    return h_course[0], (1 - z) * h_prev + z * n


def _slide_inputs(rng, dtype, *, D, H, scale):
    x = (rng.standard_normal(D) * scale).astype(dtype)
    h_prev = np.tanh(rng.standard_normal(H)).astype(dtype)
    W = {k: (rng.standard_normal((H, D)) / np.sqrt(D)).astype(dtype) for k in GATES}
    U = {k: (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype) for k in GATES}
    b = {k: (0.5 * rng.standard_normal(H)).astype(dtype) for k in GATES}
    return x, h_prev, W, U, b


def check_gru_step_slide(student) -> None:
    """Exercise 03.2 (Bài tập 3 in code): ``gru_step_slide(x, h_prev, W, U, b)`` on 12 cases, float64 and float32."""
    cases = random_cases(_slide_inputs, SLIDE_SHAPES, large={"D": 2, "H": 2}, seed=1)
    check_function("gru_step_slide", student, gru_step_slide, cases)


def gru_output(h, V, c):
    """Reference: the output layer of notebook 03's Exercise 4, y_hat = softmax(V h + c).

    h (H,), V (K, H), c (K,) in the slide's column-vector notation -> y_hat (K,), summing to 1.
    """
    return functional.softmax(V @ h + c)


def _output_inputs(rng, dtype, *, H, K, scale):
    h = (rng.standard_normal(H) * scale).astype(dtype)
    V = rng.standard_normal((K, H)).astype(dtype)
    c = (0.5 * rng.standard_normal(K)).astype(dtype)
    return h, V, c


def check_gru_output(student) -> None:
    """Exercise 03.3: ``gru_output(h, V, c)`` on 12 cases, float64 and float32 (large logits included)."""
    cases = random_cases(_output_inputs, OUTPUT_SHAPES, large={"H": 3, "K": 4}, seed=3)
    check_function("gru_output", student, gru_output, cases)
