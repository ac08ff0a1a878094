"""Which array module (NumPy or CuPy) a computation runs on, and moving data between them."""
from __future__ import annotations

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


def gpu_available() -> bool:
    """True when CuPy imports and sees a usable CUDA device (``cupy.is_available()``)."""
    try:
        import cupy
    except Exception:  # CuPy missing or broken: no GPU for us
        return False
    try:
        return bool(cupy.is_available())
    except Exception:
        return False


def gpu_name() -> str | None:
    """Name of CUDA device 0, or None without a usable GPU."""
    if not gpu_available():
        return None
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


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
            f"{what} needs a CUDA GPU, and no usable CUDA GPU was found "
            "(CuPy is missing or cupy.is_available() is False). "
            "In Colab: Runtime > Change runtime type > GPU, then run the notebook again. "
            "Elsewhere: install cupy-cuda12x on a machine with an NVIDIA GPU and driver."
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
