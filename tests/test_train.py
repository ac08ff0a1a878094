"""fit: every strategy learns a tiny problem, early stopping restores the best params, devices."""
import numpy as np
import pandas as pd
import pytest

from rnnlab.backend import gpu_available
from rnnlab.training.models import SequenceClassifier, SequenceRegressor
from rnnlab.training.train import HISTORY_COLUMNS, fit, to_time_major


def _sine_problem(n=48, T=6, seed=0):
    """Windows of a noisy sine: predict the next value from the T before it."""
    rng = np.random.default_rng(seed)
    series = np.sin(np.arange(n + T + 1) * 0.5) + 0.05 * rng.standard_normal(n + T + 1)
    windows = np.stack([series[k : k + T] for k in range(n)])
    return to_time_major(windows), series[T : T + n, None]


@pytest.mark.parametrize("strategy", ["batch", "minibatch", "sgd"])
def test_each_strategy_reduces_the_loss(strategy):
    X, Y = _sine_problem(n=24 if strategy == "sgd" else 48)
    model = SequenceRegressor(1, 6, 1, seed=0)
    params0 = model.init_params()
    before = {k: v.copy() for k, v in params0.items()}
    params, hist = fit(model, params0, X, Y, strategy=strategy, batch_size=8, epochs=15, lr=0.02,
                       progress=False)
    assert model.loss(params, X, Y) < 0.5 * model.loss(params0, X, Y)
    assert all(np.array_equal(params0[k], before[k]) for k in params0)  # the caller's params are untouched
    assert list(hist.columns) == HISTORY_COLUMNS and isinstance(hist, pd.DataFrame)
    assert hist["epoch"].tolist() == list(range(1, 16))
    assert hist["val_loss"].isna().all() and (hist["seconds"] > 0).all()


def test_sgd_optimizer_with_momentum_and_no_clip():
    X, Y = _sine_problem()
    model = SequenceRegressor(1, 6, 1, cell="gru", seed=1)
    p0 = model.init_params()
    params, _ = fit(model, p0, X, Y, strategy="minibatch", epochs=10, optimizer="sgd", lr=0.1, momentum=0.9,
                    clip=None, progress=False)
    assert model.loss(params, X, Y) < 0.5 * model.loss(p0, X, Y)


def test_same_seed_same_result():
    X, Y = _sine_problem()
    model = SequenceRegressor(1, 4, 1)
    runs = [fit(model, model.init_params(), X, Y, strategy="minibatch", epochs=3, seed=7, progress=False)
            for _ in range(2)]
    for k in runs[0][0]:
        np.testing.assert_array_equal(runs[0][0][k], runs[1][0][k])
    pd.testing.assert_series_equal(runs[0][1]["loss"], runs[1][1]["loss"])


def test_early_stopping_restores_the_best_params():
    X, Y = _sine_problem(seed=0)
    X_val, Y_val = _sine_problem(n=16, seed=1)
    model = SequenceRegressor(1, 8, 1, seed=0)
    # A learning rate this large makes the validation loss bounce, so patience triggers.
    params, hist = fit(model, model.init_params(), X, Y, X_val, Y_val, strategy="minibatch", epochs=200,
                       lr=0.3, clip=None, patience=3, progress=False)
    assert len(hist) < 200
    best = hist["val_loss"].idxmin()
    assert best == len(hist) - 1 - 3  # stopped exactly `patience` epochs after the best one
    assert model.loss(params, X_val, Y_val) == pytest.approx(hist["val_loss"].min(), rel=1e-12)


def test_classifier_trains():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 40, 2))
    y = (X[-1, :, 0] > 0).astype(np.int64)  # the class is the sign of the last input
    model = SequenceClassifier(2, 5, 2)
    p0 = model.init_params()
    params, hist = fit(model, p0, X, y, strategy="batch", epochs=40, lr=0.05, progress=False)
    assert hist["loss"].iloc[-1] < 0.5 * hist["loss"].iloc[0]
    assert (model.predict(params, X) == y).mean() > 0.9


