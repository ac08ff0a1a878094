"""The shipped data sets, their checksum guard, sliding windows and the scalers."""
import shutil

import numpy as np
import pandas as pd
import pytest

from rnnlab import data
from rnnlab.data import DataFileError, MinMaxScaler, StandardScaler, make_windows

FILES = list(data.SHA256)


# ---------------------------------------------------------------- loaders


def test_airline_passengers():
    s = data.load_airline_passengers()
    assert isinstance(s, pd.Series)
    assert s.name == "passengers"
    assert len(s) == 144
    assert s.dtype == np.int64
    assert isinstance(s.index, pd.DatetimeIndex)
    assert s.index.freqstr == "MS"
    assert s.index[0] == pd.Timestamp("1949-01-01")
    assert s.index[-1] == pd.Timestamp("1960-12-01")
    assert (s.iloc[0], s.iloc[1], s.iloc[-2], s.iloc[-1]) == (112, 118, 390, 432)
    assert not s.isna().any()


def test_time_machine():
    text = data.load_time_machine()
    assert isinstance(text, str)
    assert text.startswith("The Time Machine, by H. G. Wells")
    assert "Time Traveller" in text
    assert "Project Gutenberg" not in text[:2000]  # header removed
    assert len(text.encode("utf-8")) == 178_966


def test_beijing_weather():
    df = data.load_beijing_weather()
    assert df.shape == (43_824, 8)
    assert list(df.columns) == ["pm2.5", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is", "Ir"]
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.freqstr == "h"
    assert df.index[0] == pd.Timestamp("2010-01-01 00:00")
    assert df.index[-1] == pd.Timestamp("2014-12-31 23:00")
    assert df.index.is_monotonic_increasing and df.index.is_unique
    # Missing pm2.5 stays NaN (no imputation hidden in the loader); nothing else is missing.
    assert int(df["pm2.5"].isna().sum()) == 2_067
    assert int(df.drop(columns="pm2.5").isna().sum().sum()) == 0
    assert set(df["cbwd"].unique()) == {"NE", "NW", "SE", "cv"}
    assert np.isnan(df["pm2.5"].iloc[0])  # the first hours have no reading in the source


@pytest.mark.parametrize("name", FILES)
def test_shipped_files_match_their_recorded_sha256(name):
    assert data.sha256_of(data.data_dir() / name) == data.SHA256[name]


LOADERS = {
    "airline-passengers.csv": data.load_airline_passengers,
    "timemachine.txt": data.load_time_machine,
    "beijing-pm25-weather-2010-2014.csv": data.load_beijing_weather,
}


@pytest.mark.parametrize("name", FILES)
def test_corrupted_copy_raises_naming_the_file(name, tmp_path):
    shutil.copy(data.data_dir() / name, tmp_path / name)
    raw = bytearray((tmp_path / name).read_bytes())
    raw[len(raw) // 2] ^= 0x01  # one changed bit in the middle of the file
    (tmp_path / name).write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match=name) as info:
        LOADERS[name](directory=tmp_path)
    message = str(info.value)
    assert "sha256" in message and data.SHA256[name] in message
    assert "data/README.md" in message  # says what to do


@pytest.mark.parametrize("name", FILES)
def test_intact_copy_elsewhere_loads(name, tmp_path):
    shutil.copy(data.data_dir() / name, tmp_path / name)
    assert data.data_path(name, tmp_path) == tmp_path / name


@pytest.mark.parametrize("name", FILES)
def test_missing_file_raises_naming_the_file(name, tmp_path):
    with pytest.raises(DataFileError, match="not found") as info:
        LOADERS[name](directory=tmp_path)
    assert name in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_data_dir_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    with pytest.raises(DataFileError, match="airline-passengers.csv"):
        data.load_airline_passengers()


def test_data_file_error_is_an_oserror_and_unknown_names_are_rejected():
    assert issubclass(DataFileError, OSError)
    with pytest.raises(ValueError, match="unknown data file 'nope.csv'"):
        data.data_path("nope.csv")


# ---------------------------------------------------------------- windows


def test_make_windows_shapes_and_values():
    values = np.arange(10)
    X, Y = make_windows(values, window=3, horizon=2)
    assert X.shape == (6, 3) and Y.shape == (6, 2)
    for m in range(6):
        np.testing.assert_array_equal(X[m], [m, m + 1, m + 2])
        np.testing.assert_array_equal(Y[m], [m + 3, m + 4])


def test_make_windows_step_and_exact_fit():
    X, Y = make_windows(np.arange(10), window=3, horizon=1, step=3)
    np.testing.assert_array_equal(X[:, 0], [0, 3, 6])
    np.testing.assert_array_equal(Y[:, 0], [3, 6, 9])
    X, Y = make_windows(np.arange(5), window=4, horizon=1)  # exactly one window
    np.testing.assert_array_equal(X, [[0, 1, 2, 3]])
    np.testing.assert_array_equal(Y, [[4]])


def test_make_windows_multivariate_with_separate_targets():
    values = np.arange(20).reshape(10, 2)  # (N, F)
    targets = 100 + np.arange(10)  # (N,)
    X, Y = make_windows(values, window=4, horizon=3, targets=targets)
    assert X.shape == (4, 4, 2) and Y.shape == (4, 3)
    np.testing.assert_array_equal(X[1], values[1:5])
    np.testing.assert_array_equal(Y[1], targets[5:8])
    # Each window's first target is the row right after its last input row.
    np.testing.assert_array_equal(Y[:, 0] - 100, X[:, -1, 0] // 2 + 1)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"window": 0, "horizon": 1}, "window, horizon and step must be >= 1"),
        ({"window": 2, "horizon": 1, "step": 0}, "must be >= 1"),
        ({"window": 8, "horizon": 3}, "length 10 are too short for window=8 plus horizon=3"),
        ({"window": 2, "horizon": 1, "targets": np.arange(9)}, "values (10,), targets (9,)"),
    ],
)
def test_make_windows_errors(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        make_windows(np.arange(10), **kwargs)
    assert fragment in str(info.value)


def test_make_windows_rejects_3d_values():
    with pytest.raises(ValueError, match=r"1-D or 2-D; got values \(2, 3, 4\)"):
        make_windows(np.zeros((2, 3, 4)), window=1, horizon=1)


# ---------------------------------------------------------------- scalers


@pytest.mark.parametrize("scaler", [MinMaxScaler(), MinMaxScaler((-1, 1)), StandardScaler()])
@pytest.mark.parametrize("shape", [(50,), (50, 3)])
def test_scalers_round_trip(scaler, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, shape)
    train, test = x[:30], x[30:]
    scaler.fit(train)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scaler.transform(scaler.inverse_transform(test)), test, rtol=1e-12, atol=1e-12)


