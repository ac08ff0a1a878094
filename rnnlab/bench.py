"""Benchmark harness: how fast each LSTM implementation trains, on this machine, measured.

Run it as ``python -m rnnlab.bench --quick`` (about a minute on a 2-core CPU), ``--preset cpu``
(the recording preset for small CPU-only machines, under ~10 minutes on 2 cores), ``--preset gpu_small``
(the sweeps of ``cpu`` with the GPU implementations, for a small GPU such as a T4; ``make gpu-check``) or
``--full`` (every sweep, including the large GPU-target shape; meant for a large GPU machine). ``--list`` says which
implementations this machine can run and why the others cannot.

Implementations (all run the same maths on the same shapes and dtype)::

    sequential   rnnlab.lstm_sequential   NumPy, one sample and one time step at a time
    numpy        rnnlab.lstm              NumPy, batched: one matrix product per step for the batch
    cupy_port    rnnlab.lstm on CuPy      the same code on the GPU through ``xp``
    cupy_fused   rnnlab.lstm_cupy         CuPy with one fused kernel per step
    torch_cpu    torch.nn.LSTM on the CPU  reference
    torch_gpu    torch.nn.LSTM on CUDA    reference (cuDNN), TF32 off
    numpy_gemms  profile only: the matrix products of one ``numpy`` training step, nothing else

Work measured, for a time-major input X (T, B, D) and hidden size H:

    forward      ``forward(params, X)`` (keeping what backward needs)
    train_step   ``forward`` then ``backward(dY, cache)`` with a fixed random dY (T, B, H)
    epoch        one pass over a data set of N windows: ceil(N / B) training steps on consecutive
                 minibatches of B windows (the last one smaller); B = N is full-batch gradient descent.
                 The parameter update is left out: it costs O(parameters) and is the same everywhere.

The FLOP model counts the matrix products only: a forward pass does 8*T*B*H*(D+H) FLOPs (the
products X W_x and h W_h, 2*(D+H)*4H per sample and step), a training step 24*T*B*H*(D+H) (backward does
twice the forward's products). Achieved GFLOP/s = FLOPs / median time; the same run measures the matrix
product peak of the machine (``peak_gemm`` rows: a large square sgemm with NumPy on the CPU, cuBLAS on the
GPU; at the start and at the end of the run, its GFLOP/s from the fastest call, since a peak is what the
hardware can do) so every figure can be read as a fraction of what the hardware does.

Method: warm-up calls first, then at least 5 timed calls; the CSV stores their median and spread
(interquartile range, min, max) in ms. CPU work is timed with ``time.perf_counter``; GPU work with CUDA
events after synchronising (``cupyx.profiler.benchmark`` for CuPy, ``torch.cuda.Event`` for torch),
because a GPU call returns before its kernels finish. Thread counts are fixed for the whole run
(OpenBLAS threads of NumPy through its own API, ``torch.set_num_threads``) and recorded: all the cores
this process may use, except ``--quick`` which uses 1 thread unless ``--threads`` says otherwise.
"""
from __future__ import annotations

import argparse
import csv
import ctypes
import datetime
import glob
import importlib
import importlib.metadata
import math
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .backend import gpu_available, gpu_name, gpu_status

WORKS = ("forward", "train_step", "epoch")
PRESETS = ("quick", "cpu", "gpu_small", "full")
DTYPES = ("float32", "float64")

# The airline passengers model: windows of 12 months of one feature, 32 hidden units.
AIRLINE_WINDOW = 12
AIRLINE_HORIZON = 1
AIRLINE_HIDDEN = 32
# The target shapes.
CPU_TARGET = {"T": 100, "B": 64, "D": 512, "H": 512}
GPU_TARGET = {"T": 200, "B": 256, "D": 1024, "H": 1024}

CSV_FIELDS = [
    "implementation", "work", "sweep", "T", "B", "D", "H", "n_windows", "dtype",
    "n_repeat", "n_warmup", "median_ms", "iqr_ms", "min_ms", "max_ms", "flops", "gflops",
    "device", "device_name", "cpu_name", "cpu_cores", "threads", "blas_threads", "torch_threads",
    "omp_num_threads", "openblas_num_threads", "mkl_num_threads", "timer", "tf32",
    "numpy_version", "cupy_version", "torch_version", "cuda_runtime", "cuda_driver", "cudnn_version",
    "python_version", "preset", "load_avg_1min", "date",
]


# --------------------------------------------------------------------------------------------------
# The FLOP model


