"""The LSTM of :mod:`rnnlab.layers.lstm`, optimised for a CUDA GPU with CuPy: two kernel launches per step.

Same contract as :mod:`rnnlab.layers.lstm`: time-major ``X`` (T, B, D), params ``W_x`` (D, 4H),
``W_h`` (H, 4H), ``b`` (4H,) with gate blocks i, f, g, o, state ``(h, c)``, and the same
``forward(params, X, state=None) -> (Y, state_T, cache)`` and
``backward(dY, cache, d_state=None) -> (grads, dX, d_state0)``; even the cache has the
same layout. What changes is how the work reaches the GPU:

* the input projection ``X W_x + b`` of all T steps is one matrix product before the loop;
* each forward step is one matrix product ``h_{t-1} W_h`` and one fused elementwise kernel
  (:data:`FORWARD_BODY`) for the four gate activations and the cell and hidden update;
* each backward step is one fused kernel (:data:`BACKWARD_BODY`) for the gradients at the
  four gate pre-activations and the cell, and one matrix product ``dA_t W_h^T``;
* the weight gradients are one product each over all T*B rows, after the loop;
* every buffer is allocated once per call, never per step.

The direct port (:mod:`rnnlab.layers.lstm` on CuPy arrays) launches about 7 times as many kernels per step:
27 array operations (11 forward, 16 backward) against these 4, as counted in notebook 10.

Arrays: ``forward`` and ``backward`` take CuPy arrays and return CuPy arrays. NumPy inputs
are refused with a ValueError rather than copied silently (a hidden host-to-device copy
inside a timed loop is the classic GPU-benchmark mistake): move them first with
``rnnlab.backend.to_gpu`` / ``tree_to_gpu``. float32 (the default of :func:`init_params`)
and float64 are supported. Without a usable GPU both raise the RuntimeError of
:func:`rnnlab.backend.require_gpu`; importing this module never touches CUDA (the kernels
are built on first use and cached).

:func:`forward_on_host` and :func:`backward_on_host` run the same loop and the same kernel
source on NumPy arrays, the kernels compiled for the CPU by the host C++ compiler: a way to
check the CUDA C maths and the loop without a GPU (slow; not for training).
"""
from __future__ import annotations

import functools

import numpy as np

from .._checks import check_dY, check_params, check_sequence, check_state
from ..backend import get_xp, require_gpu
from ..layers import lstm
from ..layers._common import input_projection, projection_grads
from ..layers.lstm_cell import GATES, N_GATES, forward_buffers, gate_views, initial_state

SUPPORTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# --- The fused kernels. T is float or double, fixed by the arrays a kernel is called with. ---

#: Device function shared by both kernels: the overflow-free sigmoid of rnnlab.layers.functional.
PREAMBLE = """
template <typename T> __device__ T sigmoid(T x) {
    const T z = exp(-fabs(x));  // exp of a non-positive number: never overflows
    return x >= 0 ? 1 / (1 + z) : z / (1 + z);
}
"""


def _per_gate(name: str) -> str:
    """Kernel parameters ``T name_i, T name_f, T name_g, T name_o``: one per gate, in lstm_cell's order."""
    return ", ".join(f"T {name}_{gate}" for gate in GATES)


#: One forward step, per element (b, j) of the (B, H) state. xa_* are the slices of the
#: precomputed x_t W_x + b, ha_* those of h_{t-1} W_h. The bodies are the equations of
#: rnnlab.layers.lstm_cell written again in CUDA C (tests/test_lstm_cell.py holds them to it).
FORWARD_IN = f"{_per_gate('xa')}, {_per_gate('ha')}, T c_prev"
FORWARD_OUT = f"{_per_gate('gate')}, T c, T tanh_c, T h"
FORWARD_BODY = """
gate_i = sigmoid(xa_i + ha_i);
gate_f = sigmoid(xa_f + ha_f);
gate_g = tanh(xa_g + ha_g);
gate_o = sigmoid(xa_o + ha_o);
c = gate_f * c_prev + gate_i * gate_g;
tanh_c = tanh(c);
h = gate_o * tanh_c;
"""

#: One backward step. dh_rec is dL/dh_t through h_{t+1} (the recurrent part), dy is dY[t];
#: dc is read (dL/dc_t from step t+1) and overwritten with dL/dc_{t-1}.
BACKWARD_IN = f"T dh_rec, T dy, {_per_gate('gate')}, T c_prev, T tanh_c"
BACKWARD_OUT = f"{_per_gate('da')}, T dc"
BACKWARD_BODY = """
const T dh = dh_rec + dy;
dc = dc + dh * gate_o * (1 - tanh_c * tanh_c);
da_i = dc * gate_g * gate_i * (1 - gate_i);
da_f = dc * c_prev * gate_f * (1 - gate_f);
da_g = dc * gate_i * (1 - gate_g * gate_g);
da_o = dh * tanh_c * gate_o * (1 - gate_o);
dc = dc * gate_f;
"""

