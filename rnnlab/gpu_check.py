"""The steps of ``make gpu-check`` that are Python: what the machine has, and compute-sanitizer runs.

``python -m rnnlab.gpu_check probe``: prints the GPU, CuPy and its CUDA, NVRTC, torch and its CUDA, the
driver, and the probe of :func:`rnnlab.backend.probe_gpu`; exits with status 1 and the probe's reason
when the GPU is not usable, so that ``make gpu-check`` stops at once on a machine without one.

``python -m rnnlab.gpu_check sanitize``: runs ``compute-sanitizer`` (memcheck, then initcheck) on a small
forward and backward of ``rnnlab.parallel.lstm_fused`` in both dtypes, when compute-sanitizer is installed (it comes
with the CUDA toolkit, not with the pip wheels); says so and does nothing when it is not.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from . import backend
from .bench.machine import cuda_version, driver_version

SANITIZER_TOOLS = ("memcheck", "initcheck")

#: The small problem the sanitizer watches: every kernel of lstm_fused and the direct port runs once at least.
SANITIZED_RUN = """
import numpy as np
from rnnlab import backend, lstm, lstm_fused
for dtype in (np.float32, np.float64):
    rng = np.random.default_rng(0)
    params = backend.tree_to_gpu(lstm.init_params(3, 33, seed=0, dtype=dtype))
    X = backend.to_gpu(rng.standard_normal((5, 4, 3)).astype(dtype))
    for layer in (lstm_fused, lstm):
        Y, state, cache = layer.forward(params, X)
        layer.backward(Y, cache, state)
import cupy
cupy.cuda.Device().synchronize()
print("sanitized run done")
"""


def report() -> list[str]:
    """Lines that say what this machine has, from the probe and the libraries (no line is guessed)."""
    probe = backend.probe_gpu()
    lines = [f"probe        {'usable: ' + probe.device if probe.usable else 'NOT usable: ' + probe.reason}"]
    try:
        import cupy

        lines.append(f"CuPy         {cupy.__version__}, built for CUDA {cuda_version(cupy.cuda.runtime.runtimeGetVersion())}")
        from cupy.cuda import nvrtc

        lines.append("NVRTC        {}.{}".format(*nvrtc.getVersion()))
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        lines.append(f"CuPy         not usable: {type(e).__name__}: {e}")
    try:
        import torch

        lines.append(f"torch        {torch.__version__}, CUDA {torch.version.cuda}, "
                     f"torch.cuda.is_available() = {torch.cuda.is_available()}")
    except Exception as e:  # noqa: BLE001
        lines.append(f"torch        not usable: {type(e).__name__}: {e}")
    if probe.usable:
        import cupy

        dev = cupy.cuda.Device()
        props = cupy.cuda.runtime.getDeviceProperties(dev.id)
        cc = dev.compute_capability
        lines.append(f"GPU          {probe.device}, compute capability {cc[:-1]}.{cc[-1]}, "
                     f"{props['totalGlobalMem'] / 2**30:.1f} GiB, {backend.gpu_count()} device(s)")
        lines.append(f"driver       {driver_version() or 'unknown'}")
    return lines


def find_sanitizer() -> str | None:
    """compute-sanitizer on PATH or in the CUDA toolkit ($CUDA_HOME, $CUDA_PATH, /usr/local/cuda), or None."""
    found = shutil.which("compute-sanitizer")
    if found:
        return found
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if root:
            path = os.path.join(root, "bin", "compute-sanitizer")
            if os.access(path, os.X_OK):
                return path
    return None


def sanitize() -> int:
    """memcheck and initcheck over SANITIZED_RUN; the first non-zero exit status, else 0."""
    backend.require_gpu("compute-sanitizer's run")
    sanitizer = find_sanitizer()
    if sanitizer is None:
        print("compute-sanitizer not installed (it comes with the CUDA toolkit): memcheck and initcheck skipped")
        return 0
    for tool in SANITIZER_TOOLS:
        cmd = [sanitizer, "--tool", tool, "--error-exitcode", "1", sys.executable, "-c", SANITIZED_RUN]
        print(f"$ compute-sanitizer --tool {tool} ... (lstm_fused and the direct port, float32 and float64)", flush=True)
        done = subprocess.run(cmd)
        if done.returncode != 0:
            print(f"compute-sanitizer {tool} failed with exit status {done.returncode}", file=sys.stderr)
            return done.returncode
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnlab.gpu_check", description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("probe", "sanitize"))
    args = parser.parse_args(argv)
    if args.step == "probe":
        for line in report():
            print(line)
        probe = backend.probe_gpu()
        if not probe.usable:
            print(f"gpu-check stops here: no usable CUDA GPU ({probe.reason})", file=sys.stderr)
            return 1
        return 0
    return sanitize()


if __name__ == "__main__":
    sys.exit(main())
