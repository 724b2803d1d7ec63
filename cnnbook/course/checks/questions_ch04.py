"""Chapter 4 exercises: the backward pass of one 2-D correlation, zero insertion, a whole layer's ``(dx, dw, db)``,
the input sizes a transposed convolution must choose between, and one gradient-descent step on a filter."""

from __future__ import annotations

import numpy as np

from ...conv import conv2d, conv2d_backward
from ...conv_reference import conv2d_backward_reference
from ...conv_transpose import conv_input_sizes
from ...signal import convolve2d, correlate2d
from ...spatial import crop2d, insert_zeros2d, pad2d, rot180
from . import register
from .framework import Case, Mistake, Question


# --- conv_single_backward(dO, X, F) -> (dX, dF): one channel, valid, stride 1 -------------------


def _single_cases() -> list[Case]:
    rng = np.random.default_rng(40)

    def case(name, x_shape, f_shape):
        P, Q = x_shape[0] - f_shape[0] + 1, x_shape[1] - f_shape[1] + 1
        return Case(f"{name}: X {x_shape}, F {f_shape}",
                    (rng.normal(size=(P, Q)), rng.normal(size=x_shape), rng.normal(size=f_shape)))

    X = np.array([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])
    F = np.array([[1., 2.], [3., 4.]])
    dO = np.array([[1., -1.], [2., 1.]])
    return [
        Case("the chapter's 3x3 X, 2x2 F and dL/dO", (dO, X, F)),
        case("random, square", (5, 5), (3, 3)),
        case("non-square input and filter", (6, 4), (2, 3)),
        case("a 1x1 filter (dX = dO * F, dF = sum of dO * X)", (4, 3), (1, 1)),
        case("the filter as large as the input (one output)", (3, 4), (3, 4)),
        case("a row vector", (1, 6), (1, 3)),
    ]


def _single_reference(dO, X, F):
    return correlate2d(dO, rot180(F), mode="full"), correlate2d(X, dO, mode="valid")


def _single_not_rotated(dO, X, F):
    return correlate2d(dO, F, mode="full"), correlate2d(X, dO, mode="valid")


def _single_df_convolution(dO, X, F):
    return correlate2d(dO, rot180(F), mode="full"), convolve2d(X, dO, mode="valid")


def _single_df_rotated(dO, X, F):
    return correlate2d(dO, rot180(F), mode="full"), rot180(correlate2d(X, dO, mode="valid"))


def _single_df_transposed(dO, X, F):
    return correlate2d(dO, rot180(F), mode="full"), correlate2d(X.T, dO.T, mode="valid")


def _single_dx_valid(dO, X, F):
    return correlate2d(dO, rot180(F), mode="valid"), correlate2d(X, dO, mode="valid")


def _single_dx_same(dO, X, F):
    return correlate2d(dO, rot180(F), mode="same"), correlate2d(X, dO, mode="valid")


def _single_swapped(dO, X, F):
    dX, dF = _single_reference(dO, X, F)
    return dF, dX


register(Question(
    name="conv_single_backward",
    function="conv_single_backward",
    chapter=4,
    forbidden=("cnnbook.signal.correlate2d", "cnnbook.signal.convolve2d", "cnnbook.conv.conv2d_backward"),
    reference=_single_reference,
    cases=_single_cases,
    output_names=("dX", "dF"),
    mistakes=(
        Mistake("the filter is not rotated in dX: dX[u, v] = sum of dO[i, j] F[u - i, v - j], i.e. the full "
                "correlation of dO with rot180(F), not with F (a full *convolution* with rot180(F) flips twice and "
                "gives this same wrong answer)", _single_not_rotated),
        Mistake("dF is a true convolution (dO flipped): dF[r, s] = sum of dO[i, j] X[i + r, j + s] slides dO "
                "over X without flipping it", _single_df_convolution),
        Mistake("dF is rotated by 180 degrees (the roles of X and dO swapped): dF[r, s] pairs dO[i, j] with "
                "X[i + r, j + s]", _single_df_rotated),
        Mistake("dF is transposed (rows and columns mixed up): dF[r, s] = sum of dO[i, j] X[i + r, j + s], "
                "with r the row offset", _single_df_transposed),
        Mistake("dX does not have the shape of X: use the full correlation (dO bordered with R - 1 rows and "
                "S - 1 columns of zeros on every side), which gives (P + R - 1, Q + S - 1) = (H, W)",
                _single_dx_valid),
        Mistake("dX has the shape of dO ('same' mode): it must have the shape of X, so use the full correlation",
                _single_dx_same),
        Mistake("dX and dF are returned in the wrong order: return (dX, dF)", _single_swapped),
    ),
))


