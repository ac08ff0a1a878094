"""Notebook 10's exercises: the fused LSTM cell kernel's CUDA C body, and the gate layout a kernel indexes.

References: ``rnnlab.parallel.lstm_fused`` (its kernel's parameter lists and preamble) with
``rnnlab.layers.lstm_cell`` (the cell's equations in NumPy, and ``gate_views``, the gate blocks of a (B, 4H) array).
The kernel body is compiled as ``cupy.ElementwiseKernel`` on a usable GPU (``rnnlab.backend.probe_gpu``) and by
the host C++ compiler otherwise (``rnnlab.parallel._host_kernels``), and its outputs are held to the NumPy cell.
"""
from __future__ import annotations

import numpy as np

from ..backend import gpu_available
from ..layers.lstm_cell import GATES, N_GATES, LSTMCell, gate_views
from ..parallel import lstm_fused
from ..parallel._host_kernels import host_compiler, parse_params
from .checking import Case, ExerciseError, call_student, check_function, random_cases

__all__ = ["check_lstm_cell_kernel_body", "check_gate_flat_index"]

#: B, H with size-1 dimensions among them, and H not a multiple of 32 (where a kernel's indexing goes wrong first).
CELL_SHAPES = ({"B": 1, "H": 1}, {"B": 3, "H": 5}, {"B": 1, "H": 33}, {"B": 8, "H": 2})
#: The kernel's parameters: lstm_fused's own forward kernel's, so the body is a drop-in for it.
KERNEL_IN, KERNEL_OUT = lstm_fused.FORWARD_IN, lstm_fused.FORWARD_OUT
OUTPUT_NAMES = tuple(parse_params(KERNEL_OUT))
NAME = "lstm_cell_kernel_body"


def lstm_cell_step(xa, ha, c_prev):
    """Reference: one step of ``rnnlab.layers.lstm_cell`` from the two parts of the pre-activations.

    xa (B, 4H) = x_t W_x + b, ha (B, 4H) = h_{t-1} W_h, c_prev (B, H) -> a dict keyed by the fused kernel's
    outputs: ``gate_i``, ``gate_f``, ``gate_g``, ``gate_o`` (the activated gates), ``c``, ``tanh_c``, ``h``,
    each (B, H).
    """
    B, H = c_prev.shape
    a = xa + ha
    c, tanh_c, h = (np.empty_like(c_prev) for _ in range(3))
    LSTMCell((B,), H, a.dtype, np).forward(a, c_prev, c, tanh_c, h)
    return {**{f"gate_{g}": v.copy() for g, v in zip(GATES, gate_views(a, H))}, "c": c, "tanh_c": tanh_c, "h": h}


def _cell_inputs(rng, dtype, *, B, H, scale):
    xa = (rng.standard_normal((B, N_GATES * H)) * scale).astype(dtype)
    ha = (rng.standard_normal((B, N_GATES * H)) * scale).astype(dtype)
    c_prev = (2 * rng.standard_normal((B, H))).astype(dtype)
    return xa, ha, c_prev


def _compiler_errors(log: str) -> str:
    """The compiler's error lines, without the scratch file's path (the student sees only what is wrong)."""
    lines = [line.split("error:", 1)[1].strip() for line in log.splitlines() if "error:" in line]
    return "; ".join(lines[:3]) or log.strip().splitlines()[0] if log.strip() else "no message"


class _HostPath:
    where = "on the host compiler (no GPU)"

    def kernel(self, body: str, dtype):
        from ..parallel._host_kernels import HostKernel

        if host_compiler() is None:
            raise ExerciseError(f"{NAME}: checking a kernel without a GPU needs a host C++ compiler (g++ or "
                                "clang++) on PATH, and none was found")
        try:
            return HostKernel(KERNEL_IN, KERNEL_OUT, body, "student_lstm_cell", preamble=lstm_fused.PREAMBLE,
                              dtype=dtype)
        except RuntimeError as err:
            raise ExerciseError(f"{NAME}: the kernel body does not compile for {np.dtype(dtype).name} "
                                f"{self.where}: {_compiler_errors(str(err))}") from None

    def run(self, kernel, ins, outs):
        kernel(*ins, *outs)
        return outs


