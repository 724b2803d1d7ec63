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

The matrices are built a few hundred windows at a time, in buffers that each chunk of the
batch has of its own, never for the whole batch, so the extra memory stays a small fraction
of a layer's input. Each sample is first copied into a zero-bordered buffer ``xpad``, so the
copies that build the windows need no bounds logic. A 1x1 kernel at stride 1 without padding
needs no copy at all: its windows are the pixels, and each image is its own matrix ``(C, H*W)``.

**Flat arrays.** The kernels take every array flat (1-D) and its sizes as integers
(``plan``, see :func:`make_plan`), and find a matrix in an array as BLAS does
(:mod:`cnnbook._gemm`): by the index of its first entry and its leading dimension. Their
loops index with unsigned integers: numba then skips its negative-index check, and LLVM
turns the copies into vector loads and stores. Flat loops also compile fast: numba compiles
each reshape, slice, allocation and ``np.dot`` anew for every kernel and dtype, which made
the first call on an empty cache wait seconds. The buffers come from the caller (:func:`buffers`).

**The products are BLAS's.** :func:`cnnbook._gemm.gemm` calls the ``gemm`` that SciPy
exports, a routine tuned for the machine's vector units and caches (packed panels, register
tiles) that no loop written here matches: on the book's machine it runs 1.4-3x faster than
the register-blocked loops this module used to have. cnnbook's thread pool runs the chunks in
parallel, and while it does, the BLAS is held to one thread (:mod:`cnnbook._blas`), so each
product runs on the thread that calls it and no BLAS worker spins on another's core.

**Products of about ``GROUP_COLUMNS`` windows.** A small map has few windows (16 on
a 4x4 map), and a product that narrow is mostly overhead: so the windows of several
samples go side by side, and one product covers the group (the forward pass then copies
each sample's columns of the output to its place; the backward pass computes
``dw2 += dy[group] @ col[group].T`` once per group). A large map has too many: the
windows of a 32x32 map with 64 channels and a 3x3 kernel fill 2.4 MB, more than a core's
L2 cache, and the product would read them back from farther away. So a large map is
cut into blocks of output rows, one product per block, whose windows stay in cache
between being copied and being multiplied (30% faster on that layer). A block of rows of one
sample is a matrix inside ``y`` and ``dy`` (and ``x`` and ``dx`` of a 1x1 layer), so its
products read and write it in place. When the caller does not want the input gradient (the
first layer of a network), it is not computed.

Every parallel loop writes outputs no other iteration touches (whole samples, or
one partial weight gradient per chunk, added up afterwards in chunk order), and
the number of chunks depends on the shapes only, so results are identical
on every run and for any number of threads.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

from ._gemm import gemm

# The batch is cut into this many chunks (fewer for small batches); each has its own weight gradient.
CHUNKS = 8
# Products cover the windows of about this many positions (several samples' on small maps, a block of
# rows on large ones): narrower ones spend their time in BLAS's set-up, wider ones spill out of L2.
GROUP_COLUMNS = 256
# A chunk is worth its buffers and its turn in the thread pool from about this many multiply-adds on.
MIN_CHUNK_WORK = 1 << 20
# Constant arguments of the helpers: numba compiles a helper once per combination of argument types, and
# a literal int is a type of its own (``Literal[int](0)``), so a literal 0 would compile a second copy.
ZERO, ONE = np.int64(0), np.int64(1)


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


def product_shape(P, Q):
    """``(samples, rows)``: each product covers ``rows`` output rows of ``samples`` samples, about
    ``GROUP_COLUMNS`` windows: several whole samples on small maps, a block of rows on large ones."""
    positions = P * Q
    if positions < GROUP_COLUMNS:
        return GROUP_COLUMNS // positions, P
    blocks = positions // GROUP_COLUMNS
    return 1, (P + blocks - 1) // blocks


def windows_are_pixels(R, S, sh, sw, ph, pw):
    """Whether every window is one pixel, in order (1x1 kernel, stride 1, no padding): the windows
    of an image ``(C, H, W)`` are then the image itself, ``(C, H*W)``, with nothing to copy."""
    return R == 1 and S == 1 and sh == 1 and sw == 1 and ph == 0 and pw == 0


