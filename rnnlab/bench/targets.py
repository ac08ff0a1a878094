"""The targets, judged from the recorded CSVs: the proposal's graded targets and the course's performance checks.

Every verdict is computed from measured rows ("met", "not met"); a figure that no CSV holds is "not
measured", never estimated. Each figure says which kind of parallelism produced it and where it was measured.
"""
from __future__ import annotations

import textwrap

import pandas as pd

from .flops import lstm_flops
from .presets import CPU_TARGET, GPU_TARGET
from .results import LABELS, ORDER, airline_shape, epoch_scaling, has_gpu, median_of, peak_gflops

MET, NOT_MET, NOT_MEASURED = "met", "not met", "not measured"

#: The proposal's graded targets: (grade, the proposal's words, what is measured, threshold).
GRADED_TARGETS = (
    ("75%", "faster than the sequential version", "speedup", 1.0),
    ("100%", "5x faster", "speedup", 5.0),
    ("125%", "10x faster", "speedup", 10.0),
    ("150%", "training time grows more slowly than the data", "slope", 1.0),
)
#: The parallel implementation judged on each device: the course's batched LSTM on the CPU, its fused
#: kernels on the GPU.
JUDGED = {"cpu": "numpy", "gpu": "cupy_fused"}
GRADED_COLUMNS = ["grade", "device", "target", "required", "measured", "verdict", "parallelism", "machine"]


def verdict(value, ok: bool) -> str:
    """'not measured' when ``value`` is None, else 'met' or 'not met' as ``ok`` says."""
    if value is None:
        return NOT_MEASURED
    return MET if ok else NOT_MET


def parallelism(df: pd.DataFrame, implementation: str) -> str:
    """Which kind of parallelism produced an implementation's rows in one CSV (one run).

    A GPU; or, on the CPU, vectorisation over the batch, on one thread or with BLAS threads; none for the
    sequential LSTM, which takes one sample and one step at a time.
    """
    rows = df[df["implementation"] == implementation]
    if not len(rows):
        raise ValueError(f"implementation {implementation!r} has no rows in this CSV; it has "
                         f"{sorted(df['implementation'].unique())}")
    if implementation == "sequential":
        return "none (one sample, one step at a time)"
    if (rows["device"] == "gpu").any():
        return "a GPU"
    threads = int(rows["threads"].max())
    if threads == 1:
        return "vectorisation over the batch, one thread"
    return f"vectorisation over the batch + {threads} BLAS threads"


def machine(name: str, df: pd.DataFrame, device: str) -> str:
    """The machine of a CSV as a short text: the GPU's name, or the CPU's name, cores and threads."""
    rows = df[df["device"] == device]
    r = rows.iloc[0] if len(rows) else df.iloc[0]
    if device == "gpu":
        return f"{name}: {r['device_name']}"
    return f"{name}: {r['cpu_name']}, {int(r['cpu_cores'])} cores, {int(r['threads'])} thread(s)"


def caption(name: str, df: pd.DataFrame, width: int = 100) -> str:
    """Where a CSV's figures were measured and which kind of parallelism produced each curve (wrapped text)."""
    kinds: dict = {}
    for impl in ORDER:
        if (df["implementation"] == impl).any():
            kinds.setdefault(parallelism(df, impl), []).append(LABELS[impl])
    where = machine(name, df, "cpu").split(": ", 1)[1]
    if has_gpu(df):
        where += ", " + machine(name, df, "gpu").split(": ", 1)[1]
    parts = [f"{' and '.join(labels)}: {kind}" for kind, labels in kinds.items()]
    if not has_gpu(df):
        parts.append("GPU: not measured")
    return textwrap.fill(f"{name} ({where}). " + "; ".join(parts), width, subsequent_indent="  ")


def _required(what: str, threshold: float) -> str:
    if what == "slope":
        return f"slope < {threshold:g}"
    return f"> {threshold:g}x" if threshold == 1 else f">= {threshold:g}x"


def _speedup(df: pd.DataFrame, impl: str):
    shape = airline_shape(df)
    if "B" not in shape:
        return None
    seq, par = median_of(df, "sequential", **shape), median_of(df, impl, **shape)
    return None if seq is None or par is None else seq / par


def _slope(df: pd.DataFrame, impl: str, batching: str):
    table = epoch_scaling(df)
    rows = table[(table["implementation"] == impl) & (table["batching"] == batching)]
    return (float(rows["slope"].iloc[0]), int(rows["points"].iloc[0])) if len(rows) else (None, 0)


def weak_scaling_row(name: str, rec: pd.DataFrame, workers: int = 16) -> dict:
    """The 150% target read as weak scaling (notebook 13): several workers, each with its own share of data.

    The scaling model fitted to a recorded data-parallel CSV (``rnnlab.bench.data_parallel``, W = 1 and 2 ranks
    measured) gives the epoch time with ``workers`` times the data on as many workers; met when its log-log
    slope against the data size is below 1.
    """
    from .data_parallel import SHAPES, weak_scaling_at

    point = weak_scaling_at(rec, workers)
    T, B, D, H = SHAPES[point["shape"]]
    return {"grade": "150%", "device": "CPU", "target": GRADED_TARGETS[3][1], "required": "slope < 1",
            "measured": f"slope {point['slope']:.2f} (model: x{point['ratio']:.2f} time for x{workers} data)",
            "verdict": verdict(point["slope"], point["slope"] < 1),
            "parallelism": f"several workers (torch.distributed, gloo; {B} samples per worker, T={T}, D=H={H}): "
                           f"W = 1, 2 measured, W = {workers} modelled",
            "machine": f"{name} (notebook 13)"}


