"""Deliberately wrong solutions that every exercise checker must reject (tests/test_exercise_*.py use them).

Each takes the reference and returns a function that is wrong in one classic way. ``generic(reference)``
lists those that apply to any exercise with floating-point inputs and outputs.
"""
import numpy as np


def _map_leaves(tree, fn):
    if isinstance(tree, dict):
        return {k: _map_leaves(v, fn) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map_leaves(v, fn) for v in tree)
    return fn(tree)


def _first_float_array(tree):
    if isinstance(tree, np.ndarray) and tree.dtype.kind == "f" and tree.size:
        return tree
    values = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, (tuple, list)) else ()
    for value in values:
        found = _first_float_array(value)
        if found is not None:
            return found
    return None


def off_by(reference, error=1e-4):
    """Every floating-point output off by a relative ``error``."""
    def wrong(*args, **kwargs):
        scale = lambda a: a * a.dtype.type(1 + error) if isinstance(a, np.ndarray) and a.dtype.kind == "f" \
            else a * (1 + error) if isinstance(a, float) else a  # noqa: E731
        return _map_leaves(reference(*args, **kwargs), scale)
    return wrong


def upcast(reference):
    """float32 inputs silently computed (and returned) in float64."""
    def wrong(*args, **kwargs):
        up = lambda a: a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype == np.float32 else a  # noqa: E731
        return reference(*_map_leaves(args, up), **_map_leaves(kwargs, up))
    return wrong


def modifies_input(reference):
    """The right answer, but the first floating-point input is changed in place afterwards."""
    def wrong(*args, **kwargs):
        out = reference(*args, **kwargs)
        target = _first_float_array(args)
        target += 1
        return out
    return wrong


def returns_lists(reference):
    """Arrays returned as nested lists."""
    def wrong(*args, **kwargs):
        return _map_leaves(reference(*args, **kwargs), lambda a: a.tolist() if isinstance(a, np.ndarray) else a)
    return wrong


def not_implemented(*args, **kwargs):
    raise NotImplementedError()


def generic(reference) -> dict:
    return {"error of 1e-4": off_by(reference), "float32 upcast to float64": upcast(reference),
            "input modified in place": modifies_input(reference), "lists instead of arrays": returns_lists(reference),
            "not implemented": not_implemented}
