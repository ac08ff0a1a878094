"""Notebook 04's exercises: a bidirectional RNN and a stacked RNN, built from ``rnnlab.layers.rnn``.

References: ``rnnlab.layers.bidirectional.forward`` and ``rnnlab.layers.stacked.forward`` with the RNN layer.
"""
from __future__ import annotations

from ..layers import bidirectional, rnn, stacked
from .checking import check_function, random_cases
from .nb01_rnn import rnn_params

__all__ = ["check_bidirectional_forward", "check_stacked_forward"]

SEQUENCE_SHAPES = ({"T": 1, "B": 1, "D": 1, "H": 1}, {"T": 4, "B": 2, "D": 3, "H": 2}, {"T": 6, "B": 1, "D": 2, "H": 5},
                   {"T": 3, "B": 3, "D": 1, "H": 1})


def bidirectional_forward(params_fwd, params_bwd, X):
    """Reference: Y (T, B, 2H) = [forward states, backward states] of two RNNs over X (T, B, D)."""
    return bidirectional.forward(rnn, params_fwd, params_bwd, X)[0]


def _two_directions(rng, dtype, *, T, B, D, H, scale):
    X = rng.standard_normal((T, B, D)).astype(dtype)
    return rnn_params(rng, D, H, dtype), rnn_params(rng, D, H, dtype), X


def check_bidirectional_forward(student) -> None:
    """``bidirectional_forward(params_fwd, params_bwd, X)`` on 8 cases, float64 and float32."""
    check_function("bidirectional_forward", student, bidirectional_forward,
                   random_cases(_two_directions, SEQUENCE_SHAPES))


def stacked_forward(params_list, X):
    """Reference: the top layer's states Y (T, B, H_L) of L stacked RNNs over X (T, B, D)."""
    return stacked.forward(rnn, params_list, X)[0]


def _layers(rng, dtype, *, T, B, D, H, scale):
    sizes = [D, H, H + 1, max(1, H - 1)][: 2 + T % 3]  # 1 to 3 layers of different widths
    params_list = [rnn_params(rng, d_in, d_out, dtype) for d_in, d_out in zip(sizes, sizes[1:])]
    return params_list, rng.standard_normal((T, B, D)).astype(dtype)


def check_stacked_forward(student) -> None:
    """``stacked_forward(params_list, X)`` on 8 cases (1 to 3 layers of different widths), float64 and float32."""
    check_function("stacked_forward", student, stacked_forward, random_cases(_layers, SEQUENCE_SHAPES))
