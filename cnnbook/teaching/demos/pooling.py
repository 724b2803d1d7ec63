"""Chapter 5's widget and the small experiments the pooling chapter runs.

The widget: :func:`pooling_state` computes everything the picture shows: the pooled output, and
the gradient that reaches the input when every output receives ``dL/dy = 1`` (so the number in
an input cell says how much gradient arrived there: for max pooling, how many windows it won;
for mean pooling, how many windows cover it divided by the window size). :func:`draw_pooling`
draws the input, the output and that gradient, and names the cause of every input that lies in
no window (:func:`uncovered_lines`); :func:`pooling_demo` wires it to a drop-down (max or mean)
and two sliders (window size, stride) with :class:`cnnbook.teaching.widgets.InteractiveFigure`.

The experiments, each a few lines of NumPy so that the chapter's cells stay short:

* :func:`tied_windows` and :func:`tied_window_fraction`: how often a max-pooling window holds
  its maximum more than once (common on images with a constant background, after a ReLU, or on
  quantised pixels); :func:`smallest_lead`: how close the nearest window comes to a tie.
* :func:`max_pool2d_backward_equality_mask`: the classic *wrong* backward pass
  ``dx = (x == max) * dy``, kept to show what it does at ties.
* :func:`one_sided_difference`: forward or backward finite differences, which at a tie measure
  one-sided slopes.
* :func:`spike_shift_kept_fraction`: how often max pooling absorbs a small shift of one isolated
  spike.
* :func:`receptive_field_mask`: which input pixels can change one output, found by brute force.

Shapes are NCHW as everywhere in :mod:`cnnbook`: ``x`` ``(N, C, H, W)``, a pooled output and its
``dy`` ``(N, C, P, Q)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from ..._validation import as_float_array
from ..plotting import show_grid
from ...pool import (
    avg_pool2d,
    avg_pool2d_backward,
    check_pool_arguments,
    check_pool_backward_arguments,
    max_pool2d,
    max_pool2d_backward,
)
from ...sizes import conv_output_size
from ...spatial import crop2d, pad2d

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


def uncovered_lines(n: int, kernel_size: int, stride: int, padding: int = 0) -> tuple[list[int], list[int]]:
    """The input rows (or columns) of one axis that lie in no window, sorted by their cause.

    Along an axis of ``n`` inputs padded by ``padding`` on both sides, the windows cover
    ``[i*stride, i*stride + kernel_size)`` (padded coordinates) for ``i = 0 ... P-1``, with
    ``P = conv_output_size(n, kernel_size, stride, padding)``. An input can miss every window
    for two different reasons:

    * ``gaps``: it lies between two consecutive windows, which happens only when
      ``stride > kernel_size`` (``stride - kernel_size`` inputs after each window but the last);
    * ``trailing``: it lies after the last window, because the floor in ``P`` drops the
      remainder ``(n + 2*padding - kernel_size) % stride`` (minus any of it that is padding).
      This happens for any stride that does not divide ``n + 2*padding - kernel_size``, even
      when windows overlap.

    Returns ``(gaps, trailing)``: two sorted lists of input indices (``0 ... n-1``, unpadded).
    """
    P = conv_output_size(n, kernel_size, stride, padding)
    covered = np.zeros(n + 2 * padding, dtype=bool)
    for i in range(P):
        covered[i * stride:i * stride + kernel_size] = True
    last = (P - 1) * stride + kernel_size - 1            # the last padded index any window reaches
    gaps, trailing = [], []
    for u in range(n):
        if not covered[u + padding]:
            (trailing if u + padding > last else gaps).append(u)
    return gaps, trailing


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
        """How many input cells lie in no window at all (see :attr:`gaps` and :attr:`trailing` for why)."""
        return int(np.count_nonzero(self.coverage == 0))

    @property
    def gaps(self) -> list[int]:
        """Rows (and, the grid being square, columns) between two windows: only when stride > window."""
        return uncovered_lines(self.x.shape[0], self.kernel_size, self.stride)[0]

    @property
    def trailing(self) -> list[int]:
        """Rows (and columns) after the last window: the remainder the floor of the output size drops."""
        return uncovered_lines(self.x.shape[0], self.kernel_size, self.stride)[1]

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


def _lines(indices: list[int]) -> str:
    """``[5]`` -> "row and column 5"; ``[1, 3]`` -> "rows and columns 1, 3"."""
    numbers = ", ".join(str(i) for i in indices)
    return f"row and column {numbers}" if len(indices) == 1 else f"rows and columns {numbers}"


def uncovered_caption(n: int, kernel_size: int, stride: int) -> str:
    """Why inputs of an ``n x n`` grid lie in no ``k x k`` window (padding 0): "" when none does."""
    gaps, trailing = uncovered_lines(n, kernel_size, stride)
    k, s = kernel_size, stride
    causes = []
    if gaps:
        causes.append(f"{_lines(gaps)} fall in the gaps between windows (stride {s} > window {k})")
    if trailing:
        floor = f"⌊({n} − {k})/{s}⌋"
        causes.append(f"{_lines(trailing)} are left over after the last window "
                      f"(the floor in {floor} drops the remainder ({n} − {k}) mod {s} = {(n - k) % s})")
    if not causes:
        return ""
    count = n * n - (n - len(gaps) - len(trailing)) ** 2
    return f" {count} input(s) lie in no window and get no gradient at all: " + "; ".join(causes) + "."


def draw_pooling(figure, mode: str, kernel_size: int, stride: int) -> str:
    """Draw the input (first window outlined, max winners marked), the output, and ``dx`` for ``dy = 1``.

    Returns the caption: the output size worked out, where the gradient went, and why any input
    lies in no window.
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
    ax_in.set_xlabel("column v")
    ax_in.set_ylabel("row u")

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
    ax_dx.set_xlabel("column v")
    ax_dx.set_ylabel("row u")
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.14, top=0.9)

    size = f"⌊({H} − {k})/{s}⌋ + 1 = {conv_output_size(H, k, s)}"
    caption = f"{name} pooling, {k}×{k} window, stride {s}: {H}×{W} → {P}×{Q}, since {size}. "
    total = state.dx.sum()
    outputs = "The single output" if P * Q == 1 else f"Each of the {P * Q} outputs"
    if mode == "max":
        caption += (f"{outputs} sends its gradient 1 to its window's maximum (orange): "
                    f"{state.reached} of the {H * W} inputs receive gradient, in total {total:g}.")
        if state.reached < P * Q:
            caption += " Some inputs won several overlapping windows, and their gradients add up."
    else:
        caption += (f"{outputs} spreads its gradient 1 evenly, 1/{k * k} to each cell of its window: "
                    f"{state.reached} of the {H * W} inputs receive gradient, in total {total:g}.")
        if state.coverage.max() > 1:
            caption += f" A cell covered by m windows gets m/{k * k}."
    return caption + uncovered_caption(H, k, s)


