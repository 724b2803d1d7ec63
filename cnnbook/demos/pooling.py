"""Chapter 5's widget: max or mean pooling of a small grid, forward and backward.

:func:`pooling_state` computes everything the picture shows: the pooled output, and the
gradient that reaches the input when every output receives ``dL/dy = 1`` (so the number in
an input cell says how much gradient arrived there: for max pooling, how many windows it
won; for mean pooling, how many windows cover it divided by the window size).
:func:`draw_pooling` draws the input, the output and that gradient; :func:`pooling_demo`
wires it to a drop-down (max or mean) and two sliders (window size, stride) with
:class:`cnnbook.widgets.InteractiveFigure`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from ..plotting import show_grid
from ..pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from ..sizes import conv_output_size

#: The grid the widget pools: the numbers 1 to 36, each once, so no window ever holds a tie.
INPUT = np.array([
    [18, 10, 3, 7, 34, 28],
    [13, 27, 8, 20, 35, 32],
    [12, 23, 31, 36, 24, 25],
    [4, 26, 9, 30, 14, 29],
    [2, 17, 33, 21, 22, 15],
    [19, 5, 6, 16, 11, 1],
], dtype=float)

MODES = ("max", "mean")
WINNER_GID = "winner"    # matplotlib gid of the outlines drawn around each max-pooling winner
WINDOW_GID = "window"    # ... and of the outline of the first window


@dataclass(frozen=True)
class PoolingState:
    """What the widget shows for one setting of its controls.

    ``x`` ``(H, W)`` the input; ``y`` ``(P, Q)`` the pooled output; ``dx`` ``(H, W)`` the
    gradient of ``L = sum(y)`` with respect to ``x`` (that is, ``dy`` is all ones);
    ``coverage`` ``(H, W)`` how many windows contain each input cell.
    """

    mode: str
    kernel_size: int
    stride: int
    x: np.ndarray
    y: np.ndarray
    dx: np.ndarray
    coverage: np.ndarray

    @property
    def reached(self) -> int:
        """How many input cells receive a nonzero gradient."""
        return int(np.count_nonzero(self.dx))

    @property
    def uncovered(self) -> int:
        """How many input cells lie in no window at all (possible when stride > window)."""
        return int(np.count_nonzero(self.coverage == 0))

    @property
    def winners(self) -> list[tuple[int, int]]:
        """Max pooling: the cells that won at least one window, row by row (empty for mean)."""
        if self.mode != "max":
            return []
        return [(int(r), int(c)) for r, c in zip(*np.nonzero(self.dx))]


def pooling_state(mode: str, kernel_size: int, stride: int, x=INPUT) -> PoolingState:
    """Pool ``x`` ``(H, W)`` with ``mode`` ("max" or "mean") and send ``dy = 1`` back through it."""
    if mode not in MODES:
        raise ValueError(f"pooling_state: mode must be one of {MODES}; got {mode!r}")
    x4 = np.asarray(x, dtype=float)[None, None]           # (1, 1, H, W)
    forward, backward = (max_pool2d, max_pool2d_backward) if mode == "max" else (avg_pool2d, avg_pool2d_backward)
    y = forward(x4, kernel_size, stride)
    dx = backward(np.ones_like(y), x4, kernel_size, stride)
    # mean pooling gives each covered cell 1/k^2 per window, so k^2 * dx counts the windows
    coverage = np.rint(avg_pool2d_backward(np.ones_like(y), x4, kernel_size, stride) * kernel_size**2)
    return PoolingState(mode, kernel_size, stride, x4[0, 0], y[0, 0], dx[0, 0], coverage[0, 0].astype(int))


def draw_pooling(figure, mode: str, kernel_size: int, stride: int) -> str:
    """Draw the input (first window outlined, max winners marked), the output, and ``dx`` for ``dy = 1``.

    Returns the caption: the output size worked out, and where the gradient went.
    """
    state = pooling_state(mode, kernel_size, stride)
    H, W = state.x.shape
    P, Q = state.y.shape
    k, s = kernel_size, stride
    ax_in, ax_out, ax_dx = figure.subplots(1, 3, gridspec_kw={"width_ratios": [W, max(Q, 2.5), W], "wspace": 0.35})

    show_grid(ax_in, state.x, title=f"input x ({H}×{W}), first window", highlight=(0, 0, k, k))
    ax_in.patches[-1].set(gid=WINDOW_GID, zorder=4)
    for r, c in state.winners:
        ax_in.add_patch(Rectangle((c - 0.42, r - 0.42), 0.84, 0.84, fill=False, edgecolor="orange",
                                  linewidth=2, gid=WINNER_GID, zorder=3))
    ax_in.set_xlabel("column")
    ax_in.set_ylabel("row")

    name = "max" if mode == "max" else "mean"
    show_grid(ax_out, state.y, title=f"{name} pool y ({P}×{Q})", cmap="Greens", fmt="{:.3g}",
              highlight=(0, 0, 1, 1))
    ax_out.patches[-1].set_zorder(4)      # above the white cell borders
    ax_out.set_xlabel("output column j")
    ax_out.set_ylabel("output row i")

    show_grid(ax_dx, state.dx, title="dx when dy = 1 everywhere", cmap="Purples", fmt="{:.2g}",
              highlight=(0, 0, k, k))
    ax_dx.patches[-1].set_zorder(4)
    for text in ax_dx.texts:               # grey out the cells no gradient reached
        if text.get_text() == "0":
            text.set_color("0.6")
    ax_dx.set_xlabel("column")
    ax_dx.set_ylabel("row")
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.14, top=0.9)

    size = f"⌊({H} − {k})/{s}⌋ + 1 = {conv_output_size(H, k, s)}"
    caption = f"{name} pooling, {k}×{k} window, stride {s}: {H}×{W} → {P}×{Q}, since {size}. "
    total = state.dx.sum()
    if mode == "max":
        caption += (f"Each of the {P * Q} outputs sends its gradient 1 to its window's maximum (orange): "
                    f"{state.reached} of the {H * W} inputs receive gradient, in total {total:g}.")
        if state.reached < P * Q:
            caption += " Some inputs won several overlapping windows, and their gradients add up."
    else:
        caption += (f"Each of the {P * Q} outputs spreads its gradient 1 evenly, 1/{k * k} to each cell of its window: "
                    f"{state.reached} of the {H * W} inputs receive gradient, in total {total:g}.")
        if state.coverage.max() > 1:
            caption += f" A cell covered by m windows gets m/{k * k}."
    if state.uncovered:
        caption += f" {state.uncovered} input(s) lie in no window (stride > window) and get no gradient at all."
    return caption


def pooling_demo(mode: str = "max", kernel_size: int = 2, stride: int = 2):
    """The chapter's widget: max or mean, window size 1 to 4, stride 1 to 3."""
    from ..widgets import InteractiveFigure, choice, slider

    controls = {
        "mode": choice(list(MODES), mode, "pooling"),
        "kernel_size": slider(kernel_size, 1, 4, "window"),
        "stride": slider(stride, 1, 3, "stride"),
    }
    return InteractiveFigure(draw_pooling, controls, figsize=(10.5, 3.9))
