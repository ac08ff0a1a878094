"""The GPU half of rnnlab: the CuPy direct port, lstm_fused's fused kernels, and the fallback without a GPU.

Three kinds of test:
* `gpu`-marked: NumPy vs the CuPy direct port vs lstm_fused on a real GPU (skipped, with the reason, without one);
* without a GPU: the import, the clear RuntimeError, the input checks;
* the kernel sources without a GPU: compiled by NVRTC exactly as CuPy wraps them (catches CUDA C errors),
  and compiled for the CPU by the host C++ compiler, then run through lstm_fused's own loop and compared
  with rnnlab.layers.lstm (catches wrong maths and wrong indexing).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnlab.backend as backend
from rnnlab import functional, gru, lstm, lstm_fused, optim, rnn
from rnnlab.layers.gradcheck import relative_error
from rnnlab.parallel._host_kernels import HostKernel, host_compiler, parse_params

TOL = {np.float64: 1e-10, np.float32: 1e-4}
# (T, B, D, H): B = 1, H not a multiple of 32, a single step, and one a little larger.
SHAPES = [(5, 1, 3, 7), (4, 3, 2, 33), (1, 2, 5, 4), (12, 8, 6, 50)]
COLAB_HINT = "Runtime > Change runtime type > GPU"

needs_cxx = pytest.mark.skipif(host_compiler() is None, reason="no host C++ compiler (g++ or clang++) on PATH")


def _problem(T, B, D, H, dtype, seed=0, with_state=True):
    """Params, X, an initial state, dY and d_state, all NumPy, of one dtype."""
    rng = np.random.default_rng(seed)
    params = lstm.init_params(D, H, seed=seed + 1, dtype=dtype)
    params["b"] += rng.standard_normal(4 * H).astype(dtype) * 0.5  # gates away from their init values

    def draw(*shape):
        return rng.standard_normal(shape).astype(dtype)

    state = (draw(B, H), draw(B, H)) if with_state else None
    d_state = (draw(B, H), draw(B, H)) if with_state else None
    return params, draw(T, B, D), state, draw(T, B, H), d_state


def _run(fwd, bwd, params, X, state, dY, d_state):
    Y, state_T, cache = fwd(params, X, state)
    grads, dX, d_state0 = bwd(dY, cache, d_state)
    return {"Y": Y, "h_T": state_T[0], "c_T": state_T[1], "dX": dX, "dh_0": d_state0[0], "dc_0": d_state0[1],
            **{f"d{k}": g for k, g in grads.items()}}


def _assert_close(reference: dict, other: dict, dtype, what: str):
    assert reference.keys() == other.keys()
    for k in reference:
        a, b = backend.to_numpy(reference[k]), backend.to_numpy(other[k])
        assert a.shape == b.shape and b.dtype == np.dtype(dtype), f"{what} {k}: {b.shape} {b.dtype}"
        err = relative_error(a, b)
        assert err < TOL[dtype], f"{what} {k}: relative error {err:.2e} >= {TOL[dtype]:.0e}"


# --------------------------------------------------------------------------- without a GPU


def test_import_does_not_touch_cuda():
    # A fresh interpreter: importing lstm_fused must not even import CuPy (no CUDA calls at import).
    code = "import sys, rnnlab.parallel.lstm_fused; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def no_gpu(monkeypatch):
    """Pretend no GPU is usable, so the fallback is tested on every machine."""
    monkeypatch.setattr(backend, "gpu_available", lambda: False)


@pytest.mark.parametrize("call", ["forward", "backward", "init_params"])
def test_clear_runtime_error_without_gpu(no_gpu, call):
    params, X, state, dY, d_state = _problem(3, 2, 4, 5, np.float32)
    calls = {
        "forward": lambda: lstm_fused.forward(params, X, state),
        "backward": lambda: lstm_fused.backward(dY, lstm.forward(params, X, state)[2], d_state),
        "init_params": lambda: lstm_fused.init_params(4, 5),
    }
    with pytest.raises(RuntimeError) as info:
        calls[call]()
    message = str(info.value)
    assert f"rnnlab.parallel.lstm_fused.{call}" in message
    assert "no usable CUDA GPU" in message and COLAB_HINT in message


@pytest.fixture
def fresh_probe(monkeypatch):
    """Probe again inside the test, and give the cached answer back afterwards."""
    monkeypatch.setattr(backend, "_PROBE", None)
    yield
    backend.probe_gpu(refresh=True)


def test_probe_reason_cupy_missing(fresh_probe, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    probe = backend.probe_gpu()
    assert not probe.usable and probe.reason.startswith("CuPy missing"), probe.reason
    assert backend.gpu_status() == probe.reason and backend.gpu_name() is None


def test_probe_reason_cublas_does_not_load(fresh_probe, monkeypatch):
    libs = pytest.importorskip("cupy_backends.cuda.libs")
    monkeypatch.delattr(libs, "cublas", raising=False)
    monkeypatch.setitem(sys.modules, "cupy_backends.cuda.libs.cublas", None)
    probe = backend.probe_gpu()
    assert not probe.usable and probe.reason.startswith("cuBLAS failed to load: "), probe.reason
    with pytest.raises(RuntimeError, match="cuBLAS failed to load"):
        backend.require_gpu("x")


def test_probe_does_not_trust_the_device_count(fresh_probe, monkeypatch):
    # cupy.is_available() only counts devices. Told there is one, the probe still does real work.
    cupy = pytest.importorskip("cupy")
    if backend.probe_gpu(refresh=True).usable:
        pytest.skip("a GPU is usable here: the work would succeed")
    import types

    monkeypatch.setattr(backend, "ctypes", types.SimpleNamespace(CDLL=lambda name: None))  # "the driver is there"
    monkeypatch.setattr(cupy.cuda.runtime, "getDeviceCount", lambda: 1)
    probe = backend.probe_gpu(refresh=True)
    assert not probe.usable and probe.reason.startswith("a small matrix product on the GPU failed"), probe.reason


def test_probe_runs_once(fresh_probe, monkeypatch):
    calls = []
    monkeypatch.setattr(backend, "_run_probe", lambda: calls.append(1) or backend.GpuProbe(False, "test reason"))
    assert [backend.gpu_available(), backend.gpu_available(), backend.gpu_status()] == [False, False, "test reason"]
    assert len(calls) == 1
    backend.probe_gpu(refresh=True)
    assert len(calls) == 2


def _gpu_item(**kwargs):
    """A stand-in for a collected test marked ``@pytest.mark.gpu(**kwargs)``."""
    import types

    marker = pytest.mark.gpu(**kwargs).mark
    return types.SimpleNamespace(get_closest_marker=lambda name: marker if name == "gpu" else None)


@pytest.mark.parametrize("required", ["", "0", "1"])
def test_gpu_marker_skips_or_fails_with_the_reason(monkeypatch, required):
    import conftest

    monkeypatch.setenv("REQUIRE_GPU", required)
    monkeypatch.setattr(conftest, "gpu_available", lambda: False)
    monkeypatch.setattr(conftest, "gpu_status", lambda: "no CUDA device or driver: test")
    # Both outcomes are caught here: a skip escaping this test would report it as skipped, not failed.
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception),
                       match=r"no usable CUDA GPU here \(no CUDA device or driver: test\)") as info:
        conftest.pytest_runtest_setup(_gpu_item())
    expected = pytest.fail.Exception if required == "1" else pytest.skip.Exception
    assert info.type is expected, f"REQUIRE_GPU={required!r} gave {info.type.__name__}"
    assert ("REQUIRE_GPU=1" in str(info.value)) == (required == "1")


def test_two_gpu_tests_skip_on_one_gpu_even_when_required(monkeypatch):
    import conftest

    monkeypatch.setenv("REQUIRE_GPU", "1")
    monkeypatch.setattr(conftest, "gpu_available", lambda: True)
    monkeypatch.setattr(conftest, "gpu_count", lambda: 1)
    conftest.pytest_runtest_setup(_gpu_item())  # one GPU: runs
    with pytest.raises(pytest.skip.Exception, match="needs 2 CUDA GPUs; this machine has 1"):
        conftest.pytest_runtest_setup(_gpu_item(devices=2))


def test_require_gpu_fails_the_gpu_tests_on_a_cpu_machine():
    # The real run, in a fresh pytest: REQUIRE_GPU=1 turns the skip into a failure that gives the reason.
    if backend.gpu_available():
        pytest.skip("a GPU is usable here: the GPU tests run")
    test_id = "tests/test_gpu.py::test_lstm_cupy_defaults_and_refusals"
    cmd = [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", test_id]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "REQUIRE_GPU": "1"}
    required = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert required.returncode == 1, required.stdout + required.stderr
    assert f"REQUIRE_GPU=1: no usable CUDA GPU here ({backend.gpu_status()})" in required.stdout
    env["REQUIRE_GPU"] = "0"
    skipped = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    assert f"no usable CUDA GPU here ({backend.gpu_status()})" in skipped.stdout


def test_gpu_device_choice_without_gpu(no_gpu):
    with pytest.raises(RuntimeError, match=re.escape(COLAB_HINT)):
        backend.resolve_device("gpu")
    assert backend.resolve_device("auto") == "cpu"


def test_numpy_arrays_are_refused_on_the_gpu_path():
    # Checked before any GPU work, so it runs without a GPU: CuPy imports, the array is NumPy.
    cupy = pytest.importorskip("cupy")
    with pytest.raises(ValueError, match=r"X must be a CuPy array.*to_gpu"):
        lstm_fused._check_module(cupy, np.zeros((2, 1, 3)), "X", "rnnlab.parallel.lstm_fused.forward")
    with pytest.raises(ValueError, match=r"must be a NumPy array"):
        lstm_fused._check_module(np, _FakeCupyArray(), "X", "rnnlab.parallel.lstm_fused.forward_on_host")
    lstm_fused._check_module(np, np.zeros(3), "X", "where")  # the right module passes


class _FakeCupyArray:
    """An object get_xp takes for a CuPy array (its type lives in a module named cupy...)."""


_FakeCupyArray.__module__ = "cupy._core.core"


def test_gate_views_are_the_four_blocks_without_copy():
    a = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 20)
    views = lstm_fused.gate_views(a, 5)
    assert len(views) == 4
    for k, v in enumerate(views):
        assert v.shape == (2, 3, 5) and np.shares_memory(v, a)
        np.testing.assert_array_equal(v, a[..., 5 * k : 5 * (k + 1)])
    with pytest.raises(ValueError, match="4H = 24"):
        lstm_fused.gate_views(a, 6)


def test_kernel_sources_are_named_and_consistent():
    assert set(lstm_fused.KERNELS) == {"lstm_forward_step", "lstm_backward_step"}
    for name, (ins, outs, body) in lstm_fused.KERNELS.items():
        in_names, out_names = parse_params(ins), parse_params(outs)
        assert len(set(in_names + out_names)) == len(in_names) + len(out_names), name
        assert "i" not in in_names + out_names, "i is CuPy's element index inside an ElementwiseKernel"
        assigned = set(re.findall(r"^\s*(\w+)\s*=", body, flags=re.M))
        assert assigned == set(out_names), f"{name} must assign every output once: {assigned}"
        used = set(re.findall(r"\b\w+\b", body))
        assert set(in_names) <= used, f"{name} leaves inputs unused: {set(in_names) - used}"


def test_params_strings_are_checked():
    assert parse_params("T a, T b_c") == ["a", "b_c"]
    with pytest.raises(ValueError, match="'float32 x'"):
        parse_params("float32 x")


# ------------------------------------------------------------ kernel sources compiled by NVRTC


#: The GPUs the course meets: T4 (Colab's free GPU, Turing), A100 (Ampere), H100 and H200 (Hopper).
#: CUDA 13's NVRTC still targets sm_75; it dropped the architectures before Turing (sm_50 to sm_72).
GPU_ARCHS = {75: "T4", 80: "A100", 90: "H100/H200"}


def _cupy_kernel_source(name: str, dtype) -> tuple[str, list]:
    """The CUDA source CuPy generates for one of lstm_fused's kernels called on strided 2-D views.

    Uses CuPy internals (cupy._core._kernel): if a CuPy release renames them the test fails and says so,
    rather than skipping, since the kernels would then go unchecked until a GPU sees them.
    """
    import cupy
    from cupy._core import _kernel, core
    from cupy._core._carray import Indexer

    ins, outs, body = lstm_fused.KERNELS[name]
    kernel = cupy.ElementwiseKernel(ins, outs, body, name, preamble=lstm_fused.PREAMBLE)
    n_args = kernel.nin + kernel.nout
    ndarray_kind, indexer_kind = 1, 2  # cupy._core._kernel._ArgKind
    arginfos = tuple(
        _kernel._ArgInfo(ndarray_kind, cupy.ndarray, np.dtype(dtype), 2, False, True) for _ in range(n_args)
    ) + (_kernel._ArgInfo(indexer_kind, Indexer, None, 2, True, True),)
    type_map = _kernel._TypeMap((("T", np.dtype(dtype)),))
    code = _kernel._get_elementwise_kernel_code(
        arginfos, type_map, kernel.params, kernel.operation, kernel.name, kernel.preamble
    )
    header = "\n".join(f"#include <{h}>" for h in core._cupy_header_list)
    options = ["-I" + core._get_header_dir_path(), *core._get_cccl_include_options()]
    return header + "\n" + code, options


def _nvrtc_compile(source: str, filename: str, options: list, arch: str):
    """Compile with NVRTC for ``arch`` (compute_XX: PTX, sm_XX: CUBIN); the program, or the log on failure."""
    from cupy.cuda import nvrtc

    program = nvrtc.createProgram(source, filename, [], [])
    try:
        nvrtc.compileProgram(program, [*options, "--std=c++17", f"--gpu-architecture={arch}"])
    except nvrtc.NVRTCError as e:
        pytest.fail(f"{filename} does not compile for {arch}:\n{nvrtc.getProgramLog(program)}\n{e}")
    return program


@pytest.mark.parametrize("arch", sorted(GPU_ARCHS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["lstm_forward_step", "lstm_backward_step"])
def test_kernel_compiles_with_nvrtc(name, dtype, arch):
    # No skip: CuPy and its NVRTC are in requirements.txt and load without a GPU (tests/test_cuda_libs.py).
    from cupy.cuda import nvrtc

    assert arch in nvrtc.getSupportedArchs(), f"NVRTC {nvrtc.getVersion()} cannot target sm_{arch} ({GPU_ARCHS[arch]})"
    source, options = _cupy_kernel_source(name, dtype)
    # PTX for the virtual architecture: what the driver JIT-compiles when no CUBIN fits.
    ptx = nvrtc.getPTX(_nvrtc_compile(source, f"{name}.cu", options, f"compute_{arch}")).decode()
    assert f".target sm_{arch}" in ptx and f".entry {name}(" in ptx
    # float kernels must stay in single precision: no silent promotion of T to double.
    if dtype == np.float32:
        assert ".f64" not in ptx, "a double-precision operation slipped into the float32 kernel"
    # CUBIN for the real GPU: what CuPy builds when its NVRTC knows the device's architecture.
    cubin = nvrtc.getCUBIN(_nvrtc_compile(source, f"{name}.cu", options, f"sm_{arch}"))
    assert cubin[:4] == b"\x7fELF" and name.encode() in cubin


# --------------------------------------------- kernel sources compiled for the CPU, lstm_fused's loop


@needs_cxx
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_host_compiled_kernels_match_numpy_lstm(shape, dtype):
    problem = _problem(*shape, dtype)
    reference = _run(lstm.forward, lstm.backward, *problem)
    host = _run(lstm_fused.forward_on_host, lstm_fused.backward_on_host, *problem)
    _assert_close(reference, host, dtype, "lstm_fused (host-compiled kernels)")


@needs_cxx
def test_host_run_with_zero_state_and_no_dY():
    params, X, _, _, _ = _problem(3, 2, 4, 5, np.float64)
    Y1, (h1, c1), cache1 = lstm.forward(params, X)
    Y2, (h2, c2), cache2 = lstm_fused.forward_on_host(params, X)
    assert relative_error(Y1, Y2) < 1e-10 and relative_error(c1, c2) < 1e-10
    g1, dX1, _ = lstm.backward(None, cache1, (np.ones_like(h1), np.zeros_like(c1)))
    g2, dX2, _ = lstm_fused.backward_on_host(None, cache2, (np.ones_like(h2), np.zeros_like(c2)))
    assert relative_error(dX1, dX2) < 1e-10 and relative_error(g1["W_h"], g2["W_h"]) < 1e-10


@needs_cxx
def test_host_backward_leaves_d_state_untouched():
    params, X, state, dY, d_state = _problem(3, 2, 4, 5, np.float64)
    kept = tuple(a.copy() for a in d_state)
    _, _, cache = lstm_fused.forward_on_host(params, X, state)
    lstm_fused.backward_on_host(dY, cache, d_state)
    for a, b in zip(d_state, kept):
        np.testing.assert_array_equal(a, b)


@needs_cxx
def test_host_kernel_catches_a_wrong_body():
    # The comparison above is sharp enough to see a one-character slip in a kernel body.
    ins, outs, body = lstm_fused.KERNELS["lstm_forward_step"]
    wrong = HostKernel(ins, outs, body.replace("gate_f * c_prev", "gate_i * c_prev"), "wrong_forward",
                       lstm_fused.PREAMBLE, np.float64)
    right = lstm_fused._host_kernels(np.dtype(np.float64))["lstm_forward_step"]
    rng = np.random.default_rng(0)
    ins_ = [rng.standard_normal((2, 3)) for _ in parse_params(ins)]
    outs_right = [np.zeros((2, 3)) for _ in parse_params(outs)]
    outs_wrong = [np.zeros((2, 3)) for _ in parse_params(outs)]
    right(*ins_, *outs_right)
    wrong(*ins_, *outs_wrong)
    assert relative_error(outs_right[4], outs_wrong[4]) > 1e-3  # the cell state c


@needs_cxx
def test_same_input_checks_as_lstm():
    params, X, state, dY, _ = _problem(3, 2, 4, 5, np.float64)
    bad_calls = {
        "X must be 3-D": lambda f: f(params, X[0]),
        "W_x expects D=4": lambda f: f(params, X[..., :3]),
        "contains NaN": lambda f: f(params, np.where(X > 1, np.nan, X)),
        r"state h must have shape \(B, H\) = \(2, 5\)": lambda f: f(params, X, (state[0][:1], state[1])),
        r"params is missing \['b'\]": lambda f: f({"W_x": params["W_x"], "W_h": params["W_h"]}, X),
    }
    for message, call in bad_calls.items():
        for forward in (lstm.forward, lstm_fused.forward_on_host):
            with pytest.raises(ValueError, match=message):
                call(forward)
    half = {k: v.astype(np.float16) for k, v in params.items()}
    with pytest.raises(ValueError, match="float32 or float64; got float16"):
        lstm_fused.forward_on_host(half, X)
    _, _, cache = lstm_fused.forward_on_host(params, X, state)
    with pytest.raises(ValueError, match="dY must have the shape of Y"):
        lstm_fused.backward_on_host(dY[:2], cache)


# --------------------------------------------------------------------------- on a real GPU

LAYERS = {"rnn": rnn, "lstm": lstm, "gru": gru}


def _cupy():
    import cupy

    return cupy


def _layer_run(layer, params, X, seed=3):
    """Forward and backward of a layer with a random dY and d_state, results as a dict."""
    xp = backend.get_xp(X)
    Y, state_T, cache = layer.forward(params, X)
    rng = np.random.default_rng(seed)
    dY = xp.asarray(rng.standard_normal(Y.shape).astype(Y.dtype))
    states = state_T if isinstance(state_T, tuple) else (state_T,)
    d_states = tuple(xp.asarray(rng.standard_normal(s.shape).astype(s.dtype)) for s in states)
    grads, dX, d0 = layer.backward(dY, cache, d_states if isinstance(state_T, tuple) else d_states[0])
    d0 = d0 if isinstance(d0, tuple) else (d0,)
    out = {"Y": Y, "dX": dX, **{f"d{k}": g for k, g in grads.items()}}
    out.update({f"state_T{k}": s for k, s in enumerate(states)})
    out.update({f"d_state0_{k}": s for k, s in enumerate(d0)})
    return out


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_direct_port_matches_numpy(name, shape, dtype):
    T, B, D, H = shape
    layer = LAYERS[name]
    params = layer.init_params(D, H, seed=1, dtype=dtype)
    X = np.random.default_rng(0).standard_normal((T, B, D)).astype(dtype)
    on_cpu = _layer_run(layer, params, X)
    on_gpu = _layer_run(layer, backend.tree_to_gpu(params), backend.to_gpu(X))
    assert all(type(v).__module__.startswith("cupy") for v in on_gpu.values())
    _assert_close(on_cpu, on_gpu, dtype, f"CuPy direct port of {name}")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_cupy_matches_numpy_and_direct_port(shape, dtype):
    params, X, state, dY, d_state = _problem(*shape, dtype)
    reference = _run(lstm.forward, lstm.backward, params, X, state, dY, d_state)
    gpu = [backend.tree_to_gpu(params), backend.to_gpu(X), tuple(map(backend.to_gpu, state)),
           backend.to_gpu(dY), tuple(map(backend.to_gpu, d_state))]
    direct = _run(lstm.forward, lstm.backward, *gpu)
    fused = _run(lstm_fused.forward, lstm_fused.backward, *gpu)
    _assert_close(reference, direct, dtype, "CuPy direct port")
    _assert_close(reference, fused, dtype, "lstm_fused")
    _assert_close(direct, fused, dtype, "lstm_fused vs direct port")


@pytest.mark.gpu
def test_lstm_cupy_defaults_and_refusals():
    params = lstm_fused.init_params(3, 33, seed=2)
    assert params["W_h"].dtype == np.float32 and type(params["W_h"]).__module__.startswith("cupy")
    np.testing.assert_array_equal(backend.to_numpy(params["W_x"]), lstm.init_params(3, 33, seed=2)["W_x"])
    X = np.zeros((4, 2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="X must be a CuPy array"):
        lstm_fused.forward(params, X)
    with pytest.raises(ValueError, match=r"params\['W_x'\] must be a CuPy array"):
        lstm_fused.forward(backend.tree_to_numpy(params), backend.to_gpu(X))
    Y, (h, c), cache = lstm_fused.forward(params, backend.to_gpu(X))
    assert Y.shape == (4, 2, 33) and h.dtype == np.float32
    with pytest.raises(ValueError, match="dY must be a CuPy array"):
        lstm_fused.backward(np.zeros(Y.shape, np.float32), cache)


@pytest.mark.gpu
def test_functional_and_optim_on_cupy():
    cupy = _cupy()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5)) * 40  # large values: the overflow-free paths matter
    targets = rng.integers(0, 5, size=6)
    for f in (functional.sigmoid, functional.tanh, functional.relu, functional.softmax, functional.log_softmax):
        # CUDA's exp, log and tanh may differ from the host's by a few ulp. log_softmax of x * 40 runs up to
        # |200|, and its largest entry is about -1e-17: an absolute term at the scale of the values (1e-13
        # of the largest) keeps that entry from failing on rounding, where rtol alone would.
        ref = f(x)
        np.testing.assert_allclose(backend.to_numpy(f(cupy.asarray(x))), ref, rtol=1e-12,
                                   atol=1e-13 * float(np.abs(ref).max()), err_msg=f.__name__)
    for f, args in ((functional.cross_entropy, (x, targets)), (functional.mse, (x, x[::-1].copy()))):
        loss_cpu, grad_cpu = f(*args)
        loss_gpu, grad_gpu = f(*(cupy.asarray(a) for a in args))
        assert abs(float(loss_gpu) - float(loss_cpu)) <= 1e-12 * abs(float(loss_cpu))
        np.testing.assert_allclose(backend.to_numpy(grad_gpu), grad_cpu, rtol=1e-12, atol=1e-15)
    params = lstm.init_params(3, 4, seed=0, dtype=np.float64)
    grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
    for opt_cpu, opt_gpu in ((optim.SGD(0.1, momentum=0.9), optim.SGD(0.1, momentum=0.9)), (optim.Adam(), optim.Adam())):
        p_cpu, p_gpu = dict(params), backend.tree_to_gpu(params)
        p_cpu = {k: v.copy() for k, v in p_cpu.items()}
        for _ in range(3):
            g_cpu = {k: v.copy() for k, v in grads.items()}
            g_gpu = backend.tree_to_gpu(grads)
            n_cpu, n_gpu = optim.clip_grad_norm(g_cpu, 1.0), optim.clip_grad_norm(g_gpu, 1.0)
            assert abs(n_cpu - n_gpu) <= 1e-12 * n_cpu
            opt_cpu.step(p_cpu, g_cpu)
            opt_gpu.step(p_gpu, g_gpu)
        for k in params:
            np.testing.assert_allclose(backend.to_numpy(p_gpu[k]), p_cpu[k], rtol=1e-12, atol=1e-14)


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["rnn", "gru", "lstm"])
def test_direct_port_takes_a_host_initial_state(name):
    # A NumPy state with CuPy params and X is copied to the GPU, as rnnlab.layers.lstm always did.
    layer, (T, B, D, H) = LAYERS[name], (3, 2, 4, 5)
    params = layer.init_params(D, H, seed=0, dtype=np.float64)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((T, B, D))
    state = (rng.standard_normal((B, H)), rng.standard_normal((B, H))) if name == "lstm" else rng.standard_normal((B, H))
    Y_cpu = layer.forward(params, X, state)[0]
    Y_gpu = layer.forward(backend.tree_to_gpu(params), backend.to_gpu(X), state)[0]
    assert relative_error(Y_cpu, backend.to_numpy(Y_gpu)) < 1e-10


# ------------------------------------------------------------------- fit(..., device=...)


def _airline_problem(window=12):
    """The airline model's data: min-max scaled passengers, 12-month windows, next month as target."""
    from rnnlab.data import MinMaxScaler, load_airline_passengers, make_windows
    from rnnlab.training.train import to_time_major

    series = load_airline_passengers().to_numpy(dtype=np.float64)[:, None]
    scaled = MinMaxScaler().fit_transform(series)
    windows, targets = make_windows(scaled, window, 1)
    return to_time_major(windows), targets[:, 0, :]


