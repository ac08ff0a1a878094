"""Gradient checks and small semantic checks of rnnlab.layers.rnn, rnnlab.layers.lstm and rnnlab.layers.gru.

Every gradient (each parameter, the input X and each initial-state array) is compared
with central differences in float64 through ``rnnlab.layers.gradcheck.check_layer``; the loss
there projects all outputs and the final state, so each of them feeds the check.
"""
import numpy as np
import pytest

from rnnlab import gru, lstm, rnn
from rnnlab.layers.functional import sigmoid
from rnnlab.layers.gradcheck import check_layer, numerical_gradient, relative_error

LAYERS = {"rnn": rnn, "lstm": lstm, "gru": gru}
GRAD_TOL = 1e-6


def random_params(layer, D, H, seed):
    """Parameters with random (non-zero) biases, so every bias term is exercised."""
    params = layer.init_params(D, H, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed + 100)
    params["b"] = rng.normal(0, 0.5, params["b"].shape)
    return params


def random_state(name, B, H, rng):
    h0 = rng.normal(0, 0.5, (B, H))
    if name == "lstm":
        return h0, rng.normal(0, 0.5, (B, H))
    return h0


def as_list(state):
    """The state arrays as a list: [h] for RNN and GRU, [h, c] for LSTM."""
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("T,B,D,H", [(4, 3, 3, 4), (1, 1, 1, 1), (3, 1, 2, 1)])
def test_gradients_match_central_differences(name, with_state, T, B, D, H):
    layer = LAYERS[name]
    rng = np.random.default_rng(1)
    params = random_params(layer, D, H, seed=2)
    X = rng.normal(0, 1, (T, B, D))
    state = random_state(name, B, H, rng) if with_state else None
    errors = check_layer(layer, params, X, state, seed=3)
    expected = {"W_x", "W_h", "b", "X"}
    if with_state:
        expected |= {"h0", "c0"} if name == "lstm" else {"h0"}
    assert set(errors) == expected
    bad = {k: v for k, v in errors.items() if not v < GRAD_TOL}
    assert not bad, f"{name}: relative errors above {GRAD_TOL}: {bad}"


@pytest.mark.parametrize("name", LAYERS)
def test_gradcheck_catches_a_wrong_gradient(name):
    """The check itself can fail: a backward that drops one time step's W_h term is flagged."""
    layer = LAYERS[name]
    rng = np.random.default_rng(0)
    params = random_params(layer, 2, 3, seed=0)
    X = rng.normal(0, 1, (3, 2, 2))
    Y, _, cache = layer.forward(params, X)
    G = rng.normal(0, 1, Y.shape)
    grads, _, _ = layer.backward(G, cache)

    def loss():
        return (G * layer.forward(params, X)[0]).sum()

    numeric = numerical_gradient(loss, params["W_h"])
    assert relative_error(grads["W_h"], numeric) < GRAD_TOL
    assert relative_error(0.9 * grads["W_h"], numeric) > 1e-2


@pytest.mark.parametrize("name", LAYERS)
def test_none_state_equals_zero_state_and_none_dY_equals_zeros(name):
    layer = LAYERS[name]
    T, B, D, H = 3, 2, 2, 3
    params = random_params(layer, D, H, seed=0)
    X = np.random.default_rng(0).normal(size=(T, B, D))
    zeros = (np.zeros((B, H)), np.zeros((B, H))) if name == "lstm" else np.zeros((B, H))
    Y1, s1, cache1 = layer.forward(params, X)
    Y2, s2, cache2 = layer.forward(params, X, zeros)
    np.testing.assert_array_equal(Y1, Y2)
    for a, b in zip(as_list(s1), as_list(s2)):
        np.testing.assert_array_equal(a, b)
    # Only the final state receives a gradient: dY=None must mean zeros.
    d_state = (np.ones((B, H)), np.ones((B, H))) if name == "lstm" else np.ones((B, H))
    g1, dX1, _ = layer.backward(None, cache1, d_state)
    g2, dX2, _ = layer.backward(np.zeros((T, B, H)), cache1, d_state)
    np.testing.assert_array_equal(dX1, dX2)
    for k in g1:
        np.testing.assert_array_equal(g1[k], g2[k])


