"""The benchmark harness's logic: FLOP model, configs, CSV schema, a tiny run. Nothing here is timed."""
import csv
import os

import numpy as np
import pytest

from rnnlab import bench
from rnnlab.backend import gpu_available

TINY = dict(warmup=1, min_repeat=5, max_repeat=5, budget_s=0.0)


def tiny_run(impls, work="train_step", **kw):
    configs = [bench.Config(work, 3, 2, 4, 5, 0, (name,), ("test",)) for name in impls]
    return bench.run_benchmarks("quick", impls, configs=configs, progress=False, peak=False, log=lambda m: None,
                                **TINY, **kw)


# ---- FLOP model


def test_flops_model_matches_the_matrix_products():
    T, B, D, H = 7, 3, 5, 4
    # Forward: per sample and step, x (1, D) @ W_x (D, 4H) and h (1, H) @ W_h (H, 4H).
    forward = T * B * (bench.gemm_flops(1, 4 * H, D) + bench.gemm_flops(1, 4 * H, H))
    assert bench.lstm_flops(T, B, D, H, "forward") == forward == 8 * T * B * H * (D + H)
    assert bench.lstm_flops(T, B, D, H, "train_step") == 3 * forward == 24 * T * B * H * (D + H)
    assert bench.lstm_flops(T, B, D, H, "epoch") == bench.lstm_flops(T, B, D, H, "train_step")


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


def test_machine_name_is_cpu_model_and_core_count():
    assert bench.machine_name() == f"cpu-{bench.sanitize(bench.cpu_name())}-{bench.cpu_cores()}c"
    assert bench.machine_name("NVIDIA H200") == "nvidia-h200"


def test_blas_threads_can_be_set_and_read_back():
    before = bench.blas_threads()
    if before is None:
        pytest.skip("NumPy's BLAS has no thread API we know here")
    try:
        assert bench.set_blas_threads(1)
        assert bench.blas_threads() == 1
    finally:
        bench.set_blas_threads(before)


# ---- timing statistics


def test_timing_median_and_iqr():
    t = bench.Timing([5.0, 1.0, 3.0, 2.0, 4.0], "perf_counter", 1)
    assert t.median_ms == 3.0
    assert t.iqr_ms == pytest.approx(2.0)


def test_number_of_repeats_is_at_least_the_minimum():
    assert bench._n_repeat(10.0, 5, 30, 1.0) == 5
    assert bench._n_repeat(0.001, 5, 30, 1.0) == 30
    assert bench._n_repeat(0.1, 5, 30, 1.0) == 10


def test_time_cpu_calls_warmup_then_repeats():
    calls = []
    t = bench.time_cpu(lambda: calls.append(1), warmup=2, min_repeat=5, max_repeat=5, budget_s=0.0)
    assert len(calls) == 2 + 5 and len(t.times_ms) == 5 and t.n_warmup == 2


# ---- configs


def test_build_configs_quick_covers_every_sweep_and_caps_the_sequential_lstm():
    impls = ("sequential", "numpy", "torch_cpu")
    cfgs = bench.build_configs("quick", impls, 132, gpu_present=False)
    sweeps = {s for c in cfgs for s in c.sweeps}
    assert {"airline", "batch", "hidden", "seq", "dataset", "overhead"} <= sweeps
    assert "gpu_target" not in sweeps
    keys = [(c.work, c.T, c.B, c.D, c.H, c.n_windows, c.impls) for c in cfgs]
    assert len(keys) == len(set(keys)), "each measurement once"
    p = bench.PRESET_SIZES["quick"]
    for c in cfgs:
        if c.impls == ("sequential",) and c.work != "epoch" and c.sweeps != ("airline",):
            assert c.T * c.B * (c.D + c.H) <= p.seq_budget
    air = [c for c in cfgs if "airline" in c.sweeps and c.work == "train_step"]
    assert {c.impls[0] for c in air} == set(impls)
    assert all((c.T, c.B, c.D, c.H) == (12, 132, 1, 32) for c in air)
    scales = sorted({c.n_windows for c in cfgs if c.work == "epoch"})
    assert scales == [132, 264, 528, 1056]


def test_gpu_small_preset_measures_the_cpu_presets_shapes_and_keeps_the_sequential_lstm_small():
    impls = ("sequential", "numpy", "cupy_fused", "torch_gpu")
    small = bench.build_configs("gpu_small", impls, 132, gpu_present=True)
    cpu = bench.build_configs("cpu", impls, 132, gpu_present=True)

    def shapes(cfgs, impl):
        return {(c.work, c.T, c.B, c.D, c.H, c.n_windows) for c in cfgs if c.impls == (impl,)}

    for impl in ("numpy", "cupy_fused", "torch_gpu"):  # the same sweeps: the two CSVs compare shape for shape
        assert shapes(small, impl) == shapes(cpu, impl), impl
    assert not any("gpu_target" in c.sweeps for c in small)
    budget = bench.PRESET_SIZES["gpu_small"].seq_budget
    seq = [c for c in small if c.impls == ("sequential",) and c.work != "epoch"]
    assert seq and all(c.T * c.B * (c.D + c.H) <= budget for c in seq)
    assert len(seq) < len([c for c in cpu if c.impls == ("sequential",) and c.work != "epoch"])


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


