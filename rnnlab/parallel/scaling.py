"""A scaling model of synchronous data parallelism: measured shard compute plus an all-reduce of latency and bandwidth.

One step on W workers takes ``compute(shard) + allreduce(W)``: the shard's time comes from measurements
(interpolated between measured shard sizes), the all-reduce's from the ring model
``latency + 2 (W - 1) / W x bytes / bandwidth`` (zero for one worker). Strong scaling keeps the batch B and
splits it W ways; weak scaling keeps the shard and grows the batch and the data with W. Notebook 13 fits the
loopback network to the recorded all-reduce times and compares it with two assumed networks.
"""
from __future__ import annotations

import math

import numpy as np

# Assumed networks beside the fitted loopback: (latency in s, bandwidth in bytes/s), both per all-reduce.
NETWORKS = {"10 Gb/s Ethernet": (50e-6, 10e9 / 8), "100 Gb/s InfiniBand": (5e-6, 100e9 / 8)}


def allreduce_seconds(nbytes, world_size, latency, bandwidth):
    """Ring all-reduce time of ``nbytes`` on ``world_size`` workers: latency + 2(W-1)/W * bytes / bandwidth."""
    W = np.asarray(world_size, dtype=np.float64)
    if np.any(W < 1) or latency < 0 or bandwidth <= 0:
        raise ValueError(f"need world_size >= 1, latency >= 0, bandwidth > 0; got {world_size}, {latency}, "
                         f"{bandwidth}")
    t = latency + 2 * (W - 1) / W * np.asarray(nbytes, dtype=np.float64) / bandwidth
    return np.where(W == 1, 0.0, t)


def fit_allreduce(nbytes, seconds, world_size: int = 2) -> tuple[float, float]:
    """(latency s, bandwidth bytes/s) of the ring model fitted (least squares) to all-reduce times of W workers."""
    x, y = np.asarray(nbytes, dtype=np.float64), np.asarray(seconds, dtype=np.float64)
    if x.shape != y.shape or x.size < 2 or world_size < 2:
        raise ValueError(f"need two or more (bytes, seconds) pairs of the same shape and world_size >= 2; "
                         f"got {x.shape}, {y.shape}, world_size {world_size}")
    slope, intercept = np.polyfit(x, y, 1)
    if slope <= 0:
        raise ValueError(f"the all-reduce times do not grow with the size (slope {slope:.3g} s/byte)")
    return max(float(intercept), 0.0), 2 * (world_size - 1) / world_size / float(slope)


def shard_seconds(measured: dict, b):
    """Compute time of a shard of ``b`` samples, interpolated linearly between measured {shard size: seconds}."""
    sizes = np.array(sorted(measured), dtype=np.float64)
    times = np.array([measured[k] for k in sorted(measured)], dtype=np.float64)
    if sizes.size < 2:
        raise ValueError(f"measured needs two or more shard sizes; got {sorted(measured)}")
    b = np.asarray(b, dtype=np.float64)
    if np.any(b < sizes[0]) or np.any(b > sizes[-1]):
        raise ValueError(f"shard sizes {b} outside the measured range {sizes[0]:g}..{sizes[-1]:g}")
    return np.interp(b, sizes, times)


def strong_scaling(measured: dict, batch: int, nbytes: int, worlds, latency: float, bandwidth: float):
    """Speed-up of a step of the fixed batch ``batch`` on W workers over one: t(B) / (t(ceil(B/W)) + reduce(W))."""
    worlds = np.asarray(worlds)
    shards = np.array([math.ceil(batch / w) for w in worlds])
    step = shard_seconds(measured, shards) + allreduce_seconds(nbytes, worlds, latency, bandwidth)
    return shard_seconds(measured, batch) / step


def weak_scaling(measured: dict, shard: int, nbytes: int, worlds, latency: float, bandwidth: float):
    """Epoch time on W workers with W times the data, over one worker's epoch on the original data.

    The per-worker batch stays ``shard`` (the global batch is W * shard), so each worker does the same number
    of steps; only the all-reduce grows. One worker on W times the data would take W times as long.
    """
    worlds = np.asarray(worlds)
    one = shard_seconds(measured, shard)
    return (one + allreduce_seconds(nbytes, worlds, latency, bandwidth)) / one
