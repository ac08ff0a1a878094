"""Notebook 08's checkers accept the reference (and independent correct solutions) and reject every
deliberately wrong solution; the mini-batch schedule's reference matches the batches fit trains on."""
import numpy as np
import pytest
from _exercise_mutants import generic, not_implemented, returns_lists

from rnnlab import exercises
from rnnlab.exercises import nb08_batching as nb08
from rnnlab.layers.functional import sigmoid
from rnnlab.training.train import fit


def check(name, solution):
    getattr(exercises, f"check_{name}")(solution)


# --- 08.1 the batched LSTM step ---------------------------------------------------------------------------------

def step_from_preactivations(A, c_prev, gate_order=(0, 1, 2, 3), act=sigmoid):
    H = c_prev.shape[1]
    blocks = [A[:, k * H : (k + 1) * H] for k in gate_order]
    i, f, o = act(blocks[0]), act(blocks[1]), act(blocks[3])
    g = np.tanh(blocks[2])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def written_out_step(x, h_prev, c_prev, W_x, W_h, b):
    return step_from_preactivations(x @ W_x + h_prev @ W_h + b, c_prev)


def per_sample_loop(x, h_prev, c_prev, W_x, W_h, b):  # B matrix-vector products: slow, but correct
    hs, cs = [], []
    for n in range(x.shape[0]):
        h, c = step_from_preactivations((x[n] @ W_x + h_prev[n] @ W_h + b)[None], c_prev[n][None])
        hs.append(h[0])
        cs.append(c[0])
    return np.stack(hs), np.stack(cs)


def naive_sigmoid(a):
    return 1 / (1 + np.exp(-a))


STEP_RIGHT = {"the reference": nb08.lstm_step_batched, "written out": written_out_step,
              "a loop over the samples": per_sample_loop}
STEP_WRONG = {
    **generic(nb08.lstm_step_batched),
    "sigmoid through exp (overflows)": lambda x, h, c, W_x, W_h, b: step_from_preactivations(
        x @ W_x + h @ W_h + b, c, act=naive_sigmoid),
    "weights transposed (torch layout)": lambda x, h, c, W_x, W_h, b: step_from_preactivations(
        (W_x.T @ x.T + W_h.T @ h.T + b).T, c),
    "each gate block of W_h transposed": lambda x, h, c, W_x, W_h, b: step_from_preactivations(
        x @ W_x + h @ np.concatenate([blk.T for blk in np.split(W_h, 4, axis=1)], axis=1) + b, c),
    "bias broadcast on the wrong axis": lambda x, h, c, W_x, W_h, b: step_from_preactivations(
        x @ W_x + h @ W_h + b[:, None], c),
    "bias reshaped (H, 4) instead of (4, H)": lambda x, h, c, W_x, W_h, b: step_from_preactivations(
        x @ W_x + h @ W_h + b.reshape(4, -1).T.ravel(), c),
    "recurrent term missing": lambda x, h, c, W_x, W_h, b: step_from_preactivations(x @ W_x + b, c),
    "i and f swapped": lambda x, h, c, W_x, W_h, b: step_from_preactivations(
        x @ W_x + h @ W_h + b, c, gate_order=(1, 0, 2, 3)),
    "h and c swapped": lambda *args: written_out_step(*args)[::-1],
}


@pytest.mark.parametrize("solution", sorted(STEP_RIGHT))
def test_lstm_step_batched_accepts(solution, capsys):
    check("lstm_step_batched", STEP_RIGHT[solution])
    assert capsys.readouterr().out.startswith("PASS lstm_step_batched: 12 cases, max rel err ")


@pytest.mark.parametrize("mistake", sorted(STEP_WRONG))
def test_lstm_step_batched_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        check("lstm_step_batched", STEP_WRONG[mistake])


# --- 08.2 global-norm clipping -----------------------------------------------------------------------------------

def written_out_clip(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values()))
    scale = min(1.0, max_norm / norm)
    return {k: g * g.dtype.type(scale) for k, g in grads.items()}, float(norm)


def per_tensor_clip(grads, max_norm):
    out = {}
    for k, g in grads.items():
        n = np.linalg.norm(g)
        out[k] = g * (max_norm / n) if n > max_norm else g.copy()
    return out, written_out_clip(grads, max_norm)[1]


def always_clip(grads, max_norm):
    norm = written_out_clip(grads, max_norm)[1]
    return {k: g * (max_norm / norm) for k, g in grads.items()}, norm


def in_place_clip(grads, max_norm):  # the package's clip_grad_norm on the input itself
    norm = nb08.clip_grad_norm(grads, max_norm)
    return grads, norm


def norm_after_clipping(grads, max_norm):
    clipped, _ = written_out_clip(grads, max_norm)
    return clipped, written_out_clip(clipped, max_norm)[1]


def sum_of_norms(grads, max_norm):
    norm = sum(float(np.linalg.norm(g)) for g in grads.values())
    return {k: g * (max_norm / norm) if norm > max_norm else g.copy() for k, g in grads.items()}, norm


