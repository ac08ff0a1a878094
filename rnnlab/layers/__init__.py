"""The recurrent layers and their maths: RNN, the LSTM cell and layer, GRU, stacked and bidirectional layers,
activations (``functional``), initialisation (``init``) and gradient checks (``gradcheck``).

minGRU and minLSTM (``mingru``, ``minlstm``, both from ``minrnn``), whose gates read only x_t, run as scans.
"""
from .minrnn import mingru, minlstm  # noqa: F401 - layers that are objects of one module, not modules
