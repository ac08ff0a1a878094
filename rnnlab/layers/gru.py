"""GRU layer, batched, forward and backward (BPTT), in the d2l / HUST convention.

Time-major: ``X`` is (T, B, D), ``Y`` is (T, B, H). Parameters::

    W_x (D, 3H)   W_h (H, 3H)   b (3H,)     gate blocks r, z, candidate (n)

One step::

    r = sigmoid(x W_x[:, r] + h_{t-1} W_h[:, r] + b[r])
    z = sigmoid(x W_x[:, z] + h_{t-1} W_h[:, z] + b[z])
    n = tanh(x W_x[:, n] + (r * h_{t-1}) W_h[:, n] + b[n])
    h_t = z * h_{t-1} + (1 - z) * n

The update gate z keeps the *old* state here. The VietAI slides write
h_t = (1 - z) h_{t-1} + z n (z keeps the candidate), and torch.nn.GRU applies r
after the product, r * (h_{t-1} W_hn + b_hn): notebook 03 contrasts the three.
The state is ``h`` alone, a (B, H) array.
"""
from __future__ import annotations

import numpy as np

from ..backend import get_xp
from ._common import check_backward, init_gated_params, prepare_hidden_forward, projection_grads
from .functional import sigmoid

GATES = ("r", "z", "n")  # the blocks of W_x, W_h and b, in this order: reset, update, candidate
N_GATES = len(GATES)


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32, xp=np):
    """Glorot-uniform W_x, orthogonal W_h (per gate), zero bias."""
    return init_gated_params(input_size, hidden_size, N_GATES, seed=seed, dtype=dtype, xp=xp)


def forward(params, X, state=None):
    """Run the GRU over a sequence.

    Inputs: params (W_x (D, 3H), W_h (H, 3H), b (3H,)); X (T, B, D); state None (zeros) or h0 (B, H).
    Returns: Y (T, B, H), h_T (B, H), cache.
    """
    xp, X, (T, B, D, H), hs, A = prepare_hidden_forward(params, X, state, N_GATES, "GRU")
    W_h, dtype = params["W_h"], X.dtype
    gates = xp.empty((T, B, N_GATES * H), dtype=dtype)  # activated r, z, n
    rh = xp.empty((T, B, H), dtype=dtype)  # r * h_{t-1}, the input of the candidate's W_h block
    W_h_rz, W_h_n = W_h[:, : 2 * H], W_h[:, 2 * H :]
    for t in range(T):
        h = hs[t]
        gates[t, :, : 2 * H] = sigmoid(A[t, :, : 2 * H] + h @ W_h_rz)
        r, z = gates[t, :, :H], gates[t, :, H : 2 * H]
        rh[t] = r * h
        n = xp.tanh(A[t, :, 2 * H :] + rh[t] @ W_h_n)
        gates[t, :, 2 * H :] = n
        hs[t + 1] = z * h + (1 - z) * n
    return hs[1:], hs[T], (params, X, hs, gates, rh)


def backward(dY, cache, d_state=None):
    """BPTT. dY (T, B, H) or None; d_state None or dh_T (B, H).

    Returns grads (keys and shapes of params), dX (T, B, D), dh_0 (B, H).
    """
    params, X, hs, gates, rh = cache
    W_x, W_h = params["W_x"], params["W_h"]
    xp = get_xp(X, W_x)
    (T, B, D, H), dY, (dh,) = check_backward(dY, d_state, params, X, xp, ("dh",))
    W_h_rz, W_h_n = W_h[:, : 2 * H], W_h[:, 2 * H :]
    dA = xp.empty((T, B, N_GATES * H), dtype=W_x.dtype)
    for t in reversed(range(T)):
        r, z, n = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H :]
        h_prev = hs[t]
        dh = dh + dY[t]
        dA[t, :, 2 * H :] = dh * (1 - z) * (1 - n * n)
        d_rh = dA[t, :, 2 * H :] @ W_h_n.T
        dA[t, :, :H] = d_rh * h_prev * r * (1 - r)
        dA[t, :, H : 2 * H] = dh * (h_prev - n) * z * (1 - z)
        dh = dh * z + d_rh * r + dA[t, :, : 2 * H] @ W_h_rz.T
    grads, dX = projection_grads(X, hs[:-1], dA, W_x)
    # The candidate block of W_h multiplies r * h_{t-1}, not h_{t-1}: its gradient uses rh.
    grads["W_h"][:, 2 * H :] = rh.reshape(T * B, H).T @ dA[..., 2 * H :].reshape(T * B, H)
    return grads, dX, dh
