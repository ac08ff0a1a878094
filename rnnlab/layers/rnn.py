"""Vanilla (Elman) tanh RNN layer, batched, forward and backward (BPTT).

Time-major: ``X`` is (T, B, D), ``Y`` is (T, B, H). Parameters::

    W_x (D, H)   W_h (H, H)   b (H,)      h_t = tanh(x_t W_x + h_{t-1} W_h + b)

``torch.nn.RNN`` converts as ``W_x = weight_ih_l0.T``, ``W_h = weight_hh_l0.T``,
``b = bias_ih_l0 + bias_hh_l0``. The state is ``h`` alone, a (B, H) array.
"""
from __future__ import annotations

import numpy as np

from ..backend import get_xp
from ._common import check_backward, init_gated_params, prepare_hidden_forward, projection_grads

N_GATES = 1


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32, xp=np):
    """Glorot-uniform W_x, orthogonal W_h, zero bias."""
    return init_gated_params(input_size, hidden_size, N_GATES, seed=seed, dtype=dtype, xp=xp)


def forward(params, X, state=None):
    """Run the RNN over a sequence.

    Inputs: params (W_x (D, H), W_h (H, H), b (H,)); X (T, B, D); state None (zeros) or h0 (B, H).
    Returns: Y (T, B, H), h_T (B, H), cache.
    """
    xp, X, (T, B, D, H), hs, A = prepare_hidden_forward(params, X, state, N_GATES, "RNN")
    W_h = params["W_h"]
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
    (T, B, D, H), dY, (dh,) = check_backward(dY, d_state, params, X, xp, ("dh",))
    dA = xp.empty((T, B, H), dtype=W_x.dtype)
    for t in reversed(range(T)):
        dh = dh + dY[t]
        dA[t] = dh * (1 - hs[t + 1] * hs[t + 1])
        dh = dA[t] @ W_h.T
    grads, dX = projection_grads(X, hs[:-1], dA, W_x)
    return grads, dX, dh
