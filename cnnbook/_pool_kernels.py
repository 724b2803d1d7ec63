"""numba kernels behind :mod:`cnnbook.pool`; :mod:`cnnbook.pool_reference` says what they compute.

Every kernel works on the planes ``first`` to ``stop`` of a stack of independent
planes ``(N*C, H, W)``; :mod:`cnnbook.pool` runs chunks of planes in parallel
(:mod:`cnnbook._parallel`). A plane is read and written by one thread only, so the
backward scatter-adds never race and the result does not depend on the number
of threads. The caller allocates the output (``y`` or a zeroed ``dx``);
``kernel``, ``stride`` and ``padding`` are ``(h, w)`` pairs already checked.

Windows are not padded in memory: a window at output position ``(i, j)`` starts
at row ``i*sh - ph`` and column ``j*sw - pw`` of the plane and is clipped to it.

Max pooling has a second path for the 2x2 windows side by side (stride 2, no
padding) that nearly every CNN uses, the book's LeNet included: the four cells
are compared without clipping and without branches on the data (which real
feature maps make the processor mispredict), so LLVM vectorises the loop. It
finds the same maximum, and the same first one, as :func:`_first_max`, several
times faster. The forward pass records where each maximum is; the backward pass
only follows those positions (:func:`max_pool_backward`). Average pooling has such a path
too: the same sums in the same order, unclipped, which LLVM vectorises.

The small helpers are ``inline="always"``: numba writes them into each kernel that calls them
instead of compiling each on its own, which shortens the first call on an empty cache.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _clipped(start, length, size):
    """The part of ``range(start, start + length)`` inside ``range(size)``, as (first, stop)."""
    return max(start, 0), min(start + length, size)


@numba.njit(cache=True, inline="always")
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


@numba.njit(cache=True, inline="always")
def _takes(value, best):
    """Whether ``value`` replaces ``best`` as a window's maximum so far: larger, or the first NaN."""
    return (value > best) | (np.isnan(value) & (not np.isnan(best)))


@numba.njit(cache=True, inline="always")
def _is_max(value, best):
    """1 if ``value`` is the window's maximum ``best`` (or NaN, which a NaN maximum comes from), else 0."""
    return np.int32((value == best) | np.isnan(value))


@numba.njit(cache=True, inline="always")
def _first_max_2x2(plane, top, left):
    """``(value, row * W + col)`` of the first maximum of the 2x2 window at ``(top, left)``, inside ``plane``.

    The maximum comes from selects; which cell holds it first, ``k`` in 0..3 in row-major
    order, from arithmetic on the comparisons: no branch on the data, so LLVM vectorises it.
    """
    a, b = plane[top, left], plane[top, left + 1]
    c, d = plane[top + 1, left], plane[top + 1, left + 1]
    best = a
    best = b if _takes(b, best) else best
    best = c if _takes(c, best) else best
    best = d if _takes(d, best) else best
    first_a, first_b, first_c = _is_max(a, best), _is_max(b, best), _is_max(c, best)
    k = (1 - first_a) * (1 + (1 - first_b) * (1 + (1 - first_c)))  # 0 if a, else 1 if b, else 2 if c, else 3
    return best, np.int32((top + (k >> 1)) * plane.shape[1] + left + (k & 1))


@numba.njit(cache=True, inline="always")
def _side_by_side_2x2(kernel, stride, padding):
    """Whether the windows are 2x2, stride 2, no padding: the case :func:`_first_max_2x2` computes."""
    return kernel[0] == kernel[1] == stride[0] == stride[1] == 2 and padding[0] == padding[1] == 0


