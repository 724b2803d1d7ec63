"""Chapter 3 exercises: one-channel correlation, the output-size formula (plain and dilated), a loop
convolution, and im2col."""

from __future__ import annotations

import math

import numpy as np

from ... import conv_output_size
from ...conv_reference import conv2d_reference
from ...teaching.demos.im2col import im2col as im2col_reference
from ...signal import convolve2d, correlate2d
from ...spatial import rot180
from . import register
from .framework import Case, Mistake, Question

# --- correlate2d_valid(x, k) -> y ---------------------------------------------------------------


def _correlation_cases() -> list[Case]:
    rng = np.random.default_rng(30)
    step_image = np.array([[1, 1, 1, 5, 5, 5]] * 5, dtype=float)
    edge_kernel = np.array([[-1, 0, 1]] * 3, dtype=float)
    return [
        Case("the chapter's 5x6 step image and 3x3 edge kernel", (step_image, edge_kernel)),
        Case("random 6x7 image, non-square 3x2 kernel", (rng.normal(size=(6, 7)), rng.normal(size=(3, 2)))),
        Case("random 5x5 image, 2x2 kernel", (rng.normal(size=(5, 5)), rng.normal(size=(2, 2)))),
        Case("kernel as large as the image (one output)", (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)))),
        Case("1x1 kernel", (rng.normal(size=(4, 3)), rng.normal(size=(1, 1)))),
    ]


register(Question(
    name="correlate2d_valid",
    function="correlate2d_valid",
    chapter=3,
    reference=lambda x, k: correlate2d(x, k, mode="valid"),
    cases=_correlation_cases,
    mistakes=(
        Mistake("the kernel is flipped: that is a true convolution; a CNN layer computes the cross-correlation "
                "y[i, j] = sum of x[i + r, j + s] k[r, s]", lambda x, k: convolve2d(x, k, mode="valid")),
        Mistake("the output is one row and one column too small: there are H - R + 1 window positions, not H - R",
                lambda x, k: correlate2d(x, k, mode="valid")[:-1, :-1]),
        Mistake("the output has the image's size ('same'): in 'valid' mode the kernel stays inside the image, "
                "so the output is (H - R + 1, W - S + 1)", lambda x, k: correlate2d(x, k, mode="same")),
        Mistake("the kernel's rows and columns are mixed up: x[i + r, j + s] pairs with k[r, s], not k[s, r]",
                lambda x, k: correlate2d(x, k.T, mode="valid")),
    ),
))

# --- conv_output_size(n, kernel_size, stride, padding) -> int ----------------------------------


def _size_cases() -> list[Case]:
    return [
        Case("200 input, 5x5 kernel, stride 2, padding 1 (the sources' first layer)", (200, 5, 2, 1)),
        Case("99 input, 3x3 pool, stride 1, no padding", (99, 3, 1, 0)),
        Case("32 input, 5x5 kernel, stride 1, no padding", (32, 5, 1, 0)),
        Case("7 input, 3x3 kernel, stride 2 (stride divides 7 - 3)", (7, 3, 2, 0)),
        Case("8 input, 3x3 kernel, stride 2 (it does not: a floor is needed)", (8, 3, 2, 0)),
        Case("5 input, 5x5 kernel (one position)", (5, 5, 1, 0)),
        Case("10 input, 4x4 kernel, stride 3, padding 2", (10, 4, 3, 2)),
    ]


