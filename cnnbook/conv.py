"""The convolutional layer: ``conv2d`` and ``conv2d_backward``, checked and fast.

Same numbers as :mod:`cnnbook.conv_reference` (the loops the chapter reads), computed
by the numba kernels in :mod:`cnnbook._conv_kernels`. Shapes (NCHW):
``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``, ``b`` ``(K,)``, ``y`` and ``dy``
``(N, K, P, Q)`` with ``P = floor((H + 2*ph - R) / sh) + 1`` and ``Q`` likewise.
"""

from __future__ import annotations

import numpy as np

from . import _blas, _gemm, _numpy_kernels
from . import _conv_kernels as kernels
from ._parallel import run_split
from ._uncompiled import kernel_for, threads_for
from ._validation import as_float_array, as_input_and_filters, as_pair, common_float_dtype, require_shape

# Calls below this many multiply-adds (the chapters' examples) take the NumPy path: 3-4x slower per
# call than the compiled kernels (about 0.2 ms against 0.05 for a chapter's example), but with no wait
# for numba's compiler on an empty cache. Training layers (a batch of 32 digits: 2^17.8) stay compiled.
SMALL_WORK = 1 << 16


def conv2d(x, w, b=None, stride=1, padding=0) -> np.ndarray:
    """Cross-correlate a batch of images with a bank of filters, plus one bias per filter.

    ``y[n, k, i, j] = sum_{c, r, s} xpad[n, c, i*sh + r, j*sw + s] * w[k, c, r, s] + b[k]``,
    with ``xpad`` the input zero-padded by ``padding``.

    Parameters: ``x`` ``(N, C, H, W)``; ``w`` ``(K, C, R, S)``; ``b`` ``(K,)`` or ``None``;
    ``stride`` and ``padding``: an int or an ``(h, w)`` pair.
    Returns ``y`` ``(N, K, P, Q)``, float32 if every input is float32, else float64.
    """
    layer = _Layer("conv2d", x, w, stride, padding, b=b)
    x, w = layer.x, layer.w
    N, K = x.shape[0], w.shape[0]
    bias = np.zeros(K, layer.dtype) if layer.b is None else layer.b
    if layer.is_small():
        return _numpy_kernels.conv2d(x, w, bias, layer.stride, layer.padding, (layer.P, layer.Q))
    y = np.empty((N, K, layer.P, layer.Q), layer.dtype)
    chunks = kernels.forward_chunks(N, layer.work_per_sample())
    plan = layer.plan(chunks)
    xpad, col, out = kernels.buffers(plan, chunks, layer.dtype, ("xpad", "col", "out"))
    flat = (x.reshape(-1), w.reshape(-1), bias, y.reshape(-1))
    samples = kernel_for(kernels.conv2d_samples, layer.dtype)
    _run(lambda i, first, stop: samples(*flat, xpad[i], col[i], out[i], plan, first, stop), N, chunks,
         threads_for(samples))
    return y


def conv2d_backward(dy, x, w, stride=1, padding=0, input_grad=True):
    """Gradients of a loss through :func:`conv2d`, given ``dy``, the gradient of its output.

    Parameters: ``dy`` ``(N, K, P, Q)``; ``x`` ``(N, C, H, W)`` and ``w`` ``(K, C, R, S)``,
    the forward pass's inputs; ``stride`` and ``padding`` as in the forward pass.
    Returns ``(dx, dw, db)`` shaped ``(N, C, H, W)``, ``(K, C, R, S)``, ``(K,)``.
    With ``input_grad=False`` ``dx`` is not computed (it is ``None``): the first layer of a
    network needs only ``dw`` and ``db``, and ``dx`` would cost about as much again.
    """
    layer = _Layer("conv2d_backward", x, w, stride, padding, dy=dy)
    x, w, dy = layer.x, layer.w, layer.dy
    db = dy.sum(axis=0).reshape(w.shape[0], -1).sum(axis=1)  # as dy.sum(axis=(0, 2, 3)), 3x faster
    if layer.is_small():
        dx, dw = _numpy_kernels.conv2d_backward(dy, x, w, layer.stride, layer.padding, input_grad)
        return dx, dw, db
    dx = np.empty(x.shape if input_grad else 0, layer.dtype)
    N = x.shape[0]
    chunks = kernels.backward_chunks(N, layer.work_per_sample(), layer.P * layer.Q)
    plan = layer.plan(chunks)
    names = ("xpad", "col", "out", "dcol", "dxpad") if input_grad else ("xpad", "col", "out")
    xpad, col, dy_group, *dx_buffers = kernels.buffers(plan, chunks, layer.dtype, names)
    dcol, dxpad = dx_buffers or [np.empty((chunks, 0), layer.dtype)] * 2
    partial_dw = np.empty((chunks, w.size), layer.dtype)  # one per chunk, added up in chunk order
    flat = (dy.reshape(-1), x.reshape(-1), w.reshape(-1), dx.reshape(-1))
    samples = kernel_for(kernels.conv2d_backward_samples, layer.dtype)
    _run(lambda i, first, stop: samples(
        *flat, partial_dw[i], bool(input_grad), xpad[i], col[i], dy_group[i], dcol[i], dxpad[i], plan, first, stop),
        N, chunks, threads_for(samples))
    dw = partial_dw[0]
    for part in partial_dw[1:]:
        dw += part
    return (dx if input_grad else None), dw.reshape(w.shape), db


