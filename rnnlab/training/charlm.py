"""A character language model on the course's NumPy LSTM, and text generation from it: greedy or sampled
from the softmax with a temperature, drawn from an explicit ``np.random.Generator``.

The pieces, in the order notebook 05 uses them::

    CharVocab(text)                the characters of d2l's Time Machine pipeline: letters and space
    char_windows(ids, num_steps)   non-overlapping windows X (N, T) and targets Y (N, T), shifted by one
    CharLSTM(V, H)                 one-hot input -> rnnlab.layers.lstm -> linear head at every step;
                                   loss_and_grads(params, X (T, B, V), Y (B, T)) fits rnnlab.training.fit
    softmax_with_temperature       softmax(logits / temperature), the maximum subtracted first
    sample_next                    one draw from it; temperature -> 0 gives the argmax
    generate                       warm the state on a prefix, then append characters one at a time
    char_entropy                   entropy (nats) of a text's character frequencies
"""
from __future__ import annotations

import math
import re

import numpy as np

from ..layers import lstm
from ..layers.functional import cross_entropy, log_softmax
from ..layers.init import glorot_uniform

HEAD_KEYS = ("W_y", "b_y")


def clean_text(text: str) -> str:
    """d2l's preprocessing of The Time Machine: every run of non-letters becomes one space, lower case."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str; got {type(text).__name__}")
    return re.sub("[^A-Za-z]+", " ", text).lower()


class CharVocab:
    """The sorted characters of a text: ``encode`` maps a string to int64 ids, ``decode`` maps them back."""

    def __init__(self, text: str):
        if not text:
            raise ValueError("text must be a non-empty str to build a vocabulary from")
        self.idx_to_char = sorted(set(text))
        self.char_to_idx = {c: i for i, c in enumerate(self.idx_to_char)}

    def __len__(self) -> int:
        return len(self.idx_to_char)

    def encode(self, text: str) -> np.ndarray:
        unknown = sorted(set(text) - set(self.char_to_idx))
        if unknown:
            raise ValueError(f"text holds characters outside the vocabulary: {unknown} (clean it with clean_text)")
        return np.array([self.char_to_idx[c] for c in text], dtype=np.int64)

    def decode(self, ids) -> str:
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu" or (ids.size and (ids.min() < 0 or ids.max() >= len(self))):
            raise ValueError(f"ids must be integers in 0..{len(self) - 1}; got {ids!r}")
        return "".join(self.idx_to_char[i] for i in ids.ravel())


def char_windows(ids, num_steps: int):
    """Cut a 1-D id sequence into non-overlapping windows: X (N, T) and the next characters Y (N, T)."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D integer array; got shape {ids.shape}, dtype {ids.dtype}")
    if int(num_steps) != num_steps or num_steps < 1:
        raise ValueError(f"num_steps must be a positive integer; got {num_steps!r}")
    n = (len(ids) - 1) // num_steps
    if n < 1:
        raise ValueError(f"ids of length {len(ids)} hold no window of num_steps={num_steps} plus a target")
    X = ids[: n * num_steps].reshape(n, num_steps)
    Y = ids[1 : n * num_steps + 1].reshape(n, num_steps)
    return X, Y


def one_hot_time_major(X, vocab_size: int, dtype=np.float64):
    """Token ids X (N, T) -> one-hot inputs (T, N, V), the time-major layout of rnnlab's layers."""
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "iu" or (X.size and (X.min() < 0 or X.max() >= vocab_size)):
        raise ValueError(f"X must be (N, T) integer ids in 0..{vocab_size - 1}; got shape {X.shape}, dtype {X.dtype}")
    return np.ascontiguousarray(np.eye(vocab_size, dtype=dtype)[X.T])


