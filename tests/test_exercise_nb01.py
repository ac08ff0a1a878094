"""Notebook 01's checkers accept the reference and reject every deliberately wrong solution."""
import numpy as np
import pytest
from _exercise_mutants import generic

from rnnlab import exercises
from rnnlab.exercises import nb01_rnn

STEP = nb01_rnn.rnn_step_forward


def overflowing_step(x, h_prev, W_x, W_h, b):
    a = x @ W_x + h_prev @ W_h + b
    return (2 / (1 + np.exp(-2 * a)) - 1).astype(a.dtype)  # tanh through exp: overflows for large inputs


def h_prev_ignored(x, h_prev, W_x, W_h, b):
    return np.tanh(x @ W_x + b)


WRONG = {**generic(STEP), "tanh through exp (overflows)": overflowing_step, "h_prev ignored": h_prev_ignored}


def test_the_reference_passes(capsys):
    exercises.check_rnn_step_forward(STEP)
    assert capsys.readouterr().out.startswith("PASS rnn_step_forward: 10 cases, max rel err ")


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_a_wrong_solution_is_rejected(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_rnn_step_forward(WRONG[mistake])
