"""The global average pooling layer, :class:`GlobalAvgPool2d`, on the functions of :mod:`cnnbook.global_pool`."""

from __future__ import annotations

from ..global_pool import global_avg_pool2d_backward
from .layers import Layer


class GlobalAvgPool2d(Layer):
    """``x`` ``(N, C, H, W)`` -> ``(N, C)``: the mean of each feature map (:func:`cnnbook.global_pool.global_avg_pool2d`)."""

    def _check_input(self, x):
        self._require(x.ndim == 4, "(N, C, H, W)", x)

    def _forward(self, x):
        return x.mean(axis=(2, 3))

    def _backward(self, dy):
        return global_avg_pool2d_backward(dy, self.x.shape)
