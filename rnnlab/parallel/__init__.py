"""Making the LSTM fast: the one-sample-at-a-time baseline every speed-up is measured against
(``lstm_sequential``) and the CuPy LSTM with fused CUDA kernels (``lstm_fused``)."""
