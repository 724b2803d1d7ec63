"""The transposed convolution: the input-gradient map of a convolution, used as a layer of its own.

For fixed filters ``w`` ``(K, C, R, S)``, :func:`cnnbook.conv2d` is a linear map from inputs
``(N, C, H, W)`` to outputs ``(N, K, P, Q)``. Its transpose (adjoint) maps ``(N, K, P, Q)`` back to
``(N, C, H, W)``: that is what the backward pass computes for ``dx``, and what
``torch.nn.functional.conv_transpose2d`` computes with the *same* weight tensor (PyTorch documents its
weight as ``(in_channels, out_channels / groups, kH, kW)``; with one group its in_channels are the
convolution's ``K`` and its out_channels the convolution's ``C``).

Because the convolution's output size has a floor, ``P = floor((H + 2p - R) / s) + 1``, a stride
``s > 1`` gives the same ``P`` for ``s`` consecutive heights ``H``. Given only ``P`` the transposed
convolution cannot know which one is meant; ``output_padding`` (``0 <= output_padding < stride``)
says how many rows beyond the smallest one, as in PyTorch:

``H_out = (P - 1) * s - 2p + R + output_padding``.

* :func:`conv_input_sizes` lists every ``H`` that gives ``P`` (one axis);
* :func:`conv_transpose_output_size` is the formula above;
* :func:`conv_transpose2d_reference` scatters each input value times its filter, loops written out;
* :func:`conv_transpose2d` computes the same numbers with one tensor product per filter offset.
"""

from __future__ import annotations

import numpy as np

from ._validation import _is_int, as_float_array, as_pair, common_float_dtype, require_ndim, require_shape


def _check_ints(func: str, **values) -> None:
    for name, value in values.items():
        if not _is_int(value):
            raise TypeError(f"{func}: {name} must be an int; got {value!r}")


def conv_input_sizes(n_out: int, kernel_size: int, stride: int = 1, padding: int = 0) -> list[int]:
    """Every input length ``n >= 1`` that a convolution maps to ``n_out`` outputs along one axis.

    ``floor((n + 2*padding - kernel_size) / stride) + 1 == n_out`` holds exactly for
    ``(n_out - 1)*stride - 2*padding + kernel_size <= n <= that + stride - 1``: ``stride`` lengths
    (fewer when the smallest ones are below 1; every one of them fits the kernel, since
    ``n + 2*padding - kernel_size >= (n_out - 1)*stride >= 0``). Returned in increasing order; an
    empty list when no length works.

    >>> conv_input_sizes(4, kernel_size=3, stride=2, padding=1)
    [7, 8]
    """
    func = "conv_input_sizes"
    _check_ints(func, n_out=n_out, kernel_size=kernel_size, stride=stride, padding=padding)
    if n_out < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError(f"{func}: need n_out >= 1, kernel_size >= 1, stride >= 1, padding >= 0; got "
                         f"n_out={n_out}, kernel_size={kernel_size}, stride={stride}, padding={padding}")
    smallest = (n_out - 1) * stride - 2 * padding + kernel_size
    return [n for n in range(smallest, smallest + stride) if n >= 1]


def conv_transpose_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0) -> int:
    """Output length of a transposed convolution along one axis.

    ``(n - 1)*stride - 2*padding + kernel_size + output_padding``.

    ``n`` is the transposed convolution's input length (the convolution's output length).
    ``output_padding`` must satisfy ``0 <= output_padding < stride`` (PyTorch's rule for dilation 1):
    it picks one of the ``stride`` input lengths that the convolution maps to ``n``.
    """
    func = "conv_transpose_output_size"
    _check_ints(func, n=n, kernel_size=kernel_size, stride=stride, padding=padding, output_padding=output_padding)
    if n < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError(f"{func}: need n >= 1, kernel_size >= 1, stride >= 1, padding >= 0; got "
                         f"n={n}, kernel_size={kernel_size}, stride={stride}, padding={padding}")
    if not 0 <= output_padding < stride:
        raise ValueError(f"{func}: output_padding must satisfy 0 <= output_padding < stride = {stride} "
                         f"(it chooses one of the stride input sizes); got {output_padding}")
    size = (n - 1) * stride - 2 * padding + kernel_size + output_padding
    if size < 1:
        raise ValueError(f"{func}: the output would have length {size}: padding {padding} is too large "
                         f"for n={n}, kernel_size={kernel_size}, stride={stride}")
    return size


