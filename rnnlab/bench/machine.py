"""What each result row records about the machine: CPU, cores, BLAS and its threads, GPU, library versions.

NumPy's BLAS and its thread count are read and set through ``threadpoolctl`` (imported here only, when
a benchmark asks, so that ``import rnnlab`` does not need it).
"""
from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import re
import subprocess
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..backend import gpu_available, gpu_name


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        for line in Path(cpuinfo).read_text().splitlines():
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


def _threadpoolctl():
    """The threadpoolctl module, or an ImportError that says where it comes from."""
    try:
        import threadpoolctl
    except ImportError as e:
        raise ImportError("the benchmark harness reads and sets BLAS threads with threadpoolctl: "
                          "pip install -r requirements.txt (or pip install threadpoolctl)") from e
    return threadpoolctl


def blas_library() -> dict | None:
    """threadpoolctl's record of NumPy's BLAS (``internal_api``, ``version``, ``num_threads``, ...), or None.

    torch and SciPy may load BLAS libraries of their own; NumPy's is the one inside NumPy's wheel
    (numpy.libs, .dylibs), else the first BLAS loaded.
    """
    blas = [lib for lib in _threadpoolctl().threadpool_info() if lib.get("user_api") == "blas"]
    numpy_dir = Path(np.__file__).resolve().parent
    own = [lib for lib in blas if Path(lib["filepath"]).resolve().is_relative_to(numpy_dir.parent / "numpy.libs")
           or Path(lib["filepath"]).resolve().is_relative_to(numpy_dir)]
    return (own or blas or [None])[0]


def blas_threads() -> int | None:
    """Threads NumPy's BLAS uses now, or None when no BLAS library was found."""
    lib = blas_library()
    return int(lib["num_threads"]) if lib else None


def set_blas_threads(n: int) -> bool:
    """Fix the thread count of every loaded BLAS library (NumPy's and any other); False when none was found."""
    if int(n) < 1:
        raise ValueError(f"n (BLAS threads) must be >= 1; got {n}")
    if blas_library() is None:
        return False
    _threadpoolctl().threadpool_limits(limits=int(n), user_api="blas")  # stays in force: the limiter is not used as a context
    return True


def package_version(dist: str) -> str:
    """The installed version of a distribution, "" when it is not installed."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


def cupy_version() -> str:
    """CuPy's version, whichever of its wheels (one per CUDA major) is installed; "" for none."""
    return next((v for v in map(package_version, ("cupy", "cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x")) if v), "")


def cuda_version(v) -> str:
    """A CUDA version as CUDA encodes it (1000 * major + 10 * minor: 13020) in the usual form ("13.2")."""
    v = int(v)
    if v <= 0:
        raise ValueError(f"a CUDA version number must be positive; got {v}")
    return f"{v // 1000}.{(v % 1000) // 10}"


def driver_version(torch_driver: bool = False) -> str:
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


@dataclass(frozen=True)
class MachineColumns:
    """The facts of the machine and its software that every result row repeats; "" or None where unknown."""

    cpu_name: str
    cpu_cores: int
    threads: int
    blas_threads: int | None
    torch_threads: int | None
    omp_num_threads: str
    openblas_num_threads: str
    mkl_num_threads: str
    numpy_version: str
    cupy_version: str
    torch_version: str
    cudnn_version: str
    python_version: str
    load_avg_1min: float | None
    date: str

    def columns(self) -> dict:
        """These facts alone, by name (a :class:`MachineInfo` holds the GPU's too)."""
        return {f.name: getattr(self, f.name) for f in fields(MachineColumns)}


@dataclass(frozen=True)
class MachineInfo(MachineColumns):
    """The facts of one run: the columns every row repeats, and the GPU's, of which a row keeps those of its
    own device and library."""

    cuda_driver: str
    # Per library, since CuPy and torch each bring their own CUDA runtime; a row records its library's one.
    cuda_runtime_cupy: str
    cuda_runtime_torch: str
    gpu_name: str


def machine_info(threads: int, torch_loaded: bool) -> MachineInfo:
    """The facts of this machine now, with ``threads`` as the run's thread count; torch is asked if loaded."""
    torch_threads, cudnn, gpu, runtime_torch, runtime_cupy, driver = None, "", gpu_name() or "", "", "", ""
    if torch_loaded:
        import torch

        torch_threads = torch.get_num_threads()
        if torch.cuda.is_available():
            cudnn = str(torch.backends.cudnn.version() or "")
            gpu = gpu or torch.cuda.get_device_name(0)
            runtime_torch = f"{torch.version.cuda} (torch)"
            driver = driver_version(torch_driver=True)
    if gpu_available():
        import cupy

        runtime_cupy = f"{cuda_version(cupy.cuda.runtime.runtimeGetVersion())} (CuPy)"
        driver = driver_version()
    return MachineInfo(
        cpu_name=cpu_name(), cpu_cores=cpu_cores(), threads=int(threads), blas_threads=blas_threads(),
        torch_threads=torch_threads, omp_num_threads=os.environ.get("OMP_NUM_THREADS", ""),
        openblas_num_threads=os.environ.get("OPENBLAS_NUM_THREADS", ""),
        mkl_num_threads=os.environ.get("MKL_NUM_THREADS", ""), numpy_version=np.__version__,
        cupy_version=cupy_version(), torch_version=package_version("torch"), cuda_driver=driver,
        cuda_runtime_cupy=runtime_cupy, cuda_runtime_torch=runtime_torch, cudnn_version=cudnn,
        python_version=platform.python_version(),
        load_avg_1min=round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), gpu_name=gpu,
    )