# --- insert_zeros(dy, stride) -> the gradient spread onto the stride-1 grid ---------------------


def _insert_zeros_cases() -> list[Case]:
    rng = np.random.default_rng(41)
    return [
        Case("a 2x2 gradient, stride 2 (the picture in the chapter)", (np.arange(1.0, 5.0).reshape(1, 1, 2, 2), 2)),
        Case("stride 1 leaves dy as it is", (rng.normal(size=(1, 2, 3, 3)), 1)),
        Case("non-square 3x2, stride 3", (rng.normal(size=(1, 1, 3, 2)), 3)),
        Case("a batch with several filters, stride 2", (rng.normal(size=(2, 3, 2, 3)), 2)),
        Case("a single output value (1x1), stride 2", (rng.normal(size=(2, 1, 1, 1)), 2)),
    ]


def _insert_zeros_trailing(dy, stride):
    N, K, P, Q = dy.shape
    out = np.zeros((N, K, P * stride, Q * stride))
    out[:, :, ::stride, ::stride] = dy
    return out


def _insert_zeros_stride_zeros(dy, stride):
    return insert_zeros2d(dy, (stride + 1, stride + 1))


def _insert_zeros_rows_only(dy, stride):
    return insert_zeros2d(dy, (stride, 1))


register(Question(
    name="insert_zeros",
    function="insert_zeros",
    chapter=4,
    reference=lambda dy, stride: insert_zeros2d(dy, (stride, stride)),
    cases=_insert_zeros_cases,
    mistakes=(
        Mistake("zeros after the last entry too: the zero-inserted grid is (P - 1) * stride + 1 long, not P * stride",
                _insert_zeros_trailing),
        Mistake("stride zeros between neighbours instead of stride - 1: entries sit `stride` apart",
                _insert_zeros_stride_zeros),
        Mistake("zeros are inserted between the rows only: the columns need the same zeros", _insert_zeros_rows_only),
        Mistake("dy is returned unchanged: a strided layer's gradient must be spread onto the stride-1 grid",
                lambda dy, stride: dy.copy()),
    ),
))


# --- conv2d_backward(dy, x, w, stride, padding) -> (dx, dw, db) ---------------------------------


def _cases() -> list[Case]:
    rng = np.random.default_rng(4)

    def case(name, x_shape, w_shape, stride, padding):
        x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
        P = (x_shape[2] + 2 * padding - w_shape[2]) // stride + 1
        Q = (x_shape[3] + 2 * padding - w_shape[3]) // stride + 1
        dy = rng.normal(size=(x_shape[0], w_shape[0], P, Q))
        return Case(f"{name}: x {x_shape}, w {w_shape}, stride {stride}, padding {padding}", (dy, x, w, stride, padding))

    return [
        case("the 3x3 X and 2x2 F of the chapter", (1, 1, 3, 3), (1, 1, 2, 2), 1, 0),
        case("a batch with channels and filters", (2, 3, 5, 5), (2, 3, 3, 3), 1, 0),
        case("padding", (2, 2, 4, 4), (3, 2, 3, 3), 1, 1),
        case("stride 2", (1, 2, 7, 7), (2, 2, 3, 3), 2, 0),
        case("stride that does not divide H - R", (2, 1, 8, 8), (2, 1, 3, 3), 2, 0),
        case("stride and padding", (2, 2, 6, 7), (2, 2, 3, 2), 2, 1),
    ]


