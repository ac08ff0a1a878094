"""Parallel scans for linear recurrences h_t = a_t * h_{t-1} + b_t: all T states in O(log T) parallel depth.

The step h -> a_t h + b_t is an affine map, and composing two affine maps gives another one:
first (a_1, b_1), then (a_2, b_2) is (a_2 a_1, a_2 b_1 + b_2). That composition is associative, so
the T prefix compositions can be computed by any parallel prefix scan (Blelloch, 1990; Martin and
Cundy, ICLR 2018). Four ways to compute the same states, ``method``:

- ``"loop"``: T sequential steps, T multiply-adds on (B, H): the work is minimal, the depth is T;
- ``"hillis_steele"``: ceil(log2 T) levels, each one pass over the whole array: depth log T, work T log T;
- ``"blelloch"``: pairs up neighbours, scans the T/2 pairs (recursively), fills in the other half: depth
  2 log T, work about 2T (work-efficient), any T (an odd element is carried to the next level);
- ``"chunked"``: sqrt(T) chunks; a loop inside all chunks at once, a loop over the chunk ends, one
  fix-up: depth about 2 sqrt(T), work about 3T.

The same code runs with matrices: ``a_t`` (..., n, n) and states (..., n), the composition becomes
(A_2 A_1, A_2 b_1 + b_2) (:func:`scan_affine`, used by :mod:`rnnlab.parallel.deer`). Every array
function comes from the inputs' array module, so CuPy arrays work unchanged.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import get_xp

METHODS = ("loop", "hillis_steele", "blelloch", "chunked")


class _Elementwise:
    """The algebra of diagonal (elementwise) coefficients: a_t and the states have the same shape."""

    @staticmethod
    def compose(a2, a1):  # the map a1 first, then a2
        return a2 * a1

    @staticmethod
    def apply(a, v):
        return a * v


class _Matrix:
    """The algebra of matrix coefficients: a_t is (..., n, n), a state (..., n)."""

    @staticmethod
    def compose(a2, a1):
        return a2 @ a1

    @staticmethod
    def apply(a, v):
        return (a @ v[..., None])[..., 0]


def _loop(a, b, alg, xp):
    out = xp.empty_like(b)
    h = b[0]
    out[0] = h
    for t in range(1, len(b)):
        h = alg.apply(a[t], h) + b[t]
        out[t] = h
    return out


def _hillis_steele(a, b, alg, xp):
    # After the level with offset d, element t holds the composition of steps t-2d+1..t (clipped at 0).
    a, b = a.copy(), b.copy()
    d = 1
    while d < len(b):
        new_b = alg.apply(a[d:], b[:-d]) + b[d:]
        if 2 * d < len(b):  # the next level still needs the composed coefficients
            a[d:] = alg.compose(a[d:], a[:-d])
        b[d:] = new_b
        d *= 2
    return b


def _blelloch(a, b, alg, xp):
    """Inclusive scan of b (states) in the odd-even form of Blelloch's work-efficient scan."""
    T = len(b)
    if T == 1:
        return b.copy()
    n = T // 2
    a_even, a_odd = a[0 : 2 * n : 2], a[1 : 2 * n : 2]
    b_even, b_odd = b[0 : 2 * n : 2], b[1 : 2 * n : 2]
    # Up: compose each pair (2i, 2i+1) into one step; the scan of the pairs is the scan at the odd positions.
    odd = _blelloch(alg.compose(a_odd, a_even), alg.apply(a_odd, b_even) + b_odd, alg, xp)
    out = xp.empty_like(b)
    out[1 : 2 * n : 2] = odd
    out[0] = b[0]
    # Down: every even position 2i >= 2 is one step after the odd position 2i-1.
    out[2::2] = alg.apply(a[2::2], odd[: (T - 1) // 2]) + b[2::2]
    return out


def _chunked(a, b, alg, xp):
    T = len(b)
    L, n_chunks = _chunk_sizes(T)  # chunks of L = ceil(sqrt(T)) steps
    pad = n_chunks * L - T
    if pad:  # identity steps (a = 1, b = 0) at the end; their states are dropped
        eye = xp.zeros_like(a[:1])
        if alg is _Matrix:
            eye[...] = xp.eye(a.shape[-1], dtype=a.dtype)
        else:
            eye[...] = 1
        a = xp.concatenate([a, xp.broadcast_to(eye, (pad, *a.shape[1:]))])
        b = xp.concatenate([b, xp.zeros((pad, *b.shape[1:]), dtype=b.dtype)])
    a = a.reshape(n_chunks, L, *a.shape[1:])
    b = b.reshape(n_chunks, L, *b.shape[1:])
    # 1. Inside every chunk at once, from a zero state: local states and the composed coefficients.
    local = xp.empty_like(b)
    coef = xp.empty_like(a)
    local[:, 0], coef[:, 0] = b[:, 0], a[:, 0]
    for k in range(1, L):
        local[:, k] = alg.apply(a[:, k], local[:, k - 1]) + b[:, k]
        coef[:, k] = alg.compose(a[:, k], coef[:, k - 1])
    # 2. Across the chunks: the true state at the end of each chunk (a loop over n_chunks steps).
    ends = _loop(coef[:, -1], local[:, -1], alg, xp)
    # 3. Fix-up: every state of chunk j gets the end state of chunk j-1 carried in through its coefficients.
    out = local
    out[1:] += alg.apply(coef[1:], ends[:-1, None])
    return out.reshape(n_chunks * L, *b.shape[2:])[:T]


_SCANS = {"loop": _loop, "hillis_steele": _hillis_steele, "blelloch": _blelloch, "chunked": _chunked}


def _shape(x) -> tuple:
    return tuple(getattr(x, "shape", ()))


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")


def _float_dtype(xp, *arrays):
    dtype = xp.result_type(*arrays)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"a and b must be float32 or float64 arrays; got dtypes "
                         f"{', '.join(str(x.dtype) for x in arrays)}")
    return dtype


def scan_linear_recurrence(a, b, h0=None, method: str = "blelloch"):
    """All states of h_t = a_t * h_{t-1} + b_t (elementwise), t = 1..T.

    Inputs:
        a, b: (T, B, H) coefficients and inputs, float32 or float64 (NumPy or CuPy)
        h0: None (zeros) or (B, H), the state before the first step
        method: "loop", "hillis_steele", "blelloch" or "chunked" (see the module docstring)
    Returns:
        h: (T, B, H), h[t-1] = h_t, in the common dtype of a and b
    """
    _check_method(method)
    if getattr(a, "ndim", None) != 3 or _shape(a) != _shape(b):
        raise ValueError(f"a and b must be 3-D arrays (T, B, H) of the same shape; got a {_shape(a)}, b {_shape(b)}")
    if a.shape[0] < 1:
        raise ValueError(f"a and b need T >= 1 steps; got shape {_shape(a)}")
    if h0 is not None and _shape(h0) != a.shape[1:]:
        raise ValueError(f"h0 must have shape (B, H) = {a.shape[1:]} to match a {_shape(a)}; got {_shape(h0)}")
    return _scan_from(a, b, h0, method, _Elementwise)


def scan_affine(A, b, s0=None, method: str = "blelloch"):
    """All states of s_t = A_t s_{t-1} + b_t with matrices: A (T, ..., n, n), b (T, ..., n), s0 (..., n).

    The matrix version of :func:`scan_linear_recurrence` (same methods); returns (T, ..., n).
    """
    _check_method(method)
    if getattr(A, "ndim", 0) < 3 or A.shape[-1] != A.shape[-2] or _shape(A)[:-1] != _shape(b):
        raise ValueError(f"A must be (T, ..., n, n) and b (T, ..., n) with the same T, ... and n; "
                         f"got A {_shape(A)}, b {_shape(b)}")
    if A.shape[0] < 1:
        raise ValueError(f"A and b need T >= 1 steps; got shape {_shape(A)}")
    if s0 is not None and _shape(s0) != b.shape[1:]:
        raise ValueError(f"s0 must have shape {b.shape[1:]} to match b {_shape(b)}; got {_shape(s0)}")
    return _scan_from(A, b, s0, method, _Matrix)


def _scan_from(a, b, s0, method: str, algebra):
    """The checked inputs in their common float dtype, s0 folded into the first step, then the scan."""
    xp = get_xp(a, b, s0)
    dtype = _float_dtype(xp, a, b)
    a, b = xp.asarray(a, dtype=dtype), xp.asarray(b, dtype=dtype)
    if s0 is not None:  # fold s0 into the first step: s_1 = a_1 s0 + b_1, from a zero state
        b = b.copy()
        b[0] += algebra.apply(a[0], xp.asarray(s0, dtype=dtype))
    return _SCANS[method](a, b, algebra, xp)


def _chunk_sizes(T: int) -> tuple[int, int]:
    L = math.isqrt(T - 1) + 1 if T > 1 else 1
    return L, -(-T // L)


def _depth_and_work(method: str, T: int) -> tuple[int, int]:
    """(depth, work) of scanning T steps from a zero state, as the code above does them: see the two below."""
    _check_method(method)
    if T <= 1:
        return 0, 0
    if method == "loop":
        return T - 1, T - 1
    if method == "hillis_steele":
        levels = (T - 1).bit_length()
        return levels, sum(T - 2**k for k in range(levels))
    if method == "blelloch":  # pair neighbours, scan the T // 2 pairs, fill in the (T - 1) // 2 others
        half_depth, half_work = _depth_and_work("blelloch", T // 2)
        return 1 + half_depth + (1 if T > 2 else 0), T // 2 + half_work + (T - 1) // 2
    L, n = _chunk_sizes(T)
    return (L - 1) + (n - 1) + (1 if n > 1 else 0), n * (L - 1) + (n - 1) + (n - 1) * L


def depth(method: str, T: int) -> int:
    """Levels of dependent array operations to scan T steps (from a zero state), as the code above does them.

    loop: T - 1; hillis_steele: ceil(log2 T); blelloch: one pairing level and one filling level per halving
    (2 log2 T - 1 for a power of two); chunked: (L - 1) + (T/L - 1) + 1 with chunks of L = ceil(sqrt(T)).
    """
    return _depth_and_work(method, T)[0]


def work(method: str, T: int) -> int:
    """Combine operations (one multiply-add on one step's (B, H) block each) to scan T steps from a zero state."""
    return _depth_and_work(method, T)[1]
