"""Optimisers and gradient clipping that update a params dict in place from a grads dict."""
from __future__ import annotations

import math

from ..backend import get_xp


def global_norm(grads: dict) -> float:
    """sqrt of the sum of squares of every gradient entry.

    The per-array sums are added on the arrays' device and converted to a Python float once: on a GPU each
    conversion is a device-to-host copy that waits for the GPU, so one per parameter would stall every step.
    """
    if not grads:
        return 0.0
    # Each array's sum in its own dtype, added in float64: the same numbers as summing Python floats.
    return math.sqrt(float(sum((g * g).sum().astype("float64") for g in grads.values())))


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients together so their global norm is at most ``max_norm``.

    Scaling them together keeps the direction of the update; returns the norm before clipping.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive; got {max_norm}")
    norm = global_norm(grads)
    if norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads.values():
            g *= scale
    return norm


def _check_keys(params: dict, grads: dict) -> None:
    if params.keys() != grads.keys():
        raise ValueError(f"grads keys {sorted(grads)} do not match params keys {sorted(params)}")
    for k in params:
        if params[k].shape != grads[k].shape:
            raise ValueError(
                f"grads[{k!r}] has shape {tuple(grads[k].shape)} but params[{k!r}] has {tuple(params[k].shape)}"
            )


class SGD:
    """Stochastic gradient descent with optional (heavy-ball) momentum."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.0):
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"need lr > 0 and 0 <= momentum < 1; got lr={lr}, momentum={momentum}")
        self.lr, self.momentum = lr, momentum
        self.velocity: dict = {}

    def step(self, params: dict, grads: dict) -> None:
        _check_keys(params, grads)
        for k, g in grads.items():
            if self.momentum:
                v = self.velocity.get(k)
                if v is None:
                    v = self.velocity[k] = get_xp(g).zeros_like(g)
                v *= self.momentum
                v += g
                g = v
            params[k] -= self.lr * g


class Adam:
    """Adam (Kingma and Ba, 2015) with bias correction."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        if lr <= 0 or not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"need lr > 0 and betas in [0, 1); got lr={lr}, betas=({beta1}, {beta2})")
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: dict = {}
        self.v: dict = {}
        self.t = 0

    def step(self, params: dict, grads: dict) -> None:
        _check_keys(params, grads)
        self.t += 1
        c1 = 1 - self.beta1**self.t
        c2 = 1 - self.beta2**self.t
        for k, g in grads.items():
            xp = get_xp(g)
            if k not in self.m:
                self.m[k], self.v[k] = xp.zeros_like(g), xp.zeros_like(g)
            m, v = self.m[k], self.v[k]
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            params[k] -= self.lr * (m / c1) / (xp.sqrt(v / c2) + self.eps)
