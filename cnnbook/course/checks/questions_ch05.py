"""Chapter 5 exercises: max and average pooling, forward and backward, written with loops,
then global average pooling and its backward pass.

The pooling functions take the package's arguments: ``x (N, C, H, W)`` (and ``dy (N, C, P, Q)``
first for the backward passes), then ``kernel_size``, ``stride`` and ``padding``, each an int or
an ``(h, w)`` pair. Max pooling pads with ``-inf``; average pooling pads with zeros that count in
the mean; a tie sends the gradient to the first maximum in row-major order. Global average
pooling takes ``x (N, C, H, W)`` to ``y (N, C)``; its backward pass takes ``dy (N, C)`` and ``x``.
"""

from __future__ import annotations

import numpy as np

from ...pool_reference import (
    avg_pool2d_backward_reference,
    avg_pool2d_reference,
    max_pool2d_backward_reference,
    max_pool2d_reference,
)
from . import register
from .framework import Case, Mistake, Question


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def _geometry(x_shape, kernel_size, stride, padding):
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size), _pair(stride), _pair(padding)
    P = (x_shape[2] + 2 * ph - kh) // sh + 1
    Q = (x_shape[3] + 2 * pw - kw) // sw + 1
    return (kh, kw), (sh, sw), (ph, pw), (P, Q)


def _describe(x_shape, kernel_size, stride, padding) -> str:
    return f"x {tuple(x_shape)}, kernel_size {kernel_size}, stride {stride}, padding {padding}"


# --- the chapter's small arrays -----------------------------------------------------------------------

_CHAPTER_X = np.array([[1, 3, 2, 0],
                       [4, 2, 1, 5],
                       [0, 1, 6, 2],
                       [3, 2, 4, 0]], dtype=float)[None, None]
_CHAPTER_X5 = np.array([[18, 5, 20, 4, 16],
                        [13, 11, 1, 21, 19],
                        [9, 8, 2, 24, 15],
                        [14, 7, 17, 6, 25],
                        [23, 3, 22, 10, 12]], dtype=float)[None, None]
_CHAPTER_TIE = np.array([[1.0, 3.0], [3.0, 2.0]])[None, None]


def _forward_inputs(seed: int) -> list[tuple[str, np.ndarray, object, object, object]]:
    """(name, x, kernel_size, stride, padding) for both forward passes."""
    rng = np.random.default_rng(seed)
    return [
        ("the chapter's 4x4 map, 2x2 windows side by side", _CHAPTER_X, 2, 2, 0),
        ("a batch with channels", rng.normal(size=(2, 3, 4, 6)), 2, 2, 0),
        ("3x3 windows with stride 1 (they overlap)", _CHAPTER_X5, 3, 1, 0),
        ("a stride that does not divide (the last row and column are in no window)", rng.normal(size=(1, 2, 8, 7)), 3, 2, 0),
        ("padding on an all-negative map (the chapter's -1 ... -9)", -np.arange(1.0, 10.0).reshape(1, 1, 3, 3), 2, 2, 1),
        ("padding, random", rng.normal(size=(2, 1, 5, 6)), 3, 2, 1),
        ("a non-square window, stride and padding given as pairs", rng.normal(size=(2, 2, 7, 9)), (3, 2), (2, 1), (1, 1)),
        ("a stride larger than the window (some cells are in no window)", rng.normal(size=(1, 1, 7, 7)), 2, 3, 0),
    ]


def _forward_cases(seed: int):
    def cases() -> list[Case]:
        return [Case(f"{name}: {_describe(x.shape, k, s, p)}", (x, k, s, p)) for name, x, k, s, p in _forward_inputs(seed)]
    return cases


def _backward_cases(seed: int, forward, extra=()):
    def cases() -> list[Case]:
        rng = np.random.default_rng(seed)
        inputs = list(_forward_inputs(seed)) + [(name, make(rng), k, s, p) for name, make, k, s, p in extra]
        result = []
        for name, x, k, s, p in inputs:
            shape = forward(x, k, s, p).shape
            dy = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None] if x is _CHAPTER_X else rng.normal(size=shape)
            if x is _CHAPTER_TIE:
                dy = np.ones(shape)
            result.append(Case(f"{name}: {_describe(x.shape, k, s, p)}", (dy, x, k, s, p)))
        return result
    return cases


