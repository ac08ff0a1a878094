"""Notebook 02's exercises: the LSTM step forward and backward, Bài tập 2's weights in rnnlab's layout and in
the slide's notation, and the cell state's gradient highway (references: ``rnnlab.layers.lstm`` and its cell).
"""
from __future__ import annotations

import numpy as np

from ..layers import functional, lstm
from ..layers.lstm_cell import GATES, N_GATES, LSTMCell, gate_views
from .checking import Case, ExerciseError, call_student, check_function, random_cases

__all__ = ["check_lstm_step_forward", "check_lstm_step_backward", "check_slide_to_rnnlab",
           "check_one_lstm_step_by_gates", "check_cell_path_gradients"]

#: B, D, H with size-1 dimensions among them.
STEP_SHAPES = ({"B": 1, "D": 1, "H": 1}, {"B": 4, "D": 3, "H": 2}, {"B": 2, "D": 1, "H": 5}, {"B": 1, "D": 6, "H": 3})
#: D, H of the slide's per-gate matrices, one of them square (D = H) so that a missing transpose keeps its shape.
SLIDE_SHAPES = ({"D": 1, "H": 1}, {"D": 3, "H": 2}, {"D": 2, "H": 2}, {"D": 1, "H": 4}, {"D": 5, "H": 3})
#: The slide's name of each of rnnlab's gate blocks i, f, g, o (the candidate is c~, written "c").
SLIDE_NAME = {"i": "i", "f": "f", "g": "c", "o": "o"}
#: T, B, H of a run of forget gates.
PATH_SHAPES = ({"T": 1, "B": 1, "H": 1}, {"T": 5, "B": 2, "H": 3}, {"T": 3, "B": 1, "H": 4}, {"T": 8, "B": 3, "H": 1})


# --- references --------------------------------------------------------------------------------------------

def lstm_step_forward(x, h_prev, c_prev, W_x, W_h, b):
    """Reference: the layer ``rnnlab.layers.lstm`` run for one step from (h_prev, c_prev).

    x (B, D), h_prev (B, H), c_prev (B, H), W_x (D, 4H), W_h (H, 4H), b (4H,) -> (h, c), each (B, H).
    """
    _, (h, c), _ = lstm.forward({"W_x": W_x, "W_h": W_h, "b": b}, x[None], (h_prev, c_prev))
    return h, c


def lstm_step_backward(dh, dc, x, h_prev, c_prev, W_x, W_h, b):
    """Reference: ``rnnlab.layers.lstm.backward`` of one step, from the final-state gradients (dh, dc).

    dh, dc (B, H) and the step's inputs as in :func:`lstm_step_forward` ->
    (dx (B, D), dh_prev (B, H), dc_prev (B, H), dW_x (D, 4H), dW_h (H, 4H), db (4H,)).
    """
    _, _, cache = lstm.forward({"W_x": W_x, "W_h": W_h, "b": b}, x[None], (h_prev, c_prev))
    grads, dX, (dh_prev, dc_prev) = lstm.backward(None, cache, (dh, dc))
    return dX[0], dh_prev, dc_prev, grads["W_x"], grads["W_h"], grads["b"]


def slide_to_rnnlab(W, U, b):
    """Reference: the slide's per-gate weights laid out as ``rnnlab.layers.lstm``'s params.

    W, U, b: dicts with the slide's gate names "f", "i", "o", "c" (c = the candidate c~), W[k] (H, D),
    U[k] (H, H), b[k] (H,), for the column-vector step W_k x + U_k h + b_k. Returns {"W_x" (D, 4H),
    "W_h" (H, 4H), "b" (4H,)} whose gate blocks, in rnnlab's order i, f, g, o, are W_k.T, U_k.T and b_k.
    """
    H, D = W["i"].shape
    dtype = W["i"].dtype
    params = {"W_x": np.empty((D, N_GATES * H), dtype), "W_h": np.empty((H, N_GATES * H), dtype),
              "b": np.empty(N_GATES * H, dtype)}
    for gate, block_x, block_h, block_b in zip(GATES, *(gate_views(params[k], H) for k in ("W_x", "W_h", "b"))):
        name = SLIDE_NAME[gate]
        block_x[...], block_h[...], block_b[...] = W[name].T, U[name].T, b[name]
    return params


def one_lstm_step_by_gates(x, h_prev, c_prev, W, U, b):
    """Reference: one LSTM step in the slide's notation, as ``rnnlab.layers.lstm`` computes it.

    x (D,), h_prev (H,), c_prev (H,), W, U, b the slide's per-gate dicts of :func:`slide_to_rnnlab`
    -> (h, c), each (H,).
    """
    _, (h, c), _ = lstm.forward(slide_to_rnnlab(W, U, b), x[None, None], (h_prev[None], c_prev[None]))
    return h[0], c[0]


def cell_path_gradients(a_f):
    """Reference: d c_T / d c_t along the cell path alone, from the package's cell backward with dh = 0.

    a_f (T, B, H): the forget gates' pre-activations of steps 1..T (f_t = sigmoid(a_f[t - 1])).
    Returns G (T + 1, B, H) with G[T] = 1 and G[t] = f_{t+1} * ... * f_T: with no gradient reaching h,
    ``LSTMCell.backward`` turns dL/dc_t into dL/dc_{t-1} = f_t * dL/dc_t, which is all that is left.
    """
    T, B, H = a_f.shape
    dtype = a_f.dtype
    cell = LSTMCell((B,), H, dtype, np)
    gates = np.full((T, B, N_GATES * H), 0.5, dtype=dtype)  # i, g, o do not reach dc when dh = 0
    gate_views(gates, H)[GATES.index("f")][...] = functional.sigmoid(a_f)
    zeros, da = np.zeros((B, H), dtype), np.empty((B, N_GATES * H), dtype)
    G = np.empty((T + 1, B, H), dtype)
    G[T] = 1
    dc = np.ones((B, H), dtype)
    for t in reversed(range(T)):
        cell.backward(zeros, dc, gates[t], zeros, zeros, da)  # dc becomes d c_T / d c_t
        G[t] = dc
    return G


