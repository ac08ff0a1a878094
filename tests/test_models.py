"""Sequence models: gradients of every parameter (layer and head) checked numerically, and the tokenizer."""
import numpy as np
import pytest

from rnnlab import lstm_sequential
from rnnlab.layers.gradcheck import numerical_gradient, relative_error
from rnnlab.training.models import ChangeTokenizer, SequenceClassifier, SequenceRegressor, one_hot


def _gradcheck(model, params, X, Y):
    _, grads = model.loss_and_grads(params, X, Y)
    assert grads.keys() == params.keys()
    return {k: relative_error(grads[k], numerical_gradient(lambda: model.loss(params, X, Y), params[k]))
            for k in params}


@pytest.mark.parametrize("cell", ["lstm", "rnn", "gru"])
def test_regressor_gradcheck(cell):
    rng = np.random.default_rng(0)
    model = SequenceRegressor(2, 4, 3, cell=cell, seed=1)
    params = model.init_params()
    assert set(params) == {"W_x", "W_h", "b", "W_y", "b_y"}
    params["b_y"] += rng.normal(size=3)
    X, Y = rng.standard_normal((5, 3, 2)), rng.standard_normal((3, 3))
    errors = _gradcheck(model, params, X, Y)
    assert max(errors.values()) < 1e-7, errors
    assert model.predict(params, X).shape == (3, 3)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_classifier_gradcheck(cell):
    rng = np.random.default_rng(1)
    model = SequenceClassifier(3, 4, 5, cell=cell, seed=2)
    params = model.init_params()
    X, y = rng.standard_normal((4, 6, 3)), rng.integers(0, 5, size=6)
    errors = _gradcheck(model, params, X, y)
    assert max(errors.values()) < 1e-7, errors
    proba = model.predict_proba(params, X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(params, X), proba.argmax(axis=1))


def test_sequential_layer_gives_the_same_loss_and_grads():
    rng = np.random.default_rng(2)
    batched = SequenceRegressor(2, 3, 2, seed=3)
    sequential = SequenceRegressor(2, 3, 2, seed=3, layer=lstm_sequential)
    params = batched.init_params()
    X, Y = rng.standard_normal((4, 3, 2)), rng.standard_normal((3, 2))
    loss_b, g_b = batched.loss_and_grads(params, X, Y)
    loss_s, g_s = sequential.loss_and_grads(params, X, Y)
    assert abs(loss_b - loss_s) < 1e-12
    for k in g_b:
        np.testing.assert_allclose(g_s[k], g_b[k], rtol=1e-10, atol=1e-13)


def test_init_params_is_seeded_and_typed():
    a = SequenceRegressor(1, 3, 1, seed=5, dtype=np.float32).init_params()
    b = SequenceRegressor(1, 3, 1, seed=5, dtype=np.float32).init_params()
    c = SequenceRegressor(1, 3, 1, seed=6, dtype=np.float32).init_params()
    assert all(np.array_equal(a[k], b[k]) and a[k].dtype == np.float32 for k in a)
    assert not np.array_equal(a["W_y"], c["W_y"])
    model = SequenceRegressor(1, 3, 2, cell="gru")
    assert {k: v.shape for k, v in model.init_params().items()} == model.param_shapes()


def test_bad_arguments_are_clear_value_errors():
    with pytest.raises(ValueError, match="cell"):
        SequenceRegressor(1, 2, 1, cell="transformer")
    with pytest.raises(ValueError, match="hidden_size"):
        SequenceRegressor(1, 0, 1)
    model = SequenceRegressor(1, 2, 3)
    params = model.init_params()
    with pytest.raises(ValueError, match=r"Y must have shape \(4, 3\)"):
        model.loss_and_grads(params, np.ones((5, 4, 1)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"\(T, B, D\)"):
        model.predict(params, np.ones((5, 4)))
    with pytest.raises(ValueError, match="head"):
        model.predict({k: params[k] for k in ("W_x", "W_h", "b")}, np.ones((5, 4, 1)))
    clf = SequenceClassifier(1, 2, 3)
    cp = clf.init_params()
    with pytest.raises(ValueError, match="0..2"):
        clf.loss(cp, np.ones((2, 2, 1)), np.array([0, 3]))
    with pytest.raises(ValueError, match="integer"):
        clf.loss(cp, np.ones((2, 2, 1)), np.array([0.0, 1.0]))


def test_tokenizer_bins_centroids_and_round_trip():
    rng = np.random.default_rng(3)
    changes = rng.standard_normal(400)
    tok = ChangeTokenizer(4).fit(changes)
    assert tok.edges.shape == (3,) and np.all(np.diff(tok.edges) > 0)
    classes = tok.encode(changes)
    np.testing.assert_array_equal(np.bincount(classes), [100, 100, 100, 100])  # quantile bins
    for k in range(4):
        assert tok.centroids[k] == pytest.approx(changes[classes == k].mean())
        assert np.all(tok.encode(tok.centroids[k]) == k)  # a centroid lies in its own bin
    assert tok.encode([-100.0, 100.0]).tolist() == [0, 3]
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


def test_tokenizer_on_a_hand_worked_example():
    changes = np.arange(8.0)  # quartiles 1.75, 3.5, 5.25: two changes per class, class means 0.5, 2.5, 4.5, 6.5
    tok = ChangeTokenizer(4).fit(changes)
    np.testing.assert_allclose(tok.devide_lines, [1.75, 3.5, 5.25])  # the seed's name reads the bin edges
    np.testing.assert_array_equal(tok.encode(changes), [0, 0, 1, 1, 2, 2, 3, 3])
    np.testing.assert_allclose(tok.decode(np.array([3, 0, 2, 1])), [6.5, 0.5, 4.5, 2.5])


def test_tokenizer_errors():
    with pytest.raises(ValueError, match="not fitted"):
        ChangeTokenizer(3).encode([0.1])
    with pytest.raises(ValueError, match="distinct"):
        ChangeTokenizer(3).fit(np.zeros(10))
    with pytest.raises(ValueError, match="n_classes"):
        ChangeTokenizer(1)
    tok = ChangeTokenizer(3).fit(np.arange(9.0))
    with pytest.raises(ValueError, match="0..2"):
        tok.decode(np.array([3]))
