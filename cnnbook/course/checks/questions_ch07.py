"""Chapter 7 exercises: shifts, circular convolution, and measuring equivariance and invariance.

Conventions (the chapter's): ``x`` is ``(N, C, H, W)``; a shift by ``(down, right)`` moves the content
``down`` rows down and ``right`` columns right, wrapping around (``np.roll`` on axes 2 and 3); circular
padding pads a kernel ``(R, S)`` with ``(R-1)//2`` rows before and ``R//2`` after (columns alike),
taken from the opposite edge. ``phi`` in questions 3 and 4 is a :class:`FeatureMap`, an ordinary
callable ``phi(x)`` that the checks can send to the grader's kernel.

Every case of questions 3 and 4 has a clearly nonzero answer, and no two cases share one, so that a
function returning a constant (``return 0.0``) passes none of them: the cases where the error is exactly
0 (circular padding, global pooling) are what the exercise asks the learner to verify by hand.
"""

from __future__ import annotations

import numpy as np

from ...conv import conv2d
from ...teaching.demos.equivariance import (circular_shift, conv2d_circular, conv2d_same, equivariance_error, fourier_shift,
                                  invariance_error)
from ...pool import max_pool2d
from . import register
from .framework import Case, Mistake, Question


class FeatureMap:
    """``phi(x)``: a convolution (circular or zero padding, size kept), optionally ReLU, optionally pooling.

    ``w`` ``(K, C, R, S)``; ``position=True`` adds the fixed map ``j / W`` (the column index, as a coordinate
    channel would) after the convolution, which no shift moves; ``pool`` is ``None`` (``(N, K, H, W)`` out),
    ``"max2"`` (2x2 max pooling, stride 2), ``"global_avg"`` or ``"global_max"`` (``(N, K)`` out). Picklable
    and comparable, so that the grader can send it to a notebook's kernel and tell whether a submission
    modified it.
    """

    def __init__(self, w, padding: str = "circular", relu: bool = False, pool: str | None = None,
                 position: bool = False):
        self.w = np.array(w, dtype=np.float64)
        self.padding, self.relu, self.pool, self.position = padding, relu, pool, position

    def __call__(self, x):
        y = conv2d_same(x, self.w, padding=self.padding)
        if self.position:
            y = y + np.arange(y.shape[3]) / y.shape[3]
        if self.relu:
            y = np.maximum(y, 0.0)
        if self.pool == "max2":
            y = max_pool2d(y, 2)
        elif self.pool == "global_avg":
            y = y.mean(axis=(2, 3))
        elif self.pool == "global_max":
            y = y.max(axis=(2, 3))
        return y

    def __eq__(self, other):
        return (isinstance(other, FeatureMap) and np.array_equal(self.w, other.w)
                and (self.padding, self.relu, self.pool, self.position)
                == (other.padding, other.relu, other.pool, other.position))

    __hash__ = None

    def __repr__(self):
        K, C, R, S = self.w.shape
        parts = [f"conv {R}x{S} ({self.padding} padding, {C} -> {K} channels)"]
        if self.position:
            parts.append("plus the fixed map j / W (the column index)")
        if self.relu:
            parts.append("ReLU")
        if self.pool:
            parts.append({"max2": "2x2 max pooling, stride 2", "global_avg": "global average pooling",
                          "global_max": "global max pooling"}[self.pool])
        return "phi = " + ", then ".join(parts)


def _roll(x, down, right, axes=(2, 3)):
    return np.roll(x, (int(down), int(right)), axis=axes)


# --- circular_shift(x, down, right) -> x shifted ---------------------------------------------------------

_CHAPTER_X = np.arange(12.0).reshape(1, 1, 3, 4)