# ---- availability messages


def test_gpu_implementations_say_why_they_are_unavailable():
    if gpu_available():
        pytest.skip("a GPU is present")
    reasons = bench.availability(["cupy_port", "cupy_fused"])
    for why in reasons.values():
        assert why is not None and "GPU" in why


def test_a_missing_module_is_reported_not_raised(monkeypatch):
    impl = bench.RnnlabImpl("ghost", "no_such_module", "cpu", "missing")
    why = impl.unavailable_reason()
    assert "rnnlab.no_such_module could not be imported" in why


def test_run_reports_unavailable_implementations_and_skips_them():
    if gpu_available():
        pytest.skip("a GPU is present")
    messages = []
    configs = [bench.Config("forward", 3, 2, 4, 5, 0, (n,), ("test",)) for n in ("numpy", "cupy_fused")]
    rows = bench.run_benchmarks("quick", ["numpy", "cupy_fused"], configs=configs, progress=False, peak=False,
                                log=messages.append, **TINY)
    assert [r["implementation"] for r in rows] == ["numpy"]
    assert any("cupy_fused: unavailable" in m and "GPU" in m for m in messages)


def test_run_with_nothing_available_raises():
    if gpu_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="none of the implementations"):
        bench.run_benchmarks("quick", ["cupy_fused"], progress=False, log=lambda m: None)


# ---- a tiny run and its CSV


def test_tiny_run_rows_have_the_schema_and_positive_medians(tmp_path):
    rows = tiny_run(["numpy", "sequential", "numpy_gemms"])
    assert len(rows) == 3
    for r in rows:
        assert set(r) == set(bench.CSV_FIELDS)
        assert r["median_ms"] > 0 and r["min_ms"] <= r["median_ms"] <= r["max_ms"]
        assert r["n_repeat"] >= 5 and r["iqr_ms"] >= 0
        assert r["flops"] == bench.lstm_flops(3, 2, 4, 5, "train_step")
        assert r["gflops"] == pytest.approx(r["flops"] / (r["median_ms"] * 1e-3) / 1e9, rel=1e-3)
        assert r["device"] == "cpu" and r["device_name"] == bench.cpu_name()
        assert r["numpy_version"] == np.__version__ and r["date"] and r["threads"] == 1
    path = bench.write_csv(rows, tmp_path / "sub" / "m.csv")
    with path.open() as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == bench.CSV_FIELDS
        back = list(reader)
    assert [b["implementation"] for b in back] == ["numpy", "sequential", "numpy_gemms"]
    bench.write_csv(rows[:1], path, append=True)
    with path.open() as f:
        assert len(list(csv.DictReader(f))) == 4


def test_append_refuses_a_file_with_other_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="cannot append"):
        bench.write_csv([], path, append=True)


def test_torch_cpu_row_records_torch_threads():
    pytest.importorskip("torch")
    rows = tiny_run(["torch_cpu"], work="forward", threads=1)
    assert rows[0]["torch_threads"] == 1 and rows[0]["torch_version"]
    assert rows[0]["flops"] == bench.lstm_flops(3, 2, 4, 5, "forward")


def test_peak_gemm_row():
    rows = bench.run_benchmarks("quick", ["numpy"], configs=[], progress=False, log=lambda m: None, **TINY)
    assert [r["sweep"] for r in rows] == ["peak_start", "peak_end"]
    n = bench.PRESET_SIZES["quick"].peak_n[0]
    for peak in rows:
        assert peak["implementation"] == "peak_gemm" and peak["flops"] == 2 * n**3
        assert peak["gflops"] == pytest.approx(2 * n**3 / (peak["min_ms"] * 1e-3) / 1e9, rel=1e-4)


def test_cli_list_and_tiny_run(tmp_path, capsys, monkeypatch):
    assert bench.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "numpy" in out and "available" in out
    if not gpu_available():
        assert "cupy_fused   unavailable" in out
        assert bench.main(["--impl", "cupy_fused", "--out", str(tmp_path / "x.csv"), "--no-progress"]) == 2
        assert "none of the implementations" in capsys.readouterr().err


def test_cuda_version_numbers_read_as_people_write_them():
    assert [bench.cuda_version(v) for v in (13020, 13000, 12040, "12080")] == ["13.2", "13.0", "12.4", "12.8"]
    with pytest.raises(ValueError, match="positive; got 0"):
        bench.cuda_version(0)


def test_tf32_state_is_empty_on_the_cpu_and_na_for_float64():
    # Neither needs a GPU: the answer is known before any library is asked.
    assert bench.tf32_state("numpy", "float32") == "" and bench.tf32_state("torch_cpu", "float32") == ""
    for impl in ("cupy_fused", "cupy_port", "torch_gpu", "peak_gemm"):
        assert bench.tf32_state(impl, "float64") == "n/a (float64)"


