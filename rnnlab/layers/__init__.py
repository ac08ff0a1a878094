"""The recurrent layers and their maths: RNN, the LSTM cell and layer, GRU, stacked and bidirectional layers,
activations (``functional``), initialisation (``init``) and gradient checks (``gradcheck``)."""
