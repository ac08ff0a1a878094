"""DEER (rnnlab.parallel.deer): the LSTM's forward pass by Newton-type iterations equals the layer's loop.

Equal to rnnlab.layers.lstm.forward to 1e-10 in float64 for every method and scan; converging within the
iteration counts measured here with PyTorch-default weights, B=8, H=8 and 32, T=64 to 1024 and four seeds
(to a defect of 1e-10: Newton 4, the 2x2 blocks 14-19, the diagonal 23-33, Jacobi 48-76); the first k steps
exact after k updates.
"""
import numpy as np
import pytest

import rnnlab
from rnnlab.layers import lstm
from rnnlab.parallel import deer
from rnnlab.parallel.deer import DEER_METHODS, lstm_forward_deer, torch_default_params
from rnnlab.parallel.scan import METHODS as SCAN_METHODS

# The iterations needed to a defect of 1e-10, with a margin of one on both sides of the measured range.
ITERATIONS = {"newton": (3, 5), "block": (13, 20), "quasi": (22, 34), "jacobi": (47, 77)}


def problem(T, B, D, H, seed=0, scale=1.0, with_state=False):
    rng = np.random.default_rng(seed)
    params = torch_default_params(D, H, seed=seed + 1, scale=scale)
    X = rng.standard_normal((T, B, D))
    state = (0.5 * rng.standard_normal((B, H)), rng.standard_normal((B, H))) if with_state else None
    return params, X, state


def test_the_package_exports_deer():
    assert rnnlab.lstm_forward_deer is lstm_forward_deer
    assert DEER_METHODS == ("newton", "block", "quasi", "jacobi")


@pytest.mark.parametrize("method", DEER_METHODS)
@pytest.mark.parametrize("T,B,D,H,with_state", [(1, 1, 1, 1, False), (7, 2, 3, 4, True), (40, 3, 5, 6, True)])
def test_deer_equals_the_lstm_layer(method, T, B, D, H, with_state):
    params, X, state = problem(T, B, D, H, seed=T, with_state=with_state)
    Y, (h_T, c_T), _ = lstm.forward(params, X, state)
    Y_d, (h_d, c_d), k = lstm_forward_deer(params, X, state, method=method)
    assert Y_d.shape == Y.shape and 0 <= k <= T
    for got, want in ((Y_d, Y), (h_d, h_T), (c_d, c_T)):
        assert np.abs(got - want).max() <= 1e-10


@pytest.mark.parametrize("scan", SCAN_METHODS)
@pytest.mark.parametrize("method", ["newton", "block", "quasi"])
def test_every_scan_solves_the_linear_steps(method, scan):
    params, X, state = problem(33, 2, 3, 4, seed=2, with_state=True)
    Y = lstm.forward(params, X, state)[0]
    assert np.abs(lstm_forward_deer(params, X, state, method=method, scan=scan)[0] - Y).max() <= 1e-10


@pytest.mark.parametrize("H,T", [(8, 64), (8, 256), (32, 64)])
def test_iteration_counts_with_pytorch_default_weights(H, T):
    params, X, _ = problem(T, 8, H, H, seed=1)
    Y = lstm.forward(params, X)[0]
    counts = []
    for method, (low, high) in ITERATIONS.items():
        Y_d, _, k = lstm_forward_deer(params, X, method=method, tol=1e-10)
        assert low <= k <= high, (method, k)
        assert np.abs(Y_d - Y).max() <= 1e-9
        counts.append(k)
    assert counts == sorted(counts), counts  # the more of the Jacobian, the fewer the iterations


@pytest.mark.parametrize("method", DEER_METHODS)
def test_after_k_updates_the_first_k_steps_are_exact(method):
    params, X, state = problem(24, 2, 3, 5, seed=4, scale=4.0, with_state=True)
    Y = lstm.forward(params, X, state)[0]
    seen = []

    def check(k, h, defect):
        err = np.abs(h - Y).max(axis=(1, 2))
        assert (err[:k] <= 1e-13).all(), (k, err[:k].max())
        seen.append(k)

    _, _, n = lstm_forward_deer(params, X, state, method=method, callback=check)
    assert seen == list(range(n + 1))


