"""Sequence models: a recurrent layer plus a linear head, with their loss and gradients in one dict.

Two models share one structure, time-major input ``X`` (T, B, D) read by a recurrent layer
(``rnnlab.layers.lstm``, ``rnn``, ``gru``, ``mingru`` or ``minlstm``, or any module or object with the same
``forward``/``backward`` contract such as ``rnnlab.parallel.lstm_sequential``), and a linear head on the last
hidden state h_T::

    SequenceRegressor   pred = h_T W_y + b_y  (B, K)   mean squared error against the next K values
    SequenceClassifier  logits = h_T W_y + b_y  (B, C) cross-entropy against the next class

All parameters live in one flat dict (the layer's ``W_x``, ``W_h``, ``b`` plus the head's ``W_y``,
``b_y``), so the optimisers of :mod:`rnnlab.training.optim` update the whole model in one call.

The seed project's token approach is :class:`ChangeTokenizer`: month-to-month changes are cut into
K classes by bin edges (the seed's ``devide_lines``), each class is decoded to the mean change of
its bin (the seed's ``centroids``), and a classifier predicts the next class (the seed's ``predict``).
"""
from __future__ import annotations

import numpy as np

from ..backend import get_xp
from ..layers import gru, lstm, mingru, minlstm, rnn
from ..layers.functional import cross_entropy, log_softmax, mse
from ..layers.init import glorot_uniform

CELLS = {"lstm": lstm, "rnn": rnn, "gru": gru, "mingru": mingru, "minlstm": minlstm}
HEAD_KEYS = ("W_y", "b_y")


class _RecurrentWithHead:
    """The part both models share: layer params plus a linear head on h_T, forward and backward."""

    def __init__(self, input_size, hidden_size, output_size, cell="lstm", seed=0, dtype=np.float64, xp=np,
                 layer=None):
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}; got {cell!r}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("output_size", output_size)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        self.input_size, self.hidden_size, self.output_size = int(input_size), int(hidden_size), int(output_size)
        self.cell, self.seed, self.dtype, self.xp = cell, seed, np.dtype(dtype), xp
        # The cell fixes the params layout and the state (an LSTM's is a pair (h, c));
        # ``layer`` may swap in another implementation of that same cell, e.g. lstm_sequential.
        self.layer = CELLS[cell] if layer is None else layer
        for fn in ("forward", "backward"):
            if not callable(getattr(self.layer, fn, None)):
                raise ValueError(f"layer must provide forward and backward like rnnlab.{cell}; got {self.layer!r}")

    def init_params(self) -> dict:
        """Fresh parameters: the cell's initialisation plus a Glorot-uniform head and a zero head bias.

        Returns {W_x (D, G*H), W_h (H, G*H), b (G*H,), W_y (H, K), b_y (K,)} with G gates per cell.
        """
        params = CELLS[self.cell].init_params(self.input_size, self.hidden_size, seed=self.seed,
                                              dtype=self.dtype, xp=self.xp)
        rng = np.random.default_rng([self.seed, 1])  # its own stream, so the layer's weights do not shift
        params["W_y"] = self.xp.asarray(glorot_uniform((self.hidden_size, self.output_size), rng, self.dtype))
        params["b_y"] = self.xp.zeros(self.output_size, dtype=self.dtype)
        return params

    def param_shapes(self) -> dict:
        """{key: shape} of the parameters this model expects (used by rnnlab.training.io.load)."""
        G = CELLS[self.cell].N_GATES
        D, H, K = self.input_size, self.hidden_size, self.output_size
        if hasattr(CELLS[self.cell], "param_shapes"):  # minGRU, minLSTM: no W_h
            return {**CELLS[self.cell].param_shapes(D, H), "W_y": (H, K), "b_y": (K,)}
        return {"W_x": (D, G * H), "W_h": (H, G * H), "b": (G * H,), "W_y": (H, K), "b_y": (K,)}

    def config(self) -> dict:
        """The constructor's arguments as plain values (stored as metadata by rnnlab.training.io.save)."""
        return {"model": type(self).__name__, "input_size": self.input_size, "hidden_size": self.hidden_size,
                "output_size": self.output_size, "cell": self.cell, "seed": self.seed, "dtype": self.dtype.name}

    def _check_params(self, params):
        missing = [k for k in HEAD_KEYS if k not in params]
        if missing:
            raise ValueError(f"params is missing the head keys {missing}; use model.init_params()")
        H, K = self.hidden_size, self.output_size
        if tuple(params["W_y"].shape) != (H, K) or tuple(params["b_y"].shape) != (K,):
            raise ValueError(
                f"head params must be W_y (H, K) = {(H, K)} and b_y (K,) = {(K,)}; "
                f"got W_y {tuple(params['W_y'].shape)}, b_y {tuple(params['b_y'].shape)}"
            )

    def _head_forward(self, params, X):
        """Scores (B, K) from the last hidden state, and the cache for _head_backward."""
        self._check_params(params)
        layer_params = {k: params[k] for k in ("W_x", "W_h", "b") if k in params}
        _, state_T, cache = self.layer.forward(layer_params, X)
        h_T = state_T[0] if isinstance(state_T, tuple) else state_T  # (B, H)
        scores = h_T @ params["W_y"] + params["b_y"]
        return scores, (params, h_T, cache, isinstance(state_T, tuple))

    def _head_backward(self, dscores, head_cache):
        """Gradients of every parameter from dL/dscores (B, K)."""
        params, h_T, cache, pair = head_cache
        dh_T = dscores @ params["W_y"].T
        # Only h_T feeds the head, so the gradient enters through the final state, not dY.
        d_state = (dh_T, get_xp(dh_T).zeros_like(dh_T)) if pair else dh_T
        grads, _, _ = self.layer.backward(None, cache, d_state)
        grads["W_y"] = h_T.T @ dscores
        grads["b_y"] = dscores.sum(axis=0)
        return grads

    def _check_batch(self, X, Y, y_tail, y_name):
        """X must be (T, B, D) and Y (B, *y_tail)."""
        if getattr(X, "ndim", None) != 3:
            raise ValueError(f"X must be time-major (T, B, D) with D={self.input_size}; got shape "
                             f"{tuple(getattr(X, 'shape', ()))}")
        y_shape = (X.shape[1], *y_tail)
        if tuple(getattr(Y, "shape", ())) != y_shape:
            raise ValueError(f"{y_name} must have shape {y_shape} to match X {tuple(X.shape)}; "
                             f"got {tuple(getattr(Y, 'shape', ()))}")


