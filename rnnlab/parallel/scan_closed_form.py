"""Closed forms of h_t = a_t h_{t-1} + b_t with cumulative products and sums: the naive one and the log-space one.

With P_t = a_1 ... a_t, the recurrence unrolls to  h_t = P_t (h_0 + sum_{s <= t} b_s / P_s):  two library
calls (cumprod, cumsum), no loop. For a_t in [0, 1) P_t shrinks geometrically: in float64 it underflows
to 0 near t ~ 700 for a_t ~ U(0, 1), then b_s / P_s is inf and h_t is NaN (:func:`cumprod_cumsum`).
Heinsen (2023) keeps every factor as a logarithm: log P_t = cumsum(log a) and the sum becomes a running
log-sum-exp, which never overflows (:func:`log_space`); it pays with a log and an exp per element, a
second pass for the negative b_t, and an error that grows with |log P_t|. NumPy arrays (ufunc.accumulate).
"""
from __future__ import annotations

import numpy as np


def _check(a, b, h0):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 3 or a.shape != b.shape:
        raise ValueError(f"a and b must be 3-D arrays (T, B, H) of the same shape; got a {a.shape}, b {b.shape}")
    if h0 is not None and np.shape(h0) != a.shape[1:]:
        raise ValueError(f"h0 must have shape (B, H) = {a.shape[1:]}; got {np.shape(h0)}")
    return a, b, None if h0 is None else np.asarray(h0, dtype=np.float64)


def cumprod_cumsum(a, b, h0=None):
    """h (T, B, H) from P = cumprod(a) and cumsum(b / P): exact algebra, overflows for long sequences."""
    a, b, h0 = _check(a, b, h0)
    P = np.cumprod(a, axis=0)
    inner = np.cumsum(b / P, axis=0)
    if h0 is not None:
        inner += h0
    return P * inner


def log_space(a, b, h0=None):
    """h (T, B, H) in log space (Heinsen, 2023): needs a > 0; b of either sign (positive and negative parts).

    log h_t = log P_t + logcumsumexp_s(log b_s - log P_s), once for the positive part of b and once
    for the negative part; h0 enters as a step 0 with P_0 = 1.
    """
    a, b, h0 = _check(a, b, h0)
    if not (a > 0).all():
        raise ValueError(f"log_space needs a > 0 everywhere (it takes log a); got min(a) = {a.min()}")
    log_P = np.cumsum(np.log(a), axis=0)
    if h0 is not None:  # a step 0 with P_0 = 1 and input h0
        log_P = np.concatenate([np.zeros((1, *a.shape[1:])), log_P])
        b = np.concatenate([h0[None], b])
    h = np.zeros_like(b)
    with np.errstate(divide="ignore"):  # log 0 = -inf for the other sign's zeros: exp(-inf) = 0, as wanted
        for sign in (1.0, -1.0):
            lse = np.logaddexp.accumulate(np.log(np.maximum(sign * b, 0)) - log_P, axis=0)
            h += sign * np.exp(log_P + lse)
    return h[1:] if h0 is not None else h
