"""A convolutional layer, forward and backward, written to be read.

These are the loops the convolution chapter derives; :mod:`cnnbook.conv` computes
the same numbers fast, and the tests hold the two together. Shapes (NCHW):

* ``x``  ``(N, C, H, W)``   a batch of ``N`` images with ``C`` channels;
* ``w``  ``(K, C, R, S)``   ``K`` filters, each ``C`` channels deep and ``R x S`` wide;
* ``b``  ``(K,)``           one bias per filter;
* ``y``  ``(N, K, P, Q)``   ``P = floor((H + 2*ph - R) / sh) + 1``, ``Q`` likewise.

``stride`` ``(sh, sw)`` and ``padding`` ``(ph, pw)`` are ints or ``(h, w)`` pairs.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_pair
from .signal import correlate2d
from .spatial import crop2d, insert_zeros2d, pad2d, rot180


def conv2d_reference(x, w, b=None, stride=1, padding=0) -> np.ndarray:
    """The forward pass: one dot product per output value.

    ``y[n, k, i, j] = sum_{c, r, s} xpad[n, c, i*sh + r, j*sw + s] * w[k, c, r, s] + b[k]``,
    where ``xpad`` is ``x`` with ``ph`` rows and ``pw`` columns of zeros on each side.
    This is a cross-correlation: the filter slides over the image unflipped.

    ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``, ``b`` ``(K,)`` or ``None``
    -> ``y`` ``(N, K, P, Q)``.
    """
    sh, sw = as_pair(stride, "stride", "conv2d_reference", minimum=1)
    padding = as_pair(padding, "padding", "conv2d_reference", minimum=0)
    x, w = np.asarray(x), np.asarray(w)
    xpad = pad2d(x, padding)
    N, C, Hpad, Wpad = xpad.shape
    K, _, R, S = w.shape
    P, Q = (Hpad - R) // sh + 1, (Wpad - S) // sw + 1

    y = np.zeros((N, K, P, Q), dtype=np.result_type(x, w, np.float32))
    for n in range(N):
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    window = xpad[n, :, i * sh : i * sh + R, j * sw : j * sw + S]  # (C, R, S)
                    y[n, k, i, j] = np.sum(window * w[k])
    if b is not None:
        y += np.asarray(b, dtype=y.dtype)[None, :, None, None]
    return y


def conv2d_backward_reference(dy, x, w, stride=1, padding=0):
    """The backward pass: the gradients of a loss ``L`` given ``dy = dL/dy``.

    ``dy`` ``(N, K, P, Q)``, ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``
    -> ``dx`` ``(N, C, H, W)``, ``dw`` ``(K, C, R, S)``, ``db`` ``(K,)``.

    A strided layer computes a stride-1 layer's output only every ``sh``-th row and
    ``sw``-th column. So the backward pass first spreads ``dy`` onto the stride-1 grid
    by *zero insertion* (``sh - 1`` zero rows and ``sw - 1`` zero columns between
    neighbouring entries: the skipped outputs); after that everything is a stride-1
    correlation:

    * ``dw[k, c]`` is the valid correlation of the padded input ``xpad[n, c]`` with
      the spread ``dy[n, k]``, summed over the batch;
    * ``dxpad[n, c]`` is the FULL correlation of the spread ``dy[n, k]`` with the
      filter rotated by 180 degrees, ``rot180(w[k, c])``, summed over the filters
      (equivalently, the full true convolution with ``w[k, c]`` itself);
      ``dx`` is ``dxpad`` with the padding cropped off (padding is not an input);
    * ``db[k]`` is ``dy[:, k]`` summed over the batch and both spatial axes.

    For finite inputs this is the specification the fast kernels are tested against.
    With NaN or inf in ``x`` or ``w`` the inserted zeros also meet them (NaN * 0 = NaN),
    so here a NaN may spread to gradients it has no connection to; the fast kernels
    multiply only connected pairs, as PyTorch does (``tests/test_conv_nan.py``).
    """
    stride = as_pair(stride, "stride", "conv2d_backward_reference", minimum=1)
    padding = as_pair(padding, "padding", "conv2d_backward_reference", minimum=0)
    dy, x, w = np.asarray(dy), np.asarray(x), np.asarray(w)
    xpad = pad2d(x, padding)
    N, C, Hpad, Wpad = xpad.shape
    K, _, R, S = w.shape

    # The spread dy covers the window positions (0, 0) ... ((P-1)*sh, (Q-1)*sw).
    # When the stride does not divide Hpad - R, the last rows of xpad are in no
    # window at all: a stride-1 layer would have had outputs there, ours has none,
    # so their gradient is zero. Padding the spread dy with zeros on the bottom
    # and right gives it the shape of a stride-1 output, (Hpad - R + 1, Wpad - S + 1).
    dy_spread = insert_zeros2d(dy, stride)
    unused_rows = (Hpad - R + 1) - dy_spread.shape[2]
    unused_cols = (Wpad - S + 1) - dy_spread.shape[3]
    dy_spread = np.pad(dy_spread, ((0, 0), (0, 0), (0, unused_rows), (0, unused_cols)))

    dtype = np.result_type(dy, x, w, np.float32)
    dxpad = np.zeros(xpad.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    for n in range(N):
        for k in range(K):
            for c in range(C):
                # Each input pixel reached every output its window touched, through
                # the filter entry that connected them: sliding the rotated filter
                # over the zero-bordered ("full") gradient collects exactly those.
                dxpad[n, c] += correlate2d(dy_spread[n, k], rot180(w[k, c]), mode="full")
                dw[k, c] += correlate2d(xpad[n, c], dy_spread[n, k], mode="valid")
    dx = crop2d(dxpad, padding)
    db = dy.sum(axis=(0, 2, 3), dtype=dtype)
    return np.ascontiguousarray(dx), dw, db
