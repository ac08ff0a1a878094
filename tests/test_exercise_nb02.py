"""Notebook 02's checkers accept the references (and independent correct solutions) and reject every
deliberately wrong solution."""
import numpy as np
import pytest
from _exercise_mutants import generic

from rnnlab import exercises, lstm
from rnnlab.exercises import nb02_lstm as nb02

# --- an independent solution, written from the equations, with switches for the classic mistakes ----------

def stable_sigmoid(a):
    z = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + z), z / (1 + z)).astype(a.dtype)


def naive_sigmoid(a):
    return (1 / (1 + np.exp(-a))).astype(a.dtype)


def _gates(a, H, *, sigmoid=stable_sigmoid, swap_if=False):
    i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
    if swap_if:
        i, f = f, i
    return sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)


def step_forward(x, h_prev, c_prev, W_x, W_h, b, *, sigmoid=stable_sigmoid, swap_if=False, tanh_c=True,
                 swap_hc=False):
    H = h_prev.shape[1]
    i, f, g, o = _gates(x @ W_x + h_prev @ W_h + b, H, sigmoid=sigmoid, swap_if=swap_if)
    c = f * c_prev + i * g
    h = o * (np.tanh(c) if tanh_c else c)
    return (c, h) if swap_hc else (h, c)


def step_backward(dh, dc, x, h_prev, c_prev, W_x, W_h, b, *, dc_through_tanh=True, g_slope_of_sigmoid=False,
                  swap_if=False):
    H = h_prev.shape[1]
    i, f, g, o = _gates(x @ W_x + h_prev @ W_h + b, H)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc_total = dc + dh * o * (1 - tc**2) if dc_through_tanh else dc
    di, df, dg, do = dc_total * g, dc_total * c_prev, dc_total * i, dh * tc
    g_slope = g * (1 - g) if g_slope_of_sigmoid else 1 - g**2
    da_i, da_f = di * i * (1 - i), df * f * (1 - f)
    if swap_if:
        da_i, da_f = da_f, da_i
    da = np.concatenate([da_i, da_f, dg * g_slope, do * o * (1 - o)], axis=1)
    return da @ W_x.T, da @ W_h.T, dc_total * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def slide_layout(W, U, b, *, order="ifco", transpose=True, swap_WU=False):
    if swap_WU:
        W, U = U, W
    t = (lambda m: m.T) if transpose else (lambda m: m)
    return {"W_x": np.concatenate([t(W[k]) for k in order], axis=1),
            "W_h": np.concatenate([t(U[k]) for k in order], axis=1),
            "b": np.concatenate([b[k] for k in order])}


def slide_step(x, h_prev, c_prev, W, U, b, *, sigmoid=stable_sigmoid, candidate=np.tanh, use_U=True,
               tanh_c=True, swap_hc=False, swap_if=False):
    def pre(k):
        return W[k] @ x + (U[k] @ h_prev if use_U else 0) + b[k]
    i, f = sigmoid(pre("i")), sigmoid(pre("f"))
    if swap_if:
        i, f = f, i
    o, g = sigmoid(pre("o")), candidate(pre("c"))
    c = f * c_prev + i * g
    h = o * (np.tanh(c) if tanh_c else c)
    return (c, h) if swap_hc else (h, c)


def path_gradients(a_f, *, sigmoid=stable_sigmoid, include_last=True, forward=False, only_first=False):
    f = sigmoid(a_f)
    T = len(f)
    G = np.empty((T + 1, *f.shape[1:]), dtype=f.dtype)
    G[T] = 1
    if forward:  # prod_{j <= t} f_j: the product in the wrong direction
        G[0] = 1
        for t in range(T):
            G[t + 1] = G[t] * f[t]
    else:
        for t in reversed(range(T)):
            G[t] = G[t + 1] * f[t] if include_last else G[t + 1] * f[t - 1] if t else G[t + 1]
    return G[0] if only_first else G


def _with(fn, **flags):
    return lambda *args: fn(*args, **flags)


