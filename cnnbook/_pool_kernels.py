"""numba kernels behind :mod:`cnnbook.pool`; :mod:`cnnbook.pool_reference` says what they compute.

Every kernel works on a stack of independent planes ``(N*C, H, W)`` and runs the
planes in parallel. A plane is read and written by one thread only, so the
backward scatter-adds never race and the result does not depend on the number
of threads. The caller allocates the output (``y`` or a zeroed ``dx``);
``kernel``, ``stride`` and ``padding`` are ``(h, w)`` pairs already checked.

Windows are not padded in memory: a window at output position ``(i, j)`` starts
at row ``i*sh - ph`` and column ``j*sw - pw`` of the plane and is clipped to it.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _clipped(start, length, size):
    """The part of ``range(start, start + length)`` inside ``range(size)``, as (first, stop)."""
    return max(start, 0), min(start + length, size)


@numba.njit(cache=True)
def _first_max(plane, top, left, kh, kw):
    """``(value, row, col)`` of the window's maximum, as ``np.argmax`` finds it on the padded window.

    The first maximum in row-major order wins; NaN counts as larger than every
    number. Padding is ``-inf``, so it wins only when every input in the window
    is ``-inf`` too and the window's first cell is padding; ``(row, col)`` is
    then outside the plane.
    """
    height, width = plane.shape
    best, best_row, best_col = -np.inf, top, left
    row_first, row_stop = _clipped(top, kh, height)
    col_first, col_stop = _clipped(left, kw, width)
    for row in range(row_first, row_stop):
        for col in range(col_first, col_stop):
            value = plane[row, col]
            if value > best or (np.isnan(value) and not np.isnan(best)):
                best, best_row, best_col = value, row, col
    return best, best_row, best_col


@numba.njit(cache=True, parallel=True)
def max_pool_forward(x, kernel, stride, padding, y):
    """``y[p, i, j]`` = max of the window at ``(i, j)`` of plane ``p``; ``x`` ``(NC, H, W)``, ``y`` ``(NC, P, Q)``."""
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    for p in numba.prange(x.shape[0]):
        for i in range(y.shape[1]):
            for j in range(y.shape[2]):
                y[p, i, j] = _first_max(x[p], i * sh - ph, j * sw - pw, kh, kw)[0]


@numba.njit(cache=True, parallel=True)
def max_pool_backward(dy, x, kernel, stride, padding, dx):
    """Add ``dy[p, i, j]`` into ``dx`` at the first maximum of window ``(i, j)``; ``dx`` shaped like ``x``."""
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    height, width = x.shape[1], x.shape[2]
    for p in numba.prange(x.shape[0]):
        for i in range(dy.shape[1]):
            for j in range(dy.shape[2]):
                _, row, col = _first_max(x[p], i * sh - ph, j * sw - pw, kh, kw)
                if 0 <= row < height and 0 <= col < width:
                    dx[p, row, col] += dy[p, i, j]


@numba.njit(cache=True, parallel=True)
def avg_pool_forward(x, kernel, stride, padding, y):
    """``y[p, i, j]`` = sum of the window's inputs / ``(kh * kw)``: zero padding counts in the mean."""
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    height, width = x.shape[1], x.shape[2]
    for p in numba.prange(x.shape[0]):
        for i in range(y.shape[1]):
            row_first, row_stop = _clipped(i * sh - ph, kh, height)
            for j in range(y.shape[2]):
                col_first, col_stop = _clipped(j * sw - pw, kw, width)
                total = 0.0
                for row in range(row_first, row_stop):
                    for col in range(col_first, col_stop):
                        total += x[p, row, col]
                y[p, i, j] = total / (kh * kw)


@numba.njit(cache=True, parallel=True)
def avg_pool_backward(dy, kernel, stride, padding, dx):
    """Spread ``dy[p, i, j] / (kh * kw)`` over the inputs of window ``(i, j)``; ``dx`` ``(NC, H, W)``."""
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    height, width = dx.shape[1], dx.shape[2]
    for p in numba.prange(dx.shape[0]):
        for i in range(dy.shape[1]):
            row_first, row_stop = _clipped(i * sh - ph, kh, height)
            for j in range(dy.shape[2]):
                col_first, col_stop = _clipped(j * sw - pw, kw, width)
                share = dy[p, i, j] / (kh * kw)
                for row in range(row_first, row_stop):
                    for col in range(col_first, col_stop):
                        dx[p, row, col] += share