def test_weights_scaled_16x_make_undamped_newton_slow_with_huge_intermediate_errors():
    params, X, _ = problem(128, 4, 8, 8, seed=1, scale=16.0)
    Y = lstm.forward(params, X)[0]
    worst = []
    Y_d, _, k = lstm_forward_deer(params, X, method="newton",
                                  callback=lambda k, h, d: worst.append(np.abs(h - Y).max()))
    assert np.abs(Y_d - Y).max() <= 1e-10
    assert k >= 40 and max(worst) > 100  # h is in (-1, 1): an error of 100 is a wild intermediate guess
    assert lstm_forward_deer(*problem(128, 4, 8, 8, seed=1)[:2], method="newton")[2] <= 6


def test_max_iter_reached_is_an_error_and_bad_options_are_value_errors():
    params, X, _ = problem(30, 2, 3, 4)
    with pytest.raises(RuntimeError, match=r"jacobi.*did not converge in max_iter=3"):
        lstm_forward_deer(params, X, method="jacobi", max_iter=3)
    with pytest.raises(ValueError, match="method must be one of"):
        lstm_forward_deer(params, X, method="gauss")
    with pytest.raises(ValueError, match="scan must be one of"):
        lstm_forward_deer(params, X, scan="fft")
    with pytest.raises(ValueError, match="tol must be > 0"):
        lstm_forward_deer(params, X, tol=0)
    with pytest.raises(ValueError, match=r"X has D=2 features"):
        lstm_forward_deer(params, X[..., :2])


def test_the_jacobian_is_the_cells_derivative():
    """Central differences of one LSTM step against the (2H, 2H) Jacobian that Newton uses."""
    params, X, (h0, c0) = problem(1, 3, 2, 4, seed=6, with_state=True)
    H = 4
    XA = X @ params["W_x"] + params["b"]

    def step(s):
        gates, c, tanh_c, h = deer._evaluate(XA, params["W_h"], s[None, :, :H], s[None, :, H:], np)
        return np.concatenate([h, c], axis=-1)[0], (gates, s[None, :, H:], tanh_c)

    s = np.concatenate([h0, c0], axis=-1)
    _, (gates, c_prev, tanh_c) = step(s)
    J = deer._full_jacobian(deer._jacobian_parts(gates, c_prev, tanh_c, params["W_h"]), np)[0]
    eps = 1e-6
    for k in range(2 * H):
        e = np.zeros(2 * H)
        e[k] = eps
        numeric = (step(s + e)[0] - step(s - e)[0]) / (2 * eps)
        np.testing.assert_allclose(J[:, :, k], numeric, atol=1e-8)
    hh, hc, ch, cc = deer._diagonals(deer._jacobian_parts(gates, c_prev, tanh_c, params["W_h"]))
    idx = np.arange(H)
    np.testing.assert_allclose(hh[0], J[:, idx, idx], atol=1e-15)
    np.testing.assert_allclose(hc[0], J[:, idx, H + idx], atol=1e-15)
    np.testing.assert_allclose(ch[0], J[:, H + idx, idx], atol=1e-15)
    np.testing.assert_allclose(cc[0], J[:, H + idx, H + idx], atol=1e-15)


def test_torch_default_params_match_torch_nn_lstm_ranges():
    p = torch_default_params(3, 16, seed=0)
    k = 1 / 4
    assert p["W_x"].shape == (3, 64) and p["W_h"].shape == (16, 64) and p["b"].shape == (64,)
    assert np.abs(p["W_x"]).max() <= k and np.abs(p["W_h"]).max() <= k and np.abs(p["b"]).max() <= 2 * k
    assert np.abs(torch_default_params(3, 16, seed=0, scale=16.0)["W_h"]).max() > 3.5


@pytest.mark.gpu
def test_deer_on_cupy_equals_the_numpy_layer():
    import cupy

    params, X, state = problem(50, 4, 3, 8, seed=3, with_state=True)
    Y = lstm.forward(params, X, state)[0]
    gp = {k: cupy.asarray(v) for k, v in params.items()}
    for method in DEER_METHODS:
        Y_d, _, _ = lstm_forward_deer(gp, cupy.asarray(X), tuple(cupy.asarray(s) for s in state), method=method)
        assert isinstance(Y_d, cupy.ndarray) and np.abs(cupy.asnumpy(Y_d) - Y).max() <= 1e-10
