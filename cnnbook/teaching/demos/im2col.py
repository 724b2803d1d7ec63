"""Chapter 3: the im2col trick, a convolution as one matrix product, in plain NumPy, with its picture.

Every window of one image, ``C*R*S`` numbers, is copied into one column of a matrix:

``col[(c*R + r)*S + s, i*Q + j] = xpad[c, i*sh + r, j*sw + s]``, ``col`` ``(C*R*S, P*Q)``.

Then ``w.reshape(K, C*R*S) @ col`` is ``(K, P*Q)``: every filter (a row) meets every window
(a column) in one matrix product, and reshaping gives the image's output ``(K, P, Q)``.
The row order ``(c, r, s)`` is the order in which ``w[k].ravel()`` lists a filter's
weights, which is why the filter needs no reordering. This is also the layout of
:func:`cnnbook._conv_kernels.im2col`, whose products :func:`cnnbook.conv2d` hands to BLAS.

* :func:`im2col` builds ``col`` for one image ``(C, H, W)``, one column per window;
* :func:`conv2d_im2col` is a whole convolutional layer as one product per image;
* :func:`draw_im2col` and :func:`im2col_demo` draw a small example, window by window.
"""

from __future__ import annotations

import numpy as np

from ..._validation import as_float_array, as_input_and_filters, as_pair, require_ndim, require_shape
from ...sizes import conv_output_size
from ...spatial import pad2d


def im2col(x, kernel_size, stride=1, padding=0) -> np.ndarray:
    """Copy every ``(C, R, S)`` window of one image ``x`` ``(C, H, W)`` into a column.

    ``kernel_size``, ``stride`` and ``padding`` are an int or an ``(h, w)`` pair. Returns
    ``col`` ``(C*R*S, P*Q)`` with ``col[(c*R + r)*S + s, i*Q + j] = xpad[c, i*sh + r, j*sw + s]``,
    ``xpad`` being ``x`` zero-padded; float32 stays float32, ints become float64.
    """
    func = "im2col"
    x = as_float_array(x, "x", func)
    require_ndim(x, 3, "x", func, "(C, H, W), one image")
    R, S = as_pair(kernel_size, "kernel_size", func, minimum=1)
    sh, sw = as_pair(stride, "stride", func, minimum=1)
    ph, pw = as_pair(padding, "padding", func, minimum=0)
    C, H, W = x.shape
    P, Q = conv_output_size(H, R, sh, ph), conv_output_size(W, S, sw, pw)
    xpad = pad2d(x, (ph, pw))
    col = np.empty((C * R * S, P * Q), dtype=x.dtype)
    for i in range(P):
        for j in range(Q):
            window = xpad[:, i * sh : i * sh + R, j * sw : j * sw + S]      # (C, R, S)
            col[:, i * Q + j] = window.ravel()                              # in the order (c, r, s)
    return col


def conv2d_im2col(x, w, b=None, stride=1, padding=0) -> np.ndarray:
    """A convolutional layer as one matrix product per image: ``w.reshape(K, C*R*S) @ im2col(x[n])``.

    ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``, ``b`` ``(K,)`` or ``None``; ``stride`` and
    ``padding`` an int or an ``(h, w)`` pair. Returns ``y`` ``(N, K, P, Q)``, the numbers of
    :func:`cnnbook.conv2d`.
    """
    func = "conv2d_im2col"
    x, w = as_input_and_filters(x, w, func)
    K, C, R, S = w.shape
    sh, sw = as_pair(stride, "stride", func, minimum=1)
    ph, pw = as_pair(padding, "padding", func, minimum=0)
    P, Q = conv_output_size(x.shape[2], R, sh, ph), conv_output_size(x.shape[3], S, sw, pw)
    filters = w.reshape(K, C * R * S)                                        # one filter per row
    y = np.stack([(filters @ im2col(image, (R, S), (sh, sw), (ph, pw))).reshape(K, P, Q) for image in x]) \
        if len(x) else np.zeros((0, K, P, Q), dtype=np.result_type(x, w))
    if b is not None:
        b = as_float_array(b, "b", func)
        require_shape(b, (K,), "b", func, f"one bias per filter of w {w.shape}")
        y = y + b[None, :, None, None]
    return y


# --- the picture -------------------------------------------------------------------------------------