def _shift_cases() -> list[Case]:
    rng = np.random.default_rng(70)
    return [
        Case("the 3x4 grid 0 ... 11, one row down", (_CHAPTER_X, 1, 0)),
        Case("the 3x4 grid 0 ... 11, one column right", (_CHAPTER_X, 0, 1)),
        Case("a batch with channels, 2 down and 1 right: x (2, 3, 5, 6)", (rng.normal(size=(2, 3, 5, 6)), 2, 1)),
        Case("negative shifts, 1 up and 3 left: x (2, 2, 4, 5)", (rng.normal(size=(2, 2, 4, 5)), -1, -3)),
        Case("shifts larger than the image wrap around again: (down, right) = (4, 9) on 3x4",
             (rng.normal(size=(1, 2, 3, 4)), 4, 9)),
        Case("float32 stays float32: x (2, 1, 4, 4), (1, 2)", (rng.normal(size=(2, 1, 4, 4)).astype(np.float32), 1, 2)),
    ]


def _zero_fill(x, down, right):
    out = np.zeros_like(x)
    H, W = x.shape[2:]
    t_h, t_w = int(down), int(right)
    if abs(t_h) < H and abs(t_w) < W:
        out[:, :, max(t_h, 0):H + min(t_h, 0), max(t_w, 0):W + min(t_w, 0)] = \
            x[:, :, max(-t_h, 0):H + min(-t_h, 0), max(-t_w, 0):W + min(-t_w, 0)]
    return out


def _flat_roll(x, down, right):
    N, C, H, W = x.shape
    return np.roll(x.reshape(N, C, H * W), int(down) * W + int(right), axis=2).reshape(x.shape)


register(Question(
    name="circular_shift",
    function="circular_shift",
    chapter=7,
    reference=circular_shift,
    cases=_shift_cases,
    mistakes=(
        Mistake("the content moved the wrong way: shifting by (down, right) moves pixel (i, j) to "
                "(i + down, j + right), down and right for positive shifts (np.roll with +down and +right)",
                lambda x, down, right: _roll(x, -down, -right)),
        Mistake("the batch and channel axes were rolled: images and channels stay where they are; shift only "
                "the last two axes, H and W (axis=(2, 3))", lambda x, down, right: _roll(x, down, right, axes=(0, 1))),
        Mistake("down and right are swapped: down moves rows (axis 2), right moves columns (axis 3)",
                lambda x, down, right: _roll(x, right, down)),
        Mistake("zeros came in at the edge: in a circular shift the pixels that leave one edge come back in at "
                "the opposite edge (np.roll)", _zero_fill),
        Mistake("the image was rolled as one long row, so a pixel leaving the right edge reappears at the left of "
                "the NEXT row: roll rows and columns as two separate axes", _flat_roll),
    ),
))

# --- conv2d_circular(x, w) -> y -------------------------------------------------------------------------


def _conv_cases() -> list[Case]:
    rng = np.random.default_rng(71)
    hand_x = np.arange(16.0).reshape(1, 1, 4, 4)
    hand_w = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])[None, None]
    return [
        Case("a 4x4 grid 0 ... 15 and a 3x3 kernel with two nonzero weights", (hand_x, hand_w)),
        Case("a batch with channels, C = 3 != K = 4: x (2, 3, 5, 6), w (4, 3, 3, 3)",
             (rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(4, 3, 3, 3)))),
        Case("an even 2x2 kernel (the extra padding goes after): x (1, 2, 4, 5), w (3, 2, 2, 2)",
             (rng.normal(size=(1, 2, 4, 5)), rng.normal(size=(3, 2, 2, 2)))),
        Case("a non-square 3x2 kernel: x (2, 1, 5, 4), w (2, 1, 3, 2)",
             (rng.normal(size=(2, 1, 5, 4)), rng.normal(size=(2, 1, 3, 2)))),
        Case("a 5x5 kernel on a 5x6 image (the padding wraps two rows and columns): w (1, 1, 5, 5)",
             (rng.normal(size=(1, 1, 5, 6)), rng.normal(size=(1, 1, 5, 5)))),
        Case("a 1x1 kernel (no padding needed): x (2, 2, 3, 3), w (2, 2, 1, 1)",
             (rng.normal(size=(2, 2, 3, 3)), rng.normal(size=(2, 2, 1, 1)))),
    ]


