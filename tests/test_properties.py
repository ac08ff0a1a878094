"""Property-based tests (hypothesis) of the recurrent layers over random shapes, T, B, H down to 1.

Properties: shapes and dtypes of outputs and gradients; a sequence run in two halves, passing
the state, equals one run (forward and backward); batch rows are independent of each other.
max_examples stays small so the file runs in seconds.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab import gru, lstm, rnn

LAYERS = {"rnn": rnn, "lstm": lstm, "gru": gru}
FAST = settings(max_examples=25, deadline=None)

dims = st.integers(min_value=1, max_value=4)
layer_names = st.sampled_from(sorted(LAYERS))
dtypes = st.sampled_from([np.float32, np.float64])


def as_list(state):
    return list(state) if isinstance(state, tuple) else [state]


def pack(name, arrays):
    return tuple(arrays) if name == "lstm" else arrays[0]


def setup(name, T, B, D, H, dtype, seed):
    layer = LAYERS[name]
    params = layer.init_params(D, H, seed=seed, dtype=dtype)
    params["b"] += np.random.default_rng(seed).normal(0, 0.3, params["b"].shape).astype(dtype)
    X = np.random.default_rng(seed + 1).normal(size=(T, B, D)).astype(dtype)
    return layer, params, X


@FAST
@given(name=layer_names, T=dims, B=dims, D=dims, H=dims, dtype=dtypes, seed=st.integers(0, 2**16))
def test_shapes_and_dtypes(name, T, B, D, H, dtype, seed):
    layer, params, X = setup(name, T, B, D, H, dtype, seed)
    Y, s_T, cache = layer.forward(params, X)
    assert Y.shape == (T, B, H) and Y.dtype == dtype
    n_states = 2 if name == "lstm" else 1
    assert len(as_list(s_T)) == n_states
    for s in as_list(s_T):
        assert s.shape == (B, H) and s.dtype == dtype
    assert np.isfinite(Y).all()

    dY = np.random.default_rng(seed + 2).normal(size=Y.shape).astype(dtype)
    grads, dX, d_s0 = layer.backward(dY, cache)
    assert grads.keys() == params.keys()
    for k in params:
        assert grads[k].shape == params[k].shape, k
        assert grads[k].dtype == dtype, k
    assert dX.shape == (T, B, D) and dX.dtype == dtype
    for ds in as_list(d_s0):
        assert ds.shape == (B, H) and ds.dtype == dtype


@FAST
@given(
    name=layer_names, T=st.integers(2, 6), B=dims, D=dims, H=dims, seed=st.integers(0, 2**16), data=st.data()
)
def test_two_halves_with_state_passing_equal_one_run(name, T, B, D, H, seed, data):
    """Forward: Y and the final state agree. Backward: d_state0 of the second half, fed as the
    first half's d_state, gives the same dX and (summed) parameter gradients as one run."""
    split = data.draw(st.integers(1, T - 1), label="split")
    layer, params, X = setup(name, T, B, D, H, np.float64, seed)
    rng = np.random.default_rng(seed + 3)
    dY = rng.normal(size=(T, B, H))
    d_sT = pack(name, [rng.normal(size=(B, H)) for _ in range(2 if name == "lstm" else 1)])

    Y, s_T, cache = layer.forward(params, X)
    grads, dX, d_s0 = layer.backward(dY, cache, d_sT)

    Y1, s_mid, cache1 = layer.forward(params, X[:split])
    Y2, s_T2, cache2 = layer.forward(params, X[split:], s_mid)
    np.testing.assert_allclose(np.concatenate([Y1, Y2]), Y, rtol=1e-12, atol=1e-13)
    for a, b in zip(as_list(s_T2), as_list(s_T)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)

    grads2, dX2, d_mid = layer.backward(dY[split:], cache2, d_sT)
    grads1, dX1, d_s0_split = layer.backward(dY[:split], cache1, d_mid)
    np.testing.assert_allclose(np.concatenate([dX1, dX2]), dX, rtol=1e-10, atol=1e-12)
    for k in params:
        np.testing.assert_allclose(grads1[k] + grads2[k], grads[k], rtol=1e-10, atol=1e-12, err_msg=k)
    for a, b in zip(as_list(d_s0_split), as_list(d_s0)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@FAST
@given(name=layer_names, T=dims, B=st.integers(2, 4), D=dims, H=dims, seed=st.integers(0, 2**16))
def test_batch_rows_are_independent(name, T, B, D, H, seed):
    """Running each batch row alone gives that row of the batched run."""
    layer, params, X = setup(name, T, B, D, H, np.float64, seed)
    Y, s_T, _ = layer.forward(params, X)
    for row in range(B):
        Y_row, s_row, _ = layer.forward(params, X[:, row : row + 1])
        np.testing.assert_allclose(Y_row[:, 0], Y[:, row], rtol=1e-12, atol=1e-13)
        for a, b in zip(as_list(s_row), as_list(s_T)):
            np.testing.assert_allclose(a[0], b[row], rtol=1e-12, atol=1e-13)


@FAST
@given(name=layer_names, T=dims, B=dims, D=dims, H=dims, seed=st.integers(0, 2**16))
def test_float32_tracks_float64(name, T, B, D, H, seed):
    """The same parameters in float32 give the float64 outputs to float32 precision."""
    layer, params64, X = setup(name, T, B, D, H, np.float64, seed)
    params32 = {k: v.astype(np.float32) for k, v in params64.items()}
    Y64, _, _ = layer.forward(params64, X)
    Y32, _, _ = layer.forward(params32, X.astype(np.float32))
    np.testing.assert_allclose(Y32, Y64, rtol=0, atol=1e-5)


@FAST
@given(name=layer_names, T=dims, B=dims, D=dims, H=dims, seed=st.integers(0, 2**16))
def test_outputs_are_bounded(name, T, B, D, H, seed):
    """tanh RNN and GRU states, and LSTM h = o * tanh(c), stay in [-1, 1]."""
    layer, params, X = setup(name, T, B, D, H, np.float64, seed)
    Y, _, _ = layer.forward(params, 10 * X)
    assert np.abs(Y).max() <= 1.0
