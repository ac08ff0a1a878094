"""rnnlab.layers.lstm_cell: its equations, its gradient, the layers that call it, and the CUDA kernels held to it.

The fused kernels of lstm_fused are the one other expression of the cell's maths; here they run compiled
for the CPU by the host C++ compiler, one step at a time, against the cell on the same inputs.
"""
import inspect
import re

import numpy as np
import pytest

from rnnlab import functional, gru, lstm, lstm_fused, lstm_sequential, models, rnn
from rnnlab.layers.gradcheck import numerical_gradient, relative_error
from rnnlab.layers.lstm_cell import GATES, N_GATES, LSTMCell, gate_views
from rnnlab.parallel._host_kernels import host_compiler

needs_cxx = pytest.mark.skipif(host_compiler() is None, reason="no host C++ compiler (g++ or clang++) on PATH")
B, H = 3, 5


def _step_inputs(dtype, seed=0, spread=3.0):
    """Pre-activations a (B, 4H), with some saturated entries (|a| = 40, 800), and c_prev (B, H)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((B, N_GATES * H)) * spread
    a[0, :: N_GATES + 1] = 40.0
    a[1, :: N_GATES + 2] = -800.0
    return a.astype(dtype), rng.standard_normal((B, H)).astype(dtype)


def _forward(a, c_prev):
    """The cell's forward on copies: gates, c, tanh_c, h."""
    gates = a.copy()
    c, tanh_c, h = (np.empty_like(c_prev) for _ in range(3))
    LSTMCell((B,), H, a.dtype, np).forward(gates, c_prev, c, tanh_c, h)
    return gates, c, tanh_c, h


def test_gate_order_and_count_are_defined_once():
    assert GATES == ("i", "f", "g", "o") and N_GATES == 4  # PyTorch's order: torch weights convert as blocks
    assert models.CELLS["lstm"].N_GATES == N_GATES
    for module in (lstm, lstm_sequential, lstm_fused):  # they import the count and the order, never set them
        assert not re.search(r"^(N_GATES|GATES)\s*=", inspect.getsource(module), flags=re.M), module.__name__
    assert lstm_fused.FORWARD_IN.startswith("T xa_i, T xa_f, T xa_g, T xa_o, T ha_i")
    assert lstm_fused.BACKWARD_OUT == "T da_i, T da_f, T da_g, T da_o, T dc"
    # The forget gate's bias block starts at 1, wherever GATES puts it.
    b = lstm.init_params(2, H)["b"]
    np.testing.assert_array_equal(gate_views(b, H)[GATES.index("f")], 1.0)
    assert b.sum() == H


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-6)])
def test_cell_forward_is_the_lstm_equations(dtype, tol):
    a, c_prev = _step_inputs(dtype)
    with np.errstate(over="raise", invalid="raise"):  # no overflow, even at |a| = 800
        gates, c, tanh_c, h = _forward(a, c_prev)
    a_i, a_f, a_g, a_o = (x.astype(np.float64) for x in gate_views(a, H))
    i, f, g, o = functional.sigmoid(a_i), functional.sigmoid(a_f), np.tanh(a_g), functional.sigmoid(a_o)
    c_ref = f * c_prev + i * g
    for got, want in [(gates, np.concatenate([i, f, g, o], axis=1)), (c, c_ref), (tanh_c, np.tanh(c_ref)),
                      (h, o * np.tanh(c_ref))]:
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_cell_backward_is_the_gradient_of_forward():
    a, c_prev = _step_inputs(np.float64, seed=1, spread=1.5)
    rng = np.random.default_rng(2)
    w_h, w_c = rng.standard_normal((B, H)), rng.standard_normal((B, H))  # L = sum(w_h * h) + sum(w_c * c)

    def loss(a_in, c_in):
        _, c, _, h = _forward(a_in, c_in)
        return float((w_h * h).sum() + (w_c * c).sum())

    gates, c, tanh_c, h = _forward(a, c_prev)
    dc, da = w_c.copy(), np.empty_like(a)
    LSTMCell((B,), H, np.float64, np).backward(w_h, dc, gates, c_prev, tanh_c, da)  # dc becomes dL/dc_prev
    a_var, c_var = a.copy(), c_prev.copy()  # perturbed in place by numerical_gradient
    assert relative_error(da, numerical_gradient(lambda: loss(a_var, c_prev), a_var)) < 1e-7
    assert relative_error(dc, numerical_gradient(lambda: loss(a, c_var), c_var)) < 1e-7


