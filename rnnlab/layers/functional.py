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


# Derivatives, written from the activation's own output where that is the cheap form (as BPTT uses them).
def sigmoid_derivative(x):
    """d sigmoid(x) / dx = s (1 - s) with s = sigmoid(x); at most 1/4, reached at x = 0."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh_derivative(x):
    """d tanh(x) / dx = 1 - tanh(x)^2; at most 1, reached at x = 0."""
    t = get_xp(x).tanh(x)
    return 1 - t * t


def relu_derivative(x):
    """d relu(x) / dx: 1 where x > 0, 0 elsewhere (the value 0 at x = 0 is a convention)."""
    return (x > 0).astype(x.dtype)


def softmax_jacobian(z):
    """The Jacobian of softmax at a 1-D ``z``: J[i, j] = d s_i / d z_j = s_i (delta_ij - s_j), i.e. diag(s) - s s^T."""
    if z.ndim != 1:
        raise ValueError(f"z must be 1-D (K,); got shape {tuple(z.shape)}")
    xp = get_xp(z)
    s = softmax(z)
    return xp.diag(s) - xp.outer(s, s)
