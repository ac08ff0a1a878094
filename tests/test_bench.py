"""The benchmark harness's logic: FLOP model, timers, configs, rows and their CSV, reading results back.

Nothing here is timed: where a test needs known times it gives the timer a clock it moves itself.
"""
import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnlab import bench, lstm
from rnnlab.backend import gpu_available
from rnnlab.bench import implementations, launches, machine, plots, results, targets
from rnnlab.bench.timers import HostTimer, n_repeat

TINY = dict(warmup=1, min_repeat=5, max_repeat=5, budget_s=0.0)


def tiny_run(impls, work="train_step", **kw):
    configs = [bench.Config(work, 3, 2, 4, 5, name, sweeps=("test",)) for name in impls]
    return bench.run_benchmarks("quick", impls, configs=configs, progress=False, peak=False, log=lambda m: None,
                                **TINY, **kw)


# ---- FLOP model


class CountedArray(np.ndarray):
    """A NumPy array that adds the FLOPs of every matrix product it takes part in to ``CountedArray.flops``.

    Products through ``@``/``np.matmul`` (a ufunc) and through ``np.dot`` (an array function) both count;
    ``out=`` arrays are unwrapped too, so that in-place updates do not call back into this class.
    """

    flops = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) if isinstance(x, CountedArray) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, CountedArray) else o for o in kwargs["out"])
        if ufunc is np.matmul:
            (M, K), (_, N) = plain[0].shape, plain[1].shape
            CountedArray.flops += bench.gemm_flops(M, N, K)
        out = getattr(ufunc, method)(*plain, **kwargs)
        return out.view(CountedArray) if isinstance(out, np.ndarray) else out

    def __array_function__(self, func, types, args, kwargs):
        if func is np.dot:
            (M, K), (_, N) = args[0].shape, args[1].shape
            CountedArray.flops += bench.gemm_flops(M, N, K)
        return super().__array_function__(func, (np.ndarray,) * len(types), args, kwargs)


def counted(tree):
    if isinstance(tree, dict):
        return {k: counted(v) for k, v in tree.items()}
    if isinstance(tree, tuple):
        return tuple(counted(v) for v in tree)
    return tree.view(CountedArray)


@pytest.mark.parametrize("T,B,D,H", [(5, 3, 4, 6), (1, 1, 1, 1), (7, 2, 9, 3)])
def test_flop_model_counts_every_matrix_product_of_rnnlab_lstm(T, B, D, H):
    params = counted(lstm.init_params(D, H, seed=0, dtype=np.float64))
    X = np.random.default_rng(0).standard_normal((T, B, D))
    CountedArray.flops = 0
    _, _, cache = lstm.forward(params, counted(X))
    assert CountedArray.flops == bench.lstm_flops(T, B, D, H, "forward")
    lstm.backward(np.ones((T, B, H)), counted(cache))
    assert CountedArray.flops == bench.lstm_flops(T, B, D, H, "train_step")


def test_an_epochs_flops_are_those_of_its_minibatches():
    _, batches = bench.make_inputs(4, 32, 2, 3, np.float32, n_windows=70)  # minibatches of 32, 32 and 6
    per_batch = sum(bench.lstm_flops(4, X.shape[1], 2, 3, "train_step") for X, _ in batches)
    assert bench.lstm_flops(4, 70, 2, 3, "epoch") == per_batch == 24 * 4 * 70 * 3 * (2 + 3)


def test_flops_model_rejects_bad_input():
    with pytest.raises(ValueError, match="work must be one of"):
        bench.lstm_flops(1, 1, 1, 1, "inference")
    with pytest.raises(ValueError, match="H must be >= 1"):
        bench.lstm_flops(1, 1, 1, 0, "forward")


def test_gemm_flops():
    assert bench.gemm_flops(2, 3, 4) == 48


# ---- machine names, threads


@pytest.mark.parametrize(
    "name, expected",
    [("NVIDIA H100 80GB HBM3", "nvidia-h100-80gb-hbm3"),
     ("Intel(R) Xeon(R) CPU @ 2.20GHz", "intel-xeon-2.20ghz"),
     ("AMD EPYC", "amd-epyc")],
)
def test_sanitize(name, expected):
    assert bench.sanitize(name) == expected


