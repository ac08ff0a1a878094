"""The sequential LSTM (one sample, one step at a time) computes exactly what the batched one does."""
import numpy as np
import pytest

from rnnlab import lstm, lstm_sequential
from rnnlab.layers.gradcheck import check_layer


def _case(T, B, D, H, seed=0):
    rng = np.random.default_rng(seed)
    params = lstm.init_params(D, H, seed=seed, dtype=np.float64)
    params["b"] += rng.normal(0, 0.3, params["b"].shape)
    X = rng.standard_normal((T, B, D))
    state = (rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    return rng, params, X, state


@pytest.mark.parametrize("T,B,D,H", [(1, 1, 1, 1), (5, 3, 2, 4), (7, 2, 3, 5)])
@pytest.mark.parametrize("with_state", [False, True])
def test_matches_batched_lstm(T, B, D, H, with_state):
    rng, params, X, state = _case(T, B, D, H)
    state = state if with_state else None
    Y_ref, (h_ref, c_ref), cache_ref = lstm.forward(params, X, state)
    Y, (h, c), cache = lstm_sequential.forward(params, X, state)
    np.testing.assert_allclose(Y, Y_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-12)

    dY = rng.standard_normal(Y.shape)
    d_state = (rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    g_ref, dX_ref, (dh_ref, dc_ref) = lstm.backward(dY, cache_ref, d_state)
    g, dX, (dh, dc) = lstm_sequential.backward(dY, cache, d_state)
    assert g.keys() == g_ref.keys()
    for k in g_ref:
        assert g[k].shape == g_ref[k].shape
        np.testing.assert_allclose(g[k], g_ref[k], rtol=1e-12, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(dX, dX_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dh, dh_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dc, dc_ref, rtol=1e-12, atol=1e-12)


def test_backward_without_upstream_gradients_matches():
    _, params, X, _ = _case(4, 2, 3, 3)
    _, _, cache_ref = lstm.forward(params, X)
    _, _, cache = lstm_sequential.forward(params, X)
    dY = np.zeros((4, 2, 3))
    dY[-1] = 1.0
    g_ref, dX_ref, _ = lstm.backward(dY, cache_ref)
    g, dX, _ = lstm_sequential.backward(dY, cache)
    for k in g_ref:
        np.testing.assert_allclose(g[k], g_ref[k], rtol=1e-12, atol=1e-12)
    g0, dX0, (dh0, dc0) = lstm_sequential.backward(None, cache)
    assert all(not v.any() for v in g0.values()) and not dX0.any() and not dh0.any() and not dc0.any()


def test_gradcheck():
    _, params, X, state = _case(4, 2, 3, 3, seed=1)
    errors = check_layer(lstm_sequential, params, X, state)
    assert max(errors.values()) < 1e-7, errors


def test_float32_stays_float32():
    params = lstm.init_params(2, 3, dtype=np.float32)
    X = np.ones((3, 2, 2), dtype=np.float32)
    Y, (h, c), cache = lstm_sequential.forward(params, X)
    grads, dX, _ = lstm_sequential.backward(np.ones_like(Y), cache)
    assert Y.dtype == h.dtype == c.dtype == dX.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


def test_bad_input_is_a_clear_value_error():
    params = lstm.init_params(2, 3, dtype=np.float64)
    with pytest.raises(ValueError, match="D=2"):
        lstm_sequential.forward(params, np.ones((3, 2, 5)))
    with pytest.raises(ValueError, match="state h"):
        lstm_sequential.forward(params, np.ones((3, 2, 2)), (np.ones((2, 4)), np.ones((2, 3))))
    _, _, cache = lstm_sequential.forward(params, np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="dY"):
        lstm_sequential.backward(np.ones((3, 2, 4)), cache)
    bad = dict(params, b=np.zeros(5))
    with pytest.raises(ValueError, match="params\\['b'\\]"):
        lstm_sequential.forward(bad, np.ones((3, 2, 2)))
