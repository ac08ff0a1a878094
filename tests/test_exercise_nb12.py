"""Notebook 12's checker accepts the package's scans and rejects the classic wrong Hillis-Steele scans."""
import numpy as np
import pytest
from _exercise_mutants import generic

from rnnlab import exercises, scan_linear_recurrence
from rnnlab.exercises import nb12_parallel_over_time as nb12


def _hillis_steele(a, b, h0, *, fold_h0=True, a_first=False):
    A, C = a.copy(), b.copy()
    if fold_h0:
        C[0] = a[0] * h0 + b[0]
    shift = 1
    while shift < len(b):
        if a_first:  # the coefficients composed before the states: the states then use the new ones
            A[shift:] = A[shift:] * A[:-shift]
        C[shift:] = A[shift:] * C[:-shift] + C[shift:]
        if not a_first:
            A[shift:] = A[shift:] * A[:-shift]
        shift *= 2
    return C


WRONG = {**generic(nb12.loop_scan),
         "h0 ignored": lambda a, b, h0: _hillis_steele(a, b, h0, fold_h0=False),
         "coefficients composed before the states": lambda a, b, h0: _hillis_steele(a, b, h0, a_first=True),
         "one level too few": lambda a, b, h0: scan_linear_recurrence(a[: max(1, len(a) // 2)].repeat(2, 0)[: len(a)],
                                                                      b, h0, method="loop")}


@pytest.mark.parametrize("method", ["loop", "hillis_steele", "blelloch", "chunked"])
def test_every_package_scan_passes(method, capsys):
    exercises.check_hillis_steele_scan(lambda a, b, h0: scan_linear_recurrence(a, b, h0, method=method))
    assert capsys.readouterr().out.startswith("PASS hillis_steele_scan: 10 cases, max rel err ")


def test_a_correct_hillis_steele_scan_passes():
    exercises.check_hillis_steele_scan(_hillis_steele)


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_a_wrong_scan_is_rejected(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_hillis_steele_scan(WRONG[mistake])


def test_the_reference_is_the_loop():
    rng = np.random.default_rng(0)
    a, b, h0 = rng.uniform(0, 1, (5, 1, 1)), rng.standard_normal((5, 1, 1)), rng.standard_normal((1, 1))
    h, expected = h0[0, 0], []
    for t in range(5):
        h = a[t, 0, 0] * h + b[t, 0, 0]
        expected.append(h)
    np.testing.assert_allclose(nb12.loop_scan(a, b, h0)[:, 0, 0], expected, rtol=1e-15)