def test_the_independent_solutions_agree_with_the_references():
    rng = np.random.default_rng(7)
    args = nb02._backward_inputs(rng, np.dtype(np.float64), B=3, D=4, H=2, scale=1.0)
    for got, want in zip(step_forward(*args[2:]), nb02.lstm_step_forward(*args[2:])):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    for got, want in zip(step_backward(*args), nb02.lstm_step_backward(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    weights = nb02._slide_weights(rng, np.dtype(np.float64), 3, 2)
    for key, value in slide_layout(*weights).items():
        np.testing.assert_array_equal(nb02.slide_to_rnnlab(*weights)[key], value)
    a_f = rng.standard_normal((6, 2, 3))
    G = nb02.cell_path_gradients(a_f)
    np.testing.assert_allclose(G, path_gradients(a_f), rtol=1e-14)
    np.testing.assert_allclose(G[:-1], np.cumprod(stable_sigmoid(a_f)[::-1], axis=0)[::-1], rtol=1e-14)


def test_the_cell_path_is_the_layers_gradient_with_every_other_path_switched_off():
    # W_h = 0 and no gradient at h: the layer's dL/dc_0 from dL/dc_T = 1 is then the cell path alone.
    rng = np.random.default_rng(8)
    T, B, H = 7, 2, 3
    a_f = rng.standard_normal((T, B, H))
    params = {"W_x": np.zeros((H, 4 * H)), "W_h": np.zeros((H, 4 * H)), "b": rng.standard_normal(4 * H)}
    params["W_x"][:, H : 2 * H] = np.eye(H)  # x_t is the forget gate's pre-activation, exactly
    params["b"][H : 2 * H] = 0
    _, _, cache = lstm.forward(params, a_f, (rng.standard_normal((B, H)), rng.standard_normal((B, H))))
    dc0 = lstm.backward(None, cache, (np.zeros((B, H)), np.ones((B, H))))[2][1]
    np.testing.assert_allclose(nb02.cell_path_gradients(a_f)[0], dc0, rtol=1e-14)


def test_the_slide_layout_runs_the_slides_equations():
    rng = np.random.default_rng(9)
    x, h_prev, c_prev, W, U, b = nb02._slide_step_inputs(rng, np.dtype(np.float64), D=4, H=3, scale=1.0)
    for got, want in zip(nb02.one_lstm_step_by_gates(x, h_prev, c_prev, W, U, b),
                         slide_step(x, h_prev, c_prev, W, U, b)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


CHECKERS = {
    "lstm_step_forward": (exercises.check_lstm_step_forward, nb02.lstm_step_forward, step_forward, {
        "sigmoid through exp (overflows)": _with(step_forward, sigmoid=naive_sigmoid),
        "h and c swapped": _with(step_forward, swap_hc=True),
        "gates i and f swapped": _with(step_forward, swap_if=True),
        "tanh(c) forgotten": _with(step_forward, tanh_c=False),
    }),
    "lstm_step_backward": (exercises.check_lstm_step_backward, nb02.lstm_step_backward, step_backward, {
        "dc path through tanh(c) missing": _with(step_backward, dc_through_tanh=False),
        "candidate's slope g(1 - g)": _with(step_backward, g_slope_of_sigmoid=True),
        "gates i and f swapped": _with(step_backward, swap_if=True),
    }),
    "slide_to_rnnlab": (exercises.check_slide_to_rnnlab, nb02.slide_to_rnnlab, slide_layout, {
        "the slide's order f, i, o, c": _with(slide_layout, order="fioc"),
        "no transpose": _with(slide_layout, transpose=False),
        "W and U swapped": _with(slide_layout, swap_WU=True),
    }),
    "one_lstm_step_by_gates": (exercises.check_one_lstm_step_by_gates, nb02.one_lstm_step_by_gates, slide_step, {
        "sigmoid through exp (overflows)": _with(slide_step, sigmoid=naive_sigmoid),
        "candidate through a sigmoid": _with(slide_step, candidate=stable_sigmoid),
        "U h_prev left out": _with(slide_step, use_U=False),
        "tanh(c) forgotten": _with(slide_step, tanh_c=False),
        "h and c swapped": _with(slide_step, swap_hc=True),
        "gates i and f swapped": _with(slide_step, swap_if=True),
    }),
    "cell_path_gradients": (exercises.check_cell_path_gradients, nb02.cell_path_gradients, path_gradients, {
        "sigmoid through exp (overflows)": _with(path_gradients, sigmoid=naive_sigmoid),
        "off by one step (f_t left out)": _with(path_gradients, include_last=False),
        "product from the start (prod f_1..f_t)": _with(path_gradients, forward=True),
        "only d c_T / d c_0": _with(path_gradients, only_first=True),
    }),
}
WRONG = [(name, mistake, wrong) for name, (_, reference, _, own) in CHECKERS.items()
         for mistake, wrong in {**generic(reference), **own}.items()]


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_the_reference_and_an_independent_solution_pass(name, capsys):
    check, reference, independent, _ = CHECKERS[name]
    check(reference)
    check(independent)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith(f"PASS {name}: ") and " cases, max rel err " in line for line in out)


@pytest.mark.parametrize("name, mistake, wrong", WRONG, ids=[f"{n}: {m}" for n, m, _ in WRONG])
def test_a_wrong_solution_is_rejected(name, mistake, wrong):
    with pytest.raises(exercises.ExerciseError):
        CHECKERS[name][0](wrong)


def test_bai_tap_2_is_checked_against_the_hand_value(capsys):
    rng = np.random.default_rng(10)
    x, h_prev, c_prev, W, U, b = nb02._slide_step_inputs(rng, np.dtype(np.float64), D=3, H=2, scale=1.0)
    h_1 = nb02.one_lstm_step_by_gates(x, h_prev, c_prev, W, U, b)[0]
    example = dict(x=x, h_prev=h_prev, c_prev=c_prev, W=W, U=U, b=b, h_1=h_1)
    exercises.check_one_lstm_step_by_gates(slide_step, example)
    assert capsys.readouterr().out.splitlines()[-1].startswith("Bài tập 2: h_1 = [")
    with pytest.raises(exercises.ExerciseError, match="not the hand value"):
        exercises.check_one_lstm_step_by_gates(slide_step, dict(example, h_1=h_1 * (1 + 1e-4)))
