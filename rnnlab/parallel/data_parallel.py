"""Synchronous data-parallel training of the course's sequence models: shards, one flat gradient buffer, a reduce.

Every rank holds the same parameters and optimiser. For each mini-batch (the order that
:func:`rnnlab.training.train.fit` uses, from the same seed on every rank) rank r takes its contiguous shard,
computes the loss and gradients of that shard with rnnlab, and writes them, weighted by ``n_r / n`` (its share
of the mini-batch), into one flat buffer. A sum all-reduce of that buffer gives every rank the gradient of the
whole mini-batch; each rank clips it (after the reduce: the global norm) and takes the same optimiser step.
So the parameters equal those of one process on the whole batch, up to rounding in the order of the sums.

The group that does the reduce is pluggable: :class:`LocalGroup` runs all W ranks in this process (for
teaching, tests and the exercise of notebook 13); ``rnnlab.parallel.distributed.TorchGroup`` is one rank of a
``torch.distributed`` job (gloo on CPU, NCCL on GPUs). ``mistake`` switches on one of the classic errors on
purpose (:data:`MISTAKES`), to see the checks fail.
"""
from __future__ import annotations

import copy
import math
import time

import numpy as np
import pandas as pd

from .._checks import check_finite
from ..backend import get_xp, tree_to_device
from ..training.optim import clip_grad_norm
from ..training.train import STRATEGIES, _make_optimizer

MISTAKES = ("clip-before-reduce", "unweighted", "rank-shuffle-seed", "rank-init-seed")
HISTORY_COLUMNS = ["epoch", "loss", "seconds", "reduce_seconds"]


def shard_bounds(n: int, world_size: int, rank: int) -> tuple[int, int]:
    """(lo, hi) of rank's contiguous shard of n samples: sizes differ by at most one, the first n % W get one more.

    With n < world_size the last ranks get empty shards (lo == hi); that is allowed.
    """
    if int(world_size) != world_size or world_size < 1:
        raise ValueError(f"world_size must be a positive integer; got {world_size!r}")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in 0..{world_size - 1} (world_size {world_size}); got {rank!r}")
    base, extra = divmod(int(n), int(world_size))
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def shard_weight(n_shard: int, n_batch: int, world_size: int) -> float:
    """The weight of a shard's mean gradient in the batch's mean gradient: its share of the batch, n_r / n."""
    return n_shard / n_batch


