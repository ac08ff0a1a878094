"""What to measure: the shapes of the course (airline model, the performance checks), the presets and their sweeps.

A preset sizes every sweep (batch size, hidden size, sequence length, data size) and the timing
method; ``build_configs`` turns it into the list of measurements, each shape and implementation once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .flops import WORKS

PRESETS = ("quick", "cpu", "gpu_small", "full", "scan")
#: The presets that measure the scans of notebook 12 (work "scan") instead of LSTM layers.
SCAN_PRESETS = ("scan",)

# The airline passengers model: windows of 12 months of one feature, 32 hidden units.
AIRLINE_WINDOW = 12
AIRLINE_HORIZON = 1
AIRLINE_HIDDEN = 32
# The shapes of the performance checks (rnnlab.bench.targets): a CPU-sized and a GPU-sized LSTM.
CPU_TARGET = {"T": 100, "B": 64, "D": 512, "H": 512}
GPU_TARGET = {"T": 200, "B": 256, "D": 1024, "H": 1024}


@dataclass(frozen=True)
class Config:
    """One measurement: ``impl`` doing ``work`` at shape (T, B, D, H).

    ``epoch`` goes over ``n_windows`` windows in minibatches of B (the last one smaller); the other works
    take one minibatch and leave ``n_windows`` at 0. ``sweeps`` names the sweeps the measurement belongs to.
    Every field without a default is required: no shape or implementation is a sensible default.
    """

    work: str
    T: int
    B: int
    D: int
    H: int
    impl: str
    n_windows: int = 0
    sweeps: tuple = field(default=(), compare=False)

    def __post_init__(self):
        if self.work not in WORKS:
            raise ValueError(f"work must be one of {WORKS}; got {self.work!r}")
        if min(self.T, self.B, self.D, self.H) < 1:
            raise ValueError(f"T, B, D, H must be >= 1; got shape (T, B, D, H) = {(self.T, self.B, self.D, self.H)}")
        if (self.work == "epoch") != (self.n_windows > 0):
            raise ValueError(f"n_windows must be > 0 for work 'epoch' and 0 otherwise; got work={self.work!r}, "
                             f"n_windows={self.n_windows}")
        if not isinstance(self.impl, str) or not self.impl:
            raise ValueError(f"impl must be an implementation's name; got {self.impl!r}")


def airline_windows() -> int:
    """Number of 12-month windows (horizon 1) in the airline passengers series: the airline batch size."""
    from ..data import load_airline_passengers, make_windows

    X, _ = make_windows(load_airline_passengers().to_numpy(), AIRLINE_WINDOW, AIRLINE_HORIZON)
    return len(X)


@dataclass(frozen=True)
class Preset:
    """Sizes of every sweep and the timing method. ``seq_budget`` caps the sequential LSTM's work (T*B*(D+H))."""

    batch_sizes: tuple
    batch_shape: tuple  # (T, D=H)
    hidden_sizes: tuple
    hidden_shape: tuple  # (T, B)
    seq_lengths: tuple
    seq_shape: tuple  # (B, D=H)
    data_scales: tuple
    minibatch: int
    cpu_target: bool
    gpu_target: bool
    peak_n: tuple  # (CPU n, GPU n) of the square peak GEMM
    seq_budget: int
    seq_epoch_scale: int  # largest data scale the sequential LSTM runs an epoch on
    forward_sweeps: tuple  # sweeps that measure the forward pass as well as the training step
    warmup: int
    min_repeat: int
    max_repeat: int
    budget_s: float
    scan_widths: tuple = ()  # scan preset: (B, H) pairs at T = scan_T
    scan_T: int = 0
    scan_lengths: tuple = ()  # scan preset: (T values, (B, H)) sweeps

    @property
    def method(self) -> dict:
        """The timing method, as the timers take it."""
        return {"warmup": self.warmup, "min_repeat": self.min_repeat, "max_repeat": self.max_repeat,
                "budget_s": self.budget_s}


_CPU_SWEEPS = dict(batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256), batch_shape=(50, 128),
                   hidden_sizes=(32, 64, 128, 256, 512), hidden_shape=(50, 32), seq_lengths=(12, 25, 50, 100, 200),
                   seq_shape=(32, 128), data_scales=(1, 2, 4, 8), minibatch=32, cpu_target=True, gpu_target=False,
                   forward_sweeps=("airline", "batch", "hidden", "seq", "cpu_target"), warmup=2, min_repeat=5)
