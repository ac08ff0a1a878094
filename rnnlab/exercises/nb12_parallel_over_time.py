"""Notebook 12's exercise: a Hillis-Steele scan of h_t = a_t h_{t-1} + b_t (reference: ``rnnlab.parallel.scan``)."""
from __future__ import annotations

from ..parallel.scan import scan_linear_recurrence
from .checking import check_function, random_cases

__all__ = ["check_hillis_steele_scan"]

#: T (odd, a power of two, 1), B and H with size-1 dimensions.
SCAN_SHAPES = ({"T": 1, "B": 1, "H": 1}, {"T": 2, "B": 3, "H": 1}, {"T": 7, "B": 1, "H": 4}, {"T": 64, "B": 2, "H": 3},
               {"T": 33, "B": 2, "H": 2})


def loop_scan(a, b, h0):
    """Reference: the sequential loop of ``rnnlab.scan_linear_recurrence``; a, b (T, B, H), h0 (B, H) -> (T, B, H)."""
    return scan_linear_recurrence(a, b, h0, method="loop")


def _scan_inputs(rng, dtype, *, T, B, H, scale):
    a = rng.uniform(0, 1, (T, B, H)).astype(dtype)
    b = rng.standard_normal((T, B, H)).astype(dtype)
    h0 = rng.standard_normal((B, H)).astype(dtype)
    return a, b, h0


def check_hillis_steele_scan(student) -> None:
    """``hillis_steele_scan(a, b, h0)`` against the loop on 10 cases (T from 1 to 64, odd T), float64 and float32."""
    check_function("hillis_steele_scan", student, loop_scan, random_cases(_scan_inputs, SCAN_SHAPES))
