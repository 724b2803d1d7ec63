"""Chapter 7 exercises: shifts, circular convolution, and measuring equivariance and invariance.

Conventions (the chapter's): ``x`` is ``(N, C, H, W)``; a shift by ``(dy, dx)`` moves the content
``dy`` rows down and ``dx`` columns right, wrapping around (``np.roll`` on axes 2 and 3); circular
padding pads a kernel ``(R, S)`` with ``(R-1)//2`` rows before and ``R//2`` after (columns alike),
taken from the opposite edge. ``phi`` in questions 3 and 4 is a :class:`FeatureMap`, an ordinary
callable ``phi(x)`` that the checks can send to the grader's kernel.
"""

from __future__ import annotations

import numpy as np

from ..conv import conv2d
from ..demos.equivariance import circular_shift, conv2d_circular, conv2d_same, equivariance_error, invariance_error
from ..pool import max_pool2d
from . import register
from .framework import Case, Mistake, Question


class FeatureMap:
    """``phi(x)``: a convolution (circular or zero padding, size kept), optionally ReLU, optionally pooling.

    ``w`` ``(K, C, R, S)``; ``pool`` is ``None`` (``(N, K, H, W)`` out), ``"max2"`` (2x2 max pooling,
    stride 2), ``"global_avg"`` or ``"global_max"`` (``(N, K)`` out). Picklable and comparable, so that
    the grader can send it to a notebook's kernel and tell whether a submission modified it.
    """

    def __init__(self, w, padding: str = "circular", relu: bool = False, pool: str | None = None):
        self.w = np.array(w, dtype=np.float64)
        self.padding, self.relu, self.pool = padding, relu, pool

    def __call__(self, x):
        y = conv2d_same(x, self.w, padding=self.padding)
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
                and (self.padding, self.relu, self.pool) == (other.padding, other.relu, other.pool))

    __hash__ = None

    def __repr__(self):
        K, C, R, S = self.w.shape
        parts = [f"conv {R}x{S} ({self.padding} padding, {C} -> {K} channels)"]
        if self.relu:
            parts.append("ReLU")
        if self.pool:
            parts.append({"max2": "2x2 max pooling, stride 2", "global_avg": "global average pooling",
                          "global_max": "global max pooling"}[self.pool])
        return "phi = " + ", then ".join(parts)


def _roll(x, dy, dx, axes=(2, 3)):
    return np.roll(x, (int(dy), int(dx)), axis=axes)


# --- circular_shift(x, dy, dx) -> x shifted ---------------------------------------------------------------

_CHAPTER_X = np.arange(12.0).reshape(1, 1, 3, 4)


def _shift_cases() -> list[Case]:
    rng = np.random.default_rng(70)
    return [
        Case("the 3x4 grid 0 ... 11, one row down", (_CHAPTER_X, 1, 0)),
        Case("the 3x4 grid 0 ... 11, one column right", (_CHAPTER_X, 0, 1)),
        Case("a batch with channels, 2 down and 1 right: x (2, 3, 5, 6)", (rng.normal(size=(2, 3, 5, 6)), 2, 1)),
        Case("negative shifts, 1 up and 3 left: x (2, 2, 4, 5)", (rng.normal(size=(2, 2, 4, 5)), -1, -3)),
        Case("shifts larger than the image wrap around again: (dy, dx) = (4, 9) on 3x4",
             (rng.normal(size=(1, 2, 3, 4)), 4, 9)),
        Case("float32 stays float32: x (2, 1, 4, 4), (1, 2)", (rng.normal(size=(2, 1, 4, 4)).astype(np.float32), 1, 2)),
    ]


