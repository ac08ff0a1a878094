"""Training loop for the sequence models: batch, mini-batch and stochastic gradient descent.

``fit`` works with any model that has ``loss_and_grads(params, X, Y) -> (loss, grads)`` and
``loss(params, X, Y)`` (:class:`rnnlab.training.models.SequenceRegressor`, :class:`~rnnlab.training.models.SequenceClassifier`).
Data are time-major: X (T, N, D) holds N sequences, Y (N, K) their targets (or (N,) classes).
"""
from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from .._checks import check_finite
from ..backend import get_xp, resolve_device, to_gpu, tree_to_device, tree_to_numpy
from .optim import SGD, Adam, clip_grad_norm

STRATEGIES = ("batch", "minibatch", "sgd")
HISTORY_COLUMNS = ["epoch", "loss", "val_loss", "seconds"]


def to_time_major(windows):
    """(N, T) or (N, T, D) windows, as make_windows returns them, to time-major (T, N, D).

    A contiguous copy, so that each time step's (N, D) block is one piece of memory.
    """
    windows = np.asarray(windows)
    if windows.ndim == 2:
        windows = windows[:, :, None]
    if windows.ndim != 3:
        raise ValueError(f"windows must be (N, T) or (N, T, D); got shape {windows.shape}")
    return np.ascontiguousarray(windows.transpose(1, 0, 2))


def _check_data(X, Y, xname, yname):
    if getattr(X, "ndim", None) != 3:
        raise ValueError(f"{xname} must be time-major (T, N, D); got shape {tuple(getattr(X, 'shape', ()))}")
    if getattr(Y, "ndim", None) not in (1, 2) or Y.shape[0] != X.shape[1]:
        raise ValueError(
            f"{yname} must be (N, K) targets or (N,) classes with N = {xname}.shape[1] = {X.shape[1]}; "
            f"got {yname} shape {tuple(getattr(Y, 'shape', ()))} and {xname} shape {tuple(X.shape)}"
        )


def _make_optimizer(optimizer, lr, momentum):
    if optimizer == "adam":
        if momentum:
            raise ValueError(f"momentum applies to optimizer='sgd' only; got momentum={momentum} with 'adam'")
        return Adam(lr=lr)
    if optimizer == "sgd":
        return SGD(lr=lr, momentum=momentum)
    if callable(getattr(optimizer, "step", None)):
        return optimizer  # an optimiser object such as rnnlab.training.optim.Adam(...)
    raise ValueError(f"optimizer must be 'adam', 'sgd' or an object with .step(params, grads); got {optimizer!r}")


