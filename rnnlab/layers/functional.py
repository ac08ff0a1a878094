"""Numerically safe activations and losses, on any array module."""
from __future__ import annotations

from ..backend import get_xp


def sigmoid(x):
    """Logistic sigmoid that never overflows: exp is only taken of non-positive numbers."""
    xp = get_xp(x)
    z = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + z), z / (1 + z))


def tanh(x):
    return get_xp(x).tanh(x)


def relu(x):
    return get_xp(x).maximum(x, 0)


def log_softmax(logits, axis=-1):
    """log softmax with the maximum subtracted first, so large logits do not overflow."""
    xp = get_xp(logits)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits, axis=-1):
    xp = get_xp(logits)
    return xp.exp(log_softmax(logits, axis=axis))


def cross_entropy(logits, targets):
    """Mean cross-entropy of integer ``targets`` (N,) under ``logits`` (N, K), and its gradient.

    Returns ``(loss, dlogits)`` with ``dlogits`` of shape (N, K).
    """
    xp = get_xp(logits)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (N, K); got shape {tuple(logits.shape)}")
    targets = xp.asarray(targets)
    if targets.shape != (logits.shape[0],):
        raise ValueError(
            f"targets must have shape ({logits.shape[0]},) to match logits {tuple(logits.shape)}; "
            f"got {tuple(targets.shape)}"
        )
    if targets.dtype.kind not in "iu":
        raise ValueError(f"targets must be integer class indices; got dtype {targets.dtype}")
    n, K = logits.shape
    # A target of -1 would silently pick the last class through negative indexing.
    if n and not bool(((targets >= 0) & (targets < K)).all()):
        raise ValueError(
            f"targets must be class indices in [0, {K}); got values from {int(targets.min())} "
            f"to {int(targets.max())} (shape {tuple(targets.shape)})"
        )
    logp = log_softmax(logits)
    rows = xp.arange(n)
    loss = -logp[rows, targets].mean()
    dlogits = xp.exp(logp)
    dlogits[rows, targets] -= 1
    return loss, dlogits / n


def mse(pred, target):
    """Mean squared error and its gradient with respect to ``pred``: ``(loss, dpred)``."""
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape; got pred {tuple(pred.shape)} "
            f"and target {tuple(target.shape)}"
        )
    diff = pred - target
    return (diff * diff).mean(), 2 * diff / diff.size