def test_each_gpu_row_names_its_own_libraries_cuda_and_cpu_rows_none():
    info = {k: "x" for k in bench.CSV_FIELDS} | {"gpu_name": "NVIDIA T4", "cpu_name": "AMD EPYC",
                                                 "cuda_runtime_cupy": "13.2 (CuPy)", "cuda_runtime_torch": "13.0 (torch)",
                                                 "cuda_driver": "580.82.07 (supports CUDA 13.0)"}
    timing = bench.Timing([1.0, 2.0, 3.0, 4.0, 5.0], "t", 1)

    def row(impl, device):
        return bench._row(impl, "forward", ("s",), 2, 3, 4, 5, 0, np.float32, timing, 100, device, info, "t", "", "quick")

    assert row("cupy_fused", "gpu")["cuda_runtime"] == "13.2 (CuPy)"
    assert row("torch_gpu", "gpu")["cuda_runtime"] == "13.0 (torch)"
    assert row("torch_gpu", "gpu")["cuda_driver"] == "580.82.07 (supports CUDA 13.0)"
    assert row("torch_gpu", "gpu")["device_name"] == "NVIDIA T4"
    assert row("numpy", "cpu")["cuda_runtime"] == "" and row("numpy", "cpu")["cuda_driver"] == ""


@pytest.mark.gpu
def test_gpu_implementations_produce_rows():
    import cupy

    rows = tiny_run(["cupy_port", "cupy_fused", "torch_gpu"])
    assert all(r["device"] == "gpu" and r["median_ms"] > 0 and r["device_name"] for r in rows)
    cc = int(cupy.cuda.Device().compute_capability)
    cupy_tf32 = os.environ.get("CUPY_TF32", "0") == "1" and cc >= 80
    for r in rows:
        expected = "on" if r["implementation"].startswith("cupy") and cupy_tf32 else "off"
        assert r["tf32"].startswith(expected), r
        assert r["cuda_runtime"].endswith("(torch)" if r["implementation"] == "torch_gpu" else "(CuPy)"), r
        assert "supports CUDA" in r["cuda_driver"], r


# ---- reading results (rnnlab.bench_results), on synthetic rows: no timing involved


def _frame(rows):
    import pandas as pd

    base = {k: "" for k in bench.CSV_FIELDS}
    base.update(dtype="float32", device="cpu", threads=1, n_windows=float("nan"))
    return pd.DataFrame([{**base, **r} for r in rows])


def test_speedup_crossover_and_targets_from_synthetic_rows():
    from rnnlab import bench_results as br

    s = bench.CPU_TARGET
    flops = bench.lstm_flops(s["T"], s["B"], s["D"], s["H"], "train_step")
    rows = [
        dict(implementation="sequential", work="train_step", sweep="airline", T=12, B=132, D=1, H=32, median_ms=200.0),
        dict(implementation="numpy", work="train_step", sweep="airline", T=12, B=132, D=1, H=32, median_ms=10.0),
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
    sp = br.speedup_over_sequential(df, T=12, B=132, D=1, H=32)
    assert dict(zip(sp["implementation"], sp["speedup"])) == {"sequential": 1.0, "numpy": 20.0}
    assert br.crossover_batch(df, "cupy_fused", "numpy") == 8
    assert br.peak_gflops(df) == 100.0
    cpu_only = df[df["device"] == "cpu"]
    table = br.targets_table({"m": cpu_only})
    assert list(table["result"]) == ["met", "missed", "missed", br.NOT_MEASURED_GPU, br.NOT_MEASURED_GPU]
    assert table["measured"].iloc[1].startswith("40% of 100")
    gpu_table = br.targets_table({"m": df})
    assert br.NOT_MEASURED_GPU not in set(gpu_table["result"])


def test_loglog_slope_and_epoch_scaling():
    from rnnlab import bench_results as br

    assert br.loglog_slope([1, 2, 4, 8], [3, 6, 12, 24]) == pytest.approx(1.0)
    assert br.loglog_slope([1, 4], [2, 4]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="loglog_slope"):
        br.loglog_slope([1], [1])
    rows = [dict(implementation="numpy", work="epoch", sweep="dataset", T=12, B=n, D=1, H=32, n_windows=n,
                 median_ms=float(n) ** 0.5) for n in (100, 400)]
    table = br.epoch_scaling(_frame(rows))
    assert table["batching"].iloc[0] == "full batch" and table["slope"].iloc[0] == pytest.approx(0.5)


def test_load_results_rejects_a_foreign_csv(tmp_path):
    from rnnlab import bench_results as br

    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a benchmark CSV"):
        br.load_results(tmp_path)
    (tmp_path / "x.csv").unlink()
    bench.write_csv(tiny_run(["numpy"]), tmp_path / "m.csv")
    assert list(br.load_results(tmp_path)) == ["m"]
