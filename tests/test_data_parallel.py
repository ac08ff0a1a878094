"""Data-parallel training equals one process: in-process ranks (fast) and real torch.distributed jobs (torchrun).

The airline model in float64, SGD and Adam, batches that 2 and 3 do not divide and batches smaller than the
world (empty shards). Every launched job runs in a subprocess with a time limit, so a hang fails, never blocks.
"""
import re

import numpy as np
import pandas as pd
import pytest
import torch

from rnnlab.parallel import data_parallel as dp
from rnnlab.parallel import distributed
from rnnlab.training.train import fit

CLIP = 0.5


def run_case(case, world_size=None, **extra):
    case = dict(case)
    case.pop("name")
    model, params, X, Y = distributed.airline_problem(case.pop("n"))
    want, _ = fit(model, params, X, Y, clip=CLIP, progress=False, **case)
    if world_size is None:
        return want
    got, hist = dp.simulate(model, params, X, Y, world_size, clip=CLIP, checksum_every=2, **case, **extra)
    return dp.max_difference(got, want), hist


@pytest.mark.parametrize("n", [0, 1, 2, 5, 131, 132])
@pytest.mark.parametrize("world_size", [1, 2, 3, 7])
def test_shards_cover_the_batch_once_and_differ_by_at_most_one(n, world_size):
    bounds = [dp.shard_bounds(n, world_size, r) for r in range(world_size)]
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [hi - lo for lo, hi in bounds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 0


def test_bad_world_size_or_rank_is_refused():
    with pytest.raises(ValueError, match="world_size"):
        dp.shard_bounds(10, 0, 0)
    with pytest.raises(ValueError, match="rank"):
        dp.shard_bounds(10, 2, 2)
    with pytest.raises(ValueError, match="mistake"):
        run_case(distributed.CHECK_CASES[0], 2, mistake="typo")
    model, params, X, Y = distributed.airline_problem(8)
    with pytest.raises(ValueError, match="X must be"):
        dp.simulate(model, params, X, Y[:5], 2)


@pytest.mark.parametrize("case", distributed.CHECK_CASES, ids=["sgd-131", "adam-32-last-4", "adam-2-on-7-empty"])
@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
def test_in_process_ranks_equal_one_process(case, world_size):
    diff, hist = run_case(case, world_size)
    assert diff <= distributed.TOLERANCE, diff
    assert len(hist) == case["epochs"] and np.isfinite(hist.loss).all()


def test_the_history_loss_is_the_one_process_loss():
    case = dict(distributed.CHECK_CASES[1])
    case.pop("name")
    model, params, X, Y = distributed.airline_problem(case.pop("n"))
    _, want = fit(model, params, X, Y, clip=CLIP, progress=False, **case)
    _, got = dp.simulate(model, params, X, Y, 3, clip=CLIP, **case)
    np.testing.assert_allclose(got.loss, want.loss, rtol=1e-12)


@pytest.mark.parametrize("mistake,case", [("clip-before-reduce", 0), ("unweighted", 0), ("unweighted", 2),
                                          ("rank-shuffle-seed", 1)])
def test_each_classic_mistake_breaks_the_equality(mistake, case):
    diff, _ = run_case(distributed.CHECK_CASES[case], 3, mistake=mistake)
    assert diff > 1e-6, (mistake, diff)


def test_different_initial_weights_per_rank_are_caught_by_the_checksum():
    with pytest.raises(RuntimeError, match="ranks' parameters differ after step 2: ranks \\[1, 2\\]"):
        run_case(distributed.CHECK_CASES[0], 3, mistake="rank-init-seed")


def test_one_flat_buffer_holds_every_gradient_and_torch_shares_it():
    model, params, _, _ = distributed.airline_problem(4)
    flat = dp.FlatBuffer(params)
    assert flat.buffer.size == sum(p.size for p in params.values()) + 1
    assert all(np.shares_memory(view, flat.buffer) for view in flat.grads.values())
    tensor = torch.from_numpy(flat.buffer)  # what TorchGroup hands to dist.all_reduce: no copy
    tensor += 1.0
    assert all((view == 1.0).all() for view in flat.grads.values()) and flat.loss == 1.0


def test_a_gpu_job_without_a_gpu_fails_with_a_clear_error(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(RuntimeError, match="launch this with torchrun"):
        distributed.init("cpu")
    if torch.cuda.device_count() >= 64:
        pytest.skip("this machine has 64 GPUs")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "64")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "64")
    with pytest.raises(RuntimeError, match="one CUDA GPU per rank: 64 ranks"):
        distributed.init("gpu")


def equal_lines(out):
    return re.findall(r"^W=(\d) .* equal$", out, flags=re.M)


