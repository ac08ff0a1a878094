"""Notebook 01's exercises: the RNN step (forward and backward), the stable sigmoid, a central-difference
gradient check and the stable softmax cross-entropy (references: ``rnnlab.layers``)."""
from __future__ import annotations

import numpy as np

from ..layers import functional, gradcheck, rnn
from .checking import check_function, random_cases

__all__ = ["check_numerical_gradient", "check_rnn_step_backward", "check_rnn_step_forward", "check_sigmoid",
           "check_softmax_cross_entropy"]

#: B, D, H with size-1 dimensions among them.
STEP_SHAPES = ({"B": 1, "D": 1, "H": 1}, {"B": 4, "D": 3, "H": 2}, {"B": 2, "D": 1, "H": 5}, {"B": 1, "D": 6, "H": 3})


def rnn_step_forward(x, h_prev, W_x, W_h, b):
    """Reference: h = tanh(x W_x + h_prev W_h + b), the layer ``rnnlab.layers.rnn`` run for one step.

    x (B, D), h_prev (B, H), W_x (D, H), W_h (H, H), b (H,) -> h (B, H).
    """
    Y, _, _ = rnn.forward({"W_x": W_x, "W_h": W_h, "b": b}, x[None], h_prev)
    return Y[0]


def rnn_params(rng, D, H, dtype) -> dict:
    """Random RNN weights for a checker: W_x (D, H) / sqrt(D), W_h (H, H) / sqrt(H), b (H,) * 0.1, drawn in
    that order (notebook 04's checkers use them too)."""
    return {"W_x": (rng.standard_normal((D, H)) / np.sqrt(D)).astype(dtype),
            "W_h": (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype),
            "b": (0.1 * rng.standard_normal(H)).astype(dtype)}


def _step_inputs(rng, dtype, *, B, D, H, scale):
    x = (rng.standard_normal((B, D)) * scale).astype(dtype)
    h_prev = np.tanh(rng.standard_normal((B, H))).astype(dtype)
    params = rnn_params(rng, D, H, dtype)
    return x, h_prev, params["W_x"], params["W_h"], params["b"]


def check_rnn_step_forward(student) -> None:
    """Exercise 01.1: ``rnn_step_forward(x, h_prev, W_x, W_h, b)`` on 10 cases, float64 and float32."""
    cases = random_cases(_step_inputs, STEP_SHAPES, large={"B": 3, "D": 2, "H": 2})
    check_function("rnn_step_forward", student, rnn_step_forward, cases)


def rnn_step_backward(dh, x, h_prev, W_x, W_h, h):
    """Reference: the gradients of one step h = tanh(x W_x + h_prev W_h + b), by ``rnnlab.layers.rnn.backward``
    on a sequence of T = 1 whose cache holds the given x, h_prev and h.

    dh (B, H), x (B, D), h_prev (B, H), W_x (D, H), W_h (H, H), h (B, H)
    -> (dx (B, D), dh_prev (B, H), dW_x (D, H), dW_h (H, H), db (H,)).
    """
    params = {"W_x": W_x, "W_h": W_h, "b": np.zeros(W_h.shape[0], dtype=W_x.dtype)}
    grads, dX, dh_prev = rnn.backward(dh[None], (params, x[None], np.stack([h_prev, h])))
    return dX[0], dh_prev, grads["W_x"], grads["W_h"], grads["b"]


def _step_backward_inputs(rng, dtype, *, B, D, H, scale):
    x, h_prev, W_x, W_h, b = _step_inputs(rng, dtype, B=B, D=D, H=H, scale=scale)
    h = np.tanh(x.astype(np.float64) @ W_x + h_prev @ W_h + b).astype(dtype)
    dh = rng.standard_normal((B, H)).astype(dtype)
    return dh, x, h_prev, W_x, W_h, h


def check_rnn_step_backward(student) -> None:
    """Exercise 01.2: ``rnn_step_backward(dh, x, h_prev, W_x, W_h, h)`` on 10 cases, float64 and float32.

    h is the forward's output, consistent with the other inputs; the large case saturates tanh (h = ±1, so
    1 - h² is 0 there), where recomputing tanh through exp would overflow.
    """
    cases = random_cases(_step_backward_inputs, STEP_SHAPES, large={"B": 3, "D": 2, "H": 2}, seed=1)
    check_function("rnn_step_backward", student, rnn_step_backward, cases)


