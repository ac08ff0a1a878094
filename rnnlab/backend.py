"""Which array module (NumPy or CuPy) a computation runs on, and moving data between them."""
from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass

import numpy as np


def _is_cupy_array(a) -> bool:
    return type(a).__module__.split(".")[0] == "cupy"


def get_xp(*arrays):
    """Return the array module of the inputs: ``cupy`` if any is a CuPy array, else ``numpy``.

    Mixing a CuPy array with NumPy arrays is allowed here; the arithmetic that
    follows will say so if the mix is not supported.
    """
    for a in arrays:
        if _is_cupy_array(a):
            import cupy

            return cupy
    return np


@dataclass(frozen=True)
class GpuProbe:
    """What :func:`probe_gpu` found: ``usable`` with the device's name, or the reason it is not."""

    usable: bool
    reason: str  # why the GPU is not usable; "" when it is
    device: str | None = None  # the CUDA device 0's name when it is usable


_PROBE: GpuProbe | None = None  # the first probe's answer, kept for the whole process


def _probe_matmul(cupy) -> None:
    """A small matrix product through cuBLAS, synchronised and checked against NumPy (exact: small integers)."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    got = (cupy.asarray(a) @ cupy.asarray(a.T)).get()  # .get() synchronises the device
    if not np.array_equal(got, a @ a.T):
        raise RuntimeError(f"a 3x4 @ 4x3 product on the GPU gave {got.tolist()}, not {(a @ a.T).tolist()}")


def _probe_kernel(cupy) -> None:
    """One launch of the course's own fused forward kernel (compiled by NVRTC), checked on the host."""
    from .parallel import lstm_fused

    kernel = lstm_fused._cuda_kernels()["lstm_forward_step"]
    ins = [cupy.full((2, 3), 0.5 * (k - 4), dtype=cupy.float32) for k in range(9)]
    outs = [cupy.empty((2, 3), dtype=cupy.float32) for _ in range(7)]
    kernel(*ins, *outs)
    cupy.cuda.Device().synchronize()
    h = float(outs[-1][0, 0].get())
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731 - the same gate formula, on the host
    xa, ha, c_prev = [0.5 * (k - 4) for k in range(4)], [0.5 * k for k in range(4)], 0.5 * 4
    i, f, g, o = sig(xa[0] + ha[0]), sig(xa[1] + ha[1]), np.tanh(xa[2] + ha[2]), sig(xa[3] + ha[3])
    expected = o * np.tanh(f * c_prev + i * g)
    if not abs(h - expected) <= 1e-5:
        raise RuntimeError(f"the LSTM forward kernel gave h = {h!r}, expected {expected!r}")


def probe_gpu(refresh: bool = False) -> GpuProbe:
    """Try the GPU once for real and keep the answer: CuPy, its CUDA libraries, a device, real work.

    The steps, each with its own reason when it fails: CuPy imports; cuBLAS and NVRTC load (they do
    even without a GPU, so a CUDA-version mismatch shows first); a CUDA device exists; a small matrix
    product and one launch of the course's LSTM kernel run, synchronise, and give the right numbers.
    ``cupy.is_available()`` alone only counts devices, so a GPU whose libraries cannot load looked usable.
    The answer is cached for the process; ``refresh=True`` probes again.
    """
    global _PROBE
    if _PROBE is not None and not refresh:
        return _PROBE
    _PROBE = _run_probe()
    return _PROBE


def _fail(what: str, e: BaseException) -> GpuProbe:
    return GpuProbe(False, f"{what}: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}")


