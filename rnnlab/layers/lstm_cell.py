"""The LSTM cell: one time step's equations, forward and backward, written once for every LSTM of rnnlab.

:mod:`rnnlab.layers.lstm` (batched) and :mod:`rnnlab.parallel.lstm_sequential` (one sample at a time) compute their steps
with it; :mod:`rnnlab.parallel.lstm_fused` (GPU) takes the gate order, the gate views, the initial state and the buffers
from it, and its fused CUDA kernels are the one other expression of these equations
(``tests/test_lstm_cell.py`` holds them to this one). With the step's pre-activations
a_t = x_t W_x + h_{t-1} W_h + b (..., 4H), split into the gate blocks i, f, g, o::

    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

The matrix products are the layers' business (batched, per sample, or on the GPU); the cell starts from a_t.
Every array function comes from the array module ``xp`` that the layer passes in (NumPy or CuPy).
"""
from __future__ import annotations

import numpy as np

from .._checks import check_state

#: The gate blocks of W_x, W_h, b and of every (..., 4H) array, in PyTorch's order.
GATES = ("i", "f", "g", "o")
N_GATES = len(GATES)
#: The gates that use tanh (the candidate); the others use the sigmoid.
TANH_GATES = ("g",)


def gate_views(a, H: int) -> tuple:
    """The four (..., H) gate blocks i, f, g, o of a (..., 4H) array, as views (no copy)."""
    if a.shape[-1] != N_GATES * H:
        raise ValueError(f"expected a last axis of 4H = {N_GATES * H}; got shape {tuple(a.shape)}")
    return tuple(a[..., k * H : (k + 1) * H] for k in range(N_GATES))


def initial_state(state, B: int, H: int, xp, dtype) -> tuple:
    """The initial (h0, c0), each (B, H) in ``dtype``: zeros for ``state=None``, else the checked pair."""
    if state is None:
        zeros = xp.zeros((B, H), dtype=dtype)
        return zeros, zeros.copy()
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        raise ValueError("LSTM state must be a pair (h, c) of (B, H) arrays or None")
    h0, c0 = state
    check_state(h0, "state h", B, H)
    check_state(c0, "state c", B, H)
    return xp.asarray(h0, dtype=dtype), xp.asarray(c0, dtype=dtype)


def forward_buffers(T: int, B: int, H: int, xp, dtype) -> tuple:
    """The arrays a forward pass fills and its cache keeps, allocated once per call.

    Returns gates (T, B, 4H) the activated i, f, g, o; hs (T+1, B, H) with hs[0] = h0 and hs[t+1] = h_t;
    cs (T+1, B, H) the same for c; tanh_cs (T, B, H) with tanh_cs[t] = tanh(c_{t+1}).
    """
    gates = xp.empty((T, B, N_GATES * H), dtype=dtype)
    hs = xp.empty((T + 1, B, H), dtype=dtype)
    cs = xp.empty((T + 1, B, H), dtype=dtype)
    tanh_cs = xp.empty((T, B, H), dtype=dtype)
    return gates, hs, cs, tanh_cs


class LSTMCell:
    """The cell's step maths for a batch of states (no weights: those stay in the layer).

    A layer makes one per call, for the leading shape of its states ((B,) batched, () one sample at a time),
    and uses it at every step. All four gates are activated at once, by the same five operations over the
    whole (..., 4H) block: tanh(a) = 2 sigmoid(2a) - 1, so every gate is
    y = k sigmoid(k a) - (k - 1) = k / (1 + exp(-k a)) - (k - 1)  with k = 1 on the sigmoid gates and k = 2
    on the tanh gate, and its slope is  dy/da = (1 - y) * (y + k - 1), which is y (1 - y) for k = 1 and
    1 - y^2 for k = 2. Why exp and not tanh: on an AVX2 CPU NumPy's float32 exp is faster than its tanh
    (about 1.6x over a (132, 128) block), and the gates are most of the step's elementwise work. On an
    AVX-512 CPU it is the other way round (NumPy's tanh about twice as fast as its exp), and this form then
    costs about 6% of the airline step (data/benchmarks/cpu-amd-epyc-2c.csv was recorded on an AVX2 CPU).
    exp(-k a) overflows to inf for a very negative a, which gives the right limit y = -(k - 1); the overflow
    warning is silenced for that one call.
    """

    def __init__(self, batch_shape: tuple, H: int, dtype, xp):
        k = np.repeat([2.0 if gate in TANH_GATES else 1.0 for gate in GATES], H)  # (4H,) k, per column of a

        # The constants get the full (..., 4H) shape of a: NumPy multiplies same-shape arrays twice as fast
        # as it broadcasts a row, and the cell is mostly such small elementwise operations.
        def filled(row):
            full = xp.empty((*batch_shape, N_GATES * H), dtype=dtype)
            full[...] = xp.asarray(row, dtype=dtype)
            return full

        self.H, self.xp = H, xp
        self.k, self.minus_k, self.slope_shift = filled(k), filled(-k), filled(k - 1)

    def forward(self, a, c_prev, c, tanh_c, h) -> None:
        """One step forward, from the pre-activations; every result is written into the caller's arrays.

        Inputs:
            a: (..., 4H) pre-activations a_t; overwritten, in place, by the activated gates i, f, g, o
            c_prev: (..., H) cell state c_{t-1}
        Outputs (written in place):
            c: (..., H) c_t;  tanh_c: (..., H) tanh(c_t);  h: (..., H) h_t
        The step's cache for backward is (gates, c_prev, tanh_c): the layer keeps them in its buffers.
        """
        xp = self.xp
        a *= self.minus_k
        with np.errstate(over="ignore"):  # exp(-k a) = inf is right: y -> -(k - 1)
            xp.exp(a, out=a)
        a += 1
        xp.divide(self.k, a, out=a)
        a -= self.slope_shift
        i, f, g, o = gate_views(a, self.H)
        xp.multiply(f, c_prev, out=c)
        c += i * g
        xp.tanh(c, out=tanh_c)
        xp.multiply(o, tanh_c, out=h)

    def backward(self, dh, dc, gates, c_prev, tanh_c, da) -> None:
        """One step backward, to the pre-activations.

        Inputs:
            dh: (..., H) dL/dh_t, from the output y_t and from step t+1
            dc: (..., H) dL/dc_t through c_{t+1}; overwritten, in place, by dL/dc_{t-1}
            gates, c_prev, tanh_c: the step's cache, (..., 4H), (..., H), (..., H)
        Output (written in place):
            da: (..., 4H) dL/da_t, the gradient at the four gates' pre-activations
        """
        xp = self.xp
        i, f, g, o = gate_views(gates, self.H)
        da_i, da_f, da_g, da_o = gate_views(da, self.H)
        dc += dh * o * (1 - tanh_c * tanh_c)  # c_t also reaches the loss through h_t = o * tanh(c_t)
        # The gradient at each gate's output: c_t = f * c_{t-1} + i * g and h_t = o * tanh(c_t).
        xp.multiply(dc, g, out=da_i)
        xp.multiply(dc, c_prev, out=da_f)
        xp.multiply(dc, i, out=da_g)
        xp.multiply(dh, tanh_c, out=da_o)
        # Times each activation's slope (see the class docstring), all four gates at once.
        da *= 1 - gates
        da *= gates + self.slope_shift
        dc *= f  # dc_t/dc_{t-1} = f