def batch_order(N: int, strategy: str, batch_size: int, epochs: int, seed):
    """Yield (epoch, indices of one mini-batch), in exactly the order :func:`rnnlab.training.train.fit` uses."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}; got {strategy!r}")
    size = {"batch": N, "minibatch": min(int(batch_size), N), "sgd": 1}[strategy]
    rng = np.random.default_rng(seed)
    for epoch in range(1, int(epochs) + 1):
        order = np.arange(N) if strategy == "batch" else rng.permutation(N)
        for lo in range(0, N, size):
            yield epoch, order[lo : lo + size]


def checksum(params: dict) -> np.ndarray:
    """A cheap fingerprint of the parameters: [sum of entries, sum of squares], float64, on the host."""
    s = sum(float(p.sum(dtype="float64")) for p in params.values())
    q = sum(float((p.astype("float64") ** 2).sum()) for p in params.values())
    return np.array([s, q], dtype=np.float64)


class FlatBuffer:
    """One flat array for every gradient and the loss: one all-reduce per step instead of one per array.

    ``grads`` maps each key to a view into ``buffer`` (no copies); the last entry holds the weighted loss.
    """

    def __init__(self, params: dict):
        xp = get_xp(*params.values())
        dtype = next(iter(params.values())).dtype
        sizes = [int(np.prod(p.shape)) for p in params.values()]
        self.buffer = xp.zeros(sum(sizes) + 1, dtype=dtype)
        self.grads, start = {}, 0
        for (k, p), size in zip(params.items(), sizes):
            self.grads[k] = self.buffer[start : start + size].reshape(p.shape)
            start += size

    @property
    def loss(self) -> float:
        return float(self.buffer[-1])

    @property
    def nbytes(self) -> int:
        return int(self.buffer.nbytes)


class Replica:
    """One rank's state: its parameters, optimiser and flat buffer; ``contribute`` before, ``step`` after the reduce."""

    def __init__(self, model, params, rank, world_size, *, optimizer="adam", lr=1e-2, momentum=0.0, clip=1.0,
                 seed=0, mistake=None, strategy="batch", batch_size=16, epochs=1, N=None, weight=None):
        if mistake is not None and mistake not in MISTAKES:
            raise ValueError(f"mistake must be None or one of {MISTAKES}; got {mistake!r}")
        if clip is not None and not clip > 0:
            raise ValueError(f"clip must be positive or None; got {clip!r}")
        self.model, self.rank, self.world_size, self.clip, self.mistake = model, rank, world_size, clip, mistake
        self.weight = shard_weight if weight is None else weight
        if mistake == "rank-init-seed" and rank > 0:  # every rank draws its own initial weights
            other = copy.copy(model)
            other.seed = int(model.seed) + 1000 * rank
            params = other.init_params()
        xp = get_xp(*params.values())
        self.xp = xp
        self.params = {k: xp.array(v, copy=True) for k, v in params.items()}  # never train the caller's arrays
        self.opt = _make_optimizer(optimizer, lr, momentum)
        self.flat = FlatBuffer(self.params)
        shuffle_seed = [seed, rank] if mistake == "rank-shuffle-seed" else seed
        self.batches = batch_order(N, strategy, batch_size, epochs, shuffle_seed)

    def contribute(self, X, Y, idx) -> int:
        """Write this rank's weighted shard gradient and loss into the flat buffer; returns the shard's size."""
        lo, hi = shard_bounds(len(idx), self.world_size, self.rank)
        mine, buf = idx[lo:hi], self.flat.buffer
        if len(mine) == 0:  # an empty shard adds nothing, with weight 0
            buf[...] = 0
            return 0
        on_device = self.xp.asarray(mine)
        try:
            loss, grads = self.model.loss_and_grads(self.params, X[:, on_device], Y[on_device])
        except ValueError as err:  # overflow inside the layers: let the reduce tell every rank, not this one only
            if "NaN or inf" not in str(err):
                raise
            buf[...] = float("nan")
            return len(mine)
        if self.mistake == "clip-before-reduce" and self.clip is not None:
            clip_grad_norm(grads, self.clip)  # wrong: a shard's norm is not the batch's
        weight = (1.0 / self.world_size if self.mistake == "unweighted"
                  else self.weight(len(mine), len(idx), self.world_size))
        for k, view in self.flat.grads.items():
            self.xp.multiply(grads[k], weight, out=view)
        buf[-1] = loss * weight  # a NaN here reaches every rank through the reduce: all stop together
        return len(mine)

    def step(self) -> None:
        """Clip the reduced gradient's global norm (unless clipped before) and take the optimiser's step."""
        if self.clip is not None and self.mistake != "clip-before-reduce":
            clip_grad_norm(self.flat.grads, self.clip)
        self.opt.step(self.params, self.flat.grads)


class LocalGroup:
    """All W ranks in one process, in lockstep: the all-reduce is a sum in rank order (for teaching and tests)."""

    def __init__(self, world_size: int):
        shard_bounds(0, world_size, 0)  # checks world_size
        self.world_size, self.ranks, self.is_main = int(world_size), list(range(int(world_size))), True

    def all_reduce(self, buffers: list) -> None:
        total = buffers[0].copy()
        for b in buffers[1:]:
            total += b
        for b in buffers:
            b[...] = total

    def gather(self, vectors: list) -> np.ndarray:
        return np.stack(vectors)


def _check_same(group, replicas, step: int) -> None:
    sums = group.gather([checksum(r.params) for r in replicas])
    if not (sums == sums[0]).all():
        bad = [r for r in range(len(sums)) if not (sums[r] == sums[0]).all()]
        raise RuntimeError(f"the ranks' parameters differ after step {step}: ranks {bad} disagree with rank 0 "
                           f"(checksums [sum, sum of squares] per rank: {sums.tolist()})")


