"""Bidirectional recurrent layer: one layer reads the sequence forwards, a second one backwards.

Time-major: ``X`` is (T, B, D). The output at step t joins both directions' hidden states::

    Y[t] = [h_fwd_t, h_bwd_t]      (T, B, 2H)

where h_fwd_t has read x_1..x_t and h_bwd_t has read x_T..x_t. Each direction has its own
parameters in the cell's convention (``rnnlab.layers.rnn``, ``lstm`` or ``gru``). Because h_bwd_t needs the
*future* inputs, a bidirectional layer cannot forecast: use it only when the whole sequence is known.
"""
from __future__ import annotations

from ..backend import get_xp


def forward(layer, params_fwd, params_bwd, X, states=None):
    """Run both directions.

    Inputs:
        layer: a layer module (``rnnlab.layers.rnn``, ``lstm``, ``gru``)
        params_fwd, params_bwd: the two directions' parameter dicts (same D and H)
        X: (T, B, D)
        states: None or a pair (state_fwd, state_bwd); the backward direction starts after x_T
    Returns:
        Y: (T, B, 2H), forward states in Y[..., :H], backward ones in Y[..., H:]
        states_T: (final forward state, after x_T; final backward state, after x_1)
        cache
    """
    if params_fwd["W_h"].shape != params_bwd["W_h"].shape or params_fwd["W_x"].shape != params_bwd["W_x"].shape:
        raise ValueError(
            f"params_fwd and params_bwd must have equal shapes; got W_x {tuple(params_fwd['W_x'].shape)} vs "
            f"{tuple(params_bwd['W_x'].shape)}, W_h {tuple(params_fwd['W_h'].shape)} vs {tuple(params_bwd['W_h'].shape)}"
        )
    s_fwd, s_bwd = (None, None) if states is None else states
    Y_f, sT_f, cache_f = layer.forward(params_fwd, X, s_fwd)
    # The backward direction is the same layer run on the time-reversed sequence.
    Y_b_rev, sT_b, cache_b = layer.forward(params_bwd, X[::-1], s_bwd)
    xp = get_xp(Y_f)
    Y = xp.concatenate([Y_f, Y_b_rev[::-1]], axis=-1)
    return Y, (sT_f, sT_b), (layer, Y_f.shape[-1], cache_f, cache_b)


def backward(dY, cache, d_states=None):
    """BPTT for both directions.

    Inputs: dY (T, B, 2H) or None; d_states None or a pair (d of final forward state, d of final backward state).
    Returns: grads_fwd, grads_bwd (dicts), dX (T, B, D), d_states0 (pair of initial-state gradients).
    """
    layer, H, cache_f, cache_b = cache
    d_f, d_b = (None, None) if d_states is None else d_states
    if dY is None:
        dY_f = dY_b_rev = None
    else:
        if dY.ndim != 3 or dY.shape[-1] != 2 * H:
            raise ValueError(f"dY must have shape (T, B, {2 * H}); got {tuple(dY.shape)}")
        xp = get_xp(dY)
        dY_f = xp.ascontiguousarray(dY[..., :H])
        dY_b_rev = xp.ascontiguousarray(dY[::-1, :, H:])
    grads_f, dX_f, ds0_f = layer.backward(dY_f, cache_f, d_f)
    grads_b, dX_b_rev, ds0_b = layer.backward(dY_b_rev, cache_b, d_b)
    return grads_f, grads_b, dX_f + dX_b_rev[::-1], (ds0_f, ds0_b)