def _run(compute_range, count, chunks, threads):
    """:func:`cnnbook._parallel.run_split` for kernels that call BLAS's gemm (:mod:`cnnbook._gemm`)."""
    _gemm.register_symbols()
    with _blas.single_threaded():
        run_split(compute_range, count, chunks, threads)


class _Layer:
    """The checked arguments of one call: contiguous arrays of one float dtype, and the sizes."""

    def __init__(self, func, x, w, stride, padding, b=None, dy=None):
        self.func = func
        x, w = as_input_and_filters(x, w, func)
        self.stride = as_pair(stride, "stride", func, minimum=1)
        self.padding = as_pair(padding, "padding", func, minimum=0)
        self.P, self.Q = self._output_size(x, w)
        arrays = [x, w]
        if b is not None:
            b = as_float_array(b, "b", func)
            require_shape(b, (w.shape[0],), "b", func, f"one bias per filter of w {w.shape}")
            arrays.append(b)
        if dy is not None:
            dy = as_float_array(dy, "dy", func)
            expected = (x.shape[0], w.shape[0], self.P, self.Q)
            require_shape(dy, expected, "dy", func, f"the output of conv2d for x {x.shape}, w {w.shape}, "
                          f"stride {self.stride}, padding {self.padding}")
            arrays.append(dy)
        self.dtype = common_float_dtype(*arrays)
        self.x, self.w = self.cast(x), self.cast(w)
        self.b = None if b is None else self.cast(b)
        self.dy = None if dy is None else self.cast(dy)

    def cast(self, array):
        return np.ascontiguousarray(array, dtype=self.dtype)

    def _output_size(self, x, w):
        func, (ph, pw) = self.func, self.padding
        if min(x.shape[1:]) < 1 or min(w.shape) < 1:
            raise ValueError(f"{func}: x and w must not be empty (only N may be 0); got x {x.shape}, w {w.shape}")
        padded = (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw)
        kernel = w.shape[2:]
        if kernel[0] > padded[0] or kernel[1] > padded[1]:
            raise ValueError(
                f"{func}: kernel {kernel} is larger than the padded input {padded} "
                f"(x {x.shape}, w {w.shape}, padding {self.padding})"
            )
        (sh, sw) = self.stride
        return (padded[0] - kernel[0]) // sh + 1, (padded[1] - kernel[1]) // sw + 1

    def is_small(self):
        """Whether this call takes the NumPy path (:mod:`cnnbook._numpy_kernels`): a forward pass
        of fewer than ``SMALL_WORK`` multiply-adds, too small to wait for the compiler for."""
        return self.x.shape[0] * self.work_per_sample() < SMALL_WORK

    def work_per_sample(self):
        """Multiply-adds of one sample's forward pass: ``K * C*R*S * P*Q``."""
        return self.w.size * self.P * self.Q

    def plan(self, chunks):
        """The sizes the kernels take (:func:`cnnbook._conv_kernels.make_plan`), the batch cut into ``chunks``."""
        largest_chunk = -(-self.x.shape[0] // chunks)
        return kernels.make_plan(self.x.shape, self.w.shape, self.stride, self.padding, (self.P, self.Q), largest_chunk)