@pytest.mark.slow
def test_torchrun_jobs_of_1_2_and_3_ranks_equal_one_process():
    rc, out = distributed.launch(3, "--check", "--sizes", "1,2,3", timeout=240)
    assert rc == 0, out
    assert equal_lines(out) == ["1"] * 3 + ["2"] * 3 + ["3"] * 3, out
    assert "shards 44+44+43" in out and "shards 1+1+0" in out, out
    assert "check passed" in out


@pytest.mark.slow
def test_torchrun_check_exits_non_zero_when_the_equality_is_broken():
    rc, out = distributed.launch(2, "--check", "--mistake", "clip-before-reduce", timeout=240)
    assert rc != 0, out
    assert "DIFFERENT" in out and "check FAILED" in out, out


@pytest.mark.slow
def test_a_rank_that_dies_stops_the_job_with_a_message_instead_of_a_hang():
    rc, out = distributed.launch(2, "--epochs", "3", "--fail-rank", "1", "--fail-step", "2", "--timeout", "20",
                                 timeout=180)
    assert rc not in (0, -9), out  # -9: it hung until launch() killed it
    assert "rank 1: dying on purpose in reduce 2" in out and "exitcode" in out, out


@pytest.mark.gpu
def test_a_one_rank_nccl_job_on_one_gpu_equals_one_process():
    rc, out = distributed.launch(1, "--check", "--device", "gpu", timeout=300)
    assert rc == 0 and "backend nccl" in out and len(equal_lines(out)) == 3, out


@pytest.mark.gpu(devices=2)
def test_a_two_rank_nccl_job_on_two_gpus_equals_one_process():
    rc, out = distributed.launch(2, "--check", "--device", "gpu", timeout=300)
    assert rc == 0 and "backend nccl" in out and equal_lines(out) == ["2"] * 3, out


def test_a_weight_function_of_ones_own_replaces_the_shares():
    assert dp.shard_weight(44, 131, 3) == 44 / 131
    diff, _ = run_case(distributed.CHECK_CASES[0], 3, weight=lambda n, N, W: n / N)
    assert diff <= distributed.TOLERANCE
    diff, _ = run_case(distributed.CHECK_CASES[0], 3, weight=lambda n, N, W: 1 / W)
    assert diff > 1e-6


def test_the_scaling_model():
    from rnnlab.parallel import scaling

    assert scaling.allreduce_seconds(1e6, 1, 1e-4, 1e9) == 0.0
    np.testing.assert_allclose(scaling.allreduce_seconds(1e6, [2, 4], 1e-4, 1e9), [1e-4 + 1e-3, 1e-4 + 1.5e-3])
    sizes = np.array([1e3, 1e5, 1e7])
    latency, bandwidth = scaling.fit_allreduce(sizes, scaling.allreduce_seconds(sizes, 2, 2e-4, 3e9), 2)
    assert latency == pytest.approx(2e-4) and bandwidth == pytest.approx(3e9)
    measured = {4: 0.1, 8: 0.15, 16: 0.3, 32: 0.55, 64: 1.0}
    strong = scaling.strong_scaling(measured, 64, 8e6, [1, 2, 16], 0.0, 1e18)
    np.testing.assert_allclose(strong, [1.0, 1 / 0.55, 10.0])
    weak = scaling.weak_scaling(measured, 64, 8e6, [1, 16], 1e-3, 1e9)
    np.testing.assert_allclose(weak, [1.0, 1 + (1e-3 + 2 * 15 / 16 * 8e-3) / 1.0])
    with pytest.raises(ValueError, match="outside the measured range"):
        scaling.shard_seconds(measured, 2)
    with pytest.raises(ValueError, match="world_size >= 1"):
        scaling.allreduce_seconds(1e6, 0, 0.0, 1e9)


def test_bad_data_or_a_diverging_loss_stops_every_rank_with_a_clear_error():
    model, params, X, Y = distributed.airline_problem(9)
    bad = X.copy()
    bad[0, 8, 0] = np.nan  # in the last rank's shard only: every rank checks all of X first
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        dp.simulate(model, params, bad, Y, 3)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="training diverged: loss"):
        dp.simulate(model, params, X, Y, 3, optimizer="sgd", lr=1e12, clip=None, epochs=20)


@pytest.mark.slow
def test_rank_0_writes_the_history(tmp_path):
    path = tmp_path / "history.csv"
    rc, out = distributed.launch(2, "--epochs", "2", "--history", path, timeout=180)
    assert rc == 0, out
    history = pd.read_csv(path)
    assert list(history.columns) == dp.HISTORY_COLUMNS and list(history.epoch) == [1, 2]
    assert out.count("trained 2 epochs") == 1, out  # rank 0 alone reports
