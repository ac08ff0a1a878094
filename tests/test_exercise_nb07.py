"""Notebook 07's checkers accept the reference (and an independent formulation) and reject every deliberately
wrong solution.

The independent formulation is a batched LSTM written here from the equations (no rnnlab code); each classic
mistake is that same code with one thing wrong.
"""
import numpy as np
import pytest
from _exercise_mutants import generic

from rnnlab import exercises
from rnnlab.exercises import nb07_sequential as nb07
from rnnlab.layers import lstm
from rnnlab.training.models import SequenceRegressor


def stable_sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def naive_sigmoid(a):
    return 1 / (1 + np.exp(-a))


def forward(params, X, h0, c0, *, sigmoid=stable_sigmoid, order="ifgo", carry_across_samples=False,
            keep_c=False):
    """Batched LSTM forward from the equations; returns Y, h_T, c_T and the per-step caches."""
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    H = h0.shape[1]
    h, c, Y, caches = h0, c0, [], []
    if carry_across_samples:  # the sequential loop's bug: sample n starts from sample n-1's final state
        out = [forward(params, X[:, :1], h0[:1], c0[:1])]
        for n in range(1, X.shape[1]):
            _, h_prev, c_prev, _ = out[-1]
            out.append(forward(params, X[:, n:n + 1], h_prev, c_prev))
        return (np.concatenate([o[0] for o in out], axis=1), np.concatenate([o[1] for o in out]),
                np.concatenate([o[2] for o in out]), None)
    for x in X:
        a = x @ W_x + h @ W_h + b
        blocks = dict(zip(order, (a[:, k * H:(k + 1) * H] for k in range(4))))
        i, f, g, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), np.tanh(blocks["g"]), sigmoid(blocks["o"])
        c_prev, h_prev = c, h
        c = f * c_prev + i * g
        h = o * np.tanh(c)
        caches.append((x, h_prev, c_prev, i, f, g, o, c))
        Y.append(c if keep_c else h)
    return np.stack(Y), h, c, caches


def backward(dY, params, X, h0, c0, *, accumulate=True, carry_dc=True, add_dY=True, carry_dh=True,
             swap_state=False, with_dX=True):
    """Batched BPTT from the equations; each keyword switched off is one classic mistake."""
    W_x, W_h = params["W_x"], params["W_h"]
    _, _, _, caches = forward(params, X, h0, c0)
    grads = {k: np.zeros_like(p) for k, p in params.items()}
    dX = np.zeros_like(X)
    dh_rec, dc = np.zeros_like(h0), np.zeros_like(c0)
    T = len(X)
    for t in reversed(range(T)):
        x, h_prev, c_prev, i, f, g, o, c = caches[t]
        from_output = dY[t] if add_dY or t == T - 1 else 0 * dY[t]
        dh = (dh_rec if carry_dh else 0 * dh_rec) + from_output
        tc = np.tanh(c)
        dc_t = (dc if carry_dc else 0 * dc) + dh * o * (1 - tc * tc)
        da = np.concatenate([dc_t * g * i * (1 - i), dc_t * c_prev * f * (1 - f), dc_t * i * (1 - g * g),
                             dh * tc * o * (1 - o)], axis=1)
        step = {"W_x": x.T @ da, "W_h": h_prev.T @ da, "b": da.sum(axis=0)}
        for k in grads:
            grads[k] = grads[k] + step[k] if accumulate else step[k]
        if with_dX:
            dX[t] = da @ W_x.T
        dh_rec, dc = da @ W_h.T, dc_t * f
    return (grads, dX, dc, dh_rec) if swap_state else (grads, dX, dh_rec, dc)


def forward_independent(params, X, h0, c0):
    return forward(params, X, h0, c0)[:3]


FORWARD = nb07.lstm_sequence_forward
BACKWARD = nb07.lstm_sequence_backward
MSE = nb07.mse_loss
FORECAST = nb07.recursive_forecast

FORWARD_WRONG = {
    **generic(FORWARD),
    "sigmoid through exp (overflows)": lambda *a: forward(*a, sigmoid=naive_sigmoid)[:3],
    "gates i and f swapped": lambda *a: forward(*a, order="figo")[:3],
    "gates g and o swapped": lambda *a: forward(*a, order="ifog")[:3],
    "h and c swapped in the initial state": lambda p, X, h0, c0: forward(p, X, c0, h0)[:3],
    "h and c swapped in the final state": lambda *a: tuple(forward(*a)[i] for i in (0, 2, 1)),
    "c returned as the outputs Y": lambda *a: forward(*a, keep_c=True)[:3],
    "initial state ignored (zeros)": lambda p, X, h0, c0: forward(p, X, 0 * h0, 0 * c0)[:3],
    "state carried from one sample to the next": lambda *a: forward(*a, carry_across_samples=True)[:3],
    "bias left out": lambda p, X, h0, c0: forward({**p, "b": 0 * p["b"]}, X, h0, c0)[:3],
    "outputs shifted by one step (Y[0] = h0)": lambda *a: (
        (lambda Y, h, c: (np.concatenate([a[2][None], Y[:-1]]), h, c))(*forward(*a)[:3])),
}

BACKWARD_WRONG = {
    **generic(BACKWARD),
    "weight gradients not accumulated (one step only)": lambda *a: backward(*a, accumulate=False),
    "dc not carried to the step before": lambda *a: backward(*a, carry_dc=False),
    "dh from dY not added (only at the last step)": lambda *a: backward(*a, add_dY=False),
    "dh from step t+1 not carried (only dY)": lambda *a: backward(*a, carry_dh=False),
    "dh0 and dc0 swapped": lambda *a: backward(*a, swap_state=True),
    "dX left at zero": lambda *a: backward(*a, with_dX=False),
    "sigmoid through exp (overflows)": lambda dY, p, X, h0, c0: _backward_naive(dY, p, X, h0, c0),
}


