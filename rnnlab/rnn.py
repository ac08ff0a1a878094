"""Vanilla (Elman) tanh RNN layer, batched, forward and backward (BPTT).

Time-major: ``X`` is (T, B, D), ``Y`` is (T, B, H). Parameters::

    W_x (D, H)   W_h (H, H)   b (H,)      h_t = tanh(x_t W_x + h_{t-1} W_h + b)

``torch.nn.RNN`` converts as ``W_x = weight_ih_l0.T``, ``W_h = weight_hh_l0.T``,
``b = bias_ih_l0 + bias_hh_l0``. The state is ``h`` alone, a (B, H) array.
"""
from __future__ import annotations

import numpy as np

from ._checks import check_params, check_sequence, check_state
from ._layers import backward_seeds, init_gated_params, projection_grads
from .backend import get_xp

N_GATES = 1


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32, xp=np):
    """Glorot-uniform W_x, orthogonal W_h, zero bias."""
    return init_gated_params(input_size, hidden_size, N_GATES, seed=seed, dtype=dtype, xp=xp)


def forward(params, X, state=None):
    """Run the RNN over a sequence.

    Inputs: params (W_x (D, H), W_h (H, H), b (H,)); X (T, B, D); state None (zeros) or h0 (B, H).
    Returns: Y (T, B, H), h_T (B, H), cache.
    """
    D, H = check_params(params, N_GATES, "RNN")
    T, B = check_sequence(X, D, "RNN")
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    xp = get_xp(X, W_x)
    dtype = W_x.dtype
    X = xp.asarray(X, dtype=dtype)
    hs = xp.empty((T + 1, B, H), dtype=dtype)  # hs[0] = h0, hs[t+1] = h_t
    if state is None:
        hs[0] = 0
    else:
        check_state(state, "state h", B, H)
        hs[0] = xp.asarray(state, dtype=dtype)  # CuPy's setitem refuses a NumPy state: copy it first
    A = (X.reshape(T * B, D) @ W_x).reshape(T, B, H) + b
    for t in range(T):
        hs[t + 1] = xp.tanh(A[t] + hs[t] @ W_h)
    return hs[1:], hs[T], (params, X, hs)


def backward(dY, cache, d_state=None):
    """BPTT. dY (T, B, H) or None; d_state None or dh_T (B, H).

    Returns grads (keys and shapes of params), dX (T, B, D), dh_0 (B, H).
    """
    params, X, hs = cache
    W_x, W_h = params["W_x"], params["W_h"]
    xp = get_xp(X, W_x)
    T, B, D = X.shape
    H = W_h.shape[0]
    dtype = W_x.dtype
    dY, (dh,) = backward_seeds(dY, d_state, T, B, H, xp, dtype, ("dh",))
    dA = xp.empty((T, B, H), dtype=dtype)
    for t in reversed(range(T)):
        dh = dh + dY[t]
        dA[t] = dh * (1 - hs[t + 1] * hs[t + 1])
        dh = dA[t] @ W_h.T
    grads, dX = projection_grads(X, hs[:-1], dA, W_x)
    return grads, dX, dh