def test_cpu_name_is_cpuinfos_model_name(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\n")
    assert bench.cpu_name(cpuinfo) == "AMD EPYC 7B13 64-Core Processor"


def test_machine_name_is_cpu_model_and_core_count(monkeypatch):
    monkeypatch.setattr(machine, "cpu_name", lambda: "AMD EPYC 7B13 64-Core Processor")
    monkeypatch.setattr(machine, "cpu_cores", lambda: 2)
    assert bench.machine_name() == "cpu-amd-epyc-7b13-64-core-processor-2c"
    assert bench.machine_name("NVIDIA H200") == "nvidia-h200"


def test_blas_threads_can_be_set_and_read_back():
    before = bench.blas_threads()
    if before is None:
        pytest.skip("no BLAS library found by threadpoolctl")
    other = 2 if before == 1 else 1  # a value it does not have yet, so that a setter doing nothing fails
    try:
        assert bench.set_blas_threads(other)
        assert bench.blas_threads() == other
    finally:
        bench.set_blas_threads(before)
    with pytest.raises(ValueError, match="n .BLAS threads. must be >= 1; got 0"):
        bench.set_blas_threads(0)


def test_blas_library_is_numpys_own():
    lib = bench.blas_library()
    if lib is None:
        pytest.skip("no BLAS library found by threadpoolctl")
    built_with = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # what NumPy says it was built with
    assert lib["internal_api"] in built_with["name"] and lib["version"] == built_with["version"]


# ---- timers


def test_timing_statistics():
    t = bench.Timing((5.0, 1.0, 3.0, 2.0, 4.0), "perf_counter", 1)
    assert (t.median_ms, t.min_ms, t.max_ms) == (3.0, 1.0, 5.0)
    assert t.iqr_ms == pytest.approx(2.0)
    with pytest.raises(ValueError, match="at least one time"):
        bench.Timing((), "perf_counter", 1)


def test_number_of_repeats_is_at_least_the_minimum():
    assert n_repeat(10.0, 5, 30, 1.0) == 5
    assert n_repeat(0.001, 5, 30, 1.0) == 30
    assert n_repeat(0.1, 5, 30, 1.0) == 10


class FakeClock:
    """A clock that stands still except when the work it times says how long it took."""

    def __init__(self, durations_s):
        self.now, self.durations_s = 100.0, list(durations_s)

    def __call__(self):
        return self.now

    def work(self):
        self.now += self.durations_s.pop(0)


def test_host_timer_times_each_call_after_the_warmup():
    # The last of two warm-up calls (the first pays first-call costs) estimates a call at 1 s: a budget of
    # 3.5 s fits 3 timed calls.
    clock = FakeClock([8.0, 1.0, 0.010, 0.030, 0.020])
    timing = HostTimer(clock)(clock.work, warmup=2, min_repeat=2, max_repeat=10, budget_s=3.5)
    assert timing.times_ms == pytest.approx((10.0, 30.0, 20.0))
    assert (timing.n_warmup, timing.timer, timing.median_ms) == (2, "perf_counter", pytest.approx(20.0))
    assert clock.durations_s == []


def test_side_by_side_calls_the_functions_in_turn_and_times_each_call():
    clock, order = FakeClock([]), []

    def work(name, durations_s):
        def call():
            order.append(name)
            clock.now += durations_s.pop(0)
        return call

    a, b = work("a", [9.0, 0.5, 0.010, 0.011, 0.012]), work("b", [9.0, 0.5, 0.020, 0.021, 0.022])
    # The first warm-up round pays first-call costs (18 s); the last one, 1 s, estimates a round: a budget
    # of 1.5 s for each of the two fits 3 rounds.
    ta, tb = HostTimer(clock).side_by_side([a, b], warmup=2, min_repeat=2, max_repeat=10, budget_s=1.5)
    assert order == ["a", "b"] * 5
    assert ta.times_ms == pytest.approx((10.0, 11.0, 12.0)) and tb.times_ms == pytest.approx((20.0, 21.0, 22.0))
    assert ta.timer == tb.timer == "perf_counter, side by side (2 functions called in turn)" and ta.n_warmup == 2
    with pytest.raises(ValueError, match="need warmup >= 1"):
        HostTimer(clock).side_by_side([a, b], warmup=0)


def test_timers_reject_a_bad_method():
    for bad in (dict(warmup=0), dict(min_repeat=0), dict(min_repeat=5, max_repeat=4), dict(budget_s=-1.0)):
        with pytest.raises(ValueError, match="need warmup >= 1, 1 <= min_repeat <= max_repeat"):
            bench.time_cpu(lambda: None, **bad)


# ---- configs


def test_the_compared_cpu_implementations_are_grouped_by_shape_in_measuring_order():
    from rnnlab.bench.run import side_by_side_groups

    a, b = (3, 2, 4, 5), (3, 8, 4, 5)
    configs = [bench.Config("train_step", *a, "sequential"), bench.Config("train_step", *a, "numpy"),
               bench.Config("train_step", *b, "numpy"), bench.Config("forward", *a, "numpy"),
               bench.Config("train_step", *a, "torch_cpu"), bench.Config("train_step", *a, "cupy_fused"),
               bench.Config("train_step", *a, "torch_gpu"), bench.Config("train_step", *b, "torch_cpu")]
    groups = [[(c.impl, c.work, c.B) for c in g] for g in side_by_side_groups(configs)]
    assert groups == [[("sequential", "train_step", 2)],
                      [("numpy", "train_step", 2), ("torch_cpu", "train_step", 2)],
                      [("numpy", "train_step", 8), ("torch_cpu", "train_step", 8)],
                      [("numpy", "forward", 2)], [("cupy_fused", "train_step", 2)], [("torch_gpu", "train_step", 2)]]


def test_config_needs_a_shape_and_an_implementation_and_checks_them():
    c = bench.Config("forward", 3, 2, 4, 5, "numpy")
    assert (c.n_windows, c.sweeps) == (0, ())  # the defaults describe a valid single-minibatch measurement
    with pytest.raises(TypeError):
        bench.Config()
    with pytest.raises(ValueError, match=r"\(T, B, D, H\) = \(3, 0, 4, 5\)"):
        bench.Config("forward", 3, 0, 4, 5, "numpy")
    with pytest.raises(ValueError, match="n_windows must be > 0 for work 'epoch'"):
        bench.Config("epoch", 3, 2, 4, 5, "numpy")
    with pytest.raises(ValueError, match="work must be one of"):
        bench.Config("inference", 3, 2, 4, 5, "numpy")


def test_build_configs_quick_covers_every_sweep_and_caps_the_sequential_lstm():
    impls = ("sequential", "numpy", "torch_cpu")
    cfgs = bench.build_configs("quick", impls, 132, gpu_present=False)
    sweeps = {s for c in cfgs for s in c.sweeps}
    assert {"airline", "batch", "hidden", "seq", "dataset", "overhead"} <= sweeps
    assert "gpu_target" not in sweeps
    keys = [(c.work, c.T, c.B, c.D, c.H, c.n_windows, c.impl) for c in cfgs]
    assert len(keys) == len(set(keys)), "each measurement once"
    p = bench.PRESET_SIZES["quick"]
    for c in cfgs:
        if c.impl == "sequential" and c.work != "epoch" and c.sweeps != ("airline",):
            assert c.T * c.B * (c.D + c.H) <= p.seq_budget
    air = [c for c in cfgs if "airline" in c.sweeps and c.work == "train_step"]
    assert {c.impl for c in air} == set(impls)
    assert all((c.T, c.B, c.D, c.H) == (12, 132, 1, 32) for c in air)
    scales = sorted({c.n_windows for c in cfgs if c.work == "epoch"})
    assert scales == [132, 264, 528, 1056]


def test_gpu_small_preset_measures_the_cpu_presets_shapes_and_keeps_the_sequential_lstm_small():
    impls = ("sequential", "numpy", "cupy_fused", "torch_gpu")
    small = bench.build_configs("gpu_small", impls, 132, gpu_present=True)
    cpu = bench.build_configs("cpu", impls, 132, gpu_present=True)

    def shapes(cfgs, impl):
        return {(c.work, c.T, c.B, c.D, c.H, c.n_windows) for c in cfgs if c.impl == impl}

    for impl in ("numpy", "cupy_fused", "torch_gpu"):  # the same sweeps: the two CSVs compare shape for shape
        assert shapes(small, impl) == shapes(cpu, impl), impl
    assert not any("gpu_target" in c.sweeps for c in small)
    budget = bench.PRESET_SIZES["gpu_small"].seq_budget
    seq = [c for c in small if c.impl == "sequential" and c.work != "epoch"]
    assert seq and all(c.T * c.B * (c.D + c.H) <= budget for c in seq)
    assert len(seq) < len([c for c in cpu if c.impl == "sequential" and c.work != "epoch"])


def test_build_configs_full_adds_gpu_target_only_with_a_gpu():
    impls = ("numpy", "cupy_fused", "torch_gpu")
    with_gpu = bench.build_configs("full", impls, 132, gpu_present=True)
    without = bench.build_configs("full", impls, 132, gpu_present=False)
    gpu_shape = tuple(bench.GPU_TARGET[k] for k in "TBDH")
    assert any((c.T, c.B, c.D, c.H) == gpu_shape and "gpu_target" in c.sweeps for c in with_gpu)
    assert not any("gpu_target" in c.sweeps for c in without)
    cpu_shape = tuple(bench.CPU_TARGET[k] for k in "TBDH")
    assert any((c.T, c.B, c.D, c.H) == cpu_shape for c in without)


def test_unknown_preset_and_implementation_are_rejected():
    with pytest.raises(ValueError, match="preset must be one of"):
        bench.build_configs("huge", ("numpy",), 132, False)
    with pytest.raises(ValueError, match="unknown implementation"):
        bench.availability(["numpy", "fortran"])


def test_make_inputs_splits_an_epoch_into_minibatches():
    params, batches = bench.make_inputs(4, 32, 2, 3, np.float32, n_windows=70)
    assert [X.shape for X, _ in batches] == [(4, 32, 2), (4, 32, 2), (4, 6, 2)]
    assert [dY.shape for _, dY in batches] == [(4, 32, 3), (4, 32, 3), (4, 6, 3)]
    assert all(X.flags.c_contiguous and X.dtype == np.float32 for X, _ in batches)
    assert params["W_x"].shape == (2, 12)


def test_airline_windows_is_the_number_of_12_month_windows():
    assert bench.airline_windows() == 144 - 12 - 1 + 1


# ---- implementations and their availability


def test_gpu_implementations_say_why_they_are_unavailable():
    if gpu_available():
        pytest.skip("a GPU is present")
    reasons = bench.availability(["cupy_port", "cupy_fused"])
    for why in reasons.values():
        assert why is not None and "GPU" in why


def test_a_missing_module_is_reported_not_raised():
    class Ghost(implementations.RnnlabLayer):
        name, label, device, module = "ghost", "missing", "cpu", "no_such_module"

    assert "rnnlab.no_such_module could not be imported" in Ghost().why_unavailable()


@pytest.fixture
def registered_fake():
    """A new implementation, registered with one class, whose calls take 10, 40, 20, 30 and 50 ms on its clock."""
    clock = FakeClock([0.5] + [0.010, 0.040, 0.020, 0.030, 0.050])

    @bench.register
    class Fake(bench.Implementation):
        name, label, device = "fake_for_test", "a fake", "cpu"
        timer = HostTimer(clock)

        def prepare(self, params, batches, forward_only):
            return batches

        def run(self, prepared):
            clock.work()

    try:
        yield clock
    finally:
        del bench.IMPLEMENTATIONS["fake_for_test"]


def test_one_registered_class_is_measured_into_a_row(registered_fake):
    assert bench.availability(["fake_for_test"]) == {"fake_for_test": None}
    assert "fake_for_test" in bench.default_implementations()
    configs = [bench.Config("train_step", 3, 2, 4, 5, "fake_for_test", sweeps=("a", "b"))]
    (row,) = bench.run_benchmarks("quick", ["fake_for_test"], configs=configs, progress=False, peak=False,
                                  log=lambda m: None, **TINY)
    flops = 24 * 3 * 2 * 5 * (4 + 5)
    assert (row.implementation, row.sweep, row.n_repeat, row.n_warmup) == ("fake_for_test", "a;b", 5, 1)
    assert (row.median_ms, row.iqr_ms, row.min_ms, row.max_ms) == pytest.approx((30.0, 20.0, 10.0, 50.0))
    assert row.flops == flops and row.gflops == pytest.approx(flops / 0.030 / 1e9)
    assert registered_fake.durations_s == []
    with pytest.raises(ValueError, match="needs a new name"):
        bench.register(type(bench.IMPLEMENTATIONS["fake_for_test"]))


def test_run_reports_unavailable_implementations_and_skips_them():
    if gpu_available():
        pytest.skip("a GPU is present")
    messages = []
    configs = [bench.Config("forward", 3, 2, 4, 5, n) for n in ("numpy", "cupy_fused")]
    rows = bench.run_benchmarks("quick", ["numpy", "cupy_fused"], configs=configs, progress=False, peak=False,
                                log=messages.append, **TINY)
    assert [r.implementation for r in rows] == ["numpy"]
    assert any("cupy_fused: unavailable" in m and "GPU" in m for m in messages)


def test_run_rejects_bad_options():
    with pytest.raises(ValueError, match="threads must be >= 1 .* got threads=0"):
        bench.run_benchmarks("quick", ["numpy"], configs=[], threads=0, progress=False, log=lambda m: None)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['repeats'\]"):
        bench.run_benchmarks("quick", ["numpy"], configs=[], repeats=3, progress=False, log=lambda m: None)
    with pytest.raises(ValueError, match="dtype must be one of"):
        bench.run_benchmarks("quick", ["numpy"], configs=[], dtype="float16", progress=False, log=lambda m: None)


def test_run_with_nothing_available_raises():
    if gpu_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="none of the implementations"):
        bench.run_benchmarks("quick", ["cupy_fused"], progress=False, log=lambda m: None)


