"""Notebook 01's checkers accept the reference and reject every deliberately wrong solution."""
import copy

import numpy as np
import pytest
from _exercise_mutants import generic

from rnnlab import exercises
from rnnlab.exercises import nb01_rnn
from rnnlab.layers import functional, gradcheck

STEP = nb01_rnn.rnn_step_forward
STEP_BACKWARD = nb01_rnn.rnn_step_backward


# --- rnn_step_forward ------------------------------------------------------------------------------------------
def overflowing_step(x, h_prev, W_x, W_h, b):
    a = x @ W_x + h_prev @ W_h + b
    return (2 / (1 + np.exp(-2 * a)) - 1).astype(a.dtype)  # tanh through exp: overflows for large inputs


def h_prev_ignored(x, h_prev, W_x, W_h, b):
    return np.tanh(x @ W_x + b)


def transposed_recurrent_weight(x, h_prev, W_x, W_h, b):
    return np.tanh(x @ W_x + h_prev @ W_h.T + b)  # the column-vector slides' W_hh h, entered untransposed


def bias_missing(x, h_prev, W_x, W_h, b):
    return np.tanh(x @ W_x + h_prev @ W_h)


# --- rnn_step_backward -----------------------------------------------------------------------------------------
def step_backward_by_hand(dh, x, h_prev, W_x, W_h, h):
    """The direct formula, a second correct solution."""
    da = dh * (1 - h * h)
    return da @ W_x.T, da @ W_h.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def _da(expression):
    """A mutant whose dL/da is ``expression(dh, h, h_prev)`` instead of dh (1 - h²)."""
    def wrong(dh, x, h_prev, W_x, W_h, h):
        da = expression(dh, h, h_prev)
        return da @ W_x.T, da @ W_h.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    return wrong


def _override(position, value):
    """A mutant with output ``position`` replaced by ``value(da, dh, x, h_prev, W_x, W_h, h)``."""
    def wrong(dh, x, h_prev, W_x, W_h, h):
        out = list(step_backward_by_hand(dh, x, h_prev, W_x, W_h, h))
        out[position] = value(dh * (1 - h * h), dh, x, h_prev, W_x, W_h, h)
        return tuple(out)
    return wrong


BACKWARD_WRONG = {
    **generic(STEP_BACKWARD),
    "tanh' forgotten (da = dh)": _da(lambda dh, h, h_prev: dh),
    "tanh' as 1 - h (not 1 - h²)": _da(lambda dh, h, h_prev: dh * (1 - h)),
    "tanh' at h_prev, not h": _da(lambda dh, h, h_prev: dh * (1 - h_prev * h_prev)),
    "dh_prev through W_h, not W_h^T": _override(1, lambda da, dh, x, h_prev, W_x, W_h, h: da @ W_h),
    "dW_h from h, not h_prev": _override(3, lambda da, dh, x, h_prev, W_x, W_h, h: h.T @ da),
    "dW_h transposed": _override(3, lambda da, dh, x, h_prev, W_x, W_h, h: da.T @ h_prev),
    "db as the mean over the batch": _override(4, lambda da, dh, x, h_prev, W_x, W_h, h: da.mean(axis=0)),
    "dh_prev missing (zeros)": _override(1, lambda da, dh, x, h_prev, W_x, W_h, h: np.zeros_like(h_prev)),
}


# --- sigmoid ---------------------------------------------------------------------------------------------------
def sigmoid_as_written(x):
    return 1 / (1 + np.exp(-x))  # e^(-x) overflows for x far below 0


def sigmoid_both_branches(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))  # np.where evaluates both


def sigmoid_by_tanh(x):
    """A second correct solution: σ(x) = (1 + tanh(x / 2)) / 2."""
    return (1 + np.tanh(x / 2)) / 2


def sigmoid_one_branch_wrong(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), 1 / (1 + z))  # σ(-x) for x < 0


SIGMOID_WRONG = {**generic(functional.sigmoid), "1 / (1 + e^-x) (overflows)": sigmoid_as_written,
                 "np.where over two unstable branches (overflows)": sigmoid_both_branches,
                 "the negative branch as the positive one": sigmoid_one_branch_wrong}


