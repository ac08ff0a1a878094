"""The FLOP model of the benchmarks: matrix-product FLOPs of an LSTM layer and of one matrix product.

Only the matrix products are counted. A forward pass does 8*T*B*H*(D+H) FLOPs: per sample and step,
x (1, D) @ W_x (D, 4H) and h (1, H) @ W_h (H, 4H), 2*(D+H)*4H. A training step does 24*T*B*H*(D+H):
backward does twice the forward's products (the products with the transposed weights for dX and dh, and
the weight gradients). The elementwise gate work is left out: it is O(T*B*H), small beside the products
at the shapes that matter, and not what a matrix-multiply peak measures. The scans of notebook 12
(work "scan") count the recurrence's own 2*T*B*H.
"""
from __future__ import annotations

WORKS = ("forward", "train_step", "epoch", "scan")
LSTM_WORKS = WORKS[:3]


def gemm_flops(M: int, N: int, K: int) -> int:
    """FLOPs of C (M, N) = A (M, K) @ B (K, N): one multiply and one add per term."""
    return 2 * int(M) * int(N) * int(K)


def lstm_flops(T: int, B: int, D: int, H: int, work: str) -> int:
    """Matrix-product FLOPs of an LSTM layer: 8*T*B*H*(D+H) forward, 24*T*B*H*(D+H) for a training step.

    For ``work="epoch"`` pass B = the number of windows N: an epoch is ceil(N / B) training steps on
    minibatches that together hold the N windows, and the count is linear in the batch size.
    """
    for name, v in (("T", T), ("B", B), ("D", D), ("H", H)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1; got {name}={v}")
    per_forward = 8 * int(T) * int(B) * int(H) * (int(D) + int(H))
    if work == "forward":
        return per_forward
    if work in ("train_step", "epoch"):
        return 3 * per_forward
    raise ValueError(f"work must be one of {LSTM_WORKS}; got {work!r}")


def scan_flops(T: int, B: int, H: int) -> int:
    """FLOPs of the recurrence h_t = a_t h_{t-1} + b_t itself: one multiply and one add per element and step.

    The parallel scans do more (their extra work is the price of their depth); the count is the problem's.
    """
    for name, v in (("T", T), ("B", B), ("H", H)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1; got {name}={v}")
    return 2 * int(T) * int(B) * int(H)


def work_flops(T: int, B: int, D: int, H: int, work: str) -> int:
    """The FLOP model of any work of the harness: :func:`scan_flops` for "scan" (D unused), else :func:`lstm_flops`."""
    return scan_flops(T, B, H) if work == "scan" else lstm_flops(T, B, D, H, work)