# ---- a tiny run, its rows and its CSV


def test_tiny_run_rows_record_the_run_and_round_trip_through_the_csv(tmp_path):
    rows = tiny_run(["numpy", "sequential", "numpy_gemms"])
    # numpy_gemms is timed side by side with numpy (the profile divides their times), so it comes with it.
    assert [r.implementation for r in rows] == ["numpy", "numpy_gemms", "sequential"]
    assert [r.timer for r in rows] == ["perf_counter, side by side (2 functions called in turn)"] * 2 + ["perf_counter"]
    for r in rows:
        assert (r.n_repeat, r.n_warmup, r.threads, r.blas_threads) == (5, 1, 1, 1)
        assert r.flops == bench.lstm_flops(3, 2, 4, 5, "train_step")
        assert r.gflops == pytest.approx(r.flops / (r.median_ms * 1e-3) / 1e9, rel=1e-5)
        assert (r.device, r.device_name, r.numpy_version, r.n_windows) == ("cpu", bench.cpu_name(), np.__version__,
                                                                           None)
    path = bench.write_csv(rows, tmp_path / "sub" / "m.csv")
    with path.open() as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == bench.CSV_FIELDS
        back = list(reader)
    assert [b["implementation"] for b in back] == ["numpy", "numpy_gemms", "sequential"]
    assert [float(b["median_ms"]) for b in back] == [r.median_ms for r in rows]
    assert back[0]["n_windows"] == "" and back[0]["cuda_runtime"] == ""
    bench.write_csv(rows[:1], path, append=True)
    with path.open() as f:
        assert len(list(csv.DictReader(f))) == 4