def _run_probe() -> GpuProbe:
    try:
        import cupy
    except ModuleNotFoundError as e:
        return _fail("CuPy missing", e)
    except Exception as e:  # an installed but broken CuPy (two CuPy wheels, a wrong numpy, ...)
        return _fail("CuPy failed to import", e)
    try:
        # CuPy 14 finds pip-installed CUDA libraries (cuda-pathfinder) when this package hands the binding
        # out; a bare `import cupy_backends.cuda.libs.cublas` skips that hook.
        from cupy_backends.cuda.libs import cublas  # noqa: F401 - loads libcublas
    except Exception as e:
        return _fail("cuBLAS failed to load", e)
    try:
        from cupy.cuda import nvrtc

        nvrtc.getVersion()
    except Exception as e:
        return _fail("NVRTC failed to load", e)
    if sys.platform.startswith("linux"):
        try:  # without the driver's library CUDA only says "driver version is insufficient"
            ctypes.CDLL("libcuda.so.1")
        except OSError:
            return GpuProbe(False, "no CUDA device or driver: the NVIDIA driver's libcuda.so.1 is not installed")
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return _fail("no CUDA device or driver", e)
    if n_devices < 1:
        return GpuProbe(False, "no CUDA device: the CUDA runtime counts 0 devices")
    try:
        _probe_matmul(cupy)
    except Exception as e:
        return _fail("a small matrix product on the GPU failed", e)
    try:
        _probe_kernel(cupy)
    except Exception as e:
        return _fail("the course's LSTM kernel failed to compile or run", e)
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    return GpuProbe(True, "", name.decode() if isinstance(name, bytes) else str(name))


def gpu_available() -> bool:
    """True only when a real probe (:func:`probe_gpu`) has run work on a CUDA GPU; cached."""
    return probe_gpu().usable


def gpu_status() -> str:
    """One line for people: the usable GPU's name, or why there is none (for a notebook's fallback message)."""
    probe = probe_gpu()
    return f"usable: {probe.device}" if probe.usable else probe.reason


def gpu_count() -> int:
    """Number of usable CUDA devices (0 without a usable GPU)."""
    if not gpu_available():
        return 0
    import cupy

    return int(cupy.cuda.runtime.getDeviceCount())


def gpu_name() -> str | None:
    """Name of CUDA device 0, or None without a usable GPU."""
    if not gpu_available():
        return None
    return probe_gpu().device


def to_numpy(a):
    """A NumPy array with the values of ``a`` (copied from the GPU when ``a`` is a CuPy array)."""
    if _is_cupy_array(a):
        return a.get()
    return np.asarray(a)


def to_gpu(a):
    """A CuPy array with the values of ``a``; raises RuntimeError without a usable GPU."""
    require_gpu("to_gpu")
    import cupy

    return cupy.asarray(a)


def require_gpu(what: str = "this function") -> None:
    """Raise a RuntimeError that says how to get a GPU when none is usable."""
    if not gpu_available():
        raise RuntimeError(
            f"{what} needs a CUDA GPU, and no usable CUDA GPU was found ({gpu_status()}). "
            "In Colab: Runtime > Change runtime type > GPU, then run the notebook again. "
            "Elsewhere: on a machine with an NVIDIA GPU and driver, `make gpu-check` says what is missing "
            "(the README lists which CuPy goes with which CUDA)."
        )


def tree_to_numpy(tree: dict) -> dict:
    """Copy a dict of arrays (a params or grads dict) to host NumPy arrays."""
    return {k: to_numpy(v) for k, v in tree.items()}


def tree_to_gpu(tree: dict) -> dict:
    """Copy a dict of arrays (a params or grads dict) to the GPU as CuPy arrays."""
    return {k: to_gpu(v) for k, v in tree.items()}


def resolve_device(device: str) -> str:
    """Turn a device choice "cpu", "gpu" or "auto" into "cpu" or "gpu".

    "gpu" without a usable GPU raises the RuntimeError of :func:`require_gpu`.
    """
    if device not in ("cpu", "gpu", "auto"):
        raise ValueError(f"device must be 'cpu', 'gpu' or 'auto'; got {device!r}")
    if device == "auto":
        return "gpu" if gpu_available() else "cpu"
    if device == "gpu":
        require_gpu("device='gpu'")
    return device


def tree_to_device(tree: dict, device: str) -> dict:
    """Copy a dict of arrays to ``device`` ("cpu" or "gpu")."""
    return tree_to_gpu(tree) if resolve_device(device) == "gpu" else tree_to_numpy(tree)
