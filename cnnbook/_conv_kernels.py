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

The matrices are built one sample at a time (one buffer per chunk of samples),
never for the whole batch, so the extra memory stays a small fraction of a layer's input. Padding is
never materialised: :func:`tap_range` says which output rows or columns a filter
tap reaches inside the image, and everything else is zero.

The products are computed here too, without BLAS, in parallel over chunks of
samples. :func:`add_matmul_nt` works in 4x4 register blocks and reads both
operands along contiguous rows, so for it the forward pass transposes ``col``
and the input gradient transposes ``dy[n]``; layers with few filters skip the
transposes and use plain rows of multiply-adds (:func:`add_matmul_nn`).

Every parallel loop writes outputs no other iteration touches (whole samples, or
one partial weight gradient per chunk, added up afterwards in chunk order), and
the number of chunks depends on the batch size only, so results are identical
on every run and for any number of threads.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

# Reassociation lets LLVM vectorise the dot products; unlike fastmath=True it
# keeps NaN and inf semantics, so they still propagate.
VECTORISE = {"reassoc", "contract"}
# With fewer filters than this the products are too thin for 4x4 blocks to pay
# for the transposes they need (measured on the book's layers).
BLOCKED_MIN_FILTERS = 32
# The batch is cut into this many chunks (fewer for small batches); each has its own weight gradient.
CHUNKS = 8


