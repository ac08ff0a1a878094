"""Stacked and bidirectional wrappers: shapes, agreement with running the layers by hand, gradients."""
import numpy as np
import pytest

from rnnlab import bidirectional, gru, lstm, rnn, stacked
from rnnlab.layers.gradcheck import numerical_gradient, relative_error

LAYERS = [rnn, lstm, gru]


def _state_arrays(s):
    return list(s) if isinstance(s, tuple) else [s]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda m: m.__name__.split(".")[-1])
def test_stacked_forward_equals_layers_run_by_hand(layer):
    X = np.random.default_rng(0).standard_normal((5, 2, 3))
    params = stacked.init_params(layer, 3, [4, 6], seed=1, dtype=np.float64)
    Y, states, _ = stacked.forward(layer, params, X)
    Y1, s1, _ = layer.forward(params[0], X)
    Y2, s2, _ = layer.forward(params[1], Y1)
    assert Y.shape == (5, 2, 6)
    np.testing.assert_allclose(Y, Y2)
    for a, b in zip(_state_arrays(states[0]) + _state_arrays(states[1]), _state_arrays(s1) + _state_arrays(s2)):
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize("layer", LAYERS, ids=lambda m: m.__name__.split(".")[-1])
def test_each_layer_input_weight_has_the_width_of_what_it_reads(layer):
    # Notebook 04's erratum on the HUST stacked-RNN slide: layer 1 reads x (d), layer l >= 2 reads h^(l-1).
    d, widths, G = 3, [5, 4, 4], layer.N_GATES
    params = stacked.init_params(layer, d, widths, dtype=np.float64)
    assert [p["W_x"].shape for p in params] == [(3, 5 * G), (5, 4 * G), (4, 4 * G)]
    assert [p["W_h"].shape for p in params] == [(5, 5 * G), (4, 4 * G), (4, 4 * G)]
    assert [p["b"].shape for p in params] == [(5 * G,), (4 * G,), (4 * G,)]
    wrong = [dict(p) for p in params]
    wrong[1]["W_x"] = np.zeros((d, 4 * G))  # layer 2 given the input width of layer 1
    with pytest.raises(ValueError, match="W_x expects D=3"):
        stacked.forward(layer, wrong, np.zeros((6, 2, d)))


@pytest.mark.parametrize("layer", LAYERS, ids=lambda m: m.__name__.split(".")[-1])
def test_stacked_backward_matches_numerical_gradient(layer):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((4, 2, 3))
    params = stacked.init_params(layer, 3, [3, 2], seed=3, dtype=np.float64)
    G = rng.standard_normal((4, 2, 2))

    def loss():
        return float((G * stacked.forward(layer, params, X)[0]).sum())

    _, _, cache = stacked.forward(layer, params, X)
    grads, dX, _ = stacked.backward(G, cache)
    for l in range(2):
        for k in params[l]:
            assert relative_error(grads[l][k], numerical_gradient(loss, params[l][k])) < 1e-6, (l, k)
    assert relative_error(dX, numerical_gradient(loss, X)) < 1e-6


@pytest.mark.parametrize("layer", LAYERS, ids=lambda m: m.__name__.split(".")[-1])
def test_bidirectional_forward_is_forward_and_reversed_runs(layer):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 2, 3))
    pf = layer.init_params(3, 4, seed=5, dtype=np.float64)
    pb = layer.init_params(3, 4, seed=6, dtype=np.float64)
    Y, _, _ = bidirectional.forward(layer, pf, pb, X)
    assert Y.shape == (6, 2, 8)
    np.testing.assert_allclose(Y[..., :4], layer.forward(pf, X)[0])
    # The backward half at step t has read x_T..x_t: run the layer on x_T..x_t alone and compare.
    for t in range(6):
        Y_rev, _, _ = layer.forward(pb, X[t:][::-1].copy())
        np.testing.assert_allclose(Y[t, :, 4:], Y_rev[-1])


@pytest.mark.parametrize("layer", LAYERS, ids=lambda m: m.__name__.split(".")[-1])
def test_bidirectional_backward_matches_numerical_gradient(layer):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((4, 2, 3))
    pf = layer.init_params(3, 2, seed=8, dtype=np.float64)
    pb = layer.init_params(3, 2, seed=9, dtype=np.float64)
    G = rng.standard_normal((4, 2, 4))

    def loss():
        return float((G * bidirectional.forward(layer, pf, pb, X)[0]).sum())

    _, _, cache = bidirectional.forward(layer, pf, pb, X)
    gf, gb, dX, _ = bidirectional.backward(G, cache)
    for grads, params in ((gf, pf), (gb, pb)):
        for k in params:
            assert relative_error(grads[k], numerical_gradient(loss, params[k])) < 1e-6, k
    assert relative_error(dX, numerical_gradient(loss, X)) < 1e-6


def test_bad_arguments_raise_value_error_naming_them():
    p = rnn.init_params(3, 4, dtype=np.float64)
    q = rnn.init_params(3, 5, dtype=np.float64)
    X = np.zeros((2, 1, 3))
    with pytest.raises(ValueError, match="params_fwd and params_bwd"):
        bidirectional.forward(rnn, p, q, X)
    with pytest.raises(ValueError, match="states has 1 entries"):
        stacked.forward(rnn, [p, p], X, states=[None])
    with pytest.raises(ValueError, match="hidden_sizes"):
        stacked.init_params(rnn, 3, [])
    with pytest.raises(ValueError, match="layer has 1 modules"):
        stacked.forward([rnn], [p, p], X)