def _backward(dy, x, w, stride, padding, rotate=True, insert_zeros=True, crop=True):
    """The reference recipe with one step switchable off, to reproduce a learner's mistake."""
    N, C, H, W = x.shape
    K, _, R, S = w.shape
    dy_grid = insert_zeros2d(dy, (stride, stride)) if insert_zeros else dy
    # rows and columns of the padded input that no window reaches get zero gradient
    extra_h = H + 2 * padding - R + 1 - dy_grid.shape[2]
    extra_w = W + 2 * padding - S + 1 - dy_grid.shape[3]
    dy_grid = np.pad(dy_grid, ((0, 0), (0, 0), (0, max(extra_h, 0)), (0, max(extra_w, 0))))
    filters = rot180(w) if rotate else w
    dx_padded = np.zeros((N, C) + (dy_grid.shape[2] + R - 1, dy_grid.shape[3] + S - 1))
    dw = np.zeros(w.shape)
    x_padded = pad2d(x, (padding, padding))
    for n in range(N):
        for k in range(K):
            for c in range(C):
                dx_padded[n, c] += correlate2d(dy_grid[n, k], filters[k, c], mode="full")
                dw[k, c] += correlate2d(x_padded[n, c], dy_grid[n, k])[:R, :S]
    dx = crop2d(dx_padded, (padding, padding)) if crop else dx_padded
    return dx, dw, dy.sum(axis=(0, 2, 3))


def _dw_from_last_sample(dy, x, w, stride, padding):
    dx, _, db = conv2d_backward_reference(dy, x, w, stride, padding)
    return dx, conv2d_backward_reference(dy[-1:], x[-1:], w, stride, padding)[1], db


def _dw_averaged(dy, x, w, stride, padding):
    dx, dw, db = conv2d_backward_reference(dy, x, w, stride, padding)
    return dx, dw / x.shape[0], db


def _db_per_sample(dy, x, w, stride, padding):
    dx, dw, _ = conv2d_backward_reference(dy, x, w, stride, padding)
    return dx, dw, dy.sum(axis=(2, 3))


def _db_over_all_axes(dy, x, w, stride, padding):
    dx, dw, _ = conv2d_backward_reference(dy, x, w, stride, padding)
    return dx, dw, np.full(w.shape[0], dy.sum())


register(Question(
    name="conv2d_backward",
    function="conv2d_backward",
    chapter=4,
    reference=conv2d_backward_reference,
    cases=_cases,
    output_names=("dx", "dw", "db"),
    mistakes=(
        Mistake("the filter is not rotated in dx: dx is the full correlation of dy with rot180(w), "
                "not with w", lambda *a: _backward(*a, rotate=False)),
        Mistake("the stride is not applied in the backward pass: insert (stride - 1) zeros between the "
                "entries of dy before correlating", lambda *a: _backward(*a, insert_zeros=False)),
        Mistake("the padding is not cropped: dx must have the shape of x, so drop `padding` rows and "
                "columns from each side of the padded gradient", lambda *a: _backward(*a, crop=False)),
        Mistake("dw is not summed over the batch (it holds only one sample's gradient: use += over n)",
                _dw_from_last_sample),
        Mistake("dw is averaged over the batch; the gradient of a sum is the sum of the gradients",
                _dw_averaged),
        Mistake("db is summed on the wrong axes: sum dy over the batch and both spatial axes, (0, 2, 3)",
                _db_per_sample),
        Mistake("db sums over every axis, mixing the filters: keep one entry per filter, axes (0, 2, 3)",
                _db_over_all_axes),
    ),
))


# --- conv_input_sizes(P, kernel_size, stride, padding) -> every H that gives P --------------------


def _input_sizes_cases() -> list[Case]:
    return [
        Case("the chapter's example: P 4, kernel 3, stride 2, padding 1 (7 and 8)", (4, 3, 2, 1)),
        Case("stride 1: one size only", (5, 3, 1, 0)),
        Case("stride 3, no padding", (3, 2, 3, 0)),
        Case("kernel 5, stride 2, padding 2", (6, 5, 2, 2)),
        Case("a single output position, kernel 4, stride 4", (1, 4, 4, 0)),
        Case("a 1x1 kernel, stride 5", (2, 1, 5, 0)),
    ]


def _smallest(P, kernel_size, stride, padding):
    return (P - 1) * stride - 2 * padding + kernel_size


