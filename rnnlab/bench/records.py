"""One measurement as a typed record (:class:`ResultRow`), the CSV it is written to, and a text summary.

The CSV's columns are the record's fields in order (``CSV_FIELDS``); a missing value (None) is written
as an empty cell, which pandas reads back as NaN.
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from .machine import MachineColumns, MachineInfo, machine_name
from .timers import Timing


@dataclass(frozen=True)
class Measurement:
    """What was timed, on which device and how, and its statistics (ms): a row's first columns."""

    implementation: str
    work: str
    sweep: str  # the sweeps it belongs to, ";"-separated
    T: int
    B: int
    D: int
    H: int
    n_windows: int | None  # windows of an epoch; None for other work
    dtype: str
    n_repeat: int
    n_warmup: int
    median_ms: float
    iqr_ms: float
    min_ms: float
    max_ms: float
    flops: int
    gflops: float | None
    device: str
    device_name: str
    timer: str
    tf32: str
    cuda_runtime: str  # the CUDA runtime of the library that ran a GPU row (CuPy's or torch's); "" on the CPU
    cuda_driver: str
    preset: str


@dataclass(frozen=True)
class ResultRow(MachineColumns, Measurement):
    """One measurement: the :class:`Measurement`'s columns, then the :class:`MachineColumns` of the machine
    and software it ran on (a dataclass takes the fields of its last base first)."""

    @classmethod
    def measured(cls, *, implementation: str, work: str, sweeps, shape: tuple, n_windows: int, dtype,
                 timing: Timing, flops: int, device: str, machine: MachineInfo, tf32: str, preset: str,
                 cuda_library: str = "", timer: str | None = None, gflops_from_best: bool = False) -> ResultRow:
        """A row from a timing. shape: (T, B, D, H). cuda_library: "cupy" or "torch", whose CUDA runtime ran
        a GPU row. GFLOP/s come from the median unless ``gflops_from_best`` (a peak: the fastest call)."""
        T, B, D, H = (int(v) for v in shape)
        seconds = (timing.min_ms if gflops_from_best else timing.median_ms) * 1e-3
        on_gpu = device == "gpu"
        if on_gpu and cuda_library not in ("cupy", "torch"):
            raise ValueError(f"a GPU row needs cuda_library 'cupy' or 'torch'; got {cuda_library!r}")
        return cls(
            implementation=implementation, work=work, sweep=";".join(sweeps), T=T, B=B, D=D, H=H,
            n_windows=int(n_windows) or None, dtype=np.dtype(dtype).name, n_repeat=len(timing.times_ms),
            n_warmup=timing.n_warmup, median_ms=round(timing.median_ms, 6), iqr_ms=round(timing.iqr_ms, 6),
            min_ms=round(timing.min_ms, 6), max_ms=round(timing.max_ms, 6), flops=int(flops),
            gflops=float(f"{flops / seconds / 1e9:.6g}") if seconds > 0 else None, device=device,
            device_name=machine.gpu_name if on_gpu else machine.cpu_name, timer=timer or timing.timer, tf32=tf32,
            cuda_runtime=(machine.cuda_runtime_torch if cuda_library == "torch" else machine.cuda_runtime_cupy)
            if on_gpu else "",
            cuda_driver=machine.cuda_driver if on_gpu else "", preset=preset, **machine.columns(),
        )

    def as_dict(self) -> dict:
        return asdict(self)


CSV_FIELDS = [f.name for f in fields(ResultRow)]


def write_csv(rows: list[ResultRow], path, append: bool = False) -> Path:
    """Write the rows with the columns of ``CSV_FIELDS``; the file is replaced unless ``append``.

    Appending needs the existing file to have the same header (a run split in two calls, one file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exists = append and path.exists() and path.stat().st_size > 0
    if exists:
        with path.open(newline="") as f:
            header = next(csv.reader(f), [])
        if header != CSV_FIELDS:
            raise ValueError(f"cannot append to {path}: its columns {header} differ from CSV_FIELDS")
    with path.open("a" if exists else "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        if not exists:
            w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.as_dict().items()})
    return path


def default_out(gpu: str | None = None, preset: str | None = None) -> Path:
    """data/benchmarks/<machine>.csv in the repository (or $RNNLAB_DATA_DIR/benchmarks); ``gpu``: its name.

    The scan preset's rows go to data/benchmarks/scans/<machine>.csv (notebook 12 reads them; notebook 11
    reads the LSTM CSVs directly in data/benchmarks).
    """
    from ..data import data_dir

    folder = data_dir() / "benchmarks" / ("scans" if preset == "scan" else "")
    return folder / f"{machine_name(gpu)}.csv"


def summary(rows: list[ResultRow]) -> str:
    """A short text table of the rows: implementation, work, shape, median and GFLOP/s."""
    lines = [f"{'implementation':<12} {'work':<10} {'T':>4} {'B':>5} {'D':>5} {'H':>5} {'N':>5} "
             f"{'median ms':>11} {'IQR ms':>9} {'GFLOP/s':>9}"]
    for r in rows:
        gflops = "" if r.gflops is None else f"{r.gflops:.2f}"
        lines.append(f"{r.implementation:<12} {r.work:<10} {r.T:>4} {r.B:>5} {r.D:>5} {r.H:>5} "
                     f"{r.n_windows or '':>5} {r.median_ms:>11.3f} {r.iqr_ms:>9.3f} {gflops:>9}")
    return "\n".join(lines)
