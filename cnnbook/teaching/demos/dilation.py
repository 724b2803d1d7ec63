"""Chapter 3: dilated (atrous) convolution, a kernel whose taps are spaced ``d`` apart.

A dilated convolution reads the input at ``d``-pixel steps inside each window:

``y[n, k, i, j] = b[k] + sum_{c, r, s} xpad[n, c, i*sh + dh*r, j*sw + dw*s] * w[k, c, r, s]``.

It is exactly an ordinary convolution with the kernel spread out by inserting ``d - 1``
zeros between neighbouring taps (:func:`dilate_kernel`), which is how
:func:`dilated_conv2d` computes it with :func:`cnnbook.conv2d`;
:func:`dilated_conv2d_reference` is the loop over output positions, written from the
formula, that the tests hold it to. Shapes (NCHW): ``x`` ``(N, C, H, W)``, ``w``
``(K, C, R, S)``, ``b`` ``(K,)``, ``y`` ``(N, K, P, Q)`` with
``P = floor((H + 2*ph - dh*(R-1) - 1) / sh) + 1`` (:func:`cnnbook.conv_output_size`).
"""

from __future__ import annotations

import numpy as np

from ..._validation import as_float_array, as_input_and_filters, as_pair, common_float_dtype, require_shape
from ...conv import conv2d
from ...sizes import conv_output_size
from ...spatial import insert_zeros2d, pad2d


def dilate_kernel(w, dilation) -> np.ndarray:
    """``w`` ``(..., R, S)`` with ``dh - 1`` zero rows and ``dw - 1`` zero columns between its taps.

    ``dilation`` is an int or a ``(dh, dw)`` pair, each ``>= 1``. The result has shape
    ``(..., dh*(R-1) + 1, dw*(S-1) + 1)``, the extent the dilated kernel covers; it is a new
    array (``w`` is not modified) with ``w``'s dtype.
    """
    dh, dw = as_pair(dilation, "dilation", "dilate_kernel", minimum=1)
    w = np.asarray(w)
    if w.ndim < 2:
        raise ValueError(f"dilate_kernel: w must have at least 2 dimensions (..., R, S); got shape {w.shape}")
    return insert_zeros2d(w, (dh, dw))


def _check(func, x, w, b, stride, padding, dilation):
    """The checked arguments: ``x``, ``w``, ``b`` in one float dtype and the three ``(h, w)`` pairs."""
    x, w = as_input_and_filters(x, w, func)
    arrays = [x, w]
    if b is not None:
        b = as_float_array(b, "b", func)
        require_shape(b, (w.shape[0],), "b", func, f"one bias per filter of w {w.shape}")
        arrays.append(b)
    stride = as_pair(stride, "stride", func, minimum=1)
    padding = as_pair(padding, "padding", func, minimum=0)
    dilation = as_pair(dilation, "dilation", func, minimum=1)
    for axis in (0, 1):
        span = dilation[axis] * (w.shape[2 + axis] - 1) + 1
        padded = x.shape[2 + axis] + 2 * padding[axis]
        if span > padded:
            raise ValueError(f"{func}: the dilated kernel spans {span} along axis {2 + axis} but the padded input "
                             f"has only {padded} (x {x.shape}, w {w.shape}, padding {padding}, dilation {dilation})")
    dtype = common_float_dtype(*arrays)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), \
        None if b is None else b.astype(dtype, copy=False), stride, padding, dilation


def dilated_conv2d_reference(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The dilated cross-correlation as a loop over output positions, written from the formula.

    ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``, ``b`` ``(K,)`` or ``None``; ``stride``,
    ``padding`` and ``dilation`` an int or an ``(h, w)`` pair. Returns ``y`` ``(N, K, P, Q)``.
    Window ``(i, j)`` reads the ``R x S`` taps ``xpad[:, i*sh + dh*r, j*sw + dw*s]``: the slice
    from row ``i*sh`` in steps of ``dh``, and from column ``j*sw`` in steps of ``dw``.
    """
    x, w, b, (sh, sw), (ph, pw), (dh, dw) = _check("dilated_conv2d_reference", x, w, b, stride, padding, dilation)
    N, _, H, W = x.shape
    K, _, R, S = w.shape
    P = conv_output_size(H, R, sh, ph, dh)
    Q = conv_output_size(W, S, sw, pw, dw)
    xpad = pad2d(x, (ph, pw))
    y = np.zeros((N, K, P, Q), dtype=x.dtype)
    for n in range(N):
        for i in range(P):
            for j in range(Q):
                taps = xpad[n, :, i * sh : i * sh + dh * (R - 1) + 1 : dh, j * sw : j * sw + dw * (S - 1) + 1 : dw]
                for k in range(K):
                    y[n, k, i, j] = np.sum(taps * w[k])          # taps (C, R, S), one filter (C, R, S)
    if b is not None:
        y += b[None, :, None, None]
    return y


def dilated_conv2d(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The same numbers as :func:`dilated_conv2d_reference`, as ``conv2d(x, dilate_kernel(w, dilation), ...)``.

    Shapes as there. The zero-inserted kernel ``(K, C, dh*(R-1)+1, dw*(S-1)+1)`` multiplies
    its inserted zeros too, which wastes work but not correctness: this is the definition
    checked, not a fast path.
    """
    x, w, b, stride, padding, dilation = _check("dilated_conv2d", x, w, b, stride, padding, dilation)
    return conv2d(x, dilate_kernel(w, dilation), b, stride=stride, padding=padding)