def test_fit_on_gpu_without_gpu_is_the_clear_runtime_error(no_gpu):
    from rnnlab.training.models import SequenceRegressor
    from rnnlab.training.train import fit

    X, Y = _airline_problem()
    model = SequenceRegressor(1, 8, 1, seed=0)
    with pytest.raises(RuntimeError, match=re.escape(COLAB_HINT)) as info:
        fit(model, model.init_params(), X, Y, epochs=1, progress=False, device="gpu")
    assert "no usable CUDA GPU" in str(info.value)


@pytest.mark.gpu
@pytest.mark.parametrize("layer", ["direct port", "lstm_fused"])
def test_fit_airline_on_gpu_matches_cpu_in_float64(layer):
    from rnnlab.training.models import SequenceRegressor
    from rnnlab.training.train import fit

    X, Y = _airline_problem()
    cpu_model = SequenceRegressor(1, 16, 1, seed=0, dtype=np.float64)
    gpu_model = SequenceRegressor(1, 16, 1, seed=0, dtype=np.float64,
                                  layer=lstm_fused if layer == "lstm_fused" else None)
    settings = dict(strategy="minibatch", batch_size=32, epochs=5, lr=0.01, seed=0, progress=False)
    p_cpu, h_cpu = fit(cpu_model, cpu_model.init_params(), X, Y, **settings)
    p_gpu, h_gpu = fit(gpu_model, gpu_model.init_params(), X, Y, device="gpu", **settings)
    assert all(type(v) is np.ndarray for v in p_gpu.values())
    assert h_cpu["loss"].iloc[-1] < h_cpu["loss"].iloc[0]  # it did learn something
    np.testing.assert_allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-9)
    for k in p_cpu:
        assert relative_error(p_cpu[k], p_gpu[k]) < 1e-10, k


@needs_cxx
def test_fit_airline_with_host_compiled_kernels_matches_lstm():
    # lstm_fused's loop and kernel source, run on the CPU, train the airline model exactly like rnnlab.layers.lstm.
    import types

    from rnnlab.training.models import SequenceRegressor
    from rnnlab.training.train import fit

    X, Y = _airline_problem()
    host_layer = types.SimpleNamespace(forward=lstm_fused.forward_on_host, backward=lstm_fused.backward_on_host)
    settings = dict(strategy="minibatch", batch_size=32, epochs=3, lr=0.01, seed=0, progress=False)
    ref_model = SequenceRegressor(1, 8, 1, seed=0)
    host_model = SequenceRegressor(1, 8, 1, seed=0, layer=host_layer)
    p_ref, h_ref = fit(ref_model, ref_model.init_params(), X, Y, **settings)
    p_host, h_host = fit(host_model, host_model.init_params(), X, Y, **settings)
    assert h_ref["loss"].iloc[-1] < h_ref["loss"].iloc[0]
    np.testing.assert_allclose(h_host["loss"], h_ref["loss"], rtol=1e-10)
    for k in p_ref:
        assert relative_error(p_ref[k], p_host[k]) < 1e-10, k
