"""Central-difference gradient checking for any parameter, input or initial state."""
from __future__ import annotations

import numpy as np

from ..backend import get_xp


def numerical_gradient(f, x, eps: float = 1e-6):
    """dF/dx by central differences; ``f()`` returns a scalar and reads ``x``, which is perturbed in place."""
    xp = get_xp(x)
    grad = xp.zeros_like(x)
    if not x.flags.c_contiguous:
        raise ValueError(f"x must be C-contiguous to be perturbed in place; got strides {x.strides}")
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        old = flat[k].copy()
        flat[k] = old + eps
        plus = float(f())
        flat[k] = old - eps
        minus = float(f())
        flat[k] = old
        gflat[k] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric) -> float:
    """||a - n|| / max(||a|| + ||n||, tiny): scale-free, and stable where single entries are near zero."""
    xp = get_xp(analytic, numeric)
    num = float(xp.linalg.norm((analytic - numeric).ravel()))
    den = float(xp.linalg.norm(analytic.ravel()) + xp.linalg.norm(numeric.ravel()))
    return num / max(den, 1e-300)


def check_layer(layer, params: dict, X, state=None, *, seed: int = 0, eps: float = 1e-6) -> dict:
    """Gradient-check a recurrent layer (``rnnlab.layers.rnn``, ``lstm`` or ``gru`` module).

    The loss is a fixed random projection of all outputs and of the final state,
    L = sum(G_Y * Y) + sum(G_s * s_T), so every output and state element matters.
    Returns {name: relative error} for every parameter, for ``X`` and for each
    initial-state array (``h0``, and ``c0`` for an LSTM) when ``state`` is given.
    Use float64 arrays: float32 central differences are too coarse.
    """
    rng = np.random.default_rng(seed)
    xp = get_xp(X, params["W_x"])
    Y, s_T, cache = layer.forward(params, X, state)
    pair = isinstance(s_T, tuple)
    s_list = list(s_T) if pair else [s_T]
    G_Y = xp.asarray(rng.standard_normal(Y.shape))
    G_s = [xp.asarray(rng.standard_normal(s.shape)) for s in s_list]

    def loss():
        Y_, s_, _ = layer.forward(params, X, state)
        s_ = list(s_) if pair else [s_]
        return (G_Y * Y_).sum() + sum((g * s).sum() for g, s in zip(G_s, s_))

    grads, dX, d_s0 = layer.backward(G_Y, cache, tuple(G_s) if pair else G_s[0])
    errors = {k: relative_error(grads[k], numerical_gradient(loss, params[k], eps)) for k in params}
    errors["X"] = relative_error(dX, numerical_gradient(loss, X, eps))
    if state is not None:
        states = list(state) if pair else [state]
        d_s0 = list(d_s0) if pair else [d_s0]
        names = ["h0", "c0"] if pair else ["h0"]
        for name, s0, ds0 in zip(names, states, d_s0):
            errors[name] = relative_error(ds0, numerical_gradient(loss, s0, eps))
    return errors
