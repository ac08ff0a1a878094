"""Input checks shared by the recurrent layers: every failure is a ValueError naming the argument."""
from __future__ import annotations

import os

from .backend import _is_cupy_array, get_xp

#: Check CuPy inputs for NaN/inf inside every forward and backward too. Off by default: on a GPU the check
#: is a device-to-host copy and a synchronisation per call, in the middle of the timed loop. NumPy inputs
#: are always checked (no device to wait for); ``fit`` checks its data once before training.
#: Turn it on with ``RNNLAB_CHECK_GPU_FINITE=1`` or by setting this flag, to debug a NaN on the GPU.
CHECK_GPU_FINITE = os.environ.get("RNNLAB_CHECK_GPU_FINITE", "0") not in ("", "0")


def _shape(a) -> tuple:
    return tuple(getattr(a, "shape", ()))


def check_params(params: dict, n_gates: int, name: str) -> tuple[int, int]:
    """Check ``W_x`` (D, G*H), ``W_h`` (H, G*H), ``b`` (G*H,) and return (D, H)."""
    missing = [k for k in ("W_x", "W_h", "b") if k not in params]
    if missing:
        raise ValueError(f"{name} params is missing {missing}; it needs keys 'W_x', 'W_h', 'b'")
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    if getattr(W_h, "ndim", 0) != 2 or W_h.shape[1] != n_gates * W_h.shape[0]:
        raise ValueError(
            f"{name} params['W_h'] must have shape (H, {n_gates}*H); got {_shape(W_h)}"
        )
    H = W_h.shape[0]
    if getattr(W_x, "ndim", 0) != 2 or W_x.shape[1] != n_gates * H:
        raise ValueError(
            f"{name} params['W_x'] must have shape (D, {n_gates * H}) to match W_h {_shape(W_h)}; "
            f"got {_shape(W_x)}"
        )
    if _shape(b) != (n_gates * H,):
        raise ValueError(
            f"{name} params['b'] must have shape ({n_gates * H},) to match W_h {_shape(W_h)}; got {_shape(b)}"
        )
    if not (W_x.dtype == W_h.dtype == b.dtype):
        raise ValueError(
            f"{name} params must share one dtype; got W_x {W_x.dtype}, W_h {W_h.dtype}, b {b.dtype}"
        )
    return W_x.shape[0], H


def checks_finite(a) -> bool:
    """Whether the layers check ``a`` for NaN/inf: always for host arrays, on the GPU only with the flag."""
    return CHECK_GPU_FINITE or not _is_cupy_array(a)


def check_finite(a, what: str) -> None:
    """ValueError when ``a`` holds NaN or inf, naming ``what`` and the shape (always checks: call it once)."""
    xp = get_xp(a)
    if not bool(xp.isfinite(a).all()):
        raise ValueError(f"{what} contains NaN or inf (shape {_shape(a)})")


def check_sequence(X, D: int, name: str) -> tuple[int, int]:
    """Check X is (T, B, D) with T, B >= 1 and finite values (see :func:`checks_finite`); return (T, B)."""
    if getattr(X, "ndim", None) != 3:
        raise ValueError(f"{name} X must be 3-D (T, B, D) with D={D}; got shape {_shape(X)}")
    T, B, D_x = X.shape
    if D_x != D:
        raise ValueError(
            f"{name} X has D={D_x} features (shape {_shape(X)}) but W_x expects D={D}"
        )
    if T < 1 or B < 1:
        raise ValueError(f"{name} X needs T >= 1 and B >= 1; got shape {_shape(X)}")
    if checks_finite(X):
        check_finite(X, f"{name} X")
    return T, B


def check_state(s, arg: str, B: int, H: int) -> None:
    """Check one state array is (B, H) and finite (see :func:`checks_finite`)."""
    if _shape(s) != (B, H):
        raise ValueError(f"{arg} must have shape (B, H) = ({B}, {H}); got {_shape(s)}")
    if checks_finite(s):
        check_finite(s, arg)


def check_dY(dY, Y_shape: tuple) -> None:
    if _shape(dY) != tuple(Y_shape):
        raise ValueError(f"dY must have the shape of Y {tuple(Y_shape)}; got {_shape(dY)}")