@numba.njit(cache=True)
def tap_range(tap, pad, stride, in_size, out_size):
    """Output indices ``lo <= i < hi`` whose input index ``i*stride + tap - pad`` lies in ``[0, in_size)``."""
    first_input = tap - pad
    lo = 0 if first_input >= 0 else (stride - 1 - first_input) // stride
    last_input = in_size - 1 - first_input
    hi = min(out_size, last_input // stride + 1) if last_input >= 0 else 0
    return lo, max(lo, hi)


@numba.njit(cache=True)
def _gather(dst, src, start, step):
    """``dst[j] = src[start + j*step]``; the contiguous case is written so that LLVM vectorises it."""
    if step == 1:
        src = src[start : start + dst.size]
        for j in range(dst.size):
            dst[j] = src[j]
    else:
        for j in range(dst.size):
            dst[j] = src[start + j * step]


@numba.njit(cache=True)
def _scatter_add(dst, src, start, step):
    """``dst[start + j*step] += src[j]``, the transpose of :func:`_gather`."""
    if step == 1:
        dst = dst[start : start + src.size]
        for j in range(src.size):
            dst[j] += src[j]
    else:
        for j in range(src.size):
            dst[start + j * step] += src[j]


@numba.njit(cache=True)
def im2col(image, col, R, S, sh, sw, ph, pw, P, Q):
    """Fill ``col`` ``(C*R*S, P*Q)`` with the windows of ``image`` ``(C, H, W)``; see the module docstring."""
    C, H, W = image.shape
    for c in range(C):
        for r in range(R):
            i_lo, i_hi = tap_range(r, ph, sh, H, P)
            for s in range(S):
                j_lo, j_hi = tap_range(s, pw, sw, W, Q)
                row = col[(c * R + r) * S + s]
                row[: i_lo * Q] = 0
                row[i_hi * Q :] = 0
                for i in range(i_lo, i_hi):
                    out = row[i * Q : (i + 1) * Q]
                    out[:j_lo] = 0
                    out[j_hi:] = 0
                    _gather(out[j_lo:j_hi], image[c, i * sh + r - ph], j_lo * sw + s - pw, sw)


@numba.njit(cache=True)
def col2im(dcol, image_grad, R, S, sh, sw, ph, pw, P, Q):
    """``image_grad`` ``(C, H, W)`` = the transpose of :func:`im2col` applied to ``dcol`` ``(C*R*S, P*Q)``.

    Each pixel receives the sum of its entries in every window; entries on the padding are dropped.
    """
    C, H, W = image_grad.shape
    image_grad[:] = 0
    for c in range(C):
        for r in range(R):
            i_lo, i_hi = tap_range(r, ph, sh, H, P)
            for s in range(S):
                j_lo, j_hi = tap_range(s, pw, sw, W, Q)
                row = dcol[(c * R + r) * S + s]
                for i in range(i_lo, i_hi):
                    _scatter_add(image_grad[c, i * sh + r - ph], row[i * Q + j_lo : i * Q + j_hi], j_lo * sw + s - pw, sw)


@numba.njit(cache=True)
def transpose_into(src, dst):
    """``dst`` ``(B, A)`` = ``src`` ``(A, B)``.T, in 16x16 tiles so that both sides stay in cache."""
    A, B = src.shape
    for a0 in range(0, A, 16):
        for b0 in range(0, B, 16):
            for a in range(a0, min(a0 + 16, A)):
                for b in range(b0, min(b0 + 16, B)):
                    dst[b, a] = src[a, b]


@numba.njit(cache=True, fastmath=VECTORISE)
def _dot(a, b):
    total = a.dtype.type(0)
    for i in range(a.size):
        total += a[i] * b[i]
    return total


@numba.njit(cache=True, fastmath=VECTORISE)
def _add_block_4x4(A, B, out, m, n):
    """``out[m:m+4, n:n+4] += A[m:m+4] @ B[n:n+4].T``: sixteen dot products sharing their loads.

    Each row of ``A`` and of ``B`` is loaded once for four dot products; LLVM keeps the
    sixteen sums in vector registers, which is what makes a matrix product fast.
    """
    a0, a1, a2, a3 = A[m], A[m + 1], A[m + 2], A[m + 3]
    b0, b1, b2, b3 = B[n], B[n + 1], B[n + 2], B[n + 3]
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = A.dtype.type(0)
    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = A.dtype.type(0)
    for l in range(a0.size):
        x0, x1, x2, x3 = b0[l], b1[l], b2[l], b3[l]
        s00 += a0[l] * x0; s01 += a0[l] * x1; s02 += a0[l] * x2; s03 += a0[l] * x3  # noqa: E702
        s10 += a1[l] * x0; s11 += a1[l] * x1; s12 += a1[l] * x2; s13 += a1[l] * x3  # noqa: E702
        s20 += a2[l] * x0; s21 += a2[l] * x1; s22 += a2[l] * x2; s23 += a2[l] * x3  # noqa: E702
        s30 += a3[l] * x0; s31 += a3[l] * x1; s32 += a3[l] * x2; s33 += a3[l] * x3  # noqa: E702
    out[m, n] += s00; out[m, n + 1] += s01; out[m, n + 2] += s02; out[m, n + 3] += s03  # noqa: E702
    out[m + 1, n] += s10; out[m + 1, n + 1] += s11; out[m + 1, n + 2] += s12; out[m + 1, n + 3] += s13  # noqa: E702
    out[m + 2, n] += s20; out[m + 2, n + 1] += s21; out[m + 2, n + 2] += s22; out[m + 2, n + 3] += s23  # noqa: E702
    out[m + 3, n] += s30; out[m + 3, n + 1] += s31; out[m + 3, n + 2] += s32; out[m + 3, n + 3] += s33  # noqa: E702


@numba.njit(cache=True)
def add_matmul_nt(A, B, out):
    """``out`` ``(M, N)`` += ``A`` ``(M, L)`` @ ``B`` ``(N, L)``.T, in 4x4 blocks (plain dot products at the edges).

    Both operands are read along their contiguous rows. ``B`` is walked once, four
    rows at a time, while ``A`` (the smaller, filter-sized operand) stays in cache.
    """
    M, N = out.shape
    M4, N4 = M - M % 4, N - N % 4
    for n in range(0, N4, 4):
        for m in range(0, M4, 4):
            _add_block_4x4(A, B, out, m, n)
    for m in range(M):
        for n in range(N4 if m < M4 else 0, N):
            out[m, n] += _dot(A[m], B[n])


@numba.njit(cache=True, fastmath=VECTORISE)
def add_matmul_nn(A, B, out):
    """``out`` ``(M, N)`` += ``A`` ``(M, L)`` @ ``B`` ``(L, N)``, one row at a time: for thin products."""
    M, L = A.shape
    for m in range(M):
        out_row = out[m]
        for l in range(L):
            weight, b_row = A[m, l], B[l]
            for j in range(out_row.size):
                out_row[j] += weight * b_row[j]


@numba.njit(cache=True)
def chunk_bounds(N):
    """``(starts, stops)`` of the chunks the batch is cut into: ``min(N, CHUNKS)`` of nearly equal size."""
    chunks = max(1, min(N, CHUNKS))
    edges = (np.arange(chunks + 1) * N) // chunks
    return edges[:-1], edges[1:]


@numba.njit(cache=True, parallel=True)
def conv2d_by_sample(x, w2, b, y, R, S, sh, sw, ph, pw, P, Q):
    """``y`` ``(N, K, P*Q)`` = ``w2`` ``(K, C*R*S)`` @ im2col(``x[n]``) + ``b`` ``(K,)``, for every sample."""
    starts, stops = chunk_bounds(x.shape[0])
    K, window_size = w2.shape
    blocked = K >= BLOCKED_MIN_FILTERS
    for chunk in prange(starts.size):
        col = np.empty((window_size, P * Q), y.dtype)
        col_t = np.empty((P * Q, window_size) if blocked else (0, 0), y.dtype)
        for n in range(starts[chunk], stops[chunk]):
            im2col(x[n], col, R, S, sh, sw, ph, pw, P, Q)
            for k in range(K):
                y[n, k] = b[k]
            if blocked:
                transpose_into(col, col_t)
                add_matmul_nt(w2, col_t, y[n])
            else:
                add_matmul_nn(w2, col, y[n])


@numba.njit(cache=True, parallel=True)
def conv2d_backward_by_sample(dy, x, w2, dx, dw2, R, S, sh, sw, ph, pw, P, Q):
    """``dx`` ``(N, C, H, W)`` and ``dw2`` ``(K, C*R*S)`` from ``dy`` ``(N, K, P*Q)``, ``x``, ``w2`` ``(K, C*R*S)``."""
    starts, stops = chunk_bounds(x.shape[0])
    K, window_size = w2.shape
    w2_t = np.ascontiguousarray(w2.T)
    partial_dw2 = np.zeros((starts.size, K, window_size), dw2.dtype)
    blocked = K >= BLOCKED_MIN_FILTERS
    for chunk in prange(starts.size):
        col = np.empty((window_size, P * Q), dx.dtype)
        dcol = np.empty((window_size, P * Q), dx.dtype)
        dy_t = np.empty((P * Q, K) if blocked else (0, 0), dx.dtype)
        for n in range(starts[chunk], stops[chunk]):
            im2col(x[n], col, R, S, sh, sw, ph, pw, P, Q)
            add_matmul_nt(dy[n], col, partial_dw2[chunk])
            dcol[:] = 0
            if blocked:
                transpose_into(dy[n], dy_t)
                add_matmul_nt(w2_t, dy_t, dcol)
            else:
                add_matmul_nn(w2_t, dy[n], dcol)
            col2im(dcol, dx[n], R, S, sh, sw, ph, pw, P, Q)
    dw2[:] = 0
    for chunk in range(starts.size):
        dw2 += partial_dw2[chunk]