def test_one_cell_serves_every_shape():
    # One sample at a time (lstm_sequential) and a batch (lstm) give the same numbers.
    a, c_prev = _step_inputs(np.float64)
    gates, c, tanh_c, h = _forward(a, c_prev)
    for n in range(B):
        g1, c1, t1, h1 = a[n].copy(), np.empty(H), np.empty(H), np.empty(H)
        LSTMCell((), H, np.float64, np).forward(g1, c_prev[n], c1, t1, h1)
        for got, want in [(g1, gates[n]), (c1, c[n]), (t1, tanh_c[n]), (h1, h[n])]:
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("layer, calls_per_step", [(lstm, 1), (lstm_sequential, B)])
def test_the_layers_call_the_cell(monkeypatch, layer, calls_per_step):
    # The layers compute the step through LSTMCell: once per step batched, once per sample and step sequentially.
    calls = {"forward": 0, "backward": 0}
    for name in calls:
        original = getattr(LSTMCell, name)

        def counted(self, *args, _original=original, _name=name):
            calls[_name] += 1
            return _original(self, *args)

        monkeypatch.setattr(LSTMCell, name, counted)
    T = 4
    params = lstm.init_params(2, H, seed=0, dtype=np.float64)
    Y, _, cache = layer.forward(params, np.ones((T, B, 2)))
    layer.backward(np.ones(Y.shape), cache)
    assert calls == {"forward": T * calls_per_step, "backward": T * calls_per_step}


@needs_cxx
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-6)])
def test_fused_kernels_are_the_cell(dtype, tol):
    """One step of each host-compiled CUDA kernel against the cell, on the same inputs."""
    kernels = lstm_fused._host_kernels(np.dtype(dtype))
    a, c_prev = _step_inputs(dtype, seed=3)
    xa = (a * 0.25).astype(dtype)  # the kernel gets x_t W_x + b and h_{t-1} W_h apart: xa + ha = a
    ha = (a - xa).astype(dtype)
    gates_k = np.empty_like(a)
    c_k, tanh_c_k, h_k = (np.empty_like(c_prev) for _ in range(3))
    kernels["lstm_forward_step"](*gate_views(xa, H), *gate_views(ha, H), c_prev,
                                 *gate_views(gates_k, H), c_k, tanh_c_k, h_k)
    gates, c, tanh_c, h = _forward((xa + ha).astype(dtype), c_prev)
    for name, got, want in [("gates", gates_k, gates), ("c", c_k, c), ("tanh_c", tanh_c_k, tanh_c), ("h", h_k, h)]:
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)

    rng = np.random.default_rng(4)
    dh_rec, dy, dc_in = (rng.standard_normal((B, H)).astype(dtype) for _ in range(3))
    da_k, dc_k = np.empty_like(a), dc_in.copy()
    kernels["lstm_backward_step"](dh_rec, dy, *gate_views(gates, H), c_prev, tanh_c, *gate_views(da_k, H), dc_k)
    da, dc = np.empty_like(a), dc_in.copy()
    LSTMCell((B,), H, dtype, np).backward(dh_rec + dy, dc, gates, c_prev, tanh_c, da)
    np.testing.assert_allclose(da_k, da, rtol=tol, atol=tol, err_msg="da")
    np.testing.assert_allclose(dc_k, dc, rtol=tol, atol=tol, err_msg="dc")


@pytest.mark.parametrize("layer", [rnn, gru])
def test_hidden_state_layers_share_their_input_checks(layer):
    params = layer.init_params(3, 4, seed=0, dtype=np.float64)
    X = np.ones((2, 5, 3))
    name = layer.__name__.rsplit(".", 1)[-1].upper()
    with pytest.raises(ValueError, match=rf"{name} X has D=2 features \(shape \(2, 5, 2\)\)"):
        layer.forward(params, X[..., :2])
    with pytest.raises(ValueError, match=r"state h must have shape \(B, H\) = \(5, 4\); got \(4, 5\)"):
        layer.forward(params, X, np.zeros((4, 5)))
    Y0, _, _ = layer.forward(params, X)
    Y1, _, _ = layer.forward(params, X, np.zeros((5, 4)))
    np.testing.assert_array_equal(Y0, Y1)  # state None is the zero state
