"""Notebook 03's checkers accept the reference and reject every deliberately wrong solution."""
import numpy as np
import pytest
from _exercise_mutants import generic

from rnnlab import exercises, gru
from rnnlab.exercises import nb03_gru
from rnnlab.layers.functional import sigmoid

STEP, SLIDE, OUTPUT = nb03_gru.gru_step_forward, nb03_gru.gru_step_slide, nb03_gru.gru_output


def naive_sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ---------------------------------------------------------------------------------------------------------------
# 03.1 gru_step_forward: row vectors, blocks r, z, n


def _step(x, h_prev, W_x, W_h, b, *, mirror=False, reset_after=False, swap_rz=False, no_reset=False,
          act=sigmoid):
    H = h_prev.shape[1]
    a = x @ W_x + b
    r_block, z_block = (slice(H, 2 * H), slice(0, H)) if swap_rz else (slice(0, H), slice(H, 2 * H))
    r = act(a[:, r_block] + h_prev @ W_h[:, r_block])
    z = act(a[:, z_block] + h_prev @ W_h[:, z_block])
    if no_reset:
        n = np.tanh(a[:, 2 * H :] + h_prev @ W_h[:, 2 * H :])
    elif reset_after:
        n = np.tanh(a[:, 2 * H :] + r * (h_prev @ W_h[:, 2 * H :]))
    else:
        n = np.tanh(a[:, 2 * H :] + (r * h_prev) @ W_h[:, 2 * H :])
    return (1 - z) * h_prev + z * n if mirror else z * h_prev + (1 - z) * n


def step_written_out(*args):
    return _step(*args)


STEP_WRONG = {
    **generic(STEP),
    "the slide's z convention (1 - z) h + z n": lambda *a: _step(*a, mirror=True),
    "reset gate after the product (torch's)": lambda *a: _step(*a, reset_after=True),
    "r and z blocks swapped": lambda *a: _step(*a, swap_rz=True),
    "candidate without the reset gate": lambda *a: _step(*a, no_reset=True),
    "sigmoid 1 / (1 + exp(-a)) (overflows)": lambda *a: _step(*a, act=naive_sigmoid),
}


def test_gru_step_forward_accepts_the_reference_and_a_written_out_step(capsys):
    exercises.check_gru_step_forward(STEP)
    exercises.check_gru_step_forward(step_written_out)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("PASS gru_step_forward: 10 cases, max rel err ") for line in out)


@pytest.mark.parametrize("mistake", sorted(STEP_WRONG))
def test_gru_step_forward_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_gru_step_forward(STEP_WRONG[mistake])


# ---------------------------------------------------------------------------------------------------------------
# 03.2 gru_step_slide: column vectors, per-gate dicts, both conventions


def _slide(x, h_prev, W, U, b, *, reset_after=False, swap_rz=False, rows=False, act=sigmoid, swap_out=False):
    lin = (lambda M, v: M.T @ v) if rows else (lambda M, v: M @ v)
    kr, kz = ("z", "r") if swap_rz else ("r", "z")
    r = act(lin(W[kr], x) + lin(U[kr], h_prev) + b[kr])
    z = act(lin(W[kz], x) + lin(U[kz], h_prev) + b[kz])
    recurrent = r * lin(U["n"], h_prev) if reset_after else lin(U["n"], r * h_prev)
    n = np.tanh(lin(W["n"], x) + recurrent + b["n"])
    course, slide = z * h_prev + (1 - z) * n, (1 - z) * h_prev + z * n
    return (slide, course) if swap_out else (course, slide)


def slide_written_out(*args):
    return _slide(*args)


SLIDE_WRONG = {
    **generic(SLIDE),
    "the two conventions swapped": lambda *a: _slide(*a, swap_out=True),
    "reset gate after the product (torch's)": lambda *a: _slide(*a, reset_after=True),
    "r and z swapped": lambda *a: _slide(*a, swap_rz=True),
    "rows of W instead of columns (W^T x)": lambda *a: _slide(*a, rows=True),
    "sigmoid 1 / (1 + exp(-a)) (overflows)": lambda *a: _slide(*a, act=naive_sigmoid),
    "only the course's h": lambda *a: _slide(*a)[0],
}

# Bài tập 3 (VietAI): the slide's weights, x_1 = [1, 0], h_0 = 0, every bias 1.
W_BT3 = {"r": [[1, -1], [-6, -1]], "z": [[1, 3], [2, 0]], "n": [[1, 1], [2, 0]]}
U_BT3 = {"r": [[1, 1], [4, -3]], "z": [[3, 0], [-1, 1]], "n": [[2, 3], [0, -2]]}


