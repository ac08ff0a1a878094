"""LSTM layer, batched over the batch dimension, forward and backward (BPTT).

Time-major: ``X`` is (T, B, D), outputs ``Y`` are (T, B, H). Parameters::

    W_x (D, 4H)   input weights     gate blocks in PyTorch's order i, f, g, o
    W_h (H, 4H)   recurrent weights
    b   (4H,)     bias  (= bias_ih + bias_hh of torch.nn.LSTM)

so that ``torch.nn.LSTM`` converts as ``W_x = weight_ih_l0.T``, ``W_h = weight_hh_l0.T``.
Each step is one matrix product for all four gates, a_t = x_t W_x + h_{t-1} W_h + b (B, 4H), then the
cell of :mod:`rnnlab.layers.lstm_cell`::

    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Every array function comes from the inputs' array module, so CuPy arrays work unchanged.
"""
from __future__ import annotations

import numpy as np

from ..backend import get_xp
from ._common import check_backward, check_inputs, init_gated_params, input_projection, projection_grads
from .lstm_cell import GATES, N_GATES, LSTMCell, forward_buffers, gate_views, initial_state


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32, xp=np):
    """Glorot-uniform W_x, orthogonal W_h (per gate), zero bias except 1 on the forget gate.

    The forget bias of 1 keeps c flowing at the start of training (Jozefowicz et al., 2015).
    """
    H = hidden_size
    bias = np.zeros(N_GATES * H)
    gate_views(bias, H)[GATES.index("f")][...] = 1.0
    return init_gated_params(input_size, H, N_GATES, seed=seed, dtype=dtype, xp=xp, bias=bias)


def prepare_forward(params, X, state):
    """Check the inputs of an LSTM forward pass (shared by lstm and lstm_sequential).

    Returns xp, X cast to the parameters' dtype, the sizes (T, B, D, H) and the initial (h0, c0).
    """
    T, B, D, H = check_inputs(params, X, N_GATES, "LSTM")
    xp = get_xp(X, params["W_x"])
    dtype = params["W_x"].dtype
    return xp, xp.asarray(X, dtype=dtype), (T, B, D, H), initial_state(state, B, H, xp, dtype)


def prepare_backward(dY, cache, d_state):
    """Check the inputs of an LSTM backward pass (shared by lstm and lstm_sequential).

    Returns xp, the sizes (T, B, D, H), dY as a (T, B, H) array and fresh (dh_T, dc_T), each (B, H).
    """
    params, X = cache[0], cache[1]
    xp = get_xp(X, params["W_x"])
    sizes, dY, (dh, dc) = check_backward(dY, d_state, params, X, xp, ("dh", "dc"))
    return xp, sizes, dY, (dh, dc)


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
    xp, X, (T, B, D, H), (h0, c0) = prepare_forward(params, X, state)
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    cell = LSTMCell((B,), H, X.dtype, xp)

    XA = input_projection(X, W_x, b, xp)  # x_t W_x + b for every t: one product
    gates, hs, cs, tanh_cs = forward_buffers(T, B, H, xp, X.dtype)
    hs[0], cs[0] = h0, c0
    for t in range(T):
        a = gates[t]  # the pre-activations, activated in place by the cell
        xp.matmul(hs[t], W_h, out=a)  # one product for all four gates
        a += XA[t]
        cell.forward(a, cs[t], cs[t + 1], tanh_cs[t], hs[t + 1])
    cache = (params, X, hs, cs, tanh_cs, gates)
    return hs[1:], (hs[T], cs[T]), cache


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
    xp, (T, B, D, H), dY, (dh_rec, dc) = prepare_backward(dY, cache, d_state)
    params, X, hs, cs, tanh_cs, gates = cache
    W_x, W_h = params["W_x"], params["W_h"]
    cell = LSTMCell((B,), H, W_x.dtype, xp)

    dA = xp.empty((T, B, N_GATES * H), dtype=W_x.dtype)  # gradient at the gate pre-activations
    dh = xp.empty((B, H), dtype=W_x.dtype)
    for t in reversed(range(T)):
        xp.add(dh_rec, dY[t], out=dh)  # dh_rec: dL/dh_t through step t+1
        cell.backward(dh, dc, gates[t], cs[t], tanh_cs[t], dA[t])  # dc becomes dL/dc_{t-1}
        xp.matmul(dA[t], W_h.T, out=dh_rec)

    grads, dX = projection_grads(X, hs[:-1], dA, W_x)
    return grads, dX, (dh_rec, dc)
