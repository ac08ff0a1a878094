"""The course's diagrams, drawn with matplotlib: the RNN, LSTM and GRU cells, the unrolled graph with BPTT,
the stacked and bidirectional layouts (``cells``, ``graphs``), from small primitives (``primitives``).

Every diagram function returns a Figure and saves nothing; the notebooks save it to ``FIGURES``::

    from rnnlab import viz
    fig = viz.lstm_cell()
    fig.savefig(FIGURES / "cell_lstm.png", dpi=100, bbox_inches="tight")
"""
from .cells import gru_cell, lstm_cell, rnn_cell  # noqa: F401
from .graphs import bidirectional, stacked, unrolled_bptt  # noqa: F401
from .primitives import arrow, box, canvas, gate, labels, line, note  # noqa: F401
