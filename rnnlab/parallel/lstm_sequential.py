"""The sequential LSTM: one sample and one time step at a time, the way the seed projects write it.

This is the honest baseline that the batched :mod:`rnnlab.layers.lstm` and the GPU versions are measured
against. It loops over the samples of the batch, and for each sample over the time steps; every gate
gets its own matrix-vector products ``x_t @ W_x[:, block]`` and ``h_{t-1} @ W_h[:, block]``. Nothing
is batched, neither over samples nor over gates nor over time. The cell's equations (gates, c_t, h_t
and their backward) are those of :mod:`rnnlab.layers.lstm_cell`, called on one sample's vectors: the same
code as the batched layer's, so the two differ only in how the products are organised.

Same contract, parameters and numbers as :mod:`rnnlab.layers.lstm` (time-major ``X`` (T, B, D), gates in
PyTorch's order i, f, g, o, state (h, c))::

    forward(params, X, state=None) -> (Y (T, B, H), (h_T, c_T), cache)
    backward(dY, cache, d_state=None) -> (grads, dX (T, B, D), (dh_0, dc_0))

It is meant to be slow, not careless: gate blocks are views (no copies of the weights), the loops
only run over samples and steps (never over hidden units), and the results are written straight
into arrays allocated once per call. Every array function comes from the inputs' array module.
"""
from __future__ import annotations

from ..layers.lstm import init_params, prepare_backward, prepare_forward  # noqa: F401  (same params as rnnlab.layers.lstm)
from ..layers.lstm_cell import N_GATES, LSTMCell, forward_buffers, gate_views


def forward(params, X, state=None):
    """:func:`rnnlab.layers.lstm.forward`, computed one sample and one step at a time.

    Takes params, X (T, B, D) and state (None or (h0, c0)); returns Y (T, B, H), (h_T, c_T) each (B, H),
    and a cache with the layout of rnnlab.layers.lstm's, so that either backward can follow either forward.
    """
    xp, X, (T, B, D, H), (h0, c0) = prepare_forward(params, X, state)
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    cell = LSTMCell((), H, X.dtype, xp)

    # Each gate's own blocks of the weights: Wx_blocks[k] (D, H), Wh_blocks[k] (H, H), b_blocks[k] (H,).
    Wx_blocks, Wh_blocks, b_blocks = gate_views(W_x, H), gate_views(W_h, H), gate_views(b, H)
    gates, hs, cs, tanh_cs = forward_buffers(T, B, H, xp, X.dtype)
    hs[0], cs[0] = h0, c0
    for n in range(B):  # one sample at a time
        for t in range(T):  # one step at a time
            x, h = X[t, n], hs[t, n]  # (D,), (H,)
            a = gates[t, n]  # (4H,) the pre-activations, activated in place by the cell
            for a_gate, Wx_gate, Wh_gate, b_gate in zip(gate_views(a, H), Wx_blocks, Wh_blocks, b_blocks):
                a_gate[...] = x @ Wx_gate + h @ Wh_gate + b_gate  # one gate at a time, as the seed writes it
            cell.forward(a, cs[t, n], cs[t + 1, n], tanh_cs[t, n], hs[t + 1, n])
    cache = (params, X, hs, cs, tanh_cs, gates)
    return hs[1:], (hs[T], cs[T]), cache


def backward(dY, cache, d_state=None):
    """:func:`rnnlab.layers.lstm.backward`, computed one sample and one step (backwards) at a time.

    Takes dY (T, B, H) or None, the cache of either forward and d_state (None or (dh_T, dc_T));
    returns grads (W_x (D, 4H), W_h (H, 4H), b (4H,)), dX (T, B, D) and (dh_0, dc_0), each (B, H).
    """
    # dh_T and dc_T are fresh arrays: each sample's row is updated in place and ends as dh_0, dc_0.
    xp, (T, B, D, H), dY, (dh_rec, dc) = prepare_backward(dY, cache, d_state)
    params, X, hs, cs, tanh_cs, gates = cache
    dtype = params["W_x"].dtype
    cell = LSTMCell((), H, dtype, xp)

    grads = {k: xp.zeros(params[k].shape, dtype=dtype) for k in ("W_x", "W_h", "b")}
    # Per gate: its blocks of W_x and W_h, and of the gradients (views: accumulating into them fills grads).
    per_gate = (params["W_x"], params["W_h"], grads["W_x"], grads["W_h"], grads["b"])
    gate_blocks = list(zip(*(gate_views(a, H) for a in per_gate)))
    dX = xp.zeros((T, B, D), dtype=dtype)
    da = xp.empty(N_GATES * H, dtype=dtype)  # dL/da_t of one sample and step
    for n in range(B):
        for t in reversed(range(T)):
            dh = dh_rec[n] + dY[t, n]  # dh_rec[n]: dL/dh_t through step t+1
            # dc[n] becomes dL/dc_{t-1}
            cell.backward(dh, dc[n], gates[t, n], cs[t, n], tanh_cs[t, n], da)
            x, h_prev = X[t, n], hs[t, n]
            dh_rec[n] = 0
            for da_gate, (Wx_gate, Wh_gate, dWx_gate, dWh_gate, db_gate) in zip(gate_views(da, H), gate_blocks):
                # one gate at a time, as the seed writes it
                dWx_gate += xp.outer(x, da_gate)
                dWh_gate += xp.outer(h_prev, da_gate)
                db_gate += da_gate
                dX[t, n] += Wx_gate @ da_gate
                dh_rec[n] += Wh_gate @ da_gate
    return grads, dX, (dh_rec, dc)