@numba.njit(cache=True, nogil=True)
def max_pool_forward(x, kernel, stride, padding, y, where, first, stop):
    """``y[p, i, j]`` = max of the window at ``(i, j)`` of plane ``p``; ``x`` ``(NC, H, W)``, ``y`` ``(NC, P, Q)``.

    ``where`` ``(NC, P, Q)`` int32 receives the position of that first maximum in its plane,
    ``row * W + col`` (as PyTorch's ``return_indices``), or -1 when it is padding.
    """
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    height, width = x.shape[1], x.shape[2]
    pairs = _side_by_side_2x2(kernel, stride, padding)
    for p in range(first, stop):
        plane, out, at = x[p], y[p], where[p]
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                if pairs:
                    out[i, j], at[i, j] = _first_max_2x2(plane, 2 * i, 2 * j)
                    continue
                out[i, j], row, col = _first_max(plane, i * sh - ph, j * sw - pw, kh, kw)
                at[i, j] = np.int32(row * width + col if 0 <= row < height and 0 <= col < width else -1)


@numba.njit(cache=True, nogil=True)
def max_pool_backward(dy, where, dx, first, stop):
    """Add ``dy[p, i, j]`` into ``dx[p]`` at ``where[p, i, j]``, the position :func:`max_pool_forward`
    found for the window's maximum (nothing for -1); ``dx`` ``(NC, H, W)``.

    The gradient is a scatter from the forward pass's positions rather than a second search for
    the maxima: a search compares data the forward pass read long before (no longer in cache) and
    branches on it, which the processor cannot predict; this only follows the indices.
    """
    for p in range(first, stop):
        grad, at, plane = dy[p], where[p], dx[p].reshape(-1)
        for i in range(grad.shape[0]):
            for j in range(grad.shape[1]):
                if at[i, j] >= 0:
                    plane[at[i, j]] += grad[i, j]


@numba.njit(cache=True, nogil=True)
def avg_pool_forward(x, kernel, stride, padding, y, first, stop):
    """``y[p, i, j]`` = sum of the window's inputs / ``(kh * kw)``: zero padding counts in the mean.

    Each window's inputs are added up in float64, in row-major order, from +0.0.
    """
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    height, width = x.shape[1], x.shape[2]
    pairs = _side_by_side_2x2(kernel, stride, padding)
    for p in range(first, stop):
        for i in range(y.shape[1]):
            if pairs:  # the same sums, without clipping: LLVM vectorises the loop over j
                top, below = x[p, 2 * i], x[p, 2 * i + 1]
                for j in range(y.shape[2]):
                    total = 0.0
                    total += top[2 * j]
                    total += top[2 * j + 1]
                    total += below[2 * j]
                    total += below[2 * j + 1]
                    y[p, i, j] = total / 4
                continue
            row_first, row_stop = _clipped(i * sh - ph, kh, height)
            for j in range(y.shape[2]):
                col_first, col_stop = _clipped(j * sw - pw, kw, width)
                total = 0.0
                for row in range(row_first, row_stop):
                    for col in range(col_first, col_stop):
                        total += x[p, row, col]
                y[p, i, j] = total / (kh * kw)


@numba.njit(cache=True, nogil=True)
def avg_pool_backward(dy, kernel, stride, padding, dx, first, stop):
    """Spread ``dy[p, i, j] / (kh * kw)`` (in float64) over the inputs of window ``(i, j)``; ``dx`` ``(NC, H, W)``.

    Each input adds its windows' shares in their row-major order. 2x2 windows side by side share no
    input, so each of their inputs is its window's share plus the 0 ``dx`` held.
    """
    kh, kw = kernel
    sh, sw = stride
    ph, pw = padding
    height, width = dx.shape[1], dx.shape[2]
    pairs = _side_by_side_2x2(kernel, stride, padding)
    for p in range(first, stop):
        for i in range(dy.shape[1]):
            if pairs:
                top, below, grad = dx[p, 2 * i], dx[p, 2 * i + 1], dy[p, i]
                for j in range(dy.shape[2]):
                    share = grad[j] / 4
                    top[2 * j] += share
                    top[2 * j + 1] += share
                    below[2 * j] += share
                    below[2 * j + 1] += share
                continue
            row_first, row_stop = _clipped(i * sh - ph, kh, height)
            for j in range(dy.shape[2]):
                col_first, col_stop = _clipped(j * sw - pw, kw, width)
                share = dy[p, i, j] / (kh * kw)
                for row in range(row_first, row_stop):
                    for col in range(col_first, col_stop):
                        dx[p, row, col] += share
