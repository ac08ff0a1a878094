"""rnnlab.viz: every diagram draws headless (Agg), returns a Figure, saves nothing, and shows the notebooks' symbols."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnnlab import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labels(fig):
    return set(viz.labels(fig))


def test_rnn_cell_shows_the_recurrence_of_notebook_01():
    fig = viz.rnn_cell()
    assert isinstance(fig, Figure)
    assert {"$x_t$", "$h_{t-1}$", "$h_t$", "$W_x$", "$W_h$", "$b$", r"$\tanh$", "$y_t$"} <= _labels(fig)
    assert any(r"\tanh(x_t W_x + h_{t-1} W_h + b)" in s for s in _labels(fig))
    assert "$y_t$" not in _labels(viz.rnn_cell(output=False))


def test_lstm_cell_shows_every_gate_and_the_highway():
    labels = _labels(viz.lstm_cell())
    assert {"$x_t$", "$h_{t-1}$", "$h_t$", "$c_{t-1}$", "$c_t$", "$f_t$", "$i_t$", "$g_t$", "$o_t$",
            r"$\sigma$", r"$\tanh$", r"$\odot$", "$+$", r"$\tanh(c_t)$"} <= labels
    assert any("gradient highway" in s and r"\mathrm{diag}(f_t)" in s for s in labels)
    assert any(r"c_t = f_t \odot c_{t-1} + i_t \odot g_t" in s and r"h_t = o_t \odot \tanh(c_t)" in s
               for s in labels)


def test_lstm_highway_is_the_thickest_line():
    fig = viz.lstm_cell()
    widths = {ln.get_linewidth(): ln.get_color() for ln in fig.axes[0].get_lines()}
    assert widths[max(widths)] == viz.primitives.COLORS["highway"]


def test_gru_cell_follows_the_course_convention_z_keeps_the_old_state():
    labels = _labels(viz.gru_cell())
    assert {"$r_t$", "$z_t$", "$n_t$", "$1-z_t$", r"$z_t \odot h_{t-1}$", r"$(1-z_t) \odot n_t$",
            r"$r_t \odot h_{t-1}$", "$h_{t-1}$", "$h_t$", "$x_t$"} <= labels
    assert any(r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t" in s for s in labels)
    assert not any(r"(1 - z_t) \odot h_{t-1}" in s or r"(1-z_t) \odot h_{t-1}" in s for s in labels)


def test_unrolled_bptt_has_one_backward_arrow_per_step_and_per_loss():
    T = 5
    labels = viz.labels(viz.unrolled_bptt(T))
    for t in range(1, T + 1):
        assert {f"$x_{{{t}}}$", f"$h_{{{t}}}$", rf"$\ell_{{{t}}}$",
                rf"$\partial \ell_{{{t}}} / \partial h_{{{t}}}$"} <= set(labels)
    for t in range(2, T + 1):
        assert rf"$\partial h_{{{t}}} / \partial h_{{{t - 1}}}$" in labels
    assert labels.count("$W_h$") == T and labels.count("$W_x$") == T  # the same weights at every step
    assert any(r"\mathrm{diag}(1 - h_j^2)\, W_h^\top" in s for s in labels)


def test_unrolled_without_bptt_draws_outputs_and_many_to_one():
    many = viz.labels(viz.unrolled_bptt(4, bptt=False))
    one = viz.labels(viz.unrolled_bptt(4, many_to_many=False, bptt=False))
    assert all(f"$y_{{{t}}}$" in many for t in range(1, 5)) and not any("partial" in s for s in many)
    assert [s for s in one if s.startswith("$y_")] == ["$y_{4}$"]


def test_stacked_labels_every_layer_and_step():
    L, T = 3, 4
    labels = set(viz.labels(viz.stacked(L, T)))
    for layer in range(1, L + 1):
        assert {f"$W_x^{{({layer})}}$", f"$W_h^{{({layer})}}$", f"$h^{{({layer})}}_0$"} <= labels
        assert all(f"$h^{{({layer})}}_{{{t}}}$" in labels for t in range(1, T + 1))
    assert "$W_y$" in labels


def test_bidirectional_has_both_directions_with_their_own_weights():
    T = 3
    labels = set(viz.labels(viz.bidirectional(T)))
    for t in range(1, T + 1):
        assert {rf"$\overrightarrow{{h}}_{{{t}}}$", rf"$\overleftarrow{{h}}_{{{t}}}$", f"$y_{{{t}}}$"} <= labels
    assert {"$W_x$", "$W_h$", "$W'_x$", "$W'_h$", r"$\overrightarrow{h}_0$", r"$\overleftarrow{h}_{4}$"} <= labels


@pytest.mark.parametrize("draw", [viz.rnn_cell, viz.lstm_cell, viz.gru_cell, viz.unrolled_bptt, viz.stacked,
                                  viz.bidirectional])
def test_every_diagram_renders_headless_and_saves_nothing(draw, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = draw()
    fig.canvas.draw()  # renders every mathtext label: a bad one raises here
    assert fig.get_size_inches().min() > 2
    assert list(tmp_path.iterdir()) == []


def test_a_diagram_draws_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert viz.unrolled_bptt(4, bptt=False, ax=axes[1]) is fig
    assert "$h_{4}$" in viz.labels(fig)


@pytest.mark.parametrize("call, match", [
    (lambda: viz.unrolled_bptt(1), "T must be an integer >= 2"),
    (lambda: viz.stacked(0, 4), "L must be an integer >= 1"),
    (lambda: viz.bidirectional(2.5), "T must be an integer >= 2"),
    (lambda: viz.canvas(0, 3), "width and height must be positive"),
])
def test_bad_sizes_raise_value_errors_that_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
