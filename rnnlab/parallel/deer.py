"""DEER: the real (nonlinear) LSTM's forward pass as a fixed-point problem over the whole trajectory at once.

The LSTM's states s_t = (h_t, c_t) satisfy s_t = f(s_{t-1}, x_t) for t = 1..T. Guess every s_t, then
improve all of them together (Lim et al., ICLR 2024; Gonzalez et al., NeurIPS 2024)::

    s_t  <-  J_t s_{t-1} + ( f(s'_{t-1}) - J_t s'_{t-1} )        (s' the current guess, J_t = df/ds at s'_{t-1})

Evaluating f and J_t at the guess is parallel over t (one matrix product for all T steps); the update is
a linear recurrence, solved by a parallel scan (:mod:`rnnlab.parallel.scan`). ``method`` chooses J_t:

- ``"newton"``: the full (2H, 2H) Jacobian; a scan of matrix products; quadratic convergence;
- ``"block"``: one 2x2 block per hidden unit, coupling h_j and c_j (the diagonal blocks of J_t);
- ``"quasi"``: the diagonal of J_t (quasi-DEER); an elementwise scan;
- ``"jacobi"``: J_t = 0, i.e. s_t <- f(s'_{t-1}): plain fixed-point (Jacobi) iteration, no scan.

Every method makes the first k steps exact after k iterations (step 1 is exact after one, because s_0 is
known), so at most T iterations are ever needed; how many fewer is the whole point.
"""
from __future__ import annotations

import numpy as np

from ..layers.lstm import prepare_forward
from ..layers.lstm_cell import N_GATES, LSTMCell, gate_views
from .scan import METHODS as SCAN_METHODS
from .scan import scan_affine, scan_linear_recurrence

DEER_METHODS = ("newton", "block", "quasi", "jacobi")


def torch_default_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float64, scale=1.0):
    """LSTM params initialised as ``torch.nn.LSTM`` does: every weight and both biases U(-k, k), k = 1/sqrt(H).

    ``b`` is bias_ih + bias_hh. ``scale`` multiplies every entry (the notebook's hard case uses 16).
    """
    if input_size < 1 or hidden_size < 1:
        raise ValueError(f"input_size and hidden_size must be >= 1; got {input_size}, {hidden_size}")
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(hidden_size)
    G = N_GATES * hidden_size
    W_x = rng.uniform(-k, k, (input_size, G))
    W_h = rng.uniform(-k, k, (hidden_size, G))
    b = rng.uniform(-k, k, G) + rng.uniform(-k, k, G)
    return {name: (scale * v).astype(dtype) for name, v in (("W_x", W_x), ("W_h", W_h), ("b", b))}


def _evaluate(XA, W_h, h_prev, c_prev, xp):
    """f at every step at once, from the previous states (T, B, H): gates, c_t, tanh(c_t), h_t."""
    T, B, H = h_prev.shape
    a = xp.matmul(h_prev.reshape(T * B, H), W_h).reshape(T, B, N_GATES * H)
    a += XA
    c, tanh_c, h = (xp.empty_like(h_prev) for _ in range(3))
    LSTMCell((T, B), H, XA.dtype, xp).forward(a, c_prev, c, tanh_c, h)
    return a, c, tanh_c, h


def _jacobian_parts(gates, c_prev, tanh_c, W_h):
    """The pieces of df/d(h_{t-1}, c_{t-1}): the gate pre-activations' effect on c_t, and the rest.

    Returns dc_da (3 arrays for gates i, f, g: dc_t/da), the diagonal factors dh_dc = o (1 - tanh^2 c_t),
    dh_da_o = tanh(c_t) o (1 - o), f, and the recurrent weight blocks W_i, W_f, W_g, W_o (H, H).
    """
    H = c_prev.shape[-1]
    i, f, g, o = gate_views(gates, H)
    dc_da = (g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g))
    dh_dc = o * (1 - tanh_c * tanh_c)
    dh_da_o = tanh_c * o * (1 - o)
    return dc_da, dh_dc, dh_da_o, f, gate_views(W_h, H)


def _diagonals(parts):
    """The diagonal entries: dh_t/dh_{t-1}, dh_t/dc_{t-1}, dc_t/dh_{t-1}, dc_t/dc_{t-1}, each (T, B, H)."""
    dc_da, dh_dc, dh_da_o, f, W = parts
    xp_diag = [w.diagonal() for w in W]  # W_gate[j, j]
    dc_dh = sum(d * w for d, w in zip(dc_da, xp_diag[:3]))
    return dh_dc * dc_dh + dh_da_o * xp_diag[3], dh_dc * f, dc_dh, f


