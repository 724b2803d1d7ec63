"""Max and average pooling over the spatial axes of an NCHW batch, and their gradients.

A pooling layer slides a ``kh x kw`` window over each channel of each image
independently, ``stride`` steps at a time, and summarises every window by one
number: its maximum (:func:`max_pool2d`) or its mean (:func:`avg_pool2d`). The
output of ``x`` ``(N, C, H, W)`` is ``(N, C, P, Q)`` with
``P = floor((H + 2*ph - kh) / sh) + 1`` (and likewise ``Q``).

Padding follows ``torch.nn.functional``: max pooling pads with ``-inf`` (the
padding never wins), average pooling pads with zeros that count in the mean
(every window is divided by ``kh * kw``). As in PyTorch, ``padding`` may be at
most half the kernel size, so that every window holds at least one input value.

NaN propagates, as in PyTorch: a window containing NaN pools to NaN. Max pooling
treats NaN as larger than every number, so the gradient of such a window goes to
its first NaN.

The loops that define these operations, written to be read, are in
:mod:`cnnbook.pool_reference`; the functions here check their arguments and run
numba-compiled kernels that compute the same numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _numpy_kernels, _pool_kernels
from ._parallel import run_split
from ._uncompiled import kernel_for, threads_for
from ._validation import as_float_array, as_pair, common_float_dtype, require_ndim, require_shape
from .sizes import conv_output_size


class PoolWindows(NamedTuple):
    """Where the windows of a pooling layer lie: four ``(h, w)`` pairs."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    output: tuple[int, int]  # (P, Q): the number of window positions per axis

    def geometry(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        """``(kernel, stride, padding)``, the arguments every kernel takes after its arrays."""
        return self.kernel, self.stride, self.padding


def max_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Max pooling: the largest value of each window.

    ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C, P, Q)``. ``kernel_size``, ``stride``
    and ``padding`` are ints or ``(h, w)`` pairs; ``stride`` defaults to
    ``kernel_size`` (windows side by side). The input is padded with ``-inf``.
    A window containing NaN gives NaN.
    """
    x, windows = check_pool_arguments("max_pool2d", x, kernel_size, stride, padding)
    return max_pool_with_indices(x, windows)[0]


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to its input ``x``.

    ``dy`` ``(N, C, P, Q)`` is the gradient of the loss with respect to the
    output; ``x`` ``(N, C, H, W)`` is the forward *input*. Returns ``dx``
    ``(N, C, H, W)``: each ``dy`` entry goes to the position of its window's
    maximum, the first one in row-major order when several entries tie (the
    first NaN when the window holds NaN), and overlapping windows add up.
    Padding is never chosen while the window holds a value above ``-inf``.
    """
    dy, x, windows = check_pool_backward_arguments("max_pool2d_backward", dy, x, kernel_size, stride, padding)
    return max_pool_backward_at(dy, max_pool_with_indices(x, windows)[1], x)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average (mean) pooling: the mean of each window.

    ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C, P, Q)``. ``kernel_size``, ``stride``
    and ``padding`` are ints or ``(h, w)`` pairs; ``stride`` defaults to
    ``kernel_size``. The input is padded with zeros and every window is divided
    by ``kh * kw``, padding included (PyTorch's ``count_include_pad=True``).
    """
    x, windows = check_pool_arguments("avg_pool2d", x, kernel_size, stride, padding)
    if is_small(x):
        return _numpy_kernels.avg_pool2d(x, *windows)
    y = np.empty(x.shape[:2] + windows.output, dtype=x.dtype)
    _on_planes(_pool_kernels.avg_pool_forward, _planes(x), *windows.geometry(), _planes(y))
    return y


def avg_pool2d_backward(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`avg_pool2d` with respect to its input ``x``.

    ``dy`` ``(N, C, P, Q)`` is the gradient with respect to the output; ``x``
    ``(N, C, H, W)`` is the forward input (only its shape matters). Returns
    ``dx`` ``(N, C, H, W)``: each ``dy`` entry is spread evenly over its window,
    ``dy / (kh * kw)`` per cell; the shares that fall on padding are dropped.
    """
    dy, x, windows = check_pool_backward_arguments("avg_pool2d_backward", dy, x, kernel_size, stride, padding)
    if is_small(x):
        return _numpy_kernels.avg_pool2d_backward(dy, x.shape, *windows.geometry())
    dx = np.zeros(x.shape, dtype=dy.dtype)
    _on_planes(_pool_kernels.avg_pool_backward, _planes(dy), *windows.geometry(), _planes(dx))
    return dx


def check_pool_arguments(func: str, x, kernel_size, stride, padding) -> tuple[np.ndarray, PoolWindows]:
    """Validate a pooling call; return ``x`` as a float array and the window geometry.

    Raises ``TypeError`` for non-numeric ``x`` or non-integer sizes, and
    ``ValueError`` (naming the shapes and values) for a wrong rank, an empty
    image, ``stride < 1``, ``padding < 0``, padding above half the kernel, or a
    kernel larger than the padded input.
    """
    x = as_float_array(x, "x", func)
    require_ndim(x, 4, "x", func, "(N, C, H, W)")
    kernel = as_pair(kernel_size, "kernel_size", func, minimum=1)
    stride = kernel if stride is None else as_pair(stride, "stride", func, minimum=1)
    padding = as_pair(padding, "padding", func, minimum=0)
    image = x.shape[2:]
    if min(image) < 1:
        raise ValueError(f"{func}: x must have H >= 1 and W >= 1; got shape {x.shape}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(
            f"{func}: padding must be at most half of kernel_size (as in PyTorch), so that no window "
            f"lies wholly in the padding; got padding {padding} for kernel_size {kernel}"
        )
    padded = tuple(n + 2 * p for n, p in zip(image, padding))
    if any(k > n for k, n in zip(kernel, padded)):
        raise ValueError(
            f"{func}: kernel_size {kernel} is larger than the padded input {padded} "
            f"(x {x.shape}, padding {padding})"
        )
    output = tuple(conv_output_size(n, k, s, p) for n, k, s, p in zip(image, kernel, stride, padding))
    return x, PoolWindows(kernel, stride, padding, output)


def check_pool_backward_arguments(func: str, dy, x, kernel_size, stride, padding):
    """:func:`check_pool_arguments` plus ``dy``: it must have the forward output's shape.

    Returns ``(dy, x, windows)`` with ``dy`` and ``x`` in their common float dtype.
    """
    x, windows = check_pool_arguments(func, x, kernel_size, stride, padding)
    dy = as_float_array(dy, "dy", func)
    forward = func.replace("_backward", "")
    require_shape(
        dy,
        x.shape[:2] + windows.output,
        "dy",
        func,
        f"the output of {forward} for x {x.shape}, kernel_size {windows.kernel}, "
        f"stride {windows.stride}, padding {windows.padding}",
    )
    dtype = common_float_dtype(dy, x)
    return dy.astype(dtype, copy=False), x.astype(dtype, copy=False), windows


def _planes(array: np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` as a C-contiguous stack of ``N * C`` planes ``(N*C, H, W)``."""
    return np.ascontiguousarray(array).reshape((-1,) + array.shape[2:])


def is_small(x: np.ndarray) -> bool:
    """Whether pooling ``x`` takes the NumPy path (:mod:`cnnbook._numpy_kernels`): fewer than
    ``SMALL_CELLS`` input cells, too few to wait for numba's compiler for."""
    return x.size < SMALL_CELLS


# Inputs below this many cells (the chapters' examples) take the NumPy path.
SMALL_CELLS = 1 << 14
# A chunk of planes is worth a turn of the thread pool from about this many input cells on.
MIN_CHUNK_CELLS = 1 << 16
CHUNKS = 8


def _on_planes(kernel, planes: np.ndarray, *arguments) -> None:
    """Run ``kernel(planes, *arguments, first, stop)`` over chunks of the ``(N*C, H, W)`` ``planes``
    (uncompiled while numba compiles it: :func:`cnnbook._uncompiled.kernel_for`).

    The chunks depend on the shape only; each plane is computed by one thread.
    """
    kernel = kernel_for(kernel, planes.dtype)
    count = planes.shape[0]
    chunks = max(1, min(count, CHUNKS, planes.size // MIN_CHUNK_CELLS))
    run_split(lambda _, first, stop: kernel(planes, *arguments, first, stop), count, chunks, threads_for(kernel))


def max_pool_with_indices(x: np.ndarray, windows: PoolWindows) -> tuple[np.ndarray, np.ndarray]:
    """:func:`max_pool2d` of a checked ``x`` (:func:`check_pool_arguments`), and where each maximum is.

    Returns ``y`` ``(N, C, P, Q)`` and ``indices`` ``(N, C, P, Q)`` int32: the position of each
    window's first maximum in its ``H x W`` plane, ``row * W + col`` (PyTorch's
    ``return_indices``), or -1 when it is padding. :class:`cnnbook.nn.layers.MaxPool2d` keeps them
    for its backward pass (:func:`max_pool_backward_at`).
    """
    if is_small(x):
        return _numpy_kernels.max_pool_with_indices(x, *windows)
    y = np.empty(x.shape[:2] + windows.output, dtype=x.dtype)
    indices = np.empty(y.shape, dtype=np.int32)
    _on_planes(_pool_kernels.max_pool_forward, _planes(x), *windows.geometry(), _planes(y), _planes(indices))
    return y, indices


def max_pool_backward_at(dy: np.ndarray, indices: np.ndarray, x: np.ndarray) -> np.ndarray:
    """:func:`max_pool2d_backward` given the ``indices`` of :func:`max_pool_with_indices` for ``x``.

    ``dy`` must have the shape of ``indices`` (unchecked: callers check it). ``dx`` has ``x``'s
    shape and the common float dtype of ``dy`` and ``x``.
    """
    dx = np.zeros(x.shape, dtype=common_float_dtype(dy, x))
    if is_small(x):
        _numpy_kernels.max_pool_backward_at(dy.astype(dx.dtype, copy=False), indices, dx)
        return dx
    _on_planes(_pool_kernels.max_pool_backward, _planes(dy.astype(dx.dtype, copy=False)), _planes(indices),
               _planes(dx))
    return dx
