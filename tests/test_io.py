"""Saving and loading model params: exact round trip, clear errors for wrong shapes and damaged files."""
import numpy as np
import pytest

from rnnlab import io
from rnnlab.training.models import SequenceRegressor


def test_exact_round_trip(tmp_path):
    model = SequenceRegressor(2, 3, 4, dtype=np.float32, seed=3)
    params = model.init_params()
    params["b"] += np.float32(np.pi)  # values with every mantissa bit in use
    meta = {"config": model.config(), "scaler": [0.5, 1.25], "note": "airline"}
    written = io.save(tmp_path / "model", params, meta)
    assert written.name == "model.npz"
    for path in (written, tmp_path / "model"):
        loaded, loaded_meta = io.load(path, model)
        assert loaded_meta == meta
        assert loaded.keys() == params.keys()
        for k in params:
            assert loaded[k].dtype == params[k].dtype
            np.testing.assert_array_equal(loaded[k], params[k])


def test_expected_as_params_or_shapes(tmp_path):
    params = SequenceRegressor(1, 2, 1).init_params()
    path = io.save(tmp_path / "m.npz", params)
    io.load(path, params)
    io.load(path, {k: v.shape for k, v in params.items()})
    assert io.load(path)[1] == {}


def test_wrong_shape_names_the_key_and_shapes(tmp_path):
    path = io.save(tmp_path / "m.npz", SequenceRegressor(1, 4, 1).init_params())
    with pytest.raises(ValueError, match=r"params\['W_y'\] has shape \(4, 1\) but the model expects \(4, 2\)"):
        io.load(path, SequenceRegressor(1, 4, 2))
    with pytest.raises(ValueError, match="missing"):
        io.load(path, {"W_x": (1, 16)})


def test_damaged_files(tmp_path):
    path = io.save(tmp_path / "m.npz", SequenceRegressor(1, 2, 1).init_params())
    data = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file at all")
    other = tmp_path / "other.npz"
    np.savez(other, W_x=np.ones(3))
    for bad in (truncated, garbage, other):
        with pytest.raises(ValueError, match="not a valid rnnlab model file"):
            io.load(bad)
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "absent.npz")


def test_bad_meta(tmp_path):
    with pytest.raises(ValueError, match="JSON"):
        io.save(tmp_path / "m.npz", {"W": np.ones(2)}, {"x": object()})
