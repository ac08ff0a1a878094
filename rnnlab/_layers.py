"""What rnn, lstm and gru share: parameter creation, backward seeds, the loop-free gradients."""
from __future__ import annotations

import numpy as np

from ._checks import check_dY, check_state
from .init import gate_blocks, glorot_uniform, orthogonal


def init_gated_params(input_size: int, hidden_size: int, n_gates: int, *, seed: int, dtype, xp, bias=None):
    """W_x (D, G*H) Glorot uniform per gate, W_h (H, G*H) orthogonal per gate, b zeros (or ``bias``)."""
    if input_size < 1 or hidden_size < 1:
        raise ValueError(
            f"input_size and hidden_size must be >= 1; got input_size={input_size}, hidden_size={hidden_size}"
        )
    rng = np.random.default_rng(seed)
    W_x = gate_blocks(glorot_uniform, input_size, hidden_size, n_gates, rng, dtype)
    W_h = gate_blocks(orthogonal, hidden_size, hidden_size, n_gates, rng, dtype)
    b = np.zeros(n_gates * hidden_size, dtype=dtype) if bias is None else bias.astype(dtype)
    return {"W_x": xp.asarray(W_x), "W_h": xp.asarray(W_h), "b": xp.asarray(b)}


def backward_seeds(dY, d_state, T: int, B: int, H: int, xp, dtype, state_names: tuple):
    """Check and cast what a backward pass starts from.

    Returns ``dY`` as a (T, B, H) array (zeros when None) and a list with one (B, H)
    array per final-state gradient named in ``state_names`` (zeros when ``d_state`` is None);
    the state gradients are fresh arrays, so the caller's are never modified.
    """
    if dY is None:
        dY = xp.zeros((T, B, H), dtype=dtype)
    check_dY(dY, (T, B, H))
    if d_state is None:
        return dY, [xp.zeros((B, H), dtype=dtype) for _ in state_names]
    if len(state_names) > 1 and (not isinstance(d_state, (tuple, list)) or len(d_state) != len(state_names)):
        raise ValueError(f"d_state must be a tuple ({', '.join(state_names)}) of (B, H) arrays or None")
    parts = d_state if len(state_names) > 1 else (d_state,)
    seeds = []
    for name, s in zip(state_names, parts):
        check_state(s, f"d_state {name}", B, H)
        seeds.append(xp.array(s, dtype=dtype))
    return dY, seeds


def projection_grads(X, h_prev, dA, W_x):
    """Gradients of the parts of a recurrent layer that need no time loop.

    With a_t = x_t W_x + h_{t-1} W_h + b, every step's contribution to dW_x, dW_h and db
    is a product of that step's rows, so all T steps sum in one matrix product each.
    X (T, B, D), h_prev (T, B, H): the states h_0..h_{T-1}, dA (T, B, G*H): dL/da_t.
    Returns ({"W_x": (D, G*H), "W_h": (H, G*H), "b": (G*H,)}, dX (T, B, D)).
    """
    T, B, D = X.shape
    dA2 = dA.reshape(T * B, dA.shape[-1])
    grads = {
        "W_x": X.reshape(T * B, D).T @ dA2,
        "W_h": h_prev.reshape(T * B, h_prev.shape[-1]).T @ dA2,
        "b": dA2.sum(axis=0),
    }
    return grads, (dA2 @ W_x.T).reshape(T, B, D)