def train(model, params, X, Y, *, group, strategy="batch", batch_size=16, epochs=1, optimizer="adam", lr=1e-2,
          momentum=0.0, clip=1.0, seed=0, checksum_every=10, mistake=None, progress=False, device="cpu",
          weight=None):
    """Data-parallel training of ``model`` from ``params`` on X (T, N, D), Y (N, K) over the ranks of ``group``.

    The arguments after ``group`` mean what they mean for :func:`rnnlab.training.train.fit`; the result of
    a correct run equals ``fit``'s on the same arguments. ``checksum_every``: compare the ranks' parameter
    checksums every so many steps and at the end (RuntimeError when they differ; 0 only at the end).
    ``weight(n_shard, n_batch, world_size)``: the factor of a shard's gradient (default :func:`shard_weight`;
    the exercise of notebook 13 swaps its own in).
    Returns (params of this process's first rank as NumPy arrays, history DataFrame with one row per epoch:
    epoch, loss (the epoch's mean training loss, as ``fit``), seconds, reduce_seconds (time in the reduce)).
    """
    if getattr(X, "ndim", None) != 3 or getattr(Y, "ndim", None) not in (1, 2) or Y.shape[0] != X.shape[1]:
        raise ValueError(f"X must be (T, N, D) and Y (N, K) or (N,) with the same N; got X {tuple(X.shape)}, "
                         f"Y {tuple(getattr(Y, 'shape', ()))}")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer; got {epochs!r}")
    if int(checksum_every) != checksum_every or checksum_every < 0:
        raise ValueError(f"checksum_every must be a non-negative integer; got {checksum_every!r}")
    check_finite(X, "X")  # on every rank, before any reduce: all ranks stop, none waits for the others
    check_finite(Y, "Y")
    params = tree_to_device(params, device)
    xp = get_xp(*params.values())
    X, Y = xp.asarray(X), xp.asarray(Y)
    N = X.shape[1]
    replicas = [Replica(model, params, r, group.world_size, optimizer=optimizer, lr=lr, momentum=momentum,
                        clip=clip, seed=seed, mistake=mistake, strategy=strategy, batch_size=batch_size,
                        epochs=epochs, N=N, weight=weight) for r in group.ranks]
    bar = None
    if progress and group.is_main:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(epochs), desc=f"data-parallel x{group.world_size}", unit="epoch")
    rows, step, current = [], 0, None
    total = reduce_s = 0.0
    start = time.perf_counter()
    try:
        while True:
            items = [next(r.batches, None) for r in replicas]
            epoch = None if items[0] is None else items[0][0]
            if epoch != current and current is not None:  # an epoch ended: record it
                rows.append((current, total / N, time.perf_counter() - start, reduce_s))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{total / N:.4g}")
                total = reduce_s = 0.0
                start = time.perf_counter()
            if epoch is None:
                break
            current = epoch
            for r, (_, idx) in zip(replicas, items):
                r.contribute(X, Y, idx)
            t0 = time.perf_counter()
            group.all_reduce([r.flat.buffer for r in replicas])
            reduce_s += time.perf_counter() - t0
            loss = replicas[0].flat.loss
            if not math.isfinite(loss):
                raise FloatingPointError(f"training diverged: loss {loss} at epoch {epoch}; lower lr (now {lr})")
            for r in replicas:
                r.step()
            step += 1
            total += loss * len(items[0][1])
            if checksum_every and step % checksum_every == 0:
                _check_same(group, replicas, step)
        _check_same(group, replicas, step)
    finally:
        if bar is not None:
            bar.close()
    return {k: np.asarray(v.get() if hasattr(v, "get") else v) for k, v in replicas[0].params.items()}, \
        pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def simulate(model, params, X, Y, world_size: int, **options):
    """:func:`train` with all ``world_size`` ranks in this process (:class:`LocalGroup`); same arguments."""
    return train(model, params, X, Y, group=LocalGroup(world_size), **options)


def max_difference(a: dict, b: dict) -> float:
    """Largest absolute difference between two params dicts with the same keys and shapes."""
    if a.keys() != b.keys():
        raise ValueError(f"params keys differ: {sorted(a)} and {sorted(b)}")
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)
