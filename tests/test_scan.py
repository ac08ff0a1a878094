"""The parallel scans of rnnlab.parallel.scan: every method equals the loop, for any T, in both dtypes.

The accuracy is the issue's: for a_t in [0, 1) and any b_t, max |h - h_loop| <= 1e-12 max |h| (float64),
1e-5 max |h| (float32), for T from 1 to 16384, powers of two or not.
"""
import numpy as np
import pytest

import rnnlab
from rnnlab.parallel import scan, scan_closed_form
from rnnlab.parallel.scan import METHODS, scan_affine, scan_linear_recurrence

TOL = {np.float64: 1e-12, np.float32: 1e-5}
PARALLEL = [m for m in METHODS if m != "loop"]


def problem(T, B, H, dtype, seed=0, with_h0=True, scale=1.0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 1, (T, B, H)).astype(dtype)
    b = (scale * rng.standard_normal((T, B, H))).astype(dtype)
    h0 = rng.standard_normal((B, H)).astype(dtype) if with_h0 else None
    return a, b, h0


def reference(a, b, h0):
    """The recurrence step by step in float64, written out here independently of rnnlab."""
    h = np.zeros(a.shape[1:]) if h0 is None else h0.astype(np.float64)
    out = []
    for t in range(len(a)):
        h = a[t].astype(np.float64) * h + b[t]
        out.append(h)
    return np.array(out)


def assert_close(got, want, dtype):
    scale = np.abs(want).max()
    assert np.abs(got - want).max() <= TOL[dtype] * scale, (np.abs(got - want).max(), scale)


def test_the_package_exports_the_scan():
    assert rnnlab.scan_linear_recurrence is scan_linear_recurrence
    assert METHODS == ("loop", "hillis_steele", "blelloch", "chunked")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(6))
