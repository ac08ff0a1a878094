"""Truncated backpropagation through time (TBPTT) for the LSTM layers: chunks of k steps, the state carried
from chunk to chunk, the gradient cut at every chunk boundary.

The sequence of T steps is cut into chunks [0, k), [k, 2k), ... (the last one shorter when k does not divide
T). The forward pass runs chunk after chunk, each starting from the state the previous chunk ended in, so the
outputs are those of the full forward pass. The backward pass of a chunk stops at the chunk's first step: the
state it started from is treated as a constant, so no gradient crosses a boundary. Only one chunk's cache is
alive at a time, which is what truncation saves: memory proportional to k instead of T, and a backward pass
over at most k steps per chunk. With k >= T there is one chunk, and the gradient is full BPTT's, exactly.

Works with either LSTM layer, :mod:`rnnlab.layers.lstm` or :mod:`rnnlab.parallel.lstm_sequential` (same
contract, same cache layout ``(params, X, hs, cs, tanh_cs, gates)``).
"""
from __future__ import annotations

import numbers

import numpy as np

from ..backend import get_xp
from ..layers.functional import mse
from .models import SequenceRegressor


def chunk_bounds(T: int, k: int, from_end: bool = False) -> list[tuple[int, int]]:
    """The chunks (start, stop), in order, of a sequence of T steps cut every k steps.

    From the start, [(0, k), (k, 2k), ..., (., T)], the last chunk shorter when k does not divide T; with
    ``from_end`` the cuts are counted back from T, so the last chunk is the full (T-k, T) and the first one
    is the shorter. Raises ValueError, naming k and T, unless k is a positive integer (k >= T: one chunk).
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k (the chunk length of truncated BPTT) must be a positive integer; got k={k!r} "
                         f"for a sequence of T={T} steps")
    k = int(k)
    if from_end:
        return [(max(stop - k, 0), stop) for stop in range(T, 0, -k)][::-1]
    return [(start, min(start + k, T)) for start in range(0, T, k)]


def lstm_cache_bytes(T: int, B: int, H: int, itemsize: int) -> int:
    """Bytes an LSTM forward pass over T steps keeps for its backward pass (besides params and X).

    gates (T, B, 4H), hs and cs (T+1, B, H) each, tanh_cs (T, B, H): itemsize * B * H * (7T + 2).
    """
    return int(itemsize) * int(B) * int(H) * (7 * int(T) + 2)


def cache_bytes(cache) -> int:
    """Bytes held by the arrays of an LSTM cache that its forward pass allocated (hs, cs, tanh_cs, gates)."""
    _, _, hs, cs, tanh_cs, gates = cache
    return int(hs.nbytes + cs.nbytes + tanh_cs.nbytes + gates.nbytes)


def _detached(state):
    """A copy of the state (h, c): the next chunk starts from its values, and the old cache can be freed."""
    return tuple(s.copy() for s in state)


def truncated_bptt(layer, params, X, k, dY=None, d_state=None, state=None):
    """Forward and truncated backward of an LSTM layer over X (T, B, D), in chunks of k steps.

    Inputs:
        layer: rnnlab.layers.lstm or rnnlab.parallel.lstm_sequential
        params: the layer's W_x (D, 4H), W_h (H, 4H), b (4H,)
        X: (T, B, D);  k: the chunk length, a positive integer
        dY: (T, B, H) gradient of the loss with respect to the outputs, or None (zeros)
        d_state: None or (dh_T, dc_T), gradients with respect to the final state, each (B, H)
        state: None (zeros) or the initial (h0, c0), each (B, H)
    Returns:
        Y (T, B, H) and (h_T, c_T): the same as the full forward pass;
        grads: the sum over the chunks of each chunk's own gradient (nothing crosses a boundary);
        dX (T, B, D); d_state0: (dh_0, dc_0) from the first chunk (zeros if nothing reaches it);
        peak_bytes: the largest cache alive at any time (cache_bytes of the longest chunk).
    A chunk that receives no gradient (dY None, not the last chunk) is only run forward.
    """
    if getattr(X, "ndim", None) != 3:
        raise ValueError(f"X must be (T, B, D); got shape {tuple(getattr(X, 'shape', ()))}")
    T = X.shape[0]
    if dY is not None and tuple(getattr(dY, "shape", ()))[:1] != (T,):
        raise ValueError(f"dY must be (T, B, H) with T = {T} as X {tuple(X.shape)}; got {tuple(dY.shape)}")
    bounds = chunk_bounds(T, k)
    xp = get_xp(X, params["W_x"])
    Y, grads, dX, d_state0, peak = None, None, None, None, 0
    for j, (start, stop) in enumerate(bounds):
        last = j == len(bounds) - 1
        Y_j, state_j, cache = layer.forward(params, X[start:stop], state)
        peak = max(peak, cache_bytes(cache))
        if Y is None:
            Y = xp.empty((T, *Y_j.shape[1:]), dtype=Y_j.dtype)
            dX = xp.zeros((T, *X.shape[1:]), dtype=Y_j.dtype)
            grads = {key: xp.zeros_like(params[key]) for key in ("W_x", "W_h", "b")}
        Y[start:stop] = Y_j
        if dY is not None or last:
            # The gradient at the chunk's end: d_state for the last chunk, nothing for the others (the cut).
            g_j, dX_j, d_start = layer.backward(None if dY is None else dY[start:stop], cache,
                                                d_state if last else None)
            for key in grads:
                grads[key] += g_j[key]
            dX[start:stop] = dX_j
            if j == 0:
                d_state0 = d_start
        state = _detached(state_j)
        del cache, state_j  # only one chunk's cache is alive at a time
    if d_state0 is None:
        zeros = xp.zeros_like(state[0])
        d_state0 = (zeros, zeros.copy())
    return Y, state, grads, dX, d_state0, peak


class TruncatedBPTTRegressor(SequenceRegressor):
    """:class:`~rnnlab.training.models.SequenceRegressor` (LSTM) trained with truncated BPTT of chunk length k.

    ``TruncatedBPTTRegressor(input_size, hidden_size, output_size, k, seed=0, dtype=np.float64, xp=np,
    layer=None)``. Its parameters, forward pass, predictions and loss are the regressor's; only
    ``loss_and_grads`` differs: the loss reads h_T, so the gradient enters the last chunk and stops at its
    first step. The chunks are counted back from T (``chunk_bounds(T, k, from_end=True)``), so the gradient
    sees the last k steps. The chunks before run forward only, and no cache but the current chunk's is kept.
    With k >= T the gradients are the regressor's, exactly. Pass it to ``rnnlab.training.train.fit``.
    """

    def __init__(self, input_size, hidden_size, output_size, k, seed=0, dtype=np.float64, xp=np, layer=None):
        super().__init__(input_size, hidden_size, output_size, cell="lstm", seed=seed, dtype=dtype, xp=xp,
                         layer=layer)
        chunk_bounds(1, k)  # checks k
        self.k = int(k)
        self.last_peak_bytes = None  # cache bytes of the last call of loss_and_grads

    def config(self) -> dict:
        return {**super().config(), "k": self.k}

    def loss_and_grads(self, params, X, Y):
        """(loss, grads) with the gradient truncated to the last chunk; X (T, B, D), Y (B, K)."""
        self._check_batch(X, Y, (self.output_size,), "Y")
        self._check_params(params)
        layer_params = {key: params[key] for key in ("W_x", "W_h", "b")}
        state, cache, peak = None, None, 0
        for start, stop in chunk_bounds(X.shape[0], self.k, from_end=True):
            if cache is not None:
                state, cache = _detached(state), None  # frees the previous chunk's cache before the next
            _, state, cache = self.layer.forward(layer_params, X[start:stop], state)
            peak = max(peak, cache_bytes(cache))
        self.last_peak_bytes = peak
        h_T = state[0]
        pred = h_T @ params["W_y"] + params["b_y"]
        loss, dpred = mse(pred, Y)
        return float(loss), self._head_backward(dpred, (params, h_T, cache, True))
