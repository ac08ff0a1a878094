"""LSTM layer, batched over the batch dimension, forward and backward (BPTT).

Time-major: ``X`` is (T, B, D), outputs ``Y`` are (T, B, H). Parameters::

    W_x (D, 4H)   input weights     gate blocks in PyTorch's order i, f, g, o
    W_h (H, 4H)   recurrent weights
    b   (4H,)     bias  (= bias_ih + bias_hh of torch.nn.LSTM)

so that ``torch.nn.LSTM`` converts as ``W_x = weight_ih_l0.T``, ``W_h = weight_hh_l0.T``.
One step, with a_t = x_t W_x + h_{t-1} W_h + b split into four (B, H) blocks::

    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Every array function comes from the inputs' array module, so CuPy arrays work unchanged.
"""
from __future__ import annotations

import numpy as np

from ._checks import check_params, check_sequence, check_state
from ._layers import backward_seeds, init_gated_params, projection_grads
from .backend import get_xp
from .functional import sigmoid

N_GATES = 4


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32, xp=np):
    """Glorot-uniform W_x, orthogonal W_h (per gate), zero bias except 1 on the forget gate.

    The forget bias of 1 keeps c flowing at the start of training (Jozefowicz et al., 2015).
    """
    H = hidden_size
    bias = np.zeros(N_GATES * H)
    bias[H : 2 * H] = 1.0
    return init_gated_params(input_size, H, N_GATES, seed=seed, dtype=dtype, xp=xp, bias=bias)


def _initial_state(state, B, H, xp, dtype):
    if state is None:
        z = xp.zeros((B, H), dtype=dtype)
        return z, z.copy()
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise ValueError("LSTM state must be a pair (h, c) of (B, H) arrays or None")
    h0, c0 = state
    check_state(h0, "state h", B, H)
    check_state(c0, "state c", B, H)
    return xp.asarray(h0, dtype=dtype), xp.asarray(c0, dtype=dtype)


def prepare_forward(params, X, state):
    """Check the inputs of an LSTM forward pass (shared by lstm and lstm_sequential).

    Returns xp, X cast to the parameters' dtype, the sizes (T, B, D, H) and the initial (h0, c0).
    """
    D, H = check_params(params, N_GATES, "LSTM")
    T, B = check_sequence(X, D, "LSTM")
    xp = get_xp(X, params["W_x"])
    dtype = params["W_x"].dtype
    return xp, xp.asarray(X, dtype=dtype), (T, B, D, H), _initial_state(state, B, H, xp, dtype)


def forward(params, X, state=None):
    """Run the LSTM over a sequence.

    Inputs:
        params: dict with W_x (D, 4H), W_h (H, 4H), b (4H,)
        X: (T, B, D) input sequence
        state: None (zeros) or a pair (h0, c0), each (B, H)
    Returns:
        Y: (T, B, H) hidden states h_1..h_T
        state_T: (h_T, c_T), each (B, H)
        cache: what backward needs
    """
    xp, X, (T, B, D, H), (h, c) = prepare_forward(params, X, state)
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    dtype = W_x.dtype

    # The input projection does not depend on h, so all T steps share one matrix product.
    A = (X.reshape(T * B, D) @ W_x).reshape(T, B, N_GATES * H) + b
    gates = xp.empty((T, B, N_GATES * H), dtype=dtype)  # activated i, f, g, o
    hs = xp.empty((T + 1, B, H), dtype=dtype)  # hs[0] = h0, hs[t+1] = h_t
    cs = xp.empty((T + 1, B, H), dtype=dtype)
    tanh_cs = xp.empty((T, B, H), dtype=dtype)
    hs[0], cs[0] = h, c
    for t in range(T):
        a = A[t] + hs[t] @ W_h
        gates[t, :, : 2 * H] = sigmoid(a[:, : 2 * H])
        gates[t, :, 2 * H : 3 * H] = xp.tanh(a[:, 2 * H : 3 * H])
        gates[t, :, 3 * H :] = sigmoid(a[:, 3 * H :])
        i, f, g, o = (gates[t, :, k * H : (k + 1) * H] for k in range(N_GATES))
        cs[t + 1] = f * cs[t] + i * g
        tanh_cs[t] = xp.tanh(cs[t + 1])
        hs[t + 1] = o * tanh_cs[t]
    Y = hs[1:]
    cache = (params, X, hs, cs, tanh_cs, gates)
    return Y, (hs[T], cs[T]), cache


def backward(dY, cache, d_state=None):
    """Backpropagation through time.

    Inputs:
        dY: (T, B, H) gradient of the loss with respect to Y, or None for zeros
        cache: from forward
        d_state: None or (dh_T, dc_T), gradients with respect to the final state, each (B, H)
    Returns:
        grads: dict with the keys and shapes of params
        dX: (T, B, D)
        d_state0: (dh_0, dc_0), gradients with respect to the initial state
    """
    params, X, hs, cs, tanh_cs, gates = cache
    W_x, W_h = params["W_x"], params["W_h"]
    xp = get_xp(X, W_x)
    T, B, D = X.shape
    H = W_h.shape[0]
    dtype = W_x.dtype
    dY, (dh, dc) = backward_seeds(dY, d_state, T, B, H, xp, dtype, ("dh", "dc"))

    dA = xp.empty((T, B, N_GATES * H), dtype=dtype)  # gradient at the gate pre-activations
    for t in reversed(range(T)):
        i, f, g, o = (gates[t, :, k * H : (k + 1) * H] for k in range(N_GATES))
        dh = dh + dY[t]
        tc = tanh_cs[t]
        dc = dc + dh * o * (1 - tc * tc)
        dA[t, :, :H] = dc * g * i * (1 - i)
        dA[t, :, H : 2 * H] = dc * cs[t] * f * (1 - f)
        dA[t, :, 2 * H : 3 * H] = dc * i * (1 - g * g)
        dA[t, :, 3 * H :] = dh * tc * o * (1 - o)
        dh = dA[t] @ W_h.T
        dc = dc * f

    grads, dX = projection_grads(X, hs[:-1], dA, W_x)
    return grads, dX, (dh, dc)
