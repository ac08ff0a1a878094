"""The course's shipped data sets, each read from the repository's ``data/`` folder after a sha256 check.

Nothing here downloads: every loader reads a file from the repository's ``data/``
folder and checks its sha256 first, so a student never trains on a silently changed file.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

# sha256 of each shipped file, as recorded in data/README.md.
SHA256 = {
    "airline-passengers.csv": "d27dd74f3654ab4c688afccf2348870410902f480cea900d872be2ae33184411",
    "timemachine.txt": "113346b53bc70fe425781a6e587385c2fc139d7ed516f9b4c7f1db8192433213",
    "beijing-pm25-weather-2010-2014.csv": "77b185392c567d67bf0ddaa27cf57f6f1198e463a665d86360f3910c313719bd",
}


class DataFileError(OSError):
    """A shipped data file is missing or does not match its recorded sha256."""


def data_dir() -> Path:
    """The folder the loaders read: $RNNLAB_DATA_DIR if set, else the repository's ``data/``."""
    env = os.environ.get("RNNLAB_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data"


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_path(name: str, directory=None) -> Path:
    """Path of a shipped data file after checking that it exists and matches its sha256."""
    if name not in SHA256:
        raise ValueError(f"unknown data file {name!r}; known: {sorted(SHA256)}")
    path = Path(directory) if directory is not None else data_dir()
    path = path / name
    fix = (
        "Restore it from the course repository (git checkout -- data/"
        f"{name}, or clone the repository again); see data/README.md for its source."
    )
    if not path.is_file():
        raise DataFileError(f"data file {name} not found at {path}. {fix}")
    digest = sha256_of(path)
    if digest != SHA256[name]:
        raise DataFileError(
            f"data file {path} has sha256 {digest}, expected {SHA256[name]}: it is damaged or "
            f"a different version. {fix}"
        )
    return path


def load_airline_passengers(directory=None) -> pd.Series:
    """Monthly international airline passengers in thousands, 1949-01 to 1960-12 (144 values).

    A Series named "passengers" with a monthly (month-start) DatetimeIndex.
    """
    df = pd.read_csv(data_path("airline-passengers.csv", directory))
    index = pd.DatetimeIndex(pd.to_datetime(df["month"], format="%Y-%m"), freq="MS", name="month")
    return pd.Series(df["passengers"].to_numpy(dtype=np.int64), index=index, name="passengers")


def load_time_machine(directory=None) -> str:
    """H. G. Wells, The Time Machine, the text body (no Project Gutenberg header)."""
    return data_path("timemachine.txt", directory).read_text(encoding="utf-8")


def load_beijing_weather(directory=None) -> pd.DataFrame:
    """Hourly Beijing weather and PM2.5, 2010-01-01 00:00 to 2014-12-31 23:00 (43,824 rows).

    Columns: pm2.5 (ug/m3; NaN in the 2,067 hours the source has no reading, left
    missing on purpose so that no imputation is hidden in the loader), DEWP (dew
    point, degC), TEMP (degC), PRES (hPa), cbwd (combined wind direction: NE, NW,
    SE or "cv" for calm and variable), Iws (cumulated wind speed, m/s), Is and Ir
    (cumulated hours of snow and of rain). The index is an hourly DatetimeIndex.
    """
    df = pd.read_csv(data_path("beijing-pm25-weather-2010-2014.csv", directory))
    index = pd.to_datetime(df[["year", "month", "day", "hour"]])
    df = df.drop(columns=["No", "year", "month", "day", "hour"])
    df.index = pd.DatetimeIndex(index, freq="h", name="time")
    return df
