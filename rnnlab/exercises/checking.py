"""The checking engine behind every exercise: a student's function held to the package's reference.

A checker runs the student's function and the reference on the same random cases (several shapes, size-1
dimensions, float64 and float32) with NumPy's overflow, invalid and divide errors raised, and checks in
order: the type of each output, its shape, its dtype, that no input was modified, that every value is
finite, then the values against a per-dtype tolerance. The expected values come from the reference run in
float64 on the same inputs (so a float32 solution is measured against the exact answer, not against the
reference's own rounding); the expected dtype comes from the reference run on the inputs as given.

A pass prints one line, ``PASS name: 12 cases, max rel err 3e-16``; anything else raises ``ExerciseError``,
which IPython shows as one red line: what is wrong, in which case, and where, never the reference's code.
"""
from __future__ import annotations

import copy
import numbers
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Per dtype: (rtol, floor). The error of element i is |got_i - expected_i| / max(|expected_i|, floor * scale)
#: with scale = max |expected| over the output; it must stay <= rtol. float32 errors are measured relative to
#: the output's scale (floor 1), since float32 rounding of a sum is relative to its terms, not to the sum.
TOLERANCE = {np.dtype(np.float64): (1e-8, 1e-6), np.dtype(np.float32): (1e-5, 1.0)}
FLOATING_ERRORS = dict(over="raise", invalid="raise", divide="raise", under="ignore")


class ExerciseError(Exception):
    """A student's function is missing or disagrees with the reference; the message says what and where."""

    def _render_traceback_(self):  # IPython prints this one red line instead of a traceback
        return [f"\x1b[1;31m{type(self).__name__}: {self}\x1b[0m"]


