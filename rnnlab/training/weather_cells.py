"""Notebook 09's weather forecast with every recurrent cell, several seeds, timed: the CSV notebook 12 reads.

The protocol is notebook 09's CPU-sized one (48-hour windows of the 8 weather features, direct forecasts of
the 4 continuous variables 24, 48 and 72 hours ahead, train 2010-2012, validation 2013, test 2014, hidden
size 16, 5 epochs of Adam on minibatches of 32, float64). Record it with

    python -m rnnlab.training.weather_cells --threads 1

which writes data/benchmarks/weather-cells/<machine>.csv: one row per cell, horizon and seed with the
validation and test MSE (standardised units) and the training seconds.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

WINDOW, HORIZONS, SEEDS = 48, (24, 48, 72), (0, 1, 2)
CELLS = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru", "minGRU": "mingru", "minLSTM": "minlstm"}
PROTOCOL = {"hidden": 16, "train_step": 13, "eval_step": 7, "strategy": "minibatch", "batch_size": 32,
            "epochs": 5, "optimizer": "adam", "lr": 5e-3, "clip": 1.0}


def weather_data(horizons=HORIZONS):
    """{T: {"train"|"val"|"test": (X (48, N, 8), Y (N, T, 4))}} in standardised units, as notebook 09 builds it."""
    from ..data import StandardScaler, load_beijing_weather, weather

    features = weather.weather_features(load_beijing_weather())
    targets = list(weather.CONTINUOUS)
    train_df, val_df, test_df = weather.split_by_year(features, [2010, 2011, 2012], [2013], [2014])
    scaler = StandardScaler().fit(train_df[targets].to_numpy())

    def standardise(frame):
        out = frame.copy()
        out[targets] = scaler.transform(frame[targets].to_numpy())
        return out

    frames = {"train": standardise(train_df), "val": standardise(val_df), "test": standardise(test_df)}
    steps = {"train": PROTOCOL["train_step"], "val": PROTOCOL["eval_step"], "test": PROTOCOL["eval_step"]}
    return {T: {split: weather.forecast_windows(f, f[targets], WINDOW, T, steps[split])[:2]
                for split, f in frames.items()} for T in horizons}


def train_and_score(cell: str, data: dict, T: int, seed: int) -> dict:
    """One training of ``cell`` for horizon T: its validation and test MSE and the training seconds."""
    from .models import SequenceRegressor
    from .train import fit

    (X_tr, Y_tr), (X_va, Y_va), (X_te, Y_te) = (data[T][s] for s in ("train", "val", "test"))
    K = Y_tr.shape[2]
    model = SequenceRegressor(X_tr.shape[2], PROTOCOL["hidden"], T * K, cell=cell, seed=seed, dtype=np.float64)
    options = {k: PROTOCOL[k] for k in ("strategy", "batch_size", "epochs", "optimizer", "lr", "clip")}
    start = time.perf_counter()
    params, _ = fit(model, model.init_params(), X_tr, Y_tr.reshape(len(Y_tr), -1), seed=seed, progress=False,
                    **options)
    seconds = time.perf_counter() - start

    def mse(X, Y):
        return float(np.mean((np.asarray(model.predict(params, X)).reshape(Y.shape) - Y) ** 2))

    return {"val_mse": mse(X_va, Y_va), "test_mse": mse(X_te, Y_te), "train_seconds": round(seconds, 3)}


def record(cells=CELLS, horizons=HORIZONS, seeds=SEEDS, log=print) -> pd.DataFrame:
    """Train every cell for every horizon and seed; one row each (cell, T, seed, MSEs, seconds, machine)."""
    from ..bench.machine import cpu_name, machine_name

    data = weather_data(horizons)
    rows = []
    for name, cell in cells.items():
        for T in horizons:
            for seed in seeds:
                rows.append({"model": name, "cell": cell, "T": T, "seed": seed,
                             **train_and_score(cell, data, T, seed), "cpu": cpu_name(), "machine": machine_name(),
                             "numpy_version": np.__version__, "date": time.strftime("%Y-%m-%d")})
                log(f"[weather] {name} T={T} seed={seed}: test MSE {rows[-1]['test_mse']:.4f}, "
                    f"{rows[-1]['train_seconds']:.1f} s")
    return pd.DataFrame(rows)


def load(directory=None) -> dict:
    """{machine: DataFrame} of the recorded CSVs in data/benchmarks/weather-cells/."""
    from ..data import data_dir

    directory = directory or data_dir() / "benchmarks" / "weather-cells"
    return {p.stem: pd.read_csv(p) for p in sorted(directory.glob("*.csv"))}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnnlab.training.weather_cells", description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--out", default=None, help="CSV path (default data/benchmarks/weather-cells/<machine>.csv)")
    args = p.parse_args(argv)
    from ..bench.machine import machine_name, set_blas_threads
    from ..data import data_dir

    set_blas_threads(args.threads)
    out = args.out or data_dir() / "benchmarks" / "weather-cells" / f"{machine_name()}.csv"
    frame = record()
    frame["threads"] = args.threads
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    print(f"[weather] {len(frame)} trainings -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
