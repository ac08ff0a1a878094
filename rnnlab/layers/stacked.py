"""Deep (stacked) recurrent layers: layer l reads the hidden states of layer l - 1.

Time-major as everywhere in rnnlab: ``X`` is (T, B, D), the output ``Y`` is (T, B, H_L), the
hidden states of the top layer. With L layers::

    h^(0)_t = x_t
    h^(l)_t = cell_l(h^(l-1)_t, h^(l)_{t-1})        l = 1..L

Any module with the rnnlab layer contract (``rnnlab.layers.rnn``, ``lstm``, ``gru``) works as a cell;
``params_list[l]`` holds layer l's ``W_x`` (H_{l-1}, G*H_l), ``W_h`` (H_l, G*H_l), ``b`` (G*H_l,).
States are lists with one entry per layer, each in that layer's own format (``h`` or ``(h, c)``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _layers(layer, n: int) -> list:
    """One module for every layer, or a sequence of n modules."""
    if isinstance(layer, Sequence):
        if len(layer) != n:
            raise ValueError(f"layer has {len(layer)} modules but params_list has {n} layers")
        return list(layer)
    return [layer] * n


def init_params(layer, input_size: int, hidden_sizes: Sequence[int], *, seed: int = 0, dtype=np.float32, xp=np):
    """Parameters for len(hidden_sizes) stacked layers; layer l is seeded with ``seed + l``.

    Returns a list of dicts: layer 0 has W_x (input_size, G*H_0), layer l > 0 has W_x (H_{l-1}, G*H_l).
    """
    if len(hidden_sizes) < 1:
        raise ValueError(f"hidden_sizes needs at least one layer; got {list(hidden_sizes)}")
    mods = _layers(layer, len(hidden_sizes))
    sizes = [input_size, *hidden_sizes]
    return [
        mod.init_params(sizes[l], sizes[l + 1], seed=seed + l, dtype=dtype, xp=xp) for l, mod in enumerate(mods)
    ]


def forward(layer, params_list, X, states=None):
    """Run L stacked layers over a sequence.

    Inputs:
        layer: a layer module (used for every layer) or a sequence of L modules
        params_list: list of L parameter dicts
        X: (T, B, D)
        states: None (zeros everywhere) or a list of L initial states (each None or the layer's state)
    Returns:
        Y: (T, B, H_L) hidden states of the top layer
        states_T: list of L final states
        cache: what backward needs
    """
    L = len(params_list)
    if L < 1:
        raise ValueError("params_list needs at least one layer")
    mods = _layers(layer, L)
    if states is None:
        states = [None] * L
    if len(states) != L:
        raise ValueError(f"states has {len(states)} entries but params_list has {L} layers")
    inp, states_T, caches = X, [], []
    for mod, params, s0 in zip(mods, params_list, states):
        inp, s_T, cache = mod.forward(params, inp, s0)
        states_T.append(s_T)
        caches.append(cache)
    return inp, states_T, (mods, caches)


def backward(dY, cache, d_states=None):
    """BPTT through all layers, top to bottom.

    Inputs: dY (T, B, H_L) or None; d_states None or a list of L gradients of the final states
    (each None or in the layer's state format).
    Returns: grads_list (L dicts shaped like params_list), dX (T, B, D), d_states0 (list of L).
    """
    mods, caches = cache
    L = len(mods)
    if d_states is None:
        d_states = [None] * L
    if len(d_states) != L:
        raise ValueError(f"d_states has {len(d_states)} entries but the stack has {L} layers")
    grads_list, d_states0 = [None] * L, [None] * L
    d_out = dY
    for l in reversed(range(L)):
        grads_list[l], d_out, d_states0[l] = mods[l].backward(d_out, caches[l], d_states[l])
    return grads_list, d_out, d_states0
