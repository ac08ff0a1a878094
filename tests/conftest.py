"""Shared test set-up: the `gpu` marker skips, with the probe's reason, where no usable CUDA GPU is present.

``REQUIRE_GPU=1`` (set by ``make gpu-check``) turns that skip into a failure with the same reason, so a
GPU run cannot pass by skipping. Tests marked ``gpu(devices=2)`` need that many GPUs; with fewer they
skip, with the count, even under ``REQUIRE_GPU=1`` (one GPU is what a GPU check promises).
"""
import os

import pytest

from rnnlab.backend import gpu_available, gpu_count, gpu_status


def no_gpu_reason() -> str:
    return f"no usable CUDA GPU here ({gpu_status()}); run on a GPU machine to check"


def gpu_required() -> bool:
    return os.environ.get("REQUIRE_GPU", "") not in ("", "0")


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("gpu")
    if marker is None:
        return
    if not gpu_available():
        if gpu_required():
            pytest.fail(f"REQUIRE_GPU=1: {no_gpu_reason()}", pytrace=False)
        pytest.skip(no_gpu_reason())
    devices = int(marker.kwargs.get("devices", 1))
    if devices > 1 and gpu_count() < devices:
        pytest.skip(f"needs {devices} CUDA GPUs; this machine has {gpu_count()}")