class _GpuPath:
    where = "on the GPU (cupy.ElementwiseKernel)"

    def kernel(self, body: str, dtype):
        import cupy

        kernel = cupy.ElementwiseKernel(KERNEL_IN, KERNEL_OUT, body, "student_lstm_cell",
                                        preamble=lstm_fused.PREAMBLE)
        try:  # CuPy compiles on the first call for each dtype: compile here, to report errors as such
            one = [cupy.zeros((1, 1), dtype=dtype) for _ in range(len(parse_params(KERNEL_IN)) + len(OUTPUT_NAMES))]
            kernel(*one)
            cupy.cuda.Device().synchronize()
        except Exception as err:  # noqa: BLE001 - cupy's CompileException, or an error of the generated code
            raise ExerciseError(f"{NAME}: the kernel body does not compile for {np.dtype(dtype).name} "
                                f"{self.where}: {_compiler_errors(str(err))}") from None
        return kernel

    def run(self, kernel, ins, outs):
        import cupy

        gpu_outs = [cupy.asarray(o) for o in outs]
        kernel(*(cupy.asarray(a) for a in ins), *gpu_outs)
        return [cupy.asnumpy(o) for o in gpu_outs]


def kernel_path(use_gpu: bool | None = None):
    """Where the kernel runs: the GPU when one is usable (or ``use_gpu=True``), else the host compiler."""
    return _GpuPath() if (gpu_available() if use_gpu is None else use_gpu) else _HostPath()


def check_lstm_cell_kernel_body(student, *, use_gpu: bool | None = None) -> None:
    """Exercise 10.1: ``lstm_cell_kernel_body()`` returns the CUDA C body of lstm_fused's forward kernel.

    The body is compiled with the package kernel's parameters (``lstm_fused.FORWARD_IN`` / ``FORWARD_OUT``) and
    preamble (its stable ``sigmoid``), as a ``cupy.ElementwiseKernel`` on a usable GPU, else by the host C++
    compiler; it runs on 10 cases, float64 and float32 (the kernel is compiled for each), one with
    pre-activations large enough that ``exp`` of them overflows, and every output is compared with the NumPy
    cell. Outputs start as NaN, so an output the body never writes is reported. ``use_gpu`` forces a path
    (tests); the PASS line says which one ran.
    """
    body = call_student(NAME, student, Case((), "the kernel body"))
    if not isinstance(body, str):
        raise ExerciseError(f"{NAME}: should return the kernel body as a str (CUDA C statements), got "
                            f"{type(body).__name__}")
    if not body.strip():
        raise ExerciseError(f"{NAME}: the kernel body is empty")
    path = kernel_path(use_gpu)
    kernels = {np.dtype(d): path.kernel(body, d) for d in (np.float64, np.float32)}

    def run_kernel(xa, ha, c_prev):
        H = c_prev.shape[-1]
        outs = [np.full_like(c_prev, np.nan) for _ in OUTPUT_NAMES]
        outs = path.run(kernels[c_prev.dtype], (*gate_views(xa, H), *gate_views(ha, H), c_prev), outs)
        return dict(zip(OUTPUT_NAMES, outs))

    cases = random_cases(_cell_inputs, CELL_SHAPES, large={"B": 2, "H": 3})
    check_function(f"{NAME} {path.where}", run_kernel, lstm_cell_step, cases)


# --- Exercise 10.2: the gate layout ---

LAYOUT_SHAPES = ((1, 1), (2, 3), (1, 5), (4, 1), (3, 33))


def gate_flat_index(B: int, H: int):
    """Reference: flat offsets, in a (B, 4H) C-order array, of element (b, j) of each gate block k.

    -> an int64 array (4, B, H): out[k, b, j] is the position in memory (counted in elements) of gate k's
    element (b, j), read off ``rnnlab.layers.lstm_cell.gate_views`` of an array that holds its own offsets.
    """
    offsets = np.arange(B * N_GATES * H, dtype=np.int64).reshape(B, N_GATES * H)
    return np.stack(gate_views(offsets, H))


def check_gate_flat_index(student) -> None:
    """Exercise 10.2: ``gate_flat_index(B, H)`` on 5 shapes (integers: exact, no dtype variants to check)."""
    cases = [Case((B, H), f"B={B}, H={H}") for B, H in LAYOUT_SHAPES]
    check_function("gate_flat_index", student, gate_flat_index, cases)
