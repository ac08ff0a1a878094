"""rnnlab: the code the "Parallel LSTM" course teaches.

Recurrent layers (``rnn``, ``lstm``, ``gru``) are written once against the array
module of their inputs, so the same functions run on NumPy and on CuPy arrays.
"""
from . import (  # noqa: F401
    backend,
    bidirectional,
    data,
    functional,
    gradcheck,
    gru,
    init,
    io,
    lstm,
    lstm_cell,
    lstm_cupy,
    lstm_sequential,
    metrics,
    models,
    optim,
    rnn,
    stacked,
    train,
    weather,
)

__version__ = "0.1.0"