def _full_jacobian(parts, xp):
    """J_t (T, B, 2H, 2H) acting on column states [h; c]."""
    dc_da, dh_dc, dh_da_o, f, W = parts
    T, B, H = f.shape
    dc_dh = sum(d[..., :, None] * w.T for d, w in zip(dc_da, W[:3]))  # [j, k] = dc_j / dh_k
    J = xp.zeros((T, B, 2 * H, 2 * H), dtype=f.dtype)
    J[..., :H, :H] = dh_dc[..., :, None] * dc_dh + dh_da_o[..., :, None] * W[3].T
    J[..., H:, :H] = dc_dh
    eye = xp.arange(H)
    J[..., eye, H + eye] = dh_dc * f
    J[..., H + eye, H + eye] = f
    return J


def _solve(method, parts, F, prev, s0, scan, xp):
    """One DEER update: the new trajectory (T, B, 2H) from f at the guess F and the previous states prev."""
    if method == "jacobi":
        return F
    if method == "newton":
        J = _full_jacobian(parts, xp)
        u = F - (J @ prev[..., None])[..., 0]
        return scan_affine(J, u, s0, method=scan)
    hh, hc, ch, cc = _diagonals(parts)
    H = hh.shape[-1]
    if method == "quasi":
        a = xp.concatenate([hh, cc], axis=-1)
        return scan_linear_recurrence(a, F - a * prev, s0, method=scan)
    # block: per unit j the 2x2 matrix [[dh/dh, dh/dc], [dc/dh, dc/dc]], states (h_j, c_j)
    J = xp.stack([xp.stack([hh, hc], -1), xp.stack([ch, cc], -1)], -2)  # (T, B, H, 2, 2)
    pair = lambda s: xp.stack([s[..., :H], s[..., H:]], -1)  # noqa: E731 - (…, 2H) -> (…, H, 2)
    u = pair(F) - (J @ pair(prev)[..., None])[..., 0]
    s = scan_affine(J, u, pair(s0[None])[0], method=scan)
    return xp.concatenate([s[..., 0], s[..., 1]], axis=-1)


def lstm_forward_deer(params, X, state=None, *, method: str = "newton", tol: float | None = None,
                      max_iter: int | None = None, scan: str = "blelloch", callback=None):
    """The LSTM layer's forward pass (:func:`rnnlab.layers.lstm.forward`) solved by DEER iterations.

    Inputs:
        params, X, state: as for ``rnnlab.layers.lstm.forward`` (X (T, B, D); state None or (h0, c0))
        method: "newton", "block", "quasi" or "jacobi" (see the module docstring)
        tol: stop when the largest defect |f(s_{t-1}) - s_t| over every step is <= tol (default 1e-12 in
            float64, 1e-5 in float32)
        max_iter: at most this many updates (default T: enough in exact arithmetic, see above)
        scan: the scan method of the linear solves (:data:`rnnlab.parallel.scan.METHODS`)
        callback: None, or called as ``callback(k, h, defect)`` before update k+1, with the guess h (T, B, H)
            after k updates and its largest defect
    Returns:
        Y (T, B, H), state_T (h_T, c_T) and the number of updates made. RuntimeError if not converged.
    """
    if method not in DEER_METHODS:
        raise ValueError(f"method must be one of {DEER_METHODS}; got {method!r}")
    if scan not in SCAN_METHODS:
        raise ValueError(f"scan must be one of {SCAN_METHODS}; got {scan!r}")
    xp, X, (T, B, D, H), (h0, c0) = prepare_forward(params, X, state)
    dtype = X.dtype
    tol = (1e-12 if dtype == np.float64 else 1e-5) if tol is None else float(tol)
    max_iter = T if max_iter is None else int(max_iter)
    if not tol > 0 or max_iter < 0:
        raise ValueError(f"tol must be > 0 and max_iter >= 0; got tol={tol}, max_iter={max_iter}")
    W_h = params["W_h"]
    XA = (X.reshape(T * B, D) @ params["W_x"]).reshape(T, B, N_GATES * H) + params["b"]
    s0 = xp.concatenate([h0, c0], axis=-1)  # (B, 2H): states are [h, c]
    s = xp.broadcast_to(s0, (T, B, 2 * H)).copy()  # the first guess: every state is s_0
    with np.errstate(all="ignore"):  # an undamped Newton step may overflow on the way; the defect says so
        for k in range(max_iter + 1):
            prev = xp.concatenate([s0[None], s[:-1]])
            gates, c, tanh_c, h = _evaluate(XA, W_h, prev[..., :H], prev[..., H:], xp)
            F = xp.concatenate([h, c], axis=-1)
            defect = float(xp.max(xp.abs(F - s)))
            if callback is not None:
                callback(k, s[..., :H], defect)
            if defect <= tol:  # NaN (an overflowed guess) is never <= tol
                return h, (h[-1], c[-1]), k
            if k == max_iter:
                break
            parts = None if method == "jacobi" else _jacobian_parts(gates, prev[..., H:], tanh_c, W_h)
            s = _solve(method, parts, F, prev, s0, scan, xp)
    raise RuntimeError(f"lstm_forward_deer ({method}) did not converge in max_iter={max_iter} updates: "
                       f"largest defect {defect:.3g} > tol={tol:g} (T={T}, B={B}, H={H})")
