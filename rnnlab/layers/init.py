"""Weight initialisers: orthogonal (for recurrent weights) and Glorot uniform (for input weights)."""
from __future__ import annotations

import numpy as np


def orthogonal(shape, rng: np.random.Generator, dtype=np.float64):
    """A matrix with orthonormal rows or columns, from the QR decomposition of a Gaussian matrix.

    The signs of R's diagonal are folded into Q, so the result is uniformly
    distributed over orthogonal matrices (Mezzadri, 2007), not biased by the QR routine.
    """
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return q.astype(dtype)


def glorot_uniform(shape, rng: np.random.Generator, dtype=np.float64):
    """Uniform in [-a, a] with a = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def gate_blocks(init, rows: int, hidden: int, n_gates: int, rng, dtype):
    """``n_gates`` blocks of shape (rows, hidden), each initialised on its own, side by side."""
    return np.concatenate([init((rows, hidden), rng, dtype) for _ in range(n_gates)], axis=1)