def lstm_flops(T: int, B: int, D: int, H: int, work: str) -> int:
    """Matrix-product FLOPs of an LSTM layer: 8*T*B*H*(D+H) forward, 24*T*B*H*(D+H) for a training step.

    For ``work="epoch"`` pass B = the number of windows N (an epoch is N/B training steps of B windows).
    """
    for name, v in (("T", T), ("B", B), ("D", D), ("H", H)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1; got {name}={v}")
    per_forward = 8 * int(T) * int(B) * int(H) * (int(D) + int(H))
    if work == "forward":
        return per_forward
    if work in ("train_step", "epoch"):
        return 3 * per_forward
    raise ValueError(f"work must be one of {WORKS}; got {work!r}")


def gemm_flops(M: int, N: int, K: int) -> int:
    """FLOPs of C (M, N) = A (M, K) @ B (K, N): one multiply and one add per term."""
    return 2 * int(M) * int(N) * int(K)


# --------------------------------------------------------------------------------------------------
# The machine: names, thread counts, library versions


def cpu_name() -> str:
    """The CPU model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown-cpu"


def cpu_cores() -> int:
    """Cores this process may run on (its affinity mask), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def sanitize(name: str) -> str:
    """A file-name-safe, lower-case form of a device name: 'NVIDIA H100 80GB HBM3' -> 'nvidia-h100-80gb-hbm3'."""
    s = re.sub(r"\(r\)|\(tm\)|\bcpu\b|@", " ", name.lower())
    s = re.sub(r"[^a-z0-9.]+", "-", s).strip("-.")
    return re.sub(r"-+", "-", s) or "unknown"


def machine_name(gpu: str | None = None) -> str:
    """The CSV's name: the GPU's name for a run that used a GPU, else CPU model and core count.

    Host names are left out on purpose: two machines of the same kind give the same file name.
    """
    if gpu:
        return sanitize(gpu)
    return f"cpu-{sanitize(cpu_name())}-{cpu_cores()}c"


_BLAS_GET = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
             "openblas_get_num_threads64_", "openblas_get_num_threads", "MKL_Get_Max_Threads")
_BLAS_SET = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
             "openblas_set_num_threads64_", "openblas_set_num_threads", "MKL_Set_Num_Threads")


def _blas_library():
    """NumPy's BLAS as a ctypes library with get/set thread functions, or None when not found.

    NumPy wheels bundle OpenBLAS (numpy.libs/libscipy_openblas*); its own API sets the thread count,
    so no extra package (threadpoolctl) is needed. Other builds fall back to what /proc/self/maps shows.
    """
    np_dir = Path(np.__file__).resolve().parent
    candidates = sorted(glob.glob(str(np_dir.parent / "numpy.libs" / "*blas*")))
    candidates += sorted(glob.glob(str(np_dir / ".dylibs" / "*blas*")))
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1]
            if ("blas" in path or "mkl_rt" in path) and path.startswith("/") and path not in candidates:
                candidates.append(path)
    except OSError:
        pass
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        get = next((getattr(lib, n) for n in _BLAS_GET if hasattr(lib, n)), None)
        put = next((getattr(lib, n) for n in _BLAS_SET if hasattr(lib, n)), None)
        if get is not None and put is not None:
            return get, put
    return None


def blas_threads() -> int | None:
    """Threads NumPy's BLAS uses now, or None when its library could not be asked."""
    lib = _blas_library()
    return int(lib[0]()) if lib else None


def set_blas_threads(n: int) -> bool:
    """Fix NumPy's BLAS thread count; False when the library has no API we know (then record the env)."""
    lib = _blas_library()
    if lib is None:
        return False
    lib[1](int(n))
    return True


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _cupy_version() -> str:
    for dist in ("cupy", "cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x"):
        v = _version(dist)
        if v:
            return v
    return ""


def cuda_version(v) -> str:
    """A CUDA version as CUDA encodes it (1000 * major + 10 * minor: 13020) in the usual form ("13.2")."""
    v = int(v)
    if v <= 0:
        raise ValueError(f"a CUDA version number must be positive; got {v}")
    return f"{v // 1000}.{(v % 1000) // 10}"


def machine_info(threads: int, torch_loaded: bool) -> dict:
    """Everything each CSV row repeats about the machine and the software (one dict)."""
    info = {
        "cpu_name": cpu_name(),
        "cpu_cores": cpu_cores(),
        "threads": threads,
        "blas_threads": blas_threads() or "",
        "torch_threads": "",
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS", ""),
        "mkl_num_threads": os.environ.get("MKL_NUM_THREADS", ""),
        "numpy_version": np.__version__,
        "cupy_version": _cupy_version(),
        "torch_version": _version("torch"),
        "cuda_runtime": "",
        "cuda_driver": "",
        # Per library, since CuPy and torch each bring their own CUDA runtime; _row picks the row's one.
        "cuda_runtime_cupy": "",
        "cuda_runtime_torch": "",
        "cudnn_version": "",
        "python_version": platform.python_version(),
        "load_avg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else "",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "gpu_name": gpu_name() or "",
    }
    if torch_loaded:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["cudnn_version"] = str(torch.backends.cudnn.version() or "")
            info["gpu_name"] = info["gpu_name"] or torch.cuda.get_device_name(0)
            info["cuda_runtime_torch"] = f"{torch.version.cuda} (torch)"
            info["cuda_driver"] = _driver_version(torch_driver=True)
    if gpu_available():
        import cupy

        info["cuda_runtime_cupy"] = f"{cuda_version(cupy.cuda.runtime.runtimeGetVersion())} (CuPy)"
        info["cuda_driver"] = _driver_version()
    return info


