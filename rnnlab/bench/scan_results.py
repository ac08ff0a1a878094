"""Reading the scan preset's CSVs (data/benchmarks/scans/) back: speed-ups over the loop, crossover, targets.

As in :mod:`rnnlab.bench.results`, every figure is computed from recorded rows of one CSV (one run, one
machine) and nothing is estimated: a target without its rows says "not measured".
"""
from __future__ import annotations

import pandas as pd

from .implementations import IMPLEMENTATIONS
from .results import benchmark_dir, load_results, select

#: The CPU target: a scan at least 5x faster than the loop at T=4096, B*H = 8.
CPU_SCAN_TARGET = {"T": 4096, "BH": 8, "speedup": 5.0}
#: The GPU target: a CuPy scan at least 10x faster than the per-step CuPy loop at T=4096, (B, H) = (32, 32).
GPU_SCAN_TARGET = {"T": 4096, "B": 32, "H": 32, "speedup": 10.0}
NOT_MEASURED_GPU_SCAN = "to be measured: no GPU scan CSV recorded yet"


def scan_dir():
    """data/benchmarks/scans of the repository (or of $RNNLAB_DATA_DIR)."""
    return benchmark_dir() / "scans"


def load_scan_results(directory=None) -> dict:
    """{machine name: DataFrame} of the scan CSVs (:func:`rnnlab.bench.results.load_results` on scans/)."""
    return load_results(scan_dir() if directory is None else directory)


def scan_speedups(df: pd.DataFrame, *, sweep=None, dtype="float64") -> pd.DataFrame:
    """Every scan row with its speed-up over the loop on the same device at the same (T, B, H).

    Columns: device, method, implementation, T, B, H, BH (= B*H), median_ms, loop_ms, speedup (loop / scan).
    """
    rows = select(df, work="scan", sweep=sweep, dtype=dtype).copy()
    rows["method"] = rows["implementation"].map(lambda n: getattr(IMPLEMENTATIONS.get(n), "method", n))
    rows["BH"] = rows["B"] * rows["H"]
    loops = rows[rows["method"] == "loop"].set_index(["device", "T", "B", "H"])["median_ms"]
    key = list(zip(rows["device"], rows["T"], rows["B"], rows["H"]))
    rows["loop_ms"] = [loops.get(k) for k in key]
    rows = rows[rows["loop_ms"].notna()]
    rows["speedup"] = rows["loop_ms"] / rows["median_ms"]
    cols = ["device", "method", "implementation", "T", "B", "H", "BH", "median_ms", "loop_ms", "speedup"]
    return rows[cols].sort_values(["device", "method", "T", "BH"]).reset_index(drop=True)


def crossover_bh(df: pd.DataFrame, method: str, *, T: int = 4096, device: str = "cpu",
                 dtype="float64") -> dict | None:
    """Where ``method`` stops beating the loop as B*H grows, at one T: the last B*H where it is faster and
    the first where it is not (None for either side when there is none); None without rows."""
    sp = scan_speedups(df, sweep="scan_width", dtype=dtype)
    sp = sp[(sp["method"] == method) & (sp["device"] == device) & (sp["T"] == T)].sort_values("BH")
    if not len(sp):
        return None
    faster = sp[sp["speedup"] > 1]["BH"]
    slower = sp[sp["speedup"] <= 1]["BH"]
    return {"last_faster_BH": int(faster.max()) if len(faster) else None,
            "first_slower_BH": int(slower.min()) if len(slower) else None}


def scan_targets(results: dict, dtype="float64") -> pd.DataFrame:
    """The course's scan targets checked against every scan CSV: CPU (best NumPy scan) and GPU (best CuPy scan)."""
    rows = []
    c, g = CPU_SCAN_TARGET, GPU_SCAN_TARGET
    cpu_txt = f"CPU: a NumPy scan >= {c['speedup']:.0f}x the loop, T={c['T']}, B*H={c['BH']}"
    gpu_txt = f"GPU: a CuPy scan >= {g['speedup']:.0f}x the per-step CuPy loop, T={g['T']}, (B, H)=({g['B']}, {g['H']})"
    gpu_seen = False
    for name, df in results.items():
        sp = scan_speedups(df, dtype=dtype)
        sp = sp[sp["method"] != "loop"]
        cpu = sp[(sp["device"] == "cpu") & (sp["T"] == c["T"]) & (sp["BH"] == c["BH"])]
        best = cpu.loc[cpu["speedup"].idxmax()] if len(cpu) else None
        rows.append({"target": cpu_txt, "csv": name, "required": f">= {c['speedup']:.0f}x",
                     "measured": None if best is None else f"{best['speedup']:.1f}x ({best['method']})",
                     "result": "not measured in this CSV" if best is None else
                     ("met" if best["speedup"] >= c["speedup"] else "not met")})
        gpu = sp[(sp["device"] == "gpu") & (sp["T"] == g["T"]) & (sp["B"] == g["B"]) & (sp["H"] == g["H"])]
        if len(gpu):
            gpu_seen = True
            best = gpu.loc[gpu["speedup"].idxmax()]
            rows.append({"target": gpu_txt, "csv": name, "required": f">= {g['speedup']:.0f}x",
                         "measured": f"{best['speedup']:.1f}x ({best['method']})",
                         "result": "met" if best["speedup"] >= g["speedup"] else "not met"})
    if not gpu_seen:
        rows.append({"target": gpu_txt, "csv": "-", "required": f">= {g['speedup']:.0f}x", "measured": None,
                     "result": NOT_MEASURED_GPU_SCAN})
    return pd.DataFrame(rows, columns=["target", "csv", "measured", "required", "result"])
