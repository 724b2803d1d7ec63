"""Max and average pooling written to be read: one loop iteration per output value.

These are the definitions the pooling chapter shows (``cb.max_pool2d_reference??``).
The fast functions in :mod:`cnnbook.pool` compute the same numbers and the tests
hold the two together. Same arguments and checks as the fast functions:
``x`` ``(N, C, H, W)``, ``dy`` ``(N, C, P, Q)``, and ``kernel_size``, ``stride``
(default: ``kernel_size``) and ``padding`` each an int or an ``(h, w)`` pair.

Both backward passes "upsample" ``dy``: every output gradient is sent back to
the inputs its window looked at, and where windows overlap the gradients add up.
"""

from __future__ import annotations

import numpy as np

from .pool import check_pool_arguments, check_pool_backward_arguments
from .spatial import crop2d, pad2d


def max_pool2d_reference(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Max pooling, ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C, P, Q)``; padding is ``-inf``, so it never wins."""
    x, windows = check_pool_arguments("max_pool2d_reference", x, kernel_size, stride, padding)
    (kh, kw), (sh, sw), (P, Q) = windows.kernel, windows.stride, windows.output
    x_padded = pad2d(x, windows.padding, value=-np.inf)  # (N, C, H + 2*ph, W + 2*pw)
    N, C = x.shape[:2]
    y = np.zeros((N, C, P, Q), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(P):
                for j in range(Q):
                    window = x_padded[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    y[n, c, i, j] = np.max(window)  # NaN in the window gives NaN
    return y


def max_pool2d_backward_reference(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of max pooling with respect to its input.

    ``dy`` ``(N, C, P, Q)`` and the forward input ``x`` ``(N, C, H, W)`` -> ``dx`` ``(N, C, H, W)``.

    Only the maximum of a window influenced the output, so ``dy[n, c, i, j]`` goes
    to that one input (the first maximum in row-major order, as ``np.argmax``
    picks it) and every other input of the window gets nothing: ``dy`` is
    upsampled through a mask of the winners.
    """
    dy, x, windows = check_pool_backward_arguments("max_pool2d_backward_reference", dy, x, kernel_size, stride, padding)
    (kh, kw), (sh, sw), (P, Q) = windows.kernel, windows.stride, windows.output
    x_padded = pad2d(x, windows.padding, value=-np.inf)  # (N, C, H + 2*ph, W + 2*pw)
    dx_padded = np.zeros_like(x_padded)
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            for i in range(P):
                for j in range(Q):
                    top, left = i * sh, j * sw
                    window = x_padded[n, c, top : top + kh, left : left + kw]
                    r, s = np.unravel_index(np.argmax(window), window.shape)
                    dx_padded[n, c, top + r, left + s] += dy[n, c, i, j]  # += : windows may overlap
    return crop2d(dx_padded, windows.padding)


def avg_pool2d_reference(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average pooling, ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C, P, Q)``; zero padding counts in the mean."""
    x, windows = check_pool_arguments("avg_pool2d_reference", x, kernel_size, stride, padding)
    (kh, kw), (sh, sw), (P, Q) = windows.kernel, windows.stride, windows.output
    x_padded = pad2d(x, windows.padding, value=0.0)  # (N, C, H + 2*ph, W + 2*pw)
    N, C = x.shape[:2]
    y = np.zeros((N, C, P, Q), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(P):
                for j in range(Q):
                    window = x_padded[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    y[n, c, i, j] = np.sum(window) / (kh * kw)
    return y


def avg_pool2d_backward_reference(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of average pooling with respect to its input.

    ``dy`` ``(N, C, P, Q)`` and the forward input ``x`` ``(N, C, H, W)`` -> ``dx`` ``(N, C, H, W)``.

    Every input of a window contributed ``1 / (kh * kw)`` of its output, so
    ``dy[n, c, i, j]`` is spread evenly over the window. The shares that land on
    the padding belong to no input and are dropped by cropping.
    """
    dy, x, windows = check_pool_backward_arguments("avg_pool2d_backward_reference", dy, x, kernel_size, stride, padding)
    (kh, kw), (sh, sw), (P, Q) = windows.kernel, windows.stride, windows.output
    dx_padded = pad2d(np.zeros_like(x), windows.padding)  # (N, C, H + 2*ph, W + 2*pw)
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            for i in range(P):
                for j in range(Q):
                    top, left = i * sh, j * sw
                    dx_padded[n, c, top : top + kh, left : left + kw] += dy[n, c, i, j] / (kh * kw)
    return crop2d(dx_padded, windows.padding)
