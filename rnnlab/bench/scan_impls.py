"""The scan implementations the harness times (work "scan", the ``scan`` preset of notebook 12).

Each computes all T states of h_t = a_t h_{t-1} + b_t with :func:`rnnlab.scan_linear_recurrence` and one
``method``, on NumPy or (``*_cupy``) on CuPy arrays. The inputs come from the harness's (X, dY) minibatch:
b is dY (T, B, H) and a is seeded uniform in [0, 1), the range of a forget gate.
"""
from __future__ import annotations

import numpy as np

from ..backend import gpu_available, gpu_status
from .implementations import Implementation, register
from .timers import time_cpu, time_cupy


class Scan(Implementation):
    """All states of a linear recurrence by ``rnnlab.scan_linear_recurrence(a, b, method=...)``."""

    suite = "scan"
    method = ""

    def why_unavailable(self):
        if self.device == "gpu" and not gpu_available():
            return f"no usable CUDA GPU here ({gpu_status()})"
        return None

    def prepare(self, params, batches, forward_only):
        from ..parallel.scan import scan_linear_recurrence

        _, b = batches[0]
        a = np.random.default_rng(1).uniform(0, 1, b.shape).astype(b.dtype)
        if self.device == "gpu":
            import cupy

            a, b = cupy.asarray(a), cupy.asarray(b)
        return scan_linear_recurrence, a, b

    def run(self, prepared):
        scan, a, b = prepared
        scan(a, b, method=self.method)

    @property
    def timer(self):
        return time_cupy if self.device == "gpu" else time_cpu


def _scan_class(method: str, device: str, doc: str):
    suffix = "_cupy" if device == "gpu" else ""
    lib = "CuPy" if device == "gpu" else "NumPy"
    attrs = {"name": f"scan_{method}{suffix}", "label": f"{method.replace('_', '-')} scan ({lib})",
             "device": device, "method": method, "__doc__": f"{lib}: {doc}"}
    return register(type(f"Scan_{method}{suffix}", (Scan,), attrs))


_DOCS = {
    "loop": "the recurrence's loop, one multiply-add on (B, H) per step (depth T)",
    "hillis_steele": "Hillis-Steele scan, log2 T passes over the whole array (work T log T)",
    "blelloch": "Blelloch's work-efficient scan, odd-even form (depth 2 log2 T, work about 2T)",
    "chunked": "scan over sqrt(T) chunks: loop inside all chunks at once, loop over the chunks, fix-up",
}
for _device in ("cpu", "gpu"):
    for _method, _doc in _DOCS.items():
        _scan_class(_method, _device, _doc)