CLIP_RIGHT = {"the reference": nb08.clip_by_global_norm, "written out": written_out_clip}
CLIP_WRONG = {**generic(nb08.clip_by_global_norm), "each tensor clipped on its own": per_tensor_clip,
              "clipped below the threshold too": always_clip, "clipped in place": in_place_clip,
              "the norm after clipping returned": norm_after_clipping, "sum of the tensors' norms": sum_of_norms}


@pytest.mark.parametrize("solution", sorted(CLIP_RIGHT))
def test_clip_by_global_norm_accepts(solution, capsys):
    check("clip_by_global_norm", CLIP_RIGHT[solution])
    assert capsys.readouterr().out.startswith("PASS clip_by_global_norm: 10 cases, max rel err ")


@pytest.mark.parametrize("mistake", sorted(CLIP_WRONG))
def test_clip_by_global_norm_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        check("clip_by_global_norm", CLIP_WRONG[mistake])


# --- 08.3 one Adam step -------------------------------------------------------------------------------------------

def adam_variant(*, correct=True, eps_inside=False, swap=False):
    def step(params, grads, m, v, t, lr, beta1, beta2, eps):
        if swap:
            beta1, beta2 = beta2, beta1
        new_p, new_m, new_v = {}, {}, {}
        for k in params:
            g = grads[k]
            new_m[k] = beta1 * m[k] + (1 - beta1) * g
            new_v[k] = beta2 * v[k] + (1 - beta2) * g * g
            m_hat = new_m[k] / (1 - beta1**t) if correct else new_m[k]
            v_hat = new_v[k] / (1 - beta2**t) if correct else new_v[k]
            denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
            new_p[k] = params[k] - lr * m_hat / denominator
        return new_p, new_m, new_v
    return step


def adam_step_count_off_by_one(params, grads, m, v, t, lr, beta1, beta2, eps):
    return adam_variant()(params, grads, m, v, t + 1, lr, beta1, beta2, eps)


ADAM_RIGHT = {"the reference": nb08.adam_step, "written out": adam_variant()}
ADAM_WRONG = {**generic(nb08.adam_step), "no bias correction": adam_variant(correct=False),
              "eps inside the sqrt": adam_variant(eps_inside=True), "beta1 and beta2 swapped": adam_variant(swap=True),
              "bias correction with t + 1": adam_step_count_off_by_one}


@pytest.mark.parametrize("solution", sorted(ADAM_RIGHT))
def test_adam_step_accepts(solution, capsys):
    check("adam_step", ADAM_RIGHT[solution])
    assert capsys.readouterr().out.startswith("PASS adam_step: 10 cases, max rel err ")


@pytest.mark.parametrize("mistake", sorted(ADAM_WRONG))
def test_adam_step_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        check("adam_step", ADAM_WRONG[mistake])


def test_adam_step_in_place_is_rejected():
    def in_place(params, grads, m, v, t, lr, beta1, beta2, eps):  # m *= beta1 on the caller's moments
        out = adam_variant()(params, grads, m, v, t, lr, beta1, beta2, eps)
        for k in m:
            m[k] *= beta1
        return out
    with pytest.raises(exercises.ExerciseError, match="modified its input `m`"):
        check("adam_step", in_place)


# --- 08.4 one SGD step with momentum -------------------------------------------------------------------------------

def sgd_variant(rule):
    def step(params, grads, velocity, lr, momentum):
        new_p, new_v = {}, {}
        for k in params:
            new_v[k], update = rule(velocity[k], grads[k], lr, momentum)
            new_p[k] = params[k] - update
        return new_p, new_v
    return step


SGD_RIGHT = {"the reference": nb08.sgd_momentum_step,
             "written out": sgd_variant(lambda v, g, lr, mu: (mu * v + g, lr * (mu * v + g)))}
SGD_WRONG = {
    **generic(nb08.sgd_momentum_step),
    "momentum ignored": sgd_variant(lambda v, g, lr, mu: (mu * v + g, lr * g)),
    "dampened: (1 - momentum) * g": sgd_variant(lambda v, g, lr, mu: (mu * v + (1 - mu) * g, lr * (mu * v + (1 - mu) * g))),
    "lr inside the velocity": sgd_variant(lambda v, g, lr, mu: (mu * v + lr * g, mu * v + lr * g)),
    "Nesterov's update": sgd_variant(lambda v, g, lr, mu: (mu * v + g, lr * (g + mu * (mu * v + g)))),
    "old velocity returned": sgd_variant(lambda v, g, lr, mu: (v.copy(), lr * (mu * v + g))),
    "update with the old velocity": sgd_variant(lambda v, g, lr, mu: (mu * v + g, lr * v)),
    "gradient ascent": sgd_variant(lambda v, g, lr, mu: (mu * v + g, -lr * (mu * v + g))),
}


@pytest.mark.parametrize("solution", sorted(SGD_RIGHT))
def test_sgd_momentum_step_accepts(solution, capsys):
    check("sgd_momentum_step", SGD_RIGHT[solution])
    assert capsys.readouterr().out.startswith("PASS sgd_momentum_step: 10 cases, max rel err ")


