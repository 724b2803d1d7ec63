"""numba kernels behind :mod:`cnnbook.conv`; :mod:`cnnbook.conv_reference` is their readable twin.

**The im2col trick.** Every window of one image, ``C*R*S`` numbers, is copied
into one column of a matrix ``col`` ``(C*R*S, P*Q)``:
``col[(c*R + r)*S + s, i*Q + j] = xpad[c, i*sh + r, j*sw + s]``. A convolution
of that image is then one matrix product, and so is each half of its backward
pass (``w2 = w.reshape(K, C*R*S)``, ``dy[n]`` seen as ``(K, P*Q)``)::

    y[n]  = w2 @ col                 forward
    dw2  += dy[n] @ col.T            weight gradient, summed over the batch
    dcol  = w2.T @ dy[n]             input gradient, still in window form;
    dx[n] = col2im(dcol)             each pixel adds up its entries in every window

The matrices are built one group of samples at a time (one buffer per chunk of
the batch), never for the whole batch, so the extra memory stays a small
fraction of a layer's input (a 1x1 kernel at stride 1 without padding needs no
copy at all: each image already is its matrix ``(C, H*W)``). Otherwise each sample
is first copied into a zero-bordered buffer, so the copies that build them need no
bounds logic. They index flat
arrays with unsigned integers: numba then skips its negative-index check, and
LLVM turns the copies into vector loads and stores.

**The products are BLAS's.** ``np.dot`` inside a numba kernel calls the ``gemm``
that SciPy exports, a routine tuned for the machine's vector units and caches
(packed panels, register tiles) that no loop written here matches: on the book's
machine it runs 1.4-3x faster than the register-blocked loops this module used
to have. cnnbook's thread pool runs the chunks in parallel, and while it does, the
BLAS is held to one thread (:mod:`cnnbook._blas`), so each product runs on the
thread that calls it and no BLAS worker spins on another's core.

**Products of about ``GROUP_COLUMNS`` windows.** A small map has few windows (16 on
a 4x4 map), and a product that narrow is mostly overhead: so the windows of several
samples go side by side, and one product covers the group (the forward pass then copies
each sample's columns of the output to its place; the backward pass computes
``dw2 += dy[group] @ col[group].T`` once per group). A large map has too many: the
windows of a 32x32 map with 64 channels and a 3x3 kernel fill 2.4 MB, more than a core's
L2 cache, and the product would read them back from farther away. So a large map is
cut into blocks of output rows, one product per block, whose windows stay in cache
between being copied and being multiplied (30% faster on that layer). The buffers stay
about ``GROUP_COLUMNS`` columns wide, whatever the batch and map size. When the caller
does not want the input gradient (the first layer of a network), it is not computed.

Every parallel loop writes outputs no other iteration touches (whole samples, or
one partial weight gradient per chunk, added up afterwards in chunk order), and
the number of chunks depends on the shapes only, so results are identical
on every run and for any number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

# The batch is cut into this many chunks (fewer for small batches); each has its own weight gradient.
CHUNKS = 8
# Products cover the windows of about this many positions (several samples' on small maps, a block of
# rows on large ones): narrower ones spend their time in BLAS's set-up, wider ones spill out of L2.
GROUP_COLUMNS = 256
# A chunk is worth its buffers and its turn in the thread pool from about this many multiply-adds on.
MIN_CHUNK_WORK = 1 << 20


@numba.njit(cache=True)
def pad_into(image, out, ph, pw):
    """``out[:, ph:ph+H, pw:pw+W] = image`` ``(C, H, W)``; the border of ``out`` is left as it is (zero)."""
    C, H, W = image.shape
    Hp, Wp = out.shape[1:]
    src, dst = image.reshape(-1), out.reshape(-1)
    for c in range(C):
        for h in range(H):
            start = (c * Hp + ph + h) * Wp + pw
            for v in range(W):
                dst[np.uint64(start + v)] = src[np.uint64((c * H + h) * W + v)]


@numba.njit(cache=True)
def crop_into(padded, out, ph, pw):
    """``out`` ``(C, H, W)`` = ``padded[:, ph:ph+H, pw:pw+W]``: the inverse of :func:`pad_into`.

    Plain loops: numba compiles the equivalent slice assignment several times more slowly.
    """
    C, H, W = out.shape
    Hp, Wp = padded.shape[1:]
    src, dst = padded.reshape(-1), out.reshape(-1)
    for c in range(C):
        for h in range(H):
            start = (c * Hp + ph + h) * Wp + pw
            for v in range(W):
                dst[np.uint64((c * H + h) * W + v)] = src[np.uint64(start + v)]


@numba.njit(cache=True)
def im2col(xpad, col, first, R, S, sh, sw, i0, i1, Q):
    """``col[(c*R + r)*S + s, first + (i-i0)*Q + j] = xpad[c, i*sh + r, j*sw + s]`` for the output rows
    ``i0 <= i < i1``, from a zero-bordered ``xpad`` ``(C, Hp, Wp)``.

    ``col`` ``(C*R*S, L)`` has room for ``(i1-i0)*Q`` columns from column ``first`` on (``L = P*Q``,
    ``first = 0``, ``i0 = 0`` and ``i1 = P`` for all of one sample's windows). See the module
    docstring for why the indices are flat and unsigned.
    """
    C, Hp, Wp = xpad.shape
    L = col.shape[1]
    image, windows = xpad.reshape(-1), col.reshape(-1)
    for c in range(C):
        for r in range(R):
            for s in range(S):
                out = ((c * R + r) * S + s) * L + first
                for i in range(i0, i1):
                    start = (c * Hp + i * sh + r) * Wp + s
                    for j in range(Q):
                        windows[np.uint64(out + j)] = image[np.uint64(start + j * sw)]
                    out += Q


@numba.njit(cache=True)
def col2im(dcol, first, dxpad, R, S, sh, sw, i0, i1, Q):
    """``dxpad`` ``(C, Hp, Wp)`` += the transpose of :func:`im2col`, applied to the ``(i1-i0)*Q``
    columns of ``dcol`` ``(C*R*S, L)`` from column ``first`` on (output rows ``i0`` to ``i1``)."""
    C, Hp, Wp = dxpad.shape
    L = dcol.shape[1]
    image, windows = dxpad.reshape(-1), dcol.reshape(-1)
    for c in range(C):
        for r in range(R):
            for s in range(S):
                out = ((c * R + r) * S + s) * L + first
                for i in range(i0, i1):
                    start = (c * Hp + i * sh + r) * Wp + s
                    for j in range(Q):
                        image[np.uint64(start + j * sw)] += windows[np.uint64(out + j)]
                    out += Q


@numba.njit(cache=True)
def copy_columns(src, src_first, dst, dst_first, width):
    """``dst[:, dst_first:dst_first+width] = src[:, src_first:src_first+width]`` (both 2-D, same rows)."""
    rows = src.shape[0]
    a, b = src.reshape(-1), dst.reshape(-1)
    src_width, dst_width = src.shape[1], dst.shape[1]
    for k in range(rows):
        for t in range(width):
            b[np.uint64(k * dst_width + dst_first + t)] = a[np.uint64(k * src_width + src_first + t)]


def forward_chunks(N, work):
    """How many chunks the forward pass cuts a batch of ``N`` into, ``work`` multiply-adds per sample.

    ``min(N, CHUNKS)``, but each chunk gets at least ``MIN_CHUNK_WORK`` multiply-adds: a chunk
    costs its own buffers and a turn of the thread pool, which a few microseconds of work do not repay.
    """
    return max(1, min(N, CHUNKS, (N * work) // MIN_CHUNK_WORK))


def backward_chunks(N, work, positions):
    """How many chunks the backward pass cuts a batch of ``N`` into, ``positions = P*Q`` windows per sample.

    As :func:`forward_chunks`, and no more than keep ``GROUP_COLUMNS`` windows in each (a
    chunk's weight gradient is one product per group of samples, see the module docstring).
    Depends on the shapes only, so the sums are the same for every number of threads.
    """
    return max(1, min(forward_chunks(N, work), (N * positions) // GROUP_COLUMNS))


# Loops written out, not NumPy's in-place operators: numba compiles these several times faster.
@numba.njit(cache=True)
def fill_zero(flat):
    """``flat[:] = 0`` for a 1-D array."""
    for t in range(flat.size):
        flat[t] = 0


@numba.njit(cache=True)
def add_into(total, part):
    """``total += part`` for two 1-D arrays of one size."""
    for t in range(total.size):
        total[t] += part[t]


@numba.njit(cache=True)
def add_bias(y, first, stop, b):
    """``y[n, k] += b[k]`` for ``y`` ``(N, K, P*Q)``, ``n`` from ``first`` to ``stop``."""
    for n in range(first, stop):
        for k in range(b.size):
            row, bias = y[n, k], b[k]
            for t in range(row.size):
                row[t] += bias


@numba.njit(cache=True)
def product_shape(P, Q):
    """``(samples, rows)``: each product covers ``rows`` output rows of ``samples`` samples, about
    ``GROUP_COLUMNS`` windows: several whole samples on small maps, a block of rows on large ones."""
    positions = P * Q
    if positions < GROUP_COLUMNS:
        return GROUP_COLUMNS // positions, P
    blocks = positions // GROUP_COLUMNS
    return 1, (P + blocks - 1) // blocks


@numba.njit(cache=True)
def product_plan(P, Q, first, stop):
    """``(group, rows, columns)`` for a chunk of samples ``first`` to ``stop``: its products cover
    ``rows`` output rows of up to ``group`` samples, at most ``columns`` windows (the buffers' width)."""
    samples, rows = product_shape(P, Q)
    group = min(samples, max(1, stop - first))
    return group, rows, group * rows * Q


@numba.njit(cache=True)
def windows_are_pixels(R, S, sh, sw, ph, pw):
    """Whether every window is one pixel, in order (1x1 kernel, stride 1, no padding): ``col`` is
    then the image itself, ``(C, H*W)``, and neither :func:`im2col` nor :func:`col2im` is needed."""
    return R == 1 and S == 1 and sh == 1 and sw == 1 and ph == 0 and pw == 0


@numba.njit(cache=True)
def product_windows(x, first, size, i0, i1, xpad, col_buffer, R, S, sh, sw, ph, pw, P, Q):
    """The windows of output rows ``i0`` to ``i1`` of samples ``first`` to ``first + size`` of ``x``
    ``(N, C, H, W)``, side by side: ``col`` ``(C*R*S, size*(i1-i0)*Q)``, a view of ``col_buffer``,
    or of ``x`` itself for all of one sample whose :func:`windows_are_pixels` (read it, never
    write it). ``xpad`` ``(C, Hp, Wp)`` holds the zero-bordered sample; it is filled at ``i0 = 0``."""
    window_size, width = xpad.shape[0] * R * S, (i1 - i0) * Q
    pixels = windows_are_pixels(R, S, sh, sw, ph, pw)
    if pixels and size == 1 and width == P * Q:
        return x[first].reshape(window_size, width)
    col = col_buffer[: window_size * size * width].reshape(window_size, size * width)
    for i in range(size):
        if pixels:
            copy_columns(x[first + i].reshape(window_size, P * Q), i0 * Q, col, i * width, width)
        else:
            if i0 == 0:
                pad_into(x[first + i], xpad, ph, pw)
            im2col(xpad, col, i * width, R, S, sh, sw, i0, i1, Q)
    return col


@numba.njit(cache=True)
def scatter_input_grad(dcol, dx, first, i0, i1, dxpad, R, S, sh, sw, ph, pw, P, Q):
    """Add the window gradients ``dcol`` ``(C*R*S, size*(i1-i0)*Q)`` of output rows ``i0`` to ``i1``
    into ``dx[first:first+size]`` ``(N, C, H, W)``, through ``dxpad`` ``(C, Hp, Wp)``: zeroed at the
    first rows of a sample, cropped into ``dx`` at its last (so one sample per product when ``i0 > 0``)."""
    C, H, W = dx.shape[1:]
    width = (i1 - i0) * Q
    for i in range(dcol.shape[1] // width):
        if windows_are_pixels(R, S, sh, sw, ph, pw):
            copy_columns(dcol, i * width, dx[first + i].reshape(C, H * W), i0 * Q, width)
            continue
        if i0 == 0:
            fill_zero(dxpad.reshape(-1))
        col2im(dcol, i * width, dxpad, R, S, sh, sw, i0, i1, Q)
        if i1 == P:
            crop_into(dxpad, dx[first + i], ph, pw)


@numba.njit(cache=True, nogil=True)
def conv2d_samples(x, w2, b, y, R, S, sh, sw, ph, pw, P, Q, first, stop):
    """``y[first:stop]`` ``(n, K, P*Q)`` = the correlation of ``x[first:stop]`` (``x`` ``(N, C, H, W)``)
    with the filters ``w2`` ``(K, C*R*S)``, plus ``b`` ``(K,)``: the forward pass of one chunk of samples."""
    N, C, H, W = x.shape
    K, window_size = w2.shape
    group, rows, columns = product_plan(P, Q, first, stop)
    xpad = np.zeros((C, H + 2 * ph, W + 2 * pw), y.dtype)
    col_buffer = np.empty(window_size * columns, y.dtype)
    out_buffer = np.empty(K * columns, y.dtype)
    for group_first in range(first, stop, group):
        size = min(group, stop - group_first)
        for i0 in range(0, P, rows):
            i1 = min(P, i0 + rows)
            width = (i1 - i0) * Q
            col = product_windows(x, group_first, size, i0, i1, xpad, col_buffer, R, S, sh, sw, ph, pw, P, Q)
            if size == 1 and width == P * Q:
                np.dot(w2, col, y[group_first])
                continue
            out = out_buffer[: K * size * width].reshape(K, size * width)
            np.dot(w2, col, out)
            for i in range(size):
                copy_columns(out, i * width, y[group_first + i], i0 * Q, width)
    add_bias(y, first, stop, b)


@numba.njit(cache=True, nogil=True)
def conv2d_backward_samples(dy, x, w2, dx, dw2, need_dx, R, S, sh, sw, ph, pw, P, Q, first, stop):
    """The backward pass of one chunk of samples, ``first`` to ``stop``: their ``dx`` ``(N, C, H, W)``
    rows, and ``dw2`` ``(K, C*R*S)`` = their part of the weight gradient, from ``dy`` ``(N, K, P*Q)``,
    ``x`` and ``w2`` ``(K, C*R*S)``.

    With ``need_dx`` false, ``dx`` is neither computed nor touched (pass an empty ``(0, C, H, W)`` array).
    """
    N, C, H, W = x.shape
    K, window_size = w2.shape
    group, rows, columns = product_plan(P, Q, first, stop)
    xpad = np.zeros((C, H + 2 * ph, W + 2 * pw), dw2.dtype)
    col_buffer = np.empty(window_size * columns, dw2.dtype)
    dcol_buffer = np.empty(window_size * columns if need_dx else 0, dw2.dtype)
    dxpad = np.empty((C, H + 2 * ph, W + 2 * pw) if need_dx else (0, 0, 0), dw2.dtype)
    dy_buffer = np.empty(K * columns, dw2.dtype)
    product_dw = np.empty((K, window_size), dw2.dtype)
    fill_zero(dw2.reshape(-1))
    for group_first in range(first, stop, group):
        size = min(group, stop - group_first)
        for i0 in range(0, P, rows):
            i1 = min(P, i0 + rows)
            width = (i1 - i0) * Q
            col = product_windows(x, group_first, size, i0, i1, xpad, col_buffer, R, S, sh, sw, ph, pw, P, Q)
            if size == 1 and width == P * Q:
                dy_part = dy[group_first]
            else:
                dy_part = dy_buffer[: K * size * width].reshape(K, size * width)
                for i in range(size):
                    copy_columns(dy[group_first + i], i0 * Q, dy_part, i * width, width)
            np.dot(dy_part, col.T, product_dw)
            add_into(dw2.reshape(-1), product_dw.reshape(-1))
            if need_dx:
                dcol = dcol_buffer[: window_size * size * width].reshape(window_size, size * width)
                np.dot(w2.T, dy_part, dcol)
                scatter_input_grad(dcol, dx, group_first, i0, i1, dxpad, R, S, sh, sw, ph, pw, P, Q)


@numba.njit(cache=True, nogil=True)
def add_up(partials, total):
    """``total`` = ``partials`` ``(chunks, ...)`` summed over its first axis, in chunk order."""
    flat, out = partials.reshape(partials.shape[0], -1), total.reshape(-1)
    fill_zero(out)
    for chunk in range(flat.shape[0]):
        add_into(out, flat[chunk])
