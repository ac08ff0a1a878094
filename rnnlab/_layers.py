"""Parameter creation shared by rnn, lstm and gru."""
from __future__ import annotations

import numpy as np

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
