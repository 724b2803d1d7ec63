"""Global average pooling: each feature map replaced by its mean, ``(N, C, H, W)`` -> ``(N, C)``.

It replaces the flatten-and-dense head of a classifier: one number per channel whatever the
image size, and no weights at all. Its backward spreads each ``dy[n, c]`` evenly over the
``H*W`` positions it averaged.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, require_ndim, require_shape


def global_avg_pool2d(x) -> np.ndarray:
    """The mean of each feature map: ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C)``, same dtype."""
    x = as_float_array(x, "x", "global_avg_pool2d")
    require_ndim(x, 4, "x", "global_avg_pool2d", "(N, C, H, W)")
    return x.mean(axis=(2, 3))


def global_avg_pool2d_backward(dy, x_shape) -> np.ndarray:
    """Gradient with respect to ``x``: ``dy`` ``(N, C)`` spread over ``x_shape`` ``(N, C, H, W)``, divided by ``H*W``."""
    dy = as_float_array(dy, "dy", "global_avg_pool2d_backward")
    x_shape = tuple(x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"global_avg_pool2d_backward: x_shape must be (N, C, H, W); got {x_shape}")
    require_shape(dy, x_shape[:2], "dy", "global_avg_pool2d_backward", f"(N, C) of x {x_shape}")
    H, W = x_shape[2:]
    return np.broadcast_to((dy / (H * W))[:, :, None, None], x_shape).copy()
