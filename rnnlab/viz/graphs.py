"""Recurrent networks laid out in time: the unrolled graph with BPTT's backward arrows, stacked and bidirectional.

Each function returns a matplotlib Figure and saves nothing; the labels are those of notebooks 01 and 04.
"""
from __future__ import annotations

from .primitives import arrow, box, canvas, note

STEP = 2.2  # horizontal distance between time steps
LEFT = 1.7  # x of the first time step's column


def _check_steps(T, name="T"):
    if not isinstance(T, int) or T < 2:
        raise ValueError(f"{name} must be an integer >= 2; got {T!r}")


def unrolled_bptt(T: int = 4, *, many_to_many: bool = True, bptt: bool = True, ax=None):
    """The RNN unrolled over T steps: x_t -> h_t -> output, the same W_x and W_h at every step.

    With ``bptt`` the outputs are the losses l_t and red dashed arrows show the gradients flowing back:
    dl_t/dh_t into each state and dh_t/dh_{t-1} from state to state. ``many_to_many=False`` attaches an
    output to the last step only.
    """
    _check_steps(T)
    left = LEFT + 0.6  # room for W_h on the arrow out of h_0
    fig, ax = canvas(left + STEP * T - 0.2, 5.2, ax=ax)
    ys = {"x": 0.6, "h": 2.5, "out": 4.4}
    out = r"\ell" if bptt else "y"
    note(ax, (0.35, ys["h"]), "$h_0$", fontsize=13)
    for t in range(1, T + 1):
        xc = left + STEP * (t - 1)
        box(ax, (xc, ys["x"]), f"$x_{{{t}}}$", color="input")
        box(ax, (xc, ys["h"]), f"$h_{{{t}}}$", color="state")
        arrow(ax, (xc, ys["x"] + 0.3), (xc, ys["h"] - 0.3), "$W_x$", offset=(-0.35, 0), fontsize=10)
        start = 0.7 if t == 1 else xc - STEP + 0.5
        arrow(ax, (start, ys["h"]), (xc - 0.5, ys["h"]), "$W_h$", offset=(0, 0.22), fontsize=10)
        if many_to_many or t == T:
            box(ax, (xc, ys["out"]), f"${out}_{{{t}}}$", color="output")
            arrow(ax, (xc, ys["h"] + 0.3), (xc, ys["out"] - 0.3))
            if bptt:
                arrow(ax, (xc + 0.3, ys["out"] - 0.3), (xc + 0.3, ys["h"] + 0.3),
                      rf"$\partial \ell_{{{t}}} / \partial h_{{{t}}}$", color="backward", dashed=True,
                      offset=(0.62, 0), fontsize=9)
        if bptt and t > 1:
            arrow(ax, (xc - 0.5, ys["h"] - 0.2), (xc - STEP + 0.5, ys["h"] - 0.2),
                  rf"$\partial h_{{{t}}} / \partial h_{{{t - 1}}}$", color="backward", dashed=True, rad=-0.35,
                  offset=(0, -0.68), fontsize=9)
    if bptt:
        title = ("BPTT: forward in black, gradients in red dashes, $L = \\sum_t \\ell_t$\n"
                 r"each step back multiplies by $\partial h_j / \partial h_{j-1} = "
                 r"\mathrm{diag}(1 - h_j^2)\, W_h^\top$")
    else:
        title = "many-to-many" if many_to_many else "many-to-one"
    ax.set_title(title, fontsize=11)
    return fig


