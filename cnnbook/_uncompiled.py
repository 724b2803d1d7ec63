"""The numba kernels without the compiler: the same bits, while numba compiles them.

On an empty compile cache (a fresh clone, Colab, Binder) the first call of each kernel would wait
seconds for numba. Instead, :mod:`cnnbook._cold_cache` compiles them in a background process and,
until they are ready, the layers call the kernels here, which compute the same numbers to the last bit:

* **Convolution:** the kernels of :mod:`cnnbook._conv_kernels` themselves, their Python source run
  by Python (:func:`as_python`), with the loops they call (copies, ``im2col``, ``col2im``, the bias)
  replaced by the NumPy functions below and :func:`cnnbook._gemm.gemm` by the same BLAS routine called
  through ``ctypes``. The chunks, the groups of samples, the blocks of rows, every product's shape
  and every sum's order are the kernels' own; the NumPy functions only copy, or add in the order
  the loops add.
* **Pooling:** NumPy functions that follow the kernels of :mod:`cnnbook._pool_kernels` sum for sum
  (:mod:`cnnbook._numpy_kernels`), on the same chunks of planes.

So which path a call takes changes its speed only, never a number: every result has the same bits,
but for NaN's sign and payload, which IEEE 754 leaves to the hardware (x86 keeps the first operand's, and
the compiler may swap the operands of an addition). Like the compiled kernels, these do not warn about
overflow or invalid operations.
``tests/test_uncompiled.py`` checks that on every edge case the compiled kernels are tested on.
"""

from __future__ import annotations

import types

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _conv_kernels, _numpy_kernels, _pool_kernels
from ._cold_cache import kernels_compiled
from ._gemm import gemm_from_python


def _matrices(flat, first, shape, steps):
    """The entries ``flat[first + sum(index * step)]`` as an array of ``shape`` (a view: writing it writes ``flat``)."""
    return as_strided(flat[first:], shape, [step * flat.itemsize for step in steps])


def im2col(xpad, xpad_first, C, Hp, Wp, R, S, sh, sw, i0, i1, Q, col, first, ld):
    """:func:`cnnbook._conv_kernels.im2col`: a copy, as one strided view into another."""
    shape = (C, R, S, i1 - i0, Q)
    windows = _matrices(xpad, xpad_first + i0 * sh * Wp, shape, (Hp * Wp, Wp, 1, sh * Wp, sw))
    np.copyto(_matrices(col, first, shape, (R * S * ld, S * ld, ld, Q, 1)), windows)


@np.errstate(all="ignore")
def col2im(dcol, first, ld, dxpad, dxpad_first, C, Hp, Wp, R, S, sh, sw, i0, i1, Q):
    """:func:`cnnbook._conv_kernels.col2im`. Each pixel gets its entries in the loops' order, kernel
    row ``r`` then column ``s``: for one ``(r, s)`` the windows' pixels are distinct, so adding them
    all at once adds each pixel's one entry."""
    shape = (C, R, S, i1 - i0, Q)
    pixels = _matrices(dxpad, dxpad_first + i0 * sh * Wp, shape, (Hp * Wp, Wp, 1, sh * Wp, sw))
    windows = _matrices(dcol, first, shape, (R * S * ld, S * ld, ld, Q, 1))
    for r in range(R):
        for s in range(S):
            pixels[:, r, s] += windows[:, r, s]


def copy_blocks(source, source_first, source_step, source_ld, target, target_first, target_step, target_ld,
                blocks, rows, width):
    """:func:`cnnbook._conv_kernels.copy_blocks`."""
    shape = (blocks, rows, width)
    np.copyto(_matrices(target, target_first, shape, (target_step, target_ld, 1)),
              _matrices(source, source_first, shape, (source_step, source_ld, 1)))


def fill_zero(flat, first, stop):
    """:func:`cnnbook._conv_kernels.fill_zero`."""
    flat[first:stop] = 0


@np.errstate(all="ignore")
def add_bias(y, b, K, positions, first, stop):
    """:func:`cnnbook._conv_kernels.add_bias`."""
    y[first * K * positions: stop * K * positions].reshape(stop - first, K, positions)[...] += b[:, None]


def as_python(module, names, replacements):
    """The numba functions ``names`` of ``module`` as plain Python functions, which call ``replacements``
    (name -> function) and one another instead of the compiled functions of those names."""
    namespace = {**vars(module), **replacements}
    for name in names:
        source = getattr(module, name).py_func
        namespace[name] = types.FunctionType(source.__code__, namespace, name, source.__defaults__)
    return [namespace[name] for name in names]


conv2d_samples, conv2d_backward_samples = as_python(
    _conv_kernels,
    ["product_windows", "scatter_input_grad", "conv2d_samples", "conv2d_backward_samples"],
    {"im2col": im2col, "col2im": col2im, "copy_blocks": copy_blocks, "fill_zero": fill_zero,
     "add_bias": add_bias, "gemm": gemm_from_python})[2:]


def max_pool_forward(x, kernel, stride, padding, y, where, first, stop):
    """:func:`cnnbook._pool_kernels.max_pool_forward` on planes ``first`` to ``stop``."""
    output = y.shape[1:]
    y[first:stop, None], where[first:stop, None] = _numpy_kernels.max_pool_with_indices(
        x[first:stop, None], kernel, stride, padding, output)


def max_pool_backward(dy, where, dx, first, stop):
    """:func:`cnnbook._pool_kernels.max_pool_backward` on planes ``first`` to ``stop``."""
    _numpy_kernels.max_pool_backward_at(dy[first:stop, None], where[first:stop, None], dx[first:stop, None])


@np.errstate(all="ignore")
def avg_pool_forward(x, kernel, stride, padding, y, first, stop):
    """:func:`cnnbook._pool_kernels.avg_pool_forward` on planes ``first`` to ``stop``."""
    y[first:stop, None] = _numpy_kernels.avg_pool2d(x[first:stop, None], kernel, stride, padding, y.shape[1:])


@np.errstate(all="ignore")
def avg_pool_backward(dy, kernel, stride, padding, dx, first, stop):
    """:func:`cnnbook._pool_kernels.avg_pool_backward` on planes ``first`` to ``stop`` of a zeroed ``dx``."""
    dx[first:stop, None] = _numpy_kernels.avg_pool2d_backward(
        dy[first:stop, None], (stop - first, 1, *dx.shape[1:]), kernel, stride, padding)


_TWINS = {_conv_kernels.conv2d_samples: conv2d_samples,
          _conv_kernels.conv2d_backward_samples: conv2d_backward_samples,
          _pool_kernels.max_pool_forward: max_pool_forward, _pool_kernels.max_pool_backward: max_pool_backward,
          _pool_kernels.avg_pool_forward: avg_pool_forward, _pool_kernels.avg_pool_backward: avg_pool_backward}

_UNCOMPILED = set(_TWINS.values())


def kernel_for(kernel, dtype):
    """``kernel`` (a numba kernel) if this process runs ``dtype``'s kernels compiled
    (:func:`cnnbook._cold_cache.kernels_compiled`), else its uncompiled twin here."""
    return kernel if kernels_compiled(dtype) else _TWINS[kernel]


def threads_for(kernel):
    """How many threads run ``kernel``'s chunks: 1 for an uncompiled twin, which holds the GIL most of
    the time (on two threads they only take turns with it, each waiting up to Python's switch
    interval), None (every usable core) for a compiled kernel."""
    return 1 if kernel in _UNCOMPILED else None
