"""Notebooks 10 and 11's figures: each of 11's draws one recorded CSV on one axes and returns its text.

Every function of notebook 11 takes ``(ax, name, df)``: the axes, the CSV's name (its machine) and its
rows, draws from the rows only, and returns lines to print, so that a figure's numbers are also in the
notebook's text. ``step_parallelism`` is notebook 10's picture of what is parallel in an LSTM.
"""
from __future__ import annotations

import numpy as np

from . import results as br
from .presets import CPU_TARGET
from .targets import caption

CPU_TARGET_LABEL = "B={B}, D=H={H}, T={T}".format(**CPU_TARGET)


def _fmt(v: float) -> str:
    return f"{v:.0f}x" if v >= 10 else f"{v:.1f}x"


def speedup_bars(ax, name, df) -> list[str]:
    """Bars: speed-up over the sequential LSTM of each implementation, airline step and the CPU-check shape."""
    air = br.airline_shape(df)
    shapes = {"airline step, B={B}, D={D}, H={H}, T={T}".format(**air): air, CPU_TARGET_LABEL: dict(CPU_TARGET)}
    width = 0.8 / len(shapes)
    lines = []
    for k, (label, shape) in enumerate(shapes.items()):
        sp = br.speedup_over_sequential(df, **shape)
        if not len(sp):
            continue
        xs = [br.ORDER.index(i) + k * width for i in sp["implementation"]]
        bars = ax.bar(xs, sp["speedup"], width=width, label=label)
        ax.bar_label(bars, labels=[_fmt(v) for v in sp["speedup"]], fontsize=8)
        lines.append(f"{label}: " + ", ".join(f"{i} {v:.1f}x" for i, v in zip(sp["implementation"], sp["speedup"])
                                              if i != "sequential"))
    for level, style, text in ((5, ":", "5x (100%)"), (10, "--", "10x (125%)")):
        ax.axhline(level, ls=style, c="gray")
        ax.text(-0.4, level * 1.05, text, fontsize=8, color="gray")
    ax.set_yscale("log")
    ax.set_ylim(top=ax.get_ylim()[1] * 4)  # room for the legend above the tallest bar
    ax.set_xticks(range(len(br.ORDER)), [br.LABELS[i].replace(" ", "\n", 1) for i in br.ORDER], fontsize=8)
    ax.set_ylabel("speed-up over sequential (training step)")
    ax.set_title(name)
    ax.legend(fontsize=8, loc="upper right")
    return lines


def batch_sweep(ax, name, df) -> list[str]:
    """Lines: ms per training step against batch size, min-max bars; the GPU crossover where a GPU CSV has one."""
    rows = br.select(df, work="train_step", sweep="batch")
    for impl in br.ORDER:
        r = rows[rows["implementation"] == impl].sort_values("B")
        if len(r):
            ax.errorbar(r["B"], r["median_ms"], yerr=[r["median_ms"] - r["min_ms"], r["max_ms"] - r["median_ms"]],
                        marker="o", ms=3, capsize=2, label=br.LABELS[impl])
    if br.has_gpu(df):
        cross = br.crossover_batch(df, "cupy_fused", "numpy")
        if cross is not None:
            ax.axvline(cross, c="k", ls="--")
            ax.text(cross, ax.get_ylim()[1], f" GPU faster from B={cross}", va="top", fontsize=8)
        line = f"{name}: CuPy fused faster than batched NumPy from B = {cross}"
    else:
        ax.text(0.02, 0.98, "CPU only: no GPU CSV recorded yet,\nso no crossover to mark", transform=ax.transAxes,
                va="top", fontsize=8)
        line = f"{name}: CPU only, no crossover to mark"
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("ms per training step (median, min-max bars)")
    ax.set_title(f"{name}\nT={int(rows['T'].iloc[0])}, D=H={int(rows['H'].iloc[0])}, float32", fontsize=9)
    ax.legend(fontsize=7)
    return [line]


