"""SGD (with and without momentum), Adam, and global gradient-norm clipping."""
import numpy as np
import pytest

from rnnlab.training.optim import SGD, Adam, clip_grad_norm, global_norm

TARGET = {"w": np.array([[1.0, -2.0], [3.0, 0.5]]), "b": np.array([-1.0, 4.0, 2.0])}
CURVATURE = {"w": np.array([[1.0, 2.0], [0.5, 3.0]]), "b": np.array([1.0, 0.25, 2.0])}


def quadratic(params):
    """f = 0.5 * sum(c * (p - target)^2) over both arrays, and its gradient."""
    loss = sum(0.5 * float((CURVATURE[k] * (params[k] - TARGET[k]) ** 2).sum()) for k in params)
    grads = {k: CURVATURE[k] * (params[k] - TARGET[k]) for k in params}
    return loss, grads


def start():
    return {"w": np.zeros((2, 2)), "b": np.zeros(3)}


@pytest.mark.parametrize(
    "make, steps",
    [
        (lambda: SGD(lr=0.2), 200),
        (lambda: SGD(lr=0.05, momentum=0.9), 300),
        (lambda: Adam(lr=0.1), 500),
    ],
    ids=["sgd", "sgd_momentum", "adam"],
)
def test_optimisers_minimise_a_quadratic(make, steps):
    opt, params = make(), start()
    first, _ = quadratic(params)
    losses = []
    for _ in range(steps):
        loss, grads = quadratic(params)
        losses.append(loss)
        opt.step(params, grads)
    final, _ = quadratic(params)
    assert first > 1.0
    assert final < 1e-6 * first, f"loss went from {first} to {final}"
    for k in params:
        np.testing.assert_allclose(params[k], TARGET[k], atol=1e-3)
    assert losses[10] < losses[0]


def test_sgd_step_is_lr_times_gradient_and_updates_in_place():
    params = start()
    w_before = params["w"]
    _, grads = quadratic(params)
    SGD(lr=0.1).step(params, grads)
    assert params["w"] is w_before  # in place: references held elsewhere see the update
    np.testing.assert_allclose(params["w"], -0.1 * grads["w"])


def test_momentum_accumulates_velocity():
    params = {"x": np.array([0.0])}
    opt = SGD(lr=1.0, momentum=0.5)
    g = {"x": np.array([1.0])}
    opt.step(params, g)  # v = 1, x = -1
    opt.step(params, {"x": np.array([1.0])})  # v = 0.5 + 1 = 1.5, x = -2.5
    np.testing.assert_allclose(params["x"], [-2.5])


def test_adam_first_step_moves_each_entry_by_lr():
    """With bias correction, Adam's first step is lr * sign(g) (up to eps)."""
    params = {"x": np.array([0.0, 0.0, 0.0])}
    Adam(lr=0.01).step(params, {"x": np.array([1e-3, -5.0, 200.0])})
    np.testing.assert_allclose(params["x"], [-0.01, 0.01, -0.01], rtol=1e-4)


def test_optimiser_argument_and_key_errors():
    with pytest.raises(ValueError, match="lr > 0"):
        SGD(lr=0)
    with pytest.raises(ValueError, match="momentum=1"):
        SGD(lr=0.1, momentum=1)
    with pytest.raises(ValueError, match="betas"):
        Adam(beta1=1.0)
    params = start()
    with pytest.raises(ValueError, match=r"grads keys \['w'\] do not match params keys \['b', 'w'\]"):
        SGD().step(params, {"w": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"grads\['b'\] has shape \(2,\) but params\['b'\] has \(3,\)"):
        Adam().step(params, {"w": np.zeros((2, 2)), "b": np.zeros(2)})


def test_global_norm():
    grads = {"a": np.array([3.0]), "b": np.array([[4.0, 0.0]])}
    assert global_norm(grads) == pytest.approx(5.0)


def test_clip_grad_norm_scales_to_the_bound_and_keeps_direction():
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    original = {k: v.copy() for k, v in grads.items()}
    norm_before = global_norm(grads)
    assert norm_before > 1.0
    returned = clip_grad_norm(grads, max_norm=1.0)
    assert returned == pytest.approx(norm_before)
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-9)
    # Same direction: every entry shrank by one common factor.
    ratios = np.concatenate([(grads[k] / original[k]).ravel() for k in grads])
    np.testing.assert_allclose(ratios, 1.0 / norm_before, rtol=1e-9)


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = {"a": np.array([0.3, -0.4])}
    assert clip_grad_norm(grads, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads["a"], [0.3, -0.4])


def test_clip_grad_norm_rejects_a_non_positive_bound():
    with pytest.raises(ValueError, match="max_norm must be positive; got 0"):
        clip_grad_norm({"a": np.ones(2)}, 0)


class _CountingArray(np.ndarray):
    """An ndarray that counts conversions to a Python float: on a GPU each one waits for the device."""

    conversions = 0

    def __float__(self):
        _CountingArray.conversions += 1
        return float(np.asarray(self))


def test_global_norm_converts_to_a_python_float_once():
    grads = {k: np.full((3, 4), 0.5).view(_CountingArray) for k in ("W_x", "W_h", "b", "W_out", "b_out")}
    _CountingArray.conversions = 0
    norm = global_norm(grads)
    assert _CountingArray.conversions == 1, "one device-to-host sync per clipping, not one per parameter"
    assert norm == pytest.approx(np.sqrt(5 * 12 * 0.25), rel=1e-15)
