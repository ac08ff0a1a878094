"""minGRU and minLSTM (Feng et al., 2024): gates from x_t only, so the recurrence is linear in h and a scan.

Time-major: ``X`` is (T, B, D), ``Y`` is (T, B, H); parameters W_x (D, G*H) and b (G*H,), no W_h::

    minGRU  (G = 2, blocks z, h~):     z = sigmoid(x W_z + b_z)   h~ = x W_h~ + b_h~
                                       h_t = (1 - z) * h_{t-1} + z * h~
    minLSTM (G = 3, blocks f, i, h~):  f = sigmoid(..)   i = sigmoid(..)   h~ = x W_h~ + b_h~
                                       h_t = f/(f+i) * h_{t-1} + i/(f+i) * h~

Both are h_t = a_t * h_{t-1} + b_t with a_t, b_t known for every t before the recurrence runs, so the
forward pass is one input product and one scan (:func:`rnnlab.scan_linear_recurrence`). Backward is a
scan too, run backwards in time: g_t = dL/dh_t = dY_t + a_{t+1} g_{t+1}. The modules
:data:`mingru` and :data:`minlstm` (``rnnlab.layers.mingru``, ``rnnlab.layers.minlstm``) give each variant the
layers' contract (``forward``, ``backward``, ``init_params``, ``param_shapes``), as the modules of the other
layers do.
"""
from __future__ import annotations

import numpy as np

from .._checks import check_dY, check_sequence, check_state
from ..backend import get_xp
from ..parallel.scan import scan_linear_recurrence
from ._common import input_projection
from .functional import sigmoid
from .init import gate_blocks, glorot_uniform

GATES = {"mingru": 2, "minlstm": 3}


def init_params(variant: str, input_size: int, hidden_size: int, *, seed=0, dtype=np.float32, xp=np):
    """Glorot-uniform W_x per block, zero bias."""
    G = GATES[variant]
    if input_size < 1 or hidden_size < 1:
        raise ValueError(f"input_size and hidden_size must be >= 1; got {input_size}, {hidden_size}")
    rng = np.random.default_rng(seed)
    W_x = gate_blocks(glorot_uniform, input_size, hidden_size, G, rng, dtype)
    return {"W_x": xp.asarray(W_x), "b": xp.zeros(G * hidden_size, dtype=dtype)}


def param_shapes(variant: str, input_size: int, hidden_size: int) -> dict:
    G = GATES[variant]
    return {"W_x": (input_size, G * hidden_size), "b": (G * hidden_size,)}


def _check_params(variant, params):
    name = {"mingru": "minGRU", "minlstm": "minLSTM"}[variant]
    G = GATES[variant]
    missing = [k for k in ("W_x", "b") if k not in params]
    if missing:
        raise ValueError(f"{name} params is missing {missing}; it needs keys 'W_x', 'b'")
    W_x, b = params["W_x"], params["b"]
    if getattr(W_x, "ndim", 0) != 2 or W_x.shape[1] % G or tuple(b.shape) != (W_x.shape[1],):
        raise ValueError(f"{name} params must be W_x (D, {G}*H) and b ({G}*H,); got W_x "
                         f"{tuple(getattr(W_x, 'shape', ()))}, b {tuple(getattr(b, 'shape', ()))}")
    return name, W_x.shape[0], W_x.shape[1] // G


def _coefficients(variant, A, H):
    """a_t, b_t of the recurrence and what backward needs, from the pre-activations A (T, B, G*H)."""
    if variant == "mingru":
        z, cand = sigmoid(A[..., :H]), A[..., H:]
        return 1 - z, z * cand, (z, cand)
    f, i, cand = sigmoid(A[..., :H]), sigmoid(A[..., H : 2 * H]), A[..., 2 * H :]
    s = f + i
    return f / s, i / s * cand, (f, i, cand, s)


