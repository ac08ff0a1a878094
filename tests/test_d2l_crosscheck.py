"""rnnlab.layers.lstm against the d2l reference (notebook 05's cross-check, on fresh random weights).

Two references, both in float64 and both wrapped in d2l's language-model classes:
the d2l-style LSTM written from scratch (separate W_xi, W_hi, b_i, ... parameters) in
``d2l.RNNLMScratch``, and ``torch.nn.LSTM`` in ``d2l.RNNLM``. Forward (hidden states,
final state, logits) and backward (gradients of a cross-entropy loss plus a projection of
the final state with respect to every LSTM weight, the input and the initial state) must
agree with ``rnnlab.layers.lstm`` to 1e-10 relative error.

d2l is a course requirement, not an optional extra: if it is missing this module fails
at import with the command that installs it, rather than being skipped.
"""
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

try:
    from d2l import torch as d2l
except ImportError as err:  # pragma: no cover - only on a broken environment
    raise ImportError(
        "d2l is a course requirement and is not importable here: install it with "
        "`python -m pip install --no-deps d2l==1.0.3` (or run `make setup`). "
        f"Original error: {err}"
    ) from err

import d2l as d2l_package

from rnnlab import lstm
from rnnlab.layers.functional import cross_entropy
from rnnlab.layers.gradcheck import relative_error

TOL = 1e-10
D2L_VERSION = "1.0.3"


def test_d2l_version_is_the_pinned_one():
    assert d2l_package.__version__ == D2L_VERSION, (
        f"the course pins d2l=={D2L_VERSION}; found {d2l_package.__version__}"
    )


class LSTMScratch(d2l.Module):
    """The d2l chapter's LSTM, parameters created in float64 for the comparison."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()

        def init_weight(*shape):
            return nn.Parameter(torch.randn(*shape, dtype=torch.float64) * sigma)

        def triple():
            return (
                init_weight(num_inputs, num_hiddens),
                init_weight(num_hiddens, num_hiddens),
                nn.Parameter(torch.randn(num_hiddens, dtype=torch.float64) * sigma),
            )

        self.W_xi, self.W_hi, self.b_i = triple()  # input gate
        self.W_xf, self.W_hf, self.b_f = triple()  # forget gate
        self.W_xo, self.W_ho, self.b_o = triple()  # output gate
        self.W_xc, self.W_hc, self.b_c = triple()  # candidate cell (input node)

    def forward(self, inputs, H_C=None):
        H, C = H_C
        outputs = []
        for X in inputs:
            I = torch.sigmoid(X @ self.W_xi + H @ self.W_hi + self.b_i)
            Fg = torch.sigmoid(X @ self.W_xf + H @ self.W_hf + self.b_f)
            O = torch.sigmoid(X @ self.W_xo + H @ self.W_ho + self.b_o)
            C_tilde = torch.tanh(X @ self.W_xc + H @ self.W_hc + self.b_c)
            C = Fg * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H)
        return outputs, (H, C)


class LSTMConcise(d2l.RNN):
    """The d2l chapter's concise LSTM: torch.nn.LSTM behind d2l's RNN interface."""

    def __init__(self, num_inputs, num_hiddens):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.LSTM(num_inputs, num_hiddens, dtype=torch.float64)

    def forward(self, inputs, H_C=None):
        return self.rnn(inputs, H_C)


def _np(t):
    return t.detach().numpy()


def scratch_to_rnnlab(cell):
    """d2l-style per-gate matrices -> rnnlab's (D, 4H), (H, 4H), (4H,) in the gate order i, f, g, o."""
    gates = ("i", "f", "c", "o")  # d2l calls the candidate cell "c"; rnnlab calls it "g"
    return {
        "W_x": np.concatenate([_np(getattr(cell, f"W_x{k}")) for k in gates], axis=1),
        "W_h": np.concatenate([_np(getattr(cell, f"W_h{k}")) for k in gates], axis=1),
        "b": np.concatenate([_np(getattr(cell, f"b_{k}")) for k in gates]),
    }