def _backward_naive(dY, params, X, h0, c0):
    forward(params, X, h0, c0, sigmoid=naive_sigmoid)  # the recomputed forward pass overflows
    return backward(dY, params, X, h0, c0)


def mse_by_hand(pred, target):
    diff = pred - target
    return float(np.sum(diff ** 2) / diff.size), 2 * diff / diff.size


MSE_WRONG = {
    **generic(MSE),
    "sum instead of mean": lambda p, t: (np.sum((p - t) ** 2), 2 * (p - t)),
    "factor 2 missing in the gradient": lambda p, t: (np.mean((p - t) ** 2), (p - t) / (p - t).size),
    "mean over the batch only (not over K)": lambda p, t: (np.sum((p - t) ** 2) / len(p), 2 * (p - t) / len(p)),
    "gradient with the wrong sign": lambda p, t: (np.mean((p - t) ** 2), 2 * (t - p) / (p - t).size),
    "gradient not divided by the count": lambda p, t: (np.mean((p - t) ** 2), 2 * (p - t)),
    "RMSE instead of MSE": lambda p, t: (np.sqrt(np.mean((p - t) ** 2)), 2 * (p - t) / (p - t).size),
}


def forecast_not_slid(model, params, window, steps):
    return np.stack([model.predict(params, window)] * steps)


def forecast_growing_window(model, params, window, steps):
    out = []
    for _ in range(steps):
        out.append(model.predict(params, window))
        window = np.concatenate([window, out[-1][None]])
    return np.stack(out)


def forecast_prepended(model, params, window, steps):
    out = []
    for _ in range(steps):
        out.append(model.predict(params, window))
        window = np.concatenate([out[-1][None], window[:-1]])
    return np.stack(out)


def forecast_last_only(model, params, window, steps):
    out, x = [], window
    for _ in range(steps):
        out.append(model.predict(params, x))
        x = out[-1][None]
    return np.stack(out)


def forecast_reversed(model, params, window, steps):
    return FORECAST(model, params, window, steps)[::-1].copy()


def forecast_starts_with_the_last_known(model, params, window, steps):
    return np.concatenate([window[-1:], FORECAST(model, params, window, steps - 1)]) if steps > 1 \
        else window[-1:].copy()


FORECAST_WRONG = {
    **generic(FORECAST),
    "window never slid (the same forecast repeated)": forecast_not_slid,
    "window grows instead of sliding": forecast_growing_window,
    "forecast inserted at the oldest end": forecast_prepended,
    "only the last forecast as the next window": forecast_last_only,
    "forecasts in reverse order": forecast_reversed,
    "the last known value returned as the first forecast": forecast_starts_with_the_last_known,
}

CHECKS = {
    "lstm_sequence_forward": (exercises.check_lstm_sequence_forward, FORWARD, FORWARD_WRONG, 10),
    "lstm_sequence_backward": (exercises.check_lstm_sequence_backward, BACKWARD, BACKWARD_WRONG, 10),
    "mse_loss": (exercises.check_mse_loss, MSE, MSE_WRONG, 8),
    "recursive_forecast": (exercises.check_recursive_forecast, FORECAST, FORECAST_WRONG, 10),
}
SECOND = {"lstm_sequence_forward": forward_independent, "lstm_sequence_backward": backward,
          "mse_loss": mse_by_hand}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_reference_passes(name, capsys):
    check, reference, _, n = CHECKS[name]
    check(reference)
    assert capsys.readouterr().out.startswith(f"PASS {name}: {n} cases, max rel err ")


@pytest.mark.parametrize("name", sorted(SECOND))
def test_an_independent_formulation_passes(name, capsys):
    CHECKS[name][0](SECOND[name])
    assert capsys.readouterr().out.startswith(f"PASS {name}: ")


@pytest.mark.parametrize(("name", "mistake"), [(n, m) for n in sorted(CHECKS) for m in sorted(CHECKS[n][2])])
def test_a_wrong_solution_is_rejected(name, mistake):
    check, _, wrong, _ = CHECKS[name]
    with pytest.raises(exercises.ExerciseError):
        check(wrong[mistake])


def test_the_forecast_reference_against_a_loop_written_out():
    """Two steps by hand with the batched layer and the head: the second reads the first forecast, not a truth."""
    rng = np.random.default_rng(0)
    model = SequenceRegressor(2, 3, 2, seed=1)
    params = model.init_params()
    window = rng.standard_normal((4, 5, 2))

    def by_hand(X):
        _, (h_T, _), _ = lstm.forward({k: params[k] for k in ("W_x", "W_h", "b")}, X)
        return h_T @ params["W_y"] + params["b_y"]

    first = by_hand(window)
    second = by_hand(np.concatenate([window[1:], first[None]]))
    np.testing.assert_allclose(FORECAST(model, params, window, 2), np.stack([first, second]), rtol=1e-12)
    np.testing.assert_array_equal(FORECAST(model, params, window, 1)[0], model.predict(params, window))


def test_every_checker_runs_well_under_a_second():
    import time

    for check, reference, _, _ in CHECKS.values():
        start = time.perf_counter()
        check(reference)
        assert time.perf_counter() - start < 1.0
