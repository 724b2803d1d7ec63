"""How big a convolution's or a pooling layer's output is."""

from __future__ import annotations

from ._validation import _is_int


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length along one axis of a convolution or pooling window.

    ``floor((n + 2 * padding - kernel_size) / stride) + 1``: the number of
    positions a window of ``kernel_size`` takes, moving ``stride`` steps at a
    time, over ``n`` inputs padded by ``padding`` on both sides. Windows that
    would hang over the padded edge are not taken (hence the floor).

    >>> conv_output_size(200, 5, stride=2, padding=1)
    99
    """
    for name, value in (("n", n), ("kernel_size", kernel_size), ("stride", stride), ("padding", padding)):
        if not _is_int(value):
            raise TypeError(f"conv_output_size: {name} must be an int; got {value!r}")
    if n < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError(
            "conv_output_size: need n >= 1, kernel_size >= 1, stride >= 1, padding >= 0; "
            f"got n={n}, kernel_size={kernel_size}, stride={stride}, padding={padding}"
        )
    padded = n + 2 * padding
    if kernel_size > padded:
        raise ValueError(
            f"conv_output_size: kernel_size {kernel_size} is larger than the padded input "
            f"{padded} (n={n} + 2*padding={padding})"
        )
    return (padded - kernel_size) // stride + 1