def test_every_method_equals_the_loop_at_random_shapes(method, dtype, seed):
    rng = np.random.default_rng(100 + seed)
    T, B, H = int(rng.integers(1, 300)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
    a, b, h0 = problem(T, B, H, dtype, seed=seed, with_h0=seed % 2 == 0, scale=10.0 ** rng.integers(-3, 4))
    h = scan_linear_recurrence(a, b, h0, method=method)
    assert h.shape == (T, B, H) and h.dtype == dtype
    assert_close(h, scan_linear_recurrence(a, b, h0, method="loop"), dtype)
    assert_close(h, reference(a, b, h0), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("T", [1, 2, 3, 5, 7, 9, 31, 33, 127, 1000, 1025])
@pytest.mark.parametrize("method", PARALLEL)
def test_odd_lengths_and_non_powers_of_two(method, T, dtype):
    a, b, h0 = problem(T, 2, 3, dtype, seed=T)
    assert_close(scan_linear_recurrence(a, b, h0, method=method), reference(a, b, h0), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("T", [4096, 16384, 16383])
def test_long_sequences(T, dtype):
    a, b, h0 = problem(T, 2, 2, dtype, seed=1)
    a = (0.999 + 0.001 * a).astype(dtype)  # long memory: h sums thousands of inputs
    want = reference(a, b, h0)
    for method in METHODS:
        assert_close(scan_linear_recurrence(a, b, h0, method=method), want, dtype)


def test_h0_none_is_a_zero_state_and_the_inputs_are_left_alone():
    a, b, h0 = problem(17, 2, 3, np.float64)
    a_copy, b_copy = a.copy(), b.copy()
    for method in METHODS:
        np.testing.assert_array_equal(scan_linear_recurrence(a, b, None, method),
                                      scan_linear_recurrence(a, b, np.zeros((2, 3)), method))
        np.testing.assert_array_equal(a, a_copy)
        np.testing.assert_array_equal(b, b_copy)


def test_one_step_is_one_multiply_add():
    a, b, h0 = problem(1, 3, 4, np.float64)
    for method in METHODS:
        np.testing.assert_array_equal(scan_linear_recurrence(a, b, h0, method)[0], a[0] * h0 + b[0])


def test_bad_input_is_rejected_with_the_argument_and_the_shapes():
    a, b, h0 = problem(5, 2, 3, np.float64)
    with pytest.raises(ValueError, match=r"method must be one of .*'loop'.*got 'fast'"):
        scan_linear_recurrence(a, b, h0, method="fast")
    with pytest.raises(ValueError, match=r"a \(5, 2, 3\), b \(5, 2, 4\)"):
        scan_linear_recurrence(a, np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match=r"3-D arrays \(T, B, H\).*a \(5, 6\)"):
        scan_linear_recurrence(a.reshape(5, 6), b.reshape(5, 6))
    with pytest.raises(ValueError, match=r"T >= 1.*\(0, 2, 3\)"):
        scan_linear_recurrence(a[:0], b[:0])
    with pytest.raises(ValueError, match=r"h0 must have shape \(B, H\) = \(2, 3\).*got \(3, 2\)"):
        scan_linear_recurrence(a, b, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="float32 or float64.*int64"):
        scan_linear_recurrence(np.ones((2, 1, 1), dtype=np.int64), np.ones((2, 1, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"A must be \(T, ..., n, n\).*A \(5, 2, 3\)"):
        scan_affine(a, b)
    with pytest.raises(ValueError, match=r"s0 must have shape \(2, 3\)"):
        scan_affine(np.zeros((5, 2, 3, 3)), b, np.zeros(3))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T", [1, 6, 7, 100])
def test_the_matrix_scan_equals_its_loop(method, T):
    rng = np.random.default_rng(T)
    A = rng.uniform(-0.4, 0.4, (T, 3, 4, 4))
    b, s0 = rng.standard_normal((T, 3, 4)), rng.standard_normal((3, 4))
    s, want = s0, []
    for t in range(T):
        s = A[t] @ s[..., None]
        s = s[..., 0] + b[t]
        want.append(s)
    got = scan_affine(A, b, s0, method=method)
    np.testing.assert_allclose(got, np.array(want), rtol=0, atol=1e-12 * np.abs(want).max())


def test_the_scans_work_and_depth_counts():
    assert [scan.depth(m, 4096) for m in METHODS] == [4095, 12, 23, 127]
    assert [scan.depth(m, 1) for m in METHODS] == [0, 0, 0, 0]
    assert [scan.work(m, 1) for m in METHODS] == [0, 0, 0, 0]
    assert scan.work("loop", 1000) == 999 and scan.work("hillis_steele", 8) == 7 + 6 + 4
    assert scan.work("blelloch", 8) == 4 + 2 + 1 + 0 + 1 + 3 and scan.work("blelloch", 5) < 2 * 5


def test_the_closed_forms_agree_where_they_can_and_the_naive_one_breaks_where_it_must():
    a, b, h0 = problem(200, 2, 3, np.float64)
    want = reference(a, b, h0)
    np.testing.assert_allclose(scan_closed_form.cumprod_cumsum(a, b, h0), want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(scan_closed_form.log_space(a, b, h0), want, rtol=0, atol=1e-10)
    long_a, long_b, _ = problem(2000, 1, 1, np.float64, seed=3)
    with np.errstate(all="ignore"):
        naive = scan_closed_form.cumprod_cumsum(long_a, long_b)
    assert not np.isfinite(naive[-1]).all()
    np.testing.assert_allclose(scan_closed_form.log_space(long_a, long_b), reference(long_a, long_b, None),
                               rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="a > 0"):
        scan_closed_form.log_space(np.zeros((2, 1, 1)), np.ones((2, 1, 1)))


@pytest.mark.gpu
@pytest.mark.parametrize("method", METHODS)
def test_the_cupy_scan_equals_the_numpy_scan(method):
    import cupy

    for dtype in (np.float64, np.float32):
        a, b, h0 = problem(1001, 4, 8, dtype, seed=5)
        got = scan_linear_recurrence(cupy.asarray(a), cupy.asarray(b), cupy.asarray(h0), method=method)
        assert isinstance(got, cupy.ndarray) and got.dtype == dtype
        assert_close(cupy.asnumpy(got), reference(a, b, h0), dtype)