#: Array shapes for the elementwise exercise, size-1 dimensions among them.
ELEMENTWISE_SHAPES = ({"shape": (1,)}, {"shape": (7,)}, {"shape": (2, 3)}, {"shape": (1, 1, 4)})


def _elementwise_inputs(rng, dtype, *, shape, scale):
    return ((rng.standard_normal(shape) * 3 * scale).astype(dtype),)


def check_sigmoid(student) -> None:
    """Exercise 01.3: ``sigmoid(x)`` against ``rnnlab.layers.functional.sigmoid`` on 10 cases, float64 and
    float32; the large case holds inputs of both signs in the thousands, where 1 / (1 + e^(-x)) overflows."""
    cases = random_cases(_elementwise_inputs, ELEMENTWISE_SHAPES, large={"shape": (3, 4)}, seed=2)
    check_function("sigmoid", student, functional.sigmoid, cases)


class _SmoothScalar:
    """f() = Σ w·sin(x) + ½ Σ x² + (Σ x)³ / 10: a scalar of the array ``x`` it holds, read at every call.

    A callable object rather than a closure, so that the engine's copy of a case copies ``x`` and ``f``
    together (the copied ``f`` reads the copied ``x``: the perturbations made by the function under test).
    """

    def __init__(self, x, w):
        self.x, self.w = x, w

    def __call__(self):
        x = self.x
        return float(np.sum(self.w * np.sin(x)) + 0.5 * np.sum(x * x) + np.sum(x) ** 3 / 10)


def _gradient_inputs(rng, dtype, *, shape, eps, scale):
    x = rng.standard_normal(shape).astype(dtype)
    return _SmoothScalar(x, rng.standard_normal(shape)), x, eps


def check_numerical_gradient(student) -> None:
    """Exercise 01.4: ``numerical_gradient(f, x, eps)`` against ``rnnlab.layers.gradcheck.numerical_gradient``.

    float64 only: a central difference loses about half of the digits (rounding error of f / eps); in float32,
    with its 7 digits, no eps gives a gradient worth comparing to 1e-5. Two step sizes (1e-6 and 1e-3), so
    that a fixed eps, or a one-sided difference (error of order eps, not eps²), is caught. The function must
    leave ``x`` exactly as it found it.
    """
    shapes = [{"shape": s, "eps": e} for s, e in (((1,), 1e-6), ((5,), 1e-6), ((2, 3), 1e-6), ((1, 1), 1e-3),
                                                   ((3, 1, 2), 1e-3), ((4,), 1e-3))]
    cases = random_cases(_gradient_inputs, shapes, dtypes=(np.float64,), seed=3)
    check_function("numerical_gradient", student, gradcheck.numerical_gradient, cases)


#: N rows of K logits, size-1 dimensions among them.
LOGIT_SHAPES = ({"N": 1, "K": 1}, {"N": 1, "K": 4}, {"N": 5, "K": 3}, {"N": 3, "K": 1}, {"N": 6, "K": 7})


def _logit_inputs(rng, dtype, *, N, K, scale):
    logits = (rng.standard_normal((N, K)) * 2 * scale).astype(dtype)
    return logits, rng.integers(0, K, size=N)


def check_softmax_cross_entropy(student) -> None:
    """Exercise 01.5: ``softmax_cross_entropy(logits, targets)`` against ``rnnlab.layers.functional.cross_entropy``
    on 12 cases, float64 and float32: the mean loss over the N rows and its gradient (N, K). The large case has
    logits in the thousands (hundreds in float32), where e^z overflows unless the row's maximum is subtracted
    first and where the log of an underflowed probability would be log 0."""
    cases = random_cases(_logit_inputs, LOGIT_SHAPES, large={"N": 4, "K": 5}, seed=4)
    check_function("softmax_cross_entropy", student, functional.cross_entropy, cases)
