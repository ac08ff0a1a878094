"""`make gpu-check`'s Python steps (rnnlab.gpu_check): on a machine without a GPU it stops at once, with the reason."""
import os
import subprocess
import sys

import pytest

from rnnlab import backend, gpu_check


def test_probe_step_stops_with_the_reason_without_a_gpu():
    if backend.gpu_available():
        pytest.skip(f"a GPU is usable here ({backend.gpu_name()}): the probe step passes")
    done = subprocess.run([sys.executable, "-m", "rnnlab.gpu_check", "probe"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1
    assert f"gpu-check stops here: no usable CUDA GPU ({backend.gpu_status()})" in done.stderr
    assert done.stdout.startswith(f"probe        NOT usable: {backend.gpu_status()}")
    assert "CuPy         " in done.stdout and "torch        " in done.stdout


def test_sanitize_step_needs_a_gpu(monkeypatch):
    monkeypatch.setattr(backend, "gpu_available", lambda: False)
    with pytest.raises(RuntimeError, match="compute-sanitizer's run needs a CUDA GPU"):
        gpu_check.sanitize()


def test_sanitizer_is_found_on_path_or_in_cuda_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for var in ("CUDA_HOME", "CUDA_PATH"):
        monkeypatch.delenv(var, raising=False)
    if os.access("/usr/local/cuda/bin/compute-sanitizer", os.X_OK):
        pytest.skip("/usr/local/cuda has compute-sanitizer: 'not found' cannot be shown here")
    assert gpu_check.find_sanitizer() is None
    tool = tmp_path / "cuda" / "bin" / "compute-sanitizer"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("CUDA_HOME", str(tmp_path / "cuda"))
    assert gpu_check.find_sanitizer() == str(tool)
    monkeypatch.delenv("CUDA_HOME")
    monkeypatch.setenv("PATH", str(tool.parent))
    assert gpu_check.find_sanitizer() == str(tool)


def test_makefile_gpu_check_runs_the_probe_first_and_requires_the_gpu():
    makefile = open(os.path.join(os.path.dirname(__file__), "..", "Makefile")).read()
    recipe = makefile.split("\ngpu-check: setup\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert recipe[0].strip() == "$(PY) -m rnnlab.gpu_check probe"
    assert any("REQUIRE_GPU=1" in line and "-m gpu" in line for line in recipe)
    assert any("rnnlab.bench --preset $(GPU_PRESET)" in line for line in recipe)
    assert [line for line in recipe if "make" in line.lower() and "execute" in line] == [
        "\t$(MAKE) execute NB=notebooks/10_cupy_gpu_lstm.ipynb", "\t$(MAKE) execute NB=notebooks/11_speedup.ipynb"]