def epoch_scaling(ax, name, df) -> list[str]:
    """Log-log lines: ms per epoch against the number of windows, minibatch and full batch, with slope 1."""
    rows = br.select(df, work="epoch", sweep="dataset")
    for k, impl in enumerate(br.ORDER):
        r = rows[rows["implementation"] == impl]
        for full, style in ((False, "--"), (True, "-")):
            g = r[(r["B"] == r["n_windows"]) == full].sort_values("n_windows")
            if len(g):
                ax.plot(g["n_windows"], g["median_ms"], style, marker="o", ms=3, color=f"C{k}",
                        label=f"{br.LABELS[impl]}, {'full batch' if full else 'minibatch'}")
    n = np.sort(rows["n_windows"].unique())
    t0 = rows[rows["n_windows"] == n[0]]["median_ms"].max()
    ax.plot(n, t0 * n / n[0], ":", c="k", lw=2, label="slope 1 (time grows like the data)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("windows in the data set (N)")
    ax.set_ylabel("ms per epoch (median)")
    ax.set_title(name, fontsize=9)
    ax.legend(fontsize=6)
    return [f"{name}: N from {int(n[0])} to {int(n[-1])} windows, {len(n)} sizes"]


def roofline(ax, name, df) -> list[str]:
    """Achieved GFLOP/s over the hidden-size sweep (the CPU-check shape as a star) against the measured peaks."""
    rows = br.select(df, work="train_step", sweep="hidden")
    target = br.select(df, work="train_step", **CPU_TARGET)
    for k, impl in enumerate(br.ORDER + ["numpy_gemms"]):
        r = rows[rows["implementation"] == impl].sort_values("H")
        if len(r):
            ax.plot(r["H"], r["gflops"], marker="o", ms=3, color=f"C{k}", label=br.LABELS[impl])
        t = target[target["implementation"] == impl]
        if len(t):
            ax.plot(t["H"], t["gflops"], "*", ms=10, color=f"C{k}")
    lines = []
    for dev, c in (("cpu", "k"), ("gpu", "r")):
        peak = br.peak_gflops(df, dev)
        if peak:
            ax.axhline(peak, ls="--", c=c, label=f"{dev.upper()} sgemm peak {peak:.0f} GFLOP/s")
            lines.append(f"{name}: measured {dev.upper()} float32 matrix-multiply peak {peak:.1f} GFLOP/s")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("hidden size H (= D)")
    ax.set_ylabel("achieved GFLOP/s (training step)")
    T, B = int(rows["T"].iloc[0]), int(rows["B"].iloc[0])
    ax.set_title(f"{name}\nT={T}, B={B}; star: T={CPU_TARGET['T']}, B={CPU_TARGET['B']}", fontsize=9)
    ax.legend(fontsize=6)
    return lines


def draw(results: dict, plot, path=None):
    """One axes per CSV, drawn by ``plot``; prints where it was measured, with which parallelism, and the
    plot's lines; saves the figure to ``path`` (PNG) if given."""
    import matplotlib.pyplot as plt

    if not results:
        raise ValueError("results is empty: no recorded CSV to draw")
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 3.2), squeeze=False)
    for ax, (name, df) in zip(axes[0], results.items()):
        print(caption(name, df))
        for line in plot(ax, name, df):
            print(line)
    if path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    return fig


def step_parallelism(T: int = 5, rows: int = 4, cols: int = 8):
    """Each step a grid of independent (batch, unit) elements; red arrows: h and c carried to the next step."""
    import matplotlib.pyplot as plt

    if min(T, rows, cols) < 1:
        raise ValueError(f"T, rows, cols must be >= 1; got {(T, rows, cols)}")
    fig, ax = plt.subplots(figsize=(9, 2.8))
    for t in range(T):
        x0 = t * (cols + 4)
        for r in range(rows):
            for c in range(cols):
                ax.add_patch(plt.Rectangle((x0 + c, r), 0.85, 0.85, color="tab:blue", alpha=0.6))
        ax.text(x0 + cols / 2, rows + 0.4, f"step t={t + 1}", ha="center")
        if t < T - 1:
            ax.annotate("", xy=(x0 + cols + 3.2, rows / 2), xytext=(x0 + cols + 0.2, rows / 2),
                        arrowprops=dict(arrowstyle="->", lw=2, color="tab:red"))
            ax.text(x0 + cols + 1.7, rows / 2 + 0.3, "h, c", ha="center", color="tab:red")
    ax.text(0, -0.9, "blue: B x 4H independent elements per step (parallel);  "
            "red: h_t needs h_(t-1) (sequential)", fontsize=9)
    ax.set_xlim(-0.5, T * (cols + 4))
    ax.set_ylim(-1.3, rows + 1)
    ax.set_axis_off()
    return fig


def launch_bars(direct, fused):
    """Stacked bars: launches per time step, forward and backward, of the direct port and of lstm_fused.

    ``direct`` and ``fused`` are :func:`rnnlab.bench.launches.per_step` tables (their "total" row is drawn).
    """
    import matplotlib.pyplot as plt

    fwd = [int(t.loc["total", "forward"]) for t in (direct, fused)]
    bwd = [int(t.loc["total", "backward"]) for t in (direct, fused)]
    fig, ax = plt.subplots(figsize=(6, 3))
    labels = ["direct port\n(rnnlab.layers.lstm on CuPy)", "fused\n(rnnlab.parallel.lstm_fused)"]
    ax.bar(labels, fwd, label="forward", color="tab:blue")
    ax.bar(labels, bwd, bottom=fwd, label="backward", color="tab:orange")
    for k, total in enumerate(f + b for f, b in zip(fwd, bwd)):
        ax.text(k, total + 1, str(total), ha="center")
    ax.set_ylabel("kernel launches per time step")
    ax.set_ylim(0, 1.15 * max(f + b for f, b in zip(fwd, bwd)))
    ax.set_title("Launches per LSTM step (counted)")
    ax.legend()
    return fig