@pytest.mark.parametrize("mistake", sorted(SGD_WRONG))
def test_sgd_momentum_step_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        check("sgd_momentum_step", SGD_WRONG[mistake])


# --- 08.5 the mini-batch schedule ----------------------------------------------------------------------------------

class RecordingModel:
    """A model whose loss is 0 and whose gradients are 0, that records the sample indices of every batch it is
    given: sample n of X carries the number n, so the batch's indices are read off X itself."""

    def __init__(self):
        self.batches = []

    def loss_and_grads(self, params, X, Y):
        self.batches.append(X[0, :, 0].astype(np.int64))
        return 0.0, {k: np.zeros_like(v) for k, v in params.items()}

    def loss(self, params, X, Y):
        return 0.0


@pytest.mark.parametrize("n, batch_size, epochs, seed", nb08.SCHEDULE_CASES)
def test_the_schedule_reference_is_what_fit_trains_on(n, batch_size, epochs, seed):
    model = RecordingModel()
    X = np.broadcast_to(np.arange(n, dtype=np.float64)[None, :, None], (2, n, 1)).copy()
    fit(model, {"w": np.zeros(1)}, X, np.zeros((n, 1)), strategy="minibatch", batch_size=batch_size, epochs=epochs,
        optimizer="sgd", lr=0.1, clip=None, seed=seed, progress=False)
    expected = nb08.minibatch_schedule(n, batch_size, epochs, seed)
    assert len(model.batches) == len(expected) == epochs * -(-n // batch_size)
    for got, want in zip(model.batches, expected, strict=True):
        if batch_size >= n:  # fit then trains on all n samples in their stored order: the same batch
            got, want = np.sort(got), np.sort(want)
        np.testing.assert_array_equal(got, want)


def with_shuffle(n, batch_size, epochs, seed):  # rng.shuffle of arange(n) draws the same permutation
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = np.arange(n)
        rng.shuffle(order)
        out.extend(np.array_split(order, range(batch_size, n, batch_size)))
    return out


def schedule_variant(*, reseed=False, shuffle=True, drop_last=False, draw=None):
    def schedule(n, batch_size, epochs, seed):
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(epochs):
            if reseed:
                rng = np.random.default_rng(seed)
            order = (draw or (lambda r, k: r.permutation(k)))(rng, n) if shuffle else np.arange(n)
            stop = n - n % batch_size if drop_last else n
            out += [order[lo : lo + batch_size] for lo in range(0, stop, batch_size)]
        return out
    return schedule


def one_permutation_for_all_epochs(n, batch_size, epochs, seed):
    order = np.random.default_rng(seed).permutation(n)
    return [order[lo : lo + batch_size] for _ in range(epochs) for lo in range(0, n, batch_size)]


def legacy_generator(n, batch_size, epochs, seed):
    rng = np.random.RandomState(seed)
    return [order[lo : lo + batch_size] for order in (rng.permutation(n) for _ in range(epochs))
            for lo in range(0, n, batch_size)]


def float_indices(n, batch_size, epochs, seed):
    return [b.astype(np.float64) for b in nb08.minibatch_schedule(n, batch_size, epochs, seed)]


SCHEDULE_RIGHT = {"the reference": nb08.minibatch_schedule, "rng.shuffle and array_split": with_shuffle}
# The outputs are integers: generic()'s error of 1e-4, float32 upcast and input-modified mutants do not apply.
SCHEDULE_WRONG = {
    "lists instead of arrays": returns_lists(nb08.minibatch_schedule), "not implemented": not_implemented,
    "no shuffling": schedule_variant(shuffle=False), "the generator re-seeded every epoch": schedule_variant(reseed=True),
    "one permutation for all epochs": one_permutation_for_all_epochs,
    "last smaller batch dropped": schedule_variant(drop_last=True),
    "drawn with replacement": schedule_variant(draw=lambda r, k: r.integers(0, k, k)),
    "the legacy np.random.RandomState(seed)": legacy_generator,
    "float indices": float_indices,
}


@pytest.mark.parametrize("solution", sorted(SCHEDULE_RIGHT))
def test_minibatch_schedule_accepts(solution, capsys):
    check("minibatch_schedule", SCHEDULE_RIGHT[solution])
    assert capsys.readouterr().out.startswith("PASS minibatch_schedule: 6 cases")


@pytest.mark.parametrize("mistake", sorted(SCHEDULE_WRONG))
def test_minibatch_schedule_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        check("minibatch_schedule", SCHEDULE_WRONG[mistake])


def test_every_checker_runs_in_well_under_a_second():
    import time

    for name in ("lstm_step_batched", "clip_by_global_norm", "adam_step", "sgd_momentum_step", "minibatch_schedule"):
        start = time.perf_counter()
        with pytest.raises(exercises.ExerciseError):
            check(name, not_implemented)
        check(name, getattr(nb08, name))
        assert time.perf_counter() - start < 0.5, name