def _driver_version(torch_driver: bool = False) -> str:
    """The NVIDIA driver, e.g. "580.82.07 (supports CUDA 13.0)": nvidia-smi's number and the CUDA it supports."""
    supported = ""
    try:
        if torch_driver:
            import torch

            get = getattr(torch._C, "_cuda_getDriverVersion", None)  # 13000 for a CUDA 13.0 driver
            version = get() if get else None
            supported = cuda_version(version) if version else ""
        else:
            import cupy

            supported = cuda_version(cupy.cuda.runtime.driverGetVersion())
    except Exception:  # noqa: BLE001 - a missing number is recorded as missing, never guessed
        pass
    number = ""
    try:  # the driver's own version (e.g. 580.82.07) when nvidia-smi is there
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        if smi.returncode == 0 and smi.stdout.strip():
            number = smi.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError):
        pass
    if number and supported:
        return f"{number} (supports CUDA {supported})"
    return number or (f"supports CUDA {supported}" if supported else "")


# --------------------------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    """Times of the timed calls (ms), after warm-up, and how they were taken."""

    times_ms: list
    timer: str
    n_warmup: int

    @property
    def median_ms(self) -> float:
        return float(np.median(self.times_ms))

    @property
    def iqr_ms(self) -> float:
        q25, q75 = np.percentile(self.times_ms, [25, 75])
        return float(q75 - q25)


def _n_repeat(estimate_s: float, min_repeat: int, max_repeat: int, budget_s: float) -> int:
    """As many repeats as fit ``budget_s`` (fast work gets more), never fewer than ``min_repeat``."""
    if estimate_s <= 0:
        return max_repeat
    return int(min(max_repeat, max(min_repeat, math.floor(budget_s / estimate_s))))


def time_cpu(fn, *, warmup: int = 1, min_repeat: int = 5, max_repeat: int = 30, budget_s: float = 1.0) -> Timing:
    """Time ``fn()`` on the CPU with ``time.perf_counter``: warm-up calls, then the timed calls."""
    t0 = time.perf_counter()
    for _ in range(max(warmup, 1)):
        fn()
    estimate = (time.perf_counter() - t0) / max(warmup, 1)
    n = _n_repeat(estimate, min_repeat, max_repeat, budget_s)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return Timing(times, "perf_counter", max(warmup, 1))


def time_cupy(fn, *, warmup: int = 1, min_repeat: int = 5, max_repeat: int = 30, budget_s: float = 1.0) -> Timing:
    """Time GPU work with ``cupyx.profiler.benchmark``: CUDA events around each call after synchronising."""
    import cupy
    from cupyx.profiler import benchmark

    t0 = time.perf_counter()
    for _ in range(max(warmup, 1)):
        fn()
    cupy.cuda.Device().synchronize()
    estimate = (time.perf_counter() - t0) / max(warmup, 1)
    n = _n_repeat(estimate, min_repeat, max_repeat, budget_s)
    result = benchmark(fn, n_repeat=n, n_warmup=1)
    return Timing([float(t) * 1e3 for t in result.gpu_times[0]], "cupyx.profiler.benchmark (CUDA events)",
                  max(warmup, 1) + 1)


def time_torch_cuda(fn, *, warmup: int = 1, min_repeat: int = 5, max_repeat: int = 30,
                    budget_s: float = 1.0) -> Timing:
    """Time torch GPU work with ``torch.cuda.Event`` pairs, synchronising before and after each call."""
    import torch

    t0 = time.perf_counter()
    for _ in range(max(warmup, 1)):
        fn()
    torch.cuda.synchronize()
    estimate = (time.perf_counter() - t0) / max(warmup, 1)
    n = _n_repeat(estimate, min_repeat, max_repeat, budget_s)
    times = []
    for _ in range(n):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(float(start.elapsed_time(end)))
    return Timing(times, "torch.cuda.Event", max(warmup, 1))


# --------------------------------------------------------------------------------------------------
# Implementations: each turns NumPy params and minibatches into a zero-argument function that does the work


def _batches_for(impl_batches, fn_convert):
    return [(fn_convert(X), fn_convert(dY)) for X, dY in impl_batches]


class RnnlabImpl:
    """An implementation with rnnlab's contract: ``forward(params, X)``, ``backward(dY, cache)``."""

    def __init__(self, name: str, module: str, device: str, label: str):
        self.name, self.module, self.device, self.label = name, module, device, label

    def unavailable_reason(self) -> str | None:
        if self.device == "gpu" and not gpu_available():
            return f"no usable CUDA GPU here ({gpu_status()})"
        try:
            importlib.import_module(f"rnnlab.{self.module}")
        except Exception as e:  # report any import failure, do not hide it
            return f"rnnlab.{self.module} could not be imported ({type(e).__name__}: {e})"
        return None

    def make(self, params: dict, batches: list, forward_only: bool):
        mod = importlib.import_module(f"rnnlab.{self.module}")
        if self.device == "gpu":
            import cupy

            params = {k: cupy.asarray(v) for k, v in params.items()}
            batches = _batches_for(batches, cupy.asarray)

        def work():
            for X, dY in batches:
                _, _, cache = mod.forward(params, X)
                if not forward_only:
                    mod.backward(dY, cache)

        return work

    def timer(self):
        return time_cupy if self.device == "gpu" else time_cpu