def _wrap_conv(x, w, before_after, fill=None):
    """Pad x by ``before_after(R)`` rows and ``before_after(S)`` columns (wrap, or ``fill``), then a valid conv."""
    (top, bottom), (left, right) = before_after(w.shape[2]), before_after(w.shape[3])
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    padded = np.pad(x, widths, mode="wrap") if fill is None else np.pad(x, widths, constant_values=fill)
    return conv2d(padded, w)


def _swapped_padding(x, w):
    R, S = w.shape[2:]
    widths = ((0, 0), (0, 0), ((S - 1) // 2, S // 2), ((R - 1) // 2, R // 2))
    return conv2d(np.pad(x, widths, mode="wrap"), w)


register(Question(
    name="conv2d_circular",
    function="conv2d_circular",
    chapter=7,
    reference=lambda x, w: conv2d_circular(x, w),
    cases=_conv_cases,
    mistakes=(
        Mistake("x was padded with zeros: circular padding takes the missing rows and columns from the opposite "
                "edge, np.pad(x, ..., mode='wrap')", lambda x, w: _wrap_conv(x, w, lambda k: ((k - 1) // 2, k // 2), 0.0)),
        Mistake("the kernel was rotated by 180 degrees: a convolution layer computes cross-correlation, "
                "y[i, j] = sum_{r, s} w[r, s] * xpad[i + r, j + s], with the kernel as it is written",
                lambda x, w: conv2d_circular(x, w[:, :, ::-1, ::-1])),
        Mistake("an even kernel was padded on the wrong side: pad (R - 1) // 2 rows before and R // 2 after "
                "(the extra row goes at the bottom, the extra column at the right, as PyTorch's padding='same')",
                lambda x, w: _wrap_conv(x, w, lambda k: (k // 2, (k - 1) // 2))),
        Mistake("an even kernel was padded by R // 2 on both sides, one row and column too many: pad R - 1 rows in "
                "all, (R - 1) // 2 before and R // 2 after", lambda x, w: _wrap_conv(x, w, lambda k: (k // 2, k // 2))),
        Mistake("x was not padded: the output keeps the input's H x W only after R - 1 rows and S - 1 columns of "
                "wrapped padding", lambda x, w: conv2d(x, w)),
        Mistake("the row and column padding are swapped: the kernel's height R sets the rows, its width S the columns",
                _swapped_padding),
    ),
))

# --- equivariance_error(phi, x, down, right, border) -> float -----------------------------------------------


def _equivariance_cases() -> list[Case]:
    rng = np.random.default_rng(72)
    w3 = rng.normal(size=(1, 1, 3, 3))
    w_bank = rng.normal(size=(4, 3, 3, 3))
    w5 = rng.normal(size=(2, 1, 5, 5))
    x8 = rng.normal(size=(1, 1, 8, 8))
    xc = rng.normal(size=(2, 3, 8, 9))
    return [
        Case("zero padding, the whole map (border 0), shift (0, 2)", (FeatureMap(w3, "zeros"), x8, 0, 2, 0)),
        Case("zero padding, a border of 1 (too thin to hide the seam), shift (0, 3)",
             (FeatureMap(w3, "zeros"), rng.normal(size=(1, 1, 8, 8)), 0, 3, 1)),
        Case("zero padding and ReLU, a batch with channels, shift (-2, 3), border 0",
             (FeatureMap(w_bank, "zeros", relu=True), xc, -2, 3, 0)),
        Case("zero padding, 5x5 kernels and ReLU, shift (2, -1), border 2",
             (FeatureMap(w5, "zeros", relu=True), rng.normal(size=(1, 1, 9, 10)), 2, -1, 2)),
        Case("zero padding, a batch with channels, shift (1, 1), border 1",
             (FeatureMap(w_bank, "zeros"), xc, 1, 1, 1)),
        Case("circular padding plus a fixed map that depends on the column: position breaks equivariance, "
             "shift (1, 3), border 2", (FeatureMap(w3, position=True), x8, 1, 3, 2)),
    ]


def _summarise(difference: np.ndarray, reduce: str) -> float:
    """The error a learner might report: the largest |difference| (right), its mean, or its signed maximum."""
    if reduce == "mean":
        return float(np.mean(np.abs(difference)))
    if reduce == "signed":
        return float(np.max(difference))
    return float(np.max(np.abs(difference)))


def _eq_variant(phi, x, down, right, border, output_sign=1, compare="shifted", cut="both", reduce="max", axes=(2, 3)):
    y = phi(_roll(x, down, right, axes))
    target = _roll(phi(x), output_sign * down, output_sign * right, axes) if compare == "shifted" else phi(x)
    difference = y - target
    H, W = difference.shape[-2:]
    if cut == "both":
        difference = difference[..., border:H - border, border:W - border]
    elif cut == "top-left":
        difference = difference[..., border:, border:]
    return _summarise(difference, reduce)


register(Question(
    name="equivariance_error",
    function="equivariance_error",
    chapter=7,
    reference=equivariance_error,
    cases=_equivariance_cases,
    points=2.0,
    mistakes=(
        Mistake("this compares phi(shift(x)) with phi(x): that measures invariance. Equivariance compares it with "
                "the SHIFTED output, shift(phi(x))", lambda *a: _eq_variant(*a, compare="unshifted")),
        Mistake("the output was shifted the other way: shift phi(x) by the same (+down, +right) as the input",
                lambda *a: _eq_variant(*a, output_sign=-1)),
        Mistake("the border was not excluded: drop `border` rows and columns at each of the four edges "
                "before taking the maximum", lambda *a: _eq_variant(*a, cut="none")),
        Mistake("the border was dropped only at the top and left: drop it at the bottom and right as well "
                "(rows border:H-border, columns border:W-border)", lambda *a: _eq_variant(*a, cut="top-left")),
        Mistake("this is the mean absolute difference: the error is the largest one, np.max(np.abs(...))",
                lambda *a: _eq_variant(*a, reduce="mean")),
        Mistake("the absolute value is missing: a difference of -3 is as large an error as +3",
                lambda *a: _eq_variant(*a, reduce="signed")),
        Mistake("the shift moved the batch and channel axes: shift only H and W (axes 2 and 3)",
                lambda *a: _eq_variant(*a, axes=(0, 1))),
    ),
))

# --- invariance_error(phi, x, down, right) -> float ------------------------------------------------------


def _invariance_cases() -> list[Case]:
    rng = np.random.default_rng(73)
    w = rng.normal(size=(3, 1, 3, 3))
    w_bank = rng.normal(size=(4, 3, 3, 3))
    return [
        Case("global average pooling after a ZERO-padded convolution: the border still shows, shift (2, 3)",
             (FeatureMap(w, "zeros", relu=True, pool="global_avg"), rng.normal(size=(1, 1, 8, 8)), 2, 3)),
        Case("2x2 max pooling with stride 2: only approximately invariant, shift (0, 1)",
             (FeatureMap(w, relu=True, pool="max2"), rng.normal(size=(1, 1, 8, 8)), 0, 1)),
        Case("the convolution alone: equivariant, and therefore NOT invariant, shift (1, 1)",
             (FeatureMap(w), rng.normal(size=(1, 1, 8, 8)), 1, 1)),
        Case("2x2 max pooling, a batch with channels, a shift by a whole window (2, 2): the pooled map moves",
             (FeatureMap(w_bank, pool="max2"), rng.normal(size=(2, 3, 8, 8)), 2, 2)),
        Case("global max pooling after a convolution with a position-dependent map, shift (-1, 2)",
             (FeatureMap(w_bank, relu=True, pool="global_max", position=True), rng.normal(size=(2, 3, 8, 8)), -1, 2)),
    ]


def _inv_variant(phi, x, down, right, compare="unshifted", reduce="max"):
    y = phi(_roll(x, down, right))
    target = phi(x) if compare == "unshifted" else circular_shift(phi(x), down, right)
    difference = y - target
    return _summarise(difference, reduce)


register(Question(
    name="invariance_error",
    function="invariance_error",
    chapter=7,
    reference=invariance_error,
    cases=_invariance_cases,
    mistakes=(
        Mistake("this compares phi(shift(x)) with shift(phi(x)): that measures equivariance. Invariance compares "
                "it with phi(x) itself, unshifted", lambda *a: _inv_variant(*a, compare="shifted")),
        Mistake("this is the mean absolute difference: the error is the largest one, np.max(np.abs(...))",
                lambda *a: _inv_variant(*a, reduce="mean")),
        Mistake("the absolute value is missing: a difference of -3 is as large an error as +3",
                lambda *a: _inv_variant(*a, reduce="signed")),
    ),
))

# --- fourier_shift(y, t) -> y shifted t columns to the right as a band-limited signal -----------------------


def _fourier_cases() -> list[Case]:
    rng = np.random.default_rng(74)
    n = np.arange(16)
    wave = np.cos(2 * np.pi * n / 8).reshape(1, 1, 1, 16)
    stripes = np.tile([0.0, 1.0], 4).reshape(1, 1, 1, 8)
    return [
        Case("a cosine of period 8 on 16 columns, t = 0.5: expected cos(2 pi (j - 0.5) / 8)", (wave, 0.5)),
        Case("a whole shift, t = 3: the same as np.roll(y, 3, axis=3), x (2, 3, 4, 8)",
             (rng.normal(size=(2, 3, 4, 8)), 3.0)),
        Case("a negative fractional shift, t = -1.5: x (2, 2, 3, 8)", (rng.normal(size=(2, 2, 3, 8)), -1.5)),
        Case("an odd width, W = 7, t = 0.25: x (1, 2, 3, 7)", (rng.normal(size=(1, 2, 3, 7)), 0.25)),
        Case("a shift longer than the row wraps around: t = 6.5 on W = 6, the same as t = 0.5",
             (rng.normal(size=(1, 1, 2, 6)), 6.5)),
        Case("stripes 0 1 0 1 at the highest frequency, t = 0.5: the band-limited answer is their mean, 0.5",
             (stripes, 0.5)),
    ]


def _fourier_variant(y, t, frequencies="signed", sign=-1, scale=True, axis=3, real=True):
    W = y.shape[axis]
    f = np.fft.fftfreq(W) * W if frequencies == "signed" else np.arange(W)
    phase = np.exp(sign * 2j * np.pi * f * t / (W if scale else 1))
    shape = [1, 1, 1, 1]
    shape[axis] = W
    out = np.fft.ifft(np.fft.fft(y, axis=axis) * phase.reshape(shape), axis=axis)
    return np.real(out) if real else out


register(Question(
    name="fourier_shift",
    function="fourier_shift",
    chapter=7,
    reference=lambda y, t: fourier_shift(y, 0, t),
    cases=_fourier_cases,
    mistakes=(
        Mistake("the frequencies were taken as 0, 1, ..., W - 1: the coefficient at index W - 1 is frequency -1, "
                "so its phase must turn the other way; use the signed frequencies f = np.fft.fftfreq(W) * W",
                lambda y, t: _fourier_variant(y, t, frequencies="unsigned")),
        Mistake("the content moved left: a shift by t to the right multiplies the coefficient of frequency f by "
                "exp(-2j * pi * f * t / W), with a minus sign", lambda y, t: _fourier_variant(y, t, sign=1)),
        Mistake("the phase is missing its / W: the coefficient of frequency f turns by exp(-2j * pi * f * t / W)",
                lambda y, t: _fourier_variant(y, t, scale=False)),
        Mistake("the rows were shifted: t moves the content along the columns, the last axis (axis 3)",
                lambda y, t: _fourier_variant(y, t, axis=2)),
        Mistake("the result is complex: the input is real, so keep the real part of the inverse transform, "
                "np.real(np.fft.ifft(...))", lambda y, t: _fourier_variant(y, t, real=False)),
        Mistake("the shift was rounded to whole pixels (np.roll): a fractional shift must interpolate between "
                "the samples", lambda y, t: np.roll(y, int(np.round(t)), axis=3)),
    ),
))