#: name -> (in_params, out_params, body): the arguments of ``cupy.ElementwiseKernel``.
KERNELS = {
    "lstm_forward_step": (FORWARD_IN, FORWARD_OUT, FORWARD_BODY),
    "lstm_backward_step": (BACKWARD_IN, BACKWARD_OUT, BACKWARD_BODY),
}


@functools.cache
def _cuda_kernels() -> dict:
    """The two ``cupy.ElementwiseKernel`` objects, built on first use (CuPy compiles per dtype)."""
    import cupy

    return {
        name: cupy.ElementwiseKernel(ins, outs, body, name, preamble=PREAMBLE)
        for name, (ins, outs, body) in KERNELS.items()
    }


@functools.cache
def _host_kernels(dtype) -> dict:
    """The same kernel sources compiled for the CPU (see :mod:`rnnlab.parallel._host_kernels`)."""
    from ._host_kernels import HostKernel

    return {
        name: HostKernel(ins, outs, body, name, preamble=PREAMBLE, dtype=dtype)
        for name, (ins, outs, body) in KERNELS.items()
    }


# --- Python-side logic shared by the GPU and the host runs. ---


def _check_module(xp, a, arg: str, where: str) -> None:
    """Refuse arrays of the other array module instead of copying them behind the caller's back."""
    if get_xp(a) is xp:
        return
    kind = f"{type(a).__module__}.{type(a).__name__}"
    if xp is np:
        raise ValueError(f"{where}: {arg} must be a NumPy array; got {kind}. Copy it with rnnlab.backend.to_numpy.")
    raise ValueError(
        f"{where}: {arg} must be a CuPy array on the GPU; got {kind}. lstm_fused never copies "
        "host arrays silently: move them first with rnnlab.backend.to_gpu (tree_to_gpu for the params dict)."
    )


def _check_dtype(dtype, where: str):
    if np.dtype(dtype) not in SUPPORTED_DTYPES:
        raise ValueError(f"{where}: params dtype must be float32 or float64; got {np.dtype(dtype)}")
    return np.dtype(dtype)


def _forward(xp, kernels_for, params, X, state, where):
    D, H = check_params(params, N_GATES, "LSTM")
    for k in ("W_x", "W_h", "b"):
        _check_module(xp, params[k], f"params[{k!r}]", where)
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    dtype = _check_dtype(W_x.dtype, where)
    T, B = check_sequence(X, D, "LSTM")
    _check_module(xp, X, "X", where)
    if isinstance(state, (tuple, list)):
        for arg, s in zip(("state h", "state c"), state):
            _check_module(xp, s, arg, where)
    h0, c0 = initial_state(state, B, H, xp, dtype)
    X = xp.asarray(X, dtype=dtype)
    step = kernels_for(dtype)["lstm_forward_step"]

    # All buffers of the call, allocated once.
    XA = input_projection(X, W_x, b, xp)  # x_t W_x + b for every t: one product
    HA = xp.empty((B, N_GATES * H), dtype=dtype)  # h_{t-1} W_h, rewritten each step
    gates, hs, cs, tanh_cs = forward_buffers(T, B, H, xp, dtype)  # the cache's arrays, as rnnlab.layers.lstm's
    hs[0], cs[0] = h0, c0
    for t in range(T):
        xp.matmul(hs[t], W_h, out=HA)  # launch 1: the recurrent product
        step(  # launch 2: everything elementwise
            *gate_views(XA[t], H), *gate_views(HA, H), cs[t],
            *gate_views(gates[t], H), cs[t + 1], tanh_cs[t], hs[t + 1],
        )
    cache = (params, X, hs, cs, tanh_cs, gates)
    return hs[1:], (hs[T], cs[T]), cache