# --- numerical_gradient ----------------------------------------------------------------------------------------
def gradient_by_ndindex(f, x, eps):
    """A second correct solution, by multi-indices."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        plus = f()
        x[index] = old - eps
        minus = f()
        x[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _gradient_mutant(step):
    def wrong(f, x, eps):
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            grad[index] = step(f, x, index, eps)
        return grad
    return wrong


def _one_sided(f, x, index, eps):
    old = x[index]
    base = f()
    x[index] = old + eps
    plus = f()
    x[index] = old
    return (plus - base) / eps


def _divided_by_eps(f, x, index, eps):
    old = x[index]
    x[index] = old + eps
    plus = f()
    x[index] = old - eps
    minus = f()
    x[index] = old
    return (plus - minus) / eps


def _eps_ignored(f, x, index, eps):
    return _central(f, x, index, 1e-6)


def _central(f, x, index, eps):
    old = x[index]
    x[index] = old + eps
    plus = f()
    x[index] = old - eps
    minus = f()
    x[index] = old
    return (plus - minus) / (2 * eps)


def _not_restored(f, x, index, eps):
    x[index] += eps
    plus = f()
    x[index] -= 2 * eps
    minus = f()
    x[index] += eps  # x + eps - 2 eps + eps is not always x: the input is left changed in its last bits
    return (plus - minus) / (2 * eps)


def _perturbs_a_copy(f, x, index, eps):
    y = x.copy()  # f reads x, never y: every difference is 0
    y[index] += eps
    plus = f()
    y[index] -= 2 * eps
    return (plus - f()) / (2 * eps)


GRADIENT_WRONG = {
    **{k: v for k, v in generic(gradcheck.numerical_gradient).items() if k != "float32 upcast to float64"},
    "one-sided difference": _gradient_mutant(_one_sided),
    "divided by eps, not 2 eps": _gradient_mutant(_divided_by_eps),
    "eps argument ignored": _gradient_mutant(_eps_ignored),
    "x not restored exactly": _gradient_mutant(_not_restored),
    "perturbs a copy that f never reads": _gradient_mutant(_perturbs_a_copy),
}


# --- softmax_cross_entropy -------------------------------------------------------------------------------------
def cross_entropy_one_hot(logits, targets):
    """A second correct solution, with a one-hot matrix and log-sum-exp."""
    N, K = logits.shape
    one_hot = np.eye(K, dtype=logits.dtype)[targets]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(one_hot * log_p).sum() / N, (np.exp(log_p) - one_hot) / N


def _cross_entropy_mutant(shift=True, log_of_softmax=False, loss_reduce="mean", grad_divided=True, minus_one=True):
    def wrong(logits, targets):
        N = logits.shape[0]
        z = logits - logits.max(axis=1, keepdims=True) if shift else logits
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        log_p = np.log(p) if log_of_softmax else z - np.log(e.sum(axis=1, keepdims=True))
        picked = -log_p[np.arange(N), targets]
        loss = picked.mean() if loss_reduce == "mean" else picked.sum()
        d = p.copy()
        if minus_one:
            d[np.arange(N), targets] -= 1
        return loss, d / N if grad_divided else d
    return wrong


CROSS_ENTROPY_WRONG = {
    **generic(functional.cross_entropy),
    "max not subtracted (overflows)": _cross_entropy_mutant(shift=False),
    "log of the softmax (log 0 for large logits)": _cross_entropy_mutant(log_of_softmax=True),
    "sum over the rows, not the mean": _cross_entropy_mutant(loss_reduce="sum", grad_divided=False),
    "loss a mean, gradient a sum": _cross_entropy_mutant(grad_divided=False),
    "gradient without the -1 at the target": _cross_entropy_mutant(minus_one=False),
}

CHECKERS = {
    "rnn_step_forward": (exercises.check_rnn_step_forward, [STEP], 10, {
        **generic(STEP), "tanh through exp (overflows)": overflowing_step, "h_prev ignored": h_prev_ignored,
        "W_h transposed": transposed_recurrent_weight, "bias missing": bias_missing}),
    "rnn_step_backward": (exercises.check_rnn_step_backward, [STEP_BACKWARD, step_backward_by_hand], 10,
                          BACKWARD_WRONG),
    "sigmoid": (exercises.check_sigmoid, [functional.sigmoid, sigmoid_by_tanh], 10, SIGMOID_WRONG),
    "numerical_gradient": (exercises.check_numerical_gradient, [gradcheck.numerical_gradient, gradient_by_ndindex],
                           6, GRADIENT_WRONG),
    "softmax_cross_entropy": (exercises.check_softmax_cross_entropy, [functional.cross_entropy,
                                                                      cross_entropy_one_hot], 12, CROSS_ENTROPY_WRONG),
}
ACCEPTED = [(name, k) for name, (_, good, _, _) in CHECKERS.items() for k in range(len(good))]
REJECTED = [(name, mistake) for name, (_, _, _, wrong) in CHECKERS.items() for mistake in sorted(wrong)]


@pytest.mark.parametrize("name, k", ACCEPTED, ids=[f"{n}-{k}" for n, k in ACCEPTED])
def test_a_correct_solution_passes(name, k, capsys):
    check, good, n_cases, _ = CHECKERS[name]
    check(good[k])
    assert capsys.readouterr().out.startswith(f"PASS {name}: {n_cases} cases, max rel err ")


@pytest.mark.parametrize("name, mistake", REJECTED, ids=[f"{n}: {m}" for n, m in REJECTED])
def test_a_wrong_solution_is_rejected(name, mistake):
    check, _, _, wrong = CHECKERS[name]
    with pytest.raises(exercises.ExerciseError):
        check(wrong[mistake])


def test_the_step_backward_reference_agrees_with_central_differences():
    rng = np.random.default_rng(7)
    x, h_prev, W_x, W_h, b = nb01_rnn._step_inputs(rng, np.dtype(np.float64), B=3, D=2, H=4, scale=1.0)
    dh = rng.standard_normal((3, 4))
    h = STEP(x, h_prev, W_x, W_h, b)
    got = STEP_BACKWARD(dh, x, h_prev, W_x, W_h, h)
    for array, grad in zip((x, h_prev, W_x, W_h, b), got):
        numeric = gradcheck.numerical_gradient(lambda: np.sum(dh * STEP(x, h_prev, W_x, W_h, b)), array)
        assert gradcheck.relative_error(grad, numeric) < 1e-8


def test_the_gradient_checker_leaves_f_reading_the_copied_x():
    f, x, _ = nb01_rnn._gradient_inputs(np.random.default_rng(0), np.dtype(np.float64), shape=(3,), eps=1e-6,
                                        scale=1.0)
    f2, x2 = copy.deepcopy((f, x))
    assert f2.x is x2 and f.x is x