def fit(model, params, X_train, Y_train, X_val=None, Y_val=None, *, strategy="batch", batch_size=16,
        epochs=100, optimizer="adam", lr=1e-2, momentum=0.0, clip=1.0, patience=None, seed=0,
        progress=True, device="cpu"):
    """Train ``model`` from ``params``; returns (trained params as NumPy arrays, history DataFrame).

    Inputs:
        model: has loss_and_grads(params, X, Y) -> (loss, grads) and loss(params, X, Y)
        params: dict of arrays; it is copied, never changed in place
        X_train: (T, N, D) time-major inputs; Y_train: (N, K) targets or (N,) integer classes
        X_val, Y_val: optional validation data of the same layout, scored after every epoch
        strategy: "batch" (one update per epoch on all N samples, full-batch gradient descent),
            "minibatch" (updates on shuffled batches of ``batch_size``) or "sgd" (one sample per update)
        optimizer: "adam", "sgd" (with ``momentum``) or an optimiser object with .step(params, grads)
        clip: maximum global gradient norm (rnnlab.training.optim.clip_grad_norm), or None for no clipping
        patience: stop after this many epochs without a lower validation loss and return the best
            params seen (needs validation data); None trains all ``epochs`` and returns the last params
        seed: seeds the shuffling (a numpy Generator), so a run repeats exactly
        progress: show a tqdm progress bar over the epochs
        device: "cpu", "gpu" (raises RuntimeError without a usable GPU) or "auto"
    Returns:
        params: dict of NumPy arrays
        history: DataFrame with one row per epoch and columns epoch, loss (mean training loss over the
            epoch's updates, weighted by batch size), val_loss (NaN without validation data) and
            seconds (wall-clock time of the epoch's updates, validation excluded)
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}; got {strategy!r}")
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer; got {epochs!r}")
    if strategy == "minibatch" and (int(batch_size) != batch_size or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be positive or None; got {clip!r}")
    has_val = X_val is not None or Y_val is not None
    if has_val and (X_val is None or Y_val is None):
        raise ValueError("give both X_val and Y_val, or neither")
    if patience is not None:
        if not has_val:
            raise ValueError("patience (early stopping) needs validation data X_val and Y_val")
        if int(patience) != patience or patience < 1:
            raise ValueError(f"patience must be a positive integer or None; got {patience!r}")
    _check_data(X_train, Y_train, "X_train", "Y_train")
    check_finite(X_train, "X_train")
    check_finite(Y_train, "Y_train")
    if has_val:
        _check_data(X_val, Y_val, "X_val", "Y_val")
        check_finite(X_val, "X_val")
        check_finite(Y_val, "Y_val")

    dev = resolve_device(device)
    move = to_gpu if dev == "gpu" else np.asarray
    params = tree_to_device(params, dev)
    xp = get_xp(*params.values())
    params = {k: xp.array(v, copy=True) for k, v in params.items()}  # never train the caller's arrays
    X_train, Y_train = move(X_train), move(Y_train)
    if has_val:
        X_val, Y_val = move(X_val), move(Y_val)

    opt = _make_optimizer(optimizer, lr, momentum)
    N = X_train.shape[1]
    size = {"batch": N, "minibatch": min(int(batch_size), N), "sgd": 1}[strategy]
    rng = np.random.default_rng(seed)
    rows, best, best_val, waited = [], None, math.inf, 0

    epoch_iter = range(1, int(epochs) + 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        epoch_iter = bar = tqdm(epoch_iter, desc=f"fit ({strategy})", unit="epoch")
    try:
        for epoch in epoch_iter:
            start = time.perf_counter()
            order = np.arange(N) if strategy == "batch" else rng.permutation(N)
            # One host-to-device copy of the epoch's order (none on the CPU), not one per step.
            order_on_device = xp.asarray(order) if size < N else None
            total = 0.0
            for lo in range(0, N, size):
                idx = order[lo : lo + size]
                if size == N:
                    Xb, Yb = X_train, Y_train
                else:
                    idx_on_device = order_on_device[lo : lo + size]
                    Xb, Yb = X_train[:, idx_on_device], Y_train[idx_on_device]
                loss, grads = model.loss_and_grads(params, Xb, Yb)
                if not math.isfinite(loss):
                    raise FloatingPointError(
                        f"training diverged: loss {loss} at epoch {epoch}; lower lr (now {lr}) or set clip"
                    )
                if clip is not None:
                    clip_grad_norm(grads, clip)
                opt.step(params, grads)
                total += loss * len(idx)
            if dev == "gpu":  # the last update may still be queued: wait for it before reading the clock
                xp.cuda.Device().synchronize()
            seconds = time.perf_counter() - start
            val_loss = model.loss(params, X_val, Y_val) if has_val else math.nan
            rows.append((epoch, total / N, val_loss, seconds))
            if bar is not None:
                bar.set_postfix(loss=f"{total / N:.4g}", val_loss=f"{val_loss:.4g}")
            if patience is not None:
                if val_loss < best_val:
                    best_val, waited = val_loss, 0
                    best = {k: v.copy() for k, v in params.items()}
                else:
                    waited += 1
                    if waited >= patience:
                        break
    finally:
        if bar is not None:
            bar.close()
    if best is not None:
        params = best
    history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    return tree_to_numpy(params), history