class NumpyGemmsImpl:
    """Profile: only the matrix products of one batched NumPy training step (``rnnlab.lstm``), same shapes.

    Forward: X W_x once for all T steps, then T products h W_h. Backward: T products dA W_h^T, then
    the weight gradients X^T dA, H^T dA and dX = dA W_x^T once each. Its time against ``numpy``'s
    says how much of a step is matrix products and how much is elementwise work and Python.
    """

    name, device, label = "numpy_gemms", "cpu", "NumPy step, matrix products only"

    def unavailable_reason(self) -> str | None:
        return None

    def make(self, params: dict, batches: list, forward_only: bool):
        W_x, W_h = params["W_x"], params["W_h"]
        H = W_h.shape[0]
        X, _ = batches[0]
        T, B, D = X.shape
        X2 = X.reshape(T * B, D)
        h = np.full((B, H), 0.5, dtype=W_x.dtype)
        dA = np.full((T * B, 4 * H), 0.5, dtype=W_x.dtype)
        hs = np.full((T * B, H), 0.5, dtype=W_x.dtype)

        def work():
            _ = X2 @ W_x
            for _t in range(T):
                _ = h @ W_h
            if forward_only:
                return
            for t in range(T):
                _ = dA[t * B : (t + 1) * B] @ W_h.T
            _ = X2.T @ dA
            _ = hs.T @ dA
            _ = dA @ W_x.T

        return work

    def timer(self):
        return time_cpu


class TorchImpl:
    """torch.nn.LSTM (one layer, time-major) with rnnlab's weights; on the GPU it runs cuDNN with TF32 off."""

    def __init__(self, name: str, device: str, label: str):
        self.name, self.device, self.label = name, device, label

    def unavailable_reason(self) -> str | None:
        try:
            import torch
        except Exception as e:
            return f"torch could not be imported ({type(e).__name__}: {e})"
        if self.device == "gpu" and not torch.cuda.is_available():
            return "no usable CUDA GPU for torch here (torch.cuda.is_available() is False)"
        return None

    def make(self, params: dict, batches: list, forward_only: bool):
        import torch

        dev = torch.device("cuda" if self.device == "gpu" else "cpu")
        if self.device == "gpu":
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        dtype = {np.dtype("float32"): torch.float32, np.dtype("float64"): torch.float64}[params["W_x"].dtype]
        D, H = params["W_x"].shape[0], params["W_h"].shape[0]
        lstm = torch.nn.LSTM(D, H).to(device=dev, dtype=dtype)
        with torch.no_grad():  # the same weights as the rnnlab implementations
            lstm.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(params["W_x"].T)))
            lstm.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(params["W_h"].T)))
            lstm.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
            lstm.bias_hh_l0.zero_()
        tb = [(torch.from_numpy(X).to(dev).requires_grad_(not forward_only), torch.from_numpy(dY).to(dev))
              for X, dY in batches]

        def work():
            # Autograd stays on for forward too: like rnnlab's forward, it keeps what backward needs.
            for X, dY in tb:
                Y, _ = lstm(X)
                if not forward_only:
                    lstm.zero_grad(set_to_none=True)
                    X.grad = None
                    Y.backward(dY)

        return work

    def timer(self):
        return time_torch_cuda if self.device == "gpu" else time_cpu


IMPLEMENTATIONS = {
    impl.name: impl
    for impl in (
        RnnlabImpl("sequential", "lstm_sequential", "cpu", "sequential NumPy (per sample, per step)"),
        RnnlabImpl("numpy", "lstm", "cpu", "batched NumPy (rnnlab.lstm)"),
        RnnlabImpl("cupy_port", "lstm", "gpu", "CuPy direct port (rnnlab.lstm on CuPy)"),
        RnnlabImpl("cupy_fused", "lstm_cupy", "gpu", "CuPy fused kernels (rnnlab.lstm_cupy)"),
        TorchImpl("torch_cpu", "cpu", "torch.nn.LSTM CPU"),
        TorchImpl("torch_gpu", "gpu", "torch.nn.LSTM GPU (cuDNN)"),
        NumpyGemmsImpl(),
    )
}
DEFAULT_IMPLEMENTATIONS = ("sequential", "numpy", "cupy_port", "cupy_fused", "torch_cpu", "torch_gpu")


def availability(names=None) -> dict:
    """{implementation: None if it can run here, else the reason it cannot}."""
    names = list(IMPLEMENTATIONS) if names is None else list(names)
    unknown = [n for n in names if n not in IMPLEMENTATIONS]
    if unknown:
        raise ValueError(f"unknown implementation(s) {unknown}; choose from {list(IMPLEMENTATIONS)}")
    return {n: IMPLEMENTATIONS[n].unavailable_reason() for n in names}


# --------------------------------------------------------------------------------------------------
# What to measure: presets


@dataclass(frozen=True)
class Config:
    """One measurement's shape: ``epoch`` uses B windows per minibatch over ``n_windows`` windows."""

    work: str
    T: int
    B: int
    D: int
    H: int
    n_windows: int = 0
    impls: tuple = ()  # which implementations measure it
    sweeps: tuple = field(default=(), compare=False)


def airline_windows() -> int:
    """Number of 12-month windows (horizon 1) in the airline passengers series: the airline batch size."""
    from .data import load_airline_passengers, make_windows

    X, _ = make_windows(load_airline_passengers().to_numpy(), AIRLINE_WINDOW, AIRLINE_HORIZON)
    return len(X)