# --- cases -------------------------------------------------------------------------------------------------

def lstm_step_inputs(rng, dtype, *, B, D, H, scale):
    """Random inputs of one LSTM step (also notebook 08's cases): x, h_prev, c_prev, W_x, W_h, b."""
    x = (rng.standard_normal((B, D)) * scale).astype(dtype)
    h_prev = np.tanh(rng.standard_normal((B, H))).astype(dtype)
    c_prev = rng.standard_normal((B, H)).astype(dtype)
    W_x = (rng.standard_normal((D, 4 * H)) / np.sqrt(D)).astype(dtype)
    W_h = (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(dtype)
    b = (0.5 * rng.standard_normal(4 * H)).astype(dtype)
    return x, h_prev, c_prev, W_x, W_h, b


def _backward_inputs(rng, dtype, *, B, D, H, scale):
    dh = rng.standard_normal((B, H)).astype(dtype)
    dc = rng.standard_normal((B, H)).astype(dtype)
    return (dh, dc, *lstm_step_inputs(rng, dtype, B=B, D=D, H=H, scale=scale))


def _slide_weights(rng, dtype, D, H):
    W = {k: rng.standard_normal((H, D)).astype(dtype) for k in "fioc"}
    U = {k: rng.standard_normal((H, H)).astype(dtype) for k in "fioc"}
    b = {k: rng.standard_normal(H).astype(dtype) for k in "fioc"}
    return W, U, b


def _slide_inputs(rng, dtype, *, D, H, scale):
    return _slide_weights(rng, dtype, D, H)


def _slide_step_inputs(rng, dtype, *, D, H, scale):
    x = (rng.standard_normal(D) * scale).astype(dtype)
    h_prev = np.tanh(rng.standard_normal(H)).astype(dtype)
    c_prev = rng.standard_normal(H).astype(dtype)
    W, U, b = _slide_weights(rng, dtype, D, H)
    return x, h_prev, c_prev, W, U, b


def _path_inputs(rng, dtype, *, T, B, H, scale):
    return ((1.0 + 2.0 * rng.standard_normal((T, B, H))) * scale).astype(dtype),


# --- checkers ----------------------------------------------------------------------------------------------

def check_lstm_step_forward(student) -> None:
    """Exercise 02.1: ``lstm_step_forward(x, h_prev, c_prev, W_x, W_h, b)`` on 10 cases, float64 and float32."""
    cases = random_cases(lstm_step_inputs, STEP_SHAPES, large={"B": 3, "D": 2, "H": 2})
    check_function("lstm_step_forward", student, lstm_step_forward, cases)


def check_lstm_step_backward(student) -> None:
    """Exercise 02.2: ``lstm_step_backward(dh, dc, x, h_prev, c_prev, W_x, W_h, b)`` on 10 cases."""
    cases = random_cases(_backward_inputs, STEP_SHAPES, large={"B": 3, "D": 2, "H": 2}, seed=1)
    check_function("lstm_step_backward", student, lstm_step_backward, cases)


def check_slide_to_rnnlab(student) -> None:
    """Exercise 02.5: ``slide_to_rnnlab(W, U, b)`` on random per-gate matrices of 5 sizes, float64 and float32.

    No large case: the exercise only moves numbers (no exp, nothing can overflow).
    """
    cases = random_cases(_slide_inputs, SLIDE_SHAPES, seed=2)
    check_function("slide_to_rnnlab", student, slide_to_rnnlab, cases)


def check_one_lstm_step_by_gates(student, bai_tap_2: dict | None = None) -> None:
    """Exercise 02.4: ``one_lstm_step_by_gates(x, h_prev, c_prev, W, U, b)`` on 12 random cases; then, given
    ``bai_tap_2`` = dict(x=, h_prev=, c_prev=, W=, U=, b=, h_1=) from the notebook, on Bài tập 2's numbers,
    where its h must match the notebook's hand-computed h_1.
    """
    name = "one_lstm_step_by_gates"
    cases = random_cases(_slide_step_inputs, SLIDE_SHAPES, large={"D": 3, "H": 2}, seed=3)
    check_function(name, student, one_lstm_step_by_gates, cases)
    if bai_tap_2 is None:
        return
    keys = ("x", "h_prev", "c_prev", "W", "U", "b")
    got = call_student(name, student, Case(tuple(bai_tap_2[k] for k in keys), "Bài tập 2"))
    h_1 = np.asarray(got[0], dtype=np.float64) + 0.0  # + 0.0: no "-0." in the printout
    if h_1.shape != np.shape(bai_tap_2["h_1"]) or not np.allclose(h_1, bai_tap_2["h_1"], rtol=1e-6, atol=1e-12):
        raise ExerciseError(f"{name}: on Bài tập 2 it gives h_1 = {h_1}, not the hand value {bai_tap_2['h_1']}")
    print("Bài tập 2: h_1 =", "[" + ", ".join(f"{v:.5g}" for v in h_1) + "], the hand value")


def check_cell_path_gradients(student) -> None:
    """Exercise 02.3: ``cell_path_gradients(a_f)`` on 10 cases, float64 and float32, one with |a_f| in the
    thousands (a sigmoid written with exp(-a) overflows there).
    """
    cases = random_cases(_path_inputs, PATH_SHAPES, large={"T": 4, "B": 2, "H": 3}, seed=4)
    check_function("cell_path_gradients", student, cell_path_gradients, cases)

