"""Running a benchmark: inputs, the matrix-product peak, TF32 state, and ``run_benchmarks`` over a preset.

The CPU implementations whose times the course divides (batched NumPy, torch.nn.LSTM, the matrix products
alone) are timed side by side at each shape, their calls in turn (``side_by_side_groups``). Thread counts
are fixed for the whole run (every loaded BLAS through threadpoolctl, ``torch.set_num_threads``)
and recorded. The peak is measured at the start and at the end of the run; its GFLOP/s come from the
fastest call, since a peak is what the hardware can do and other jobs only slow it down.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ..backend import gpu_available
from .flops import gemm_flops, work_flops
from .implementations import IMPLEMENTATIONS, availability, default_implementations
from .machine import cpu_cores, machine_info, set_blas_threads
from .presets import PRESET_SIZES, PRESETS, SCAN_PRESETS, Config, airline_windows, build_configs
from .records import ResultRow
from .timers import Timing, check_method, time_cpu, time_cupy, time_torch_cuda

DTYPES = ("float32", "float64")


def make_inputs(T: int, B: int, D: int, H: int, dtype, n_windows: int = 0, seed: int = 0):
    """Seeded params (rnnlab.layers.lstm.init_params) and a list of (X, dY) minibatches, all NumPy, C-contiguous.

    For ``n_windows`` > 0 (an epoch) the windows are split into consecutive minibatches of B.
    """
    from ..layers.lstm import init_params

    rng = np.random.default_rng(seed)
    params = init_params(D, H, seed=seed, dtype=dtype)
    N = n_windows if n_windows else B
    X = rng.standard_normal((T, N, D)).astype(dtype)
    dY = rng.standard_normal((T, N, H)).astype(dtype)
    batches = [(np.ascontiguousarray(X[:, s : s + B]), np.ascontiguousarray(dY[:, s : s + B]))
               for s in range(0, N, B)]
    return params, batches


def measure_peak_gemm(device: str, n: int, dtype, **method) -> tuple[Timing, str, str]:
    """Time a square (n, n) @ (n, n) product: NumPy's BLAS on the CPU, cuBLAS (CuPy, or torch) on the GPU.

    Returns the timing, how the product was done, and the library that ran it ("numpy", "cupy", "torch").
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    if device == "cpu":
        out = np.empty((n, n), dtype=dtype)
        return time_cpu(lambda: np.matmul(a, b, out=out), **method), "numpy matmul (BLAS)", "numpy"
    if gpu_available():
        import cupy

        ga, gb = cupy.asarray(a), cupy.asarray(b)
        gout = cupy.empty((n, n), dtype=dtype)
        return time_cupy(lambda: cupy.matmul(ga, gb, out=gout), **method), "cupy matmul (cuBLAS)", "cupy"
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    return time_torch_cuda(lambda: torch.matmul(ta, tb), **method), "torch matmul (cuBLAS)", "torch"


def tf32_state(library: str, device: str, dtype) -> str:
    """Whether a row's float32 matrix products ran in TF32, as its library reports it after the run.

    Empty for CPU work; "n/a" for float64 (TF32 is a float32 mode). CuPy chooses TF32 only with
    ``CUPY_TF32=1`` on a GPU of compute capability 8.0 or more, so its own answer is recorded
    (``cupy._core.get_compute_type``), not the environment variable. torch: its two allow_tf32 flags.
    """
    if device != "gpu":
        return ""
    if np.dtype(dtype) != np.float32:
        return f"n/a ({np.dtype(dtype).name})"
    if library == "cupy":
        import cupy
        from cupy._core import _routines_linalg

        kind = _routines_linalg.compute_type_to_str(cupy._core.get_compute_type(np.dtype(np.float32)))
        cc = cupy.cuda.Device().compute_capability
        return f"{'on' if 'TF32' in kind else 'off'} (CuPy {kind}, compute capability {cc[:-1]}.{cc[-1]})"
    if library != "torch":
        raise ValueError(f"library must be 'cupy' or 'torch' for GPU work; got {library!r}")
    import torch

    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    major, minor = torch.cuda.get_device_capability()
    on = (matmul or cudnn) and major >= 8
    return f"{'on' if on else 'off'} (torch matmul.allow_tf32={matmul}, cudnn.allow_tf32={cudnn}, " \
           f"compute capability {major}.{minor})"


def gpu_library(impl_name: str) -> str:
    """The library that runs an implementation's GPU work: "torch" for torch's, else "cupy"."""
    return "torch" if impl_name.startswith("torch") else "cupy"


def side_by_side_groups(configs: list[Config]) -> list[list[Config]]:
    """The configs in measuring order, in groups to time together: the ``side_by_side`` implementations at
    the same work, shape and data size form one group, at the place of the first of them; every other
    config is a group of its own."""
    groups, first = [], {}
    for cfg in configs:
        key = (cfg.work, cfg.T, cfg.B, cfg.D, cfg.H, cfg.n_windows)
        if IMPLEMENTATIONS[cfg.impl].side_by_side and IMPLEMENTATIONS[cfg.impl].device == "cpu":
            if key in first:
                groups[first[key]].append(cfg)
                continue
            first[key] = len(groups)
        groups.append([cfg])
    return groups