def pooling_demo(mode: str = "max", kernel_size: int = 2, stride: int = 2):
    """The chapter's widget: max or mean, window size 1 to 4, stride 1 to 3."""
    from ..widgets import InteractiveFigure, choice, slider

    controls = {
        "mode": choice(list(MODES), mode, "pooling"),
        "kernel_size": slider(kernel_size, 1, 4, "window"),
        "stride": slider(stride, 1, 3, "stride"),
    }
    return InteractiveFigure(draw_pooling, controls, figsize=(10.5, 3.9))


# --------------------------------------------------------------------------- ties


def _windows(x, kernel_size, stride, func: str) -> np.ndarray:
    """Every window of ``x`` ``(N, C, H, W)`` (padding 0), flattened: ``(N, C, P, Q, kh*kw)``."""
    x, windows = check_pool_arguments(func, x, kernel_size, stride, 0)
    (kh, kw), (sh, sw), (P, Q) = windows.kernel, windows.stride, windows.output
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))   # (N, C, H-kh+1, W-kw+1, kh, kw)
    return view[:, :, :(P - 1) * sh + 1:sh, :(Q - 1) * sw + 1:sw].reshape(x.shape[:2] + (P, Q, kh * kw))


def tied_windows(x, kernel_size, stride=None) -> np.ndarray:
    """Which max-pooling windows hold their maximum more than once (padding 0).

    ``x`` ``(N, C, H, W)`` -> bool ``(N, C, P, Q)``: ``True`` where at least two cells of the
    window equal its maximum exactly. ``stride`` defaults to ``kernel_size``.
    """
    window = _windows(x, kernel_size, stride, "tied_windows")
    return np.count_nonzero(window == window.max(axis=-1, keepdims=True), axis=-1) > 1


def tied_window_fraction(x, kernel_size, stride=None) -> float:
    """The fraction of the max-pooling windows of ``x`` ``(N, C, H, W)`` that hold a tied maximum."""
    return float(np.mean(tied_windows(x, kernel_size, stride)))


def smallest_lead(x, kernel_size, stride=None) -> float:
    """How far the maximum of a window leads its runner-up, at the closest window (padding 0).

    ``x`` ``(N, C, H, W)``; returns the smallest, over all windows, of (largest value - second
    largest value); ``0.0`` when some window holds a tie, ``inf`` for 1x1 windows. A finite-difference
    check of max pooling with step ``h`` is trustworthy only when this lead is well above ``h``:
    otherwise the nudge can change which cell wins.
    """
    window = _windows(x, kernel_size, stride, "smallest_lead")
    if window.shape[-1] < 2:
        return float("inf")
    top_two = np.sort(window, axis=-1)[..., -2:]
    return float(np.min(top_two[..., 1] - top_two[..., 0]))


