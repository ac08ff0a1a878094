"""Notebook 11's exercises: timing with warm-up and a median, and the FLOP count of an LSTM step.

References: ``rnnlab.bench.timers.HostTimer`` (warm-up calls, then each timed call on its own clock reading;
``Timing.median_ms``) and ``rnnlab.bench.flops.lstm_flops``. The timing checker drives the student's function
with a fake clock that only moves when the timed function runs, so it is exact and deterministic.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..bench.flops import lstm_flops
from ..bench.timers import HostTimer
from .checking import Case, ExerciseError, call_student, check_function, passed

__all__ = ["check_median_time", "check_lstm_step_flops"]


def median_time(fn, warmup, repeats, clock):
    """Reference: ``rnnlab.bench.timers.HostTimer`` with exactly ``repeats`` timed calls; the median in seconds."""
    timing = HostTimer(clock)(fn, warmup=warmup, min_repeat=repeats, max_repeat=repeats, budget_s=0.0)
    return timing.median_ms / 1e3


class FakeClock:
    """A clock that stands still except while ``fn`` runs: call k of ``fn`` moves it by ``durations[k]``.

    Durations are multiples of 1/1024 s, so every difference of two readings is exact in floating point.
    """

    def __init__(self, durations):
        self.durations = list(durations)
        self.now = 1000.0
        self.calls = 0
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        return self.now

    def fn(self):
        if self.calls < len(self.durations):
            self.now += self.durations[self.calls]
        self.calls += 1


def _durations(rng, warmup, repeats):
    """Warm-up calls much slower than the rest, and timed calls with one slow outlier (mean != median)."""
    timed = rng.integers(8, 40, size=repeats) / 1024
    if repeats >= 3:
        timed[rng.integers(repeats)] = 900 / 1024  # the outlier a mean would follow
    return [(2000 + 100 * k) / 1024 for k in range(warmup)] + list(timed) + [5000 / 1024] * 3  # extra calls: slow


#: (warmup, repeats): odd and even repeats, one timed call, several warm-up calls.
TIMING_CASES = ((1, 5), (2, 6), (3, 1), (1, 2), (4, 9), (2, 30))


def _diagnose(got, warmup, durations, repeats) -> str:
    timed = np.array(durations[warmup:warmup + repeats])
    hints = {
        "the mean of the timed calls (use the median: one slow call moves a mean)": timed.mean(),
        "the median over the warm-up calls too (leave the warm-up calls out of the timings)":
            np.median(durations[:warmup + repeats]),
        "a time in milliseconds (return seconds, as the clock gives them)": np.median(timed) * 1e3,
        "the upper middle value (for an even number of calls the median is the mean of the two middle ones)":
            np.sort(timed)[repeats // 2],
        "the total time of the timed calls (time each call on its own and take their median)": timed.sum(),
    }
    for what, value in hints.items():
        if abs(got - value) <= 1e-12 * max(abs(value), 1e-9) and not np.isclose(value, np.median(timed)):
            return f": that is {what}"
    return ""


def check_median_time(student) -> None:
    """Exercise 11.1: ``median_time(fn, warmup, repeats, clock)`` on 6 cases with a fake clock.

    Checks, in order: that fn is called exactly warmup + repeats times; that a number comes back; that it is the
    median, in seconds, of the timed calls alone, each timed on its own. Times are exact (no float32 variant:
    the clock's times are Python floats).
    """
    rng = np.random.default_rng(0)
    worst = 0.0
    for warmup, repeats in TIMING_CASES:
        durations = _durations(rng, warmup, repeats)
        clock = FakeClock(durations)
        label = f"warmup={warmup}, repeats={repeats}"
        got = call_student("median_time", student, Case((clock.fn, warmup, repeats, clock), label))
        if clock.calls != warmup + repeats:
            raise ExerciseError(f"median_time called fn {clock.calls} times in case {label}: it should call it "
                                f"warmup + repeats = {warmup + repeats} times ({warmup} untimed, then {repeats} timed)")
        if clock.readings == 0:
            raise ExerciseError(f"median_time never read the clock it was given in case {label}: time the calls "
                                "with `clock()`, not with time.perf_counter() directly")
        if isinstance(got, bool) or not isinstance(got, numbers.Real) or np.ndim(got) != 0:
            raise ExerciseError(f"median_time should return a number (seconds), got {got!r:.40} in case {label}")
        expected = _expected(durations, warmup, repeats)
        error = abs(float(got) - expected) / expected
        if not error <= 1e-12:
            raise ExerciseError(f"median_time returned {float(got):.6g} s in case {label}, expected {expected:.6g} s"
                                + _diagnose(float(got), warmup, durations, repeats))
        worst = max(worst, error)
    passed("median_time", len(TIMING_CASES), worst)


def _expected(durations, warmup, repeats) -> float:
    """The reference's answer on a fresh fake clock with the same durations."""
    clock = FakeClock(durations)
    return float(median_time(clock.fn, warmup, repeats, clock))


# --- Exercise 11.2: the FLOP count of one forward step ---

#: (B, D, H): size-1 dimensions, the airline model, and one large enough that a 32-bit count overflows.
FLOP_SHAPES = ((1, 1, 1), (132, 1, 32), (4, 3, 2), (1, 7, 1), (64, 512, 512), (1024, 4096, 4096))


def lstm_step_flops(B, D, H):
    """Reference: matrix-product FLOPs of one forward step of an LSTM layer, ``lstm_flops`` with T = 1."""
    return lstm_flops(1, B, D, H, "forward")


def check_lstm_step_flops(student) -> None:
    """Exercise 11.2: ``lstm_step_flops(B, D, H)`` on 6 shapes (integers: an exact count, no dtype variants)."""
    cases = [Case((B, D, H), f"B={B}, D={D}, H={H}") for B, D, H in FLOP_SHAPES]
    check_function("lstm_step_flops", student, lstm_step_flops, cases)