def forward(variant: str, params, X, state=None, *, method: str = "blelloch"):
    """Run the layer. X (T, B, D); state None (zeros) or h0 (B, H). Returns Y (T, B, H), h_T, cache."""
    name, D, H = _check_params(variant, params)
    T, B = check_sequence(X, D, name)
    xp = get_xp(X, params["W_x"])
    dtype = params["W_x"].dtype
    X = xp.asarray(X, dtype=dtype)
    if state is None:
        h0 = xp.zeros((B, H), dtype=dtype)
    else:
        check_state(state, "state h", B, H)
        h0 = xp.asarray(state, dtype=dtype)
    A = input_projection(X, params["W_x"], params["b"], xp)
    a, b, saved = _coefficients(variant, A, H)
    hs = scan_linear_recurrence(a, b, h0, method=method)
    return hs, hs[-1], (variant, params, X, h0, a, hs, saved, method)


def backward(dY, cache, d_state=None):
    """Backward, by a reverse scan. dY (T, B, H) or None; d_state None or dh_T (B, H).

    Returns grads (W_x, b), dX (T, B, D), dh_0 (B, H).
    """
    variant, params, X, h0, a, hs, saved, method = cache
    xp = get_xp(X, params["W_x"])
    T, B, D = X.shape
    H = hs.shape[-1]
    if dY is None:
        dY = xp.zeros_like(hs)
    check_dY(dY, hs.shape)
    c = xp.array(dY, dtype=hs.dtype)
    if d_state is not None:
        check_state(d_state, "d_state", B, H)
        c[-1] += d_state
    a_next = xp.concatenate([a[1:], xp.zeros_like(a[:1])])  # a_{t+1}; nothing after the last step
    g = scan_linear_recurrence(a_next[::-1], c[::-1], method=method)[::-1]  # dL/dh_t
    h_prev = xp.concatenate([h0[None], hs[:-1]])
    da, db = g * h_prev, g
    if variant == "mingru":
        z, cand = saved
        dA = xp.concatenate([(db * cand - da) * z * (1 - z), db * z], axis=-1)
    else:
        f, i, cand, s = saved
        dfn, din = da, db * cand  # gradients at f/s and i/s
        df, di = (dfn - din) * i / (s * s), (din - dfn) * f / (s * s)
        dA = xp.concatenate([df * f * (1 - f), di * i * (1 - i), db * i / s], axis=-1)
    W_x = params["W_x"]
    dA2 = dA.reshape(T * B, -1)
    grads = {"W_x": xp.dot(X.reshape(T * B, D).T, dA2), "b": dA2.sum(axis=0)}
    dX = xp.dot(dA2, W_x.T).reshape(T, B, D)
    return grads, dX, a[0] * g[0]


class MinRNNLayer:
    """One variant as a layer: the functions above with the variant filled in, where the other layers are modules
    (``rnnlab.training.models`` and ``gradcheck.check_layer`` take either)."""

    def __init__(self, variant: str):
        self.VARIANT, self.N_GATES = variant, GATES[variant]

    def __repr__(self):
        return f"<{self.VARIANT} layer (rnnlab.layers.minrnn)>"

    def init_params(self, input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32, xp=np):
        """W_x (D, G*H) Glorot uniform per block, b (G*H,) zeros; no W_h (the gates do not read h)."""
        return init_params(self.VARIANT, input_size, hidden_size, seed=seed, dtype=dtype, xp=xp)

    def param_shapes(self, input_size: int, hidden_size: int) -> dict:
        return param_shapes(self.VARIANT, input_size, hidden_size)

    def forward(self, params, X, state=None, *, method: str = "blelloch"):
        """Y (T, B, H), h_T (B, H), cache; method is the scan's (:data:`rnnlab.parallel.scan.METHODS`)."""
        return forward(self.VARIANT, params, X, state, method=method)

    @staticmethod
    def backward(dY, cache, d_state=None):
        """grads {W_x, b}, dX (T, B, D), dh_0 (B, H); the cache says which variant ran."""
        return backward(dY, cache, d_state)


mingru = MinRNNLayer("mingru")  # G = 2: z, h~
minlstm = MinRNNLayer("minlstm")  # G = 3: f, i, h~
