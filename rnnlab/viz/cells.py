"""The RNN, LSTM and GRU cells drawn with the symbols of notebooks 01-03 (row vectors: x_t W_x + h_{t-1} W_h).

Each function returns a matplotlib Figure and saves nothing; the notebooks save them to ``FIGURES``.
The GRU follows ``rnnlab.layers.gru`` and notebook 03: h_t = z_t * h_{t-1} + (1 - z_t) * n_t.
"""
from __future__ import annotations

from .primitives import COLORS, arrow, box, canvas, gate, line, note

HIGHWAY_WIDTH = 7


def rnn_cell(*, output: bool = True, ax=None):
    """The vanilla RNN cell: h_t = tanh(x_t W_x + h_{t-1} W_h + b), with its output y_t and the loop."""
    fig, ax = canvas(9.5, 5.6, ax=ax)
    y = 2.6
    note(ax, (0.45, y), "$h_{t-1}$", fontsize=14)
    arrow(ax, (0.95, y), (3.22, y), "$W_h$", offset=(0, 0.25))
    box(ax, (3.5, 0.55), "$x_t$", color="input")
    arrow(ax, (3.5, 0.85), (3.5, y - 0.28), "$W_x$", offset=(0.35, 0))
    arrow(ax, (3.5, 4.0), (3.5, y + 0.28), "$b$", offset=(0.3, 0.1), label_at=0.3)
    gate(ax, (3.5, y), "$+$")
    arrow(ax, (3.78, y), (5.0, y))
    box(ax, (5.6, y), r"$\tanh$", width=1.2, color="candidate")
    arrow(ax, (6.2, y), (9.2, y), "$h_t$", offset=(0.3, 0.25), label_at=0.85)
    if output:
        line(ax, [(7.4, y), (7.4, 3.9)])
        arrow(ax, (7.4, 3.9), (7.4, 4.3))
        note(ax, (7.5, 3.55), "output layer", fontsize=9, ha="left")
        box(ax, (7.4, 4.6), "$y_t$", color="output")
    arrow(ax, (8.4, y - 0.1), (1.2, y - 0.1), rad=-0.45, dashed=True, color="#777777")
    note(ax, (6.9, 0.55), "$h_t$ is the next step's $h_{t-1}$", fontsize=9, color="#777777", ha="left")
    ax.set_title(r"RNN cell: $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$", fontsize=13)
    return fig


def lstm_cell(*, ax=None):
    """The LSTM cell: gates i, f, o, candidate g, and the cell-state path drawn as the gradient highway."""
    fig, ax = canvas(12, 7.4, ax=ax)
    top, bus, gates = 6.0, 1.3, 3.1
    # The cell state c: a straight, thick path through one multiplication and one addition.
    line(ax, [(0.95, top), (11.3, top)], color="highway", lw=HIGHWAY_WIDTH, zorder=0)
    note(ax, (0.5, top), "$c_{t-1}$", fontsize=14)
    arrow(ax, (0.95, top), (2.72, top))
    gate(ax, (3.0, top), r"$\odot$")
    arrow(ax, (3.28, top), (5.72, top))
    gate(ax, (6.0, top), "$+$")
    arrow(ax, (6.28, top), (11.3, top), "$c_t$", offset=(0.3, 0.3), label_at=0.95)
    note(ax, (6.0, 6.85), r"gradient highway: $\partial c_t / \partial c_{t-1} = \mathrm{diag}(f_t) + \dots$",
         color="highway", fontsize=12)
    # The inputs: h_{t-1} and x_t feed every gate.
    note(ax, (0.5, bus), "$h_{t-1}$", fontsize=14)
    line(ax, [(0.95, bus), (8.0, bus)])
    box(ax, (1.8, 0.35), "$x_t$", color="input", height=0.5)
    line(ax, [(1.8, 0.6), (1.8, bus)])
    for x, sym, color in ((3.0, r"$\sigma$", "gate"), (4.5, r"$\sigma$", "gate"), (6.0, r"$\tanh$", "candidate"),
                          (8.0, r"$\sigma$", "gate")):
        arrow(ax, (x, bus), (x, gates - 0.3))
        box(ax, (x, gates), sym, width=1.0, color=color)
    arrow(ax, (3.0, gates + 0.3), (3.0, top - 0.28), "$f_t$", offset=(0.3, 0))
    gate(ax, (6.0, 4.6), r"$\odot$")
    arrow(ax, (4.5, gates + 0.3), (5.77, 4.42), "$i_t$", offset=(-0.3, 0.2))
    arrow(ax, (6.0, gates + 0.3), (6.0, 4.32), "$g_t$", offset=(0.3, 0))
    arrow(ax, (6.0, 4.88), (6.0, top - 0.28), r"$i_t \odot g_t$", offset=(0.65, 0))
    # The output: tanh of the new cell, scaled by o_t, is h_t.
    arrow(ax, (9.3, top), (9.3, 5.1))
    gate(ax, (9.3, 4.75), r"$\tanh$", radius=0.35, fontsize=10)
    gate(ax, (9.3, gates), r"$\odot$")
    arrow(ax, (9.3, 4.4), (9.3, gates + 0.28), r"$\tanh(c_t)$", offset=(0.65, 0))
    arrow(ax, (8.5, gates), (9.02, gates), "$o_t$", offset=(0, 0.25))
    line(ax, [(9.3, gates - 0.28), (9.3, bus)])
    arrow(ax, (9.3, bus), (11.3, bus), "$h_t$", offset=(0.3, 0.3), label_at=0.9)
    ax.set_title("LSTM cell: $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$,  $h_t = o_t \\odot \\tanh(c_t)$\n"
                 r"each gate reads $x_t$ and $h_{t-1}$, e.g. $f_t = \sigma(x_t W_{xf} + h_{t-1} W_{hf} + b_f)$",
                 fontsize=12)
    return fig


