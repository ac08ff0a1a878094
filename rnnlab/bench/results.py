"""Reading the recorded benchmark CSVs (``python -m rnnlab.bench``) back: the figures notebook 11 reports.

Every function takes the rows of one machine's CSV (a pandas DataFrame) and computes from them only:
nothing here estimates a figure that was not measured (the verdicts on the targets are in ``targets``).
Ratios are taken inside one CSV (one run, one machine), since absolute times vary between machines and
only ratios from one run compare.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .flops import lstm_flops
from .implementations import IMPLEMENTATIONS, default_implementations
from .presets import AIRLINE_HIDDEN, AIRLINE_WINDOW
from .records import CSV_FIELDS

#: implementation -> how figures and tables name it (each implementation's ``label``).
LABELS = {name: impl.label for name, impl in IMPLEMENTATIONS.items()}
#: The order of figures and tables: the CPU implementations, then the GPU ones (profile-only ones left out).
ORDER = sorted(default_implementations(), key=lambda name: IMPLEMENTATIONS[name].device != "cpu")


def benchmark_dir() -> Path:
    """data/benchmarks of the repository (or of $RNNLAB_DATA_DIR)."""
    from ..data import data_dir

    return data_dir() / "benchmarks"


def load_results(directory=None) -> dict:
    """{machine name (file stem): DataFrame} for every CSV in ``directory``, sorted by name.

    A file whose columns are not the harness's raises ValueError naming the file.
    """
    directory = Path(directory) if directory is not None else benchmark_dir()
    out = {}
    for path in sorted(directory.glob("*.csv")):
        df = pd.read_csv(path)
        missing = [c for c in CSV_FIELDS if c not in df.columns]
        if missing:
            raise ValueError(f"{path} is not a benchmark CSV: it lacks the columns {missing}")
        out[path.stem] = df
    return out


def has_gpu(df: pd.DataFrame) -> bool:
    """True when the CSV holds measurements taken on a GPU."""
    return bool((df["device"] == "gpu").any())


def select(df: pd.DataFrame, *, work=None, sweep=None, dtype="float32", **shape) -> pd.DataFrame:
    """Rows of one kind of work, in a sweep (``sweep`` column lists all sweeps a row belongs to), of a shape."""
    mask = pd.Series(True, index=df.index)
    if work is not None:
        mask &= df["work"] == work
    if sweep is not None:
        mask &= df["sweep"].astype(str).str.split(";").apply(lambda s: sweep in s)
    if dtype is not None:
        mask &= df["dtype"] == dtype
    for k, v in shape.items():
        mask &= df[k] == v
    return df[mask]


def median_of(df: pd.DataFrame, implementation: str, *, work="train_step", **shape) -> float | None:
    """Median ms of one implementation at one shape, or None when it was not measured."""
    rows = select(df, work=work, **shape)
    rows = rows[rows["implementation"] == implementation]
    return float(rows["median_ms"].iloc[0]) if len(rows) else None


def airline_shape(df: pd.DataFrame) -> dict:
    """The airline training step's shape as recorded (T=12, D=1, H=32, B = the number of windows)."""
    rows = select(df, work="train_step", sweep="airline")
    if not len(rows):
        return {"T": AIRLINE_WINDOW, "D": 1, "H": AIRLINE_HIDDEN}
    r = rows.iloc[0]
    return {"T": int(r["T"]), "B": int(r["B"]), "D": int(r["D"]), "H": int(r["H"])}


def speedup_over_sequential(df: pd.DataFrame, *, work="train_step", **shape) -> pd.DataFrame:
    """Median ms of every implementation at one shape and its speed-up over the sequential LSTM there."""
    rows = select(df, work=work, **shape)
    rows = rows[rows["implementation"].isin(ORDER)]
    seq = rows.loc[rows["implementation"] == "sequential", "median_ms"]
    if not len(seq):
        return pd.DataFrame(columns=["implementation", "median_ms", "speedup"])
    out = rows[["implementation", "median_ms"]].copy()
    out["speedup"] = float(seq.iloc[0]) / out["median_ms"]
    out["rank"] = out["implementation"].map(ORDER.index)
    return out.sort_values("rank").drop(columns="rank").reset_index(drop=True)


def speedups_everywhere(df: pd.DataFrame, implementation: str = "numpy", *, work="train_step") -> pd.DataFrame:
    """Speed-up over the sequential LSTM at every shape where both were measured, lowest first.

    Columns T, B, D, H, sweep, sequential_ms, ms, speedup. A figure taken at one shape says nothing of
    the others; this table says how far the speed-up moves over the recorded sweeps.
    """
    rows = select(df, work=work)
    keys = ["T", "B", "D", "H"]
    seq = rows[rows["implementation"] == "sequential"][keys + ["median_ms"]].rename(
        columns={"median_ms": "sequential_ms"})
    par = rows[rows["implementation"] == implementation][keys + ["sweep", "median_ms"]].rename(
        columns={"median_ms": "ms"})
    out = par.merge(seq, on=keys)
    out["speedup"] = out["sequential_ms"] / out["ms"]
    cols = keys + ["sweep", "sequential_ms", "ms", "speedup"]
    return out[cols].sort_values("speedup").reset_index(drop=True)