def test_append_refuses_a_file_with_other_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="cannot append"):
        bench.write_csv([], path, append=True)


def test_torch_cpu_row_records_the_threads_the_run_set():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        want = 2 if before == 1 else 1  # not what torch has now: the run must set it
        rows = tiny_run(["torch_cpu"], work="forward", threads=want)
        assert rows[0].torch_threads == want and rows[0].torch_version == torch.__version__.split("+")[0]
        assert rows[0].flops == bench.lstm_flops(3, 2, 4, 5, "forward")
    finally:
        torch.set_num_threads(before)


def test_peak_gemm_row():
    rows = bench.run_benchmarks("quick", ["numpy"], configs=[], progress=False, log=lambda m: None, **TINY)
    assert [r.sweep for r in rows] == ["peak_start", "peak_end"]
    n = bench.PRESET_SIZES["quick"].peak_n[0]
    for peak in rows:
        assert (peak.implementation, peak.flops, peak.timer) == ("peak_gemm", 2 * n**3,
                                                                 "perf_counter; numpy matmul (BLAS)")
        # A peak is the fastest call's rate, not the median's.
        assert peak.gflops == pytest.approx(2 * n**3 / (peak.min_ms * 1e-3) / 1e9, rel=1e-4)


def test_cli_help_list_and_nothing_to_run(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        bench.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in [*bench.PRESETS, *bench.IMPLEMENTATIONS, "--quick", "--no-progress"])
    assert bench.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == list(bench.IMPLEMENTATIONS)
    if not gpu_available():
        assert "cupy_fused   unavailable" in out
        assert bench.main(["--impl", "cupy_fused", "--out", str(tmp_path / "x.csv"), "--no-progress"]) == 2
        assert "none of the implementations" in capsys.readouterr().err
        assert not (tmp_path / "x.csv").exists()


