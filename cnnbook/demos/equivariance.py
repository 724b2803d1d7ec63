"""Chapter 7: translation equivariance and invariance, measured.

The helpers the chapter computes with, each on NCHW arrays ``x (N, C, H, W)``:

* :func:`circular_shift` moves the content ``dy`` rows down and ``dx`` columns right, wrapping
  around; :func:`translate` moves it the same way but lets ``fill`` enter instead.
* :func:`conv2d_circular` is a stride-1 convolution with **circular** padding (the input is
  padded with its own opposite edge, ``np.pad(mode="wrap")``), then a valid :func:`cnnbook.conv2d`.
* :func:`equivariance_error` and :func:`invariance_error` measure how far a feature map
  ``phi`` is from commuting with a shift, or from ignoring it.
* :func:`binomial_filter` and :func:`blur_pool2d`: anti-aliased max pooling (max over 2x2 with
  stride 1, then a binomial blur, then keep every second pixel), after Zhang (2019),
  "Making convolutional networks shift-invariant again".
* :func:`aliasing_error` compares a downsampling layer's output for a shifted input with
  the best integer shift of its output for the original input.

The widget (:func:`draw_equivariance`, :func:`equivariance_demo`) shifts a small image with a
slider and shows the input, ``phi(shifted input)``, the shifted ``phi(input)`` and their difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ..conv import conv2d
from ..filters import sobel_x
from ..pool import max_pool2d

PADDINGS = ("circular", "zeros")


# --- shifts ------------------------------------------------------------------------------------------

def circular_shift(x, dy: int, dx: int) -> np.ndarray:
    """``x`` ``(..., H, W)`` moved ``dy`` rows down and ``dx`` columns right, wrapping around.

    ``out[..., (i + dy) % H, (j + dx) % W] = x[..., i, j]``; negative shifts move up or left.
    Only the last two axes move: images and channels stay where they are.
    """
    x = np.asarray(x)
    return np.roll(x, (int(dy), int(dx)), axis=(-2, -1))


def translate(x, dy: int, dx: int, fill: float = 0.0) -> np.ndarray:
    """``x`` ``(..., H, W)`` moved ``dy`` rows down and ``dx`` columns right; ``fill`` enters, nothing wraps.

    ``out[..., i + dy, j + dx] = x[..., i, j]`` where both lie inside; every other cell is ``fill``.
    """
    x = np.asarray(x)
    H, W = x.shape[-2:]
    dy, dx = int(dy), int(dx)
    out = np.full_like(x, fill)
    if abs(dy) >= H or abs(dx) >= W:
        return out
    out[..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        x[..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


# --- circular padding --------------------------------------------------------------------------------

def same_padding(kernel_size: int) -> tuple[int, int]:
    """``(before, after)``: the padding that keeps the size for a kernel of ``kernel_size`` at stride 1.

    ``kernel_size - 1`` cells in all, the extra one after for an even kernel (as PyTorch's
    ``padding="same"``): 3 -> (1, 1), 2 -> (0, 1), 4 -> (1, 2).
    """
    before = (kernel_size - 1) // 2
    return before, kernel_size - 1 - before


def conv2d_circular(x, w, b=None, stride=1) -> np.ndarray:
    """Convolution (cross-correlation) with circular padding: ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``.

    ``x`` is padded with :func:`same_padding` rows and columns taken from its opposite edges
    (``np.pad(mode="wrap")``), then convolved without padding, so that
    ``y[n, k, i, j] = sum_{c, r, s} x[n, c, (i*st + r - pr) % H, (j*st + s - ps) % W] * w[k, c, r, s] + b[k]``.
    Returns ``y`` ``(N, K, ceil(H / stride), ceil(W / stride))`` (``(N, K, H, W)`` at stride 1).
    """
    x, w = np.asarray(x), np.asarray(w)
    (top, bottom), (left, right) = same_padding(w.shape[2]), same_padding(w.shape[3])
    wrapped = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode="wrap")
    return conv2d(wrapped, w, b, stride=stride)


def conv2d_same(x, w, b=None, padding: str = "circular", stride=1) -> np.ndarray:
    """:func:`conv2d_circular` (``padding="circular"``) or the same geometry with zeros (``"zeros"``)."""
    if padding not in PADDINGS:
        raise ValueError(f"conv2d_same: padding must be one of {PADDINGS}; got {padding!r}")
    if padding == "circular":
        return conv2d_circular(x, w, b, stride)
    x, w = np.asarray(x), np.asarray(w)
    (top, bottom), (left, right) = same_padding(w.shape[2]), same_padding(w.shape[3])
    return conv2d(np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right))), w, b, stride=stride)


# --- measuring ----------------------------------------------------------------------------------------

def equivariance_error(phi, x, dy: int, dx: int, border: int = 0) -> float:
    """``max |phi(shift(x)) - shift(phi(x))|`` over the map without ``border`` cells at each edge.

    ``phi`` maps ``x`` ``(N, C, H, W)`` to a map of the same height and width; ``shift`` is
    :func:`circular_shift` by ``(dy, dx)``. ``border = 0`` compares the whole map.
    """
    difference = phi(circular_shift(x, dy, dx)) - circular_shift(phi(x), dy, dx)
    H, W = difference.shape[-2:]
    return float(np.max(np.abs(difference[..., border:H - border, border:W - border])))


def invariance_error(phi, x, dy: int, dx: int) -> float:
    """``max |phi(shift(x)) - phi(x)|``: how much ``phi``'s output changes when ``x`` is shifted."""
    return float(np.max(np.abs(phi(circular_shift(x, dy, dx)) - phi(x))))


