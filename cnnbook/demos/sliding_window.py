"""Chapter 3's widget: a kernel sliding over a small zero-padded input, one output value at a time.

:func:`sliding_window_state` computes everything the picture shows (the padded input,
the window of the chosen position, its value, the output size and the part of the
output filled so far); :func:`draw_sliding_window` draws it into a figure; and
:func:`sliding_window_demo` wires both to sliders with
:class:`cnnbook.widgets.InteractiveFigure`.

The window positions are numbered row by row, ``position = i * Q + j`` for output
``y[i, j]`` of an output ``(P, Q)``; a position past the last one shows the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from ..conv import conv2d
from ..plotting import show_grid
from ..sizes import conv_output_size
from ..spatial import pad2d

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


@dataclass(frozen=True)
class WindowState:
    """What the widget shows for one setting of its controls.

    ``padded`` ``(H + 2p, W + 2p)``; ``kernel`` ``(k, k)``; ``output`` ``(P, Q)``, all of it;
    ``shown`` ``(P, Q)``, the output with the positions after ``position`` set to NaN;
    ``index`` ``(i, j)`` of the current output value; ``window`` ``(top, left, height, width)``
    of the current window in padded coordinates; ``value`` its dot product with the kernel;
    ``uncovered`` the number of bottom rows (and right columns) of the padded input no window reaches.
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

    @property
    def output_size(self) -> tuple[int, int]:
        return self.output.shape

    @property
    def positions(self) -> int:
        return self.output.size


def sliding_window_state(kernel_size: int, stride: int, padding: int, position: int) -> WindowState:
    """Everything the widget shows for these controls; ``position`` is clipped to the last window."""
    n = INPUT.shape[0]
    P = conv_output_size(n, kernel_size, stride, padding)          # square input, square kernel: Q == P
    kernel = KERNEL[:kernel_size, :kernel_size].copy()
    padded = pad2d(INPUT, (padding, padding))
    output = conv2d(INPUT[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
    position = int(np.clip(position, 0, P * P - 1))
    i, j = divmod(position, P)
    top, left = i * stride, j * stride
    window = padded[top : top + kernel_size, left : left + kernel_size]
    value = float(np.sum(window * kernel))
    shown = output.copy().ravel()
    shown[position + 1 :] = np.nan
    uncovered = (n + 2 * padding) - ((P - 1) * stride + kernel_size)
    return WindowState(kernel_size, stride, padding, position, padded, kernel, output, shown.reshape(P, P),
                       (i, j), (top, left, kernel_size, kernel_size), value, uncovered)


def size_formula(n: int, kernel_size: int, stride: int, padding: int) -> str:
    """The output-size formula with these numbers put in, e.g. ``⌊(6 + 2·1 − 3)/2⌋ + 1 = ⌊5/2⌋ + 1 = 3``."""
    top = n + 2 * padding - kernel_size
    result = conv_output_size(n, kernel_size, stride, padding)
    return f"⌊({n} + 2·{padding} − {kernel_size})/{stride}⌋ + 1 = ⌊{top}/{stride}⌋ + 1 = {result}"


def draw_sliding_window(figure, kernel_size: int, stride: int, padding: int, position: int) -> str:
    """Draw the padded input with the window outlined, the kernel, and the output filled up to ``position``.

    Returns the caption: the output size worked out, and the current window's value.
    """
    state = sliding_window_state(kernel_size, stride, padding, position)
    n, (P, Q) = INPUT.shape[0], state.output_size
    grid = figure.add_gridspec(1, 3, width_ratios=[n + 2 * padding, max(kernel_size, 2.5), max(Q, 2.5)], wspace=0.3)
    ax_in, ax_k, ax_out = (figure.add_subplot(grid[0, c]) for c in range(3))

    top, left, height, width = state.window
    title = f"input {n}×{n}" + (f", zero-padded to {n + 2 * padding}×{n + 2 * padding}" if padding else "")
    show_grid(ax_in, state.padded, title=title, highlight=state.window)
    ax_in.patches[-1].set(gid=WINDOW_GID, zorder=4)     # above the white cell borders
    if padding:
        border = Rectangle((padding - 0.5, padding - 0.5), n, n, fill=False, edgecolor="black",
                           linestyle="--", linewidth=1.8, gid=IMAGE_GID, zorder=3)
        ax_in.add_patch(border)
    ax_in.set_xlabel("column of the padded input")
    ax_in.set_ylabel("row of the padded input")

    show_grid(ax_k, state.kernel, title=f"kernel {kernel_size}×{kernel_size}", cmap="Oranges")
    ax_k.set_xlabel("kernel column s")
    ax_k.set_ylabel("kernel row r")

    i, j = state.index
    show_grid(ax_out, state.shown, title=f"output {P}×{Q} (stride {stride})", cmap="Greens", highlight=(i, j, 1, 1))
    ax_out.patches[-1].set_zorder(4)
    ax_out.set_facecolor("0.92")   # the positions not reached yet show as grey cells
    for text in ax_out.texts:
        if text.get_text() == "nan":
            text.set_text("")
    ax_out.set_xlabel("output column j")
    ax_out.set_ylabel("output row i")
    figure.subplots_adjust(left=0.06, right=0.99, bottom=0.14, top=0.9)

    rows = f"rows {top}–{top + height - 1}" if height > 1 else f"row {top}"
    cols = f"columns {left}–{left + width - 1}" if width > 1 else f"column {left}"
    caption = (
        f"Output size per axis: {size_formula(n, kernel_size, stride, padding)}, so the output is {P}×{Q}. "
        f"Window {state.position + 1} of {state.positions} gives y[{i}, {j}]: padded {rows}, "
        f"{cols}; sum of window × kernel = {state.value:g}."
    )
    if state.uncovered:
        caption += (f" The last {state.uncovered} row(s) and column(s) of the padded input are in no window: "
                    f"the next window would hang over the edge, which is what the floor throws away.")
    return caption


def sliding_window_demo(kernel_size: int = 3, stride: int = 1, padding: int = 0, position: int = 5):
    """The chapter's widget: sliders for kernel size, stride, padding and window position.

    The position slider's range follows the output size whenever another slider moves.
    """
    from ..widgets import InteractiveFigure, slider

    def last_position(size, s, p):
        return conv_output_size(INPUT.shape[0], size, s, p) ** 2 - 1

    controls = {
        "kernel_size": slider(kernel_size, 1, KERNEL.shape[0], "kernel size"),
        "stride": slider(stride, 1, 3, "stride"),
        "padding": slider(padding, 0, 2, "padding"),
        "position": slider(position, 0, last_position(kernel_size, stride, padding), "window"),
    }

    def follow_output_size(change) -> None:
        values = {name: controls[name].value for name in ("kernel_size", "stride", "padding")}
        controls["position"].max = last_position(values["kernel_size"], values["stride"], values["padding"])

    for name in ("kernel_size", "stride", "padding"):
        controls[name].observe(follow_output_size, names="value")
    return InteractiveFigure(draw_sliding_window, controls, figsize=(10.5, 4.0))
