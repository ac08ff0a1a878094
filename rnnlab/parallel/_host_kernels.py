"""Run an elementwise CUDA kernel body on the CPU, for checking it without a GPU.

A ``cupy.ElementwiseKernel`` body is plain C++ expressions over one element: every
input is a value, every output a reference. The same body, wrapped in a loop over
the elements and compiled by the host C++ compiler (g++ or clang++), computes what
the GPU computes, up to floating-point rounding (the GPU may fuse a*b+c into one
FMA). It is a checking tool, not a fast path: the arrays are copied in and out.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np

_C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}

# CUDA-only spellings the kernel sources use, and the float overloads of the maths functions
# that CUDA puts in the global namespace (C++ has them in std::).
_HOST_PRELUDE = """#include <cmath>
#define __device__
using std::exp;
using std::fabs;
using std::tanh;
"""


def parse_params(params: str) -> list[str]:
    """Names in a CuPy parameter list such as ``"T x, T y"`` (each entry is ``type name``)."""
    names = []
    for entry in params.split(","):
        words = entry.split()
        if len(words) != 2 or words[0] != "T":
            raise ValueError(f"host kernels take 'T name' parameters only; got {entry.strip()!r}")
        names.append(words[1])
    return names


def host_compiler() -> str | None:
    """Path of a host C++ compiler (``$CXX``, ``c++``, ``g++`` or ``clang++``), or None."""
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def host_source(in_params: str, out_params: str, operation: str, name: str, preamble: str, dtype) -> str:
    """The C++ translation unit that loops the kernel body over n elements."""
    ctype = _C_TYPES[np.dtype(dtype)]
    ins, outs = parse_params(in_params), parse_params(out_params)
    args = ", ".join(["long _n"] + [f"const T* _in_{n}" for n in ins] + [f"T* _out_{n}" for n in outs])
    loads = "\n".join([f"    const T {n} = _in_{n}[_k];" for n in ins] + [f"    T &{n} = _out_{n}[_k];" for n in outs])
    return (
        f"{_HOST_PRELUDE}\ntypedef {ctype} T;\n{preamble}\n"
        f'extern "C" void {name}({args}) {{\n  for (long _k = 0; _k < _n; ++_k) {{\n'
        f"{loads}\n    {operation}\n  }}\n}}\n"
    )


class HostKernel:
    """A compiled host version of an elementwise kernel, called like a ``cupy.ElementwiseKernel``.

    ``kernel(*inputs, *outputs)`` with NumPy arrays of one shape (inputs may broadcast).
    Outputs are read before the body runs and written back after, so an output the body
    reads (an in-out parameter) behaves as on the GPU.
    """

    def __init__(self, in_params, out_params, operation, name, preamble="", dtype=np.float64):
        self.dtype = np.dtype(dtype)
        if self.dtype not in _C_TYPES:
            raise ValueError(f"host kernels support float32 and float64; got dtype {self.dtype}")
        self.in_names, self.out_names = parse_params(in_params), parse_params(out_params)
        self.name = name
        self.source = host_source(in_params, out_params, operation, name, preamble, self.dtype)
        self._function = _compile(self.source, name)
        self._function.restype = None
        self._function.argtypes = [ctypes.c_long] + [ctypes.c_void_p] * (len(self.in_names) + len(self.out_names))

    def __call__(self, *arrays):
        n_in, n_out = len(self.in_names), len(self.out_names)
        if len(arrays) != n_in + n_out:
            raise ValueError(f"{self.name} takes {n_in} inputs and {n_out} outputs; got {len(arrays)} arrays")
        outs = arrays[n_in:]
        shape = outs[0].shape
        for name, a in zip(self.in_names + self.out_names, arrays):
            if np.asarray(a).dtype != self.dtype:
                raise ValueError(f"{self.name} argument {name} has dtype {np.asarray(a).dtype}, not {self.dtype}")
        ins = [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in arrays[:n_in]]
        tmp = [np.array(o, order="C", copy=True) for o in outs]
        for name, o in zip(self.out_names, tmp):
            if o.shape != shape:
                raise ValueError(f"{self.name} output {name} has shape {o.shape}, not {shape}")
        self._function(int(np.prod(shape)), *(a.ctypes.data for a in ins + tmp))
        for o, t in zip(outs, tmp):
            o[...] = t


@functools.cache
def _build_dir() -> str:
    return tempfile.mkdtemp(prefix="rnnlab_host_kernels_")


@functools.cache
def _library(source: str) -> ctypes.CDLL:
    compiler = host_compiler()
    if compiler is None:
        raise RuntimeError("running a kernel on the CPU needs a C++ compiler (g++ or clang++) on PATH")
    stem = os.path.join(_build_dir(), hashlib.sha1(source.encode()).hexdigest()[:16])
    with open(stem + ".cpp", "w") as f:
        f.write(source)
    # -ffp-contract=off: no FMA, so the host result is the plain rounding of each operation.
    cmd = [compiler, "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-o", stem + ".so", stem + ".cpp"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"host compilation of a kernel failed:\n{done.stderr}\n--- source ---\n{source}")
    return ctypes.CDLL(stem + ".so")


def _compile(source: str, name: str):
    return getattr(_library(source), name)
