"""The command line: ``python -m rnnlab.bench`` measures a preset and writes one CSV per machine."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .implementations import IMPLEMENTATIONS, availability
from .presets import PRESETS
from .records import default_out, summary, write_csv
from .run import DTYPES, run_benchmarks

EPILOG = """\
presets:
  quick      about a minute on a 2-core CPU, 1 BLAS thread (the default)
  cpu        the recording preset for small CPU-only machines (under ~10 minutes on 2 cores)
  gpu_small  the sweeps of cpu with the GPU implementations, for a small GPU such as a T4 (make gpu-check)
  full       every sweep, with the large GPU-target shape when a GPU is present (a large GPU machine)
  scan       notebook 12: the scans of h_t = a_t h_{t-1} + b_t against their loop (NumPy; CuPy on a GPU),
             written to data/benchmarks/scans/<machine>.csv; record with --dtype float64 --threads 1

work measured, for a time-major input X (T, B, D) and hidden size H:
  forward     forward(params, X), keeping what backward needs
  train_step  forward, then backward(dY, cache) with a fixed random dY (T, B, H)
  epoch       ceil(N / B) training steps over N windows in minibatches of B (B = N: full batch);
              the parameter update is left out (O(parameters), the same everywhere)
  scan        all T states of h_t = a_t h_{t-1} + b_t, a and b (T, B, H) (the scan preset; D is 1)

method: warm-up calls, then at least 5 timed calls; the CSV stores their median, interquartile range,
min and max in ms, the FLOP model's count (matrix products only) and GFLOP/s = FLOPs / median. CPU work
is timed with time.perf_counter, GPU work with CUDA events after synchronising. A matrix-product peak
(peak_gemm rows) is measured at the start and at the end. Thread counts, machine and library versions
are recorded in every row.

implementations:
"""


def parser() -> argparse.ArgumentParser:
    impl_lines = "".join(f"  {name:<12} {impl.device}  {(type(impl).__doc__ or impl.label).splitlines()[0]}\n"
                         for name, impl in IMPLEMENTATIONS.items())
    p = argparse.ArgumentParser(prog="python -m rnnlab.bench", epilog=EPILOG + impl_lines,
                                description="Benchmark harness: how fast each LSTM implementation trains, "
                                            "on this machine, measured.",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_const", const="quick", dest="preset", help="about a minute on 2 cores")
    g.add_argument("--full", action="store_const", const="full", dest="preset",
                   help="every sweep, with the GPU target shape when a GPU is present (for a GPU machine)")
    g.add_argument("--preset", choices=PRESETS, help="quick, cpu (recording on a small CPU machine), gpu_small "
                   "(recording on a small GPU such as a T4, `make gpu-check`), full, or scan (notebook 12)")
    p.add_argument("--impl", nargs="+", choices=list(IMPLEMENTATIONS), metavar="NAME",
                   help=f"implementations to run (default: all that are available): {', '.join(IMPLEMENTATIONS)}")
    p.add_argument("--dtype", choices=DTYPES, default="float32")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for the BLAS libraries and torch "
                   "(default: all cores this process may use; 1 for --quick)")
    p.add_argument("--out", type=Path, default=None, help="CSV path (default data/benchmarks/<machine>.csv)")
    p.add_argument("--append", action="store_true",
                   help="add the rows to the CSV instead of replacing it (a run split over several calls)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--list", action="store_true", help="say which implementations can run here, and stop")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    preset = args.preset or "quick"
    if args.list:
        for name, why in availability().items():
            print(f"{name:<12} {'available' if why is None else 'unavailable: ' + why}")
        return 0
    start = time.perf_counter()
    try:
        rows = run_benchmarks(preset, args.impl, dtype=args.dtype, threads=args.threads,
                              progress=not args.no_progress)
    except RuntimeError as e:
        print(f"[bench] {e}", file=sys.stderr)
        return 2
    gpu = next((r.device_name for r in rows if r.device == "gpu" and r.device_name), None)
    out = write_csv(rows, args.out or default_out(gpu, preset), append=args.append)
    print(summary(rows))
    print(f"[bench] {len(rows)} measurements in {time.perf_counter() - start:.1f} s -> {out}")
    return 0
