"""Notebook 08's exercises: the batched LSTM step, global-norm clipping, an Adam step, an SGD-with-momentum
step and the mini-batch schedule.

References: ``rnnlab.layers.lstm``, ``rnnlab.training.optim`` and, for the schedule, ``minibatch_schedule``
below, which repeats what ``rnnlab.training.train.fit`` does inline (fit exposes no function for it).
"""
from __future__ import annotations

import numpy as np

from ..layers import lstm
from ..training.optim import SGD, Adam, clip_grad_norm
from .checking import Case, check_function, random_cases
from .nb02_lstm import lstm_step_inputs

__all__ = ["check_lstm_step_batched", "check_clip_by_global_norm", "check_adam_step", "check_sgd_momentum_step",
           "check_minibatch_schedule"]

#: B, D, H with size-1 dimensions among them.
STEP_SHAPES = ({"B": 1, "D": 1, "H": 1}, {"B": 5, "D": 3, "H": 2}, {"B": 2, "D": 1, "H": 4}, {"B": 1, "D": 4, "H": 3},
               {"B": 6, "D": 2, "H": 1})
#: The parameter shapes of the optimiser exercises: one dict of arrays per case (size-1 shapes among them).
PARAM_SHAPES = ({"W": (1, 1)}, {"W_x": (3, 8), "W_h": (2, 8), "b": (8,)}, {"w": (5,)}, {"W": (1, 4), "b": (4,)})


def _copy(tree: dict) -> dict:
    return {k: v.copy() for k, v in tree.items()}


# --- 08.1 the batched LSTM step -------------------------------------------------------------------------------

def lstm_step_batched(x, h_prev, c_prev, W_x, W_h, b):
    """Reference: one step of ``rnnlab.layers.lstm`` for the whole batch (the layer run for T = 1).

    x (B, D), h_prev (B, H), c_prev (B, H), W_x (D, 4H), W_h (H, 4H), b (4H,) -> (h (B, H), c (B, H)).
    """
    _, (h, c), _ = lstm.forward({"W_x": W_x, "W_h": W_h, "b": b}, x[None], (h_prev, c_prev))
    return h, c


def check_lstm_step_batched(student) -> None:
    """Exercise 08.1: ``lstm_step_batched(x, h_prev, c_prev, W_x, W_h, b)`` on 12 cases, float64 and float32.

    One case per dtype has inputs scaled so that a sigmoid written as 1 / (1 + exp(-a)) overflows.
    """
    cases = random_cases(lstm_step_inputs, STEP_SHAPES, large={"B": 3, "D": 2, "H": 2})
    check_function("lstm_step_batched", student, lstm_step_batched, cases)


# --- 08.2 global-norm clipping --------------------------------------------------------------------------------

def clip_by_global_norm(grads, max_norm):
    """Reference: ``rnnlab.training.optim.clip_grad_norm`` on a copy (the package clips in place).

    grads: dict of arrays (any shapes); max_norm > 0 -> (clipped copy of grads, global norm before clipping).
    """
    clipped = _copy(grads)
    norm = clip_grad_norm(clipped, max_norm)
    return clipped, norm


#: (parameter shapes, global norm / max_norm): below and above the threshold, one tensor and several.
CLIP_CASES = ((PARAM_SHAPES[1], 3.0), (PARAM_SHAPES[1], 0.5), (PARAM_SHAPES[0], 4.0), (PARAM_SHAPES[2], 0.8),
              (PARAM_SHAPES[3], 1.7))


def _clip_cases() -> list[Case]:
    """Gradients with a known ratio of their global norm to max_norm, so that each case is clearly clipped or not.

    The tensors get very different sizes (scales 1, 0.2, 25), so clipping each one to max_norm on its own
    gives other numbers than clipping them together.
    """
    rng = np.random.default_rng(8)
    cases = []
    for dtype in (np.float64, np.float32):
        for shapes, ratio in CLIP_CASES:
            grads = {k: rng.standard_normal(s) * 5.0 ** ((-1) ** j * j) for j, (k, s) in enumerate(shapes.items())}
            norm = np.sqrt(sum(float((g * g).sum()) for g in grads.values()))
            max_norm = round(float(norm / ratio), 3)
            grads = {k: g.astype(dtype) for k, g in grads.items()}
            label = f"keys {sorted(shapes)}, norm {'above' if ratio > 1 else 'below'} max_norm, {np.dtype(dtype).name}"
            cases.append(Case((grads, max_norm), label))
    return cases


def check_clip_by_global_norm(student) -> None:
    """Exercise 08.2: ``clip_by_global_norm(grads, max_norm)`` on 10 cases, float64 and float32.

    No case overflows: the package's norm is a plain sum of squares (there is no exp to overflow).
    """
    check_function("clip_by_global_norm", student, clip_by_global_norm, _clip_cases())


# --- 08.3 one Adam step ---------------------------------------------------------------------------------------

def adam_step(params, grads, m, v, t, lr, beta1, beta2, eps):
    """Reference: one ``rnnlab.training.optim.Adam`` step from the state (m, v) after t - 1 steps.

    params, grads, m, v: dicts of arrays with the same keys and shapes; t >= 1 the number of this step.
    Returns (new params, new m, new v); the inputs are not modified.
    """
    opt = Adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    opt.m, opt.v, opt.t = _copy(m), _copy(v), t - 1
    new = _copy(params)
    opt.step(new, grads)
    return new, opt.m, opt.v


