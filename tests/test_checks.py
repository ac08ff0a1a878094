"""Bad inputs to the recurrent layers: each is a ValueError naming the argument and the shapes."""
import re

import numpy as np
import pytest

from rnnlab import gru, lstm, rnn

LAYERS = {"rnn": (rnn, 1, "RNN"), "lstm": (lstm, 4, "LSTM"), "gru": (gru, 3, "GRU")}
T, B, D, H = 3, 2, 4, 5


def make(name):
    layer, G, label = LAYERS[name]
    params = layer.init_params(D, H, seed=0, dtype=np.float64)
    X = np.random.default_rng(0).normal(size=(T, B, D))
    return layer, G, label, params, X


def state_of(name, h, c=None):
    if name == "lstm":
        return (h, np.zeros((B, H)) if c is None else c)
    return h


def raises(*fragments):
    """pytest.raises(ValueError) whose message must contain every fragment (literally)."""
    return pytest.raises(ValueError, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


@pytest.mark.parametrize("name", LAYERS)
def test_X_must_be_3d(name):
    layer, _, label, params, X = make(name)
    with raises(f"{label} X", "3-D", f"D={D}", f"({T * B}, {D})"):
        layer.forward(params, X.reshape(T * B, D))


@pytest.mark.parametrize("name", LAYERS)
def test_X_with_wrong_D(name):
    layer, _, label, params, X = make(name)
    with raises(f"{label} X", "D=3", f"({T}, {B}, 3)", f"D={D}"):
        layer.forward(params, X[:, :, :3])


@pytest.mark.parametrize("name", LAYERS)
def test_X_with_empty_time_or_batch(name):
    layer, _, label, params, X = make(name)
    with raises(f"{label} X", "T >= 1", f"(0, {B}, {D})"):
        layer.forward(params, X[:0])
    with raises(f"{label} X", "B >= 1", f"({T}, 0, {D})"):
        layer.forward(params, X[:, :0])


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X(name, bad):
    layer, _, label, params, X = make(name)
    X[1, 0, 2] = bad
    with raises(f"{label} X", "NaN or inf", f"({T}, {B}, {D})"):
        layer.forward(params, X)


@pytest.mark.parametrize("name", LAYERS)
def test_state_h_with_wrong_shape(name):
    layer, _, _, params, X = make(name)
    with raises("state h", f"({B}, {H})", f"({B + 1}, {H})"):
        layer.forward(params, X, state_of(name, np.zeros((B + 1, H))))
    with raises("state h", f"({B}, {H})", f"({H},)"):
        layer.forward(params, X, state_of(name, np.zeros(H)))


def test_lstm_state_c_with_wrong_shape_and_state_not_a_pair():
    layer, _, _, params, X = make("lstm")
    with raises("state c", f"({B}, {H})", f"({B}, {H + 1})"):
        layer.forward(params, X, (np.zeros((B, H)), np.zeros((B, H + 1))))
    with raises("LSTM state", "pair (h, c)"):
        layer.forward(params, X, np.zeros((B, H)))


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_state(name, bad):
    layer, _, _, params, X = make(name)
    h = np.zeros((B, H))
    h[0, 0] = bad
    with raises("state h", "NaN or inf", f"({B}, {H})"):
        layer.forward(params, X, state_of(name, h))
    if name == "lstm":
        with raises("state c", "NaN or inf", f"({B}, {H})"):
            layer.forward(params, X, (np.zeros((B, H)), h))


@pytest.mark.parametrize("name", LAYERS)
def test_params_W_x_does_not_match_W_h(name):
    layer, G, label, params, X = make(name)
    params["W_x"] = np.zeros((D, G * (H + 1)))
    with raises(f"{label} params['W_x']", f"(D, {G * H})", f"({H}, {G * H})", f"({D}, {G * (H + 1)})"):
        layer.forward(params, X)


@pytest.mark.parametrize("name", LAYERS)
def test_params_W_h_not_square_per_gate(name):
    layer, G, label, params, X = make(name)
    params["W_h"] = np.zeros((H, G * H + 1))
    with raises(f"{label} params['W_h']", f"(H, {G}*H)", f"({H}, {G * H + 1})"):
        layer.forward(params, X)


@pytest.mark.parametrize("name", LAYERS)
def test_params_b_with_wrong_shape(name):
    layer, G, label, params, X = make(name)
    params["b"] = np.zeros((1, G * H))
    with raises(f"{label} params['b']", f"({G * H},)", f"(1, {G * H})"):
        layer.forward(params, X)


@pytest.mark.parametrize("name", LAYERS)
def test_params_missing_key_and_mixed_dtypes(name):
    layer, _, label, params, X = make(name)
    with raises(f"{label} params", "missing", "'b'"):
        layer.forward({k: v for k, v in params.items() if k != "b"}, X)
    params["b"] = params["b"].astype(np.float32)
    with raises(f"{label} params", "one dtype", "float32", "float64"):
        layer.forward(params, X)


@pytest.mark.parametrize("name", LAYERS)
def test_backward_dY_with_wrong_shape(name):
    layer, _, _, params, X = make(name)
    _, _, cache = layer.forward(params, X)
    with raises("dY", f"({T}, {B}, {H})", f"({T}, {B}, {H + 1})"):
        layer.backward(np.zeros((T, B, H + 1)), cache)
    with raises("dY", f"({T}, {B}, {H})", f"({B}, {H})"):
        layer.backward(np.zeros((B, H)), cache)


@pytest.mark.parametrize("name", LAYERS)
def test_backward_d_state_with_wrong_shape(name):
    layer, _, _, params, X = make(name)
    _, _, cache = layer.forward(params, X)
    with raises("d_state dh", f"({B}, {H})", f"({B}, {H + 2})"):
        layer.backward(None, cache, state_of(name, np.zeros((B, H + 2))))
    if name == "lstm":
        with raises("d_state dc", f"({B}, {H})", f"({B + 1}, {H})"):
            layer.backward(None, cache, (np.zeros((B, H)), np.zeros((B + 1, H))))


# --- Where the NaN/inf check runs: never as a device-to-host sync inside a GPU forward or backward.


class _FakeCupyArray:
    """An object rnnlab takes for a CuPy array (its type lives in a module named cupy...)."""


_FakeCupyArray.__module__ = "cupy._core.core"


def test_finite_check_runs_on_host_arrays_and_on_gpu_arrays_only_when_asked(monkeypatch):
    from rnnlab import _checks

    monkeypatch.setattr(_checks, "CHECK_GPU_FINITE", False)
    assert _checks.checks_finite(np.zeros(3))
    assert not _checks.checks_finite(_FakeCupyArray())  # no isfinite().all() -> bool sync per GPU call
    monkeypatch.setattr(_checks, "CHECK_GPU_FINITE", True)  # RNNLAB_CHECK_GPU_FINITE=1, for debugging
    assert _checks.checks_finite(_FakeCupyArray())


def test_the_debug_flag_comes_from_the_environment():
    import os
    import subprocess
    import sys

    code = "import rnnlab._checks as c; print(c.CHECK_GPU_FINITE)"
    for value, expected in (("1", "True"), ("0", "False"), ("", "False")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "RNNLAB_CHECK_GPU_FINITE": value})
        assert out.stdout.strip() == expected, value


@pytest.mark.parametrize("arg", ["X_train", "Y_train", "X_val", "Y_val"])
def test_fit_checks_its_data_once_at_the_boundary(arg):
    from rnnlab.training.models import SequenceRegressor
    from rnnlab.training.train import fit

    rng = np.random.default_rng(0)
    data = {"X_train": rng.standard_normal((4, 6, 1)), "Y_train": rng.standard_normal((6, 1)),
            "X_val": rng.standard_normal((4, 3, 1)), "Y_val": rng.standard_normal((3, 1))}
    data[arg][1] = np.inf
    model = SequenceRegressor(1, 3, 1, seed=0, dtype=np.float64)
    with raises(arg, "NaN or inf", f"shape {data[arg].shape}"):
        fit(model, model.init_params(), data["X_train"], data["Y_train"], data["X_val"], data["Y_val"],
            epochs=1, progress=False)