class SequenceRegressor(_RecurrentWithHead):
    """Recurrent layer + linear head: from a window X (T, B, D) predict the next K values (B, K).

    ``SequenceRegressor(input_size, hidden_size, output_size, cell="lstm"|"rnn"|"gru", seed=0,
    dtype=np.float64, xp=np, layer=None)``; ``layer`` replaces the cell's module by another one
    with the same contract and params (``rnnlab.parallel.lstm_sequential``, ``rnnlab.parallel.lstm_fused``).
    The loss is the mean squared error over all B*K predictions.
    """

    def predict(self, params, X):
        """Predictions (B, K) for X (T, B, D)."""
        return self._head_forward(params, X)[0]

    def loss(self, params, X, Y) -> float:
        """Mean squared error of the predictions for X (T, B, D) against Y (B, K), without gradients."""
        self._check_batch(X, Y, (self.output_size,), "Y")
        return float(mse(self.predict(params, X), Y)[0])

    def loss_and_grads(self, params, X, Y):
        """(loss, grads): the MSE for X (T, B, D) against Y (B, K) and its gradient for every param."""
        self._check_batch(X, Y, (self.output_size,), "Y")
        pred, head_cache = self._head_forward(params, X)
        loss, dpred = mse(pred, Y)
        return float(loss), self._head_backward(dpred, head_cache)


