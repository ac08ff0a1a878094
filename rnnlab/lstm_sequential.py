"""The sequential LSTM: one sample and one time step at a time, the way the seed projects write it.

This is the honest baseline that the batched :mod:`rnnlab.lstm` and the GPU versions are measured
against. It loops over the samples of the batch, and for each sample over the time steps; every gate
gets its own matrix-vector products ``x_t @ W_x[:, block]`` and ``h_{t-1} @ W_h[:, block]``. Nothing
is batched, neither over samples nor over gates nor over time.

Same contract, parameters and numbers as :mod:`rnnlab.lstm` (time-major ``X`` (T, B, D), gates in
PyTorch's order i, f, g, o, state (h, c))::

    forward(params, X, state=None) -> (Y (T, B, H), (h_T, c_T), cache)
    backward(dY, cache, d_state=None) -> (grads, dX (T, B, D), (dh_0, dc_0))

It is meant to be slow, not careless: gate blocks are views (no copies of the weights), the loops
only run over samples and steps (never over hidden units), and the results are written straight
into arrays allocated once per call. Every array function comes from the inputs' array module.
"""
from __future__ import annotations

from ._layers import backward_seeds
from .backend import get_xp
from .functional import sigmoid
from .lstm import N_GATES, init_params, prepare_forward  # noqa: F401  (same params as rnnlab.lstm)


def _blocks(a, H):
    """The four gate blocks i, f, g, o of the last axis of ``a``, as views (no copies)."""
    return [a[..., k * H : (k + 1) * H] for k in range(N_GATES)]


def forward(params, X, state=None):
    """Run the LSTM over a sequence, sample by sample and step by step.

    Inputs:
        params: dict with W_x (D, 4H), W_h (H, 4H), b (4H,)
        X: (T, B, D) input sequence
        state: None (zeros) or a pair (h0, c0), each (B, H)
    Returns:
        Y: (T, B, H) hidden states h_1..h_T
        state_T: (h_T, c_T), each (B, H)
        cache: what backward needs (the same layout as rnnlab.lstm's cache)
    """
    xp, X, (T, B, D, H), (h0, c0) = prepare_forward(params, X, state)
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    dtype = W_x.dtype

    Wx_i, Wx_f, Wx_g, Wx_o = _blocks(W_x, H)  # each (D, H)
    Wh_i, Wh_f, Wh_g, Wh_o = _blocks(W_h, H)  # each (H, H)
    b_i, b_f, b_g, b_o = _blocks(b, H)  # each (H,)

    gates = xp.empty((T, B, N_GATES * H), dtype=dtype)  # activated i, f, g, o
    hs = xp.empty((T + 1, B, H), dtype=dtype)  # hs[0] = h0, hs[t+1] = h_t
    cs = xp.empty((T + 1, B, H), dtype=dtype)
    tanh_cs = xp.empty((T, B, H), dtype=dtype)
    hs[0], cs[0] = h0, c0
    for n in range(B):  # one sample at a time
        for t in range(T):  # one step at a time
            x, h, c = X[t, n], hs[t, n], cs[t, n]  # (D,), (H,), (H,)
            gate_i, gate_f, gate_g, gate_o = _blocks(gates[t, n], H)
            gate_i[...] = sigmoid(x @ Wx_i + h @ Wh_i + b_i)
            gate_f[...] = sigmoid(x @ Wx_f + h @ Wh_f + b_f)
            gate_g[...] = xp.tanh(x @ Wx_g + h @ Wh_g + b_g)
            gate_o[...] = sigmoid(x @ Wx_o + h @ Wh_o + b_o)
            cs[t + 1, n] = gate_f * c + gate_i * gate_g
            tanh_cs[t, n] = xp.tanh(cs[t + 1, n])
            hs[t + 1, n] = gate_o * tanh_cs[t, n]
    cache = (params, X, hs, cs, tanh_cs, gates)
    return hs[1:], (hs[T], cs[T]), cache


def backward(dY, cache, d_state=None):
    """Backpropagation through time, sample by sample and step by step (backwards).

    Inputs:
        dY: (T, B, H) gradient of the loss with respect to Y, or None for zeros
        cache: from forward
        d_state: None or (dh_T, dc_T), gradients with respect to the final state, each (B, H)
    Returns:
        grads: dict with the keys and shapes of params (W_x (D, 4H), W_h (H, 4H), b (4H,))
        dX: (T, B, D)
        d_state0: (dh_0, dc_0), each (B, H)
    """
    params, X, hs, cs, tanh_cs, gates = cache
    W_x, W_h = params["W_x"], params["W_h"]
    xp = get_xp(X, W_x)
    T, B, D = X.shape
    H = W_h.shape[0]
    dtype = W_x.dtype
    dY, (dh_T, dc_T) = backward_seeds(dY, d_state, T, B, H, xp, dtype, ("dh", "dc"))

    Wx_blocks = _blocks(W_x, H)
    Wh_blocks = _blocks(W_h, H)
    grads = {k: xp.zeros(params[k].shape, dtype=dtype) for k in ("W_x", "W_h", "b")}
    dWx_blocks = _blocks(grads["W_x"], H)  # views: accumulating into them fills grads
    dWh_blocks = _blocks(grads["W_h"], H)
    db_blocks = _blocks(grads["b"], H)
    dX = xp.empty((T, B, D), dtype=dtype)
    dh0 = xp.empty((B, H), dtype=dtype)
    dc0 = xp.empty((B, H), dtype=dtype)

    for n in range(B):
        dh, dc = dh_T[n], dc_T[n]  # read only: every update below makes a new array
        for t in reversed(range(T)):
            i, f, g, o = _blocks(gates[t, n], H)
            dh = dh + dY[t, n]
            tc = tanh_cs[t, n]
            dc = dc + dh * o * (1 - tc * tc)
            # Gradients at the four gate pre-activations.
            da = (
                dc * g * i * (1 - i),
                dc * cs[t, n] * f * (1 - f),
                dc * i * (1 - g * g),
                dh * tc * o * (1 - o),
            )
            x, h_prev = X[t, n], hs[t, n]
            dx = dX[t, n]
            dx[...] = 0
            dh = xp.zeros(H, dtype=dtype)
            for k in range(N_GATES):  # one gate at a time, as the seed writes it
                dWx_blocks[k] += xp.outer(x, da[k])
                dWh_blocks[k] += xp.outer(h_prev, da[k])
                db_blocks[k] += da[k]
                dx += Wx_blocks[k] @ da[k]
                dh += Wh_blocks[k] @ da[k]
            dc = dc * f
        dh0[n], dc0[n] = dh, dc
    return grads, dX, (dh0, dc0)
