"""What rnn, lstm and gru share: parameters, input checks, the input projection, the loop-free gradients."""
from __future__ import annotations

import numpy as np

from .._checks import check_dY, check_params, check_sequence, check_state
from ..backend import get_xp
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


def check_inputs(params, X, n_gates: int, name: str) -> tuple[int, int, int, int]:
    """Check the params (W_x (D, G*H), W_h (H, G*H), b (G*H,)) and X (T, B, D) of a forward pass.

    Returns the sizes (T, B, D, H); every failure is a ValueError that names ``name`` and the shapes.
    """
    D, H = check_params(params, n_gates, name)
    T, B = check_sequence(X, D, name)
    return T, B, D, H


def prepare_hidden_forward(params, X, state, n_gates: int, name: str):
    """Check and cast the inputs of a layer whose state is h alone (rnn, gru); what its loop starts from.

    Returns xp, X (T, B, D) in the params' dtype, the sizes (T, B, D, H), hs (T+1, B, H) with
    hs[0] = h0 (zeros for ``state=None``) and hs[1:] left for the layer to fill, and the input
    projection A (T, B, G*H) = x_t W_x + b of every step (:func:`input_projection`).
    """
    T, B, D, H = check_inputs(params, X, n_gates, name)
    xp = get_xp(X, params["W_x"])
    dtype = params["W_x"].dtype
    hs = xp.empty((T + 1, B, H), dtype=dtype)
    if state is None:
        hs[0] = 0
    else:
        check_state(state, "state h", B, H)
        hs[0] = xp.asarray(state, dtype=dtype)  # CuPy's setitem refuses a NumPy state: copy it first
    X = xp.asarray(X, dtype=dtype)
    return xp, X, (T, B, D, H), hs, input_projection(X, params["W_x"], params["b"], xp)


def input_projection(X, W_x, b, xp):
    """x_t W_x + b for every step at once: (T, B, G*H) from X (T, B, D), W_x (D, G*H), b (G*H,).

    It does not depend on h, so all T steps share one matrix product. ``xp.dot``, not ``@``: NumPy's
    matmul does not hand an inner size of D = 1 (one feature, as in the airline data) to BLAS and is
    ten times slower there; dot does.
    """
    T, B, D = X.shape
    XA = xp.dot(X.reshape(T * B, D), W_x).reshape(T, B, W_x.shape[1])
    XA += b
    return XA


def check_backward(dY, d_state, params, X, xp, state_names: tuple):
    """Check and cast what a backward pass starts from, given the params and the X (T, B, D) of its forward.

    Returns the sizes (T, B, D, H), ``dY`` as a (T, B, H) array (zeros when None) and a list with one
    (B, H) array per final-state gradient named in ``state_names`` (zeros when ``d_state`` is None);
    the state gradients are fresh arrays, so the caller's are never modified.
    """
    T, B, D = X.shape
    H = params["W_h"].shape[0]
    dtype = params["W_x"].dtype
    if dY is None:
        dY = xp.zeros((T, B, H), dtype=dtype)
    check_dY(dY, (T, B, H))
    if d_state is None:
        return (T, B, D, H), dY, [xp.zeros((B, H), dtype=dtype) for _ in state_names]
    if len(state_names) > 1 and (not isinstance(d_state, (tuple, list)) or len(d_state) != len(state_names)):
        raise ValueError(f"d_state must be a tuple ({', '.join(state_names)}) of (B, H) arrays or None")
    parts = d_state if len(state_names) > 1 else (d_state,)
    seeds = []
    for name, s in zip(state_names, parts):
        check_state(s, f"d_state {name}", B, H)
        seeds.append(xp.array(s, dtype=dtype))
    return (T, B, D, H), dY, seeds


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