def graded_targets(results: dict, batching: str = "full batch", data_parallel: dict | None = None) -> pd.DataFrame:
    """The proposal's graded targets, one row per target and per (CSV, device) that measured them.

    Speed-up targets: the sequential LSTM's time over the parallel one's (``JUDGED``) for the airline
    training step, in one CSV. The 150% target: the log-log slope of epoch time against the number of
    windows on one worker (``batching`` "full batch" or "minibatch B"), met when below 1, and for each
    data-parallel CSV in ``data_parallel`` ({name: DataFrame}) its weak-scaling row (:func:`weak_scaling_row`).
    Without any GPU CSV the GPU rows say "not measured".
    """
    rows = []
    measured_devices = set()
    for name, df in results.items():
        for device, impl in JUDGED.items():
            if not (df["implementation"] == impl).any():
                continue
            measured_devices.add(device)
            kind, where = parallelism(df, impl), machine(name, df, device)
            speedup = _speedup(df, impl)
            slope, points = _slope(df, impl, batching)
            for grade, target, what, threshold in GRADED_TARGETS:
                if what == "speedup":
                    value = speedup
                    ok = value is not None and (value > threshold if threshold == 1 else value >= threshold)
                    text = None if value is None else f"{value:.1f}x (airline step)"
                else:
                    value = slope
                    ok = value is not None and value < threshold
                    text = None if value is None else f"slope {value:.2f} ({batching}, {points} sizes)"
                rows.append({"grade": grade, "device": device.upper(), "target": target,
                             "required": _required(what, threshold),
                             "measured": text or "-",
                             "verdict": verdict(value, ok), "parallelism": kind, "machine": where})
    for name, rec in (data_parallel or {}).items():
        rows.append(weak_scaling_row(name, rec))
    if "gpu" not in measured_devices:
        for grade, target, what, threshold in GRADED_TARGETS:
            rows.append({"grade": grade, "device": "GPU", "target": target, "required": _required(what, threshold),
                         "measured": "no GPU CSV recorded", "verdict": NOT_MEASURED, "parallelism": "a GPU",
                         "machine": "-"})
    return pd.DataFrame(rows, columns=GRADED_COLUMNS)


NOT_MEASURED_GPU = "not measured: no GPU CSV recorded yet"


def _within_torch(df: pd.DataFrame, name: str, shape: dict, where: str, limit: float, threads: str) -> dict:
    """The check "batched NumPy's training step within ``limit`` times torch.nn.LSTM's" at one shape."""
    t, tt = median_of(df, "numpy", **shape), median_of(df, "torch_cpu", **shape)
    v = None if t is None or tt is None else t / tt
    return {"check": f"CPU: batched NumPy within {limit:g}x of torch.nn.LSTM, {where}", "csv": name,
            "measured": None if v is None else f"{v:.2f}x torch's time ({threads} thread(s))",
            "required": f"<= {limit:g}x", "result": verdict(v, v is not None and v <= limit)}


def targets_table(results: dict) -> pd.DataFrame:
    """The course's performance checks of its own code, beyond the proposal: against the peak and the libraries.

    One row per check and CSV. GPU checks read only CSVs with GPU rows; with none recorded they say so
    and give no number.
    """
    rows = []
    cpu_shape, gpu_shape = dict(CPU_TARGET), dict(GPU_TARGET)
    shape_txt = "B={B}, D=H={H}, T={T}"
    for name, df in results.items():
        threads = ",".join(str(t) for t in sorted(df["threads"].dropna().unique()))
        peak = peak_gflops(df, "cpu")
        t = median_of(df, "numpy", **cpu_shape)
        v = None
        if peak and t:
            v = lstm_flops(*(cpu_shape[k] for k in "TBDH"), "train_step") / (t * 1e-3) / 1e9 / peak
        rows.append({"check": f"CPU: batched NumPy >= 50% of measured sgemm peak, {shape_txt.format(**cpu_shape)}",
                     "csv": name, "measured": None if v is None else f"{100 * v:.0f}% of {peak:.0f} GFLOP/s",
                     "required": ">= 50%", "result": verdict(v, v is not None and v >= 0.5)})
        air = airline_shape(df)
        rows.append(_within_torch(df, name, air, "the airline step, B={B}, D={D}, H={H}, T={T}".format(**air), 1.2,
                                  threads))
        rows.append(_within_torch(df, name, cpu_shape, shape_txt.format(**cpu_shape), 1.5, threads))
    gpu_results = {n: df for n, df in results.items() if has_gpu(df)}
    g1 = f"GPU: lstm_fused within 2x of cuDNN, {shape_txt.format(**cpu_shape)}, TF32 off"
    g2 = f"GPU: lstm_fused >= 30x batched NumPy (same machine), {shape_txt.format(**gpu_shape)}"
    if not gpu_results:
        for check, req in ((g1, "<= 2x"), (g2, ">= 30x")):
            rows.append({"check": check, "csv": "-", "measured": None, "required": req, "result": NOT_MEASURED_GPU})
    for name, df in gpu_results.items():
        f, c = median_of(df, "cupy_fused", **cpu_shape), median_of(df, "torch_gpu", **cpu_shape)
        v = None if f is None or c is None else f / c
        rows.append({"check": g1, "csv": name, "measured": None if v is None else f"{v:.2f}x cuDNN's time",
                     "required": "<= 2x", "result": verdict(v, v is not None and v <= 2)})
        f, n = median_of(df, "cupy_fused", **gpu_shape), median_of(df, "numpy", **gpu_shape)
        v = None if f is None or n is None else n / f
        rows.append({"check": g2, "csv": name, "measured": None if v is None else f"{v:.1f}x",
                     "required": ">= 30x", "result": verdict(v, v is not None and v >= 30)})
    return pd.DataFrame(rows, columns=["check", "csv", "measured", "required", "result"])
