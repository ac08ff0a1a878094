"""The theory notebooks' exercises (01-04), recomputed with rnnlab and compared with values worked by hand.

The expected numbers below are literals. Each was worked out on scalars with the standard library
only (math.exp, math.tanh; no NumPy, no rnnlab); the comment next to it gives the arithmetic, so a
reader can redo it with a pocket calculator. The rnnlab side lays the slides' weights out in rnnlab's
convention (row vectors: x W_x with W_x = W_slide.T) exactly as the notebooks do.
"""
import numpy as np
import pytest

from rnnlab import bidirectional, functional, gru, lstm, rnn

ATOL = 1e-9


def _one_step(layer, params, x, h0=None):
    """Run ``layer`` for one time step on one sample; x (D,), h0 (H,) or None. Returns h_1 (H,)."""
    X = np.asarray(x, dtype=np.float64).reshape(1, 1, -1)
    state = None if h0 is None else np.asarray(h0, dtype=np.float64).reshape(1, -1)
    Y, _, _ = layer.forward(params, X, state)
    return Y[0, 0]


# ---------------------------------------------------------------------------------------------
# 01: one RNN step and a softmax output, HUST notation h_1 = tanh(W_xh x_1 + W_hh h_0 + b_h)

X1_01 = [1.0, 0.0, 2.0]
H0_01 = [0.5, -0.5]
W_XH_01 = [[0.1, 0.2, -0.1], [0.0, -0.3, 0.4]]
W_HH_01 = [[0.5, -0.2], [0.3, 0.1]]
B_H_01 = [0.1, -0.1]
W_HY_01 = [[1.0, -1.0], [0.5, 0.5], [-1.0, 2.0]]


def test_01_rnn_step_worked_by_hand():
    # W_xh x = [0.1 - 0.2, 0.8] = [-0.1, 0.8]; W_hh h0 = [0.25 + 0.1, 0.15 - 0.05] = [0.35, 0.1]
    # a = [-0.1 + 0.35 + 0.1, 0.8 + 0.1 - 0.1] = [0.35, 0.8]; h1 = [tanh 0.35, tanh 0.8]
    h1_hand = [0.3363755443363322, 0.6640367702678491]
    # logits = W_hy h1 = [h1a - h1b, (h1a + h1b)/2, -h1a + 2 h1b]; y = exp(l) / sum exp(l)
    y1_hand = [0.142258506347112, 0.3255490862941075, 0.5321924073587804]

    params = {
        "W_x": np.array(W_XH_01).T.copy(),
        "W_h": np.array(W_HH_01).T.copy(),
        "b": np.array(B_H_01),
    }
    h1 = _one_step(rnn, params, X1_01, H0_01)
    np.testing.assert_allclose(h1, h1_hand, rtol=0, atol=ATOL)
    y1 = functional.softmax(h1 @ np.array(W_HY_01).T)
    np.testing.assert_allclose(y1, y1_hand, rtol=0, atol=ATOL)
    assert y1.sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# 02: VietAI Bài tập 2 (LSTM), gates f, i, o, candidate c~ = tanh(W_c x + b_c); h_0 = c_0 = 0

X1_02 = [2.0, 3.0, -1.0]
W_02 = {
    "i": [[0, 2, 5], [3, -4, 1]],
    "f": [[1, -2, 5], [5, 5, 0]],
    "g": [[-2, 0, 1], [5, 1, 8]],  # W_c on the slide: the candidate cell
    "o": [[1, 2, 1], [0, -1, 3]],
}
B_02 = [5.0, 2.0]


def lstm_params_02():
    """rnnlab.layers.lstm layout: W_x (D, 4H) with blocks i, f, g, o; W_x[:, block] = W_gate.T; W_h zeros (H, 4H)."""
    W_x = np.concatenate([np.array(W_02[k], dtype=np.float64).T for k in "ifgo"], axis=1)
    return {"W_x": W_x, "W_h": np.zeros((2, 8)), "b": np.tile(B_02, 4)}


