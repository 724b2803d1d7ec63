"""How big a convolution's or a pooling layer's output is, and TensorFlow's "SAME" padding."""

from __future__ import annotations

from ._validation import _is_int


def _check_ints(func: str, **values) -> None:
    for name, value in values.items():
        if not _is_int(value):
            raise TypeError(f"{func}: {name} must be an int; got {value!r}")


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis of a convolution or pooling window.

    ``floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``: the number
    of positions a window takes, moving ``stride`` steps at a time, over ``n`` inputs padded
    by ``padding`` on both sides. The window has ``kernel_size`` taps spaced ``dilation``
    apart, so it spans ``dilation * (kernel_size - 1) + 1`` inputs; with ``dilation=1`` (the
    default) that is ``kernel_size`` and the formula is ``floor((n + 2p - k) / s) + 1``.
    Windows that would hang over the padded edge are not taken (hence the floor). This is
    the formula PyTorch documents for ``Conv2d``.

    >>> conv_output_size(200, 5, stride=2, padding=1)
    99
    >>> conv_output_size(32, 3, padding=2, dilation=2)     # a 3x3 kernel with dilation 2 spans 5
    32
    """
    _check_ints("conv_output_size", n=n, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    if n < 1 or kernel_size < 1 or stride < 1 or padding < 0 or dilation < 1:
        raise ValueError(
            "conv_output_size: need n >= 1, kernel_size >= 1, stride >= 1, padding >= 0, dilation >= 1; "
            f"got n={n}, kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}"
        )
    padded = n + 2 * padding
    span = dilation * (kernel_size - 1) + 1
    if span > padded:
        what = f"kernel_size {kernel_size}" if dilation == 1 else \
            f"the dilated kernel (kernel_size {kernel_size}, dilation {dilation}, span {span})"
        raise ValueError(
            f"conv_output_size: {what} is larger than the padded input {padded} (n={n} + 2*padding={padding})"
        )
    return (padded - span) // stride + 1


def same_padding(n: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's ``padding="SAME"`` along one axis: ``(before, after)``, the zeros added on each side.

    TensorFlow asks for ``ceil(n / stride)`` outputs. They need ``(ceil(n / stride) - 1) * stride + span``
    inputs, ``span = dilation * (kernel_size - 1) + 1`` being the window's extent, so the total padding is

        ``total = max((ceil(n / stride) - 1) * stride + span - n, 0)``,

    split as ``before = total // 2`` and ``after = total - before``: when ``total`` is odd the extra
    zero goes after (at the bottom, or on the right). Unlike a symmetric integer ``padding``, the
    two sides may differ; and with ``stride > 1`` the output is ``ceil(n / stride)``, not ``n``.

    >>> same_padding(6, 3, stride=2)       # ceil(6/2) = 3 outputs need 2*2 + 3 = 7 inputs: 1 zero, after
    (0, 1)
    >>> same_padding(7, 3, stride=2)       # ceil(7/2) = 4 outputs need 3*2 + 3 = 9 inputs: 2 zeros, 1 + 1
    (1, 1)
    """
    _check_ints("same_padding", n=n, kernel_size=kernel_size, stride=stride, dilation=dilation)
    if n < 1 or kernel_size < 1 or stride < 1 or dilation < 1:
        raise ValueError(
            "same_padding: need n >= 1, kernel_size >= 1, stride >= 1, dilation >= 1; "
            f"got n={n}, kernel_size={kernel_size}, stride={stride}, dilation={dilation}"
        )
    outputs = -(-n // stride)                                   # ceil(n / stride) in integers
    span = dilation * (kernel_size - 1) + 1
    total = max((outputs - 1) * stride + span - n, 0)
    return total // 2, total - total // 2
