"""Data-parallel training across processes and machines with torch.distributed: one rank per process, under torchrun.

Run it with ``torchrun --standalone --nproc-per-node=2 -m rnnlab.parallel.distributed --check`` (or
``python -m torch.distributed.run ...``, the same launcher): every rank trains the airline model on its shard
of each mini-batch (:mod:`rnnlab.parallel.data_parallel`) and rank 0 compares the result with one process
(:func:`rnnlab.training.train.fit`) and exits non-zero when they differ by more than 1e-12 (float64).
Without ``--check`` it trains and rank 0 writes the history (``--history``). CPU ranks reduce with gloo over
TCP; ``--device gpu`` uses NCCL, one GPU per rank, the CuPy buffer handed to torch through DLPack. Across
machines: ``torchrun --nnodes=2 --nproc-per-node=... --rdzv-backend=c10d --rdzv-endpoint=HOST:PORT``.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pandas as pd

from . import data_parallel as dp

TOLERANCE = 1e-12
CHECK_CASES = (
    dict(name="SGD+momentum, one batch of 131", n=131, strategy="batch", epochs=5, optimizer="sgd",
         lr=0.1, momentum=0.9),
    dict(name="Adam, batches of 32 (last 4)", n=132, strategy="minibatch", batch_size=32,
         epochs=2, optimizer="adam", lr=1e-2),
    dict(name="Adam, batches of 2 on 7", n=7, strategy="minibatch", batch_size=2,
         epochs=3, optimizer="adam", lr=1e-2),
)


def set_threads(n: int) -> None:
    """One BLAS and torch thread count for this process: torchrun sets OMP_NUM_THREADS=1 only for W > 1."""
    from ..bench.machine import set_blas_threads

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(int(n))
    set_blas_threads(n)
    import torch

    torch.set_num_threads(int(n))


def airline_problem(n: int = 132, hidden: int = 32, dtype=np.float64, seed: int = 0):
    """The airline model and data of the checks: (model, params, X (12, n, 1), Y (n, 1)).

    Log passengers, standardised, cut into 12-month windows with the next month as target (132 windows).
    """
    from ..data import StandardScaler, load_airline_passengers, make_windows
    from ..training.models import SequenceRegressor
    from ..training.train import to_time_major

    log_y = np.log(load_airline_passengers().to_numpy(dtype=np.float64))
    X, Y = make_windows(StandardScaler().fit_transform(log_y), 12, 1)
    if not 1 <= n <= len(X):
        raise ValueError(f"n must be in 1..{len(X)} (the airline windows); got {n}")
    model = SequenceRegressor(1, hidden, 1, seed=seed, dtype=dtype)
    return model, model.init_params(), to_time_major(X[:n]).astype(dtype), Y[:n].astype(dtype)


class TorchGroup:
    """This process's rank of a torch.distributed job, with :class:`~rnnlab.parallel.data_parallel.LocalGroup`'s interface.

    ``size``: use only the first ``size`` ranks of the job (a sub-group; every rank must create it, and those
    outside it get ``member`` False), so that one job can check W = 1, 2 and 3.
    """

    def __init__(self, device: str = "cpu", size: int | None = None):
        import torch.distributed as dist

        self.dist, self.device, self.pg = dist, device, None
        world = dist.get_world_size()
        if size is not None and not 1 <= size <= world:
            raise ValueError(f"size must be in 1..{world} (the job's world size); got {size}")
        if size is not None and size < world:
            self.pg = dist.new_group(list(range(size)))
        self.member = size is None or dist.get_rank() < size
        self.world_size = world if size is None else size
        self.rank = dist.get_rank()
        self.ranks, self.is_main = [self.rank], self.rank == 0

    def _tensor(self, a):
        import torch

        # No copy either way: a NumPy buffer is shared by from_numpy, a CuPy one through DLPack.
        return torch.from_numpy(a) if isinstance(a, np.ndarray) else torch.from_dlpack(a)

    def all_reduce(self, buffers: list) -> None:
        self.dist.all_reduce(self._tensor(buffers[0]), op=self.dist.ReduceOp.SUM, group=self.pg)

    def gather(self, vectors: list):
        import torch

        mine = torch.from_numpy(vectors[0])
        if self.device == "gpu":
            mine = mine.cuda()
        out = [torch.empty_like(mine) for _ in range(self.world_size)]
        self.dist.all_gather(out, mine, group=self.pg)
        return np.stack([o.cpu().numpy() for o in out])


class FaultyGroup(TorchGroup):
    """A TorchGroup whose rank ``fail_rank`` dies (exit code 3) in its ``fail_step``-th reduce: tests a crash."""

    def __init__(self, device, fail_rank, fail_step, size=None):
        super().__init__(device, size)
        self.fail_rank, self.fail_step, self.calls = fail_rank, fail_step, 0

    def all_reduce(self, buffers):
        self.calls += 1
        if self.rank == self.fail_rank and self.calls == self.fail_step:
            print(f"rank {self.rank}: dying on purpose in reduce {self.calls}", flush=True)
            os._exit(3)
        super().all_reduce(buffers)


def init(device: str = "cpu", timeout_s: float = 60.0) -> str:
    """Join the job torchrun started (gloo on CPU, NCCL on GPU); returns the backend's name.

    A collective that waits longer than ``timeout_s`` (a rank died or hangs) raises instead of hanging.
    """
    import torch
    import torch.distributed as dist

    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        raise RuntimeError("no torch.distributed job here (RANK and WORLD_SIZE are unset): launch this with "
                           "torchrun --standalone --nproc-per-node=W -m rnnlab.parallel.distributed")
    if device == "gpu":
        local_rank, local_size = int(os.environ.get("LOCAL_RANK", 0)), int(os.environ.get("LOCAL_WORLD_SIZE", 1))
        if torch.cuda.device_count() < local_size:
            raise RuntimeError(f"device='gpu' needs one CUDA GPU per rank: {local_size} ranks on this machine, "
                               f"torch sees {torch.cuda.device_count()} GPU(s)")
        import cupy

        cupy.cuda.Device(local_rank).use()
        torch.cuda.set_device(local_rank)
        from ..backend import require_gpu

        require_gpu("the NCCL data-parallel path (--device gpu)")
    elif device != "cpu":
        raise ValueError(f"device must be 'cpu' or 'gpu'; got {device!r}")
    backend = "nccl" if device == "gpu" else "gloo"
    dist.init_process_group(backend, timeout=timedelta(seconds=float(timeout_s)))
    return backend


def run_checks(make_group, sizes, device="cpu", mistake=None, clip=0.5, checksum_every=5, cases=CHECK_CASES,
               log=print):
    """Every case of ``cases`` data-parallel on ``make_group(W)`` for W in ``sizes``, against one process on rank 0.

    Returns True when every case on every W is within :data:`TOLERANCE` (on rank 0; True on the others).
    """
    from ..training.train import fit

    ok = True
    for size in sizes:
        group = make_group(size)
        if not group.member:
            continue
        for case in cases:
            case = dict(case)
            name, n = case.pop("name"), case.pop("n")
            model, params, X, Y = airline_problem(n)
            got, _ = dp.train(model, params, X, Y, group=group, clip=clip, checksum_every=checksum_every,
                              mistake=mistake, device=device, **case)
            if not group.is_main:
                continue
            want, _ = fit(model, params, X, Y, clip=clip, progress=False, **case)
            diff = dp.max_difference(got, want)
            first = min(n, case.get("batch_size", n)) if case["strategy"] != "batch" else n
            shards = "+".join(str(hi - lo) for lo, hi in (dp.shard_bounds(first, size, r) for r in range(size)))
            ok &= diff <= TOLERANCE
            log(f"W={size}  {name:<30} shards {shards:<9} max |diff| {diff:.1e}  "
                f"{'equal' if diff <= TOLERANCE else 'DIFFERENT'}")
    return ok


def launch(world_size: int, *args, timeout: float = 120.0, threads: int = 1, env=None, module=__name__):
    """Run ``python -m torch.distributed.run --standalone --nproc-per-node=W -m module args`` and wait for it.

    For notebooks and tests: ``elastic_launch`` of a function defined in a notebook cannot unpickle it, so
    the job is a subprocess. Returns (exit code, stdout and stderr together). After ``timeout`` seconds the
    launcher and its workers are killed (their own process group) and the exit code is -9.
    """
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={int(world_size)}",
           "-m", module, *map(str, args)]
    child_env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
                 "MKL_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return -9, out + f"\n[killed after {timeout} s]"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="torchrun --standalone --nproc-per-node=W -m rnnlab.parallel.distributed",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="compare with one process; exit 1 above 1e-12")
    p.add_argument("--sizes", help="with --check: the world sizes to check, e.g. 1,2,3 (sub-groups of this job; "
                   "default: the job's world size)")
    p.add_argument("--mistake", choices=dp.MISTAKES, help="make one classic error on purpose")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--threads", type=int, default=1, help="BLAS and torch threads per rank (default 1)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds a collective may wait for a rank")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--strategy", choices=("batch", "minibatch", "sgd"), default="minibatch")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--history", help="rank 0 writes the history CSV here")
    p.add_argument("--progress", action="store_true", help="a progress bar on rank 0")
    p.add_argument("--fail-rank", type=int, help="for tests: this rank dies ...")
    p.add_argument("--fail-step", type=int, default=1, help="... in this reduce (1 = the first)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    set_threads(args.threads)
    backend = init(args.device, args.timeout)

    def make_group(size=None):
        if args.fail_rank is None:
            return TorchGroup(args.device, size)
        return FaultyGroup(args.device, args.fail_rank, args.fail_step, size)

    group = make_group()
    log = print if group.is_main else (lambda *a, **k: None)
    log(f"{group.world_size} rank(s), backend {backend}, {args.threads} thread(s) each"
        + (f", mistake: {args.mistake}" if args.mistake else ""))
    try:
        if args.check:
            sizes = [int(w) for w in args.sizes.split(",")] if args.sizes else [group.world_size]
            ok = run_checks(make_group, sizes, args.device, args.mistake, log=log)
            log(f"check passed: data-parallel equals one process to {TOLERANCE:g}" if ok else "check FAILED")
            return 0 if ok else 1
        model, params, X, Y = airline_problem()
        _, hist = dp.train(model, params, X, Y, group=group, strategy=args.strategy, batch_size=args.batch_size,
                           epochs=args.epochs, mistake=args.mistake, progress=args.progress, device=args.device)
        if group.is_main:
            if args.history:
                pd.DataFrame(hist).to_csv(args.history, index=False)
            log(f"trained {args.epochs} epochs: loss {hist.loss.iloc[0]:.4g} -> {hist.loss.iloc[-1]:.4g}")
        return 0
    finally:
        group.dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
