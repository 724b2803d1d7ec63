"""Chapter 7: translation equivariance and invariance, measured.

The helpers the chapter computes with, each on NCHW arrays ``x (N, C, H, W)``. A shift by ``(down, right)``
moves the content ``down`` rows down and ``right`` columns to the right (the chapter's
:math:`T_{t_h, t_w}` with ``t_h = down``, ``t_w = right``); negative amounts move up or left.

* :func:`circular_shift` moves the content, wrapping around; :func:`translate` moves it the same way but
  lets ``fill`` enter instead.
* :func:`conv2d_circular` is a convolution with **circular** padding (the input is padded with its own
  opposite edge, ``np.pad(mode="wrap")``), then a valid :func:`cnnbook.conv2d`.
* :func:`equivariance_error` and :func:`invariance_error` measure how far a feature map ``phi`` is from
  commuting with a shift, or from ignoring it; :func:`inexact_columns` says where a zero-padded
  convolution can fail to commute with a shift, as the chapter derives.
* :func:`binomial_filter` and :func:`blur_pool2d`: anti-aliased max pooling (max over 2x2 with stride 1,
  then a binomial blur, then keep every second pixel), after Zhang (2019), "Making convolutional networks
  shift-invariant again".
* :func:`fourier_shift` shifts a map by a possibly fractional number of pixels as a band-limited signal
  (sinc interpolation, done in the Fourier domain). :func:`aliasing_error` compares a downsampling layer's
  output for a shifted input with that band-limited shift of its output, so that it measures aliasing
  alone; :func:`nearest_shift_error` is the cruder comparison with the nearest whole-pixel shift, kept to
  show what it gets wrong. :func:`ideal_subsample` removes every frequency a subsampling would fold back
  before subsampling: the aliasing-free reference.

The widget (:func:`draw_equivariance`, :func:`equivariance_demo`) shifts a small image with a slider and
shows the input, ``phi(shifted input)``, the shifted ``phi(input)`` and their difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ..._validation import as_pair
from ...conv import conv2d
from ..filters import sobel_x
from ...pool import max_pool2d

PADDINGS = ("circular", "zeros")


# --- shifts ------------------------------------------------------------------------------------------

def circular_shift(x, down: int, right: int) -> np.ndarray:
    """``x`` ``(..., H, W)`` moved ``down`` rows down and ``right`` columns right, wrapping around.

    ``out[..., (i + down) % H, (j + right) % W] = x[..., i, j]``; negative amounts move up or left.
    Only the last two axes move: images and channels stay where they are.
    """
    x = np.asarray(x)
    return np.roll(x, (int(down), int(right)), axis=(-2, -1))


def translate(x, down: int, right: int, fill: float = 0.0) -> np.ndarray:
    """``x`` ``(..., H, W)`` moved ``down`` rows down and ``right`` columns right; ``fill`` enters, nothing wraps.

    ``out[..., i + down, j + right] = x[..., i, j]`` where both lie inside; every other cell is ``fill``.
    """
    x = np.asarray(x)
    H, W = x.shape[-2:]
    t_h, t_w = int(down), int(right)
    out = np.full_like(x, fill)
    if abs(t_h) >= H or abs(t_w) >= W:
        return out
    out[..., max(t_h, 0):H + min(t_h, 0), max(t_w, 0):W + min(t_w, 0)] = \
        x[..., max(-t_h, 0):H + min(-t_h, 0), max(-t_w, 0):W + min(-t_w, 0)]
    return out


def fourier_shift(y, down: float, right: float) -> np.ndarray:
    """``y`` ``(..., H, W)`` shifted circularly by ``down`` rows and ``right`` columns as a band-limited signal.

    The amounts may be fractional. Along each axis of length ``n`` the discrete Fourier coefficient of
    signed frequency ``f`` (``np.fft.fftfreq(n) * n``, from ``-(n // 2)`` up to ``(n - 1) // 2``) is multiplied by
    ``exp(-2j * pi * f * t / n)`` and the real part of the inverse transform is returned: the periodic sinc
    interpolation of ``y``, evaluated at the positions ``t`` pixels before each sample. A whole-number amount
    is done with :func:`np.roll` instead, which is the same shift without rounding error. For even ``n`` the
    component at exactly ``n/2`` (the highest frequency the grid holds, whose half-pixel shift the grid cannot
    represent) is multiplied by ``cos(pi * t)``: it survives whole shifts and vanishes at half-pixel ones.
    Returns an array of ``y``'s shape; float32 stays float32, other real input becomes float64.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"fourier_shift: y must hold real numbers; got dtype {y.dtype}")
    if y.ndim < 2:
        raise ValueError(f"fourier_shift: y must have at least 2 dimensions (..., H, W); got shape {y.shape}")
    dtype = y.dtype if y.dtype == np.float32 else np.dtype(np.float64)
    out = y.astype(np.float64)
    for axis, amount in ((-2, down), (-1, right)):
        amount = float(amount)
        if not np.isfinite(amount):
            raise ValueError(f"fourier_shift: shift amounts must be finite; got down={down!r}, right={right!r}")
        if amount == round(amount):
            out = np.roll(out, int(round(amount)), axis=axis)
            continue
        n = out.shape[axis]
        f = np.fft.fftfreq(n) * n
        phase = np.exp(-2j * np.pi * f * amount / n).reshape((n,) + (1,) * (-axis - 1))
        out = np.real(np.fft.ifft(np.fft.fft(out, axis=axis) * phase, axis=axis))
    return out.astype(dtype, copy=False)


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
    ``y[n, k, i, j] = sum_{c, r, s} x[n, c, (i*s_h + r - p_h) % H, (j*s_w + s - p_w) % W] * w[k, c, r, s] + b[k]``
    with ``(s_h, s_w)`` the stride and ``p_h, p_w`` the padding before. Returns ``y``
    ``(N, K, ceil(H / s_h), ceil(W / s_w))`` (``(N, K, H, W)`` at stride 1).
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

def equivariance_error(phi, x, down: int, right: int, border: int = 0) -> float:
    """``max |phi(shift(x)) - shift(phi(x))|`` over the map without ``border`` cells at each edge.

    ``phi`` maps ``x`` ``(N, C, H, W)`` to a map of the same height and width; ``shift`` is
    :func:`circular_shift` by ``(down, right)``. ``border = 0`` compares the whole map.
    """
    difference = phi(circular_shift(x, down, right)) - circular_shift(phi(x), down, right)
    H, W = difference.shape[-2:]
    return float(np.max(np.abs(difference[..., border:H - border, border:W - border])))


def invariance_error(phi, x, down: int, right: int) -> float:
    """``max |phi(shift(x)) - phi(x)|``: how much ``phi``'s output changes when ``x`` is shifted."""
    return float(np.max(np.abs(phi(circular_shift(x, down, right)) - phi(x))))


def relative_change(a, b) -> float:
    """``||a - b|| / ||b||`` (Frobenius norms): 0 when equal, about 1.4 for unrelated maps of equal size."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def inexact_columns(width: int, shift: int, kernel_size: int) -> list[int]:
    """The output columns where a zero-padded, size-keeping convolution may fail to commute with a shift.

    The layer pads ``before, after = same_padding(kernel_size)`` zero columns; the input is shifted
    circularly by ``shift`` columns (positive: right). Column ``j`` of the output reads no padding when
    ``before <= j <= width - 1 - after`` (an *inner* column). ``phi(T x)`` and ``T phi(x)`` agree at column
    ``j`` for every image and filter when both ``j`` and ``(j - shift) % width`` are inner; the other columns
    are returned (sorted). There the two sides read a padding zero where the other reads a pixel, so they
    differ for a generic image (they can agree by chance, e.g. where the image is blank). Rows behave alike.
    """
    if width < 1 or kernel_size < 1:
        raise ValueError(f"inexact_columns: width and kernel_size must be >= 1; got {width}, {kernel_size}")
    before, after = same_padding(kernel_size)
    if shift % width == 0:                     # both sides are the same computation
        return []

    def inner(j):
        return before <= j <= width - 1 - after

    return [j for j in range(width) if not (inner(j) and inner((j - shift) % width))]


# --- downsampling and anti-aliasing --------------------------------------------------------------------

def binomial_filter(size: int = 3) -> np.ndarray:
    """The ``(size, size)`` binomial blur: the outer product of row ``size - 1`` of Pascal's triangle, summing to 1.

    ``size=3``: ``[1, 2, 1]`` outer ``[1, 2, 1]`` over 16.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"binomial_filter: size must be an int >= 1; got {size!r}")
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


def blur_dense(x, blur_size: int = 3) -> np.ndarray:
    """Blur pooling before its subsampling: 2x2 max with stride 1, then the binomial blur; ``(N, C, H, W)`` kept.

    ``blur_size=1`` leaves out the blur: the dense map that plain 2x2 max pooling subsamples.
    """
    dense = max_pool2d_circular(x, 2, 1)
    return dense if blur_size == 1 else _per_channel(dense, binomial_filter(blur_size), 1)


def blur_pool2d(x, stride: int = 2, blur_size: int = 3) -> np.ndarray:
    """Anti-aliased max pooling (Zhang 2019): 2x2 max with stride 1, binomial blur, keep every ``stride``-th pixel.

    ``x`` ``(N, C, H, W)`` -> ``(N, C, ceil(H/stride), ceil(W/stride))``; every step wraps around the edges,
    so that circular shifts by multiples of ``stride`` shift the output exactly.
    """
    return blur_dense(x, blur_size)[..., ::stride, ::stride]


def ideal_subsample(z, stride=2) -> np.ndarray:
    """Remove every frequency that subsampling by ``stride`` would fold back, then keep every ``stride``-th sample.

    ``z`` ``(..., H, W)``; along an axis of length ``n`` subsampled by ``s`` the Fourier coefficients of
    signed frequency ``|f| >= n / (2 s)`` (at or above the new Nyquist frequency) are set to 0 (an ideal,
    non-local low-pass filter, circular), then ``[..., ::s_h, ::s_w]``. The result has no aliasing: a
    circular shift of ``z`` by ``t`` pixels shifts it exactly like :func:`fourier_shift` by ``t / s``.
    Returns float64 ``(..., ceil(H / s_h), ceil(W / s_w))``.
    """
    s_h, s_w = as_pair(stride, "stride", "ideal_subsample", 1)
    z = np.asarray(z, dtype=np.float64)
    if z.ndim < 2:
        raise ValueError(f"ideal_subsample: z must have at least 2 dimensions (..., H, W); got shape {z.shape}")
    H, W = z.shape[-2:]
    keep_rows = np.abs(np.fft.fftfreq(H) * H) < H / (2 * s_h)
    keep_cols = np.abs(np.fft.fftfreq(W) * W) < W / (2 * s_w)
    low = np.real(np.fft.ifft2(np.fft.fft2(z) * np.outer(keep_rows, keep_cols)))
    return low[..., ::s_h, ::s_w]


def aliasing_error(phi, x, down: int, right: int, stride) -> float:
    """How far a downsampling layer's output for a shifted input is from a band-limited shift of its output.

    ``x`` ``(N, C, H, W)``; ``phi`` maps it to ``(N, K, ceil(H / s_h), ceil(W / s_w))``.
    A layer of ``stride`` ``s`` (an int or ``(s_h, s_w)``) should move its output by ``(down / s_h, right / s_w)``
    of its own pixels when ``x`` moves by ``(down, right)``. A fraction of a pixel is not a rearrangement of the
    output's entries, so the reference is the band-limited shift (:func:`fourier_shift`), the way an output
    without aliasing moves. Returns
    ``||phi(shift(x)) - fourier_shift(phi(x), down/s_h, right/s_w)|| / ||phi(x)||`` (:func:`relative_change`):
    0 when the layer shifts its output exactly like a band-limited signal (no aliasing); whole-pixel output
    shifts reduce to :func:`circular_shift`.
    """
    s_h, s_w = as_pair(stride, "stride", "aliasing_error", 1)
    shifted = phi(circular_shift(x, down, right))
    reference = phi(x)
    return relative_change(shifted, fourier_shift(reference, down / s_h, right / s_w))


def nearest_shift_error(phi, x, down: int, right: int, stride) -> tuple[float, tuple[int, int]]:
    """The crude measure: compare ``phi(shift(x))`` with the nearest whole-pixel shifts of ``phi(x)``.

    ``x`` ``(N, C, H, W)``; ``phi`` maps it to ``(N, K, ceil(H / s_h), ceil(W / s_w))``. The output is compared
    with ``circular_shift(phi(x), th, tw)`` for ``th, tw`` the floor and the ceiling of ``down / s_h`` and
    ``right / s_w``. Returns the smallest :func:`relative_change` and the output shift that achieves it. For a
    fractional output shift this charges even an aliasing-free layer with the error of a half-pixel
    displacement; :func:`aliasing_error` does not.
    """
    s_h, s_w = as_pair(stride, "stride", "nearest_shift_error", 1)
    shifted = phi(circular_shift(x, down, right))
    reference = phi(x)
    best = None
    for th in sorted({down // s_h, -(-down // s_h)}):
        for tw in sorted({right // s_w, -(-right // s_w)}):
            error = relative_change(shifted, circular_shift(reference, th, tw))
            if best is None or error < best[0]:
                best = (error, (th, tw))
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

    ``x`` the input ``(H, W)``; ``gx`` the input shifted ``shift`` columns right (``T x``); ``phi_gx`` the
    feature map of ``gx``, ``(H, W)`` at stride 1 and ``(ceil(H/2), ceil(W/2))`` at stride 2;
    ``shifted_phi_x`` the feature map of ``x`` shifted by ``output_shift = shift / stride`` of its columns
    (``T' phi(x)``: :func:`circular_shift` for a whole number, :func:`fourier_shift` for a half);
    ``difference = phi_gx - shifted_phi_x``.
    """

    shift: int
    padding: str
    stride: int
    x: np.ndarray
    gx: np.ndarray
    phi_gx: np.ndarray
    shifted_phi_x: np.ndarray
    difference: np.ndarray
    output_shift: float

    @property
    def max_error(self) -> float:
        """``max |difference|`` over the whole map."""
        return float(np.max(np.abs(self.difference)))

    @property
    def border(self) -> int:
        """Columns at each side that hold every inexact column (stride 1): ``|shift| + filter radius``."""
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
    t = shift / stride
    shifted = fourier_shift(phi(x), 0, t)
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


def _describe_columns(columns, width, shift) -> str:
    """Name the inexact columns of a zero-padded 3x3 convolution: left edge, seam of the wrap-around, right edge."""
    seam = shift % width                      # the wrapped-in columns end just before this one
    left = [j for j in columns if j < FILTER_RADIUS]
    right = [j for j in columns if j >= width - FILTER_RADIUS]
    near_seam = [j for j in columns if seam - FILTER_RADIUS <= j <= seam + FILTER_RADIUS - 1 and j not in left + right]
    parts = []
    if left:
        parts.append(f"{left} at the left edge")
    if near_seam:
        parts.append(f"{near_seam} next to the seam between columns {seam - 1} and {seam}, where the columns that "
                     f"wrapped around meet the rest: there T′φ(x) holds the edge columns of φ(x), computed from "
                     f"padding zeros, while φ(T x) sees the wrapped-around pixels")
    if right:
        parts.append(f"{right} at the right edge")
    return "; ".join(parts)


def draw_equivariance(figure, shift: int, padding: str, stride: int) -> str:
    """Draw the shifted input, its feature map, the shifted feature map of the input, and the difference.

    Returns the caption: the size of the difference, and why it is (or is not) zero.
    """
    state = equivariance_state(shift, padding, stride)
    limit = float(np.max(np.abs(conv2d_same(IMAGE[None, None], FILTER[None, None], padding="zeros"))))
    axes = figure.subplots(1, 4, gridspec_kw={"wspace": 0.35})
    _show(axes[0], state.gx, f"input shifted {shift} px → (T x)", "gray")
    _show(axes[1], state.phi_gx, "feature map of it: φ(T x)", "RdBu_r", limit)
    _show(axes[2], state.shifted_phi_x, f"φ(x) shifted {state.output_shift:g} px → (T′φ(x))", "RdBu_r", limit)
    _show(axes[3], state.difference, "difference φ(T x) − T′φ(x)", "RdBu_r", limit)
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.16, top=0.88)

    H, W = state.phi_gx.shape
    direction = "right" if shift > 0 else "left" if shift < 0 else "no shift"
    padding_name = "zero" if padding == "zeros" else padding
    caption = (f"Shift {shift:+d} px ({direction}), {padding_name} padding, stride {stride} ({H}×{W} feature map): "
               f"max |φ(T x) − T′φ(x)| = {state.max_error:.3g}. ")
    if stride > 1 and shift % stride:
        caption += (f"A {shift}-pixel shift of the input is a {state.output_shift:g}-pixel shift of the output. No "
                    f"rearrangement of the coarse map's pixels does that, so the third panel is φ(x) shifted the way a "
                    f"band-limited signal shifts (Fourier interpolation). What remains "
                    f"is aliasing: detail of the stride-1 map finer than the coarse grid holds, folded back by "
                    f"keeping every second column")
        caption += (", plus the effects of the zero padding at the edges." if padding == "zeros" else ".")
    elif state.max_error < 1e-12:
        caption += "Exactly equivariant: shifting the input shifts the feature map"
        caption += f" by {state.output_shift:g} px." if stride > 1 else "."
    elif stride == 1:
        caption += (f"The difference lies only in columns {state.columns_that_differ}: "
                    f"{_describe_columns(state.columns_that_differ, W, shift)}. In each, one side is computed from a "
                    f"padding zero where the other sees a pixel; elsewhere the difference is "
                    f"{state.interior_error:.3g}.")
    else:
        caption += (f"The shift is a multiple of the stride, so the output moves {state.output_shift:g} px; "
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
