"""rnnlab: the code the "Parallel LSTM" course teaches, grouped as the course tells it.

- ``rnnlab.layers``: the recurrent layers and their maths (RNN, the LSTM cell and layer, GRU, stacked and
  bidirectional layers, activations, initialisation, gradient checks), written once against the array module
  of their inputs, so the same functions run on NumPy and on CuPy arrays;
- ``rnnlab.parallel``: the sequential LSTM that the speed-ups are measured against, and the ways to make the
  LSTM fast (the CuPy LSTM with fused kernels; batching is ``rnnlab.layers.lstm`` itself); parallel over
  time: scans of linear recurrences (``rnnlab.scan_linear_recurrence``) and DEER (``rnnlab.lstm_forward_deer``);
- ``rnnlab.training``: models, optimisers, ``fit``, metrics, saving;
- ``rnnlab.data``: the shipped data sets, sliding windows, scalers, the weather features;
- ``rnnlab.bench``: the benchmark harness behind notebook 11; ``rnnlab.backend``: NumPy or CuPy, and the GPU probe;
- ``rnnlab.viz``: the course's diagrams (the cells, the unrolled graph with BPTT, stacked and bidirectional);
- ``rnnlab.exercises``: the checkers of the notebooks' exercises (a student's function against the reference).

The modules the notebooks use most are importable from here too: ``from rnnlab import lstm, train``.
"""
from . import backend, data  # noqa: F401
from .data import weather  # noqa: F401
from .layers import (  # noqa: F401
    bidirectional,
    functional,
    gradcheck,
    gru,
    init,
    lstm,
    lstm_cell,
    mingru,
    minlstm,
    rnn,
    stacked,
)
from .parallel import deer, lstm_fused, lstm_sequential, scan, scan_closed_form  # noqa: F401
from .parallel.deer import lstm_forward_deer  # noqa: F401
from .parallel.scan import scan_linear_recurrence  # noqa: F401
from .training import io, metrics, models, optim, train  # noqa: F401

__version__ = "0.1.0"