@dataclass(frozen=True)
class Preset:
    """Sizes of every sweep. ``seq_budget`` caps the sequential LSTM's work (T*B*(D+H) per call)."""

    batch_sizes: tuple
    batch_shape: tuple  # (T, D=H)
    hidden_sizes: tuple
    hidden_shape: tuple  # (T, B)
    seq_lengths: tuple
    seq_shape: tuple  # (B, D=H)
    data_scales: tuple
    minibatch: int
    cpu_target: bool
    gpu_target: bool
    peak_n: tuple  # (CPU n, GPU n) of the square peak GEMM
    seq_budget: int
    seq_epoch_scale: int  # largest data scale the sequential LSTM runs an epoch on
    forward_sweeps: tuple  # sweeps that measure the forward pass as well as the training step
    warmup: int
    min_repeat: int
    max_repeat: int
    budget_s: float


PRESET_SIZES = {
    # About a minute on a loaded 2-core CPU: small shapes, the sequential LSTM on the small ones only.
    "quick": Preset(batch_sizes=(1, 4, 16, 64), batch_shape=(20, 64), hidden_sizes=(16, 64, 256),
                    hidden_shape=(20, 16), seq_lengths=(10, 20, 40), seq_shape=(16, 64),
                    data_scales=(1, 2, 4, 8), minibatch=32, cpu_target=False, gpu_target=False,
                    peak_n=(1024, 4096), seq_budget=10_240, seq_epoch_scale=1,
                    forward_sweeps=("airline", "batch"), warmup=1, min_repeat=5, max_repeat=10, budget_s=0.1),
    # The recording preset for a small CPU-only machine (2 cores: under ~10 minutes).
    "cpu": Preset(batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256), batch_shape=(50, 128),
                  hidden_sizes=(32, 64, 128, 256, 512), hidden_shape=(50, 32),
                  seq_lengths=(12, 25, 50, 100, 200), seq_shape=(32, 128), data_scales=(1, 2, 4, 8),
                  minibatch=32, cpu_target=True, gpu_target=False, peak_n=(2048, 8192),
                  seq_budget=7_000_000, seq_epoch_scale=8,
                  forward_sweeps=("airline", "batch", "hidden", "seq", "cpu_target"), warmup=1, min_repeat=5,
                  max_repeat=15, budget_s=0.5),
    # For a small GPU machine such as Colab's T4 with 2 CPU cores (`make gpu-check`'s default): the sweeps of
    # "cpu", so the two CSVs compare shape for shape, with the sequential LSTM only where it takes well under a
    # second per call and no GPU-target shape (batched NumPy would need minutes per call there on 2 cores).
    # Sized from the CPU recording's medians (about a minute of CPU-side work there); not yet timed on a T4.
    "gpu_small": Preset(batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256), batch_shape=(50, 128),
                        hidden_sizes=(32, 64, 128, 256, 512), hidden_shape=(50, 32),
                        seq_lengths=(12, 25, 50, 100, 200), seq_shape=(32, 128), data_scales=(1, 2, 4, 8),
                        minibatch=32, cpu_target=True, gpu_target=False, peak_n=(2048, 4096),
                        seq_budget=200_000, seq_epoch_scale=2,
                        forward_sweeps=("airline", "batch", "hidden", "seq", "cpu_target"), warmup=1,
                        min_repeat=5, max_repeat=10, budget_s=0.3),
    # Everything, for a GPU machine (with a GPU the GPU target shape B=256, D=H=1024, T=200 is added).
    "full": Preset(batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), batch_shape=(100, 256),
                   hidden_sizes=(32, 64, 128, 256, 512, 1024), hidden_shape=(100, 64),
                   seq_lengths=(25, 50, 100, 200, 400), seq_shape=(64, 256), data_scales=(1, 2, 4, 8),
                   minibatch=32, cpu_target=True, gpu_target=True, peak_n=(4096, 8192),
                   seq_budget=7_000_000, seq_epoch_scale=8,
                   forward_sweeps=("airline", "batch", "hidden", "seq", "cpu_target", "gpu_target"), warmup=2,
                   min_repeat=5, max_repeat=30, budget_s=1.0),
}


