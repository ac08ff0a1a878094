"""Notebook 13's exercise: the weight of a shard's gradient (reference: ``rnnlab.parallel.data_parallel``)."""
from __future__ import annotations

from ..parallel import data_parallel as dp
from ..parallel import distributed
from ..training.train import fit
from .checking import Case, ExerciseError, check_function, passed

__all__ = ["check_shard_weight"]

#: (n_shard, n_batch, world_size): equal, unequal (131 on 3 ranks), empty (4 samples on 8 ranks) shards.
SHARDS = ((16, 32, 2), (44, 131, 3), (43, 131, 3), (1, 1, 1), (0, 4, 8), (1, 4, 8), (2, 4, 2))


def check_shard_weight(student) -> None:
    """``shard_weight(n_shard, n_batch, world_size)`` on 7 shard sizes, and (the 8th case) 5 Adam steps of 3 simulated ranks
    on a batch of 131 with it, which must equal one process to 1e-12 (integer inputs: no float32 case)."""
    cases = [Case(shard, f"n_shard={shard[0]}, n_batch={shard[1]}, world_size={shard[2]}") for shard in SHARDS]
    check_function("shard_weight", student, dp.shard_weight, cases, report=False)
    case = dict(strategy="batch", epochs=5, optimizer="adam", lr=1e-2, clip=0.5)
    data = distributed.airline_problem(131)
    want, _ = fit(*data, progress=False, **case)
    got, _ = dp.simulate(*data, 3, weight=student, **case)
    diff = dp.max_difference(got, want)
    if not diff <= 1e-12:
        raise ExerciseError(f"shard_weight: 3 ranks on a batch of 131 end {diff:.1e} away from one process after "
                            "5 Adam steps (tolerance 1e-12)")
    passed("shard_weight", len(cases) + 1)