def test_the_slide_reference_gives_bai_tap_3s_two_answers():
    W = {k: np.array(v, dtype=float) for k, v in W_BT3.items()}
    U = {k: np.array(v, dtype=float) for k, v in U_BT3.items()}
    b = {k: np.ones(2) for k in "rzn"}
    course, slide = SLIDE(np.array([1.0, 0.0]), np.zeros(2), W, U, b)
    # z = [s(2), s(3)], candidate = [tanh 2, tanh 3]; course (1 - z) n, slide z n (h_0 = 0)
    z, n = 1 / (1 + np.exp(-np.array([2.0, 3.0]))), np.tanh([2.0, 3.0])
    np.testing.assert_allclose(course, (1 - z) * n, rtol=1e-12)
    np.testing.assert_allclose(slide, z * n, rtol=1e-12)
    np.testing.assert_allclose(course, [0.1149, 0.0472], atol=1e-4)
    np.testing.assert_allclose(slide, [0.8491, 0.9479], atol=1e-4)


def test_the_slide_reference_agrees_with_the_package_with_z_negated():
    """An independent route to the slide's convention: sigma(-a) = 1 - sigma(a), so negating z's block of
    W_x, W_h and b turns rnnlab's z h + (1 - z) n into (1 - z) h + z n."""
    rng = np.random.default_rng(7)
    for D, H in ((1, 1), (3, 2), (2, 5)):
        x, h_prev, W, U, b = nb03_gru._slide_inputs(rng, np.dtype(np.float64), D=D, H=H, scale=1.0)
        flip = {"r": 1.0, "z": -1.0, "n": 1.0}
        params = {"W_x": np.concatenate([flip[k] * W[k].T for k in "rzn"], axis=1),
                  "W_h": np.concatenate([flip[k] * U[k].T for k in "rzn"], axis=1),
                  "b": np.concatenate([flip[k] * b[k] for k in "rzn"])}
        h_slide = gru.forward(params, x[None, None], h_prev[None])[1][0]
        course, slide = SLIDE(x, h_prev, W, U, b)
        np.testing.assert_allclose(slide, h_slide, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(course, slide_written_out(x, h_prev, W, U, b)[0], rtol=1e-12, atol=1e-14)


def test_gru_step_slide_accepts_the_reference_and_a_written_out_step(capsys):
    exercises.check_gru_step_slide(SLIDE)
    exercises.check_gru_step_slide(slide_written_out)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("PASS gru_step_slide: 12 cases, max rel err ") for line in out)


@pytest.mark.parametrize("mistake", sorted(SLIDE_WRONG))
def test_gru_step_slide_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_gru_step_slide(SLIDE_WRONG[mistake])


# ---------------------------------------------------------------------------------------------------------------
# 03.3 gru_output: y_hat = softmax(V h + c)


def output_written_out(h, V, c):
    a = V @ h + c
    e = np.exp(a - a.max())
    return e / e.sum()


def output_naive(h, V, c):
    e = np.exp(V @ h + c)
    return e / e.sum()


def output_transposed(h, V, c):
    return output_written_out(h, V.T, c)  # V^T h: the row-vector habit h V


def output_without_bias(h, V, c):
    return output_written_out(h, V, np.zeros_like(c))


def output_log_probabilities(h, V, c):
    a = V @ h + c
    return a - a.max() - np.log(np.exp(a - a.max()).sum())


OUTPUT_WRONG = {
    **generic(OUTPUT),
    "softmax without the max subtracted (overflows)": output_naive,
    "h V instead of V h": output_transposed,
    "bias c missing": output_without_bias,
    "log-probabilities instead of probabilities": output_log_probabilities,
}


def test_the_output_reference_on_exercise_4():
    h1 = np.array([0.11488, 0.04724])  # Bài tập 3's h_1 in the course's convention, rounded
    y = OUTPUT(h1, np.array([[1.0, -1.0], [2.0, 0.0]]), np.zeros(2))
    logits = np.array([h1[0] - h1[1], 2 * h1[0]])
    np.testing.assert_allclose(y, np.exp(logits) / np.exp(logits).sum(), rtol=1e-12)
    assert y.sum() == pytest.approx(1.0)


def test_gru_output_accepts_the_reference_and_a_written_out_softmax(capsys):
    exercises.check_gru_output(OUTPUT)
    exercises.check_gru_output(output_written_out)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("PASS gru_output: 12 cases, max rel err ") for line in out)


@pytest.mark.parametrize("mistake", sorted(OUTPUT_WRONG))
def test_gru_output_rejects(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_gru_output(OUTPUT_WRONG[mistake])
