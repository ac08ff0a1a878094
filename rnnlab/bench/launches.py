"""Counting an LSTM's array operations per time step on NumPy: on CuPy each is (at least) one kernel launch.

``CountedArray`` tallies every ufunc, array function and slice assignment it takes part in; ``CountingXP``
stands in for the array module so that a layer's buffers are counted too. ``per_step`` subtracts a T=1 run
from a T=2 run, which leaves the operations of one step (notebook 10).
"""
from __future__ import annotations

import collections
import contextlib

import numpy as np
import pandas as pd


class CountedArray(np.ndarray):
    """A NumPy array that tallies every array operation it takes part in (in ``CountedArray.tally``)."""

    tally = collections.Counter()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        CountedArray.tally[ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"] += 1
        plain = [x.view(np.ndarray) if isinstance(x, CountedArray) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, CountedArray) else o for o in kwargs["out"])
        result = getattr(ufunc, method)(*plain, **kwargs)
        return result.view(CountedArray) if isinstance(result, np.ndarray) else result

    def __array_function__(self, func, types, args, kwargs):
        CountedArray.tally[func.__name__] += 1  # e.g. where
        return super().__array_function__(func, (np.ndarray,) * len(types), args, kwargs)

    def __setitem__(self, key, value):
        CountedArray.tally["copy (slice assignment)"] += 1
        super().__setitem__(key, value)


class CountingXP:
    """Stands in for the array module: NumPy, but its buffers are CountedArrays."""

    def __getattr__(self, name):
        return getattr(np, name)

    def empty(self, shape, dtype=None):
        return np.empty(shape, dtype).view(CountedArray)  # an allocation, not a kernel

    def zeros(self, shape, dtype=None):
        CountedArray.tally["zeros (memset)"] += 1
        return np.zeros(shape, dtype).view(CountedArray)

    def asarray(self, a, dtype=None):
        return np.asarray(a, dtype=dtype).view(CountedArray)


def _check_shape(T, B, D, H):
    if min(T, B, D, H) < 1:
        raise ValueError(f"T, B, D, H must be >= 1; got (T, B, D, H) = {(T, B, D, H)}")


def _counted(run) -> collections.Counter:
    CountedArray.tally.clear()
    run()
    return collections.Counter(CountedArray.tally)


@contextlib.contextmanager
def _patched(module, name, value):
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def count_direct(T: int, B: int = 4, D: int = 3, H: int = 5):
    """(forward, backward) operation counts of one call of ``rnnlab.layers.lstm`` with T steps.

    The layer's ``get_xp`` is pointed at :class:`CountingXP` for the call and put back afterwards.
    """
    from ..layers import lstm

    _check_shape(T, B, D, H)
    params = {k: v.view(CountedArray) for k, v in lstm.init_params(D, H, dtype=np.float64).items()}
    X = np.ones((T, B, D)).view(CountedArray)
    out = {}
    with _patched(lstm, "get_xp", lambda *arrays: CountingXP()):
        fwd = _counted(lambda: out.update(zip(("Y", "state", "cache"), lstm.forward(params, X))))
        bwd = _counted(lambda: lstm.backward(np.ones(out["Y"].shape).view(CountedArray), out["cache"]))
    return fwd, bwd


def counting_kernels(compiled):
    """Wrap a kernel factory (dtype -> {name: kernel}) so that each kernel call counts as one launch."""
    def factory(dtype):
        def counted(name, kernel):
            def call(*arrays):
                CountedArray.tally[f"fused kernel {name}"] += 1
                return kernel(*(a.view(np.ndarray) for a in arrays))  # the call itself counts once
            return call
        return {name: counted(name, k) for name, k in compiled(dtype).items()}
    return factory


def count_fused(T: int, B: int = 4, D: int = 3, H: int = 5):
    """(forward, backward) operation counts of ``lstm_fused``'s loop with T steps, run on the host.

    ``forward_on_host`` runs the loop on NumPy with the kernel sources compiled for the CPU (needs g++);
    each kernel call counts as one launch.
    """
    from ..layers import lstm
    from ..parallel import lstm_fused

    _check_shape(T, B, D, H)
    params = {k: v.view(CountedArray) for k, v in lstm.init_params(D, H, dtype=np.float64).items()}
    X = np.ones((T, B, D))
    out = {}
    with _patched(lstm_fused, "_host_kernels", counting_kernels(lstm_fused._host_kernels)):
        fwd = _counted(lambda: out.update(zip(("Y", "state", "cache"), lstm_fused.forward_on_host(params, X))))
        bwd = _counted(lambda: lstm_fused.backward_on_host(np.ones(out["Y"].shape), out["cache"]))
    return fwd, bwd


def per_step(count, **shape) -> pd.DataFrame:
    """Operations of one time step, forward and backward: ``count(T=2) - count(T=1)``, with a total row."""
    (f1, b1), (f2, b2) = count(T=1, **shape), count(T=2, **shape)
    table = pd.DataFrame({"forward": f2 - f1, "backward": b2 - b1}).fillna(0).astype(int)
    table.loc["total"] = table.sum()
    return table