def test_lstm_one_step_matches_the_gate_equations():
    """One LSTM step by hand, gates in PyTorch's order i, f, g, o."""
    B, D, H = 2, 3, 2
    rng = np.random.default_rng(5)
    params = random_params(lstm, D, H, seed=5)
    x = rng.normal(size=(1, B, D))
    h0, c0 = rng.normal(size=(B, H)), rng.normal(size=(B, H))
    a = x[0] @ params["W_x"] + h0 @ params["W_h"] + params["b"]
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c1 = f * c0 + i * g
    h1 = o * np.tanh(c1)
    Y, (hT, cT), _ = lstm.forward(params, x, (h0, c0))
    np.testing.assert_allclose(Y[0], h1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hT, h1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(cT, c1, rtol=1e-14, atol=1e-15)


def test_lstm_forget_bias_starts_at_one():
    H = 3
    b = lstm.init_params(2, H, seed=0)["b"]
    np.testing.assert_array_equal(b[H : 2 * H], 1.0)
    np.testing.assert_array_equal(np.r_[b[:H], b[2 * H :]], 0.0)


def test_gru_update_gate_keeps_the_old_state():
    """d2l convention h = z * h_prev + (1 - z) * n: with z saturated at 1 the state does not move."""
    B, D, H = 2, 2, 3
    params = gru.init_params(D, H, seed=0, dtype=np.float64)
    params["b"][H : 2 * H] = 50.0  # z = sigmoid(~50) = 1 to machine precision
    rng = np.random.default_rng(0)
    h0 = rng.normal(size=(B, H))
    Y, hT, _ = gru.forward(params, rng.normal(size=(4, B, D)), h0)
    np.testing.assert_allclose(hT, h0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(Y[0], h0, rtol=0, atol=1e-15)


def test_rnn_one_step_is_tanh_of_the_affine_map():
    B, D, H = 2, 3, 4
    rng = np.random.default_rng(2)
    params = random_params(rnn, D, H, seed=2)
    x, h0 = rng.normal(size=(1, B, D)), rng.normal(size=(B, H))
    Y, hT, _ = rnn.forward(params, x, h0)
    expected = np.tanh(x[0] @ params["W_x"] + h0 @ params["W_h"] + params["b"])
    np.testing.assert_allclose(Y[0], expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(hT, Y[-1])


@pytest.mark.parametrize("name", LAYERS)
def test_init_params_shapes_dtype_and_seed(name):
    layer = LAYERS[name]
    G = {"rnn": 1, "lstm": 4, "gru": 3}[name]
    p = layer.init_params(5, 7, seed=3)
    assert {k: v.shape for k, v in p.items()} == {"W_x": (5, G * 7), "W_h": (7, G * 7), "b": (G * 7,)}
    assert all(v.dtype == np.float32 for v in p.values())
    q = layer.init_params(5, 7, seed=3)
    r = layer.init_params(5, 7, seed=4)
    np.testing.assert_array_equal(p["W_x"], q["W_x"])
    assert not np.array_equal(p["W_x"], r["W_x"])
    # Each recurrent block is orthogonal.
    W_h = layer.init_params(5, 7, seed=3, dtype=np.float64)["W_h"]
    for k in range(G):
        block = W_h[:, k * 7 : (k + 1) * 7]
        np.testing.assert_allclose(block.T @ block, np.eye(7), atol=1e-12)


@pytest.mark.parametrize("name", LAYERS)
def test_init_params_rejects_empty_sizes(name):
    with pytest.raises(ValueError, match="hidden_size=0"):
        LAYERS[name].init_params(3, 0)