def relative_change(a, b) -> float:
    """``||a - b|| / ||b||`` (Frobenius norms): 0 when equal, about 1.4 for unrelated maps of equal size."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# --- downsampling and anti-aliasing --------------------------------------------------------------------

def binomial_filter(size: int = 3) -> np.ndarray:
    """The ``(size, size)`` binomial blur: the outer product of row ``size - 1`` of Pascal's triangle, summing to 1.

    ``size=3``: ``[1, 2, 1]`` outer ``[1, 2, 1]`` over 16.
    """
    row = np.array([comb(size - 1, k) for k in range(size)], dtype=float)
    kernel = np.outer(row, row)
    return kernel / kernel.sum()


def _per_channel(x, kernel, stride) -> np.ndarray:
    """The same ``(R, S)`` kernel applied to every channel on its own, circular padding: ``(N, C, H', W')``."""
    N, C, H, W = x.shape
    y = conv2d_circular(x.reshape(N * C, 1, H, W), kernel[None, None], stride=stride)
    return y.reshape(N, C, *y.shape[2:])


def max_pool2d_circular(x, kernel_size: int = 2, stride: int = 2) -> np.ndarray:
    """Max pooling whose windows wrap around the edges: ``x`` ``(N, C, H, W)`` -> ``(N, C, ceil(H/s), ceil(W/s))``."""
    x = np.asarray(x)
    wrapped = np.pad(x, ((0, 0), (0, 0), (0, kernel_size - 1), (0, kernel_size - 1)), mode="wrap")
    return max_pool2d(wrapped, kernel_size, stride)


def blur_pool2d(x, stride: int = 2, blur_size: int = 3) -> np.ndarray:
    """Anti-aliased max pooling (Zhang 2019): 2x2 max with stride 1, binomial blur, keep every ``stride``-th pixel.

    ``x`` ``(N, C, H, W)`` -> ``(N, C, ceil(H/stride), ceil(W/stride))``; every step wraps around the edges,
    so that circular shifts by multiples of ``stride`` shift the output exactly.
    """
    dense = max_pool2d_circular(x, 2, 1)
    return _per_channel(dense, binomial_filter(blur_size), stride)


def aliasing_error(phi, x, dy: int, dx: int, stride: int) -> tuple[float, tuple[int, int]]:
    """How far ``phi(shift(x))`` is from every nearby integer shift of ``phi(x)``, for a layer of ``stride``.

    Ideally a shift of the input by ``(dy, dx)`` shifts the output by ``(dy/stride, dx/stride)``; only
    integer shifts exist, so the output is compared with ``circular_shift(phi(x), ty, tx)`` for
    ``ty, tx`` the floor and the ceiling of those ratios. Returns the smallest :func:`relative_change`
    and the output shift that achieves it. 0 means exactly equivariant.
    """
    shifted = phi(circular_shift(x, dy, dx))
    reference = phi(x)
    best = None
    for ty in sorted({dy // stride, -(-dy // stride)}):
        for tx in sorted({dx // stride, -(-dx // stride)}):
            error = relative_change(shifted, circular_shift(reference, ty, tx))
            if best is None or error < best[0]:
                best = (error, (ty, tx))
    return best


# --- the widget ---------------------------------------------------------------------------------------

def _widget_image() -> np.ndarray:
    """A 12x12 picture: a bright square, a diagonal stroke and a bar that runs into both side edges."""
    image = np.zeros((12, 12))
    image[2:5, 2:5] = 1.0                      # a square
    for k in range(5):                         # a diagonal stroke
        image[3 + k, 6 + k] = 0.8
    image[9, :] = 0.6                          # a bar from edge to edge: zero padding sees its ends
    image[8:11, 1] = 1.0                       # a short upright near the left edge
    return image


#: The widget's input and filter: a 12x12 image, and the Sobel filter that responds to vertical edges.
IMAGE = _widget_image()
FILTER = sobel_x()
FILTER_RADIUS = 1


@dataclass(frozen=True)
class EquivarianceState:
    """What the widget shows for one setting: all maps 2-D.

    ``x`` the input ``(H, W)``; ``gx`` the input shifted ``shift`` columns right; ``phi_gx`` the feature map of
    ``gx``; ``shifted_phi_x`` the feature map of ``x`` shifted by ``output_shift`` columns (the best integer
    shift, ``shift / stride`` when that is whole); ``difference = phi_gx - shifted_phi_x``.
    """

    shift: int
    padding: str
    stride: int
    x: np.ndarray
    gx: np.ndarray
    phi_gx: np.ndarray
    shifted_phi_x: np.ndarray
    difference: np.ndarray
    output_shift: int

    @property
    def max_error(self) -> float:
        """``max |difference|`` over the whole map."""
        return float(np.max(np.abs(self.difference)))

    @property
    def border(self) -> int:
        """Columns at each side where zero padding can be felt (stride 1): ``|shift| + filter radius``."""
        return abs(self.shift) + FILTER_RADIUS

    @property
    def interior_error(self) -> float:
        """``max |difference|`` without ``border`` columns at each side (stride 1)."""
        W = self.difference.shape[1]
        inside = self.difference[:, self.border:W - self.border]
        return float(np.max(np.abs(inside))) if inside.size else 0.0

    @property
    def columns_that_differ(self) -> list[int]:
        """The columns of the feature map where the difference is not (numerically) zero."""
        return [int(j) for j in np.nonzero(np.max(np.abs(self.difference), axis=0) > 1e-12)[0]]


def equivariance_state(shift: int, padding: str = "circular", stride: int = 1, image=None) -> EquivarianceState:
    """Shift ``image`` (default :data:`IMAGE`) ``shift`` columns right and compare the two feature maps."""
    if padding not in PADDINGS:
        raise ValueError(f"equivariance_state: padding must be one of {PADDINGS}; got {padding!r}")
    x = IMAGE if image is None else np.asarray(image, dtype=float)
    w = FILTER[None, None]

    def phi(a):
        return conv2d_same(a[None, None], w, padding=padding, stride=stride)[0, 0]

    gx = circular_shift(x, 0, shift)
    phi_gx = phi(gx)
    phi_x = phi(x)
    candidates = sorted({shift // stride, -(-shift // stride)})
    errors = [np.max(np.abs(phi_gx - circular_shift(phi_x, 0, t))) for t in candidates]
    t = candidates[int(np.argmin(errors))]
    shifted = circular_shift(phi_x, 0, t)
    return EquivarianceState(shift, padding, stride, x, gx, phi_gx, shifted, phi_gx - shifted, t)


def _show(ax, image, title, cmap, limit=None):
    if limit is None:
        ax.imshow(image, cmap=cmap, vmin=0, vmax=1)
    else:
        ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_xticks(range(0, image.shape[1], 2 if image.shape[1] > 6 else 1))
    ax.set_yticks(range(0, image.shape[0], 2 if image.shape[0] > 6 else 1))
    ax.tick_params(labelsize=8)


def draw_equivariance(figure, shift: int, padding: str, stride: int) -> str:
    """Draw the shifted input, its feature map, the shifted feature map of the input, and the difference.

    Returns the caption: the size of the difference, and why it is (or is not) zero.
    """
    state = equivariance_state(shift, padding, stride)
    limit = float(np.max(np.abs(conv2d_same(IMAGE[None, None], FILTER[None, None], padding="zeros"))))
    axes = figure.subplots(1, 4, gridspec_kw={"wspace": 0.35})
    _show(axes[0], state.gx, f"input shifted {shift} px → (g·x)", "gray")
    _show(axes[1], state.phi_gx, "feature map of it: φ(g·x)", "RdBu_r", limit)
    _show(axes[2], state.shifted_phi_x, f"φ(x) shifted {state.output_shift} px →", "RdBu_r", limit)
    _show(axes[3], state.difference, "difference", "RdBu_r", limit)
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.16, top=0.88)

    H, W = state.phi_gx.shape
    direction = "right" if shift > 0 else "left" if shift < 0 else "no shift"
    caption = (f"Shift {shift:+d} px ({direction}), {padding} padding, stride {stride} ({H}×{W} feature map): "
               f"max |φ(g·x) − M_g φ(x)| = {state.max_error:.3g}. ")
    if stride > 1 and shift % stride:
        caption += (f"A {shift}-pixel shift of the input would be a {shift / stride:g}-pixel shift of the output, "
                    f"and no whole-pixel shift of the map matches (the closest, {state.output_shift} px, is shown): "
                    f"the stride breaks equivariance.")
    elif state.max_error < 1e-12:
        caption += "Exactly equivariant: shifting the input shifts the feature map"
        caption += f" by {state.output_shift} px." if stride > 1 else "."
    elif stride == 1:
        caption += (f"The difference lies only in columns {state.columns_that_differ}: next to the left and right edges, "
                    f"where the padding is zeros instead of the wrapped-around pixels, and next to the seam where the "
                    f"columns that wrapped around meet the rest. All lie within |shift| + 1 = {state.border} columns of "
                    f"an edge; elsewhere the difference is {state.interior_error:.3g}.")
    else:
        caption += (f"The shift is a multiple of the stride, so the output moves {state.output_shift} px; "
                    f"what differs lies next to the edges and the seam, where the padding is zeros instead of the "
                    f"wrapped-around pixels (columns {state.columns_that_differ}).")
    return caption


def equivariance_demo(shift: int = 1, padding: str = "circular", stride: int = 1):
    """The chapter's widget: a shift slider (-4 to 4 px), circular or zero padding, stride 1 or 2."""
    from ..widgets import InteractiveFigure, choice, slider

    controls = {
        "shift": slider(shift, -4, 4, "shift →"),
        "padding": choice(list(PADDINGS), padding, "padding"),
        "stride": slider(stride, 1, 2, "stride"),
    }
    return InteractiveFigure(draw_equivariance, controls, figsize=(12, 3.6))
