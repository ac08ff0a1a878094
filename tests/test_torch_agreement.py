"""rnnlab against PyTorch in float64: forward values, final states and every gradient.

LSTM is compared with ``torch.nn.LSTM`` and RNN with ``torch.nn.RNN`` after converting their
weights (W_x = weight_ih_l0.T, W_h = weight_hh_l0.T, b = bias_ih_l0 + bias_hh_l0). Because the
two torch biases are added, the gradient of ``b`` equals the gradient of each of them.
``torch.nn.GRU`` uses a different candidate (r applied after the product), so the GRU is compared
with the d2l formula written in torch and differentiated by autograd.
The loss is a fixed random projection of all outputs and of the final state.
"""
import numpy as np
import pytest
import torch
from torch import nn

from rnnlab import gru, lstm, rnn

TOL = 1e-10
SHAPES = [(5, 3, 4, 6), (1, 1, 1, 1), (7, 2, 3, 1)]  # (T, B, D, H)


def rel(a, b) -> float:
    """||a - b|| / ||b||, with b the torch reference."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def t(a, grad=True):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def assert_close(name, ours, ref):
    err = rel(ours, ref)
    assert err < TOL, f"{name}: relative error {err:.3e} >= {TOL}"


def from_torch(module):
    """rnnlab params from a one-layer torch recurrent module."""
    return {
        "W_x": module.weight_ih_l0.detach().numpy().T.copy(),
        "W_h": module.weight_hh_l0.detach().numpy().T.copy(),
        "b": (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy().copy(),
    }


def projections(rng, T, B, H, n_states):
    return rng.normal(size=(T, B, H)), [rng.normal(size=(B, H)) for _ in range(n_states)]


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_lstm_matches_torch_nn_lstm(T, B, D, H):
    torch.manual_seed(0)
    ref = nn.LSTM(D, H).double()
    rng = np.random.default_rng(T * 100 + H)
    X, h0, c0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    G_Y, (G_h, G_c) = projections(rng, T, B, H, 2)

    Xt, h0t, c0t = t(X), t(h0[None]), t(c0[None])
    Yt, (hTt, cTt) = ref(Xt, (h0t, c0t))
    loss = (Yt * t(G_Y, False)).sum() + (hTt[0] * t(G_h, False)).sum() + (cTt[0] * t(G_c, False)).sum()
    loss.backward()

    params = from_torch(ref)
    Y, (hT, cT), cache = lstm.forward(params, X, (h0, c0))
    grads, dX, (dh0, dc0) = lstm.backward(G_Y, cache, (G_h, G_c))

    assert_close("Y", Y, Yt.detach().numpy())
    assert_close("h_T", hT, hTt.detach().numpy()[0])
    assert_close("c_T", cT, cTt.detach().numpy()[0])
    assert_close("dW_x", grads["W_x"], ref.weight_ih_l0.grad.numpy().T)
    assert_close("dW_h", grads["W_h"], ref.weight_hh_l0.grad.numpy().T)
    assert_close("db vs bias_ih", grads["b"], ref.bias_ih_l0.grad.numpy())
    assert_close("db vs bias_hh", grads["b"], ref.bias_hh_l0.grad.numpy())
    assert_close("dX", dX, Xt.grad.numpy())
    assert_close("dh0", dh0, h0t.grad.numpy()[0])
    assert_close("dc0", dc0, c0t.grad.numpy()[0])


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_rnn_matches_torch_nn_rnn(T, B, D, H):
    torch.manual_seed(1)
    ref = nn.RNN(D, H, nonlinearity="tanh").double()
    rng = np.random.default_rng(T * 10 + B)
    X, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    G_Y, (G_h,) = projections(rng, T, B, H, 1)

    Xt, h0t = t(X), t(h0[None])
    Yt, hTt = ref(Xt, h0t)
    loss = (Yt * t(G_Y, False)).sum() + (hTt[0] * t(G_h, False)).sum()
    loss.backward()

    params = from_torch(ref)
    Y, hT, cache = rnn.forward(params, X, h0)
    grads, dX, dh0 = rnn.backward(G_Y, cache, G_h)

    assert_close("Y", Y, Yt.detach().numpy())
    assert_close("h_T", hT, hTt.detach().numpy()[0])
    assert_close("dW_x", grads["W_x"], ref.weight_ih_l0.grad.numpy().T)
    assert_close("dW_h", grads["W_h"], ref.weight_hh_l0.grad.numpy().T)
    assert_close("db vs bias_ih", grads["b"], ref.bias_ih_l0.grad.numpy())
    assert_close("db vs bias_hh", grads["b"], ref.bias_hh_l0.grad.numpy())
    assert_close("dX", dX, Xt.grad.numpy())
    assert_close("dh0", dh0, h0t.grad.numpy()[0])


def torch_gru_d2l(W_x, W_h, b, X, h):
    """The d2l GRU in torch: r, z, candidate blocks; h = z * h_prev + (1 - z) * candidate."""
    H = W_h.shape[0]
    ys = []
    for x in X:
        rz = torch.sigmoid(x @ W_x[:, : 2 * H] + h @ W_h[:, : 2 * H] + b[: 2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = torch.tanh(x @ W_x[:, 2 * H :] + (r * h) @ W_h[:, 2 * H :] + b[2 * H :])
        h = z * h + (1 - z) * n
        ys.append(h)
    return torch.stack(ys), h


@pytest.mark.parametrize("T,B,D,H", SHAPES)
def test_gru_matches_the_d2l_formula_under_torch_autograd(T, B, D, H):
    rng = np.random.default_rng(T + B + D + H)
    params = gru.init_params(D, H, seed=T, dtype=np.float64)
    params["b"] = rng.normal(0, 0.5, 3 * H)
    X, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    G_Y, (G_h,) = projections(rng, T, B, H, 1)

    W_xt, W_ht, bt, Xt, h0t = t(params["W_x"]), t(params["W_h"]), t(params["b"]), t(X), t(h0)
    Yt, hTt = torch_gru_d2l(W_xt, W_ht, bt, Xt, h0t)
    ((Yt * t(G_Y, False)).sum() + (hTt * t(G_h, False)).sum()).backward()

    Y, hT, cache = gru.forward(params, X, h0)
    grads, dX, dh0 = gru.backward(G_Y, cache, G_h)

    assert_close("Y", Y, Yt.detach().numpy())
    assert_close("h_T", hT, hTt.detach().numpy())
    assert_close("dW_x", grads["W_x"], W_xt.grad.numpy())
    assert_close("dW_h", grads["W_h"], W_ht.grad.numpy())
    assert_close("db", grads["b"], bt.grad.numpy())
    assert_close("dX", dX, Xt.grad.numpy())
    assert_close("dh0", dh0, h0t.grad.numpy())


def test_torch_nn_gru_differs_only_where_r_is_applied():
    """The reason for the hand-written reference: torch.nn.GRU's weights do not convert to ours.

    torch applies r after the recurrent product, r * (h W_hn + b_hn); rnnlab (like d2l) before it,
    (r * h) W_hn. Gate order (r, z, n) and z, which keeps the old state, are the same. So with r
    forced to 1 (a large r bias: sigmoid rounds to 1 in float64) the converted weights give torch's
    outputs, and with r free they do not.
    """
    torch.manual_seed(2)
    T, B, D, H = 4, 2, 3, 5
    ref = nn.GRU(D, H).double()
    X = np.random.default_rng(0).normal(size=(T, B, D))
    with torch.no_grad():
        Yt, _ = ref(t(X, False))
    Y, _, _ = gru.forward(from_torch(ref), X)
    assert rel(Y, Yt.numpy()) > 1e-3
    with torch.no_grad():
        ref.bias_ih_l0[:H] = 40.0
        Yt, hTt = ref(t(X, False))
    Y, hT, _ = gru.forward(from_torch(ref), X)
    assert_close("Y with r = 1", Y, Yt.numpy())
    assert_close("h_T with r = 1", hT, hTt[0].numpy())