#: The figure's example: one image with C = 2 channels of 3 x 3 (channel 0 holds 1..9 in a scrambled order,
#: channel 1 the same plus 10, so every number in col says where it came from), one 2 x 2 kernel per channel,
#: stride 1, no padding: P = Q = 2.
_SCRAMBLED = np.array([[1, 5, 2], [7, 3, 9], [4, 8, 6]], dtype=float)
EXAMPLE_X = np.stack([_SCRAMBLED, _SCRAMBLED + 10])
EXAMPLE_W = np.array([[[[1, 0], [0, -1]], [[0, 1], [-1, 0]]]], dtype=float)     # (K=1, C=2, R=2, S=2)
COLUMN_GID = "im2col column"     # the matplotlib gid of the outline of the current column


def draw_im2col(figure, position: int = 0) -> str:
    """Draw the example: the two channels with window ``position`` outlined, ``col`` with its column,
    the filter as one row, and the output with the value that row times that column gives.

    ``position = i*Q + j`` (clipped to the last window). Returns the caption.
    """
    from ..plotting import show_grid

    C, H, W = EXAMPLE_X.shape
    K, _, R, S = EXAMPLE_W.shape
    P, Q = conv_output_size(H, R), conv_output_size(W, S)
    position = int(np.clip(position, 0, P * Q - 1))
    i, j = divmod(position, Q)
    col = im2col(EXAMPLE_X, (R, S))
    row = EXAMPLE_W.reshape(K, C * R * S)
    y = (row @ col).reshape(P, Q)

    grid = figure.add_gridspec(2, 4, width_ratios=[3, 3, Q * 1.3 + 1, 2.6], height_ratios=[C * R * S, 3],
                               wspace=0.45, hspace=0.5)
    for c in range(C):
        ax = figure.add_subplot(grid[0, c])
        show_grid(ax, EXAMPLE_X[c], title=f"x, channel c = {c}", highlight=(i, j, R, S))
        ax.patches[-1].set_zorder(4)
        ax.set_xlabel("column v")
        ax.set_ylabel("row u")
    ax_col = figure.add_subplot(grid[0, 2])
    show_grid(ax_col, col, title=f"col ({C * R * S}×{P * Q}): one column per window", cmap="Purples",
              highlight=(0, position, C * R * S, 1))
    ax_col.patches[-1].set(gid=COLUMN_GID, zorder=4)
    ax_col.set_yticks(range(C * R * S), [f"c{c} r{r} s{s}" for c in range(C) for r in range(R) for s in range(S)])
    ax_col.set_xticks(range(P * Q), [f"({a},{b})" for a in range(P) for b in range(Q)])
    ax_col.set_xlabel("window (i, j), column i·Q + j")
    ax_w = figure.add_subplot(grid[1, :3])
    show_grid(ax_w, row, title="the filter w[0] as one row of w.reshape(K, C·R·S)", cmap="Oranges")
    ax_w.set_xticks(range(C * R * S), [f"c{c} r{r} s{s}" for c in range(C) for r in range(R) for s in range(S)])
    ax_w.set_yticks([0], ["k = 0"])
    ax_y = figure.add_subplot(grid[:, 3])
    show_grid(ax_y, y, title="y = row @ col,\nreshaped to P×Q", cmap="Greens", highlight=(i, j, 1, 1))
    ax_y.patches[-1].set_zorder(4)
    ax_y.set_xlabel("output column j")
    ax_y.set_ylabel("output row i")
    figure.suptitle("im2col: every window becomes a column, and the layer one matrix product", fontsize=12)
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.1, top=0.88)

    terms = " + ".join(f"({row[0, t]:g})·{col[t, position]:g}" for t in range(C * R * S) if row[0, t] != 0)
    return (f"Window ({i}, {j}) covers rows {i}–{i + R - 1} and columns {j}–{j + S - 1} of both channels; its "
            f"{C * R * S} numbers, channel 0 first, become column {position} of col. The filter, flattened in the same "
            f"(c, r, s) order, is one row, so y[{i}, {j}] = row · column = {terms} = {y[i, j]:g} "
            f"(the zero weights are left out).")


def im2col_demo(position: int = 0):
    """The figure above with a slider for the window."""
    from ..widgets import InteractiveFigure, slider

    P = conv_output_size(EXAMPLE_X.shape[1], EXAMPLE_W.shape[2])
    Q = conv_output_size(EXAMPLE_X.shape[2], EXAMPLE_W.shape[3])
    return InteractiveFigure(draw_im2col, {"position": slider(position, 0, P * Q - 1, "window i·Q + j")},
                             figsize=(11.0, 5.2))
