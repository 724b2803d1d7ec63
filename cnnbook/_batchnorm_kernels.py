"""numba kernels behind :mod:`cnnbook.batchnorm`; :func:`~cnnbook.batchnorm.batch_norm2d_reference`
and :func:`~cnnbook.batchnorm.batch_norm2d_backward_reference` say what they compute.

Why numba here: the feature maps of the digits are small (a batch of 32 has 8x8 or 4x4 maps of 12
to 24 channels), so in NumPy, about eight whole-array passes each with its own temporary array and
call overhead, batch normalisation cost about a fifth of a training epoch of
:func:`cnnbook.nn.build_resnet_digits`. These kernels read ``x`` twice for the statistics and make
one pass to write ``y``, two for ``dx``.

Arrays are C-contiguous ``(N, C, L)`` views of ``(N, C, H, W)`` (``L = H*W``: the inner loop runs
along a whole feature map). Sums are accumulated in float64 whatever the dtype. Reassociating the
sums lets LLVM vectorise them; it keeps NaN and inf semantics. Single-threaded: one channel's sums
are a few thousand additions, less than the cost of starting a thread.
"""

from __future__ import annotations

import numba
import numpy as np

VECTORISE = {"reassoc", "contract"}


@numba.njit(cache=True, nogil=True, fastmath=VECTORISE)
def channel_mean_var(x):
    """Per-channel mean and biased variance of ``x`` ``(N, C, L)`` (the mean, then squares around it): float64 ``(C,)``."""
    N, C, L = x.shape
    mean, var = np.zeros(C), np.zeros(C)
    for n in range(N):
        for c in range(C):
            total = 0.0
            for i in range(L):
                total += x[n, c, i]
            mean[c] += total
    mean /= N * L
    for n in range(N):
        for c in range(C):
            mu, squares = mean[c], 0.0
            for i in range(L):
                d = x[n, c, i] - mu
                squares += d * d
            var[c] += squares
    var /= N * L
    return mean, var


@numba.njit(cache=True, nogil=True, fastmath=VECTORISE)
def normalise(x, mean, scale, shift, y):
    """``y = scale * (x - mean) + shift`` per channel, into ``y`` ``(N, C, L)``; the rest ``(C,)``, all of x's dtype."""
    N, C, L = x.shape
    for n in range(N):
        for c in range(C):
            mu, a, b = mean[c], scale[c], shift[c]
            for i in range(L):
                y[n, c, i] = a * (x[n, c, i] - mu) + b


@numba.njit(cache=True, nogil=True, fastmath=VECTORISE)
def backward_sums(dy, x, mean, inv_std):
    """``sum(dy)`` and ``sum(dy * xhat)`` per channel, float64 ``(C,)``, with ``xhat = (x - mean) * inv_std``."""
    N, C, L = x.shape
    sum_dy, sum_dy_xmu = np.zeros(C), np.zeros(C)
    for n in range(N):
        for c in range(C):
            mu, a, b = mean[c], 0.0, 0.0
            for i in range(L):
                d = dy[n, c, i]
                a += d
                b += d * (x[n, c, i] - mu)
            sum_dy[c] += a
            sum_dy_xmu[c] += b
    return sum_dy, sum_dy_xmu * inv_std


@numba.njit(cache=True, nogil=True, fastmath=VECTORISE)
def backward_dx(dy, x, mean, a, b, c0, dx):
    """``dx = a * dy + b * (x - mean) + c0`` per channel, into ``dx`` ``(N, C, L)``; the rest ``(C,)``, of x's dtype."""
    N, C, L = x.shape
    for n in range(N):
        for c in range(C):
            mu, ac, bc, cc = mean[c], a[c], b[c], c0[c]
            for i in range(L):
                dx[n, c, i] = ac * dy[n, c, i] + bc * (x[n, c, i] - mu) + cc