@dataclass
class Case:
    """One call: positional ``args`` (and ``kwargs``) and a label such as ``"B=1, D=3, H=2, float32"``."""

    args: tuple
    label: str
    kwargs: dict = field(default_factory=dict)

    @property
    def dtype(self) -> np.dtype:
        """The lowest floating precision among the inputs (float64 when there is none)."""
        kinds = [a.dtype for a in _leaves(self.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
        return min(kinds, key=lambda d: d.itemsize, default=np.dtype(np.float64))


def random_cases(build: Callable, shapes: Sequence[dict], dtypes=(np.float64, np.float32), *, seed: int = 0,
                 large: dict | None = None) -> list[Case]:
    """Cases ``build(rng, dtype, **shape) -> args`` for every shape and dtype, labelled by the shape's sizes.

    ``large`` (a shape) adds one case per dtype with ``scale=`` set so that an unstable formula overflows:
    ``build`` then receives ``scale`` (1 otherwise) and multiplies the inputs it wants large by it.
    """
    rng = np.random.default_rng(seed)
    cases = []
    for dtype in dtypes:
        name = np.dtype(dtype).name
        for shape in shapes:
            sizes = ", ".join(f"{k}={v}" for k, v in shape.items())
            cases.append(Case(tuple(build(rng, np.dtype(dtype), scale=1.0, **shape)), f"{sizes}, {name}"))
        if large is not None:
            scale = 200.0 if np.dtype(dtype) == np.float32 else 2000.0
            sizes = ", ".join(f"{k}={v}" for k, v in large.items())
            cases.append(Case(tuple(build(rng, np.dtype(dtype), scale=scale, **large)),
                              f"{sizes}, {name}, inputs scaled by {scale:g}"))
    return cases


def _leaves(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _leaves(value)
    elif isinstance(tree, (tuple, list)):
        for value in tree:
            yield from _leaves(value)
    else:
        yield tree


def _upcast(tree):
    if isinstance(tree, dict):
        return {k: _upcast(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_upcast(v) for v in tree)
    if isinstance(tree, np.ndarray) and tree.dtype == np.float32:
        return tree.astype(np.float64)
    return tree


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    kind = type(value)
    return f"{value!r:.40} (type {kind.__name__ if kind.__module__ == 'builtins' else kind.__module__ + '.' + kind.__name__})"


def _structure(name, got, expected, path, out):
    """Check types and lengths/keys, and collect (path, got, expected) leaves."""
    where = path or "the output"
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            raise ExerciseError(f"{name}: {where} should be a numpy.ndarray, got {_describe(got)}")
    elif isinstance(expected, dict):
        if not isinstance(got, dict):
            raise ExerciseError(f"{name}: {where} should be a dict with keys {sorted(expected)}, got {_describe(got)}")
        if set(got) != set(expected):
            raise ExerciseError(f"{name}: {where} should have the keys {sorted(expected)}, got {sorted(got)}")
        for key in expected:
            _structure(name, got[key], expected[key], f"{path or 'output'}[{key!r}]", out)
        return
    elif isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise ExerciseError(f"{name}: {where} should be a tuple of {len(expected)} values, got {_describe(got)}"
                                + (f" of {len(got)}" if isinstance(got, (tuple, list)) else ""))
        for k, (g, e) in enumerate(zip(got, expected)):
            _structure(name, g, e, f"{path or 'output'}[{k}]", out)
        return
    elif isinstance(expected, numbers.Number) and not isinstance(expected, bool):
        if isinstance(got, bool) or not isinstance(got, numbers.Number | np.ndarray) or np.ndim(got) != 0:
            raise ExerciseError(f"{name}: {where} should be a number, got {_describe(got)}")
    elif got != expected:
        raise ExerciseError(f"{name}: {where} should be {expected!r}, got {got!r}")
    out.append((where, got, expected))


def _relative_error(got, expected, dtype, result_scale: float = 0.0) -> tuple[float, int, np.ndarray]:
    """(max error, flat index of the worst element, elementwise error) under the dtype's (rtol, floor).

    A difference below the dtype's eps times ``result_scale`` (the largest magnitude in the whole result)
    is rounding, never an error: two correct formulations part there, e.g. sigmoid(-150) is 7e-66 through
    exp and exactly 0 through tanh in float64, in an array whose every value is as small.
    """
    rtol, floor = TOLERANCE[dtype]
    g = np.asarray(got, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    if e.size == 0:
        return 0.0, -1, e
    scale = float(np.max(np.abs(e)))
    rounding = float(np.finfo(dtype).eps) * result_scale / rtol  # |g - e| up to eps * result_scale passes
    denominator = np.maximum(np.abs(e), max(floor * scale, rounding)) if scale > 0 else np.ones_like(e)
    error = np.abs(g - e) / denominator
    worst = int(np.argmax(error))
    return float(error[worst]), worst, error


def _index(flat: int, shape: tuple) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "()"


def _student_line(err: BaseException, student) -> str:
    code = getattr(student, "__code__", None)
    frames = [f for f in traceback.extract_tb(err.__traceback__) if code and f.filename == code.co_filename]
    return f" (line {frames[-1].lineno - code.co_firstlineno + 1} of {student.__name__})" if frames else ""


def call_student(name: str, student: Callable, case: Case):
    """Run the student's function on ``case`` with floating-point errors raised; failures become ExerciseError."""
    try:
        with np.errstate(**FLOATING_ERRORS):
            return student(*case.args, **case.kwargs)
    except NotImplementedError:
        raise ExerciseError(f"{name} is not implemented yet: write its body in the cell above (in place of "
                            "`raise NotImplementedError()`), run that cell, then this one") from None
    except FloatingPointError as err:
        raise ExerciseError(f"{name}: {err}{_student_line(err, student)} in case {case.label} (overflow errors are "
                            "raised here): use a numerically stable formula") from None
    except Exception as err:  # noqa: BLE001 - any error of the student's code is reported, not raised as is
        raise ExerciseError(f"{name} raised {type(err).__name__}: {err}{_student_line(err, student)} "
                            f"in case {case.label}") from None


def _argument_names(student, n: int) -> list[str]:
    code = getattr(student, "__code__", None)
    names = list(code.co_varnames[:code.co_argcount]) if code else []
    return (names + [f"argument {k + 1}" for k in range(len(names), n)])[:n]


def _modified(before, after) -> bool:
    leaves_before, leaves_after = list(_leaves(before)), list(_leaves(after))
    return any(isinstance(b, np.ndarray) and not np.array_equal(b, a, equal_nan=True)
               for b, a in zip(leaves_before, leaves_after))


def _compare_values(name, case, values) -> float:
    result_scale = 0.0  # the largest magnitude in the expected result
    for where, g, e in values:
        if isinstance(e, np.ndarray) and e.dtype.kind == "f" or isinstance(e, float):
            bad = ~np.isfinite(np.asarray(g, dtype=np.float64))
            if bad.any():
                flat = int(np.flatnonzero(bad)[0])
                raise ExerciseError(f"{name}: {where} is not finite at index {_index(flat, np.shape(g))} "
                                    f"(got {np.asarray(g).ravel()[flat]}) in case {case.label}")
            result_scale = max(result_scale, float(np.max(np.abs(e), initial=0.0)))
    worst = 0.0
    for where, g, e in values:
        if isinstance(e, np.ndarray) and e.dtype.kind not in "fc" or isinstance(e, numbers.Integral):
            mismatch = np.flatnonzero(np.asarray(g).ravel() != np.asarray(e).ravel())
            if mismatch.size:
                flat = int(mismatch[0])
                raise ExerciseError(f"{name}: {where} differs from the expected values in case {case.label}: "
                                    f"first at index {_index(flat, np.shape(e))}, got {np.asarray(g).ravel()[flat]}, "
                                    f"expected {np.asarray(e).ravel()[flat]}")
            continue
        dtype = case.dtype if not isinstance(e, np.ndarray) else np.dtype(getattr(g, "dtype", case.dtype))
        dtype = dtype if dtype in TOLERANCE else np.dtype(np.float64)
        rtol, _ = TOLERANCE[dtype]
        error, flat, _ = _relative_error(g, e, dtype, result_scale)
        if error > rtol:
            raise ExerciseError(f"{name}: {where} differs from the expected values in case {case.label}: max rel "
                                f"err {error:.1e} > {rtol:.0e} ({dtype.name} tolerance), at index "
                                f"{_index(flat, np.shape(e))}: got {np.asarray(g).ravel()[flat]:.7g}, expected "
                                f"{np.asarray(e).ravel()[flat]:.7g}")
        worst = max(worst, error)
    return worst


def check_function(name: str, student: Callable, reference: Callable, cases: Sequence[Case], *,
                   report: bool = True) -> float:
    """Hold ``student`` to ``reference`` on every case; print one PASS line (unless ``report`` is False: a
    checker with more to check prints its own) or raise ExerciseError. Returns the max relative error."""
    if not callable(student):
        raise ExerciseError(f"{name}: expected a function, got {_describe(student)}")
    worst = 0.0
    for case in cases:
        expected_dtypes = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        precise = Case(_upcast(case.args), case.label, _upcast(case.kwargs))
        expected_values = reference(*precise.args, **precise.kwargs)
        inputs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
        mine = Case(copy.deepcopy(case.args), case.label, copy.deepcopy(case.kwargs))
        got = call_student(name, student, mine)
        leaves = []
        _structure(name, got, expected_dtypes, "", leaves)
        for where, g, e in leaves:
            if isinstance(e, np.ndarray) and g.shape != e.shape:
                raise ExerciseError(f"{name}: {where} should have shape {e.shape}, got {g.shape} "
                                    f"in case {case.label}")
        for where, g, e in leaves:
            if isinstance(e, np.ndarray) and g.dtype != e.dtype:
                raise ExerciseError(f"{name}: {where} should be {e.dtype}, got {g.dtype} in case {case.label} "
                                    "(keep the inputs' dtype: no float64 arrays mixed into float32 ones)")
        for k, (before, after) in enumerate(zip(inputs[0], mine.args)):
            if _modified(before, after):
                arg = _argument_names(student, len(case.args))[k]
                raise ExerciseError(f"{name} modified its input `{arg}` in place in case {case.label}: compute new "
                                    "arrays instead (`a = a * 2`, not `a *= 2`)")
        values = []
        _structure(name, got, expected_values, "", values)
        worst = max(worst, _compare_values(name, case, values))
    if report:
        passed(name, len(cases), worst)
    return worst


def passed(name: str, n_cases: int, max_error: float | None = None) -> None:
    """The one line a passing checker prints (the error figure is sanitised by nbval: it depends on BLAS)."""
    tail = "" if max_error is None else f", max rel err {max_error:.0e}"
    print(f"PASS {name}: {n_cases} cases{tail}")
