"""Local connectivity and weight sharing: what a convolutional layer saves, and what it sees.

Four ideas of the chapter, each a few lines of NumPy:

* **Parameter counts** of a dense (fully connected) layer, a locally connected layer
  (every output position has its own filter) and a convolutional layer (one filter
  shared by every position), and their size in bytes.
* **Multiply-adds** of the forward pass, beside the parameters: weight sharing cuts the
  parameters of a layer, not its arithmetic.
* **Receptive fields** of a stack of layers, each given as ``(kernel, stride)`` along
  one axis (padding 0; pooling is a layer like any other): the span of input pixels
  that can affect one unit at the top, where it lies, and which pixels inside it are
  actually connected to the unit (all of them when every kernel is at least as large as its
  stride).
* **A locally connected layer**, forward and backward, written as a loop over output
  positions. Tie its weights (the same filter copied to every position) and it *is*
  a convolution; the gradient of the shared filter is the sum of the gradients of
  its copies.

Shapes (NCHW, as in :mod:`cnnbook.conv`): ``x`` ``(N, C, H, W)``; a locally connected
filter bank ``w`` ``(P, Q, K, C, R, S)``, one ``(K, C, R, S)`` bank per output
position ``(i, j)``; its bias ``b`` ``(K, P, Q)``; ``y`` and ``dy`` ``(N, K, P, Q)``
with ``P = floor((H + 2*ph - R) / sh) + 1`` and ``Q`` likewise.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import _is_int, as_float_array, as_pair, common_float_dtype, require_ndim, require_shape
from ..spatial import crop2d, pad2d

# --------------------------------------------------------------------------- parameter counts


def dense_parameter_count(in_features: int, out_features: int, bias: bool = True) -> int:
    """Weights (and biases) of a dense layer: every output sees every input.

    ``in_features * out_features`` weights, plus ``out_features`` biases if ``bias``.
    An image ``(C, H, W)`` enters a dense layer flattened, as ``C*H*W`` features.

    >>> dense_parameter_count(200 * 200 * 3, 1)
    120001
    """
    _require_positive_ints("dense_parameter_count", in_features=in_features, out_features=out_features)
    return in_features * out_features + (out_features if bias else 0)


def conv_parameter_count(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
    """Weights (and biases) of a convolutional layer ``w (K, C, R, S)``, ``b (K,)``.

    ``K * C * R * S`` weights plus ``K`` biases: the count does not depend on the
    size of the image, because every position uses the same filters.

    >>> conv_parameter_count(3, 16, 5)
    1216
    """
    func = "conv_parameter_count"
    _require_positive_ints(func, in_channels=in_channels, out_channels=out_channels)
    R, S = as_pair(kernel_size, "kernel_size", func, minimum=1)
    return out_channels * in_channels * R * S + (out_channels if bias else 0)


def locally_connected_parameter_count(input_shape, out_channels: int, kernel_size, stride=1, padding=0,
                                      bias: bool = True) -> int:
    """Weights (and biases) of a locally connected layer on an input ``(C, H, W)``.

    Each of the ``P * Q`` output positions has its own ``(K, C, R, S)`` filters and
    its own ``K`` biases: ``P * Q * K * (C * R * S + 1)`` parameters with ``bias``.

    >>> locally_connected_parameter_count((3, 32, 32), 16, 5)
    953344
    """
    C, R, S, P, Q = _layer_geometry("locally_connected_parameter_count", input_shape, out_channels, kernel_size,
                                    stride, padding)
    return P * Q * (out_channels * C * R * S + (out_channels if bias else 0))


def parameter_bytes(count: int, dtype="float32") -> int:
    """Memory taken by ``count`` parameters stored as ``dtype`` (4 bytes each in float32).

    >>> parameter_bytes(1216)
    4864
    """
    if not _is_int(count) or count < 0:
        raise ValueError(f"parameter_bytes: count must be an int >= 0; got {count!r}")
    return int(count) * np.dtype(dtype).itemsize


def format_bytes(n: int) -> str:
    """A byte count in decimal units, e.g. ``4864 -> '4.9 kB'``, ``3.1e11 -> '307.2 GB'``."""
    if not _is_int(n) or n < 0:
        raise ValueError(f"format_bytes: n must be an int >= 0; got {n!r}")
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1000
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- multiply-adds


def dense_multiply_adds(in_features: int, out_features: int) -> int:
    """Multiply-adds of a dense layer's forward pass, per example (the biases not counted).

    Each of the ``out_features`` outputs is a sum of ``in_features`` products: one
    multiply-add per weight, ``in_features * out_features``.

    >>> dense_multiply_adds(32 * 32 * 3, 10)
    30720
    """
    _require_positive_ints("dense_multiply_adds", in_features=in_features, out_features=out_features)
    return in_features * out_features


def conv_multiply_adds(input_shape, out_channels: int, kernel_size, stride=1, padding=0) -> int:
    """Multiply-adds of a convolutional layer's forward pass, per image (the biases not counted).

    The input is ``(C, H, W)``; the output ``(K, P, Q)`` with ``P = floor((H + 2*ph - R) / sh) + 1``
    and ``Q`` likewise. Each of the ``K * P * Q`` outputs is a sum of ``C * R * S`` products, so
    the layer does ``K * C * R * S * P * Q`` multiply-adds (products with padded zeros counted,
    as an implementation that pads computes them). A FLOP count usually counts each multiply-add
    as two operations. A locally connected layer of the same geometry does exactly as many:
    weight sharing changes which weight each product uses, not how many products there are.

    >>> conv_multiply_adds((3, 32, 32), 16, 5)
    940800
    """
    C, R, S, P, Q = _layer_geometry("conv_multiply_adds", input_shape, out_channels, kernel_size, stride, padding)
    return out_channels * C * R * S * P * Q


# --------------------------------------------------------------------------- receptive fields


class FieldGrowth(NamedTuple):
    """The receptive field after ``depth`` layers, along one axis.

    ``size``: the span of the receptive field, in input pixels (from the first to the
    last input pixel connected to one unit, both included); ``jump``: input pixels
    between two neighbouring units of this layer (the product of the strides so far).
    """

    depth: int
    size: int
    jump: int


def receptive_field_growth(layers) -> list[FieldGrowth]:
    """Receptive-field size and jump after each layer of a stack, from the input up.

    ``layers`` is a sequence of ``(kernel, stride)`` pairs of ints (one axis, padding 0);
    a pooling layer is one more pair, e.g. ``(2, 2)``. Starting from ``size = jump = 1``
    (an input pixel sees itself), each layer does

        ``size += (kernel - 1) * jump``  then  ``jump *= stride``.

    Returns ``len(layers) + 1`` entries; entry 0 is the input itself.

    >>> [g.size for g in receptive_field_growth([(3, 1), (3, 1), (3, 1)])]
    [1, 3, 5, 7]
    """
    layers = _check_layers(layers, "receptive_field_growth")
    size, jump = 1, 1
    growth = [FieldGrowth(0, size, jump)]
    for depth, (kernel, stride) in enumerate(layers, start=1):
        size += (kernel - 1) * jump
        jump *= stride
        growth.append(FieldGrowth(depth, size, jump))
    return growth


def receptive_field(layers) -> int:
    """The span, in input pixels along one axis, of the receptive field of one unit on top of ``layers``.

    ``F = 1 + sum_l (k_l - 1) * s_1 * ... * s_{l-1}``: equal to the kernel size for
    one layer only; it grows with every layer, and faster after every stride. It counts
    every pixel from the first connected one to the last; when some kernel is smaller
    than its stride, not all of them are connected (see :func:`connected_units`).

    >>> receptive_field([(5, 1)]), receptive_field([(3, 1), (2, 2), (3, 1)])
    (5, 8)
    """
    return receptive_field_growth(layers)[-1].size


def layer_lengths(n: int, layers) -> list[int]:
    """Units along one axis at each layer, from an input of ``n`` up (padding 0).

    Entry ``l`` is ``floor((n_{l-1} - k_l) / s_l) + 1``; raises ``ValueError`` when a
    kernel no longer fits.

    >>> layer_lengths(10, [(3, 1), (2, 2)])
    [10, 8, 4]
    """
    func = "layer_lengths"
    layers = _check_layers(layers, func)
    if not _is_int(n) or n < 1:
        raise ValueError(f"{func}: n must be an int >= 1; got {n!r}")
    lengths = [int(n)]
    for depth, (kernel, stride) in enumerate(layers, start=1):
        if kernel > lengths[-1]:
            raise ValueError(f"{func}: layer {depth} has kernel {kernel} but its input has only "
                             f"{lengths[-1]} units (n={n}, layers={layers})")
        lengths.append((lengths[-1] - kernel) // stride + 1)
    return lengths


def receptive_field_extents(layers, index: int, input_length: int | None = None) -> list[tuple[int, int]]:
    """Which units of every layer feed unit ``index`` of the top layer (one axis, padding 0).

    Returns ``len(layers) + 1`` half-open ranges ``(start, stop)``, from the input
    (entry 0) to the top (entry ``-1`` is ``(index, index + 1)``). Going down through a
    layer ``(k, s)``, units ``start .. stop-1`` read inputs ``start*s .. (stop-1)*s + k - 1``.
    With ``input_length``, ``index`` is checked against the top layer's length.

    >>> receptive_field_extents([(3, 1), (3, 2)], index=1)
    [(2, 7), (2, 5), (1, 2)]
    """
    func = "receptive_field_extents"
    layers = _check_layers(layers, func)
    if not _is_int(index) or index < 0:
        raise ValueError(f"{func}: index must be an int >= 0; got {index!r}")
    if input_length is not None:
        top = layer_lengths(input_length, layers)[-1]
        if index >= top:
            raise ValueError(f"{func}: index {index} is outside the top layer, which has {top} units "
                             f"(input_length={input_length}, layers={layers})")
    start, stop = int(index), int(index) + 1
    extents = [(start, stop)]
    for kernel, stride in reversed(layers):
        start, stop = start * stride, (stop - 1) * stride + kernel
        extents.append((start, stop))
    return extents[::-1]


def connected_units(layers, index: int) -> list[tuple[int, ...]]:
    """The units of every layer from which a path of connections leads up to unit ``index`` on top.

    One axis, padding 0, ``layers`` as in :func:`receptive_field_growth`. Returns
    ``len(layers) + 1`` sorted tuples, from the input (entry 0) to the top (entry ``-1`` is
    ``(index,)``). Going down through a layer ``(k, s)``, unit ``i`` reads units
    ``i*s, ..., i*s + k - 1``. Only these input pixels can affect the unit. Each tuple lies
    inside the matching range of :func:`receptive_field_extents` and fills it whenever every
    kernel is at least as large as its stride; a kernel smaller than its stride can leave holes
    (pixels inside the span that no path reaches).

    >>> connected_units([(1, 2), (3, 1)], index=2)
    [(4, 6, 8), (2, 3, 4), (2,)]
    """
    func = "connected_units"
    layers = _check_layers(layers, func)
    if not _is_int(index) or index < 0:
        raise ValueError(f"{func}: index must be an int >= 0; got {index!r}")
    units = {int(index)}
    found = [tuple(sorted(units))]
    for kernel, stride in reversed(layers):
        units = {unit * stride + offset for unit in units for offset in range(kernel)}
        found.append(tuple(sorted(units)))
    return found[::-1]


# --------------------------------------------------------------------------- the locally connected layer


def locally_connected2d(x, w, b=None, stride=1, padding=0) -> np.ndarray:
    """A locally connected layer: like :func:`cnnbook.conv2d`, but each position has its own filters.

    ``y[n, k, i, j] = sum_{c, r, s} xpad[n, c, i*sh + r, j*sw + s] * w[i, j, k, c, r, s] + b[k, i, j]``

    Parameters: ``x`` ``(N, C, H, W)``; ``w`` ``(P, Q, K, C, R, S)``, the filters of
    output position ``(i, j)`` are ``w[i, j]``; ``b`` ``(K, P, Q)`` or ``None``;
    ``stride`` and ``padding`` an int or an ``(h, w)`` pair.
    Returns ``y`` ``(N, K, P, Q)``. With every ``w[i, j]`` equal to one bank ``(K, C, R, S)``
    (see :func:`share_weights`) this is exactly ``cnnbook.conv2d``.
    """
    x, w, b, _, (sh, sw), padding = _check_local("locally_connected2d", x, w, stride, padding, b=b)
    xpad = pad2d(x, padding)
    P, Q, K, C, R, S = w.shape
    y = np.empty((x.shape[0], K, P, Q), dtype=x.dtype)
    for i in range(P):
        for j in range(Q):
            window = xpad[:, :, i * sh : i * sh + R, j * sw : j * sw + S]  # (N, C, R, S)
            y[:, :, i, j] = np.einsum("ncrs,kcrs->nk", window, w[i, j])  # this position's own filters
    if b is not None:
        y += b[None]  # (1, K, P, Q): a bias per map AND per position
    return y


def locally_connected2d_backward(dy, x, w, stride=1, padding=0):
    """Gradients through :func:`locally_connected2d`, given ``dy = dL/dy``.

    Parameters: ``dy`` ``(N, K, P, Q)``; ``x`` ``(N, C, H, W)``, ``w`` ``(P, Q, K, C, R, S)``
    and ``stride``, ``padding`` as in the forward pass.
    Returns ``(dx, dw, db)`` shaped ``(N, C, H, W)``, ``(P, Q, K, C, R, S)``, ``(K, P, Q)``.

    Position ``(i, j)`` touched only its own window and its own filters, so
    ``dw[i, j]`` comes from ``dy[:, :, i, j]`` alone, and the window's pixels collect
    ``dy[:, :, i, j]`` through ``w[i, j]`` (added with ``+=``: windows overlap).
    """
    x, w, _, dy, (sh, sw), padding = _check_local("locally_connected2d_backward", x, w, stride, padding, dy=dy)
    xpad = pad2d(x, padding)
    P, Q, K, C, R, S = w.shape
    dxpad = np.zeros(xpad.shape, dtype=x.dtype)
    dw = np.empty(w.shape, dtype=x.dtype)
    for i in range(P):
        for j in range(Q):
            rows, cols = slice(i * sh, i * sh + R), slice(j * sw, j * sw + S)
            window = xpad[:, :, rows, cols]  # (N, C, R, S)
            g = dy[:, :, i, j]  # (N, K): how much the loss cares about this position
            dw[i, j] = np.einsum("nk,ncrs->kcrs", g, window)
            dxpad[:, :, rows, cols] += np.einsum("nk,kcrs->ncrs", g, w[i, j])
    db = dy.sum(axis=0)
    return np.ascontiguousarray(crop2d(dxpad, padding)), dw, db


def share_weights(w, output_size) -> np.ndarray:
    """Copy one filter bank ``w`` ``(K, C, R, S)`` to every position: ``(P, Q, K, C, R, S)``.

    ``output_size`` is ``(P, Q)`` (or an int for ``P == Q``). The result is a new,
    writable array whose copies are tied only as long as they are updated together.
    """
    func = "share_weights"
    w = as_float_array(w, "w", func)
    require_ndim(w, 4, "w", func, "(K, C, R, S)")
    P, Q = as_pair(output_size, "output_size", func, minimum=1)
    return np.broadcast_to(w, (P, Q) + w.shape).copy()


def shared_weight_gradient(dw_local) -> np.ndarray:
    """The gradient of a shared filter: the sum of the gradients of its copies.

    ``dw_local`` ``(P, Q, K, C, R, S)`` (from :func:`locally_connected2d_backward`)
    -> ``(K, C, R, S)``, equal to the ``dw`` of :func:`cnnbook.conv2d_backward`.
    """
    func = "shared_weight_gradient"
    dw_local = as_float_array(dw_local, "dw_local", func)
    require_ndim(dw_local, 6, "dw_local", func, "(P, Q, K, C, R, S)")
    return dw_local.sum(axis=(0, 1))


# --------------------------------------------------------------------------- argument checks


def _require_positive_ints(func: str, **values) -> None:
    for name, value in values.items():
        if not _is_int(value) or value < 1:
            raise ValueError(f"{func}: {name} must be an int >= 1; got {value!r}")


def _chw(shape, func: str) -> tuple[int, int, int]:
    if not isinstance(shape, (tuple, list)) or len(shape) != 3 or not all(_is_int(v) and v >= 1 for v in shape):
        raise ValueError(f"{func}: input_shape must be (C, H, W), three ints >= 1; got {shape!r}")
    return tuple(int(v) for v in shape)


def _layer_geometry(func, input_shape, out_channels, kernel_size, stride, padding) -> tuple[int, ...]:
    """``(C, R, S, P, Q)`` of a layer with ``out_channels`` filters of ``kernel_size`` on an input ``(C, H, W)``."""
    C, H, W = _chw(input_shape, func)
    _require_positive_ints(func, out_channels=out_channels)
    kernel = as_pair(kernel_size, "kernel_size", func, minimum=1)
    stride = as_pair(stride, "stride", func, minimum=1)
    padding = as_pair(padding, "padding", func, minimum=0)
    return (C, *kernel, *_output_size(func, (H, W), kernel, stride, padding))


def _output_size(func, spatial, kernel, stride, padding) -> tuple[int, int]:
    padded = (spatial[0] + 2 * padding[0], spatial[1] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(f"{func}: kernel {kernel} is larger than the padded input {padded} "
                         f"(input {spatial}, padding {padding})")
    return (padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1


def _check_layers(layers, func: str) -> list[tuple[int, int]]:
    try:
        pairs = [tuple(layer) for layer in layers]
    except TypeError:
        raise TypeError(f"{func}: layers must be a sequence of (kernel, stride) pairs; got {layers!r}") from None
    for depth, pair in enumerate(pairs, start=1):
        if len(pair) != 2 or not all(_is_int(v) and v >= 1 for v in pair):
            raise ValueError(f"{func}: layer {depth} must be a (kernel, stride) pair of ints >= 1; got {pair!r}")
    return [(int(k), int(s)) for k, s in pairs]


def _check_local(func, x, w, stride, padding, b=None, dy=None):
    """The checked, same-dtype arrays of one locally connected call, its stride and padding."""
    x = as_float_array(x, "x", func)
    w = as_float_array(w, "w", func)
    require_ndim(x, 4, "x", func, "(N, C, H, W)")
    require_ndim(w, 6, "w", func, "(P, Q, K, C, R, S)")
    stride = as_pair(stride, "stride", func, minimum=1)
    padding = as_pair(padding, "padding", func, minimum=0)
    P, Q, K, C, R, S = w.shape
    if x.shape[1] != C:
        raise ValueError(f"{func}: x has {x.shape[1]} channels but w expects {C} (x {x.shape}, w {w.shape})")
    if min(x.shape[1:]) < 1 or min(w.shape) < 1:
        raise ValueError(f"{func}: x and w must not be empty (only N may be 0); got x {x.shape}, w {w.shape}")
    expected = _output_size(func, x.shape[2:], (R, S), stride, padding)
    if (P, Q) != expected:
        raise ValueError(f"{func}: w has filters for {P}x{Q} output positions but x {x.shape} with kernel "
                         f"{(R, S)}, stride {stride}, padding {padding} gives {expected[0]}x{expected[1]}")
    arrays = [x, w]
    if b is not None:
        b = as_float_array(b, "b", func)
        require_shape(b, (K, P, Q), "b", func, "one bias per map and per output position")
        arrays.append(b)
    if dy is not None:
        dy = as_float_array(dy, "dy", func)
        require_shape(dy, (x.shape[0], K, P, Q), "dy", func, f"the output for x {x.shape}, w {w.shape}")
        arrays.append(dy)
    dtype = common_float_dtype(*arrays)
    cast = [None if a is None else np.asarray(a, dtype=dtype) for a in (x, w, b, dy)]
    return (*cast, stride, padding)


__all__ = [
    "FieldGrowth",
    "connected_units",
    "conv_multiply_adds",
    "conv_parameter_count",
    "dense_multiply_adds",
    "dense_parameter_count",
    "format_bytes",
    "layer_lengths",
    "locally_connected2d",
    "locally_connected2d_backward",
    "locally_connected_parameter_count",
    "parameter_bytes",
    "receptive_field",
    "receptive_field_extents",
    "receptive_field_growth",
    "share_weights",
    "shared_weight_gradient",
]