def build_configs(preset: str, impls, n_airline: int, gpu_present: bool) -> list[Config]:
    """The measurements of a preset for the chosen implementations, each shape once (sweeps merged)."""
    if preset not in PRESET_SIZES:
        raise ValueError(f"preset must be one of {PRESETS}; got {preset!r}")
    p = PRESET_SIZES[preset]
    impls = tuple(impls)
    main = tuple(i for i in impls if i not in ("sequential", "numpy_gemms"))
    seq = ("sequential",) if "sequential" in impls else ()
    gemms = ("numpy_gemms",) if "numpy_gemms" in impls else ()

    def with_seq(T, B, D, H):
        return seq + main if T * B * (D + H) <= p.seq_budget else main

    todo: dict = {}

    def add(sweep, work, T, B, D, H, chosen, n_windows=0):
        if work == "forward" and sweep not in p.forward_sweeps:
            return
        for name in chosen:
            key = (work, T, B, D, H, n_windows, name)
            todo.setdefault(key, []).append(sweep)

    works = ("train_step", "forward")
    for work in works:
        # The airline training step, where the 10x target is stated; all implementations.
        add("airline", work, AIRLINE_WINDOW, n_airline, 1, AIRLINE_HIDDEN, seq + main + gemms)
        T, DH = p.batch_shape
        for B in p.batch_sizes:
            add("batch", work, T, B, DH, DH, with_seq(T, B, DH, DH))
        T, B = p.hidden_shape
        for H in p.hidden_sizes:
            add("hidden", work, T, B, H, H, with_seq(T, B, H, H))
        B, DH = p.seq_shape
        for T in p.seq_lengths:
            add("seq", work, T, B, DH, DH, with_seq(T, B, DH, DH))
        if p.cpu_target:
            s = CPU_TARGET
            add("cpu_target", work, s["T"], s["B"], s["D"], s["H"], with_seq(s["T"], s["B"], s["D"], s["H"]) + gemms)
        if p.gpu_target and gpu_present:
            s = GPU_TARGET
            add("gpu_target", work, s["T"], s["B"], s["D"], s["H"], main)
    # Per-step Python overhead: the batched step at the smallest shape, T steps of almost no arithmetic.
    if "numpy" in impls:
        add("overhead", "train_step", CPU_TARGET["T"] if p.cpu_target else 20, 1, 1, 1, ("numpy",))
    for scale in p.data_scales:
        n = n_airline * scale
        chosen = seq + main if scale <= p.seq_epoch_scale else main
        add("dataset", "epoch", AIRLINE_WINDOW, p.minibatch, 1, AIRLINE_HIDDEN, chosen, n_windows=n)
        # Full batch: the sequential LSTM loops over samples either way, so it is measured once (above).
        add("dataset", "epoch", AIRLINE_WINDOW, n, 1, AIRLINE_HIDDEN, main, n_windows=n)
    return [Config(work, T, B, D, H, n, (name,), tuple(sw)) for (work, T, B, D, H, n, name), sw in todo.items()]


# --------------------------------------------------------------------------------------------------
# Running


def make_inputs(T: int, B: int, D: int, H: int, dtype, n_windows: int = 0, seed: int = 0):
    """Seeded params (rnnlab.lstm.init_params) and a list of (X, dY) minibatches, all NumPy, C-contiguous.

    For ``n_windows`` > 0 (an epoch) the windows are split into consecutive minibatches of B.
    """
    from .lstm import init_params

    rng = np.random.default_rng(seed)
    params = init_params(D, H, seed=seed, dtype=dtype)
    N = n_windows if n_windows else B
    X = rng.standard_normal((T, N, D)).astype(dtype)
    dY = rng.standard_normal((T, N, H)).astype(dtype)
    batches = [(np.ascontiguousarray(X[:, s : s + B]), np.ascontiguousarray(dY[:, s : s + B]))
               for s in range(0, N, B)]
    return params, batches