def torch_lstm_to_rnnlab(rnn):
    """torch.nn.LSTM (one layer) -> rnnlab: transposed weights, the two biases summed."""
    return {
        "W_x": _np(rnn.weight_ih_l0).T.copy(),
        "W_h": _np(rnn.weight_hh_l0).T.copy(),
        "b": _np(rnn.bias_ih_l0 + rnn.bias_hh_l0),
    }


@pytest.fixture
def problem():
    """Token ids, targets, initial state and the final-state projection of one small batch."""
    torch.manual_seed(0)
    V, H, B, T = 11, 7, 3, 6
    tokens = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    h0 = torch.randn(B, H, dtype=torch.float64) * 0.5
    c0 = torch.randn(B, H, dtype=torch.float64) * 0.5
    G_h = torch.randn(B, H, dtype=torch.float64)
    G_c = torch.randn(B, H, dtype=torch.float64)
    return dict(V=V, H=H, tokens=tokens, targets=targets, h0=h0, c0=c0, G_h=G_h, G_c=G_c)


def _torch_side(model, p, stacked_outputs):
    """Run a d2l language model on one-hot inputs in float64 and backpropagate the test loss.

    d2l's ``one_hot`` casts to float32, so the one-hot tensor is built here (float64,
    with requires_grad so that the gradient with respect to the input can be compared).
    """
    embs = F.one_hot(p["tokens"].T, p["V"]).to(torch.float64).requires_grad_(True)  # (T, B, V)
    h0 = p["h0"].clone().requires_grad_(True)
    c0 = p["c0"].clone().requires_grad_(True)
    state = (h0, c0) if not stacked_outputs else (h0[None], c0[None])
    outputs, (h_T, c_T) = model.rnn(embs, state)
    if stacked_outputs:
        h_T, c_T = h_T[0], c_T[0]
    logits = model.output_layer(outputs)  # (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, p["V"]), p["targets"].reshape(-1))
    loss = loss + (p["G_h"] * h_T).sum() + (p["G_c"] * c_T).sum()
    loss.backward()
    hs = torch.stack(list(outputs)) if not stacked_outputs else outputs  # (T, B, H)
    return embs, h0, c0, hs, (h_T, c_T), logits, loss


def _rnnlab_side(params, W_hq, b_q, embs, p):
    """The same forward and backward pass with rnnlab.layers.lstm and a NumPy output layer."""
    X = _np(embs)
    T, B, _ = X.shape
    Y, (h_T, c_T), cache = lstm.forward(params, X, (_np(p["h0"]), _np(p["c0"])))
    logits = Y @ W_hq + b_q  # (T, B, V)
    # cross_entropy averages over its rows; rows in (b, t) order match torch's reshape above.
    ce, dlogits = cross_entropy(logits.transpose(1, 0, 2).reshape(B * T, -1), _np(p["targets"]).reshape(-1))
    loss = ce + (_np(p["G_h"]) * h_T).sum() + (_np(p["G_c"]) * c_T).sum()
    dlogits = dlogits.reshape(B, T, -1).transpose(1, 0, 2)
    dY = dlogits @ W_hq.T
    grads, dX, (dh0, dc0) = lstm.backward(dY, cache, (_np(p["G_h"]), _np(p["G_c"])))
    return Y, (h_T, c_T), logits, loss, grads, dX, (dh0, dc0)


