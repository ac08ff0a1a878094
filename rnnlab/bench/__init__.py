"""The benchmark harness: how fast each LSTM implementation trains on this machine, measured and recorded.

Run it as ``python -m rnnlab.bench --quick`` (``--help`` lists presets, work, method and implementations).
Modules: ``flops`` (the FLOP model), ``machine`` (machine and library facts), ``timers``, ``implementations``
(one registered class each; the scans of notebook 12 in ``scan_impls``), ``presets`` (what to measure),
``records`` (a result row and its CSV), ``run`` (``run_benchmarks``), ``cli``, ``results`` (reading the CSVs
back for notebook 11) and ``scan_results`` (the scan CSVs, for notebook 12). The names below are the ones the
notebooks and ``rnnlab.gpu_check`` use, importable from ``rnnlab.bench``.
"""
from . import scan_results  # noqa: F401 - notebook 12 reads the scan CSVs with it
from .cli import main
from .flops import WORKS, gemm_flops, lstm_flops, scan_flops
from .implementations import IMPLEMENTATIONS, Implementation, availability, default_implementations, register
from .machine import (
    MachineInfo,
    blas_library,
    blas_threads,
    cpu_cores,
    cpu_name,
    cuda_version,
    driver_version,
    machine_info,
    machine_name,
    sanitize,
    set_blas_threads,
)
from .presets import (
    AIRLINE_HIDDEN,
    AIRLINE_HORIZON,
    AIRLINE_WINDOW,
    CPU_TARGET,
    GPU_TARGET,
    PRESET_SIZES,
    PRESETS,
    Config,
    Preset,
    airline_windows,
    build_configs,
)
from .records import CSV_FIELDS, ResultRow, default_out, summary, write_csv
from .run import DTYPES, make_inputs, measure_peak_gemm, run_benchmarks, tf32_state
from .timers import Timer, Timing, time_cpu, time_cupy, time_torch_cuda

__all__ = [
    "AIRLINE_HIDDEN", "AIRLINE_HORIZON", "AIRLINE_WINDOW", "CPU_TARGET", "CSV_FIELDS", "DTYPES", "GPU_TARGET",
    "IMPLEMENTATIONS", "PRESETS", "PRESET_SIZES", "WORKS", "Config", "Implementation", "MachineInfo", "Preset",
    "ResultRow", "Timer", "Timing", "airline_windows", "availability", "blas_library", "blas_threads",
    "build_configs", "cpu_cores", "cpu_name", "cuda_version", "default_implementations", "default_out",
    "driver_version", "gemm_flops", "lstm_flops", "machine_info", "machine_name", "main", "make_inputs",
    "measure_peak_gemm", "register", "run_benchmarks", "sanitize", "scan_flops", "set_blas_threads", "summary",
    "tf32_state",
    "time_cpu", "time_cupy", "time_torch_cuda", "write_csv",
]
