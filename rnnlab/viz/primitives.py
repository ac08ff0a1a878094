"""Drawing primitives for the course's diagrams: a blank canvas, boxes, gate circles, labelled arrows.

Everything is drawn in data coordinates on an axes with equal aspect and no frame, so a diagram is a list
of calls such as ``box(ax, (2, 1), "$\\tanh$")`` and ``arrow(ax, (0, 1), (1.5, 1), "$h_{t-1}$")``.
``labels(fig)`` lists every text a figure shows (the tests read it; students may too).
"""
from __future__ import annotations

import matplotlib.patches as mpatches
import matplotlib.text

# One colour per role, the same in every diagram.
COLORS = {
    "input": "#cfe2f3",  # x_t
    "state": "#fce5cd",  # h_t
    "output": "#d9ead3",  # y_t, losses
    "gate": "#fff2cc",  # sigmoid gates
    "candidate": "#ead1dc",  # tanh blocks
    "op": "#ffffff",  # element-wise operations
    "highway": "#e69138",  # the LSTM's cell-state path
    "backward": "#cc0000",  # BPTT's gradients
    "line": "#222222",
}


def canvas(width: float, height: float, *, scale: float = 0.75, ax=None):
    """A figure (or the given axes) showing the box [0, width] x [0, height], equal aspect, no frame.

    Returns ``(fig, ax)``. With ``ax`` given it draws there and returns that axes' figure. A new figure is a
    pyplot figure, so that a notebook shows it with ``plt.show()`` like any other.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive; got width={width}, height={height}")
    if ax is None:
        import matplotlib.pyplot as plt  # here, so that importing rnnlab never picks a backend

        ax = plt.figure(figsize=(width * scale, height * scale)).add_subplot()
    fig = ax.figure
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def box(ax, center, label, *, width=1.0, height=0.6, color="state", fontsize=13, rounded=True):
    """A filled box centred at ``center`` with ``label`` inside; returns the patch."""
    x, y = center
    style = "round,pad=0.02,rounding_size=0.12" if rounded else "square,pad=0"
    patch = mpatches.FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=style,
                                    fc=COLORS.get(color, color), ec=COLORS["line"], lw=1.2, zorder=3)
    ax.add_patch(patch)
    ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, zorder=4)
    return patch


def gate(ax, center, label, *, radius=0.28, color="op", fontsize=13):
    """A circle for an element-wise operation (``$\\odot$``, ``$+$``, ``$1-$``, ``$\\tanh$``); returns it."""
    patch = mpatches.Circle(center, radius, fc=COLORS.get(color, color), ec=COLORS["line"], lw=1.2, zorder=3)
    ax.add_patch(patch)
    ax.text(*center, label, ha="center", va="center", fontsize=fontsize, zorder=4)
    return patch


def arrow(ax, start, end, label=None, *, color="line", lw=1.4, style="-|>", dashed=False, rad=0.0,
          label_at=0.5, offset=(0.0, 0.15), fontsize=12, shrink=0.0):
    """An arrow from ``start`` to ``end``, optionally curved (``rad``) and labelled near ``label_at``.

    ``label_at`` is the fraction of the way from start to end where the label sits, moved by ``offset``.
    Returns the arrow patch.
    """
    colour = COLORS.get(color, color)
    patch = mpatches.FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=14, color=colour, lw=lw,
                                     linestyle="--" if dashed else "-", connectionstyle=f"arc3,rad={rad}",
                                     shrinkA=shrink, shrinkB=shrink, zorder=2)
    ax.add_patch(patch)
    if label:
        lx = start[0] + label_at * (end[0] - start[0]) + offset[0]
        ly = start[1] + label_at * (end[1] - start[1]) + offset[1]
        ax.text(lx, ly, label, ha="center", va="center", fontsize=fontsize, color=colour, zorder=5)
    return patch


def line(ax, points, *, color="line", lw=1.4, dashed=False, zorder=1):
    """A polyline through ``points`` (no arrow head): the wires that arrows continue."""
    xs, ys = zip(*points)
    ax.plot(xs, ys, color=COLORS.get(color, color), lw=lw, ls="--" if dashed else "-", zorder=zorder,
            solid_capstyle="round")


def note(ax, xy, text, *, fontsize=11, color="line", **kwargs):
    """Free text at ``xy`` (centred unless ``ha``/``va`` say otherwise)."""
    kwargs.setdefault("ha", "center")
    kwargs.setdefault("va", "center")
    return ax.text(*xy, text, fontsize=fontsize, color=COLORS.get(color, color), **kwargs)


def labels(fig) -> list[str]:
    """Every non-empty text the figure shows (titles, box labels, arrow labels), in drawing order."""
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text() and t.get_visible()]
