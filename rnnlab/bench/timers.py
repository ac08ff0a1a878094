"""Timers with one interface: warm-up calls, then timed calls; the host clock for CPU work, CUDA events for GPU.

A GPU call returns before its kernels finish, so GPU timers synchronise and time with CUDA events
(``cupyx.profiler.benchmark`` for CuPy, ``torch.cuda.Event`` pairs for torch). Results are kept per call
so that the rows can report medians and spreads, never a mean that one slow call would move.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Times of the timed calls (ms), after warm-up, and how they were taken."""

    times_ms: tuple
    timer: str
    n_warmup: int

    def __post_init__(self):
        if len(self.times_ms) < 1:
            raise ValueError(f"times_ms needs at least one time; got {len(self.times_ms)}")

    @property
    def median_ms(self) -> float:
        return float(np.median(self.times_ms))

    @property
    def iqr_ms(self) -> float:
        q25, q75 = np.percentile(self.times_ms, [25, 75])
        return float(q75 - q25)

    @property
    def min_ms(self) -> float:
        return float(min(self.times_ms))

    @property
    def max_ms(self) -> float:
        return float(max(self.times_ms))


def n_repeat(estimate_s: float, min_repeat: int, max_repeat: int, budget_s: float) -> int:
    """As many repeats as fit ``budget_s`` (fast work gets more), never fewer than ``min_repeat``."""
    if estimate_s <= 0:
        return max_repeat
    return int(min(max_repeat, max(min_repeat, math.floor(budget_s / estimate_s))))


def check_method(warmup: int, min_repeat: int, max_repeat: int, budget_s: float) -> None:
    """ValueError unless 1 <= warmup, 1 <= min_repeat <= max_repeat and budget_s >= 0."""
    if warmup < 1 or min_repeat < 1 or max_repeat < min_repeat or budget_s < 0:
        raise ValueError("need warmup >= 1, 1 <= min_repeat <= max_repeat and budget_s >= 0; got "
                         f"warmup={warmup}, min_repeat={min_repeat}, max_repeat={max_repeat}, budget_s={budget_s}")


class Timer:
    """Call ``timer(fn, warmup=, min_repeat=, max_repeat=, budget_s=)`` to get a :class:`Timing` of ``fn()``.

    The warm-up calls pay the first-call costs (allocations, kernel compilation, caches); the last of them
    estimates one call's time, which sets how many timed calls fit ``budget_s``. A subclass says how to wait
    for the device (``synchronize``) and how to time the calls (``timed_calls``).
    """

    name = "timer"

    def __init__(self, clock=time.perf_counter):
        self.clock = clock  # seconds; a test may pass a clock it moves itself

    def synchronize(self) -> None:
        """Wait for the work already started; nothing to wait for on the host."""

    def timed_calls(self, fn, n: int) -> tuple[list[float], int]:
        """Times of ``n`` calls in ms, and how many extra warm-up calls the timing made itself."""
        raise NotImplementedError

    def __call__(self, fn, *, warmup: int = 1, min_repeat: int = 5, max_repeat: int = 30,
                 budget_s: float = 1.0) -> Timing:
        check_method(warmup, min_repeat, max_repeat, budget_s)
        estimate = self.warm_up([fn], warmup)
        times, extra_warmup = self.timed_calls(fn, n_repeat(estimate, min_repeat, max_repeat, budget_s))
        return Timing(tuple(times), self.name, warmup + extra_warmup)

    def warm_up(self, fns, warmup: int) -> float:
        """Call the functions in turn, ``warmup`` rounds; the seconds of the last round, which estimates one
        (the first rounds pay the first-call costs)."""
        for _ in range(warmup):
            start = self.clock()
            for fn in fns:
                fn()
            self.synchronize()
        return self.clock() - start


class HostTimer(Timer):
    """CPU work, timed with the host clock (``time.perf_counter``) around each call."""

    name = "perf_counter"

    def timed_calls(self, fn, n):
        return self.timed_rounds([fn], n)[0], 0

    def timed_rounds(self, fns, n: int) -> list[list[float]]:
        """``n`` rounds of calls of the functions in turn; the times (ms) of each function's calls."""
        times = [[] for _ in fns]
        for _ in range(n):
            for fn, fn_times in zip(fns, times):
                start = self.clock()
                fn()
                fn_times.append((self.clock() - start) * 1e3)
        return times

    def side_by_side(self, fns, *, warmup: int = 1, min_repeat: int = 5, max_repeat: int = 30,
                     budget_s: float = 1.0) -> list[Timing]:
        """One :class:`Timing` per function, the functions called in turn, round after round.

        On a shared machine a slow phase (another job, a throttled core) then falls on every function
        alike, and their ratio is measured, not the machine's mood; calling one after the other would put
        the whole phase on one of them. Each function gets ``budget_s``, as when timed alone.
        """
        check_method(warmup, min_repeat, max_repeat, budget_s)
        n = n_repeat(self.warm_up(fns, warmup), min_repeat, max_repeat, budget_s * len(fns))
        timer = f"{self.name}, side by side ({len(fns)} functions called in turn)"
        return [Timing(tuple(t), timer, warmup) for t in self.timed_rounds(fns, n)]


class CupyTimer(Timer):
    """CuPy work, timed by ``cupyx.profiler.benchmark``: CUDA events around each call, after synchronising."""

    name = "cupyx.profiler.benchmark (CUDA events)"

    def synchronize(self):
        import cupy

        cupy.cuda.Device().synchronize()

    def timed_calls(self, fn, n):
        from cupyx.profiler import benchmark

        result = benchmark(fn, n_repeat=n, n_warmup=1)  # its own warm-up call: one more, counted
        return [float(t) * 1e3 for t in result.gpu_times[0]], 1


class TorchCudaTimer(Timer):
    """torch GPU work, timed with ``torch.cuda.Event`` pairs, synchronising before and after each call."""

    name = "torch.cuda.Event"

    def synchronize(self):
        import torch

        torch.cuda.synchronize()

    def timed_calls(self, fn, n):
        import torch

        times = []
        for _ in range(n):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(float(start.elapsed_time(end)))
        return times, 0


time_cpu = HostTimer()
time_cupy = CupyTimer()
time_torch_cuda = TorchCudaTimer()