def _compare(params, W_hq, b_q, torch_side, p, torch_grads):
    embs, h0, c0, hs, (h_T, c_T), logits, loss = torch_side
    Y, (rh_T, rc_T), r_logits, r_loss, grads, dX, (dh0, dc0) = _rnnlab_side(params, W_hq, b_q, embs, p)
    errors = {
        "hidden states": relative_error(Y, _np(hs)),
        "h_T": relative_error(rh_T, _np(h_T)),
        "c_T": relative_error(rc_T, _np(c_T)),
        "logits": relative_error(r_logits, _np(logits).transpose(1, 0, 2)),
        "loss": abs(r_loss - loss.item()) / abs(loss.item()),
        "dW_x": relative_error(grads["W_x"], torch_grads["W_x"]),
        "dW_h": relative_error(grads["W_h"], torch_grads["W_h"]),
        "db": relative_error(grads["b"], torch_grads["b"]),
        "dX": relative_error(dX, _np(embs.grad)),
        "dh0": relative_error(dh0, _np(h0.grad)),
        "dc0": relative_error(dc0, _np(c0.grad)),
    }
    bad = {k: v for k, v in errors.items() if not v < TOL}
    assert not bad, f"rnnlab.layers.lstm disagrees with the d2l reference beyond {TOL}: {bad}"
    # A non-trivial problem: the loss must depend on the weights (no all-zero gradients).
    assert all(np.abs(g).max() > 1e-6 for g in grads.values())


def test_d2l_scratch_lstm_matches_rnnlab(problem):
    p = problem
    torch.manual_seed(1)
    # sigma 0.5 instead of d2l's 0.01: gates well away from 0.5, so a swapped gate would show.
    cell = LSTMScratch(p["V"], p["H"], sigma=0.5)
    model = d2l.RNNLMScratch(cell, vocab_size=p["V"])
    model.double()
    with torch.no_grad():
        model.W_hq.normal_(0, 0.5)
        model.b_q.normal_(0, 0.5)
    side = _torch_side(model, p, stacked_outputs=False)
    gates = ("i", "f", "c", "o")
    torch_grads = {
        "W_x": np.concatenate([_np(getattr(cell, f"W_x{k}").grad) for k in gates], axis=1),
        "W_h": np.concatenate([_np(getattr(cell, f"W_h{k}").grad) for k in gates], axis=1),
        "b": np.concatenate([_np(getattr(cell, f"b_{k}").grad) for k in gates]),
    }
    _compare(scratch_to_rnnlab(cell), _np(model.W_hq), _np(model.b_q), side, p, torch_grads)


def test_torch_nn_lstm_matches_rnnlab(problem):
    p = problem
    torch.manual_seed(2)
    cell = LSTMConcise(p["V"], p["H"])
    model = d2l.RNNLM(cell, vocab_size=p["V"])
    model.double()
    with torch.no_grad():
        model.output_layer(torch.zeros(1, 1, p["H"], dtype=torch.float64))  # materialise LazyLinear
        model.linear.weight.normal_(0, 0.5)
        model.linear.bias.normal_(0, 0.5)
        for w in cell.rnn.parameters():
            w.uniform_(-0.8, 0.8)
    model.linear.double()
    side = _torch_side(model, p, stacked_outputs=True)
    rnn = cell.rnn
    # rnnlab's single bias b = bias_ih + bias_hh receives the gradient of each of them.
    assert relative_error(_np(rnn.bias_ih_l0.grad), _np(rnn.bias_hh_l0.grad)) < TOL
    torch_grads = {
        "W_x": _np(rnn.weight_ih_l0.grad).T,
        "W_h": _np(rnn.weight_hh_l0.grad).T,
        "b": _np(rnn.bias_ih_l0.grad),
    }
    _compare(
        torch_lstm_to_rnnlab(rnn), _np(model.linear.weight).T, _np(model.linear.bias), side, p, torch_grads
    )


def test_time_machine_pipeline_reads_the_shipped_file(monkeypatch):
    """d2l's TimeMachine pipeline fed from data/timemachine.txt via rnnlab.data: no download."""
    from rnnlab.data import load_time_machine

    def no_network(*args, **kwargs):
        raise AssertionError(f"d2l tried to download {args}")

    monkeypatch.setattr(d2l, "download", no_network)

    class TimeMachine(d2l.TimeMachine):
        def _download(self):
            return load_time_machine()

    data = TimeMachine(batch_size=4, num_steps=5, num_train=40, num_val=20)
    assert len(data.vocab) == 28  # a-z, space and <unk>
    X, Y = next(iter(data.train_dataloader()))
    assert X.shape == Y.shape == (4, 5)
    text = "".join(data.vocab.to_tokens(data.X[0].tolist()))
    assert text == "the t"
