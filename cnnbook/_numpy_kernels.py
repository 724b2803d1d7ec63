"""The NumPy path for small calls: convolution and pooling without numba.

Most calls a learner makes in a chapter are tiny (a 5x5 image, a batch of two): a fraction of
a millisecond either way, while on an empty compile cache (a fresh clone, Colab, Binder) the
numba kernels' first call would wait seconds for the compiler. So :mod:`cnnbook.conv`
and :mod:`cnnbook.pool` send every call below a size threshold here. Which path a call takes
depends on its shapes only, so a given call always gives the same bits.

These compute what the numba kernels compute, through whole-batch window views:
``windows[n, c, i, j, r, s] = xpad[n, c, i*sh + r, j*sw + s]`` ``(N, C, P, Q, R, S)``.
As in the numba kernels, the input gradient only multiplies connected pairs (``dy`` with
``w``), so NaN and inf spread exactly as there (``tests/test_conv_nan.py``), and silently:
the numba kernels do not warn about overflow either.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def windows_of(x, kernel, stride, padding, output, fill=0.0):
    """``(N, C, P, Q, kh, kw)``: every window of ``x`` ``(N, C, H, W)`` padded with ``fill``."""
    (kh, kw), (sh, sw), (ph, pw), (P, Q) = kernel, stride, padding, output
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    return sliding_window_view(xpad, (kh, kw), axis=(2, 3))[:, :, : (P - 1) * sh + 1 : sh, : (Q - 1) * sw + 1 : sw]


def add_windows_into(dwindows, shape, kernel, stride, padding):
    """The transpose of :func:`windows_of`: ``dx`` ``shape`` ``(N, C, H, W)``, each pixel the sum of
    its entries in every window of ``dwindows`` ``(N, C, P, Q, kh, kw)`` (padding dropped)."""
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    P, Q = dwindows.shape[2:4]
    dxpad = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dwindows.dtype)
    for r in range(kh):
        for s in range(kw):
            dxpad[:, :, r : r + (P - 1) * sh + 1 : sh, s : s + (Q - 1) * sw + 1 : sw] += dwindows[..., r, s]
    return dxpad[:, :, ph : ph + H, pw : pw + W]


def conv2d(x, w, b, stride, padding, output):
    """``y`` ``(N, K, P, Q)`` from ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)`` and ``b`` ``(K,)``."""
    K, C, R, S = w.shape
    windows = windows_of(x, (R, S), stride, padding, output)
    rows = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * R * S)  # one window per row
    with np.errstate(all="ignore"):
        y = rows @ w.reshape(K, -1).T + b  # (N*P*Q, K)
    return np.ascontiguousarray(y.reshape(x.shape[0], *output, K).transpose(0, 3, 1, 2))


def conv2d_backward(dy, x, w, stride, padding, input_grad):
    """``(dx, dw)`` from ``dy`` ``(N, K, P, Q)``, ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``;
    ``dx`` is ``None`` unless ``input_grad``."""
    K, C, R, S = w.shape
    N, _, P, Q = dy.shape
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, K)  # (N*P*Q, K)
    windows = windows_of(x, (R, S), stride, padding, (P, Q))
    rows = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * R * S)
    with np.errstate(all="ignore"):
        dw = (dy_rows.T @ rows).reshape(w.shape)
        if not input_grad:
            return None, dw
        dwindows = (dy_rows @ w.reshape(K, -1)).reshape(N, P, Q, C, R, S).transpose(0, 3, 1, 2, 4, 5)
        return np.ascontiguousarray(add_windows_into(dwindows, x.shape, (R, S), stride, padding)), dw


def max_pool_with_indices(x, kernel, stride, padding, output):
    """``y`` and ``indices`` ``(N, C, P, Q)`` as :func:`cnnbook._pool_kernels.max_pool_forward`:
    the first maximum of each ``-inf``-padded window (NaN beats every number, as in ``np.argmax``),
    and its position ``row * W + col`` in its plane, or -1 when it is padding."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    windows = windows_of(x, kernel, stride, padding, output, fill=-np.inf)
    flat = windows.reshape(*windows.shape[:4], kh * kw)
    first = flat.argmax(axis=-1)
    y = np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]
    i = np.arange(output[0])[:, None]
    j = np.arange(output[1])[None, :]
    row, col = i * sh - ph + first // kw, j * sw - pw + first % kw
    H, W = x.shape[2:]
    inside = (row >= 0) & (row < H) & (col >= 0) & (col < W)
    return np.ascontiguousarray(y), np.where(inside, row * W + col, -1).astype(np.int32)


def max_pool_backward_at(dy, indices, dx):
    """Add ``dy`` ``(N, C, P, Q)`` into the zeroed ``dx`` ``(N, C, H, W)`` at ``indices`` (skipping -1)."""
    planes, targets = dx.reshape(dx.shape[0] * dx.shape[1], -1), indices.reshape(len(dx) * dx.shape[1], -1)
    plane_of = np.broadcast_to(np.arange(planes.shape[0])[:, None], targets.shape)
    chosen = targets >= 0
    np.add.at(planes, (plane_of[chosen], targets[chosen]), dy.reshape(targets.shape)[chosen])


def avg_pool2d(x, kernel, stride, padding, output):
    """``y`` ``(N, C, P, Q)``: each zero-padded window's sum divided by ``kh * kw``.

    As :func:`cnnbook._pool_kernels.avg_pool_forward` computes it, to the bit: each window's cells
    added up in float64 in row-major order, from +0.0 (the padding's zeros change no such sum).
    """
    windows = windows_of(x, kernel, stride, padding, output)
    total = np.zeros(windows.shape[:4])
    for r in range(kernel[0]):
        for s in range(kernel[1]):
            total += windows[..., r, s]
    return (total / (kernel[0] * kernel[1])).astype(x.dtype)


def avg_pool2d_backward(dy, shape, kernel, stride, padding):
    """``dx`` ``shape`` ``(N, C, H, W)``: ``dy`` ``(N, C, P, Q)`` / ``(kh * kw)`` spread over each window.

    As :func:`cnnbook._pool_kernels.avg_pool_backward` computes it, to the bit: each share in float64,
    each cell adding its windows' shares in their row-major order (so the cells of a window in reverse)
    and rounding to ``dy``'s dtype after each. For one cell of the window the windows' cells are distinct.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    N, C, H, W = shape
    P, Q = dy.shape[2:]
    share = dy.astype(np.float64) / (kh * kw)
    dxpad = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dy.dtype)
    for r in reversed(range(kh)):
        for s in reversed(range(kw)):
            cells = dxpad[:, :, r: r + (P - 1) * sh + 1: sh, s: s + (Q - 1) * sw + 1: sw]
            cells[...] = cells + share
    return np.ascontiguousarray(dxpad[:, :, ph: ph + H, pw: pw + W])