register(Question(
    name="conv_output_size",
    function="conv_output_size",
    chapter=3,
    reference=lambda n, k, s, p: conv_output_size(n, k, s, p),
    cases=_size_cases,
    mistakes=(
        Mistake("rounding up: the last window must fit inside the padded input, so use floor (//), not ceil",
                lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1),
        Mistake("the '+ 1' is missing: the first window position counts too",
                lambda n, k, s, p: (n + 2 * p - k) // s),
        Mistake("the padding is added on one side only: it goes on both sides (2 * padding)",
                lambda n, k, s, p: (n + p - k) // s + 1),
        Mistake("the padding is ignored", lambda n, k, s, p: (n - k) // s + 1),
        Mistake("a float is returned (use // for integer division)", lambda n, k, s, p: (n + 2 * p - k) / s + 1),
    ),
))

# --- dilated_output_size(n, kernel_size, stride, padding, dilation) -> int ------------------------


def _dilated_size_cases() -> list[Case]:
    # chosen so that no two of the mistakes below give the same wrong answer on any case
    return [
        Case("8 input, 3-tap kernel, dilation 3 (it spans 7 inputs)", (8, 3, 1, 0, 3)),
        Case("32 input, 3-tap kernel, dilation 4, padding 4 (the size is kept)", (32, 3, 1, 4, 4)),
        Case("11 input, 3-tap kernel, stride 2, padding 1, dilation 3", (11, 3, 2, 1, 3)),
        Case("13 input, 3-tap kernel, stride 2, dilation 6 (one position)", (13, 3, 2, 0, 6)),
        Case("16 input, 4-tap kernel, stride 2, padding 3, dilation 3", (16, 4, 2, 3, 3)),
        Case("10 input, 3-tap kernel, stride 4, dilation 2 (a floor is needed)", (10, 3, 4, 0, 2)),
        Case("17 input, 3-tap kernel, stride 3, dilation 6 (a floor is needed)", (17, 3, 3, 0, 6)),
        Case("dilation 1: the sources' 32 -> 28 for a 5x5 kernel", (32, 5, 1, 0, 1)),
    ]


register(Question(
    name="dilated_output_size",
    function="dilated_output_size",
    chapter=3,
    reference=lambda n, k, s, p, d: conv_output_size(n, k, s, p, d),
    cases=_dilated_size_cases,
    mistakes=(
        Mistake("the dilation is ignored: a kernel with taps d apart spans d*(kernel_size - 1) + 1 inputs, "
                "which takes kernel_size's place in the formula", lambda n, k, s, p, d: (n + 2 * p - k) // s + 1),
        Mistake("the span is taken as d * kernel_size: k taps have k - 1 gaps of d, so the span is "
                "d*(kernel_size - 1) + 1", lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1),
        Mistake("the '+ 1' of the span is missing: from the first tap to the last is d*(kernel_size - 1) steps, "
                "which covers d*(kernel_size - 1) + 1 inputs",
                lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) // s + 1),
        Mistake("the d - 1 zeros were counted once instead of once per gap between taps: the span is "
                "kernel_size + (kernel_size - 1)*(d - 1) = d*(kernel_size - 1) + 1",
                lambda n, k, s, p, d: (n + 2 * p - (k + d - 1)) // s + 1),
        Mistake("rounding up: the last window must fit inside the padded input, so use floor (//), not ceil",
                lambda n, k, s, p, d: math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1),
        Mistake("a float is returned (use // for integer division)",
                lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) / s + 1),
    ),
))

# --- conv2d(x, w, b, stride, padding) -> y ------------------------------------------------------


def _conv_cases() -> list[Case]:
    rng = np.random.default_rng(3)

    def case(name, x_shape, w_shape, stride, padding):
        x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
        b = rng.normal(size=w_shape[0])
        return Case(f"{name}: x {x_shape}, w {w_shape}, stride {stride}, padding {padding}", (x, w, b, stride, padding))

    return [
        case("one channel, one filter", (1, 1, 4, 4), (1, 1, 2, 2), 1, 0),
        case("channels and filters (C=3, K=2)", (2, 3, 5, 5), (2, 3, 3, 3), 1, 0),
        case("padding", (1, 2, 4, 4), (3, 2, 3, 3), 1, 1),
        case("stride that does not divide", (2, 1, 8, 8), (2, 1, 3, 3), 2, 0),
        case("stride and padding", (1, 2, 7, 6), (2, 2, 3, 3), 2, 1),
        case("non-square kernel", (1, 1, 6, 5), (2, 1, 2, 3), 1, 0),
        case("1x1 kernel", (2, 3, 4, 4), (4, 3, 1, 1), 1, 0),
    ]


def _conv_as_convolution(x, w, b, stride, padding):
    return conv2d_reference(x, rot180(w), b, stride, padding)


def _conv_without_bias(x, w, b, stride, padding):
    return conv2d_reference(x, w, None, stride, padding)


def _conv_without_padding(x, w, b, stride, padding):
    return conv2d_reference(x, w, b, stride, 0)


def _conv_windows_at_stride_one(x, w, b, stride, padding):
    P, Q = conv2d_reference(x, w, b, stride, padding).shape[2:]
    return conv2d_reference(x, w, b, 1, padding)[:, :, :P, :Q]


def _conv_size_at_stride_one(x, w, b, stride, padding):
    return conv2d_reference(x, w, b, 1, padding)


def _conv_one_channel_only(x, w, b, stride, padding):
    return conv2d_reference(x[:, :1], w[:, :1], b, stride, padding)


register(Question(
    name="conv2d",
    function="conv2d",
    chapter=3,
    reference=conv2d_reference,
    cases=_conv_cases,
    mistakes=(
        Mistake("the filter is flipped: deep-learning 'convolution' is a cross-correlation, "
                "xpad[n, c, i*stride + r, j*stride + s] * w[k, c, r, s] with the filter as it is",
                _conv_as_convolution),
        Mistake("the bias b[k] is not added to every output of filter k", _conv_without_bias),
        Mistake("the padding is ignored: pad x with zeros first (np.pad on the last two axes)", _conv_without_padding),
        Mistake("the stride is ignored: window (i, j) starts at row i*stride, column j*stride",
                _conv_windows_at_stride_one),
        Mistake("the output size ignores the stride: P = (H + 2p - R) // stride + 1", _conv_size_at_stride_one),
        Mistake("only the first input channel is summed: each output sums over all C channels", _conv_one_channel_only),
    ),
))


# --- im2col(x, kernel_size, stride, padding) -> col ---------------------------------------------


def _im2col_cases() -> list[Case]:
    from ...teaching.demos.im2col import EXAMPLE_X

    rng = np.random.default_rng(31)
    return [
        Case("the chapter's figure: 2 channels of 3x3, 2x2 windows", (EXAMPLE_X.copy(), 2, 1, 0)),
        Case("3 channels of 5x6, 3x3 windows, stride 2, padding 1", (rng.normal(size=(3, 5, 6)), 3, 2, 1)),
        Case("2 channels of 6x5, 2x2 windows, stride 3 (it does not divide)", (rng.normal(size=(2, 6, 5)), 2, 3, 0)),
        Case("2 channels of 4x4, 3x3 windows, padding 1", (rng.normal(size=(2, 4, 4)), 3, 1, 1)),
        Case("1 channel of 4x3, 1x1 windows", (rng.normal(size=(1, 4, 3)), 1, 1, 0)),
    ]


def _windows_as_rows(x, k, s, p):
    return im2col_reference(x, k, s, p).T.copy()


def _channels_last(x, k, s, p):
    col = im2col_reference(x, k, s, p)
    C = x.shape[0]
    return col.reshape(C, k, k, -1).transpose(1, 2, 0, 3).reshape(col.shape).copy()


def _windows_column_major(x, k, s, p):
    col = im2col_reference(x, k, s, p)
    P = conv_output_size(x.shape[1], k, s, p)
    Q = conv_output_size(x.shape[2], k, s, p)
    return col.reshape(-1, P, Q).transpose(0, 2, 1).reshape(col.shape).copy()


register(Question(
    name="im2col",
    function="im2col",
    chapter=3,
    reference=lambda x, k, s, p: im2col_reference(x, k, s, p),
    cases=_im2col_cases,
    mistakes=(
        Mistake("the windows are rows, not columns: col is (C*R*S, P*Q), one column per window, so that "
                "w.reshape(K, C*R*S) @ col works", _windows_as_rows),
        Mistake("a window's numbers are in the order (r, s, c), channels last: list them as w[k].ravel() lists "
                "a filter's weights, (c, r, s), row (c*R + r)*S + s", _channels_last),
        Mistake("the windows are numbered column by column: window (i, j) is column i*Q + j (row by row, "
                "like the output y[k, i, j])", _windows_column_major),
        Mistake("the padding is ignored: pad x with zeros first (np.pad on the last two axes)",
                lambda x, k, s, p: im2col_reference(x, k, s, 0)),
        Mistake("the stride is ignored: window (i, j) starts at row i*stride, column j*stride",
                lambda x, k, s, p: im2col_reference(x, k, 1, p)),
    ),
))