def make_plan(x_shape, w_shape, stride, padding, output, chunk_samples):
    """The tuple of ints every kernel takes: the layer's sizes and how its products are cut,
    ``(C, H, W, K, R, S, sh, sw, ph, pw, P, Q, group, rows, pixels)``.

    Each product covers ``rows`` output rows of up to ``group`` samples (:func:`product_shape`;
    no more than ``chunk_samples``, the largest chunk); ``pixels`` is :func:`windows_are_pixels`.
    """
    (C, H, W), (K, _, R, S), (sh, sw), (ph, pw), (P, Q) = x_shape[1:], w_shape, stride, padding, output
    if max(C * R * S, P * Q, K) >= 2**31:
        raise ValueError(f"conv2d: a window of {C * R * S} numbers, {P * Q} output positions and {K} filters are "
                         f"beyond the 32-bit sizes BLAS takes (x {tuple(x_shape)}, w {tuple(w_shape)})")
    samples, rows = product_shape(P, Q)
    group = min(samples, max(1, chunk_samples))
    return (C, H, W, K, R, S, sh, sw, ph, pw, P, Q, group, rows, int(windows_are_pixels(R, S, sh, sw, ph, pw)))


def buffers(plan, chunks, dtype, names):
    """One buffer per name and chunk, each ``(chunks, size)``: ``xpad`` and ``dxpad`` a padded sample
    ``(C*Hp*Wp)`` (empty without padding), ``col`` and ``dcol`` the windows of one product
    ``(C*R*S, columns)``, ``out`` an output
    or ``dy`` of one product ``(K, columns)``. Their contents are whatever they were (the kernels zero
    what they need).

    They are views of one scratch array that the calling thread keeps from call to call (up to
    ``MAX_KEPT_SCRATCH`` bytes), 64-byte aligned:
    megabytes allocated afresh on every call came from freshly mapped memory, and the first touch of
    each page cost the kernels a page fault (over a thousand per call on a strided layer).
    """
    C, H, W, K, R, S, sh, sw, ph, pw, P, Q, group, rows, pixels = plan
    columns = group * rows * Q
    padded = C * (H + 2 * ph) * (W + 2 * pw) if ph or pw else 0  # unpadded layers work on x and dx themselves
    sizes = {"xpad": padded, "dxpad": padded, "col": C * R * S * columns, "dcol": C * R * S * columns,
             "out": K * columns}
    itemsize = np.dtype(dtype).itemsize
    spans = [-(-chunks * sizes[name] * itemsize // ALIGNMENT) * ALIGNMENT for name in names]
    scratch = _scratch_bytes(sum(spans) + ALIGNMENT)
    start = -scratch.ctypes.data % ALIGNMENT
    views = []
    for name, span in zip(names, spans):
        size = sizes[name]
        views.append(scratch[start: start + chunks * size * itemsize].view(dtype).reshape(chunks, size))
        start += span
    return views


ALIGNMENT = 64  # bytes: a cache line
# A thread keeps its scratch up to this size; a larger call (a big image) gets a scratch of its own.
MAX_KEPT_SCRATCH = 1 << 26
_scratch = threading.local()


def _scratch_bytes(size):
    """The calling thread's scratch array, at least ``size`` bytes: grown as needed up to
    ``MAX_KEPT_SCRATCH`` and kept, or beyond that a fresh array that is not kept."""
    scratch = getattr(_scratch, "bytes", None)
    if scratch is not None and scratch.size >= size:
        return scratch
    if size > MAX_KEPT_SCRATCH:
        return np.empty(size, np.uint8)
    scratch = _scratch.bytes = np.empty(size, np.uint8)
    return scratch


@numba.njit(cache=True)
def im2col(xpad, xpad_first, C, Hp, Wp, R, S, sh, sw, i0, i1, Q, col, first, ld):
    """``col[(c*R + r)*S + s, first + (i-i0)*Q + j] = xpad[c, i*sh + r, j*sw + s]`` for the output rows
    ``i0 <= i < i1``, from a zero-bordered image ``xpad`` ``(C, Hp, Wp)`` at ``xpad_first``, into ``col``
    ``(C*R*S, ld)``. ``first = 0``, ``ld = P*Q``, ``i0 = 0`` and ``i1 = P`` write all of one image's windows.
    See the module docstring for why the indices are flat and unsigned.
    """
    for c in range(C):
        for r in range(R):
            for s in range(S):
                out = ((c * R + r) * S + s) * ld + first
                for i in range(i0, i1):
                    start = xpad_first + (c * Hp + i * sh + r) * Wp + s
                    for j in range(Q):
                        col[np.uint64(out + j)] = xpad[np.uint64(start + j * sw)]
                    out += Q


@numba.njit(cache=True)
def col2im(dcol, first, ld, dxpad, dxpad_first, C, Hp, Wp, R, S, sh, sw, i0, i1, Q):
    """``dxpad`` ``(C, Hp, Wp)`` at ``dxpad_first`` += the transpose of :func:`im2col`, applied to the
    ``(i1-i0)*Q`` columns of ``dcol`` ``(C*R*S, ld)`` from column ``first`` on (output rows ``i0`` to ``i1``)."""
    for c in range(C):
        for r in range(R):
            for s in range(S):
                out = ((c * R + r) * S + s) * ld + first
                for i in range(i0, i1):
                    start = dxpad_first + (c * Hp + i * sh + r) * Wp + s
                    for j in range(Q):
                        dxpad[np.uint64(start + j * sw)] += dcol[np.uint64(out + j)]
                    out += Q


@numba.njit(cache=True)
def copy_blocks(source, source_first, source_step, source_ld, target, target_first, target_step, target_ld,
                blocks, rows, width):
    """Copy ``blocks`` matrices ``(rows, width)``: for each ``b``, the one at ``target_first + b*target_step``
    (leading dimension ``target_ld``) in ``target`` = the one at ``source_first + b*source_step`` in ``source``.

    One sample into the middle of ``xpad``, for example, is ``C`` blocks ``(H, W)``: from steps of
    ``H*W`` and rows of ``W`` to steps of ``Hp*Wp`` and rows of ``Wp``, starting at ``ph*Wp + pw``.
    """
    for b in range(blocks):
        for k in range(rows):
            a, t = source_first + b * source_step + k * source_ld, target_first + b * target_step + k * target_ld
            for v in range(width):
                target[np.uint64(t + v)] = source[np.uint64(a + v)]


@numba.njit(cache=True)
def fill_zero(flat, first, stop):
    """``flat[first:stop] = 0`` for a 1-D array (a loop: numba compiles it faster than the slice assignment)."""
    for t in range(first, stop):
        flat[t] = 0


@numba.njit(cache=True)
def add_bias(y, b, K, positions, first, stop):
    """``y[n, k, :] += b[k]`` for ``y`` ``(N, K, positions)``, ``n`` from ``first`` to ``stop``."""
    for n in range(first, stop):
        for k in range(K):
            start, bias = (n * K + k) * positions, b[k]
            for t in range(positions):
                y[np.uint64(start + t)] += bias


@numba.njit(cache=True, inline="always")
def product_windows(x, n0, size, i0, i1, xpad, col, plan):
    """The windows of output rows ``i0`` to ``i1`` of samples ``n0`` to ``n0 + size`` side by side, a
    matrix ``(C*R*S, size*(i1-i0)*Q)``, as ``(array, first, ld)``: in ``col``, or in ``x`` itself for
    one sample whose windows are its pixels. ``xpad`` holds the zero-bordered sample, filled at ``i0 = 0``;
    without padding, the windows are copied from ``x`` itself."""
    C, H, W, K, R, S, sh, sw, ph, pw, P, Q, group, rows, pixels = plan
    positions, width, Hp, Wp = P * Q, (i1 - i0) * Q, H + 2 * ph, W + 2 * pw
    if pixels and size == 1:
        return x, n0 * C * positions + i0 * Q, positions
    for i in range(size):
        if pixels:  # rows i0 to i1 of the sample, a matrix (C, width) inside x
            pixels_first = (n0 + i) * C * positions + i0 * Q
            copy_blocks(x, pixels_first, ZERO, positions, col, i * width, ZERO, size * width, ONE, C, width)
            continue
        sample = (n0 + i) * C * H * W
        if ph == 0 and pw == 0:
            im2col(x, sample, C, H, W, R, S, sh, sw, i0, i1, Q, col, i * width, size * width)
            continue
        if i0 == 0:  # the sample into the middle of xpad
            copy_blocks(x, sample, H * W, W, xpad, ph * Wp + pw, Hp * Wp, Wp, C, H, W)
        im2col(xpad, ZERO, C, Hp, Wp, R, S, sh, sw, i0, i1, Q, col, i * width, size * width)
    return col, 0, size * width


@numba.njit(cache=True, inline="always")
def scatter_input_grad(dcol, size, i0, i1, dx, n0, dxpad, plan):
    """Add the window gradients ``dcol`` ``(C*R*S, size*(i1-i0)*Q)`` of output rows ``i0`` to ``i1`` of
    samples ``n0`` to ``n0 + size`` into ``dx`` ``(N, C, H, W)``, through ``dxpad`` ``(C, Hp, Wp)``: zeroed
    at the first rows of a sample, cropped into ``dx`` at its last (so one sample per product when ``i0 > 0``).
    Without padding they go into ``dx`` itself, zeroed at the first rows."""
    C, H, W, K, R, S, sh, sw, ph, pw, P, Q, group, rows, pixels = plan
    width, Hp, Wp = (i1 - i0) * Q, H + 2 * ph, W + 2 * pw
    for i in range(size):
        if pixels:
            pixels_first = (n0 + i) * C * H * W + i0 * Q
            copy_blocks(dcol, i * width, ZERO, size * width, dx, pixels_first, ZERO, H * W, ONE, C, width)
            continue
        sample = (n0 + i) * C * H * W
        if ph == 0 and pw == 0:
            if i0 == 0:
                fill_zero(dx, sample, sample + C * H * W)
            col2im(dcol, i * width, size * width, dx, sample, C, H, W, R, S, sh, sw, i0, i1, Q)
            continue
        if i0 == 0:
            fill_zero(dxpad, ZERO, dxpad.size)
        col2im(dcol, i * width, size * width, dxpad, ZERO, C, Hp, Wp, R, S, sh, sw, i0, i1, Q)
        if i1 == P:  # the middle of dxpad into the sample's dx
            copy_blocks(dxpad, ph * Wp + pw, Hp * Wp, Wp, dx, sample, H * W, W, C, H, W)


@numba.njit(cache=True, nogil=True)
def conv2d_samples(x, w, b, y, xpad, col, out, plan, first, stop):
    """The forward pass of samples ``first`` to ``stop``: ``y`` ``(N, K, P, Q)`` = the correlation of
    ``x`` ``(N, C, H, W)`` with the filters ``w`` ``(K, C*R*S)``, plus ``b`` ``(K,)``; all flat.

    ``xpad``, ``col`` and ``out`` are this chunk's buffers (:func:`buffers`).
    """
    C, H, W, K, R, S, sh, sw, ph, pw, P, Q, group, rows, pixels = plan
    positions, window_size = P * Q, C * R * S
    fill_zero(xpad, ZERO, xpad.size)
    for n0 in range(first, stop, group):
        size = min(group, stop - n0)
        for i0 in range(0, P, rows):
            i1 = min(P, i0 + rows)
            width = (i1 - i0) * Q
            windows, windows_first, ld = product_windows(x, n0, size, i0, i1, xpad, col, plan)
            if size == 1:  # the product is a block of rows of y[n0]
                gemm(K, width, window_size, w, 0, window_size, False, windows, windows_first, ld, False,
                     0.0, y, n0 * K * positions + i0 * Q, positions)
                continue
            gemm(K, size * width, window_size, w, 0, window_size, False, windows, windows_first, ld, False,
                 0.0, out, 0, size * width)
            for i in range(size):
                sample = (n0 + i) * K * positions
                copy_blocks(out, i * width, ZERO, size * width, y, sample, ZERO, positions, ONE, K, width)
    add_bias(y, b, K, positions, first, stop)


@numba.njit(cache=True, nogil=True)
def conv2d_backward_samples(dy, x, w, dx, dw, need_dx, xpad, col, dy_group, dcol, dxpad, plan, first, stop):
    """The backward pass of samples ``first`` to ``stop``, all arrays flat: ``dw`` ``(K, C*R*S)`` = their
    part of the weight gradient, and (with ``need_dx``) their rows of ``dx`` ``(N, C, H, W)``, from
    ``dy`` ``(N, K, P, Q)``, ``x`` ``(N, C, H, W)`` and ``w`` ``(K, C*R*S)``.

    ``xpad``, ``col``, ``dy_group`` (``out``), ``dcol`` and ``dxpad`` are this chunk's buffers
    (:func:`buffers`); without ``need_dx``, ``dx``, ``dcol`` and ``dxpad`` are not touched.
    """
    C, H, W, K, R, S, sh, sw, ph, pw, P, Q, group, rows, pixels = plan
    positions, window_size = P * Q, C * R * S
    fill_zero(dw, ZERO, dw.size)
    fill_zero(xpad, ZERO, xpad.size)
    for n0 in range(first, stop, group):
        size = min(group, stop - n0)
        for i0 in range(0, P, rows):
            i1 = min(P, i0 + rows)
            width = (i1 - i0) * Q
            windows, windows_first, ld = product_windows(x, n0, size, i0, i1, xpad, col, plan)
            grad, grad_first, grad_ld = dy, n0 * K * positions + i0 * Q, positions  # a block of rows of dy[n0]
            if size > 1:
                grad, grad_first, grad_ld = dy_group, 0, size * width
                for i in range(size):
                    sample = (n0 + i) * K * positions
                    copy_blocks(dy, sample, ZERO, positions, dy_group, i * width, ZERO, size * width, ONE, K, width)
            gemm(K, window_size, size * width, grad, grad_first, grad_ld, False, windows, windows_first, ld, True,
                 1.0, dw, 0, window_size)
            if not need_dx:
                continue
            if pixels and size == 1:  # the window gradients are the pixels' gradients
                gemm(C, width, K, w, 0, window_size, True, grad, grad_first, grad_ld, False,
                     0.0, dx, n0 * C * positions + i0 * Q, positions)
                continue
            gemm(window_size, size * width, K, w, 0, window_size, True, grad, grad_first, grad_ld, False,
                 0.0, dcol, 0, size * width)
            scatter_input_grad(dcol, size, i0, i1, dx, n0, dxpad, plan)
