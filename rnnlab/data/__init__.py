"""The course's data: the shipped data sets (``datasets``), sliding windows and scalers (``windows``), and the
Beijing weather features (``weather``). Nothing here downloads."""
from .datasets import (  # noqa: F401
    SHA256,
    DataFileError,
    data_dir,
    data_path,
    load_airline_passengers,
    load_beijing_weather,
    load_time_machine,
    sha256_of,
)
from .windows import MinMaxScaler, StandardScaler, make_windows  # noqa: F401
