"""Making the LSTM fast: the one-sample-at-a-time baseline every speed-up is measured against
(``lstm_sequential``), the CuPy LSTM with fused CUDA kernels (``lstm_fused``), and parallel over time.

Parallel over time: scans of linear recurrences (``scan``, with the closed forms in ``scan_closed_form``)
and DEER, the nonlinear LSTM's forward pass solved as a fixed point with scans (``deer``).
"""