register(Question(
    name="conv_input_sizes",
    function="conv_input_sizes",
    chapter=4,
    reference=conv_input_sizes,
    cases=_input_sizes_cases,
    mistakes=(
        Mistake("only the smallest size: the floor in P = floor((H + 2p - R) / s) + 1 lets stride consecutive "
                "sizes H give the same P", lambda P, k, s, p: [_smallest(P, k, s, p)]),
        Mistake("one size too many: (H + 2p - R) / s < P, so H + 2p - R <= (P - 1) s + s - 1; there are exactly "
                "stride sizes", lambda P, k, s, p: list(range(_smallest(P, k, s, p), _smallest(P, k, s, p) + s + 1))),
        Mistake("one size too few: the sizes run from (P - 1) s - 2p + R up to that plus stride - 1, inclusive",
                lambda P, k, s, p: list(range(_smallest(P, k, s, p), _smallest(P, k, s, p) + s - 1))),
        Mistake("the padding is ignored: the padded length H + 2p, not H, holds the windows",
                lambda P, k, s, p: list(range(_smallest(P, k, s, 0), _smallest(P, k, s, 0) + s))),
        Mistake("the padding is counted once: it is added on both sides, so subtract 2p",
                lambda P, k, s, p: list(range(_smallest(P, k, s, p) + p, _smallest(P, k, s, p) + p + s))),
        Mistake("P windows need only P - 1 strides: the first window starts at 0, the last at (P - 1) s",
                lambda P, k, s, p: list(range(_smallest(P, k, s, p) + s, _smallest(P, k, s, p) + 2 * s))),
    ),
))


# --- kernel_gradient_step(w, x, y, lr) -> w after one step of gradient descent -------------------


def _step_cases() -> list[Case]:
    rng = np.random.default_rng(42)

    def case(name, x_shape, w_shape, lr):
        x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
        P, Q = x_shape[2] - w_shape[2] + 1, x_shape[3] - w_shape[3] + 1
        y = rng.normal(size=(x_shape[0], w_shape[0], P, Q))
        return Case(f"{name}: x {x_shape}, w {w_shape}, lr {lr}", (w, x, y, lr))

    x = rng.normal(size=(2, 1, 5, 5))
    w = rng.normal(size=(1, 1, 3, 3))
    return [
        case("two images, one filter", (2, 1, 6, 6), (1, 1, 3, 3), 0.1),
        case("a batch of three images", (3, 1, 5, 5), (1, 1, 3, 3), 0.5),
        case("two channels, two filters, non-square kernel", (2, 2, 5, 6), (2, 2, 3, 2), 0.2),
        Case("y already equals conv2d(x, w): the gradient is 0, w stays", (w, x, conv2d(x, w), 0.3)),
    ]


def _step_reference(w, x, y, lr):
    """One step of gradient descent on L(w) = sum((conv2d(x, w) - y)**2) / (2 M), M = y.size."""
    residual = conv2d(x, w) - y
    dw = conv2d_backward(residual / residual.size, x, w)[1]
    return w - lr * dw


def _step(w, x, y, lr, scale=lambda residual, x: residual / residual.size, ascent=False, rotate=False):
    """The step with one learner's mistake switched on."""
    residual = conv2d(x, w) - y
    dw = conv2d_backward(scale(residual, x), x, w)[1]
    if rotate:
        dw = rot180(dw)
    return w + lr * dw if ascent else w - lr * dw


register(Question(
    name="kernel_gradient_step",
    function="kernel_gradient_step",
    chapter=4,
    reference=_step_reference,
    cases=_step_cases,
    mistakes=(
        Mistake("the step goes uphill: subtract lr * dw (and take dy = (conv2d(x, w) - y) / M, not y - conv2d(x, w))",
                lambda *a: _step(*a, ascent=True)),
        Mistake("dy is not divided by M = y.size: the loss is a mean over every output value, "
                "so dy = (conv2d(x, w) - y) / M",
                lambda *a: _step(*a, scale=lambda residual, x: residual)),
        Mistake("dy is divided by the batch size N only: the mean runs over every output value, M = y.size = N*K*P*Q",
                lambda *a: _step(*a, scale=lambda residual, x: residual / x.shape[0])),
        Mistake("dy is twice too large: the 1/2 in the loss cancels the 2 from differentiating the square",
                lambda *a: _step(*a, scale=lambda residual, x: 2 * residual / residual.size)),
        Mistake("dw is rotated by 180 degrees: the filter gradient is a cross-correlation of x with dy, no flip",
                lambda *a: _step(*a, rotate=True)),
    ),
))
