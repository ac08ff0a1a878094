"""Activations that never overflow, and losses whose gradients match central differences."""
import warnings

import numpy as np
import pytest

from rnnlab.layers import functional
from rnnlab.layers.functional import cross_entropy, log_softmax, mse, relu, sigmoid, softmax, tanh
from rnnlab.layers.gradcheck import numerical_gradient, relative_error


@pytest.fixture(autouse=True)
def floating_point_warnings_are_errors():
    """Overflow, 0/0 and division by zero would only warn; here they fail the test.

    Underflow (exp(-1000) rounding to 0) is the intended, harmless outcome and stays allowed.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_without_overflow(dtype):
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype)
    y = sigmoid(x)
    assert y.dtype == dtype
    assert y[0] == 0.0 or y[0] < 1e-20
    assert y[2] == 0.5
    assert y[-1] == 1.0
    assert np.isfinite(y).all()


def test_sigmoid_matches_the_formula_where_it_is_safe():
    x = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=1e-15)


def test_tanh_and_relu():
    x = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    # tanh x = (e^2x - 1) / (e^2x + 1), written out here rather than through the library call tanh wraps.
    np.testing.assert_allclose(tanh(x), (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1), rtol=1e-14, atol=1e-16)
    assert tanh(np.array([1.0]))[0] == pytest.approx(0.7615941559557649, rel=1e-15)
    np.testing.assert_array_equal(relu(x), [0.0, 0.0, 0.0, 1.0, 3.0])


def test_softmax_and_log_softmax_with_huge_logits():
    logits = np.array([[1000.0, 1000.0, -1000.0], [1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    p = softmax(logits)
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-300)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    logp = log_softmax(logits)
    np.testing.assert_allclose(logp[0, :2], np.log(0.5))
    np.testing.assert_allclose(logp[0, 2], -2000.0 + np.log(0.5))
    assert np.isfinite(logp).all()


def test_softmax_axis_and_shift_invariance():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 4, 5))
    p = softmax(logits, axis=1)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(logits + 123.0, axis=1), p, rtol=1e-12)


def test_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4))
    targets = np.array([0, 3, 1, 1, 2, 0])
    loss, dlogits = cross_entropy(logits, targets)
    manual = -np.mean(np.log(softmax(logits))[np.arange(6), targets])
    assert float(loss) == pytest.approx(manual, rel=1e-14)
    numeric = numerical_gradient(lambda: cross_entropy(logits, targets)[0], logits)
    assert relative_error(dlogits, numeric) < 1e-7
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)


def test_cross_entropy_with_huge_logits_stays_finite():
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]])
    loss, dlogits = cross_entropy(logits, np.array([0, 0]))
    assert float(loss) == pytest.approx(1e4)  # mean of 0 and 2e4
    assert np.isfinite(dlogits).all()


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"logits must be 2-D \(N, K\); got shape \(4,\)"):
        cross_entropy(np.zeros(4), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"targets must have shape \(3,\) to match logits \(3, 2\); got \(2,\)"):
        cross_entropy(np.zeros((3, 2)), np.zeros(2, dtype=int))


@pytest.mark.parametrize("bad", [-1, 2])
def test_cross_entropy_rejects_targets_outside_the_classes(bad):
    """A target of -1 would otherwise index the last class silently."""
    with pytest.raises(ValueError, match=rf"targets must be class indices in \[0, 2\); got .*{bad}"):
        cross_entropy(np.zeros((3, 2)), np.array([0, bad, 1]))


def test_cross_entropy_rejects_float_targets():
    with pytest.raises(ValueError, match="targets must be integer class indices; got dtype float64"):
        cross_entropy(np.zeros((2, 2)), np.array([0.0, 1.0]))


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 2)])
def test_mse_value_and_gradient(shape):
    rng = np.random.default_rng(1)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, dpred = mse(pred, target)
    assert float(loss) == pytest.approx(np.mean((pred - target) ** 2), rel=1e-14)
    numeric = numerical_gradient(lambda: mse(pred, target)[0], pred)
    assert relative_error(dpred, numeric) < 1e-7


def test_mse_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"pred \(4, 1\) and target \(4,\)"):
        mse(np.zeros((4, 1)), np.zeros(4))


@pytest.mark.parametrize("activation, derivative", [
    (sigmoid, functional.sigmoid_derivative), (tanh, functional.tanh_derivative), (relu, functional.relu_derivative),
])
def test_activation_derivatives_match_central_differences(activation, derivative):
    x = np.linspace(-4, 4, 41) + 0.013  # off the grid point 0, where ReLU has no derivative
    numeric = numerical_gradient(lambda: activation(x).sum(), x)  # d/dx_k sum_j f(x_j) = f'(x_k)
    assert relative_error(derivative(x), numeric) < 1e-8


def test_derivative_maxima_are_the_bounds_bptt_uses():
    x = np.linspace(-10, 10, 2001)
    assert functional.sigmoid_derivative(x).max() == 0.25 and functional.tanh_derivative(x).max() == 1.0
    assert set(np.unique(functional.relu_derivative(x))) == {0.0, 1.0}


def test_softmax_jacobian_matches_central_differences_and_sums_to_zero():
    z = np.array([0.5, -1.0, 2.0, 0.0])
    numeric = np.stack([numerical_gradient(lambda i=i: softmax(z)[i], z) for i in range(z.size)])
    J = functional.softmax_jacobian(z)
    assert relative_error(J, numeric) < 1e-8
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)  # the outputs always sum to 1
    np.testing.assert_allclose(J, J.T)


def test_softmax_jacobian_wants_one_vector():
    with pytest.raises(ValueError, match=r"z must be 1-D \(K,\); got shape \(2, 3\)"):
        functional.softmax_jacobian(np.zeros((2, 3)))