def test_02_bai_tap_2_lstm_h1():
    # Pre-activations by hand, W x + b with x = [2, 3, -1], b = [5, 2]:
    #   f: [2 - 6 - 5, 10 + 15 + 0] + b = [-4, 27]     i: [0 + 6 - 5, 6 - 12 - 1] + b = [6, -5]
    #   o: [2 + 6 - 1, 0 - 3 - 3] + b = [12, -4]      c~: [-4 + 0 - 1, 10 + 3 - 8] + b = [0, 7]
    # c_1 = i * tanh([0, 7]) = [0, sigmoid(-5) tanh 7]; h_1 = o * tanh(c_1) = [0, sigmoid(-4) tanh(c_1b)]
    c1_hand = [0.0, 0.006692839793698599]
    h1_hand = [0.0, 0.00012037702438380199]
    Y, (h1, c1), cache = lstm.forward(lstm_params_02(), np.array(X1_02).reshape(1, 1, 3))
    np.testing.assert_allclose(h1[0], h1_hand, rtol=0, atol=ATOL)
    np.testing.assert_allclose(c1[0], c1_hand, rtol=0, atol=ATOL)
    gates = cache[-1][0, 0]  # activated i, f, g, o
    i_hand = [0.9975273768433653, 0.0066928509242848554]  # sigmoid(6), sigmoid(-5)
    f_hand = [0.01798620996209156, 0.9999999999981204]  # sigmoid(-4), sigmoid(27)
    g_hand = [0.0, 0.9999983369439447]  # tanh(0), tanh(7)
    o_hand = [0.9999938558253978, 0.01798620996209156]  # sigmoid(12), sigmoid(-4)
    np.testing.assert_allclose(gates, i_hand + f_hand + g_hand + o_hand, rtol=0, atol=ATOL)


def test_02_u_matrices_do_not_matter_when_h0_is_zero():
    params = lstm_params_02()
    params["W_h"] = np.random.default_rng(0).standard_normal((2, 8))
    h1 = lstm.forward(params, np.array(X1_02).reshape(1, 1, 3))[1][0]
    np.testing.assert_allclose(h1[0], [0.0, 0.00012037702438380199], rtol=0, atol=ATOL)


# ---------------------------------------------------------------------------------------------
# 03: VietAI Bài tập 3 (GRU); x_1 = [1, 0], h_0 = 0, all biases [1, 1]

W_03 = {"z": [[1, 3], [2, 0]], "r": [[1, -1], [-6, -1]], "n": [[1, 1], [2, 0]]}
U_03 = {"z": [[3, 0], [-1, 1]], "r": [[1, 1], [4, -3]], "n": [[2, 3], [0, -2]]}
# Pre-activations by hand: z: W_z [1, 0] + b = [2, 3]; r: [1, -6] + b = [2, -5]; n: [1, 2] + b = [2, 3]
Z_HAND = [0.8807970779778823, 0.9525741268224334]  # sigmoid(2), sigmoid(3)
N_HAND = [0.9640275800758169, 0.9950547536867305]  # tanh(2), tanh(3)
H1_SLIDE_HAND = [0.8491126756208685, 0.9478634131336487]  # z * n (slide: h = (1 - z) h_0 + z n)
H1_D2L_HAND = [0.11491490445494841, 0.04719134055308168]  # (1 - z) * n (d2l: h = z h_0 + (1 - z) n)


def gru_params_03():
    """rnnlab.layers.gru layout: blocks r, z, n; W_x[:, block] = W.T, W_h[:, block] = U.T."""
    W_x = np.concatenate([np.array(W_03[k], dtype=np.float64).T for k in "rzn"], axis=1)
    W_h = np.concatenate([np.array(U_03[k], dtype=np.float64).T for k in "rzn"], axis=1)
    return {"W_x": W_x, "W_h": W_h, "b": np.ones(6)}


def test_03_bai_tap_3_gru_h1_d2l_convention():
    h1 = _one_step(gru, gru_params_03(), [1.0, 0.0])
    np.testing.assert_allclose(h1, H1_D2L_HAND, rtol=0, atol=ATOL)


def test_03_bai_tap_3_slide_convention_from_rnnlab_gates():
    # The slide's h_1 uses the same z and candidate: read them from rnnlab's cache and recombine.
    _, _, (_, _, _, gates, _) = gru.forward(gru_params_03(), np.array([1.0, 0.0]).reshape(1, 1, 2))
    z, n = gates[0, 0, 2:4], gates[0, 0, 4:6]
    np.testing.assert_allclose(z, Z_HAND, rtol=0, atol=ATOL)
    np.testing.assert_allclose(n, N_HAND, rtol=0, atol=ATOL)
    np.testing.assert_allclose(z * n, H1_SLIDE_HAND, rtol=0, atol=ATOL)
    assert not np.allclose(H1_SLIDE_HAND, H1_D2L_HAND)