def gru_cell(*, ax=None):
    """The GRU cell in the course's convention: z_t keeps the old state, 1 - z_t lets the candidate n_t in."""
    fig, ax = canvas(12, 7.2, ax=ax)
    top, bus = 6.0, 1.3
    # The state h is the memory: z_t of the old state plus (1 - z_t) of the candidate.
    note(ax, (0.5, top), "$h_{t-1}$", fontsize=14)
    arrow(ax, (0.95, top), (2.12, top))
    gate(ax, (2.4, top), r"$\odot$")
    arrow(ax, (2.68, top), (7.72, top), r"$z_t \odot h_{t-1}$", offset=(0, 0.3))
    gate(ax, (8.0, top), "$+$")
    arrow(ax, (8.28, top), (11.3, top), "$h_t$", offset=(0.3, 0.3), label_at=0.9)
    # The inputs: h_{t-1} comes down to join x_t.
    line(ax, [(1.2, top), (1.2, bus), (8.0, bus)])
    box(ax, (1.9, 0.35), "$x_t$", color="input", height=0.5)
    line(ax, [(1.9, 0.6), (1.9, bus)])
    # Update gate z_t.
    arrow(ax, (2.4, bus), (2.4, 3.5))
    box(ax, (2.4, 3.8), r"$\sigma$", color="gate")
    arrow(ax, (2.4, 4.1), (2.4, top - 0.28), "$z_t$", offset=(0.3, 0))
    arrow(ax, (2.9, 3.9), (6.09, 4.4))
    gate(ax, (6.4, 4.45), "$1-$", radius=0.32, fontsize=10)
    arrow(ax, (6.72, 4.45), (7.72, 4.45), "$1-z_t$", offset=(0, 0.3))
    # Reset gate r_t and the candidate n_t.
    arrow(ax, (4.0, bus), (4.0, 2.3))
    box(ax, (4.0, 2.6), r"$\sigma$", color="gate")
    arrow(ax, (4.5, 2.6), (5.72, 2.6), "$r_t$", offset=(0, 0.25))
    gate(ax, (6.0, 2.6), r"$\odot$")
    arrow(ax, (6.0, bus), (6.0, 2.32), "$h_{t-1}$", offset=(0.45, 0))
    arrow(ax, (6.28, 2.6), (7.4, 2.6), r"$r_t \odot h_{t-1}$", offset=(0.1, 0.6), fontsize=10)
    box(ax, (8.0, 2.6), r"$\tanh$", width=1.2, color="candidate")
    arrow(ax, (8.0, bus), (8.0, 2.3), "$x_t$", offset=(0.35, 0))
    arrow(ax, (8.0, 2.9), (8.0, 4.17), "$n_t$", offset=(0.3, 0))
    gate(ax, (8.0, 4.45), r"$\odot$")
    arrow(ax, (8.0, 4.73), (8.0, top - 0.28), r"$(1-z_t) \odot n_t$", offset=(1.05, 0))
    ax.set_title("GRU cell: $h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot n_t$\n"
                 r"$n_t = \tanh(x_t W_{xn} + (r_t \odot h_{t-1}) W_{hn} + b_n)$", fontsize=12)
    return fig


__all__ = ["COLORS", "gru_cell", "lstm_cell", "rnn_cell"]