def _backward(xp, kernels_for, dY, cache, d_state, where):
    if not (isinstance(cache, tuple) and len(cache) == 6):
        raise ValueError(f"{where}: cache must be the third value returned by forward")
    params, X, hs, cs, tanh_cs, gates = cache
    W_x, W_h = params["W_x"], params["W_h"]
    _check_module(xp, X, "cache", where)
    T, B, D = X.shape
    H = W_h.shape[0]
    dtype = W_x.dtype
    if dY is None:
        dY = xp.zeros((T, B, H), dtype=dtype)
    check_dY(dY, (T, B, H))
    _check_module(xp, dY, "dY", where)
    dY = xp.asarray(dY, dtype=dtype)
    dh_rec = xp.zeros((B, H), dtype=dtype)  # dL/dh_t through h_{t+1}; dL/dh_T comes from d_state
    dc = xp.zeros((B, H), dtype=dtype)  # overwritten in place by the kernel, step after step
    if d_state is not None:
        if not isinstance(d_state, (tuple, list)) or len(d_state) != 2:
            raise ValueError("LSTM d_state must be a pair (dh, dc) of (B, H) arrays or None")
        for arg, s, buf in zip(("d_state dh", "d_state dc"), d_state, (dh_rec, dc)):
            check_state(s, arg, B, H)
            _check_module(xp, s, arg, where)
            buf[...] = s  # a copy: the caller's arrays are never modified
    step = kernels_for(dtype)["lstm_backward_step"]

    dA = xp.empty((T, B, N_GATES * H), dtype=dtype)  # gradient at the gate pre-activations
    W_h_T = W_h.T
    for t in reversed(range(T)):
        step(  # launch 1: everything elementwise
            dh_rec, dY[t], *gate_views(gates[t], H), cs[t], tanh_cs[t],
            *gate_views(dA[t], H), dc,
        )
        xp.matmul(dA[t], W_h_T, out=dh_rec)  # launch 2: back through W_h to h_{t-1}

    grads, dX = projection_grads(X, hs[:-1], dA, W_x)  # no time loop: one product each
    return grads, dX, (dh_rec, dc)


# --- Public API ---


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float32):
    """:func:`rnnlab.layers.lstm.init_params` (same values for the same seed), created on the GPU."""
    require_gpu("rnnlab.parallel.lstm_fused.init_params")
    import cupy

    _check_dtype(dtype, "rnnlab.parallel.lstm_fused.init_params")
    return lstm.init_params(input_size, hidden_size, seed=seed, dtype=dtype, xp=cupy)


def forward(params, X, state=None):
    """Run the LSTM over a sequence on the GPU, two kernel launches per step.

    Inputs (CuPy arrays, float32 or float64):
        params: dict with W_x (D, 4H), W_h (H, 4H), b (4H,)
        X: (T, B, D) input sequence (cast to the params' dtype)
        state: None (zeros) or a pair (h0, c0), each (B, H)
    Returns:
        Y: (T, B, H) hidden states h_1..h_T
        state_T: (h_T, c_T), each (B, H)
        cache: what backward needs (the layout of rnnlab.layers.lstm's cache)
    Raises RuntimeError without a usable GPU; ValueError on bad shapes or NumPy arrays. NaN/inf in X or the
    state are not looked for here (that check would wait for the GPU on every call): ``fit`` checks its data
    once, and ``RNNLAB_CHECK_GPU_FINITE=1`` turns the per-call check back on for debugging.
    """
    where = "rnnlab.parallel.lstm_fused.forward"
    require_gpu(where)
    import cupy

    return _forward(cupy, lambda dtype: _cuda_kernels(), params, X, state, where)


def backward(dY, cache, d_state=None):
    """Backpropagation through time on the GPU, two kernel launches per step.

    Inputs:
        dY: (T, B, H) gradient of the loss with respect to Y, or None for zeros
        cache: from :func:`forward`
        d_state: None or (dh_T, dc_T), gradients with respect to the final state, each (B, H)
    Returns:
        grads: dict with the keys and shapes of params
        dX: (T, B, D)
        d_state0: (dh_0, dc_0), gradients with respect to the initial state
    """
    where = "rnnlab.parallel.lstm_fused.backward"
    require_gpu(where)
    import cupy

    return _backward(cupy, lambda dtype: _cuda_kernels(), dY, cache, d_state, where)


def forward_on_host(params, X, state=None):
    """:func:`forward` on NumPy arrays, the fused kernels compiled for the CPU (needs g++ or clang++).

    For checking the kernel source and the loop without a GPU; slow, since every step
    copies its arrays to and from the compiled kernel.
    """
    return _forward(np, _host_kernels, params, X, state, "rnnlab.parallel.lstm_fused.forward_on_host")


def backward_on_host(dY, cache, d_state=None):
    """:func:`backward` on NumPy arrays, the fused kernels compiled for the CPU."""
    return _backward(np, _host_kernels, dY, cache, d_state, "rnnlab.parallel.lstm_fused.backward_on_host")