PRESET_SIZES = {
    # About a minute on a loaded 2-core CPU: small shapes, the sequential LSTM on the small ones only.
    "quick": Preset(batch_sizes=(1, 4, 16, 64), batch_shape=(20, 64), hidden_sizes=(16, 64, 256),
                    hidden_shape=(20, 16), seq_lengths=(10, 20, 40), seq_shape=(16, 64),
                    data_scales=(1, 2, 4, 8), minibatch=32, cpu_target=False, gpu_target=False,
                    peak_n=(1024, 4096), seq_budget=10_240, seq_epoch_scale=1,
                    forward_sweeps=("airline", "batch"), warmup=1, min_repeat=5, max_repeat=10, budget_s=0.1),
    # The recording preset for a small CPU-only machine (2 cores: under ~10 minutes).
    "cpu": Preset(**_CPU_SWEEPS, peak_n=(2048, 8192), seq_budget=7_000_000, seq_epoch_scale=8, max_repeat=50,
                  budget_s=0.5),
    # For a small GPU machine such as Colab's T4 with 2 CPU cores (`make gpu-check`'s default): the sweeps of
    # "cpu", so the two CSVs compare shape for shape, with the sequential LSTM only where it takes well under a
    # second per call and no GPU-target shape (batched NumPy would need minutes per call there on 2 cores).
    # Sized from the CPU recording's medians (about a minute of CPU-side work there); not yet timed on a T4.
    "gpu_small": Preset(**_CPU_SWEEPS, peak_n=(2048, 4096), seq_budget=200_000, seq_epoch_scale=2, max_repeat=10,
                        budget_s=0.3),
    # Everything, for a GPU machine (with a GPU the GPU target shape B=256, D=H=1024, T=200 is added).
    "full": Preset(batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), batch_shape=(100, 256),
                   hidden_sizes=(32, 64, 128, 256, 512, 1024), hidden_shape=(100, 64),
                   seq_lengths=(25, 50, 100, 200, 400), seq_shape=(64, 256), data_scales=(1, 2, 4, 8),
                   minibatch=32, cpu_target=True, gpu_target=True, peak_n=(4096, 8192),
                   seq_budget=7_000_000, seq_epoch_scale=8,
                   forward_sweeps=("airline", "batch", "hidden", "seq", "cpu_target", "gpu_target"), warmup=2,
                   min_repeat=5, max_repeat=30, budget_s=1.0),
    # notebook 12: the scans of h_t = a_t h_{t-1} + b_t against their loop (about 2 minutes on 2 cores).
    "scan": Preset(batch_sizes=(), batch_shape=(), hidden_sizes=(), hidden_shape=(), seq_lengths=(), seq_shape=(),
                   data_scales=(), minibatch=1, cpu_target=False, gpu_target=False, peak_n=(1024, 4096),
                   seq_budget=0, seq_epoch_scale=0, forward_sweeps=(), warmup=1, min_repeat=5, max_repeat=15,
                   budget_s=0.3, scan_T=4096,
                   scan_widths=((1, 1), (1, 8), (1, 32), (4, 32), (8, 32), (16, 32), (32, 32)),
                   scan_lengths=(((64, 256, 1024, 4096, 16384), (1, 8)), ((64, 256, 1024, 4096), (32, 32)))),
}


def scan_configs(p: Preset, impls) -> list[Config]:
    """The scan preset's measurements: speed against B*H at T = scan_T ("scan_width"), against T ("scan_length").

    Scan rows have work "scan" and D = 1 (a linear recurrence has no input projection).
    """
    todo: dict = {}
    for B, H in p.scan_widths:
        for name in impls:
            todo.setdefault((p.scan_T, B, H, name), []).append("scan_width")
    for lengths, (B, H) in p.scan_lengths:
        for T in lengths:
            for name in impls:
                todo.setdefault((T, B, H, name), []).append("scan_length")
    return [Config("scan", T, B, 1, H, name, 0, tuple(sw)) for (T, B, H, name), sw in todo.items()]


def build_configs(preset: str, impls, n_airline: int, gpu_present: bool) -> list[Config]:
    """The measurements of a preset for the chosen implementations, each shape once (sweeps merged)."""
    if preset not in PRESET_SIZES:
        raise ValueError(f"preset must be one of {PRESETS}; got {preset!r}")
    p = PRESET_SIZES[preset]
    impls = tuple(impls)
    if preset in SCAN_PRESETS:
        return scan_configs(p, impls)
    main = tuple(i for i in impls if i not in ("sequential", "numpy_gemms"))
    seq = ("sequential",) if "sequential" in impls else ()
    gemms = ("numpy_gemms",) if "numpy_gemms" in impls else ()

    def with_seq(T, B, D, H):
        return seq + main if T * B * (D + H) <= p.seq_budget else main

    todo: dict = {}  # (work, T, B, D, H, n_windows, impl) -> the sweeps that measure it

    def add(sweep, work, T, B, D, H, chosen, n_windows=0):
        if work == "forward" and sweep not in p.forward_sweeps:
            return
        for name in chosen:
            todo.setdefault((work, T, B, D, H, n_windows, name), []).append(sweep)

    for work in ("train_step", "forward"):
        # The airline training step, where the proposal's speed-up targets are judged; all implementations.
        add("airline", work, AIRLINE_WINDOW, n_airline, 1, AIRLINE_HIDDEN, seq + main + gemms)
        T, DH = p.batch_shape
        for B in p.batch_sizes:
            add("batch", work, T, B, DH, DH, with_seq(T, B, DH, DH))
        T, B = p.hidden_shape
        for H in p.hidden_sizes:
            add("hidden", work, T, B, H, H, with_seq(T, B, H, H))
        B, DH = p.seq_shape
        for T in p.seq_lengths:
            add("seq", work, T, B, DH, DH, with_seq(T, B, DH, DH))
        if p.cpu_target:
            s = CPU_TARGET
            add("cpu_target", work, s["T"], s["B"], s["D"], s["H"], with_seq(s["T"], s["B"], s["D"], s["H"]) + gemms)
        if p.gpu_target and gpu_present:
            s = GPU_TARGET
            add("gpu_target", work, s["T"], s["B"], s["D"], s["H"], main)
    # Per-step Python overhead: the batched step at the smallest shape, T steps of almost no arithmetic.
    if "numpy" in impls:
        add("overhead", "train_step", CPU_TARGET["T"] if p.cpu_target else 20, 1, 1, 1, ("numpy",))
    for scale in p.data_scales:
        n = n_airline * scale
        chosen = seq + main if scale <= p.seq_epoch_scale else main
        add("dataset", "epoch", AIRLINE_WINDOW, p.minibatch, 1, AIRLINE_HIDDEN, chosen, n_windows=n)
        # Full batch: the sequential LSTM loops over samples either way, so it is measured once (above).
        add("dataset", "epoch", AIRLINE_WINDOW, n, 1, AIRLINE_HIDDEN, main, n_windows=n)
    return [Config(work, T, B, D, H, name, n, tuple(sw)) for (work, T, B, D, H, n, name), sw in todo.items()]