def stacked(L: int = 3, T: int = 4, *, ax=None):
    """A deep RNN of L layers over T steps: layer l reads layer l - 1 at the same step, and its own past."""
    _check_steps(T)
    if not isinstance(L, int) or L < 1:
        raise ValueError(f"L must be an integer >= 1; got {L!r}")
    row = 1.6
    fig, ax = canvas(LEFT + STEP * T - 0.2, 0.6 + row * (L + 1) + 0.6, ax=ax)
    y_out = 0.6 + row * (L + 1)
    for t in range(1, T + 1):
        xc = LEFT + STEP * (t - 1)
        box(ax, (xc, 0.6), f"$x_{{{t}}}$", color="input")
        for layer in range(1, L + 1):
            y = 0.6 + row * layer
            box(ax, (xc, y), f"$h^{{({layer})}}_{{{t}}}$", color="state", width=1.1)
            first = t == 1
            arrow(ax, (xc, y - row + 0.3), (xc, y - 0.3), f"$W_x^{{({layer})}}$" if first else None,
                  offset=(-0.45, 0), fontsize=10)
            if first:
                note(ax, (0.35, y), f"$h^{{({layer})}}_0$", fontsize=12)
            start = 0.75 if first else xc - STEP + 0.55
            arrow(ax, (start, y), (xc - 0.55, y), f"$W_h^{{({layer})}}$" if t == 2 else None,
                  offset=(0, 0.25), fontsize=10)
        box(ax, (xc, y_out), f"$y_{{{t}}}$", color="output")
        arrow(ax, (xc, y_out - row + 0.3), (xc, y_out - 0.3), "$W_y$" if t == 1 else None,
              offset=(-0.35, 0), fontsize=10)
    ax.set_title(r"stacked RNN: $h^{(l)}_t = f(h^{(l-1)}_t W_x^{(l)} + h^{(l)}_{t-1} W_h^{(l)} + b^{(l)})$, "
                 r"$h^{(0)}_t = x_t$", fontsize=11)
    return fig


def bidirectional(T: int = 4, *, ax=None):
    """A bidirectional RNN: a forward and a backward direction with their own weights, joined at the output."""
    _check_steps(T)
    fig, ax = canvas(LEFT + STEP * T + 0.3, 6.2, ax=ax)
    y_x, y_fw, y_bw, y_out = 0.6, 2.3, 3.9, 5.5
    fw, bw = r"\overrightarrow{h}", r"\overleftarrow{h}"
    note(ax, (0.35, y_fw), f"${fw}_0$", fontsize=12)
    note(ax, (LEFT + STEP * T - 0.2, y_bw), f"${bw}_{{{T + 1}}}$", fontsize=12)
    for t in range(1, T + 1):
        xc = LEFT + STEP * (t - 1)
        first, last = t == 1, t == T
        box(ax, (xc, y_x), f"$x_{{{t}}}$", color="input", width=1.3)
        box(ax, (xc - 0.35, y_fw), f"${fw}_{{{t}}}$", color="state", width=0.8)
        box(ax, (xc + 0.35, y_bw), f"${bw}_{{{t}}}$", color="state", width=0.8)
        box(ax, (xc, y_out), f"$y_{{{t}}}$", color="output", width=1.3)
        arrow(ax, (xc - 0.35, y_x + 0.3), (xc - 0.35, y_fw - 0.3), "$W_x$" if first else None,
              offset=(-0.35, 0), fontsize=10)
        arrow(ax, (xc + 0.35, y_x + 0.3), (xc + 0.35, y_bw - 0.3), "$W'_x$" if last else None,
              offset=(0.4, -0.5), fontsize=10)
        arrow(ax, (xc - 0.35, y_fw + 0.3), (xc - 0.35, y_out - 0.3))
        arrow(ax, (xc + 0.35, y_bw + 0.3), (xc + 0.35, y_out - 0.3))
        start = 0.7 if first else xc - STEP + 0.05
        arrow(ax, (start, y_fw), (xc - 0.75, y_fw), "$W_h$" if t == 2 else None, offset=(0, 0.22), fontsize=10)
        end = xc + STEP - 0.05 if not last else LEFT + STEP * T - 0.55
        arrow(ax, (end, y_bw), (xc + 0.75, y_bw), "$W'_h$" if t == T - 1 else None, offset=(0, 0.22),
              fontsize=10)
    ax.set_title(rf"bidirectional RNN: $Y[t] = [{fw}_t, {bw}_t]$, $y_t = g([{fw}_t, {bw}_t]\, W_y + b_y)$"
                 "\nthe forward direction reads the past, the backward direction the future", fontsize=11)
    return fig


__all__ = ["bidirectional", "stacked", "unrolled_bptt"]
