"""Notebooks 04's and 06's checkers accept the references and correct rewrites, and reject the classic mistakes."""
import numpy as np
import pytest
from _exercise_mutants import generic

from rnnlab import exercises
from rnnlab.data.windows import MinMaxScaler
from rnnlab.exercises import nb04_deep, nb06_data
from rnnlab.layers import rnn


def windows_by_loop(values, window, horizon):
    M = len(values) - window - horizon + 1
    return (np.stack([values[m: m + window] for m in range(M)]),
            np.stack([values[m + window: m + window + horizon] for m in range(M)]))


def windows_leaking(values, window, horizon):  # the target's first month is also the window's last input
    M = len(values) - window - horizon + 1
    return (np.stack([values[m + 1: m + window + 1] for m in range(M)]),
            np.stack([values[m + window: m + window + horizon] for m in range(M)]))


def windows_one_short(values, window, horizon):  # the last window is lost
    X, Y = windows_by_loop(values, window, horizon)
    return X[:-1], Y[:-1]


def scaled_by_hand(values, n_train):
    lo, hi = values[:n_train].min(axis=0), values[:n_train].max(axis=0)
    return (values - lo) / np.where(hi > lo, hi - lo, 1.0)


def bidirectional_by_hand(params_fwd, params_bwd, X):
    Y_f, _, _ = rnn.forward(params_fwd, X)
    Y_b, _, _ = rnn.forward(params_bwd, X[::-1])
    return np.concatenate([Y_f, Y_b[::-1]], axis=-1)


def stacked_by_hand(params_list, X):
    for params in params_list:
        X, _, _ = rnn.forward(params, X)
    return X


CHECKS = {
    "sliding_windows": (exercises.check_sliding_windows, nb06_data.sliding_windows, [windows_by_loop], {
        "a window that leaks the target": windows_leaking, "the last window lost": windows_one_short,
        "targets one month late": lambda v, w, h: (windows_by_loop(v, w, h)[0][:-1],
                                                   windows_by_loop(v[1:], w, h)[1])}),
    "scale_with_training_range": (exercises.check_scale_with_training_range, nb06_data.scale_with_training_range,
                                  [scaled_by_hand], {
        "fitted on all the data": lambda v, n: MinMaxScaler().fit(v).transform(v),
        "each split fitted on its own": lambda v, n: np.concatenate(
            [MinMaxScaler().fit(v[:n]).transform(v[:n])] + ([MinMaxScaler().fit(v[n:]).transform(v[n:])]
                                                             if n < len(v) else [])),
        "standardised instead": lambda v, n: (v - v[:n].mean(axis=0)) / (v[:n].std(axis=0) + 1e-12)}),
    "bidirectional_forward": (exercises.check_bidirectional_forward, nb04_deep.bidirectional_forward,
                              [bidirectional_by_hand], {
        "backward states not re-reversed": lambda pf, pb, X: np.concatenate(
            [rnn.forward(pf, X)[0], rnn.forward(pb, X[::-1])[0]], axis=-1),
        "both directions with the forward weights": lambda pf, pb, X: bidirectional_by_hand(pf, pf, X),
        "directions in the wrong order": lambda pf, pb, X: np.concatenate(
            [rnn.forward(pb, X[::-1])[0][::-1], rnn.forward(pf, X)[0]], axis=-1)}),
    "stacked_forward": (exercises.check_stacked_forward, nb04_deep.stacked_forward, [stacked_by_hand], {
        "the top layer reads X": lambda ps, X: rnn.forward(ps[-1], X)[0],
        "the first layer only": lambda ps, X: rnn.forward(ps[0], X)[0],
        "layers in reverse order": lambda ps, X: stacked_by_hand(ps[::-1], X)}),
}
WRONG = [(name, mistake) for name, (_, ref, _, own) in CHECKS.items() for mistake in [*generic(ref), *own]]
FLOAT64_ONLY = {"scale_with_training_range"}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_reference_and_a_correct_rewrite_pass(name):
    check, reference, rewrites, _ = CHECKS[name]
    for solution in [reference, *rewrites]:
        check(solution)


@pytest.mark.parametrize("name, mistake", WRONG, ids=[f"{n}: {m}" for n, m in WRONG])
def test_a_wrong_solution_is_rejected(name, mistake):
    check, reference, _, own = CHECKS[name]
    wrong = {**generic(reference), **own}[mistake]
    if name in FLOAT64_ONLY and mistake == "float32 upcast to float64":
        pytest.skip("float64-only cases: there is no float32 input to upcast")
    with pytest.raises(exercises.ExerciseError):
        check(wrong)
