"""The exercise engine (rnnlab.exercises.checking): what it checks, in which order, and how it reports."""
import re

import numpy as np
import pytest

from rnnlab.exercises.checking import Case, ExerciseError, check_function, random_cases


def reference(x, w):
    """x (B, D), w (D,) -> (x * w, its row sums (B,))."""
    return x * w, (x * w).sum(axis=1)


CASES = random_cases(lambda rng, dtype, *, B, D, scale: ((rng.standard_normal((B, D)) * scale).astype(dtype),
                                                         rng.standard_normal(D).astype(dtype)),
                     [{"B": 1, "D": 1}, {"B": 3, "D": 2}])


def check(student):
    check_function("scaled", student, reference, CASES)


def test_a_pass_prints_one_line(capsys):
    check(reference)
    assert capsys.readouterr().out.startswith("PASS scaled: 4 cases, max rel err ")


@pytest.mark.parametrize("student, message", [
    (lambda x, w: [x * w], "should be a tuple of 2 values"),
    (lambda x, w: (x * w, list((x * w).sum(axis=1))), "output[1] should be a numpy.ndarray"),
    (lambda x, w: (x * w, (x * w).sum(axis=1, keepdims=True)), "should have shape"),
    (lambda x, w: (x * w, (x * w).sum(axis=1).astype(np.float64)), "should be float32, got float64"),
    (lambda x, w: (x.__imul__(1) * w, (x * w).sum(axis=1) * np.nan), "is not finite"),
    (lambda x, w: (x * w, (x * w).sum(axis=1) + 1e-3), "max rel err"),
])
def test_each_kind_of_mistake_is_named(student, message):
    with pytest.raises(ExerciseError, match=re.escape(message)):
        check(student)


def test_the_shape_is_checked_before_the_dtype_and_the_inputs_before_the_values():
    with pytest.raises(ExerciseError, match="shape"):
        check(lambda x, w: (x * w, (x * w).sum(axis=1, keepdims=True).astype(np.float64)))

    def modifies_and_is_wrong(x, w):
        x += 1
        return x * w * 2, (x * w).sum(axis=1)
    with pytest.raises(ExerciseError, match="modified its input `x` in place"):
        check(modifies_and_is_wrong)


def test_overflow_is_raised_and_reported_with_the_students_line():
    def unstable(x):
        return 1 / (1 + np.exp(-x))

    cases = [Case((np.array([-1000.0, 0.0, 1000.0]),), "large")]
    with pytest.raises(ExerciseError, match=r"overflow encountered in exp \(line 2 of unstable\)"):
        check_function("sigmoid", unstable, lambda x: np.where(x >= 0, 1.0, 0.0) * 0 + 0.5, cases)


def test_a_stub_is_reported_as_not_implemented_and_shown_as_one_red_line():
    def stub(x, w):
        raise NotImplementedError()
    with pytest.raises(ExerciseError, match="scaled is not implemented yet") as caught:
        check(stub)
    lines = caught.value._render_traceback_()
    assert len(lines) == 1 and lines[0].startswith("\x1b[1;31mExerciseError: scaled is not implemented yet")


def test_the_first_mismatch_is_located():
    def wrong_at_one_place(x, w):
        y = x * w
        y.flat[-1] += 1.0
        return y, (x * w).sum(axis=1)
    with pytest.raises(ExerciseError, match=r"output\[0\] .* at index \(0, 0\): got .*, expected"):
        check(wrong_at_one_place)


def test_float32_is_measured_against_the_float64_answer():
    """A float32 solution that rounds like the reference passes; one that is off by 1e-4 does not."""
    check(lambda x, w: reference(x, w))
    with pytest.raises(ExerciseError, match="float32 tolerance"):
        check(lambda x, w: tuple(v * np.float32(1 + 1e-4) if v.dtype == np.float32 else v for v in reference(x, w))
              if x.dtype == np.float32 else reference(x, w))


def test_a_difference_below_eps_of_the_results_largest_value_is_rounding():
    """sigmoid(-150) is 7e-66 through exp and exactly 0 through tanh: both right beside an output of 1."""
    def through_exp(x):
        return np.ones(2), 1 / (1 + np.exp(-x))

    def through_tanh(x):
        return np.ones(2), (1 + np.tanh(x / 2)) / 2

    cases = [Case((np.array([-150.0, -140.0]),), "far tail")]
    check_function("sigmoid", through_tanh, through_exp, cases)
    check_function("sigmoid", through_exp, through_tanh, cases)
    with pytest.raises(ExerciseError, match=r"output\[1\] differs"):  # 1e-14 is more than rounding next to 1
        check_function("sigmoid", lambda x: (np.ones(2), through_exp(x)[1] + 1e-14), through_exp, cases)