def measure_peak_gemm(device: str, n: int, dtype, *, warmup: int, min_repeat: int, max_repeat: int,
                      budget_s: float) -> tuple[Timing, str]:
    """Time a square (n, n) @ (n, n) product: NumPy's BLAS on the CPU, cuBLAS (CuPy, or torch) on the GPU."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    kw = {"warmup": warmup, "min_repeat": min_repeat, "max_repeat": max_repeat, "budget_s": budget_s}
    if device == "cpu":
        out = np.empty((n, n), dtype=dtype)
        return time_cpu(lambda: np.matmul(a, b, out=out), **kw), "numpy matmul (BLAS)"
    if gpu_available():
        import cupy

        ga, gb = cupy.asarray(a), cupy.asarray(b)
        gout = cupy.empty((n, n), dtype=dtype)
        return time_cupy(lambda: cupy.matmul(ga, gb, out=gout), **kw), "cupy matmul (cuBLAS)"
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    return time_torch_cuda(lambda: torch.matmul(ta, tb), **kw), "torch matmul (cuBLAS)"


def _row(impl: str, work: str, sweeps, T, B, D, H, n_windows, dtype, timing: Timing, flops: int,
         device: str, info: dict, timer: str, tf32: str, preset: str) -> dict:
    med = timing.median_ms
    row = {k: info.get(k, "") for k in CSV_FIELDS}
    row.update({
        "implementation": impl, "work": work, "sweep": ";".join(sweeps), "T": T, "B": B, "D": D, "H": H,
        "n_windows": n_windows or "", "dtype": np.dtype(dtype).name, "n_repeat": len(timing.times_ms),
        "n_warmup": timing.n_warmup, "median_ms": round(med, 6), "iqr_ms": round(timing.iqr_ms, 6),
        "min_ms": round(min(timing.times_ms), 6), "max_ms": round(max(timing.times_ms), 6),
        "flops": flops, "gflops": float(f"{flops / (med * 1e-3) / 1e9:.6g}") if med > 0 else "",
        "device": device, "device_name": info["gpu_name"] if device == "gpu" else info["cpu_name"],
        "timer": timer, "tf32": tf32, "preset": preset,
        # The CUDA runtime this row's library ran on (CuPy's or torch's); none for CPU work.
        "cuda_runtime": (info.get("cuda_runtime_torch" if impl.startswith("torch") else "cuda_runtime_cupy", "")
                         if device == "gpu" else ""),
        "cuda_driver": info.get("cuda_driver", "") if device == "gpu" else "",
    })
    return row


def tf32_state(impl_name: str, dtype) -> str:
    """Whether the row's float32 matrix products ran in TF32, as the library reports it after the run.

    Empty for CPU work; "n/a" for float64 (TF32 is a float32 mode). CuPy chooses TF32 only with
    ``CUPY_TF32=1`` on a GPU of compute capability 8.0 or more, so its own answer is recorded
    (``cupy._core.get_compute_type``), not the environment variable. torch: its two allow_tf32 flags.
    """
    impl = IMPLEMENTATIONS.get(impl_name)
    if impl_name != "peak_gemm" and (impl is None or impl.device != "gpu"):
        return ""
    if np.dtype(dtype) != np.float32:
        return f"n/a ({np.dtype(dtype).name})"
    if impl_name.startswith("cupy") or impl_name == "peak_gemm":
        import cupy
        from cupy._core import _routines_linalg

        kind = _routines_linalg.compute_type_to_str(cupy._core.get_compute_type(np.dtype(np.float32)))
        cc = cupy.cuda.Device().compute_capability
        return f"{'on' if 'TF32' in kind else 'off'} (CuPy {kind}, compute capability {cc[:-1]}.{cc[-1]})"
    import torch

    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    major, minor = torch.cuda.get_device_capability()
    on = (matmul or cudnn) and major >= 8
    return f"{'on' if on else 'off'} (torch matmul.allow_tf32={matmul}, cudnn.allow_tf32={cudnn}, " \
           f"compute capability {major}.{minor})"


def run_benchmarks(preset: str = "quick", impls=None, *, dtype="float32", threads: int | None = None,
                   progress: bool = True, configs: list | None = None, peak: bool = True, log=print,
                   **overrides) -> list[dict]:
    """Measure; return one dict per measurement with the columns of ``CSV_FIELDS``.

    impls: names from ``IMPLEMENTATIONS`` (default: all but the profile-only ``numpy_gemms``, which the
    ``cpu`` and ``full`` presets add); unavailable ones are reported through ``log`` and skipped.
    threads: CPU threads for NumPy's BLAS and torch (default: the cores this process may use; 1 for
        ``quick``, whose small shapes gain nothing from threads and whose timings a busy shared machine
        would otherwise wreck: waiting BLAS threads make them 10x slower and noisy).
    configs: measure these instead of the preset's sweeps (the preset still gives repeats and warm-up).
    overrides: warmup, min_repeat, max_repeat, budget_s to replace the preset's.
    """
    if preset not in PRESET_SIZES:
        raise ValueError(f"preset must be one of {PRESETS}; got {preset!r}")
    if np.dtype(dtype).name not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}; got {dtype!r}")
    dtype = np.dtype(dtype)
    p = PRESET_SIZES[preset]
    method = {"warmup": p.warmup, "min_repeat": p.min_repeat, "max_repeat": p.max_repeat, "budget_s": p.budget_s}
    bad = set(overrides) - set(method)
    if bad:
        raise ValueError(f"unknown option(s) {sorted(bad)}; allowed: {sorted(method)}")
    method.update(overrides)
    if method["min_repeat"] < 1 or method["max_repeat"] < method["min_repeat"]:
        raise ValueError(f"need 1 <= min_repeat <= max_repeat; got {method}")

    if impls is None:
        impls = DEFAULT_IMPLEMENTATIONS + (("numpy_gemms",) if preset != "quick" else ())
    reasons = availability(impls)
    for name, why in reasons.items():
        if why:
            log(f"[bench] {name}: unavailable, skipped: {why}")
    usable = tuple(n for n in impls if reasons[n] is None)
    if not usable:
        raise RuntimeError(f"none of the implementations {list(impls)} can run here; see the messages above")

    threads = int(threads or (1 if preset == "quick" else cpu_cores()))
    if not set_blas_threads(threads):
        log(f"[bench] could not set NumPy's BLAS threads through its API; recording OMP/OPENBLAS/MKL_NUM_THREADS "
            f"from the environment instead (install threadpoolctl to control them); threads={threads}")
    torch_used = any(n.startswith("torch") for n in usable)
    if torch_used:
        import torch

        torch.set_num_threads(threads)
    gpu_used = any(IMPLEMENTATIONS[n].device == "gpu" for n in usable)
    info = machine_info(threads, torch_used)

    if configs is None:
        configs = build_configs(preset, usable, airline_windows(), gpu_used)
    else:
        configs = [c for c in configs if not c.impls or c.impls[0] in usable]

    rows = []
    peak_devices = ["cpu"] + (["gpu"] if gpu_used else [])
    bar = None
    try:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(configs) + (2 * len(peak_devices) if peak else 0), desc=f"bench {preset}",
                   disable=not progress, leave=True)
    except ImportError:
        pass
    def measure_peaks(when):
        for dev in peak_devices:
            n = p.peak_n[0] if dev == "cpu" else p.peak_n[1]
            timing, how = measure_peak_gemm(dev, n, dtype, **method)
            tf32 = "" if dev == "cpu" else tf32_state("peak_gemm" if "cupy" in how else "torch_gpu", dtype)
            row = _row("peak_gemm", "gemm", (f"peak_{when}",), 1, n, n, n, 0, dtype, timing, gemm_flops(n, n, n),
                       dev, info, f"{timing.timer}; {how}", tf32, preset)
            if dev == "gpu":
                row["cuda_runtime"] = info["cuda_runtime_cupy" if "cupy" in how else "cuda_runtime_torch"]
            # A peak is what the hardware can do: the best call, not the median (other jobs only slow it).
            row["gflops"] = float(f"{gemm_flops(n, n, n) / (min(timing.times_ms) * 1e-3) / 1e9:.6g}")
            rows.append(row)
            if bar is not None:
                bar.update(1)

    if peak:
        measure_peaks("start")
    for cfg in configs:
        impl = IMPLEMENTATIONS[cfg.impls[0]]
        if bar is not None:
            bar.set_postfix_str(f"{impl.name} {cfg.work} T={cfg.T} B={cfg.B} D={cfg.D} H={cfg.H}", refresh=False)
        params, batches = make_inputs(cfg.T, cfg.B, cfg.D, cfg.H, dtype, cfg.n_windows)
        work = impl.make(params, batches, forward_only=(cfg.work == "forward"))
        timing = impl.timer()(work, **method)
        N = cfg.n_windows or cfg.B
        rows.append(_row(impl.name, cfg.work, cfg.sweeps, cfg.T, cfg.B, cfg.D, cfg.H, cfg.n_windows, dtype, timing,
                         lstm_flops(cfg.T, N, cfg.D, cfg.H, cfg.work), impl.device, info, timing.timer,
                         tf32_state(impl.name, dtype), preset))
        del work, params, batches
        if bar is not None:
            bar.update(1)
    if peak:  # measured again at the end: the best of both is the peak, whatever ran meanwhile
        measure_peaks("end")
    if bar is not None:
        bar.close()
    return rows


def write_csv(rows: list[dict], path, append: bool = False) -> Path:
    """Write the rows with the columns of ``CSV_FIELDS``; the file is replaced unless ``append``.

    Appending needs the existing file to have the same header (a run split in two calls, one file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exists = append and path.exists() and path.stat().st_size > 0
    if exists:
        with path.open(newline="") as f:
            header = next(csv.reader(f), [])
        if header != CSV_FIELDS:
            raise ValueError(f"cannot append to {path}: its columns {header} differ from CSV_FIELDS")
    with path.open("a" if exists else "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        if not exists:
            w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in CSV_FIELDS})
    return path