class CharLSTM:
    """rnnlab's LSTM with a linear head on every hidden state: logits_t = h_t W_y + b_y (V scores).

    The loss is the mean cross-entropy over all T*B next-character predictions. Parameters are one flat
    dict (W_x, W_h, b of the layer, W_y (H, V), b_y (V,) of the head), so ``rnnlab.training.fit`` with
    X (T, N, V) one-hot and Y (N, T) integer targets trains it.
    """

    def __init__(self, vocab_size: int, hidden_size: int, seed: int = 0, dtype=np.float64):
        for name, value in (("vocab_size", vocab_size), ("hidden_size", hidden_size)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        self.vocab_size, self.hidden_size, self.seed, self.dtype = int(vocab_size), int(hidden_size), seed, dtype

    def init_params(self) -> dict:
        """rnnlab.layers.lstm's initialisation plus a Glorot-uniform head and a zero head bias."""
        params = lstm.init_params(self.vocab_size, self.hidden_size, seed=self.seed, dtype=self.dtype)
        rng = np.random.default_rng([self.seed, 1])
        params["W_y"] = glorot_uniform((self.hidden_size, self.vocab_size), rng, self.dtype)
        params["b_y"] = np.zeros(self.vocab_size, dtype=self.dtype)
        return params

    def _check(self, params, X, Y=None):
        missing = [k for k in ("W_x", "W_h", "b", *HEAD_KEYS) if k not in params]
        if missing:
            raise ValueError(f"params is missing {missing}; use CharLSTM.init_params()")
        if getattr(X, "ndim", None) != 3 or X.shape[2] != self.vocab_size:
            raise ValueError(f"X must be one-hot (T, B, V={self.vocab_size}); got shape {tuple(getattr(X, 'shape', ()))}")
        if Y is not None and (tuple(getattr(Y, "shape", ())) != (X.shape[1], X.shape[0]) or Y.dtype.kind not in "iu"):
            raise ValueError(f"Y must be integer targets (B, T) = {(X.shape[1], X.shape[0])} to match X "
                             f"{tuple(X.shape)}; got shape {tuple(getattr(Y, 'shape', ()))}")

    def logits(self, params, X, state=None):
        """Scores (T, B, V) for one-hot X (T, B, V), the final state (h_T, c_T) and the layer's cache."""
        self._check(params, X)
        layer = {k: params[k] for k in ("W_x", "W_h", "b")}
        Y, state_T, cache = lstm.forward(layer, X, state)
        return Y @ params["W_y"] + params["b_y"], state_T, (Y, cache)

    def loss(self, params, X, Y) -> float:
        """Mean cross-entropy (nats per character) of targets Y (B, T) under the model, no gradients."""
        self._check(params, X, Y)
        logits = self.logits(params, X)[0]
        return float(cross_entropy(logits.reshape(-1, self.vocab_size), Y.T.reshape(-1))[0])

    def loss_and_grads(self, params, X, Y):
        """(loss, grads) for one-hot X (T, B, V) and integer targets Y (B, T); BPTT over the whole window."""
        self._check(params, X, Y)
        T, B, V = X.shape
        logits, _, (hs, cache) = self.logits(params, X)
        loss, dlogits = cross_entropy(logits.reshape(T * B, V), Y.T.reshape(-1))
        dlogits = dlogits.reshape(T, B, V)
        grads, _, _ = lstm.backward(dlogits @ params["W_y"].T, cache)
        grads["W_y"] = hs.reshape(T * B, -1).T @ dlogits.reshape(T * B, V)
        grads["b_y"] = dlogits.sum(axis=(0, 1))
        return float(loss), grads


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating, np.integer)):
        raise ValueError(f"temperature must be a positive number; got {temperature!r}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0 (use generate(..., temperature=None) for "
                         f"greedy decoding); got {temperature!r}")
    return float(temperature)


def softmax_with_temperature(logits, temperature):
    """softmax(logits / temperature) along the last axis; the maximum is subtracted, so no overflow.

    temperature < 1 sharpens the distribution towards the argmax, > 1 flattens it towards uniform.
    """
    temperature = _check_temperature(temperature)
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim not in (1, 2) or logits.shape[-1] < 1 or not np.isfinite(logits).all():
        raise ValueError(f"logits must be finite scores (V,) or (B, V); got shape {logits.shape}")
    return np.exp(log_softmax(logits / temperature))


def sample_next(logits, temperature, rng):
    """Draw one index per row of ``logits`` ((V,) -> int, (B, V) -> (B,)) from softmax(logits / temperature).

    ``rng`` must be a ``np.random.Generator``: the caller owns the stream, so a run repeats exactly.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator (np.random.default_rng(seed)); got {type(rng).__name__}")
    probs = softmax_with_temperature(logits, temperature)
    rows = np.atleast_2d(probs)
    cdf = np.cumsum(rows, axis=1)
    u = rng.random(rows.shape[0]) * cdf[:, -1]  # inverse CDF; * total guards against rounding below 1
    draws = np.minimum((cdf <= u[:, None]).sum(axis=1), rows.shape[1] - 1)
    return int(draws[0]) if probs.ndim == 1 else draws


def generate(model, params, vocab, prefix: str, num_chars: int, temperature=None, rng=None) -> str:
    """``prefix`` followed by ``num_chars`` generated characters.

    The prefix warms up the LSTM state; then each step feeds the last character and appends the argmax
    (``temperature=None``: greedy, as d2l's ``predict``) or a draw from ``sample_next`` with ``rng``.
    """
    if not prefix:
        raise ValueError("prefix must hold at least one character")
    if int(num_chars) != num_chars or num_chars < 0:
        raise ValueError(f"num_chars must be a non-negative integer; got {num_chars!r}")
    if temperature is not None:
        _check_temperature(temperature)
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"sampling with a temperature needs rng, a np.random.Generator; got {rng!r}")
    ids = list(vocab.encode(prefix))
    eye = np.eye(len(vocab), dtype=params["W_x"].dtype)
    logits, state, _ = model.logits(params, eye[np.array(ids)][:, None, :])
    for _ in range(int(num_chars)):
        last = logits[-1, 0]
        nxt = int(last.argmax()) if temperature is None else sample_next(last, temperature, rng)
        ids.append(nxt)
        logits, state, _ = model.logits(params, eye[[nxt]][:, None, :], state)
    return vocab.decode(np.array(ids))


def char_entropy(text: str) -> float:
    """Entropy in nats of the character frequencies of ``text``: log(V) for uniform text, 0 for one letter."""
    if not text:
        raise ValueError("text must be non-empty")
    _, counts = np.unique(np.array(list(text)), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())
