"""Truncated BPTT: full BPTT when k >= T, the full forward pass for any k, and a gradient that differs from full
BPTT's by exactly the paths that cross a chunk boundary."""
import numpy as np
import pytest

from rnnlab import lstm, lstm_sequential
from rnnlab.layers.gradcheck import numerical_gradient, relative_error
from rnnlab.training.models import SequenceRegressor
from rnnlab.training.train import fit
from rnnlab.training.truncated import (
    TruncatedBPTTRegressor,
    cache_bytes,
    chunk_bounds,
    lstm_cache_bytes,
    truncated_bptt,
)

LAYERS = [lstm, lstm_sequential]
KEYS = ("W_x", "W_h", "b")


def _case(T=7, B=3, D=2, H=4, seed=0):
    rng = np.random.default_rng(seed)
    params = lstm.init_params(D, H, seed=seed, dtype=np.float64)
    params["b"] += rng.normal(0, 0.3, params["b"].shape)
    X = rng.standard_normal((T, B, D))
    state = (rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    dY = rng.standard_normal((T, B, H))
    d_state = (rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    return params, X, state, dY, d_state


def _same(a, b, exact):
    if exact:
        assert np.array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_chunk_bounds():
    assert chunk_bounds(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert chunk_bounds(6, 3) == [(0, 3), (3, 6)]
    assert chunk_bounds(7, 7) == [(0, 7)] == chunk_bounds(7, 100)
    assert chunk_bounds(4, np.int64(1)) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert chunk_bounds(7, 3, from_end=True) == [(0, 1), (1, 4), (4, 7)]
    assert chunk_bounds(6, 3, from_end=True) == chunk_bounds(6, 3)
    assert chunk_bounds(7, 9, from_end=True) == [(0, 7)]


@pytest.mark.parametrize("k", [0, -2, 2.5, 3.0, "3", True, None])
def test_a_bad_k_is_a_value_error(k):
    params, X, state, dY, d_state = _case()
    with pytest.raises(ValueError, match=r"k=.*T=7"):
        truncated_bptt(lstm, params, X, k, dY, d_state, state)
    with pytest.raises(ValueError, match=r"k="):
        TruncatedBPTTRegressor(2, 4, 1, k)


def test_bad_shapes_are_value_errors():
    params, X, state, dY, d_state = _case()
    with pytest.raises(ValueError, match="X must be"):
        truncated_bptt(lstm, params, X[0], 2)
    with pytest.raises(ValueError, match="dY must be"):
        truncated_bptt(lstm, params, X, 2, dY[:-1])


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("extra", [0, 1, 5])
def test_k_at_least_T_is_full_bptt_exactly(layer, extra):
    params, X, state, dY, d_state = _case()
    T, B, _ = X.shape
    H = params["W_h"].shape[0]
    Y_full, state_full, cache = layer.forward(params, X, state)
    g_full, dX_full, d0_full = layer.backward(dY, cache, d_state)
    Y, state_T, g, dX, d0, peak = truncated_bptt(layer, params, X, T + extra, dY, d_state, state)
    assert np.array_equal(Y, Y_full)
    for a, b in zip(state_T, state_full):
        assert np.array_equal(a, b)
    for key in KEYS:
        assert np.array_equal(g[key], g_full[key]), key
    assert np.array_equal(dX, dX_full)
    for a, b in zip(d0, d0_full):
        assert np.array_equal(a, b)
    assert peak == cache_bytes(cache) == lstm_cache_bytes(T, B, H, 8)


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_the_carried_state_gives_the_full_forward(layer, k):
    params, X, state, dY, d_state = _case()
    Y_full, (h_full, c_full), _ = layer.forward(params, X, state)
    Y, (h, c), *_ = truncated_bptt(layer, params, X, k, dY, d_state, state)
    exact = layer is lstm_sequential  # one vector product per sample: chunking cannot change a bit
    _same(Y, Y_full, exact)
    _same(h, h_full, exact)
    _same(c, c_full, exact)


def _states(layer, params, X, state, bounds):
    """The state entering every chunk, from the full forward pass."""
    _, _, (_, _, hs, cs, _, _) = layer.forward(params, X, state)
    return [(hs[start].copy(), cs[start].copy()) for start, _ in bounds]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_full_bptt_is_truncated_plus_the_cut_paths(layer, k):
    """Explicit construction: at every boundary b, full BPTT's gradient dL/ds_b flows back into the chunk
    before b. Backward is linear in what flows in, so full = truncated + those cut contributions."""
    params, X, state, dY, d_state = _case()
    T = X.shape[0]
    _, _, cache = layer.forward(params, X, state)
    g_full, dX_full, _ = layer.backward(dY, cache, d_state)
    _, _, g_trunc, dX_trunc, _, _ = truncated_bptt(layer, params, X, k, dY, d_state, state)

    bounds = chunk_bounds(T, k)
    starts = _states(layer, params, X, state, bounds)
    g_cut = {key: np.zeros_like(params[key]) for key in KEYS}
    dX_cut = np.zeros_like(X)
    for j in range(1, len(bounds)):
        b, stop = bounds[j]
        # dL/ds_b of full BPTT: the backward pass of everything after b, started from s_b
        _, _, suffix = layer.forward(params, X[b:], starts[j])
        _, _, d_sb = layer.backward(dY[b:], suffix, d_state)
        # ... and what it does inside the chunk before b, with nothing else flowing in
        prev_start, _ = bounds[j - 1]
        _, _, chunk = layer.forward(params, X[prev_start:b], starts[j - 1])
        g_j, dX_j, _ = layer.backward(None, chunk, d_sb)
        for key in KEYS:
            g_cut[key] += g_j[key]
        dX_cut[prev_start:b] += dX_j
    for key in KEYS:
        assert relative_error(g_trunc[key], g_full[key]) > 1e-3, f"{key}: truncation changed nothing"
        np.testing.assert_allclose(g_trunc[key] + g_cut[key], g_full[key], rtol=1e-10, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(dX_trunc + dX_cut, dX_full, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k", [2, 3])
def test_the_truncated_gradient_is_the_gradient_with_the_chunk_starts_frozen(k):
    """Independent of any backward code: central differences of the surrogate loss in which the state entering
    each chunk is a constant (its value at the current weights)."""
    params, X, state, dY, d_state = _case(T=6, B=2, D=2, H=3, seed=1)
    bounds = chunk_bounds(X.shape[0], k)
    starts = _states(lstm, params, X, state, bounds)

    def surrogate():
        total = 0.0
        for j, (start, stop) in enumerate(bounds):
            Y_j, (h, c), _ = lstm.forward(params, X[start:stop], starts[j])
            total += float(np.sum(dY[start:stop] * Y_j))
        return total + float(np.sum(d_state[0] * h) + np.sum(d_state[1] * c))

    _, _, g, *_ = truncated_bptt(lstm, params, X, k, dY, d_state, state)
    for key in KEYS:
        assert relative_error(g[key], numerical_gradient(surrogate, params[key])) < 1e-7, key


@pytest.mark.parametrize("layer", LAYERS)
def test_a_loss_on_the_final_state_reaches_only_the_last_chunk(layer):
    params, X, state, _, d_state = _case(T=7)
    B, H = X.shape[1], params["W_h"].shape[0]
    k = 3  # chunks [0, 3), [3, 6), [6, 7)
    _, _, g, dX, (dh0, dc0), peak = truncated_bptt(layer, params, X, k, None, d_state, state)
    s6 = _states(layer, params, X, state, [(6, 7)])[0]
    _, _, cache = layer.forward(params, X[6:], s6)
    g_last, dX_last, _ = layer.backward(None, cache, d_state)
    exact = layer is lstm_sequential
    for key in KEYS:
        _same(g[key], g_last[key], exact)
    assert not dX[:6].any()
    _same(dX[6:], dX_last, exact)
    assert not dh0.any() and not dc0.any()
    assert peak == lstm_cache_bytes(3, B, H, 8)  # the longest chunk, not the short last one


def test_cache_bytes_formula():
    for dtype in (np.float32, np.float64):
        params = lstm.init_params(2, 5, dtype=dtype)
        _, _, cache = lstm.forward(params, np.zeros((9, 4, 2), dtype=dtype))
        assert cache_bytes(cache) == lstm_cache_bytes(9, 4, 5, np.dtype(dtype).itemsize) == 4 * 5 * 65 * np.dtype(
            dtype).itemsize


def _regression_case(T=6, B=5):
    rng = np.random.default_rng(3)
    return rng.standard_normal((T, B, 2)), rng.standard_normal((B, 1))


@pytest.mark.parametrize("layer", LAYERS)
def test_regressor_with_k_at_least_T_is_the_regressor_exactly(layer):
    X, Y = _regression_case()
    full = SequenceRegressor(2, 4, 1, seed=2, layer=layer)
    params = full.init_params()
    loss_full, g_full = full.loss_and_grads(params, X, Y)
    for k in (6, 10):
        trunc = TruncatedBPTTRegressor(2, 4, 1, k, seed=2, layer=layer)
        loss, g = trunc.loss_and_grads(params, X, Y)
        assert loss == loss_full
        for key in g_full:
            assert np.array_equal(g[key], g_full[key]), key
        assert trunc.last_peak_bytes == lstm_cache_bytes(6, 5, 4, 8)


@pytest.mark.parametrize("k", [1, 2, 4, 5])
def test_regressor_with_k_below_T(k):
    X, Y = _regression_case()
    full = SequenceRegressor(2, 4, 1, seed=2, layer=lstm_sequential)
    trunc = TruncatedBPTTRegressor(2, 4, 1, k, seed=2, layer=lstm_sequential)
    params = trunc.init_params()
    assert trunc.loss(params, X, Y) == full.loss(params, X, Y)  # the same forward pass
    loss, g = trunc.loss_and_grads(params, X, Y)
    assert loss == full.loss(params, X, Y)
    # the layer's gradient is that of the last k steps started from the carried state, via the head's dh_T
    start = 6 - k
    layer_params = {key: params[key] for key in KEYS}
    s = _states(lstm_sequential, layer_params, X, None, [(start, 6)])[0]
    _, (h_T, _), cache = lstm_sequential.forward(layer_params, X[start:], s)
    dpred = 2 * (h_T @ params["W_y"] + params["b_y"] - Y) / Y.size
    g_last, _, _ = lstm_sequential.backward(None, cache, (dpred @ params["W_y"].T, np.zeros_like(h_T)))
    for key in KEYS:
        np.testing.assert_allclose(g[key], g_last[key], rtol=1e-12, atol=1e-14, err_msg=key)
    _, g_full = full.loss_and_grads(params, X, Y)
    for key in ("W_y", "b_y"):
        assert np.array_equal(g[key], g_full[key]), key  # the head sees h_T, which truncation does not change
    assert trunc.last_peak_bytes == lstm_cache_bytes(k, 5, 4, 8)
    assert trunc.config()["k"] == k


def test_fit_with_k_equal_T_trains_exactly_as_full_bptt():
    X, Y = _regression_case(T=5, B=8)
    full = SequenceRegressor(2, 3, 1, seed=0)
    trunc = TruncatedBPTTRegressor(2, 3, 1, 5, seed=0)
    options = {"strategy": "minibatch", "batch_size": 4, "epochs": 3, "lr": 1e-2, "progress": False}
    p_full, h_full = fit(full, full.init_params(), X, Y, X, Y, **options)
    p_trunc, h_trunc = fit(trunc, trunc.init_params(), X, Y, X, Y, **options)
    assert np.array_equal(h_full[["loss", "val_loss"]].to_numpy(), h_trunc[["loss", "val_loss"]].to_numpy())
    for key in p_full:
        assert np.array_equal(p_full[key], p_trunc[key]), key