def default_out(gpu: str | None = None) -> Path:
    """data/benchmarks/<machine>.csv in the repository (or $RNNLAB_DATA_DIR/benchmarks); ``gpu``: its name."""
    from .data import data_dir

    return data_dir() / "benchmarks" / f"{machine_name(gpu)}.csv"


def summary(rows: list[dict]) -> str:
    """A short text table of the rows: implementation, work, shape, median and GFLOP/s."""
    lines = [f"{'implementation':<12} {'work':<10} {'T':>4} {'B':>5} {'D':>5} {'H':>5} {'N':>5} "
             f"{'median ms':>11} {'IQR ms':>9} {'GFLOP/s':>9}"]
    for r in rows:
        lines.append(f"{r['implementation']:<12} {r['work']:<10} {r['T']:>4} {r['B']:>5} {r['D']:>5} {r['H']:>5} "
                     f"{r['n_windows'] or '':>5} {r['median_ms']:>11.3f} {r['iqr_ms']:>9.3f} {r['gflops']:>9.2f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnlab.bench", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_const", const="quick", dest="preset", help="about a minute on 2 cores")
    g.add_argument("--full", action="store_const", const="full", dest="preset",
                   help="every sweep, with the GPU target shape when a GPU is present (for a GPU machine)")
    g.add_argument("--preset", choices=PRESETS, help="quick, cpu (recording on a small CPU machine), gpu_small "
                   "(recording on a small GPU such as a T4, `make gpu-check`) or full")
    parser.add_argument("--impl", nargs="+", choices=list(IMPLEMENTATIONS), metavar="NAME",
                        help=f"implementations to run (default: all that are available): {', '.join(IMPLEMENTATIONS)}")
    parser.add_argument("--dtype", choices=DTYPES, default="float32")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for NumPy's BLAS and torch "
                        "(default: all cores this process may use; 1 for --quick)")
    parser.add_argument("--out", type=Path, default=None, help="CSV path (default data/benchmarks/<machine>.csv)")
    parser.add_argument("--append", action="store_true",
                        help="add the rows to the CSV instead of replacing it (a run split over several calls)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--list", action="store_true", help="say which implementations can run here, and stop")
    args = parser.parse_args(argv)
    preset = args.preset or "quick"

    if args.list:
        for name, why in availability().items():
            print(f"{name:<12} {'available' if why is None else 'unavailable: ' + why}")
        return 0
    t0 = time.perf_counter()
    try:
        rows = run_benchmarks(preset, args.impl, dtype=args.dtype, threads=args.threads,
                              progress=not args.no_progress)
    except RuntimeError as e:
        print(f"[bench] {e}", file=sys.stderr)
        return 2
    gpu = next((r["device_name"] for r in rows if r["device"] == "gpu" and r["device_name"]), None)
    out = write_csv(rows, args.out or default_out(gpu), append=args.append)
    print(summary(rows))
    print(f"[bench] {len(rows)} measurements in {time.perf_counter() - t0:.1f} s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
