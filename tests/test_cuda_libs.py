"""The CUDA libraries CuPy needs load, and agree with torch's, on any machine (no GPU needed).

torch 2.11 from PyPI brings the CUDA 13 libraries (nvidia-cublas, -curand, -cuda-nvrtc, ... in
site-packages/nvidia/cu13); the CuPy wheel must be built for the same CUDA major, or every CuPy matrix
product fails on a GPU machine with "libcublas.so.12: cannot open shared object file" while
cupy.is_available() still says True. Loading a library needs no GPU, so this is checked here, in CI.

CuPy 14 finds pip-installed CUDA libraries with cuda-pathfinder, in the hook that runs when
``cupy_backends.cuda.libs`` hands out a submodule (``from cupy_backends.cuda.libs import cublas`` or
``cupy.cuda.cublas``): the tests load them that way, as CuPy's own code does.
"""
import ctypes
import importlib.metadata
import re

import pytest

cupy = pytest.importorskip("cupy", reason="CuPy is in requirements.txt; this environment lacks it")


def _cupy_wheels() -> list[str]:
    names = {d.metadata["Name"].lower() for d in importlib.metadata.distributions()}
    return sorted(n for n in names if n == "cupy" or re.fullmatch(r"cupy-(cuda\d+x|rocm-[\d-]+)", n))


def cuda_major_of_cupy() -> int:
    """The CUDA major version CuPy was built for (its runtime version, known without a GPU)."""
    return int(cupy.cuda.runtime.runtimeGetVersion()) // 1000


def test_one_cupy_wheel_only():
    # Two CuPy wheels (e.g. cupy-cuda12x left behind by an older set-up) overwrite each other's files.
    wheels = _cupy_wheels()
    assert len(wheels) == 1, f"exactly one CuPy wheel must be installed; found {wheels} (pip uninstall the extra)"


def test_cupy_and_torch_use_the_same_cuda_major():
    torch = pytest.importorskip("torch")
    wheel = _cupy_wheels()[0]
    assert torch.version.cuda, f"torch {torch.__version__} is a CPU-only build; requirements.txt pins a CUDA one"
    torch_major = int(torch.version.cuda.split(".")[0])
    assert cuda_major_of_cupy() == torch_major, (
        f"{wheel} is built for CUDA {cuda_major_of_cupy()}, torch {torch.__version__} brings CUDA {torch.version.cuda}: "
        f"install cupy-cuda{torch_major}x (README: which CuPy goes with which CUDA)"
    )


def test_cublas_loads_and_matches_cupy_cuda():
    from cuda import pathfinder
    from cupy_backends.cuda.libs import cublas  # the binding CuPy's matrix products use

    assert cublas.__name__.endswith("cublas")
    lib = ctypes.CDLL(pathfinder.load_nvidia_dynamic_lib("cublas").abs_path)
    major = ctypes.c_int()
    assert lib.cublasGetProperty(0, ctypes.byref(major)) == 0  # 0: MAJOR_VERSION; needs no GPU
    assert major.value == cuda_major_of_cupy(), f"cuBLAS {major.value} next to CuPy for CUDA {cuda_major_of_cupy()}"


def test_curand_loads():
    from cupy_backends.cuda.libs import curand

    version = curand.getVersion()  # e.g. 10400 for cuRAND 10.4 (CUDA 13.0); needs no GPU
    assert version >= 10000


def test_nvrtc_loads_and_matches_cupy_cuda():
    from cupy.cuda import nvrtc

    assert nvrtc.getVersion()[0] == cuda_major_of_cupy()


def test_gpu_probe_gets_past_the_libraries():
    # The probe loads cuBLAS and NVRTC before it looks for a device: on a CPU-only machine its reason
    # must be the missing device (or driver), never a library that failed to load.
    from rnnlab import backend

    probe = backend.probe_gpu(refresh=True)
    if probe.usable:
        pytest.skip(f"a GPU is usable here ({probe.device}): nothing to check about the reason")
    assert probe.reason.startswith("no CUDA device"), probe.reason  # "no CUDA device or driver: ..."