def test_progress_bar_counts_the_epochs_and_shows_the_last_losses(capsys):
    X, Y = _sine_problem(n=8)
    model = SequenceRegressor(1, 2, 1)
    _, hist = fit(model, model.init_params(), X, Y, X, Y, epochs=2, progress=True)
    bar = capsys.readouterr().err  # tqdm writes to stderr
    last = hist.iloc[-1]
    assert "fit (batch)" in bar and "2/2" in bar
    assert f"loss={last['loss']:.4g}" in bar and f"val_loss={last['val_loss']:.4g}" in bar
    fit(model, model.init_params(), X, Y, X, Y, epochs=2, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(gpu_available(), reason="checks the error raised without a GPU")
def test_gpu_without_gpu_is_a_clear_runtime_error():
    X, Y = _sine_problem(n=8)
    model = SequenceRegressor(1, 2, 1)
    with pytest.raises(RuntimeError, match="CUDA GPU"):
        fit(model, model.init_params(), X, Y, epochs=1, progress=False, device="gpu")


def test_auto_device_runs_and_returns_numpy():
    X, Y = _sine_problem(n=8)
    model = SequenceRegressor(1, 2, 1)
    params, hist = fit(model, model.init_params(), X, Y, epochs=2, progress=False, device="auto")
    assert all(type(v) is np.ndarray for v in params.values()) and len(hist) == 2


@pytest.mark.gpu
def test_gpu_matches_cpu_in_float64():
    X, Y = _sine_problem(n=16)
    model = SequenceRegressor(1, 4, 1)
    p_cpu, h_cpu = fit(model, model.init_params(), X, Y, strategy="minibatch", epochs=3, progress=False)
    p_gpu, h_gpu = fit(model, model.init_params(), X, Y, strategy="minibatch", epochs=3, progress=False,
                       device="gpu")
    assert all(type(v) is np.ndarray for v in p_gpu.values())
    for k in p_cpu:
        np.testing.assert_allclose(p_gpu[k], p_cpu[k], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-9)


def test_bad_arguments():
    X, Y = _sine_problem(n=8)
    model = SequenceRegressor(1, 2, 1)
    p = model.init_params()
    with pytest.raises(ValueError, match="strategy"):
        fit(model, p, X, Y, strategy="full", progress=False)
    with pytest.raises(ValueError, match="patience"):
        fit(model, p, X, Y, patience=3, progress=False)
    with pytest.raises(ValueError, match="Y_train"):
        fit(model, p, X, Y[:5], progress=False)
    with pytest.raises(ValueError, match="X_train"):
        fit(model, p, X[:, :, 0], Y, progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        fit(model, p, X, Y, optimizer="rmsprop", progress=False)
    with pytest.raises(ValueError, match="device"):
        fit(model, p, X, Y, device="tpu", progress=False)
    with pytest.raises(FloatingPointError, match="diverged"):
        with np.errstate(over="ignore", invalid="ignore"):
            fit(model, p, X, Y * 1e300, epochs=2, clip=None, progress=False)


def test_fit_copies_the_batch_order_once_per_epoch(monkeypatch):
    # On a GPU every xp.asarray of host indices is a host-to-device copy: one per epoch, not one per step.
    import types

    import rnnlab.training.train as train

    calls = []
    counting_np = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    counting_np.asarray = lambda a, *args, **kw: calls.append(np.shape(a)) or np.asarray(a, *args, **kw)
    monkeypatch.setattr(train, "get_xp", lambda *arrays: counting_np)
    X, Y = _sine_problem(n=40)
    model = SequenceRegressor(1, 4, 1, seed=0)
    fit(model, model.init_params(), X, Y, strategy="minibatch", batch_size=8, epochs=3, progress=False)
    assert calls == [(40,)] * 3  # 5 steps per epoch, 3 epochs: 3 copies of the whole order