class SequenceClassifier(_RecurrentWithHead):
    """Recurrent layer + softmax head: from X (T, B, D) predict the next class in 0..C-1.

    The seed's token approach: ``output_size`` is the number of classes C, the head gives
    logits (B, C), the loss is the mean cross-entropy against integer targets y (B,).
    """

    def logits(self, params, X):
        """Unnormalised scores (B, C) for X (T, B, D)."""
        return self._head_forward(params, X)[0]

    def predict_proba(self, params, X):
        """Class probabilities (B, C) (a softmax over the logits)."""
        logits = self.logits(params, X)
        return get_xp(logits).exp(log_softmax(logits))

    def predict(self, params, X):
        """The most probable class (B,) for each sequence, as the seed's ``predict`` returns."""
        return self.logits(params, X).argmax(axis=1)

    def _check_targets(self, X, y):
        self._check_batch(X, y, (), "y")
        xp = get_xp(y)
        if y.dtype.kind not in "iu":
            raise ValueError(f"y must hold integer classes; got dtype {y.dtype}")
        if y.size and bool(((y < 0) | (y >= self.output_size)).any()):
            raise ValueError(f"y must hold classes in 0..{self.output_size - 1}; got values from "
                             f"{int(xp.min(y))} to {int(xp.max(y))}")

    def loss(self, params, X, y) -> float:
        """Mean cross-entropy for X (T, B, D) against integer classes y (B,), without gradients."""
        self._check_targets(X, y)
        return float(cross_entropy(self.logits(params, X), y)[0])

    def loss_and_grads(self, params, X, y):
        """(loss, grads): the mean cross-entropy against y (B,) and its gradient for every param."""
        self._check_targets(X, y)
        logits, head_cache = self._head_forward(params, X)
        loss, dlogits = cross_entropy(logits, y)
        return float(loss), self._head_backward(dlogits, head_cache)


class ChangeTokenizer:
    """Cut a real-valued series of changes into ``n_classes`` tokens, and decode tokens back.

    ``fit(changes)`` on the training part only: the bin edges (the seed's ``devide_lines``) are the
    interior quantiles of the training changes, so each class holds about the same number of
    training months; each class's ``centroids`` entry is the mean training change in its bin.
    ``encode`` maps a change to its class, ``decode`` maps a class to its centroid, which is how the
    seed turns a predicted class (its ``predict``) back into a number.
    """

    def __init__(self, n_classes: int):
        if int(n_classes) != n_classes or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}")
        self.n_classes = int(n_classes)
        self.edges = None  # (K-1,) increasing: the seed's devide_lines
        self.centroids = None  # (K,) mean training change per class

    def fit(self, changes):
        changes = np.asarray(changes, dtype=np.float64)
        K = self.n_classes
        if changes.ndim != 1 or changes.size < K:
            raise ValueError(f"fit needs a 1-D array of at least n_classes={K} changes; got shape {changes.shape}")
        if not np.isfinite(changes).all():
            raise ValueError(f"changes contain NaN or inf (shape {changes.shape})")
        edges = np.quantile(changes, np.arange(1, K) / K)
        if np.any(np.diff(edges) <= 0):
            raise ValueError(f"{K} classes need {K - 1} distinct quantiles of the training changes; got {edges}: "
                             "use fewer classes")
        classes = np.searchsorted(edges, changes, side="right")
        counts = np.bincount(classes, minlength=K)
        if np.any(counts == 0):
            raise ValueError(f"class(es) {np.flatnonzero(counts == 0).tolist()} got no training change; use fewer classes")
        self.edges = edges
        self.centroids = np.bincount(classes, weights=changes, minlength=K) / counts
        return self

    @property
    def devide_lines(self):
        """The seed's name for the bin edges."""
        return self.edges

    def _fitted(self):
        if self.edges is None:
            raise ValueError("ChangeTokenizer is not fitted: call fit(train_changes) first")

    def encode(self, changes):
        """Class (int64, same shape) of each change: k when edges[k-1] <= change < edges[k]."""
        self._fitted()
        changes = np.asarray(changes, dtype=np.float64)
        return np.searchsorted(self.edges, changes, side="right").astype(np.int64)

    def decode(self, classes):
        """Centroid of each class (float64, same shape)."""
        self._fitted()
        classes = np.asarray(classes)
        if classes.dtype.kind not in "iu" or (classes.size and (classes.min() < 0 or classes.max() >= self.n_classes)):
            raise ValueError(f"classes must be integers in 0..{self.n_classes - 1}; got {classes!r}")
        return self.centroids[classes]


def one_hot(classes, n_classes: int, dtype=np.float64):
    """One-hot rows: (..., ) integer classes -> (..., n_classes), the token inputs of the classifier."""
    classes = np.asarray(classes)
    if classes.dtype.kind not in "iu" or (classes.size and (classes.min() < 0 or classes.max() >= n_classes)):
        raise ValueError(f"classes must be integers in 0..{n_classes - 1}; got dtype {classes.dtype}")
    return np.eye(n_classes, dtype=dtype)[classes]