#: (parameter shapes, t, lr, beta1, beta2, eps, gradient scale): the first step (m = v = 0) and later ones, the
#: default betas and others, a tiny eps and one large enough to matter (so that eps inside the sqrt shows).
ADAM_CASES = ((PARAM_SHAPES[1], 1, 1e-3, 0.9, 0.999, 1e-8, 1.0), (PARAM_SHAPES[0], 3, 0.1, 0.8, 0.99, 1e-3, 0.01),
              (PARAM_SHAPES[2], 10, 0.05, 0.9, 0.999, 1e-2, 0.03), (PARAM_SHAPES[3], 2, 0.01, 0.5, 0.9, 1e-8, 2.0),
              (PARAM_SHAPES[1], 25, 0.02, 0.95, 0.98, 1e-4, 0.01))


def _state(rng, shapes, dtype, scale, t):
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    grads = {k: (scale * rng.standard_normal(s)).astype(dtype) for k, s in shapes.items()}
    first = t == 1  # before the first step the moments are zero
    m = {k: np.zeros(s, dtype) if first else (scale * rng.standard_normal(s)).astype(dtype) for k, s in shapes.items()}
    v = {k: np.zeros(s, dtype) if first else (scale * rng.standard_normal(s)) ** 2 for k, s in shapes.items()}
    return params, grads, m, {k: a.astype(dtype) for k, a in v.items()}


def _adam_cases() -> list[Case]:
    rng = np.random.default_rng(9)
    cases = []
    for dtype in (np.float64, np.float32):
        for shapes, t, lr, beta1, beta2, eps, scale in ADAM_CASES:
            params, grads, m, v = _state(rng, shapes, dtype, scale, t)
            label = f"keys {sorted(shapes)}, t={t}, betas ({beta1}, {beta2}), eps={eps:g}, {np.dtype(dtype).name}"
            cases.append(Case((params, grads, m, v, t, lr, beta1, beta2, eps), label))
    return cases


def check_adam_step(student) -> None:
    """Exercise 08.3: ``adam_step(params, grads, m, v, t, lr, beta1, beta2, eps)`` on 10 cases, float64 and float32.

    No case overflows on purpose: Adam has no exp; its sqrt is of v >= 0.
    """
    check_function("adam_step", student, adam_step, _adam_cases())


# --- 08.4 one SGD step with momentum --------------------------------------------------------------------------

def sgd_momentum_step(params, grads, velocity, lr, momentum):
    """Reference: one ``rnnlab.training.optim.SGD`` step (heavy-ball momentum) from the given velocity.

    params, grads, velocity: dicts of arrays with the same keys and shapes; 0 < momentum < 1.
    Returns (new params, new velocity); the inputs are not modified.
    """
    opt = SGD(lr=lr, momentum=momentum)
    opt.velocity = _copy(velocity)
    new = _copy(params)
    opt.step(new, grads)
    return new, opt.velocity


#: (parameter shapes, zero velocity (the first step), lr, momentum).
SGD_CASES = ((PARAM_SHAPES[1], True, 0.1, 0.9), (PARAM_SHAPES[0], False, 0.5, 0.5), (PARAM_SHAPES[2], False, 0.03, 0.99),
             (PARAM_SHAPES[3], False, 0.2, 0.7), (PARAM_SHAPES[1], False, 0.01, 0.9))


def _sgd_cases() -> list[Case]:
    rng = np.random.default_rng(10)
    cases = []
    for dtype in (np.float64, np.float32):
        for shapes, first, lr, momentum in SGD_CASES:
            params, grads, velocity, _ = _state(rng, shapes, dtype, 1.0, 1 if first else 2)
            label = f"keys {sorted(shapes)}, {'zero' if first else 'some'} velocity, lr={lr}, momentum={momentum}, " \
                    f"{np.dtype(dtype).name}"
            cases.append(Case((params, grads, velocity, lr, momentum), label))
    return cases


def check_sgd_momentum_step(student) -> None:
    """Exercise 08.4: ``sgd_momentum_step(params, grads, velocity, lr, momentum)`` on 10 cases, float64 and float32.

    No case overflows on purpose: the step is products and sums only.
    """
    check_function("sgd_momentum_step", student, sgd_momentum_step, _sgd_cases())


# --- 08.5 the mini-batch schedule -----------------------------------------------------------------------------

def minibatch_schedule(n, batch_size, epochs, seed):
    """Reference: the sample indices of each update of ``fit(..., strategy="minibatch", seed=seed)``, in order.

    ``fit`` does this inline (it is not a function of the package): one ``np.random.default_rng(seed)`` for
    the whole run, one ``rng.permutation(n)`` per epoch, cut into consecutive batches of ``batch_size`` (the
    last one smaller when batch_size does not divide n). tests/test_exercise_nb08.py checks it against the
    batches that ``fit`` really trains on (when batch_size >= n, ``fit`` skips the indexing and trains on the
    n samples in their stored order: the same batch, so the same gradient).

    n, batch_size, epochs >= 1 and seed: integers -> list of epochs * ceil(n / batch_size) int64 arrays.
    """
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(epochs):
        order = rng.permutation(n)
        batches += [order[lo : lo + batch_size] for lo in range(0, n, batch_size)]
    return batches


#: (n, batch_size, epochs, seed): n = 1, a batch size that divides n and ones that do not, one larger than n.
SCHEDULE_CASES = ((1, 1, 2, 0), (7, 3, 2, 1), (10, 5, 3, 2), (5, 8, 2, 3), (72, 16, 3, 0), (9, 1, 2, 4))


def check_minibatch_schedule(student) -> None:
    """Exercise 08.5: ``minibatch_schedule(n, batch_size, epochs, seed)`` on 6 cases.

    Integers only: the outputs are indices, compared exactly, so there is no float32 case and nothing to overflow.
    """
    cases = [Case((n, bs, epochs, seed), f"n={n}, batch_size={bs}, epochs={epochs}, seed={seed}")
             for n, bs, epochs, seed in SCHEDULE_CASES]
    check_function("minibatch_schedule", student, minibatch_schedule, cases)