def test_minmax_is_fitted_on_train_only():
    train = np.array([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0]])
    test = np.array([[5.0, 0.0]])
    scaler = MinMaxScaler().fit(train)
    scaled = scaler.transform(train)
    np.testing.assert_allclose(scaled.min(axis=0), [0, 0])
    np.testing.assert_allclose(scaled.max(axis=0), [1, 1])
    # Test values outside the training range map outside [0, 1]: the test part was never seen.
    np.testing.assert_allclose(scaler.transform(test), [[2.0, -0.5]])


def test_minmax_feature_range():
    scaler = MinMaxScaler(feature_range=(-1, 1)).fit(np.array([2.0, 4.0, 6.0]))
    np.testing.assert_allclose(scaler.transform(np.array([2.0, 4.0, 6.0, 8.0])), [-1, 0, 1, 2])


def test_standard_is_fitted_on_train_only():
    rng = np.random.default_rng(1)
    train, test = rng.normal(2, 4, (200, 2)), rng.normal(50, 1, (20, 2))
    scaler = StandardScaler().fit(train)
    z = scaler.transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(scaler.shift, train.mean(axis=0))
    assert (scaler.transform(test).mean(axis=0) > 5).all()


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler])
def test_constant_column_is_left_unscaled(cls):
    x = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    scaler = cls().fit(x)
    out = scaler.transform(x)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(scaler.inverse_transform(out), x)


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler])
def test_scaler_errors(cls):
    with pytest.raises(ValueError, match=f"{cls.__name__} is not fitted"):
        cls().transform(np.zeros(3))
    with pytest.raises(ValueError, match=f"{cls.__name__} is not fitted"):
        cls().inverse_transform(np.zeros(3))
    scaler = cls().fit(np.ones((4, 2)) * np.arange(4)[:, None])
    with pytest.raises(ValueError, match=r"x has 3 columns \(shape \(5, 3\)\) but the scaler was fitted on 2"):
        scaler.transform(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"x has 0 columns \(shape \(\)\) but the scaler was fitted on 2"):
        scaler.inverse_transform(1.0)
    with pytest.raises(ValueError, match="NaN or inf"):
        cls().fit(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match=r"non-empty 1-D or 2-D array; got shape \(0,\)"):
        cls().fit(np.array([]))


def test_minmax_rejects_an_empty_range():
    with pytest.raises(ValueError, match=r"high > low; got \(1, 1\)"):
        MinMaxScaler(feature_range=(1, 1))
