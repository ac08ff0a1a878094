"""Notebook 11's checkers accept the reference and reject every deliberately wrong solution."""
import statistics
import time

import numpy as np
import pytest
from _exercise_mutants import not_implemented

from rnnlab import bench, exercises
from rnnlab.exercises import nb11_timing

# --- Exercise 11.1: median_time ---


def per_call(fn, warmup, repeats, clock):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return times


def independent(fn, warmup, repeats, clock=time.perf_counter):
    return statistics.median(per_call(fn, warmup, repeats, clock))


def mean(fn, warmup, repeats, clock=time.perf_counter):
    return float(np.mean(per_call(fn, warmup, repeats, clock)))


def whole_loop(fn, warmup, repeats, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    start = clock()
    for _ in range(repeats):
        fn()
    return (clock() - start) / repeats


def no_warmup(fn, warmup, repeats, clock=time.perf_counter):
    return independent(fn, 0, repeats, clock)


def warmup_timed(fn, warmup, repeats, clock=time.perf_counter):
    return statistics.median(per_call(fn, 0, warmup + repeats, clock))


def warmup_inside_repeats(fn, warmup, repeats, clock=time.perf_counter):
    return statistics.median(per_call(fn, warmup, repeats - warmup, clock) or [0.0])


def system_clock(fn, warmup, repeats, clock=time.perf_counter):
    return independent(fn, warmup, repeats, time.perf_counter)


def upper_middle(fn, warmup, repeats, clock=time.perf_counter):
    return sorted(per_call(fn, warmup, repeats, clock))[repeats // 2]


def milliseconds(fn, warmup, repeats, clock=time.perf_counter):
    return independent(fn, warmup, repeats, clock) * 1e3


def one_call_too_many(fn, warmup, repeats, clock=time.perf_counter):
    fn()
    return independent(fn, warmup, repeats, clock)


def minimum(fn, warmup, repeats, clock=time.perf_counter):
    return min(per_call(fn, warmup, repeats, clock))


def returns_the_list(fn, warmup, repeats, clock=time.perf_counter):
    return per_call(fn, warmup, repeats, clock)


WRONG_TIMERS = {"mean": mean, "one clock reading around the whole loop": whole_loop, "no warm-up": no_warmup,
                "warm-up calls timed": warmup_timed, "warm-up counted in the repeats": warmup_inside_repeats,
                "time.perf_counter instead of clock": system_clock, "upper middle for an even count": upper_middle,
                "milliseconds": milliseconds, "one call too many": one_call_too_many, "minimum": minimum,
                "returns the list of times": returns_the_list, "not implemented": not_implemented}


@pytest.mark.parametrize("right", [nb11_timing.median_time, independent], ids=["reference", "statistics.median"])
def test_median_time_passes(capsys, right):
    exercises.check_median_time(right)
    assert capsys.readouterr().out.startswith("PASS median_time: 6 cases, max rel err ")


@pytest.mark.parametrize("mistake", sorted(WRONG_TIMERS))
def test_a_wrong_median_time_is_rejected(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_median_time(WRONG_TIMERS[mistake])


def test_the_reference_times_real_calls_with_the_host_clock():
    calls = []
    t = nb11_timing.median_time(lambda: calls.append(time.sleep(0.002)), 2, 3, time.perf_counter)
    assert len(calls) == 5 and 0.002 <= t < 0.5


def test_the_messages_name_the_mistake():
    with pytest.raises(exercises.ExerciseError, match="mean of the timed calls"):
        exercises.check_median_time(mean)
    with pytest.raises(exercises.ExerciseError, match="called fn 5 times.*warmup \\+ repeats = 6"):
        exercises.check_median_time(no_warmup)
    with pytest.raises(exercises.ExerciseError, match="never read the clock"):
        exercises.check_median_time(system_clock)


# --- Exercise 11.2: lstm_step_flops ---


def by_products(B, D, H):
    return B * (bench.gemm_flops(1, 4 * H, D) + bench.gemm_flops(1, 4 * H, H))


WRONG_FLOPS = {
    # generic()'s other mutants do not apply: the inputs are sizes, the output an exact integer count.
    "not implemented": not_implemented,
    "a multiply-add counted as one FLOP": lambda B, D, H: 4 * B * H * (D + H),
    "one gate instead of four": lambda B, D, H: 2 * B * H * (D + H),
    "x W_x left out": lambda B, D, H: 8 * B * H * H,
    "a training step's count": lambda B, D, H: 24 * B * H * (D + H),
    "elementwise work counted too": lambda B, D, H: 8 * B * H * (D + H) + 4 * B * H,
    "32-bit integers (overflow)": lambda B, D, H: int(np.int32(8) * np.int32(B) * np.int32(H) * np.int32(D + H)),
    "a string": lambda B, D, H: str(8 * B * H * (D + H)),
}


@pytest.mark.parametrize("right", [nb11_timing.lstm_step_flops, by_products], ids=["reference", "by products"])
def test_lstm_step_flops_passes(capsys, right):
    exercises.check_lstm_step_flops(right)
    assert capsys.readouterr().out.startswith("PASS lstm_step_flops: 6 cases")


def test_the_flops_reference_is_lstm_flops_per_step():
    for B, D, H in nb11_timing.FLOP_SHAPES:
        assert nb11_timing.lstm_step_flops(B, D, H) * 12 == bench.lstm_flops(12, B, D, H, "forward")
        assert nb11_timing.lstm_step_flops(B, D, H) == by_products(B, D, H)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mistake", sorted(WRONG_FLOPS))
def test_a_wrong_flop_count_is_rejected(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_lstm_step_flops(WRONG_FLOPS[mistake])