def test_python_m_rnnlab_bench_runs_the_cli():
    # `make bench` and `make gpu-check` call the harness this way.
    done = subprocess.run([sys.executable, "-m", "rnnlab.bench", "--list"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == list(bench.IMPLEMENTATIONS)


def test_cuda_version_numbers_read_as_people_write_them():
    assert [bench.cuda_version(v) for v in (13020, 13000, 12040, "12080")] == ["13.2", "13.0", "12.4", "12.8"]
    with pytest.raises(ValueError, match="positive; got 0"):
        bench.cuda_version(0)


def test_tf32_state_is_empty_on_the_cpu_and_na_for_float64():
    # Neither needs a GPU: the answer is known before any library is asked.
    assert bench.tf32_state("numpy", "cpu", "float32") == "" and bench.tf32_state("torch", "cpu", "float32") == ""
    for library in ("cupy", "torch"):
        assert bench.tf32_state(library, "gpu", "float64") == "n/a (float64)"


def _machine(**kw):
    facts = dict(cpu_name="AMD EPYC", cpu_cores=2, threads=1, blas_threads=1, torch_threads=1, omp_num_threads="",
                 openblas_num_threads="", mkl_num_threads="", numpy_version="2.3.5", cupy_version="14.0.0",
                 torch_version="2.11.0", cuda_driver="580.82.07 (supports CUDA 13.0)",
                 cuda_runtime_cupy="13.2 (CuPy)", cuda_runtime_torch="13.0 (torch)", cudnn_version="91000",
                 python_version="3.11.7", load_avg_1min=0.5, date="2026-01-01T00:00:00+00:00", gpu_name="NVIDIA T4")
    return bench.MachineInfo(**{**facts, **kw})


def test_each_gpu_row_names_its_own_libraries_cuda_and_cpu_rows_none():
    timing = bench.Timing((1.0, 2.0, 3.0, 4.0, 5.0), "t", 1)

    def row(device, library):
        return bench.ResultRow.measured(implementation="x", work="forward", sweeps=("s",), shape=(2, 3, 4, 5),
                                        n_windows=0, dtype=np.float32, timing=timing, flops=100, device=device,
                                        machine=_machine(), tf32="", preset="quick", cuda_library=library)

    assert row("gpu", "cupy").cuda_runtime == "13.2 (CuPy)"
    assert row("gpu", "torch").cuda_runtime == "13.0 (torch)"
    assert row("gpu", "torch").cuda_driver == "580.82.07 (supports CUDA 13.0)"
    assert (row("gpu", "torch").device_name, row("cpu", "").device_name) == ("NVIDIA T4", "AMD EPYC")
    assert row("cpu", "").cuda_runtime == "" and row("cpu", "").cuda_driver == ""
    with pytest.raises(ValueError, match="cuda_library 'cupy' or 'torch'; got ''"):
        row("gpu", "")


@pytest.mark.gpu
def test_gpu_implementations_produce_rows():
    import cupy

    rows = tiny_run(["cupy_port", "cupy_fused", "torch_gpu"])
    assert all(r.device == "gpu" and r.median_ms > 0 and r.device_name for r in rows)
    cc = int(cupy.cuda.Device().compute_capability)
    cupy_tf32 = os.environ.get("CUPY_TF32", "0") == "1" and cc >= 80
    for r in rows:
        expected = "on" if r.implementation.startswith("cupy") and cupy_tf32 else "off"
        assert r.tf32.startswith(expected), r
        assert r.cuda_runtime.endswith("(torch)" if r.implementation == "torch_gpu" else "(CuPy)"), r
        assert "supports CUDA" in r.cuda_driver, r


# ---- reading results (rnnlab.bench.results), on synthetic rows: no timing involved


def _frame(rows):
    base = {k: "" for k in bench.CSV_FIELDS}
    base.update(dtype="float32", device="cpu", threads=1, n_windows=float("nan"))
    return pd.DataFrame([{**base, **r} for r in rows])


def test_labels_and_order_come_from_the_implementations():
    assert results.ORDER == ["sequential", "numpy", "torch_cpu", "cupy_port", "cupy_fused", "torch_gpu"]
    assert results.LABELS["torch_gpu"] == "torch.nn.LSTM GPU (cuDNN)" and set(results.LABELS) == set(
        bench.IMPLEMENTATIONS)


def test_speedup_crossover_and_targets_from_synthetic_rows():
    s = bench.CPU_TARGET
    flops = bench.lstm_flops(s["T"], s["B"], s["D"], s["H"], "train_step")
    rows = [
        dict(implementation="sequential", work="train_step", sweep="airline", T=12, B=132, D=1, H=32, median_ms=200.0),
        dict(implementation="numpy", work="train_step", sweep="airline", T=12, B=132, D=1, H=32, median_ms=10.0),
        dict(implementation="torch_cpu", work="train_step", sweep="airline", T=12, B=132, D=1, H=32, median_ms=8.0),
        dict(implementation="peak_gemm", work="gemm", sweep="peak", T=1, B=8, D=8, H=8, median_ms=1.0, gflops=100.0),
        dict(implementation="numpy", work="train_step", sweep="cpu_target", median_ms=flops / 40e9 * 1e3, **s),
        dict(implementation="torch_cpu", work="train_step", sweep="cpu_target", median_ms=flops / 80e9 * 1e3, **s),
    ]
    for B, cpu_ms, gpu_ms in ((1, 1.0, 5.0), (8, 2.0, 1.5), (64, 9.0, 3.0), (512, 50.0, 6.0)):
        rows.append(dict(implementation="numpy", work="train_step", sweep="batch;seq", T=10, B=B, D=4, H=4,
                         median_ms=cpu_ms))
        rows.append(dict(implementation="cupy_fused", work="train_step", sweep="batch", T=10, B=B, D=4, H=4,
                         median_ms=gpu_ms, device="gpu"))
    df = _frame(rows)
    sp = results.speedup_over_sequential(df, T=12, B=132, D=1, H=32)
    assert dict(zip(sp["implementation"], sp["speedup"])) == {"sequential": 1.0, "numpy": 20.0, "torch_cpu": 25.0}
    assert results.crossover_batch(df, "cupy_fused", "numpy") == 8
    assert results.peak_gflops(df) == 100.0
    cpu_only = df[df["device"] == "cpu"]
    table = targets.targets_table({"m": cpu_only})
    assert list(table["result"]) == ["not met", "not met", "not met", targets.NOT_MEASURED_GPU,
                                     targets.NOT_MEASURED_GPU]
    assert table["measured"].iloc[0].startswith("40% of 100")
    assert table["check"].iloc[1].endswith("the airline step, B=132, D=1, H=32, T=12")
    assert table["measured"].iloc[1].startswith("1.25x torch's time")  # 10 ms against 8 ms: over 1.2x
    faster = _frame([dict(r, median_ms=9.0) if r["implementation"] == "numpy" and r["sweep"] == "airline" else r
                     for r in rows])
    assert targets.targets_table({"m": faster})["result"].iloc[1] == "met"  # 9 ms against 8 ms: 1.125x
    gpu_table = targets.targets_table({"m": df})
    assert targets.NOT_MEASURED_GPU not in set(gpu_table["result"])


# ---- the proposal's graded targets (rnnlab.bench.targets), on synthetic rows


SLOPE_105 = [2.0 ** (1.05 * k) for k in range(4)]  # epoch times for 1x, 2x, 4x, 8x the data: slope 1.05


def _graded_rows(seq_ms, par_ms, epoch_ms, impl="numpy", device="cpu", threads=1):
    """An airline step (sequential and ``impl``) and a full-batch epoch sweep with the given times."""
    air = dict(work="train_step", sweep="airline", T=12, B=132, D=1, H=32)
    rows = [dict(implementation="sequential", median_ms=seq_ms, threads=threads, **air),
            dict(implementation=impl, median_ms=par_ms, device=device, threads=threads, **air)]
    for n, ms in zip((132, 264, 528, 1056), epoch_ms):
        rows.append(dict(implementation=impl, work="epoch", sweep="dataset", T=12, B=n, D=1, H=32, n_windows=n,
                         median_ms=ms, device=device, threads=threads))
    return [dict(r, cpu_name="Test CPU", cpu_cores=2) for r in rows]


def _verdicts(table, parallelism=None):
    rows = table if parallelism is None else table[table["parallelism"] == parallelism]
    return dict(zip(rows["grade"], rows["verdict"]))


def test_graded_targets_all_met_and_gpu_rows_not_measured():
    table = targets.graded_targets({"m": _frame(_graded_rows(100.0, 5.0, [1.0, 1.5, 2.25, 3.375]))})
    assert list(table.columns) == targets.GRADED_COLUMNS and len(table) == 8
    cpu = table[table["machine"] != "-"]
    assert _verdicts(cpu) == {"75%": "met", "100%": "met", "125%": "met", "150%": "met"}
    assert set(cpu["parallelism"]) == {"vectorisation over the batch, one thread"}
    assert cpu["measured"].iloc[0] == "20.0x (airline step)" and set(cpu["device"]) == {"CPU"}
    assert cpu["measured"].iloc[3] == "slope 0.58 (full batch, 4 sizes)"
    gpu = table[table["device"] == "GPU"]
    assert set(gpu["parallelism"]) == {"a GPU"} and list(gpu["grade"]) == ["75%", "100%", "125%", "150%"] and set(gpu["verdict"]) == {"not measured"}


def test_graded_targets_not_met_speedup_and_a_slope_of_one_or_more():
    # 3x: faster than sequential, but not 5x; the epoch time grows a little faster than the data (slope 1.05).
    table = targets.graded_targets({"m": _frame(_graded_rows(30.0, 10.0, SLOPE_105))})
    assert _verdicts(table[table["machine"] != "-"]) == {"75%": "met", "100%": "not met", "125%": "not met",
                                                         "150%": "not met"}
    # Slower than sequential, and time growing faster than the data (slope 1.5).
    table = targets.graded_targets({"m": _frame(_graded_rows(10.0, 20.0, [1.0, 2.83, 8.0, 22.6]))})
    cpu = table[table["machine"] != "-"]
    assert set(cpu["verdict"]) == {"not met"} and cpu["measured"].iloc[3].startswith("slope 1.50")


def test_graded_targets_without_a_figure_say_not_measured():
    rows = [r for r in _graded_rows(30.0, 10.0, SLOPE_105) if r["implementation"] != "sequential"]
    cpu = targets.graded_targets({"m": _frame(rows)}).iloc[:4]
    assert list(cpu["verdict"]) == ["not measured"] * 3 + ["not met"]


def test_graded_targets_read_a_gpu_csv_and_name_its_parallelism():
    rows = _graded_rows(100.0, 2.0, [1.0, 1.2, 1.5, 2.0], impl="cupy_fused", device="gpu")
    rows += [r for r in _graded_rows(100.0, 25.0, SLOPE_105, threads=2)
             if r["implementation"] != "sequential"]
    for r in rows:
        r["device_name"] = "Tesla T4" if r.get("device") == "gpu" else "Test CPU"
    table = targets.graded_targets({"t4": _frame(rows)})
    assert len(table) == 8 and "no GPU CSV recorded" not in set(table["measured"])
    assert _verdicts(table, "a GPU") == {"75%": "met", "100%": "met", "125%": "met", "150%": "met"}
    assert _verdicts(table, "vectorisation over the batch + 2 BLAS threads") == {  # 4x, slope 1.05
        "75%": "met", "100%": "not met", "125%": "not met", "150%": "not met"}
    assert set(table.loc[table["parallelism"] == "a GPU", "machine"]) == {"t4: Tesla T4"}


def test_parallelism_and_verdict_reject_or_report_what_is_missing():
    with pytest.raises(ValueError, match="'cupy_fused' has no rows"):
        targets.parallelism(_frame(_graded_rows(1.0, 1.0, [1, 2, 3, 4])), "cupy_fused")
    assert targets.verdict(None, True) == "not measured" and targets.verdict(2.0, False) == "not met"


def test_speedups_everywhere_is_lowest_first_and_only_where_both_ran():
    rows = _graded_rows(100.0, 5.0, [1.0, 2.0, 3.0, 4.0])
    rows.append(dict(implementation="sequential", work="train_step", sweep="batch", T=5, B=1, D=4, H=4,
                     median_ms=8.0))
    rows.append(dict(implementation="numpy", work="train_step", sweep="batch", T=5, B=1, D=4, H=4, median_ms=4.0))
    rows.append(dict(implementation="numpy", work="train_step", sweep="batch", T=5, B=8, D=4, H=4, median_ms=4.0))
    sp = results.speedups_everywhere(_frame(rows))
    assert list(sp["speedup"]) == [2.0, 20.0] and list(sp["B"]) == [1, 132]


def test_loglog_slope_and_epoch_scaling():
    assert results.loglog_slope([1, 2, 4, 8], [3, 6, 12, 24]) == pytest.approx(1.0)
    assert results.loglog_slope([1, 4], [2, 4]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="loglog_slope"):
        results.loglog_slope([1], [1])
    rows = [dict(implementation="numpy", work="epoch", sweep="dataset", T=12, B=n, D=1, H=32, n_windows=n,
                 median_ms=float(n) ** 0.5) for n in (100, 400)]
    table = results.epoch_scaling(_frame(rows))
    assert table["batching"].iloc[0] == "full batch" and table["slope"].iloc[0] == pytest.approx(0.5)


def test_load_results_reads_what_the_harness_writes_and_rejects_a_foreign_csv(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a benchmark CSV"):
        results.load_results(tmp_path)
    (tmp_path / "x.csv").unlink()
    rows = tiny_run(["numpy"])
    bench.write_csv(rows, tmp_path / "m.csv")
    loaded = results.load_results(tmp_path)
    assert list(loaded) == ["m"]
    assert results.median_of(loaded["m"], "numpy", T=3, B=2, D=4, H=5) == rows[0].median_ms


def test_the_recorded_csvs_judge_every_graded_target():
    recorded = results.load_results()
    table = targets.graded_targets(recorded)
    cpu = table[table["parallelism"] != "a GPU"]
    assert len(cpu) == 4 * len(recorded) and set(cpu["verdict"]) <= {"met", "not met"}
    if not any(results.has_gpu(df) for df in recorded.values()):
        assert set(table.loc[table["parallelism"] == "a GPU", "verdict"]) == {"not measured"}


# ---- counting operations per step (rnnlab.bench.launches) and the figures (rnnlab.bench.plots)


def test_direct_port_counts_the_same_operations_per_step_for_every_size():
    table = launches.per_step(launches.count_direct)
    assert table.loc["matmul"].tolist() == [1, 1] and (table.loc["total"] > 2).all()
    for B, H in ((1, 1), (7, 40)):
        assert launches.per_step(launches.count_direct, B=B, H=H).equals(table)
    f1, b1 = launches.count_direct(T=1)
    f10, b10 = launches.count_direct(T=10)
    assert sum(f10.values()) - sum(f1.values()) == 9 * table.loc["total", "forward"]
    assert sum(b10.values()) - sum(b1.values()) == 9 * table.loc["total", "backward"]
    with pytest.raises(ValueError, match="T, B, D, H must be >= 1"):
        launches.count_direct(T=0)


def test_fused_lstm_launches_two_kernels_per_step_each_way():
    from rnnlab.parallel._host_kernels import host_compiler

    if not host_compiler():
        pytest.skip("no host C++ compiler")
    table = launches.per_step(launches.count_fused)
    assert table.loc["total"].tolist() == [2, 2] and table.loc["matmul"].tolist() == [1, 1]


@pytest.mark.parametrize("plot", [plots.speedup_bars, plots.batch_sweep, plots.epoch_scaling, plots.roofline])
def test_each_figure_draws_the_recorded_csv_and_says_what_it_shows(plot, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    recorded = results.load_results()
    fig = plots.draw(recorded, plot, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0 and len(fig.axes) == len(recorded)
    assert all(ax.has_data() for ax in fig.axes)
    with pytest.raises(ValueError, match="results is empty"):
        plots.draw({}, plot)


def test_step_parallelism_draws_one_grid_per_step():
    import matplotlib

    matplotlib.use("Agg")
    fig = plots.step_parallelism(T=3, rows=2, cols=2)
    assert len(fig.axes[0].patches) == 3 * 2 * 2
    with pytest.raises(ValueError, match="T, rows, cols must be >= 1"):
        plots.step_parallelism(T=0)


def test_launch_bars_draw_each_versions_total():
    import matplotlib

    matplotlib.use("Agg")
    direct = launches.per_step(launches.count_direct)
    fused = pd.DataFrame({"forward": [2], "backward": [2]}, index=["total"])
    fig = plots.launch_bars(direct, fused)
    heights = sorted(p.get_height() for p in fig.axes[0].patches)
    assert heights == sorted([2, 2, direct.loc["total", "forward"], direct.loc["total", "backward"]])


def test_the_recorded_csvs_are_read_by_the_reader():
    recorded = results.load_results()  # data/benchmarks: the recorded runs notebook 11 plots
    assert recorded, "no recorded benchmark CSV in data/benchmarks"
    for name, df in recorded.items():
        assert list(df.columns) == bench.CSV_FIELDS, name
        assert results.peak_gflops(df, "cpu") > 0 and results.airline_shape(df)["B"] == bench.airline_windows()


def test_profile_report_says_where_the_step_goes_or_nothing_without_profile_rows():
    recorded = next(iter(results.load_results().values()))
    lines = results.profile_report(recorded, **bench.CPU_TARGET)
    assert len(lines) == 4 and lines[0].startswith("step ") and "Python overhead" in lines[3]
    assert results.profile_report(_frame(_graded_rows(1.0, 1.0, SLOPE_105)), **bench.CPU_TARGET) == []


def _data_parallel_record(reduce_ms: float) -> pd.DataFrame:
    """A made-up data-parallel CSV: one rank's steps at the large shape and W = 2 all-reduces of reduce_ms + a bit."""
    shards = [{"implementation": "dp_gloo_w1_t1", "work": "train_step", "sweep": "large", "B": b,
               "median_ms": 10.0 * b} for b in (4, 8, 16, 32, 64)]
    reduces = [{"implementation": "dp_gloo_w2_t1", "work": "allreduce", "sweep": "allreduce", "B": n,
                "median_ms": reduce_ms + n * 1e-6} for n in (1_000, 100_000, 4_000_000)]
    return pd.DataFrame(shards + reduces)


def test_weak_scaling_row_met_when_the_all_reduce_is_cheap():
    row = targets.weak_scaling_row("made-up", _data_parallel_record(reduce_ms=1.0))
    assert row["grade"] == "150%" and row["verdict"] == "met"
    assert "several workers" in row["parallelism"] and "slope 0.0" in row["measured"]


def test_weak_scaling_row_not_met_when_the_all_reduce_dominates():
    # 10 s of latency per all-reduce against a 0.64 s step: 16 workers take > 16x as long, slope > 1.
    row = targets.weak_scaling_row("made-up", _data_parallel_record(reduce_ms=10_000.0))
    assert row["verdict"] == "not met", row


def test_graded_targets_adds_the_weak_scaling_row_from_the_recorded_csv():
    rec = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "benchmarks" / "data-parallel"
                      / "cpu-amd-epyc-2c.csv")
    plain = targets.graded_targets({})
    graded = targets.graded_targets({}, data_parallel={"cpu-amd-epyc-2c": rec})
    assert len(graded) == len(plain) + 1
    weak = graded[graded.parallelism.str.startswith("several workers")]
    assert list(weak.grade) == ["150%"] and list(weak.verdict) == ["met"]


def test_availability_of_one_suite():
    lstm_only = bench.availability(suite="lstm")
    assert "numpy" in lstm_only and not any(name.startswith("scan_") for name in lstm_only)
    assert set(bench.availability(suite="scan")) == {n for n in bench.availability() if n.startswith("scan_")}