def max_pool2d_backward_equality_mask(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """A WRONG backward pass of max pooling, kept to show the bug: ``dx = (x == max) * dy`` per window.

    ``dy`` ``(N, C, P, Q)``, ``x`` ``(N, C, H, W)`` -> ``dx`` ``(N, C, H, W)``. Every cell that
    equals its window's maximum receives the window's whole ``dy`` (overlapping windows add up,
    padding is ``-inf`` and cropped). Without ties this equals :func:`cnnbook.max_pool2d_backward`;
    at a tie of ``m`` cells it sends ``m`` copies of ``dy``, so the window passes on ``m * dy``.
    """
    dy, x, windows = check_pool_backward_arguments("max_pool2d_backward_equality_mask", dy, x, kernel_size,
                                                   stride, padding)
    (kh, kw), (sh, sw), (P, Q) = windows.kernel, windows.stride, windows.output
    x_padded = pad2d(x, windows.padding, value=-np.inf)
    dx_padded = np.zeros_like(x_padded)
    for i in range(P):
        for j in range(Q):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            window = x_padded[:, :, rows, cols]                                  # (N, C, kh, kw)
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx_padded[:, :, rows, cols] += mask * dy[:, :, i, j, None, None]
    return crop2d(dx_padded, windows.padding)


def one_sided_difference(f, x, dy=None, h: float = 1e-5, side: int = +1) -> np.ndarray:
    """One-sided finite differences of ``L(x) = sum(f(x) * dy)``, entry by entry.

    ``side=+1`` gives forward differences ``(L(x + h e_i) - L(x)) / h``; ``side=-1`` backward ones
    ``(L(x) - L(x - h e_i)) / h``. ``x`` any shape (not modified); ``dy`` shaped like ``f(x)``
    (``None``: all ones). Returns a float64 array shaped like ``x``. Where ``L`` has a kink (a tie
    in a max), the two sides differ and neither is a gradient; compare
    :func:`cnnbook.numerical_gradient`, whose centred difference is their average.
    """
    if side not in (+1, -1):
        raise ValueError(f"one_sided_difference: side must be +1 (forward) or -1 (backward); got {side!r}")
    if not h > 0:
        raise ValueError(f"one_sided_difference: h must be > 0; got {h!r}")
    x = np.array(as_float_array(x, "x", "one_sided_difference"), dtype=np.float64)

    def loss(point):
        value = np.asarray(f(point), dtype=np.float64)
        return float(np.sum(value if dy is None else value * np.asarray(dy, dtype=np.float64)))

    base = loss(x)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        moved = x.copy()
        moved[index] += side * h
        grad[index] = (loss(moved) - base) / h if side > 0 else (base - loss(moved)) / h
    return grad


# --------------------------------------------------------------------------- why pool


def spike_shift_kept_fraction(kernel_size: int, shift: int, size: int = 8) -> float:
    """How often ``k x k`` max pooling (stride ``k``) ignores a shift of an isolated spike.

    A ``size x size`` map holds a single 1 (everything else 0) at each of its ``size**2``
    positions in turn; it is shifted circularly by ``shift`` pixels in each of the four directions
    (right, left, down, up). Returns the fraction of these ``4 * size**2`` shifts after which the
    max-pooled map is unchanged. ``size`` must be a multiple of ``kernel_size``, so that the
    circular shift wraps from one whole window to another. For ``0 <= shift <= k`` the answer is
    ``(k - shift) / k``: the spike stays in its window only when it has room to move.
    """
    if kernel_size < 1 or size % kernel_size or shift < 0:
        raise ValueError(f"spike_shift_kept_fraction: need kernel_size >= 1 dividing size and shift >= 0; got "
                         f"kernel_size={kernel_size}, shift={shift}, size={size}")
    spikes = np.eye(size * size).reshape(size * size, 1, size, size)          # one spike per image
    pooled = max_pool2d(spikes, kernel_size)
    kept = 0
    for axis, sign in ((3, 1), (3, -1), (2, 1), (2, -1)):
        moved = max_pool2d(np.roll(spikes, sign * shift, axis=axis), kernel_size)
        kept += int(np.sum(np.all(moved == pooled, axis=(1, 2, 3))))
    return kept / (4 * size * size)


def receptive_field_mask(forward, input_size: tuple[int, int], position: tuple[int, int]) -> np.ndarray:
    """Which input pixels can change output ``position`` of ``forward``, found by brute force.

    ``forward`` maps a batch ``(B, 1, H, W)`` to ``(B, K, P, Q)``; ``input_size`` is ``(H, W)``.
    Each of the ``H * W`` images with a single 1 (zeros elsewhere) is pushed through, and pixel
    ``(u, v)`` is marked when the output at ``(i, j) = position`` (any of the ``K`` channels)
    differs from the output for the all-zero image. Returns bool ``(H, W)``. Use filters with
    positive weights and mean pooling, so that no contribution can cancel another.
    """
    H, W = input_size
    spikes = np.eye(H * W).reshape(H * W, 1, H, W)
    i, j = position
    responses = forward(spikes)[:, :, i, j]                        # (H*W, K)
    baseline = forward(np.zeros((1, 1, H, W)))[:, :, i, j]         # (1, K)
    return np.any(responses != baseline, axis=1).reshape(H, W)
