"""Data-parallel timings through the harness: a training step on W gloo ranks, the all-reduce alone, shard steps.

``python -m rnnlab.bench.data_parallel`` launches one torchrun job per configuration (W = 1 and 2 ranks of one
thread, W = 1 of two threads) and writes their rows to ``data/benchmarks/data-parallel/<machine>.csv`` (a
folder of its own: notebook 11 reads the CSVs of ``data/benchmarks/`` itself). Notebook 13 fits its scaling
model to these rows. The step is the whole data-parallel step (shard forward and backward, weighting into the
flat buffer, all-reduce, clip, Adam) on one fixed random float32 batch, timed a fixed number of times on every
rank (the ranks must make the same number of reduces), with the flat buffer reused. Workers run with
``MALLOC_MMAP_MAX_=0`` and a 64 GiB ``MALLOC_TRIM_THRESHOLD_``: glibc then keeps freed memory instead of
returning it to the OS, so a step does not pay fresh page faults (costly in a VM) for its arrays.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

SHAPES = {"airline": (12, 132, 1, 32), "large": (100, 64, 512, 512)}  # (T, B, D, H), float32
CONFIGS = ((1, 1), (2, 1), (1, 2))  # (ranks, threads per rank)
SHARD_WORLDS = (1, 2, 4, 8, 16)  # shard steps at B / W, for the scaling model
REDUCE_FLOATS = (1_000, 10_000, 100_000, 1_000_000, 4_000_000)  # plus each shape's gradient size
MALLOC = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 36)}
TIMER = "perf_counter; fixed repeats on every rank; reused flat buffer; MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2**36"
PRESET = "data_parallel"
REPEATS = 15  # timed steps at the large shape (x5 at the airline): the recording's default


def default_out() -> Path:
    from ..data import data_dir
    from .machine import machine_name

    return data_dir() / "benchmarks" / "data-parallel" / f"{machine_name()}.csv"


def n_params(D: int, H: int, K: int = 1) -> int:
    """Parameters of the LSTM regressor (the gradient's size in floats): 4H(D+H+1) + HK + K."""
    return 4 * H * (D + H + 1) + H * K + K


def _step(shape, group, seed=0):
    """A function that runs one data-parallel training step of ``shape`` on ``group``, and the replica."""
    from ..parallel.data_parallel import Replica
    from ..training.models import SequenceRegressor

    T, B, D, H = shape
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T, B, D)).astype(np.float32)
    Y = rng.standard_normal((B, 1)).astype(np.float32)
    model = SequenceRegressor(D, H, 1, seed=seed, dtype=np.float32)
    rep = Replica(model, model.init_params(), group.rank, group.world_size, optimizer="adam", lr=1e-3, clip=1.0,
                  strategy="batch", epochs=1, N=B)
    idx = np.arange(B)

    def step():
        rep.contribute(X, Y, idx)
        group.all_reduce([rep.flat.buffer])
        rep.step()

    return step, rep


def _row(impl, work, sweep, shape, timing, threads):
    from .flops import lstm_flops
    from .machine import machine_info
    from .records import ResultRow

    T, B, D, H = shape
    flops = lstm_flops(T, B, D, H, "train_step") if work != "allreduce" else 0
    return ResultRow.measured(implementation=impl, work=work, sweeps=(sweep,), shape=shape, n_windows=0,
                              dtype="float32", timing=timing, flops=flops, device="cpu",
                              machine=machine_info(threads, torch_loaded=True), tf32="", preset=PRESET,
                              timer=TIMER).as_dict()


def worker(threads: int, out: str, repeats: int, shards: bool, reduces: bool) -> None:
    """One rank of a timing job (run under torchrun); rank 0 writes its rows as JSON lines to ``out``."""
    import torch
    import torch.distributed as dist

    from ..parallel.distributed import TorchGroup, init, set_threads
    from .timers import time_cpu

    set_threads(threads)
    init("cpu", timeout_s=600)
    group = TorchGroup("cpu")
    W, rows = group.world_size, []
    impl = f"dp_gloo_w{W}_t{threads}"

    def timed(fn, n):
        dist.barrier()
        return time_cpu(fn, warmup=2, min_repeat=n, max_repeat=n, budget_s=0)

    for name, shape in SHAPES.items():
        n = repeats if name == "large" else 5 * repeats
        step, _ = _step(shape, group)
        rows.append(_row(impl, "train_step", name, shape, timed(step, n), threads))
        if shards:
            T, B, D, H = shape
            for b in sorted({math.ceil(B / w) for w in SHARD_WORLDS} - {B}, reverse=True):
                step, _ = _step((T, b, D, H), group)
                rows.append(_row(impl, "shard_step", name, (T, b, D, H), timed(step, n), threads))
    if reduces:
        sizes = sorted(set(REDUCE_FLOATS) | {n_params(D, H) for _, _, D, H in SHAPES.values()})
        for size in sizes:
            buf = torch.zeros(size, dtype=torch.float32)
            timing = timed(lambda buf=buf: dist.all_reduce(buf), 10 * repeats if size < 1_000_000 else 2 * repeats)
            rows.append(_row(impl, "allreduce", "allreduce", (1, size, 1, 1), timing, threads))
    if group.is_main:
        Path(out).write_text("".join(json.dumps(r) + "\n" for r in rows))
    dist.destroy_process_group()


