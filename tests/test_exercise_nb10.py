"""Notebook 10's checkers accept the reference and reject every deliberately wrong solution.

The kernel body's checker runs here on the host compiler (g++); the same cases on the GPU path
(``cupy.ElementwiseKernel``) are the `gpu`-marked tests, skipped without a usable GPU.
"""
import numpy as np
import pytest
from _exercise_mutants import generic, not_implemented

from rnnlab import exercises, functional
from rnnlab.exercises import nb10_gpu
from rnnlab.layers.lstm_cell import gate_views
from rnnlab.parallel import lstm_fused
from rnnlab.parallel._host_kernels import host_compiler

needs_cxx = pytest.mark.skipif(host_compiler() is None, reason="no host C++ compiler (g++ or clang++) on PATH")
BODY = lstm_fused.FORWARD_BODY


def body(text):
    return lambda: text


# A second correct formulation: each sigmoid as (1 + tanh(x/2)) / 2 (rnnlab.layers.lstm_cell goes through exp).
THROUGH_TANH = """
gate_i = (1 + tanh((xa_i + ha_i) / 2)) / 2;
gate_f = (1 + tanh((xa_f + ha_f) / 2)) / 2;
gate_g = tanh(xa_g + ha_g);
gate_o = (1 + tanh((xa_o + ha_o) / 2)) / 2;
c = gate_f * c_prev + gate_i * gate_g;
tanh_c = tanh(c);
h = gate_o * tanh_c;
"""
KERNEL_MISTAKES = {
    "sigmoid as exp(x) / (1 + exp(x)) (overflows)": BODY.replace(
        "gate_o = sigmoid(xa_o + ha_o);", "gate_o = exp(xa_o + ha_o) / (1 + exp(xa_o + ha_o));"),
    "h and c swapped": BODY.replace("c = gate_f * c_prev + gate_i * gate_g;\ntanh_c = tanh(c);\nh = gate_o * tanh_c;",
                                    "h = gate_f * c_prev + gate_i * gate_g;\ntanh_c = tanh(h);\nc = gate_o * tanh_c;"),
    "gates i and f swapped": BODY.replace("c = gate_f * c_prev + gate_i * gate_g;",
                                          "c = gate_i * c_prev + gate_f * gate_g;"),
    "gate blocks i and f read swapped": BODY.replace("sigmoid(xa_i + ha_i)", "sigmoid(xa_TMP + ha_TMP)")
        .replace("sigmoid(xa_f + ha_f)", "sigmoid(xa_i + ha_i)").replace("TMP", "f"),
    "missing tanh(c)": BODY.replace("tanh_c = tanh(c);", "tanh_c = c;"),
    "tanh_c not written": BODY.replace("tanh_c = tanh(c);\nh = gate_o * tanh_c;", "h = gate_o * tanh(c);"),
    "sigmoid for the candidate g": BODY.replace("gate_g = tanh(xa_g + ha_g);", "gate_g = sigmoid(xa_g + ha_g);"),
    "ha left out of the pre-activation": BODY.replace("sigmoid(xa_f + ha_f)", "sigmoid(xa_f)"),
    "error of 1e-4": BODY.replace("h = gate_o * tanh_c;", "h = gate_o * tanh_c * (T)1.0001;"),
    "does not compile": BODY.replace("tanh_c = tanh(c);", "tanh_c = tanh(cell);"),
    "empty": "",
}
WRONG_KERNELS = {**{k: body(v) for k, v in KERNEL_MISTAKES.items()}, "not implemented": not_implemented,
                 "returns a list of lines": lambda: BODY.splitlines()}


def test_the_reference_cell_is_the_lstm_equations():
    rng = np.random.default_rng(1)
    xa, ha, c_prev = rng.standard_normal((3, 8)), rng.standard_normal((3, 8)), rng.standard_normal((3, 2))
    a_i, a_f, a_g, a_o = gate_views(xa + ha, 2)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731 - moderate inputs: the plain formula is fine here
    c = sig(a_f) * c_prev + sig(a_i) * np.tanh(a_g)
    got = nb10_gpu.lstm_cell_step(xa, ha, c_prev)
    np.testing.assert_allclose(got["c"], c, rtol=1e-13)
    np.testing.assert_allclose(got["h"], sig(a_o) * np.tanh(c), rtol=1e-13)
    np.testing.assert_allclose(got["gate_o"], functional.sigmoid(a_o), rtol=1e-13)
    assert list(got) == list(nb10_gpu.OUTPUT_NAMES)


