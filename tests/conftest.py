"""Shared test set-up: the `gpu` marker skips, with its reason, where no usable CUDA GPU is present."""
import pytest

from rnnlab.backend import gpu_available

NO_GPU_REASON = "no usable CUDA GPU here (cupy.is_available() is False); run on a GPU machine to check"


def pytest_collection_modifyitems(config, items):
    if gpu_available():
        return
    skip = pytest.mark.skip(reason=NO_GPU_REASON)
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