def scaling_inputs(rec) -> tuple[dict, dict, dict]:
    """What the scaling model needs from a recorded CSV (a DataFrame): (networks, shard seconds, gradient bytes).

    networks: {name: (latency s, bandwidth bytes/s)}, the loopback fitted to the recorded W = 2 all-reduces
    (``B`` holds the number of float32 values reduced) and the two assumed networks of
    :data:`rnnlab.parallel.scaling.NETWORKS`; shard seconds: per shape of :data:`SHAPES`, {shard size: one
    rank's median step}; gradient bytes: per shape, the float32 gradient that each step all-reduces.
    """
    from ..parallel import scaling

    reduces = rec[rec.work == "allreduce"]
    networks = {"loopback (fitted)": scaling.fit_allreduce(reduces.B * 4, reduces.median_ms / 1e3, world_size=2),
                **scaling.NETWORKS}
    one = rec[(rec.implementation == "dp_gloo_w1_t1") & (rec.work != "allreduce")]
    shard_s = {name: {int(r.B): r.median_ms / 1e3 for r in one[one.sweep == name].itertuples()} for name in SHAPES}
    grad_bytes = {name: 4 * n_params(D, H) for name, (_, _, D, H) in SHAPES.items()}
    return networks, shard_s, grad_bytes


def weak_scaling_at(rec, workers: int = 16, shape: str = "large") -> dict:
    """The modelled weak-scaling point: epoch time with ``workers`` times the data on as many workers.

    Returns {"ratio": that time over one worker's epoch on the original data (loopback network), "slope":
    its log-log slope against the data size, log(ratio) / log(workers), "workers", "shape"}. One worker on
    the grown data would take ``workers`` times as long (slope 1).
    """
    from ..parallel import scaling

    if workers < 2:
        raise ValueError(f"workers must be >= 2 to grow the data; got {workers}")
    networks, shard_s, grad_bytes = scaling_inputs(rec)
    batch = SHAPES[shape][1]
    ratio = float(scaling.weak_scaling(shard_s[shape], batch, grad_bytes[shape], [workers],
                                       *networks["loopback (fitted)"])[0])
    return {"ratio": ratio, "slope": math.log(ratio) / math.log(workers), "workers": workers, "shape": shape}


def record(out=None, repeats: int = REPEATS, log=print) -> Path:
    """Launch every configuration of :data:`CONFIGS` and write all their rows to ``out`` (the CSV)."""
    import tempfile

    from ..parallel.distributed import launch
    from .records import CSV_FIELDS

    out = Path(out) if out else default_out()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for W, threads in CONFIGS:
            part = Path(tmp) / f"w{W}t{threads}.jsonl"
            args = ["worker", "--threads", threads, "--out", part, "--repeats", repeats]
            args += ["--shards"] if (W, threads) == (1, 1) else []
            args += ["--reduces"] if W == 2 else []
            log(f"W={W} rank(s) x {threads} thread(s) ...")
            rc, text = launch(W, *args, threads=threads, env=MALLOC, timeout=1800, module="rnnlab.bench.data_parallel")
            if rc != 0:
                raise RuntimeError(f"the timing job W={W}, threads={threads} failed (exit {rc}):\n{text[-3000:]}")
            rows += [json.loads(line) for line in part.read_text().splitlines()]
    import csv

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
    log(f"wrote {len(rows)} rows to {out}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnnlab.bench.data_parallel", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd")
    rec = sub.add_parser("record", help="launch every configuration and write the CSV (the default)")
    rec.add_argument("--out", help="the CSV (default data/benchmarks/data-parallel/<machine>.csv)")
    rec.add_argument("--repeats", type=int, default=REPEATS, help="timed steps at the large shape (x5 at the airline)")
    wk = sub.add_parser("worker", help="one rank of a timing job (run under torchrun)")
    wk.add_argument("--threads", type=int, default=1)
    wk.add_argument("--out", required=True)
    wk.add_argument("--repeats", type=int, default=REPEATS)
    wk.add_argument("--shards", action="store_true")
    wk.add_argument("--reduces", action="store_true")
    args = p.parse_args(argv)
    if args.cmd == "worker":
        worker(args.threads, args.out, args.repeats, args.shards, args.reduces)
    else:
        record(getattr(args, "out", None), getattr(args, "repeats", REPEATS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