class _Transposed:
    """The checked arguments of one call of a transposed convolution, and its sizes."""

    def __init__(self, func, x, w, b, stride, padding, output_padding):
        x = as_float_array(x, "x", func)
        w = as_float_array(w, "w", func)
        require_ndim(x, 4, "x", func, "(N, K, P, Q)")
        require_ndim(w, 4, "w", func, "(K, C, R, S)")
        if x.shape[1] != w.shape[0]:
            raise ValueError(f"{func}: x has {x.shape[1]} channels but w has {w.shape[0]} filters; the input of a "
                             f"transposed convolution is the convolution's output (x {x.shape}, w {w.shape})")
        if min(x.shape[1:]) < 1 or min(w.shape) < 1:
            raise ValueError(f"{func}: x and w must not be empty (only N may be 0); got x {x.shape}, w {w.shape}")
        self.stride = as_pair(stride, "stride", func, minimum=1)
        self.padding = as_pair(padding, "padding", func, minimum=0)
        self.output_padding = as_pair(output_padding, "output_padding", func, minimum=0)
        arrays = [x, w]
        if b is not None:
            b = as_float_array(b, "b", func)
            require_shape(b, (w.shape[1],), "b", func, f"one bias per output channel, C = w.shape[1] of w {w.shape}")
            arrays.append(b)
        self.dtype = common_float_dtype(*arrays)
        self.x, self.w = x.astype(self.dtype, copy=False), w.astype(self.dtype, copy=False)
        self.b = None if b is None else b.astype(self.dtype, copy=False)
        sizes = []
        for axis, n, k in ((0, x.shape[2], w.shape[2]), (1, x.shape[3], w.shape[3])):
            s, p, op = self.stride[axis], self.padding[axis], self.output_padding[axis]
            if op >= s:
                raise ValueError(f"{func}: output_padding must be smaller than the stride on each axis "
                                 f"(it chooses one of the stride input sizes); got output_padding "
                                 f"{output_padding!r}, stride {stride!r}")
            size = (n - 1) * s - 2 * p + k + op
            if size < 1:
                raise ValueError(f"{func}: the output would have size {size} on axis {axis + 2}: padding "
                                 f"{padding!r} is too large for x {x.shape}, w {w.shape}, stride {stride!r}")
            sizes.append(size)
        self.H, self.W = sizes

    def empty_padded(self) -> np.ndarray:
        """Zeros ``(N, C, H + 2ph, W + 2pw)``: the output before its padding border is cropped off."""
        (ph, pw) = self.padding
        return np.zeros((self.x.shape[0], self.w.shape[1], self.H + 2 * ph, self.W + 2 * pw), self.dtype)

    def finish(self, out_padded: np.ndarray) -> np.ndarray:
        """Crop the padding border, add the bias."""
        (ph, pw) = self.padding
        out = np.ascontiguousarray(out_padded[:, :, ph:ph + self.H, pw:pw + self.W])
        if self.b is not None:
            out += self.b[None, :, None, None]
        return out


def conv_transpose2d_reference(x, w, b=None, stride=1, padding=0, output_padding=0) -> np.ndarray:
    """The transposed convolution, one input value at a time (the loops to read).

    ``x`` ``(N, K, P, Q)``, ``w`` ``(K, C, R, S)`` (the same tensor as the convolution's),
    ``b`` ``(C,)`` or ``None`` -> ``y`` ``(N, C, H, W)`` with
    ``H = (P-1)*sh - 2*ph + R + output_padding_h`` and ``W`` likewise.

    Each value ``x[n, k, i, j]`` adds ``x[n, k, i, j] * w[k]`` (``(C, R, S)``) into the window of
    the padded output whose top-left corner is ``(i*sh, j*sw)``: the window that output ``(i, j)``
    of the convolution read. Then the padding border is cropped off. This is
    ``conv2d_backward(x, <input of shape (N, C, H, W)>, w, stride, padding)[0]``.
    """
    t = _Transposed("conv_transpose2d_reference", x, w, b, stride, padding, output_padding)
    (sh, sw), (_, _, R, S) = t.stride, t.w.shape
    N, K, P, Q = t.x.shape
    out = t.empty_padded()
    for n in range(N):
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    out[n, :, i * sh:i * sh + R, j * sw:j * sw + S] += t.x[n, k, i, j] * t.w[k]
    return t.finish(out)


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0) -> np.ndarray:
    """The transposed convolution of ``x`` ``(N, K, P, Q)`` with ``w`` ``(K, C, R, S)``, plus ``b`` ``(C,)``.

    The adjoint of :func:`cnnbook.conv2d` with the same ``w``, ``stride`` and ``padding``; the
    same numbers as :func:`conv_transpose2d_reference` and as ``torch.nn.functional.conv_transpose2d``.
    Returns ``(N, C, H, W)``, ``H = (P-1)*sh - 2*ph + R + output_padding_h``; float32 if every
    input is float32, else float64. Loops over the ``R*S`` filter offsets only: offset ``(r, s)``
    sends ``sum_k x[n, k, i, j] * w[k, c, r, s]`` to padded position ``(i*sh + r, j*sw + s)``.
    """
    t = _Transposed("conv_transpose2d", x, w, b, stride, padding, output_padding)
    (sh, sw), (_, _, R, S) = t.stride, t.w.shape
    P, Q = t.x.shape[2:]
    out = t.empty_padded()
    for r in range(R):
        for s in range(S):
            contribution = np.tensordot(t.x, t.w[:, :, r, s], axes=([1], [0]))    # (N, P, Q, C)
            out[:, :, r:r + (P - 1) * sh + 1:sh, s:s + (Q - 1) * sw + 1:sw] += contribution.transpose(0, 3, 1, 2)
    return t.finish(out)