@needs_cxx
@pytest.mark.parametrize("right", [BODY, THROUGH_TANH], ids=["package body", "sigmoid through tanh"])
def test_the_kernel_body_passes_on_the_host_compiler(capsys, right):
    exercises.check_lstm_cell_kernel_body(body(right), use_gpu=False)
    assert capsys.readouterr().out.startswith(
        "PASS lstm_cell_kernel_body on the host compiler (no GPU): 10 cases, max rel err ")


@needs_cxx
@pytest.mark.parametrize("mistake", sorted(WRONG_KERNELS))
def test_a_wrong_kernel_body_is_rejected_on_the_host_compiler(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_lstm_cell_kernel_body(WRONG_KERNELS[mistake], use_gpu=False)


@needs_cxx
def test_the_messages_say_what_is_wrong():
    with pytest.raises(exercises.ExerciseError, match="does not compile.*cell"):
        exercises.check_lstm_cell_kernel_body(WRONG_KERNELS["does not compile"], use_gpu=False)
    with pytest.raises(exercises.ExerciseError, match=r"output\['tanh_c'\] is not finite"):
        exercises.check_lstm_cell_kernel_body(WRONG_KERNELS["tanh_c not written"], use_gpu=False)
    with pytest.raises(exercises.ExerciseError, match="lstm_cell_kernel_body is not implemented yet"):
        exercises.check_lstm_cell_kernel_body(not_implemented, use_gpu=False)


@pytest.mark.gpu
@pytest.mark.parametrize("right", [BODY, THROUGH_TANH], ids=["package body", "sigmoid through tanh"])
def test_the_kernel_body_passes_on_the_gpu(capsys, right):
    exercises.check_lstm_cell_kernel_body(body(right), use_gpu=True)
    assert capsys.readouterr().out.startswith(
        "PASS lstm_cell_kernel_body on the GPU (cupy.ElementwiseKernel): 10 cases, max rel err ")


@pytest.mark.gpu
@pytest.mark.parametrize("mistake", sorted(WRONG_KERNELS))
def test_a_wrong_kernel_body_is_rejected_on_the_gpu(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_lstm_cell_kernel_body(WRONG_KERNELS[mistake], use_gpu=True)


# --- Exercise 10.2: the gate layout ---

INDEX = nb10_gpu.gate_flat_index


def by_formula(B, H):
    k, b, j = np.ogrid[:4, :B, :H]
    return (b * 4 * H + k * H + j).astype(np.int64)


WRONG_INDEX = {
    # error of 1e-4, float32 upcast and input modified in place do not apply: the inputs and outputs are integers.
    **{k: v for k, v in generic(INDEX).items() if k in ("lists instead of arrays", "not implemented")},
    "gate-major layout (4, B, H)": lambda B, H: np.arange(4 * B * H, dtype=np.int64).reshape(4, B, H),
    "interleaved gates (Chainer's layout)": lambda B, H: np.stack([
        np.arange(B)[:, None] * 4 * H + np.arange(H)[None] * 4 + k for k in range(4)]).astype(np.int64),
    "row stride H instead of 4H": lambda B, H: np.stack([
        np.arange(B)[:, None] * H + k * H + np.arange(H)[None] for k in range(4)]).astype(np.int64),
    "axes (B, 4, H)": lambda B, H: by_formula(B, H).transpose(1, 0, 2).copy(),
    "float offsets": lambda B, H: by_formula(B, H).astype(np.float64),
    "off by one (counted from 1)": lambda B, H: by_formula(B, H) + 1,
}


def test_the_gate_index_passes(capsys):
    exercises.check_gate_flat_index(INDEX)
    exercises.check_gate_flat_index(by_formula)
    assert capsys.readouterr().out.startswith("PASS gate_flat_index: 5 cases")


def test_the_gate_index_reference_is_the_row_major_formula():
    for B, H in nb10_gpu.LAYOUT_SHAPES:
        np.testing.assert_array_equal(INDEX(B, H), by_formula(B, H))
        a = np.random.default_rng(0).standard_normal((B, 4 * H))
        for k in range(4):  # the offsets address gate_views' blocks in the flat memory
            np.testing.assert_array_equal(a.ravel()[INDEX(B, H)[k]], gate_views(a, H)[k])


@pytest.mark.parametrize("mistake", sorted(WRONG_INDEX))
def test_a_wrong_gate_index_is_rejected(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_gate_flat_index(WRONG_INDEX[mistake])