def run_benchmarks(preset: str = "quick", impls=None, *, dtype="float32", threads: int | None = None,
                   progress: bool = True, configs: list[Config] | None = None, peak: bool = True, log=print,
                   **overrides) -> list[ResultRow]:
    """Measure; return one :class:`ResultRow` per measurement (``pd.DataFrame(rows)`` makes a table of them).

    impls: names from ``IMPLEMENTATIONS`` (default: the LSTM ones but the profile-only ones, which the ``cpu``
    and ``full`` presets add; the scan ones for the ``scan`` preset); unavailable ones are reported through
    ``log`` and skipped.
    threads: CPU threads for the BLAS libraries and torch (default: the cores this process may use; 1 for
        ``quick``, whose small shapes gain nothing from threads and whose timings a busy shared machine
        would otherwise wreck: waiting BLAS threads make them 10x slower and noisy).
    configs: measure these instead of the preset's sweeps (the preset still gives repeats and warm-up).
    overrides: warmup, min_repeat, max_repeat, budget_s to replace the preset's.
    """
    if preset not in PRESET_SIZES:
        raise ValueError(f"preset must be one of {PRESETS}; got {preset!r}")
    if np.dtype(dtype).name not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}; got {dtype!r}")
    dtype = np.dtype(dtype)
    p = PRESET_SIZES[preset]
    method = p.method
    bad = set(overrides) - set(method)
    if bad:
        raise ValueError(f"unknown option(s) {sorted(bad)}; allowed: {sorted(method)}")
    method.update(overrides)
    check_method(**method)

    if impls is None and preset in SCAN_PRESETS:
        impls = default_implementations("scan")
    elif impls is None:
        impls = default_implementations() + (
            tuple(n for n, i in IMPLEMENTATIONS.items() if i.profile_only) if preset != "quick" else ())
    reasons = availability(impls)
    for name, why in reasons.items():
        if why:
            log(f"[bench] {name}: unavailable, skipped: {why}")
    usable = tuple(n for n in impls if reasons[n] is None)
    if not usable:
        raise RuntimeError(f"none of the implementations {list(impls)} can run here; see the messages above")

    if threads is not None and int(threads) < 1:
        raise ValueError(f"threads must be >= 1 (or None for the default); got threads={threads}")
    threads = int(threads or (1 if preset == "quick" else cpu_cores()))
    if not set_blas_threads(threads):
        log(f"[bench] no BLAS library found to set its threads; recording OMP/OPENBLAS/MKL_NUM_THREADS "
            f"from the environment instead; threads={threads}")
    torch_used = any(n.startswith("torch") for n in usable)
    if torch_used:
        import torch

        torch.set_num_threads(threads)
    gpu_used = any(IMPLEMENTATIONS[n].device == "gpu" for n in usable)
    machine = machine_info(threads, torch_used)

    if configs is None:
        configs = build_configs(preset, usable, 0 if preset in SCAN_PRESETS else airline_windows(), gpu_used)
    else:
        configs = [c for c in configs if c.impl in usable]

    peak_devices = ["cpu"] + (["gpu"] if gpu_used else [])
    if progress:
        from tqdm.auto import tqdm
    else:  # a disabled bar: tqdm.auto would warn in a notebook without ipywidgets
        from tqdm import tqdm

    bar = tqdm(total=len(configs) + (2 * len(peak_devices) if peak else 0), desc=f"bench {preset}",
               disable=not progress, leave=True)
    rows = []

    def measure_peaks(when):
        for dev in peak_devices:
            n = p.peak_n[0] if dev == "cpu" else p.peak_n[1]
            timing, how, library = measure_peak_gemm(dev, n, dtype, **method)
            rows.append(ResultRow.measured(
                implementation="peak_gemm", work="gemm", sweeps=(f"peak_{when}",), shape=(1, n, n, n), n_windows=0,
                dtype=dtype, timing=timing, flops=gemm_flops(n, n, n), device=dev, machine=machine,
                tf32=tf32_state(library, dev, dtype), preset=preset, cuda_library=library if dev == "gpu" else "",
                timer=f"{timing.timer}; {how}", gflops_from_best=True))
            bar.update(1)

    if peak:
        measure_peaks("start")
    for group in side_by_side_groups(configs):
        cfg = group[0]
        bar.set_postfix_str(f"{'+'.join(c.impl for c in group)} {cfg.work} T={cfg.T} B={cfg.B} D={cfg.D} H={cfg.H}",
                            refresh=False)
        params, batches = make_inputs(cfg.T, cfg.B, cfg.D, cfg.H, dtype, cfg.n_windows)
        group_impls = [IMPLEMENTATIONS[c.impl] for c in group]
        runs = [partial(impl.run, impl.prepare(params, batches, forward_only=(cfg.work == "forward")))
                for impl in group_impls]
        timings = (time_cpu.side_by_side(runs, **method) if len(runs) > 1
                   else [group_impls[0].timer(runs[0], **method)])
        for c, impl, timing in zip(group, group_impls, timings):
            library = gpu_library(impl.name) if impl.device == "gpu" else ""
            rows.append(ResultRow.measured(
                implementation=impl.name, work=c.work, sweeps=c.sweeps, shape=(c.T, c.B, c.D, c.H),
                n_windows=c.n_windows, dtype=dtype, timing=timing,
                flops=work_flops(c.T, c.n_windows or c.B, c.D, c.H, c.work), device=impl.device,
                machine=machine, tf32=tf32_state(library, impl.device, dtype), preset=preset, cuda_library=library))
            bar.update(1)
        del runs, params, batches  # free the inputs before the next, maybe larger, shape
    if peak:  # measured again at the end: the best of both is the peak, whatever ran meanwhile
        measure_peaks("end")
    bar.close()
    return rows
