"""The minGRU layer with the recurrent layers' contract (forward, backward, init_params): see :mod:`.minrnn`."""
from __future__ import annotations

import numpy as np

from . import minrnn

N_GATES = 2
VARIANT = "mingru"


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32, xp=np):
    """W_x (D, 2H) Glorot uniform per block, b (2H,) zeros; no W_h (the gates do not read h)."""
    return minrnn.init_params(VARIANT, input_size, hidden_size, seed=seed, dtype=dtype, xp=xp)


def param_shapes(input_size: int, hidden_size: int) -> dict:
    return minrnn.param_shapes(VARIANT, input_size, hidden_size)


def forward(params, X, state=None, *, method: str = "blelloch"):
    """Y (T, B, H), h_T (B, H), cache; method is the scan's (:data:`rnnlab.parallel.scan.METHODS`)."""
    return minrnn.forward(VARIANT, params, X, state, method=method)


def backward(dY, cache, d_state=None):
    """grads {W_x, b}, dX (T, B, D), dh_0 (B, H)."""
    return minrnn.backward(dY, cache, d_state)
