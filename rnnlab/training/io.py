"""Saving and loading a trained model's params (one ``.npz`` file), exactly and with clear errors.

The file holds every parameter under ``param__<key>``, a JSON metadata string (``__meta__``, e.g.
the model's ``config()``, the scaler and the data split) and a format tag (``__format__``). It is
read with ``allow_pickle=False``, so loading a file never runs code from it.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..backend import to_numpy

FORMAT = "rnnlab-model-v1"
_PREFIX = "param__"


def save(path, params: dict, meta: dict | None = None) -> Path:
    """Write ``params`` (a dict of NumPy or CuPy arrays) and JSON-serialisable ``meta`` to ``path``.

    ``np.savez`` adds ``.npz`` when ``path`` lacks it; the path actually written is returned.
    """
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params must be a non-empty dict of arrays; got {type(params).__name__}")
    try:
        meta_json = json.dumps({} if meta is None else meta)
    except TypeError as err:
        raise ValueError(f"meta must be JSON-serialisable (numbers, strings, lists, dicts): {err}") from None
    arrays = {f"{_PREFIX}{k}": to_numpy(v) for k, v in params.items()}
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    np.savez(path, __format__=np.array(FORMAT), __meta__=np.array(meta_json), **arrays)
    return path


def _expected_shapes(expected) -> dict | None:
    if expected is None:
        return None
    if callable(getattr(expected, "param_shapes", None)):  # a model
        return {k: tuple(s) for k, s in expected.param_shapes().items()}
    if isinstance(expected, dict):  # {key: shape} or a params dict
        return {k: tuple(getattr(v, "shape", v)) for k, v in expected.items()}
    raise ValueError(f"expected must be None, a model, a params dict or a dict of shapes; got {type(expected).__name__}")


def load(path, expected=None):
    """Read a file written by :func:`save`; returns (params as NumPy arrays, meta dict).

    ``expected`` (optional): a model (its ``param_shapes()``), a params dict or a dict {key: shape};
    a file whose keys or shapes differ raises a ValueError naming the key and both shapes.
    A file that is not a valid rnnlab model file (damaged, truncated, another format) raises a
    ValueError that says so; a missing file raises FileNotFoundError.
    """
    path = Path(path)
    if not path.exists() and path.suffix != ".npz" and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    bad = f"{path} is not a valid rnnlab model file"
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "__format__" not in npz.files or str(npz["__format__"]) != FORMAT:
                raise ValueError(f"{bad} (no '{FORMAT}' format tag)")
            meta = json.loads(str(npz["__meta__"]))
            params = {name[len(_PREFIX):]: npz[name] for name in npz.files if name.startswith(_PREFIX)}
    except ValueError as err:
        if str(err).startswith(bad):
            raise
        raise ValueError(f"{bad}: {err}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as err:
        raise ValueError(f"{bad}: {type(err).__name__}: {err}") from None
    if not params:
        raise ValueError(f"{bad} (it holds no parameters)")

    shapes = _expected_shapes(expected)
    if shapes is not None:
        missing = sorted(set(shapes) - set(params))
        extra = sorted(set(params) - set(shapes))
        if missing or extra:
            raise ValueError(f"{path} has params {sorted(params)}; expected {sorted(shapes)} "
                             f"(missing {missing}, unexpected {extra})")
        for k, shape in shapes.items():
            if tuple(params[k].shape) != shape:
                raise ValueError(f"{path}: params[{k!r}] has shape {tuple(params[k].shape)} but the model "
                                 f"expects {shape}")
    return params, meta