def test_03_exercise_4_y_hat_1_with_the_output_layer_the_slide_leaves_out():
    # Notebook 03's Exercise 4: y-hat_1 = softmax(V h_1 + c), V = [[1, -1], [2, 0]], c = 0 (column vectors).
    # By hand, d2l: V h_1 = [h_1[0] - h_1[1], 2 h_1[0]]; softmax of two logits a is [1 - p, p], p = 1/(1 + e^(a0 - a1)).
    y_hat_d2l_hand = [0.4595619540336424, 0.5404380459663576]  # logits [0.0677..., 0.2298...]
    y_hat_slide_hand = [0.14221956242741574, 0.8577804375725843]  # logits [-0.0987..., 1.6982...]
    V = np.array([[1.0, -1.0], [2.0, 0.0]])
    h1 = _one_step(gru, gru_params_03(), [1.0, 0.0])
    np.testing.assert_allclose(functional.softmax(V @ h1), y_hat_d2l_hand, rtol=0, atol=ATOL)
    np.testing.assert_allclose(functional.softmax(V @ np.array(H1_SLIDE_HAND)), y_hat_slide_hand, rtol=0, atol=ATOL)


# ---------------------------------------------------------------------------------------------
# 04: VietAI Bài tập 4 (bidirectional), s_t = f(W s_{t-1} + U x_t), y_t = V_A s_t + V_A' s'_t

U_A, W_A, V_A = [[1, 1], [1, 2]], [[3, -2], [4, 1]], [-1, 0]
U_B, W_B, V_B = [[3, -1], [0, 1]], [[0, 2], [2, 1]], [1, 1]
X_04 = [[1.0, 0.0], [0.0, 1.0]]  # "machine", "learning" one-hot


def _bidirectional_y(X, scale=1.0):
    """y_t from rnnlab.layers.bidirectional over rnnlab.layers.rnn (tanh), inputs scaled by ``scale``."""
    pf = {"W_x": np.array(U_A, float).T.copy(), "W_h": np.array(W_A, float).T.copy(), "b": np.zeros(2)}
    pb = {"W_x": np.array(U_B, float).T.copy(), "W_h": np.array(W_B, float).T.copy(), "b": np.zeros(2)}
    Y, _, _ = bidirectional.forward(rnn, pf, pb, scale * np.array(X).reshape(2, 1, 2))
    return Y[:, 0, :2] @ np.array(V_A, float) + Y[:, 0, 2:] @ np.array(V_B, float), Y[:, 0]


def test_04_bai_tap_4_with_tanh_matches_hand_values():
    # With f = tanh (rnnlab.layers.rnn), by hand: s_1 = tanh([1, 1]); s_2 = tanh(W_A s_1 + U_A [0, 1])
    #   = tanh([3 s - 2 s + 1, 4 s + s + 2]) with s = tanh 1; s'_2 = tanh([-1, 1]);
    #   s'_1 = tanh(W_A' s'_2 + U_A' [1, 0]) = tanh([2 tanh 1 + 3, -2 tanh 1 + tanh 1])
    s_hand = [[0.7615941559557649, 0.7615941559557649, 0.9997643934378118, -0.6420149920119997],
              [0.9426807890983486, 0.9999819579136752, -0.7615941559557649, 0.7615941559557649]]
    y_hand = [-0.40384475452995283, -0.9426807890983486]  # y_t = -s_t[0] + s'_t[0] + s'_t[1]
    y, states = _bidirectional_y(X_04)
    np.testing.assert_allclose(states, s_hand, rtol=0, atol=ATOL)
    np.testing.assert_allclose(y, y_hand, rtol=0, atol=ATOL)


def test_04_bai_tap_4_linear_answer_as_the_small_input_limit():
    # The exercise has no activation. By hand: s_1 = U_A [1, 0] = [1, 1]; s_2 = W_A s_1 + U_A [0, 1] = [1, 5] + [1, 2]
    #   = [2, 7]; s'_2 = U_A' [0, 1] = [-1, 1]; s'_1 = W_A' s'_2 + U_A' [1, 0] = [2, -1] + [3, 0] = [5, -1];
    #   y_1 = -1 + 5 - 1 = 3, y_2 = -2 + (-1 + 1) = -2.
    # The linear network is homogeneous in x, and tanh(a) = a + O(a^3): scaling x by eps and
    # dividing by eps recovers the linear answer from the tanh layer up to O(eps^2).
    eps = 1e-5
    y, states = _bidirectional_y(X_04, scale=eps)
    np.testing.assert_allclose(states / eps, [[1, 1, 5, -1], [2, 7, -1, 1]], rtol=0, atol=1e-6)
    np.testing.assert_allclose(y / eps, [3, -2], rtol=0, atol=1e-6)
