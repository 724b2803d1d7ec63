"""Chapter 3's widget: a kernel sliding over a small zero-padded input, one output value at a time.

:func:`sliding_window_state` computes everything the picture shows (the padded input,
the window of the chosen position, its value, the output size and the part of the
output filled so far); :func:`draw_sliding_window` draws it into a figure; and
:func:`sliding_window_demo` wires both to sliders with
:class:`cnnbook.teaching.widgets.InteractiveFigure`.

The window positions are numbered row by row, ``position = i * Q + j`` for output
``y[i, j]`` of an output ``(P, Q)``; a position past the last one shows the last one.
With a dilation ``d > 1`` the kernel's taps are ``d`` pixels apart: the window spans
``d * (k - 1) + 1`` pixels per axis, of which it reads ``k``. When that span is wider than
the padded input, no window fits; the figure and the caption say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from ...conv import conv2d
from ..plotting import show_grid
from ...sizes import conv_output_size
from ...spatial import insert_zeros2d, pad2d

#: The input the widget slides over: 6 x 6 small integers, so every sum can be checked by eye.
INPUT = np.array([
    [3, 1, 0, 2, 4, 1],
    [0, 2, 3, 1, 0, 2],
    [1, 4, 2, 0, 3, 1],
    [2, 0, 1, 3, 2, 4],
    [4, 1, 0, 2, 1, 0],
    [1, 3, 2, 4, 0, 2],
], dtype=float)

#: Kernels of every size are the top-left corner of this one (1x1, 2x2, 3x3 or 4x4).
KERNEL = np.array([
    [1, 0, -1, 0],
    [2, 1, 0, -1],
    [1, 0, 1, 2],
    [0, -1, 1, 1],
], dtype=float)

WINDOW_GID = "window"        # the matplotlib gid of the rectangle outlining the current window
IMAGE_GID = "input border"   # ... and of the dashed box around the real (unpadded) input
TAPS_GID = "taps"            # ... and of the dots on the pixels a dilated kernel reads


@dataclass(frozen=True)
class WindowState:
    """What the widget shows for one setting of its controls.

    ``padded`` ``(H + 2p, W + 2p)``; ``kernel`` ``(k, k)``; ``output`` ``(P, Q)``, all of it;
    ``shown`` ``(P, Q)``, the output with the positions after ``position`` set to NaN;
    ``index`` ``(i, j)`` of the current output value; ``window`` ``(top, left, height, width)``
    of the current window in padded coordinates (its span, ``d * (k - 1) + 1`` per axis);
    ``taps`` the ``k * k`` padded ``(row, column)`` pixels it reads, row by row; ``value`` the sum
    of those pixels times the kernel; ``uncovered`` the number of bottom rows (and right columns)
    of the padded input no window reaches.
    """

    kernel_size: int
    stride: int
    padding: int
    position: int
    padded: np.ndarray
    kernel: np.ndarray
    output: np.ndarray
    shown: np.ndarray
    index: tuple[int, int]
    window: tuple[int, int, int, int]
    value: float
    uncovered: int
    dilation: int = 1
    taps: tuple[tuple[int, int], ...] = ()

    @property
    def output_size(self) -> tuple[int, int]:
        return self.output.shape

    @property
    def positions(self) -> int:
        return self.output.size


def span(kernel_size: int, dilation: int) -> int:
    """How many pixels per axis a ``kernel_size`` kernel with taps ``dilation`` apart covers."""
    return dilation * (kernel_size - 1) + 1


def window_fits(kernel_size: int, padding: int, dilation: int = 1) -> bool:
    """Whether at least one window fits in the padded input."""
    return span(kernel_size, dilation) <= INPUT.shape[0] + 2 * padding


def sliding_window_state(kernel_size: int, stride: int, padding: int, position: int,
                         dilation: int = 1) -> WindowState:
    """Everything the widget shows for these controls; ``position`` is clipped to the last window.

    Raises ``ValueError`` (from :func:`cnnbook.conv_output_size`) when no window fits.
    """
    n = INPUT.shape[0]
    P = conv_output_size(n, kernel_size, stride, padding, dilation)   # square input, square kernel: Q == P
    extent = span(kernel_size, dilation)
    kernel = KERNEL[:kernel_size, :kernel_size].copy()
    padded = pad2d(INPUT, (padding, padding))
    spread = insert_zeros2d(kernel, (dilation, dilation))             # the dilated kernel, zeros between taps
    output = conv2d(INPUT[None, None], spread[None, None], stride=stride, padding=padding)[0, 0]
    position = int(np.clip(position, 0, P * P - 1))
    i, j = divmod(position, P)
    top, left = i * stride, j * stride
    taps = tuple((top + dilation * r, left + dilation * s) for r in range(kernel_size) for s in range(kernel_size))
    value = float(sum(padded[u, v] * kernel[r, s] for (u, v), (r, s) in zip(taps, np.ndindex(kernel.shape))))
    shown = output.copy().ravel()
    shown[position + 1 :] = np.nan
    uncovered = (n + 2 * padding) - ((P - 1) * stride + extent)
    return WindowState(kernel_size, stride, padding, position, padded, kernel, output, shown.reshape(P, P),
                       (i, j), (top, left, extent, extent), value, uncovered, dilation, taps)


def size_formula(n: int, kernel_size: int, stride: int, padding: int, dilation: int = 1) -> str:
    """The output-size formula with these numbers put in, e.g. ``⌊(6 + 2·1 − 3)/2⌋ + 1 = ⌊5/2⌋ + 1 = 3``.

    With ``dilation > 1`` the kernel's span ``d·(k − 1) + 1`` takes the kernel size's place,
    e.g. ``⌊(6 + 2·1 − (2·(3 − 1) + 1))/1⌋ + 1 = ⌊3/1⌋ + 1 = 4``.
    """
    top = n + 2 * padding - span(kernel_size, dilation)
    result = conv_output_size(n, kernel_size, stride, padding, dilation)
    extent = f"{kernel_size}" if dilation == 1 else f"({dilation}·({kernel_size} − 1) + 1)"
    return f"⌊({n} + 2·{padding} − {extent})/{stride}⌋ + 1 = ⌊{top}/{stride}⌋ + 1 = {result}"


def draw_sliding_window(figure, kernel_size: int, stride: int, padding: int, position: int,
                        dilation: int = 1) -> str:
    """Draw the padded input with the window outlined, the kernel, and the output filled up to ``position``.

    With ``dilation > 1`` a dot marks each pixel the window reads. Returns the caption: the
    output size worked out, and the current window's value (or why no window fits).
    """
    n = INPUT.shape[0]
    extent = span(kernel_size, dilation)
    fits = window_fits(kernel_size, padding, dilation)
    state = sliding_window_state(kernel_size, stride, padding, position, dilation) if fits else None
    P, Q = state.output_size if fits else (0, 0)
    grid = figure.add_gridspec(1, 3, width_ratios=[n + 2 * padding, max(kernel_size, 2.5), max(Q, 2.5)], wspace=0.3)
    ax_in, ax_k, ax_out = (figure.add_subplot(grid[0, c]) for c in range(3))

    title = f"input {n}×{n}" + (f", zero-padded to {n + 2 * padding}×{n + 2 * padding}" if padding else "")
    show_grid(ax_in, pad2d(INPUT, (padding, padding)), title=title, highlight=state.window if fits else None)
    if fits:
        ax_in.patches[-1].set(gid=WINDOW_GID, zorder=4)     # above the white cell borders
        if dilation > 1:
            rows, cols = zip(*state.taps)
            ax_in.scatter(cols, rows, s=150, facecolors="none", edgecolors="crimson", linewidths=2, zorder=5,
                          gid=TAPS_GID)
    if padding:
        border = Rectangle((padding - 0.5, padding - 0.5), n, n, fill=False, edgecolor="black",
                           linestyle="--", linewidth=1.8, gid=IMAGE_GID, zorder=3)
        ax_in.add_patch(border)
    ax_in.set_xlabel("column of the padded input")
    ax_in.set_ylabel("row of the padded input")

    taps = "" if dilation == 1 else f", taps {dilation} apart"
    show_grid(ax_k, KERNEL[:kernel_size, :kernel_size], title=f"kernel {kernel_size}×{kernel_size}{taps}",
              cmap="Oranges")
    ax_k.set_xlabel("kernel column s")
    ax_k.set_ylabel("kernel row r")

    ax_out.set_xlabel("output column j")
    ax_out.set_ylabel("output row i")
    figure.subplots_adjust(left=0.06, right=0.99, bottom=0.14, top=0.9)
    if not fits:
        ax_out.set_title("no output", fontsize=10)
        ax_out.set_xticks([])
        ax_out.set_yticks([])
        ax_out.text(0.5, 0.5, "no window\nfits", ha="center", va="center", transform=ax_out.transAxes)
        return (f"The kernel spans {dilation}·({kernel_size} − 1) + 1 = {extent} pixels per axis, more than the "
                f"{n + 2 * padding} of the padded input: no window fits, so there is no output. Lower the kernel "
                f"size or the dilation, or add padding.")

    i, j = state.index
    show_grid(ax_out, state.shown, title=f"output {P}×{Q} (stride {stride})", cmap="Greens", highlight=(i, j, 1, 1))
    ax_out.patches[-1].set_zorder(4)
    ax_out.set_facecolor("0.92")   # the positions not reached yet show as grey cells
    for text in ax_out.texts:
        if text.get_text() == "nan":
            text.set_text("")

    top, left, height, width = state.window
    rows = f"rows {top}–{top + height - 1}" if height > 1 else f"row {top}"
    cols = f"columns {left}–{left + width - 1}" if width > 1 else f"column {left}"
    reads = "sum of window × kernel" if dilation == 1 else \
        f"it reads only the {kernel_size * kernel_size} circled pixels, {dilation} apart; sum of those pixels × kernel"
    caption = (
        f"Output size per axis: {size_formula(n, kernel_size, stride, padding, dilation)}, so the output is {P}×{Q}. "
        f"Window {state.position + 1} of {state.positions} gives y[{i}, {j}]: padded {rows}, "
        f"{cols}; {reads} = {state.value:g}."
    )
    if state.uncovered:
        caption += (f" The last {state.uncovered} row(s) and column(s) of the padded input are in no window: "
                    f"the next window would hang over the edge, which is what the floor throws away.")
    return caption


def sliding_window_demo(kernel_size: int = 3, stride: int = 1, padding: int = 0, position: int = 5,
                        dilation: int = 1):
    """The chapter's widget: sliders for kernel size, stride, padding, dilation and window position.

    The position slider's range follows the output size whenever another slider moves.
    """
    from ..widgets import InteractiveFigure, slider

    def last_position(size, s, p, d):
        if not window_fits(size, p, d):
            return 0
        return conv_output_size(INPUT.shape[0], size, s, p, d) ** 2 - 1

    controls = {
        "kernel_size": slider(kernel_size, 1, KERNEL.shape[0], "kernel size"),
        "stride": slider(stride, 1, 3, "stride"),
        "padding": slider(padding, 0, 2, "padding"),
        "dilation": slider(dilation, 1, 3, "dilation"),
        "position": slider(position, 0, last_position(kernel_size, stride, padding, dilation), "window"),
    }

    def follow_output_size(change) -> None:
        values = [controls[name].value for name in ("kernel_size", "stride", "padding", "dilation")]
        controls["position"].max = last_position(*values)

    for name in ("kernel_size", "stride", "padding", "dilation"):
        controls[name].observe(follow_output_size, names="value")
    return InteractiveFigure(draw_sliding_window, controls, figsize=(10.5, 4.0))