def _zero_fill(x, dy, dx):
    out = np.zeros_like(x)
    H, W = x.shape[2:]
    dy, dx = int(dy), int(dx)
    if abs(dy) < H and abs(dx) < W:
        out[:, :, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            x[:, :, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def _flat_roll(x, dy, dx):
    N, C, H, W = x.shape
    return np.roll(x.reshape(N, C, H * W), int(dy) * W + int(dx), axis=2).reshape(x.shape)


register(Question(
    name="circular_shift",
    function="circular_shift",
    chapter=7,
    reference=circular_shift,
    cases=_shift_cases,
    mistakes=(
        Mistake("the content moved the wrong way: shifting by (dy, dx) moves pixel (i, j) to (i + dy, j + dx), "
                "down and right for positive shifts (np.roll with +dy and +dx)", lambda x, dy, dx: _roll(x, -dy, -dx)),
        Mistake("the batch and channel axes were rolled: images and channels stay where they are; shift only "
                "the last two axes, H and W (axis=(2, 3))", lambda x, dy, dx: _roll(x, dy, dx, axes=(0, 1))),
        Mistake("dy and dx are swapped: dy moves rows (axis 2, downwards), dx moves columns (axis 3, to the right)",
                lambda x, dy, dx: _roll(x, dx, dy)),
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

# --- equivariance_error(phi, x, dy, dx, border) -> float ----------------------------------------------------


def _equivariance_cases() -> list[Case]:
    rng = np.random.default_rng(72)
    w3 = rng.normal(size=(1, 1, 3, 3))
    w_bank = rng.normal(size=(4, 3, 3, 3))
    w5 = rng.normal(size=(2, 1, 5, 5))
    x8 = rng.normal(size=(1, 1, 8, 8))
    xc = rng.normal(size=(2, 3, 8, 9))
    return [
        Case("circular padding: exactly equivariant (about 0)", (FeatureMap(w3), x8, 1, 2, 0)),
        Case("circular padding and ReLU, a batch with channels, shift (-2, 3)",
             (FeatureMap(w_bank, relu=True), xc, -2, 3, 0)),
        Case("zero padding, the whole map (border 0): not 0", (FeatureMap(w3, "zeros"), x8, 0, 2, 0)),
        Case("zero padding without a border of |shift| + 1 = 3: about 0", (FeatureMap(w3, "zeros"), x8, 0, 2, 3)),
        Case("zero padding, a border of 1 (too thin to hide the seam)", (FeatureMap(w3, "zeros"), x8, 0, 2, 1)),
        Case("zero padding, 5x5 kernels, shift (2, -1), border 2",
             (FeatureMap(w5, "zeros", relu=True), rng.normal(size=(1, 1, 9, 10)), 2, -1, 2)),
        Case("zero padding, a batch with channels, shift (1, 1), border 1",
             (FeatureMap(w_bank, "zeros"), xc, 1, 1, 1)),
    ]


def _summarise(difference: np.ndarray, reduce: str) -> float:
    """The error a learner might report: the largest |difference| (right), its mean, or its signed maximum."""
    if reduce == "mean":
        return float(np.mean(np.abs(difference)))
    if reduce == "signed":
        return float(np.max(difference))
    return float(np.max(np.abs(difference)))


def _eq_variant(phi, x, dy, dx, border, output_sign=1, compare="shifted", cut="both", reduce="max", axes=(2, 3)):
    y = phi(_roll(x, dy, dx, axes))
    target = _roll(phi(x), output_sign * dy, output_sign * dx, axes) if compare == "shifted" else phi(x)
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
        Mistake("the output was shifted the other way: shift phi(x) by the same (+dy, +dx) as the input",
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

# --- invariance_error(phi, x, dy, dx) -> float ----------------------------------------------------------


def _invariance_cases() -> list[Case]:
    rng = np.random.default_rng(73)
    w = rng.normal(size=(3, 1, 3, 3))
    w_bank = rng.normal(size=(4, 3, 3, 3))
    return [
        Case("global average pooling after a circular convolution: exactly invariant (about 0)",
             (FeatureMap(w, relu=True, pool="global_avg"), rng.normal(size=(1, 1, 8, 8)), 2, 3)),
        Case("global max pooling, a batch with channels, shift (-1, 2)",
             (FeatureMap(w_bank, relu=True, pool="global_max"), rng.normal(size=(2, 3, 8, 8)), -1, 2)),
        Case("2x2 max pooling with stride 2: only approximately invariant, shift (0, 1)",
             (FeatureMap(w, relu=True, pool="max2"), rng.normal(size=(1, 1, 8, 8)), 0, 1)),
        Case("the convolution alone: equivariant, and therefore NOT invariant",
             (FeatureMap(w), rng.normal(size=(1, 1, 8, 8)), 1, 1)),
        Case("2x2 max pooling, a shift by a whole window (2, 2)",
             (FeatureMap(w_bank, pool="max2"), rng.normal(size=(2, 3, 8, 8)), 2, 2)),
    ]


def _inv_variant(phi, x, dy, dx, compare="unshifted", reduce="max"):
    y = phi(_roll(x, dy, dx))
    target = phi(x) if compare == "unshifted" else circular_shift(phi(x), dy, dx)
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