def _pool_loops(x, kernel_size, stride, padding, reduce, pad_value, use_stride=True, use_padding=True,
                transpose_kernel=False):
    """Forward pooling by loops, with one learner's slip switchable on."""
    (kh, kw), (sh, sw), (ph, pw), (P, Q) = _geometry(x.shape, kernel_size, stride, padding)
    if transpose_kernel:
        kh, kw = kw, kh
        P, Q = (x.shape[2] + 2 * ph - kh) // sh + 1, (x.shape[3] + 2 * pw - kw) // sw + 1
    if not use_padding:
        ph = pw = 0
        P, Q = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    if not use_stride:
        sh = sw = 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    real = np.pad(np.ones(x.shape), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros(x.shape[:2] + (P, Q))
    for i in range(P):
        for j in range(Q):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            y[:, :, i, j] = reduce(xp[:, :, rows, cols], real[:, :, rows, cols], kh * kw)
    return y


def _max(window, real, size):
    return window.max(axis=(2, 3))


def _sum(window, real, size):
    return window.sum(axis=(2, 3))


def _mean(window, real, size):
    return window.sum(axis=(2, 3)) / size


def _mean_of_real(window, real, size):
    return window.sum(axis=(2, 3)) / real.sum(axis=(2, 3))


# --- max_pool2d(x, kernel_size, stride, padding) -> y ----------------------------------------------


register(Question(
    name="max_pool2d",
    function="max_pool2d",
    chapter=5,
    reference=max_pool2d_reference,
    cases=_forward_cases(50),
    mistakes=(
        Mistake("the padding is zeros: max pooling pads with -inf, so that a padded cell never wins "
                "(zeros beat every negative value)", lambda *a: _pool_loops(*a, _max, 0.0)),
        Mistake("the padding is ignored: pad x with padding rows and columns of -inf on each side first; "
                "P = (H + 2*padding - kh) // stride + 1", lambda *a: _pool_loops(*a, _max, -np.inf, use_padding=False)),
        Mistake("the stride is ignored: window (i, j) starts at row i*stride, column j*stride",
                lambda *a: _pool_loops(*a, _max, -np.inf, use_stride=False)),
        Mistake("the window's height and width are swapped: kernel_size (kh, kw) means kh rows and kw columns",
                lambda *a: _pool_loops(*a, _max, -np.inf, transpose_kernel=True)),
        Mistake("this is the mean of each window: max pooling keeps its largest value",
                lambda *a: _pool_loops(*a, _mean, 0.0)),
    ),
))

# --- avg_pool2d(x, kernel_size, stride, padding) -> y ----------------------------------------------


register(Question(
    name="avg_pool2d",
    function="avg_pool2d",
    chapter=5,
    reference=avg_pool2d_reference,
    cases=_forward_cases(51),
    mistakes=(
        Mistake("the window is summed but not divided by the window size kh * kw", lambda *a: _pool_loops(*a, _sum, 0.0)),
        Mistake("the sum is divided by the number of real (non-padding) cells: the padded zeros count in the mean, "
                "so divide every window by kh * kw (PyTorch's count_include_pad=True)",
                lambda *a: _pool_loops(*a, _mean_of_real, 0.0)),
        Mistake("the padding is ignored: pad x with zeros first; P = (H + 2*padding - kh) // stride + 1",
                lambda *a: _pool_loops(*a, _mean, 0.0, use_padding=False)),
        Mistake("the stride is ignored: window (i, j) starts at row i*stride, column j*stride",
                lambda *a: _pool_loops(*a, _mean, 0.0, use_stride=False)),
        Mistake("the window's height and width are swapped: kernel_size (kh, kw) means kh rows and kw columns",
                lambda *a: _pool_loops(*a, _mean, 0.0, transpose_kernel=True)),
        Mistake("this is the maximum of each window: average pooling keeps its mean",
                lambda *a: _pool_loops(*a, _max, -np.inf)),
    ),
))

# --- the backward passes, with switchable slips ----------------------------------------------------


def _scatter(dy, x, kernel_size, stride, padding, share, pad_value=0.0, add="add", crop=True):
    """Send each dy[n, c, i, j] to its window through ``share(window, g) -> (kh, kw) array``."""
    (kh, kw), (sh, sw), (ph, pw), (P, Q) = _geometry(x.shape, kernel_size, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    real = np.pad(np.ones(x.shape), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros(xp.shape)
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            for i in range(P):
                for j in range(Q):
                    rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                    part = share(xp[n, c, rows, cols], real[n, c, rows, cols], dy[n, c, i, j])
                    if add == "cells":       # dx[cell] = dy for the winner only
                        dxp[n, c, rows, cols] = np.where(part != 0, part, dxp[n, c, rows, cols])
                    elif add == "window":    # dx[window] = share for the whole window
                        dxp[n, c, rows, cols] = part
                    else:
                        dxp[n, c, rows, cols] += part
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] if crop else dxp


def _first_max(window, real, g):
    out = np.zeros(window.shape)
    out[np.unravel_index(np.argmax(window), window.shape)] = g
    return out


def _last_max(window, real, g):
    flat = window.ravel()
    out = np.zeros(window.size)
    out[len(flat) - 1 - np.argmax(flat[::-1])] = g
    return out.reshape(window.shape)


def _every_max(window, real, g):
    return np.where(window == window.max(), g, 0.0)


def _split_max(window, real, g):
    winners = window == window.max()
    return np.where(winners, g / winners.sum(), 0.0)


def _whole_window(window, real, g):
    return np.full(window.shape, g)


def _value_back(window, real, g):
    out = np.zeros(window.shape)
    out[np.unravel_index(np.argmax(window), window.shape)] = window.max()
    return out


def _even_share(window, real, g):
    return np.full(window.shape, g / window.size)


def _copy_share(window, real, g):
    return np.full(window.shape, float(g))


def _real_share(window, real, g):
    return real * g / real.sum()


# --- avg_pool2d_backward(dy, x, kernel_size, stride, padding) -> dx --------------------------------


def _avg_backward_reference(dy, x, kernel_size, stride, padding):
    return avg_pool2d_backward_reference(dy, x, kernel_size, stride, padding)


register(Question(
    name="avg_pool2d_backward",
    function="avg_pool2d_backward",
    chapter=5,
    forbidden=("cnnbook.pool.avg_pool2d_backward",),
    reference=_avg_backward_reference,
    cases=_backward_cases(52, avg_pool2d_reference),
    mistakes=(
        Mistake("dy is copied to every cell of the window without dividing: each cell contributed 1/(kh*kw) of the "
                "output, so it receives dy / (kh*kw)", lambda *a: _scatter(*a, _copy_share)),
        Mistake("dy is divided by the number of real (non-padding) cells: the forward pass divided every window by "
                "kh * kw, padding included, so every cell gets dy / (kh*kw)", lambda *a: _scatter(*a, _real_share)),
        Mistake("the padding is not cropped: dx must have the shape of x, so drop `padding` rows and columns from "
                "each side of the padded gradient", lambda *a: _scatter(*a, _even_share, crop=False)),
        Mistake("the gradient is overwritten (=) where windows overlap: a cell in several windows collects a share "
                "from each of them, so add (+=) into the window", lambda *a: _scatter(*a, _even_share, add="window")),
    ),
))

# --- max_pool2d_backward(dy, x, kernel_size, stride, padding) -> dx --------------------------------


def _max_backward_reference(dy, x, kernel_size, stride, padding):
    return max_pool2d_backward_reference(dy, x, kernel_size, stride, padding)


_TIE_CASES = (
    ("the chapter's tie [[1, 3], [3, 2]]", lambda rng: _CHAPTER_TIE, 2, 2, 0),
    ("small integers, many ties", lambda rng: rng.integers(0, 3, size=(2, 2, 4, 6)).astype(float), 2, 2, 0),
    ("3x3 windows with stride 1 over small integers (overlap and ties)",
     lambda rng: rng.integers(0, 4, size=(1, 2, 6, 6)).astype(float), 3, 1, 0),
    ("a constant map (every cell ties)", lambda rng: np.full((1, 1, 4, 4), 2.0), 2, 2, 0),
)

register(Question(
    name="max_pool2d_backward",
    function="max_pool2d_backward",
    chapter=5,
    forbidden=("cnnbook.pool.max_pool2d_backward",),
    reference=_max_backward_reference,
    cases=_backward_cases(53, max_pool2d_reference, _TIE_CASES),
    points=2.0,
    mistakes=(
        Mistake("at a tie the gradient went to every maximum (an equality mask, dx = (x == max) * dy, sends one full "
                "copy of dy to each tied cell, so the window passes on a multiple of dy): it must go to ONE cell, the "
                "first maximum in row-major order (what np.argmax returns), so that each dy arrives exactly once",
                lambda *a: _scatter(*a, _every_max, -np.inf)),
        Mistake("at a tie the gradient was split among the maxima (what centred finite differences measure): a valid "
                "subgradient, but the book, like PyTorch, gives all of it to the first maximum in row-major order",
                lambda *a: _scatter(*a, _split_max, -np.inf)),
        Mistake("at a tie the gradient went to the LAST maximum (a comparison with >= keeps replacing it): give it to "
                "the first one in row-major order, as np.argmax does", lambda *a: _scatter(*a, _last_max, -np.inf)),
        Mistake("the gradient went to every cell of the window: only the maximum influenced the output, the other "
                "cells get 0", lambda *a: _scatter(*a, _whole_window, -np.inf)),
        Mistake("the maximum's value was written back: the cell that won receives the upstream gradient dy, not the "
                "forward maximum", lambda *a: _scatter(*a, _value_back, -np.inf)),
        Mistake("the gradient is overwritten (=) where windows overlap: a cell that wins several windows collects "
                "dy from each of them, so add (+=)", lambda *a: _scatter(*a, _first_max, -np.inf, add="cells")),
        Mistake("the padding is not cropped: dx must have the shape of x, so drop `padding` rows and columns from "
                "each side of the padded gradient", lambda *a: _scatter(*a, _first_max, -np.inf, crop=False)),
        Mistake("x was padded with zeros: a padded zero can beat the negative values and take their gradient; pad "
                "with -inf, as in the forward pass", lambda *a: _scatter(*a, _first_max, 0.0)),
    ),
))

# --- global_avg_pool2d(x) -> y (N, C) and global_avg_pool2d_backward(dy, x) -> dx ----------------------


def _global_avg_pool2d_reference(x):
    """``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C)``: average pooling with one window as large as the map."""
    return avg_pool2d_reference(x, tuple(x.shape[2:]), 1, 0)[:, :, 0, 0]


def _global_avg_pool2d_backward_reference(dy, x):
    """``dy`` ``(N, C)``, ``x`` ``(N, C, H, W)`` -> ``dx`` ``(N, C, H, W)``: ``dy / (H*W)`` in every cell."""
    return avg_pool2d_backward_reference(dy[:, :, None, None], x, tuple(x.shape[2:]), 1, 0)


def _global_inputs(seed: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        ("the chapter's 4x4 map (mean 36/16 = 2.25)", _CHAPTER_X),
        ("a batch of feature maps", rng.normal(size=(2, 3, 4, 6))),
        ("a non-square map", rng.normal(size=(1, 2, 3, 7))),
        ("1x1 maps (global pooling changes nothing but the shape)", rng.normal(size=(3, 4, 1, 1))),
        ("the last maps of a small network, 7x7", rng.normal(size=(2, 8, 7, 7))),
    ]


def _global_forward_cases() -> list[Case]:
    return [Case(f"{name}: x {x.shape}", (x,)) for name, x in _global_inputs(54)]


def _global_backward_cases() -> list[Case]:
    rng = np.random.default_rng(55)
    return [Case(f"{name}: x {x.shape}, dy {x.shape[:2]}", (rng.normal(size=x.shape[:2]), x))
            for name, x in _global_inputs(55)]


register(Question(
    name="global_avg_pool2d",
    function="global_avg_pool2d",
    chapter=5,
    forbidden=("cnnbook.pool.avg_pool2d",),
    reference=_global_avg_pool2d_reference,
    cases=_global_forward_cases,
    mistakes=(
        Mistake("each map is summed but not divided by its size: the mean divides by H * W",
                lambda x: x.sum(axis=(2, 3))),
        Mistake("the result keeps the spatial axes, shape (N, C, 1, 1): global average pooling returns one number per "
                "channel, shape (N, C) (use x.mean(axis=(2, 3)) without keepdims)",
                lambda x: x.mean(axis=(2, 3), keepdims=True)),
        Mistake("the channels are averaged too: pooling never mixes channels, so average over the axes H and W only "
                "(axis=(2, 3))", lambda x: x.mean(axis=(1, 2, 3))),
        Mistake("the batch is averaged too: every image keeps its own numbers, so average over the axes H and W only "
                "(axis=(2, 3))", lambda x: x.mean(axis=(0, 2, 3))),
        Mistake("this is the maximum of each map (global max pooling): global average pooling keeps the mean",
                lambda x: x.max(axis=(2, 3))),
    ),
))


def _gradient_to_the_maximum(dy, x):
    dx = np.zeros(x.shape)
    N, C, H, W = x.shape
    for n in range(N):
        for c in range(C):
            dx[n, c][np.unravel_index(np.argmax(x[n, c]), (H, W))] = dy[n, c]
    return dx


register(Question(
    name="global_avg_pool2d_backward",
    function="global_avg_pool2d_backward",
    chapter=5,
    forbidden=("cnnbook.pool.avg_pool2d_backward",),
    reference=_global_avg_pool2d_backward_reference,
    cases=_global_backward_cases,
    mistakes=(
        Mistake("dy is copied to every cell without dividing: each of the H * W cells contributed 1/(H*W) of the mean, "
                "so each receives dy / (H*W)",
                lambda dy, x: np.broadcast_to(dy[:, :, None, None], x.shape).astype(float)),
        Mistake("dx has shape (N, C, 1, 1): broadcast dy / (H*W) over every cell, so that dx has the shape of x",
                lambda dy, x: dy[:, :, None, None] / (x.shape[2] * x.shape[3])),
        Mistake("dy is divided by C * H * W (the size of a whole image): each channel's mean is over its own H * W "
                "cells, so divide by H * W",
                lambda dy, x: np.broadcast_to(dy[:, :, None, None], x.shape) / np.prod(x.shape[1:])),
        Mistake("the whole gradient went to the largest cell, as in max pooling: every cell of the map is in the mean, "
                "so every cell receives dy / (H*W)", _gradient_to_the_maximum),
    ),
))
