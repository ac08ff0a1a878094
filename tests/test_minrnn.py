"""minGRU and minLSTM (rnnlab.layers.mingru, minlstm): forward against a loop written here, gradient checks,
every scan method, bad input, and training with rnnlab's fit."""
import numpy as np
import pytest

from rnnlab import train
from rnnlab.layers import gradcheck, mingru, minlstm
from rnnlab.layers.functional import sigmoid
from rnnlab.parallel.scan import METHODS
from rnnlab.training.models import SequenceRegressor

LAYERS = {"mingru": mingru, "minlstm": minlstm}


def problem(layer, T=7, B=2, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    params = layer.init_params(D, H, seed=seed + 1, dtype=np.float64)
    params["b"] = rng.standard_normal(params["b"].shape)  # gates away from 1/2
    return params, rng.standard_normal((T, B, D)), rng.standard_normal((B, H))


def loop_reference(name, params, X, h0):
    """The paper's equations, one step at a time."""
    H = h0.shape[1]
    h, out = h0, []
    for x in X:
        a = x @ params["W_x"] + params["b"]
        if name == "mingru":
            z, cand = sigmoid(a[:, :H]), a[:, H:]
            h = (1 - z) * h + z * cand
        else:
            f, i, cand = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), a[:, 2 * H :]
            h = f / (f + i) * h + i / (f + i) * cand
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("method", METHODS)
def test_forward_is_the_papers_recurrence_with_every_scan(name, method):
    params, X, h0 = problem(LAYERS[name], T=33)
    Y, h_T, _ = LAYERS[name].forward(params, X, h0, method=method)
    want = loop_reference(name, params, X, h0)
    np.testing.assert_allclose(Y, want, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(h_T, Y[-1])


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("T,with_state", [(1, True), (6, False), (9, True)])
def test_gradients_match_central_differences(name, T, with_state):
    params, X, h0 = problem(LAYERS[name], T=T)
    errors = gradcheck.check_layer(LAYERS[name], params, X, h0 if with_state else None)
    assert set(errors) == {"W_x", "b", "X"} | ({"h0"} if with_state else set())
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("name", LAYERS)
def test_bad_input_is_rejected_with_the_argument_and_the_shapes(name):
    layer = LAYERS[name]
    params, X, h0 = problem(layer)
    with pytest.raises(ValueError, match=r"X has D=2 features"):
        layer.forward(params, X[..., :2])
    with pytest.raises(ValueError, match=r"state h must have shape \(B, H\) = \(2, 4\)"):
        layer.forward(params, X, h0[:1])
    with pytest.raises(ValueError, match=r"params is missing \['b'\]"):
        layer.forward({"W_x": params["W_x"]}, X)
    with pytest.raises(ValueError, match=r"params must be W_x \(D, \d\*H\)"):
        layer.forward({"W_x": params["W_x"], "b": params["b"][:-1]}, X)
    _, _, cache = layer.forward(params, X, h0)
    with pytest.raises(ValueError, match="dY must have the shape of Y"):
        layer.backward(np.zeros((7, 2, 5)), cache)


@pytest.mark.parametrize("name", LAYERS)
def test_trainable_with_fit(name):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 128, 2))
    Y = 0.5 * X[-4:, :, :1].sum(axis=0) + 0.2
    model = SequenceRegressor(2, 8, 1, cell=name, seed=0)
    assert model.param_shapes() == {**LAYERS[name].param_shapes(2, 8), "W_y": (8, 1), "b_y": (1,)}
    params, history = train.fit(model, model.init_params(), X, Y, epochs=40, lr=2e-2, progress=False)
    assert set(params) == {"W_x", "b", "W_y", "b_y"}
    assert history["loss"].iloc[-1] < 0.5 * history["loss"].iloc[0]


def test_the_weather_recording_trains_a_cell_and_the_recorded_csv_has_every_cell_horizon_and_seed():
    from rnnlab.training import weather_cells

    row = weather_cells.record({"minGRU": "mingru"}, horizons=(24,), seeds=(0,), log=lambda m: None).iloc[0]
    assert row["test_mse"] < 0.6 and row["val_mse"] < 0.6 and row["train_seconds"] > 0  # zeros score about 1
    recorded = weather_cells.load()
    assert recorded, "no recorded CSV in data/benchmarks/weather-cells"
    for name, df in recorded.items():
        assert set(df["model"]) == set(weather_cells.CELLS), name
        assert len(df) == len(weather_cells.CELLS) * len(weather_cells.HORIZONS) * len(weather_cells.SEEDS), name