def peak_gflops(df: pd.DataFrame, device: str = "cpu", dtype: str = "float32") -> float | None:
    """The measured matrix-product peak (GFLOP/s) of a device in this run, or None."""
    rows = df[(df["implementation"] == "peak_gemm") & (df["device"] == device) & (df["dtype"] == dtype)]
    return float(rows["gflops"].max()) if len(rows) else None


def crossover_batch(df: pd.DataFrame, gpu_impl: str, cpu_impl: str, *, work="train_step",
                    sweep="batch") -> int | None:
    """Smallest batch size from which ``gpu_impl`` is faster than ``cpu_impl`` at every larger size measured.

    None when the GPU is never faster, or when either was not measured.
    """
    rows = select(df, work=work, sweep=sweep)
    g = rows[rows["implementation"] == gpu_impl].set_index("B")["median_ms"]
    c = rows[rows["implementation"] == cpu_impl].set_index("B")["median_ms"]
    common = sorted(set(g.index) & set(c.index))
    if not common:
        return None
    faster = [bool(g[b] < c[b]) for b in common]
    if not faster[-1]:
        return None
    k = len(common) - 1
    while k > 0 and faster[k - 1]:
        k -= 1
    return int(common[k])


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (1 = time grows like the data, < 1 = slower)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or len(x) != len(y) or (x <= 0).any() or (y <= 0).any():
        raise ValueError(f"loglog_slope needs >= 2 positive points of equal count; got x {x.shape}, y {y.shape}")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def epoch_scaling(df: pd.DataFrame) -> pd.DataFrame:
    """Epoch time against data size: implementation, batching ("minibatch B" or "full batch"), slope."""
    rows = select(df, work="epoch", sweep="dataset")
    out = []
    for (impl, full), g in rows.groupby([rows["implementation"], rows["B"] == rows["n_windows"]]):
        g = g.sort_values("n_windows")
        if len(g) >= 2:
            batching = "full batch" if full else f"minibatch {int(g['B'].iloc[0])}"
            out.append({"implementation": impl, "batching": batching, "points": len(g),
                        "slope": loglog_slope(g["n_windows"], g["median_ms"])})
    return pd.DataFrame(out, columns=["implementation", "batching", "points", "slope"])


def profile_split(df: pd.DataFrame, **shape) -> dict | None:
    """Where a batched NumPy training step's time goes, from the profile rows of the run.

    Returns the step's median ms, the ms of its matrix products alone (``numpy_gemms``), the rest
    (elementwise gate work, temporaries, Python), the matrix products' GFLOP/s, and the Python overhead
    per time step measured at B=D=H=1 (where there is almost no arithmetic). None without profile rows.
    """
    total = median_of(df, "numpy", **shape)
    gemms = median_of(df, "numpy_gemms", **shape)
    if total is None or gemms is None:
        return None
    over = select(df, work="train_step", sweep="overhead")
    over = over[over["implementation"] == "numpy"]
    per_step_us = float(over["median_ms"].iloc[0] / over["T"].iloc[0] * 1e3) if len(over) else None
    T = shape.get("T")
    flops = lstm_flops(shape["T"], shape["B"], shape["D"], shape["H"], "train_step")
    return {
        "step_ms": total, "gemm_ms": gemms, "rest_ms": total - gemms, "gemm_share": gemms / total,
        "gemm_gflops": flops / (gemms * 1e-3) / 1e9, "step_gflops": flops / (total * 1e-3) / 1e9,
        "overhead_us_per_step": per_step_us,
        "overhead_ms_per_train_step": None if per_step_us is None or T is None else per_step_us * T / 1e3,
    }


def profile_report(df: pd.DataFrame, **shape) -> list[str]:
    """:func:`profile_split` at one shape as lines of text (an empty list without profile rows)."""
    split, peak = profile_split(df, **shape), peak_gflops(df, "cpu")
    if split is None or not peak:
        return []
    lines = [f"step {split['step_ms']:.2f} ms = matrix products {split['gemm_ms']:.2f} ms "
             f"({100 * split['gemm_share']:.0f}%) + the rest {split['rest_ms']:.2f} ms",
             f"the products alone: {split['gemm_gflops']:.1f} GFLOP/s = {100 * split['gemm_gflops'] / peak:.0f}% "
             f"of the {peak:.1f} GFLOP/s sgemm peak",
             f"the whole step: {split['step_gflops']:.1f} GFLOP/s = {100 * split['step_gflops'] / peak:.0f}%"]
    if split["overhead_us_per_step"] is not None:
        lines.append(f"Python overhead: {split['overhead_us_per_step']:.0f} us per time step, "
                     f"{split['overhead_ms_per_train_step']:.2f} ms for T={shape['T']}")
    return lines
