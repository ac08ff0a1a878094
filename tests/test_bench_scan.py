"""The harness's scan rows (preset "scan", notebook 12): configs, a tiny run, the CSV's place, the reader.

Nothing here is timed for its value: the reader is checked on synthetic rows.
"""
import numpy as np
import pandas as pd
import pytest

from rnnlab import bench
from rnnlab.bench import results, scan_results
from rnnlab.bench.presets import SCAN_PRESETS

TINY = dict(warmup=1, min_repeat=5, max_repeat=5, budget_s=0.0)
CPU_SCANS = ("scan_loop", "scan_hillis_steele", "scan_blelloch", "scan_chunked")


def test_the_scan_implementations_are_a_suite_of_their_own():
    assert bench.default_implementations("scan") == CPU_SCANS + tuple(f"{n}_cupy" for n in CPU_SCANS)
    assert not set(bench.default_implementations()) & set(bench.default_implementations("scan"))
    assert results.ORDER == ["sequential", "numpy", "torch_cpu", "cupy_port", "cupy_fused", "torch_gpu"]
    assert {bench.IMPLEMENTATIONS[n].device for n in CPU_SCANS} == {"cpu"}


def test_the_scan_preset_measures_the_targets_shapes_with_every_scan():
    assert "scan" in bench.PRESETS and SCAN_PRESETS == ("scan",)
    cfgs = bench.build_configs("scan", CPU_SCANS, 0, gpu_present=False)
    assert {c.work for c in cfgs} == {"scan"} and {c.D for c in cfgs} == {1}
    keys = [(c.T, c.B, c.H, c.impl) for c in cfgs]
    assert len(keys) == len(set(keys)), "each measurement once"
    width = {(c.T, c.B * c.H) for c in cfgs if "scan_width" in c.sweeps}
    assert {(4096, 8), (4096, 32), (4096, 1024)} <= width
    lengths = {(c.T, c.B, c.H) for c in cfgs if "scan_length" in c.sweeps}
    assert {(16384, 1, 8), (1024, 32, 32), (4096, 32, 32)} <= lengths
    for shape in {(c.T, c.B, c.H) for c in cfgs}:
        assert {c.impl for c in cfgs if (c.T, c.B, c.H) == shape} == set(CPU_SCANS)


def test_a_tiny_scan_run_makes_rows_with_the_recurrences_flops(tmp_path):
    configs = [bench.Config("scan", 9, 2, 1, 3, name, sweeps=("test",)) for name in ("scan_loop", "scan_blelloch")]
    rows = bench.run_benchmarks("scan", ["scan_loop", "scan_blelloch"], configs=configs, dtype="float64",
                                progress=False, peak=False, log=lambda m: None, **TINY)
    assert [r.implementation for r in rows] == ["scan_loop", "scan_blelloch"]
    assert all(r.work == "scan" and r.flops == 2 * 9 * 2 * 3 and r.dtype == "float64" for r in rows)
    assert bench.write_csv(rows, tmp_path / "m.csv").exists()
    with pytest.raises(ValueError, match="H must be >= 1"):
        bench.flops.scan_flops(4, 2, 0)


def test_scan_rows_go_to_their_own_folder_so_notebook_11_never_reads_them():
    out = bench.default_out(None, "scan")
    assert out.parent.name == "scans" and out.parent.parent == results.benchmark_dir()
    assert bench.default_out(None, "cpu").parent == results.benchmark_dir()


def _rows(device, T, B, H, times):
    return [dict(implementation=f"scan_{m}{'_cupy' if device == 'gpu' else ''}", work="scan", sweep="scan_width",
                 T=T, B=B, D=1, H=H, dtype="float64", device=device, median_ms=ms) for m, ms in times.items()]


def _frame(rows):
    base = {k: "" for k in bench.CSV_FIELDS}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_speedups_crossover_and_targets_from_synthetic_rows():
    rows = (_rows("cpu", 4096, 1, 8, {"loop": 12.0, "blelloch": 2.0, "chunked": 3.0})
            + _rows("cpu", 4096, 1, 32, {"loop": 12.0, "blelloch": 6.0, "chunked": 4.0})
            + _rows("cpu", 4096, 32, 32, {"loop": 14.0, "blelloch": 40.0, "chunked": 20.0}))
    df = _frame(rows)
    sp = scan_results.scan_speedups(df)
    assert sp.set_index(["method", "BH"])["speedup"][("blelloch", 8)] == pytest.approx(6.0)
    assert scan_results.crossover_bh(df, "blelloch") == {"last_faster_BH": 32, "first_slower_BH": 1024}
    assert scan_results.crossover_bh(df, "hillis_steele") is None
    table = scan_results.scan_targets({"m": df})
    assert list(table["result"]) == ["met", scan_results.NOT_MEASURED_GPU_SCAN]
    assert table["measured"].iloc[0] == "6.0x (blelloch)"
    gpu = _frame(rows + _rows("gpu", 4096, 32, 32, {"loop": 50.0, "blelloch": 4.0}))
    table = scan_results.scan_targets({"m": gpu})
    assert list(table["result"]) == ["met", "met"] and table["measured"].iloc[1] == "12.5x (blelloch)"
    slow = _frame(_rows("cpu", 4096, 1, 8, {"loop": 12.0, "blelloch": 6.0}))
    assert scan_results.scan_targets({"m": slow})["result"].iloc[0] == "not met"


def test_the_recorded_scan_csvs_hold_the_target_shapes():
    recorded = scan_results.load_scan_results()
    assert recorded, "no recorded scan CSV in data/benchmarks/scans"
    for name, df in recorded.items():
        assert list(df.columns) == bench.CSV_FIELDS, name
        sp = scan_results.scan_speedups(df)
        assert {"hillis_steele", "blelloch", "chunked"} <= set(sp["method"]), name
        assert len(sp[(sp["T"] == 4096) & (sp["BH"] == 8)]) >= 3, name


@pytest.mark.gpu
def test_the_cupy_scans_produce_rows():
    names = [f"{n}_cupy" for n in CPU_SCANS]
    configs = [bench.Config("scan", 64, 2, 1, 4, n) for n in names]
    rows = bench.run_benchmarks("scan", names, configs=configs, dtype="float64", progress=False, peak=False,
                                log=lambda m: None, **TINY)
    assert [r.implementation for r in rows] == names and all(r.device == "gpu" for r in rows)
    assert all(np.isfinite(r.median_ms) for r in rows)
