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
never for the whole batch, so the extra memory stays a small fraction of a
layer's input. Each sample is first copied into a zero-bordered buffer, so the
copies that build them need no bounds logic. They index flat arrays with
unsigned integers: numba then skips its negative-index check, and LLVM turns
the copies into vector loads and stores (slicing a view per image row instead
costs more than the copy itself on the book's small layers).

The products are computed here too, without BLAS (OpenBLAS's threads would
fight cnnbook's over the cores), in parallel over chunks of samples, by one of:

* :func:`add_matmul_nn`, 4x4 blocks of scaled rows, for short sums (few channels,
  or the ``K`` terms of the input gradient in window form);
* :func:`add_matmul_nt`, 4x4 register blocks of dot products, when the dot
  products are long enough to pay (:func:`blocks_pay`). Its operands must be
  contiguous along the summed axis, so the forward pass builds the transposed
  ``col`` directly: :func:`im2row` reads the sample channels-last, where the
  ``S*C`` numbers of one window row are contiguous, and the filters are
  reordered to ``(K, R, S, C)`` to match.

With stride 1 (and padding below the kernel size) the input gradient is itself
a stride-1 correlation, which :func:`input_grad_is_correlation` picks when its
product's blocks pay: of ``dy``, zero-bordered by ``R-1-ph`` rows and
``S-1-pw`` columns, with the filters rotated by 180 degrees and their ``K`` and
``C`` axes swapped. It then reuses the forward machinery; the window form would need a product that sums over only
``K`` terms, one that the 4x4 blocks cannot speed up, and a ``col2im``.

**Small images.** The weight gradient sums over the window positions, and a
small layer has few of them (16 on a 4x4 map): dot products that short spend
their time adding up the 4x4 blocks, not multiplying. So the backward pass puts
the windows of several samples side by side, ``GROUP_COLUMNS`` columns or more,
and computes ``dw2 += dy[group] @ col[group].T`` once per group: the same sums,
one product instead of one per sample (the buffers stay ``GROUP_COLUMNS``
columns wide, whatever the batch size). When the caller does not want the input
gradient (the first layer of a network), it is not computed.

Every parallel loop writes outputs no other iteration touches (whole samples, or
one partial weight gradient per chunk, added up afterwards in chunk order), and
the number of chunks depends on the shapes only, so results are identical
on every run and for any number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

# Reassociation lets LLVM vectorise the dot products; unlike fastmath=True it
# keeps NaN and inf semantics, so they still propagate.
VECTORISE = {"reassoc", "contract"}
# 4x4 blocks of dot products (add_matmul_nt) beat 4x4 blocks of scaled rows (add_matmul_nn) once the
# dot products are at least this long (measured: 48-64 terms 2-3x slower, 150 1.2x faster, 576 1.3x).
BLOCKED_MIN_LENGTH = 128
# The batch is cut into this many chunks (fewer for small batches); each has its own weight gradient.
CHUNKS = 8
# The backward pass multiplies the windows of this many positions at once (several samples' on
# small images): 4x4 blocks need dot products about this long to pay (measured: 16 is 3x slower).
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
def pad_channels_last_into(image, out, ph, pw):
    """``out[ph+h, pw+v, c] = image[c, h, v]``: ``image`` ``(C, H, W)`` moved into the interior of ``out``."""
    C, H, W = image.shape
    Wp = out.shape[1]
    src, dst = image.reshape(-1), out.reshape(-1)
    for h in range(H):  # one image row at a time: a (C, W) tile that stays in cache while it is transposed
        row = ((ph + h) * Wp + pw) * C
        for c in range(C):
            for v in range(W):
                dst[np.uint64(row + v * C + c)] = src[np.uint64((c * H + h) * W + v)]


@numba.njit(cache=True)
def im2col(xpad, col, first, R, S, sh, sw, P, Q):
    """``col[(c*R + r)*S + s, first + i*Q + j] = xpad[c, i*sh + r, j*sw + s]``, from a zero-bordered ``xpad`` ``(C, Hp, Wp)``.

    ``col`` ``(C*R*S, L)`` has room for ``P*Q`` columns from column ``first`` on (``L = P*Q``
    and ``first = 0`` for one sample). See the module docstring for why the indices are flat
    and unsigned.
    """
    C, Hp, Wp = xpad.shape
    L = col.shape[1]
    image, windows = xpad.reshape(-1), col.reshape(-1)
    for c in range(C):
        for r in range(R):
            for s in range(S):
                out = ((c * R + r) * S + s) * L + first
                for i in range(P):
                    start = (c * Hp + i * sh + r) * Wp + s
                    for j in range(Q):
                        windows[np.uint64(out + j)] = image[np.uint64(start + j * sw)]
                    out += Q


@numba.njit(cache=True)
def col2im(dcol, dxpad, R, S, sh, sw, P, Q):
    """``dxpad`` ``(C, Hp, Wp)`` += the transpose of :func:`im2col` applied to ``dcol`` ``(C*R*S, P*Q)``."""
    C, Hp, Wp = dxpad.shape
    image, windows = dxpad.reshape(-1), dcol.reshape(-1)
    for c in range(C):
        for r in range(R):
            for s in range(S):
                out = ((c * R + r) * S + s) * P * Q
                for i in range(P):
                    start = (c * Hp + i * sh + r) * Wp + s
                    for j in range(Q):
                        image[np.uint64(start + j * sw)] += windows[np.uint64(out + j)]
                    out += Q


@numba.njit(cache=True)
def im2row(xpad_cl, rows, R, S, sh, sw, P, Q):
    """``rows[i*Q + j, (r*S + s)*C + c] = xpad_cl[i*sh + r, j*sw + s, c]``, from a channels-last ``xpad_cl``.

    One window row, ``S*C`` numbers, is contiguous in ``xpad_cl``: each is one plain copy.
    """
    Wp, C = xpad_cl.shape[1:]
    span = S * C
    image, windows = xpad_cl.reshape(-1), rows.reshape(-1)
    out = 0
    for i in range(P):
        for j in range(Q):
            for r in range(R):
                start = ((i * sh + r) * Wp + j * sw) * C
                for t in range(span):
                    windows[np.uint64(out + t)] = image[np.uint64(start + t)]
                out += span


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


@numba.njit(cache=True, fastmath=VECTORISE)
def _add_block_1x4(A, B, out, m, n):
    """``out[m, n:n+4] += B[n:n+4] @ A[m]``: four dot products sharing the loads of ``A[m]``."""
    a, b0, b1, b2, b3 = A[m], B[n], B[n + 1], B[n + 2], B[n + 3]
    s0 = s1 = s2 = s3 = A.dtype.type(0)
    for l in range(a.size):
        s0 += a[l] * b0[l]; s1 += a[l] * b1[l]; s2 += a[l] * b2[l]; s3 += a[l] * b3[l]  # noqa: E702
    out[m, n] += s0; out[m, n + 1] += s1; out[m, n + 2] += s2; out[m, n + 3] += s3  # noqa: E702


@numba.njit(cache=True)
def add_matmul_nt(A, B, out):
    """``out`` ``(M, N)`` += ``A`` ``(M, L)`` @ ``B`` ``(N, L)``.T, in 4x4 blocks of dot products.

    The last ``M % 4`` rows go in 1x4 blocks, the last ``N % 4`` columns one dot product at a time.
    Both operands are read along their contiguous rows. ``B`` is walked once, four
    rows at a time, while ``A`` (the smaller, filter-sized operand) stays in cache.
    """
    M, N = out.shape
    M4, N4 = M - M % 4, N - N % 4
    for n in range(0, N4, 4):
        for m in range(0, M4, 4):
            _add_block_4x4(A, B, out, m, n)
        for m in range(M4, M):
            _add_block_1x4(A, B, out, m, n)
    for m in range(M):
        for n in range(N4, N):
            out[m, n] += _dot(A[m], B[n])


@numba.njit(cache=True, fastmath=VECTORISE)
def _add_rows_4x4(A, B, out, m, l):
    """``out[m:m+4] += A[m:m+4, l:l+4] @ B[l:l+4]``: each row of ``B`` loaded once for four output rows.

    Per column, 4 loads of ``B`` and 4 loads and stores of ``out`` serve 16 multiply-adds, so
    the loop is bound by arithmetic, not by moving ``out`` in and out of registers.
    """
    o0, o1, o2, o3 = out[m], out[m + 1], out[m + 2], out[m + 3]
    b0, b1, b2, b3 = B[l], B[l + 1], B[l + 2], B[l + 3]
    # The sixteen weights as scalars: read inside the loop, they would be read again after every
    # store to out (which LLVM cannot prove is not A), and the loop would not vectorise.
    a00, a01, a02, a03 = A[m, l], A[m, l + 1], A[m, l + 2], A[m, l + 3]
    a10, a11, a12, a13 = A[m + 1, l], A[m + 1, l + 1], A[m + 1, l + 2], A[m + 1, l + 3]
    a20, a21, a22, a23 = A[m + 2, l], A[m + 2, l + 1], A[m + 2, l + 2], A[m + 2, l + 3]
    a30, a31, a32, a33 = A[m + 3, l], A[m + 3, l + 1], A[m + 3, l + 2], A[m + 3, l + 3]
    for j in range(o0.size):
        x0, x1, x2, x3 = b0[j], b1[j], b2[j], b3[j]
        o0[j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
        o1[j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
        o2[j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3
        o3[j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3


@numba.njit(cache=True, fastmath=VECTORISE)
def _add_row(A, B, out, m, first_l):
    """``out[m] += A[m, first_l:] @ B[first_l:]``, four rows of ``B`` per pass over ``out[m]``."""
    out_row, a = out[m], A[m]
    L = a.size
    L4 = first_l + (L - first_l) - (L - first_l) % 4
    for l in range(first_l, L4, 4):
        a0, a1, a2, a3 = a[l], a[l + 1], a[l + 2], a[l + 3]
        b0, b1, b2, b3 = B[l], B[l + 1], B[l + 2], B[l + 3]
        for j in range(out_row.size):
            out_row[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j]
    for l in range(L4, L):
        weight, b_row = a[l], B[l]
        for j in range(out_row.size):
            out_row[j] += weight * b_row[j]


@numba.njit(cache=True)
def add_matmul_nn(A, B, out):
    """``out`` ``(M, N)`` += ``A`` ``(M, L)`` @ ``B`` ``(L, N)``: output rows as sums of scaled rows of ``B``.

    In 4x4 blocks of (output rows, rows of ``B``) where it can (:func:`_add_rows_4x4`); the last
    ``M % 4`` rows and ``L % 4`` terms four rows of ``B`` or one at a time. No sums across a
    vector register are needed, so short sums (few channels, or ``K`` terms in the input
    gradient) run as fast as long ones.
    """
    M, L = A.shape
    M4, L4 = M - M % 4, L - L % 4
    for m in range(0, M4, 4):
        for l in range(0, L4, 4):
            _add_rows_4x4(A, B, out, m, l)
        for r in range(4):
            _add_row(A, B, out, m + r, L4)
    for m in range(M4, M):
        _add_row(A, B, out, m, 0)


@numba.njit(cache=True)
def copy_columns(src, dst, first):
    """``dst[:, first:first + n] = src`` for ``src`` ``(K, n)``: one sample's ``dy`` into a group's."""
    K, n = src.shape
    L = dst.shape[1]
    a, b = src.reshape(-1), dst.reshape(-1)
    for k in range(K):
        for t in range(n):
            b[np.uint64(k * L + first + t)] = a[np.uint64(k * n + t)]


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


@numba.njit(cache=True)
def blocks_pay(rows, length):
    """Whether a product with ``rows`` output rows and dot products ``length`` long uses :func:`add_matmul_nt`."""
    return rows >= 4 and length >= BLOCKED_MIN_LENGTH


@numba.njit(cache=True)
def input_grad_is_correlation(C, K, R, S, sh, sw, ph, pw):
    """Whether :func:`conv2d_backward_samples` computes ``dx`` as a correlation (see the module docstring)."""
    return blocks_pay(C, K * R * S) and sh == sw == 1 and ph < R and pw < S


@numba.njit(cache=True, nogil=True)
def conv2d_samples(x, w2, w_cl, b, y, R, S, sh, sw, ph, pw, P, Q, first, stop):
    """``y[first:stop]`` ``(n, K, P*Q)`` = the correlation of ``x[first:stop]`` (``x`` ``(N, C, H, W)``)
    with the filters, plus ``b`` ``(K,)``: the forward pass of one chunk of samples.

    The filters come twice: ``w2`` ``(K, C*R*S)`` for :func:`im2col`, and
    ``w_cl`` ``(K, R*S*C)``, channels-last, for :func:`im2row` when the blocks pay.
    """
    N, C, H, W = x.shape
    K, window_size = w2.shape
    blocked = blocks_pay(K, window_size)
    Hp, Wp = H + 2 * ph, W + 2 * pw
    xpad = np.zeros((Hp, Wp, C) if blocked else (C, Hp, Wp), y.dtype)
    windows = np.empty((P * Q, window_size) if blocked else (window_size, P * Q), y.dtype)
    for n in range(first, stop):
        for k in range(K):
            y[n, k] = b[k]
        if blocked:
            pad_channels_last_into(x[n], xpad, ph, pw)
            im2row(xpad, windows, R, S, sh, sw, P, Q)
            add_matmul_nt(w_cl, windows, y[n])
        else:
            pad_into(x[n], xpad, ph, pw)
            im2col(xpad, windows, 0, R, S, sh, sw, P, Q)
            add_matmul_nn(w2, windows, y[n])


@numba.njit(cache=True, nogil=True)
def conv2d_backward_samples(dy, x, w2, w_flipped, dx, dw2, need_dx, R, S, sh, sw, ph, pw, P, Q, first, stop):
    """The backward pass of one chunk of samples, ``first`` to ``stop``: their ``dx`` ``(N, C, H, W)``
    rows, and ``dw2`` ``(K, C*R*S)`` = their part of the weight gradient, from ``dy`` ``(N, K, P, Q)``,
    ``x`` and ``w2`` ``(K, C*R*S)``.

    ``w_flipped`` ``(C, R*S*K)`` holds ``w[k, c, R-1-r, S-1-s]`` at ``[c, (r*S + s)*K + k]``;
    it is read only when :func:`input_grad_is_correlation`. With ``need_dx`` false, ``dx`` is
    neither computed nor touched (pass an empty ``(0, C, H, W)`` array).
    """
    N, C, H, W = x.shape
    K, window_size = w2.shape
    group = max(1, GROUP_COLUMNS // (P * Q))  # samples whose windows go into one product
    by_correlation = input_grad_is_correlation(C, K, R, S, sh, sw, ph, pw)
    qh, qw = R - 1 - ph, S - 1 - pw
    Hp, Wp = H + 2 * ph, W + 2 * pw
    w2_t = np.ascontiguousarray(w2.T)
    xpad = np.zeros((C, Hp, Wp), dw2.dtype)
    # One group's windows and dy, side by side; flat, so that a shorter last group is contiguous too.
    col_buffer = np.empty(window_size * group * P * Q, dw2.dtype)
    dy_buffer = np.empty(K * group * P * Q, dw2.dtype)
    # Scratch for one way of computing dx; the other way (or no dx) gets empty arrays.
    correlate, window_form = need_dx and by_correlation, need_dx and not by_correlation
    dypad = np.zeros((P + 2 * qh, Q + 2 * qw, K) if correlate else (0, 0, 0), dw2.dtype)
    dy_rows = np.empty((H * W, R * S * K) if correlate else (0, 0), dw2.dtype)
    dcol = np.empty((window_size, P * Q) if window_form else (0, 0), dw2.dtype)
    dxpad = np.zeros((C, Hp, Wp) if window_form else (0, 0, 0), dw2.dtype)
    dw2[:] = 0
    for group_first in range(first, stop, group):
        size = min(group, stop - group_first)
        col = col_buffer[: window_size * size * P * Q].reshape(window_size, size * P * Q)
        dy_group = dy_buffer[: K * size * P * Q].reshape(K, size * P * Q)
        for i in range(size):
            n = group_first + i
            pad_into(x[n], xpad, ph, pw)
            im2col(xpad, col, i * P * Q, R, S, sh, sw, P, Q)
            copy_columns(dy[n].reshape(K, P * Q), dy_group, i * P * Q)
            if correlate:
                pad_channels_last_into(dy[n], dypad, qh, qw)
                im2row(dypad, dy_rows, R, S, 1, 1, H, W)
                dx[n] = 0
                add_matmul_nt(w_flipped, dy_rows, dx[n].reshape(C, H * W))
            elif window_form:
                dcol[:] = 0
                add_matmul_nn(w2_t, dy[n].reshape(K, P * Q), dcol)
                dxpad[:] = 0
                col2im(dcol, dxpad, R, S, sh, sw, P, Q)
                dx[n] = dxpad[:, ph : ph + H, pw : pw + W]
        add_matmul_nt(dy_group, col, dw2)


@numba.njit(cache=True, nogil=True)
def add_up(partials, total):
    """``total`` = ``partials`` ``(chunks, ...)`` summed over its first axis, in chunk order."""
    flat, out = partials.reshape(partials.shape[0], -1), total.reshape(-1)
    out[:] = flat[0]
    for chunk in range(1, flat.shape[0]):
        out += flat[chunk]
