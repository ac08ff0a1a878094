"""rnnlab: the code the "Parallel LSTM" course teaches.

Recurrent layers (``rnn``, ``lstm``, ``gru``) are written once against the array
module of their inputs, so the same functions run on NumPy and on CuPy arrays.
"""
from . import backend, data, functional, gradcheck, gru, init, lstm, optim, rnn  # noqa: F401

__version__ = "0.1.0"
