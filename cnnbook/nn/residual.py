"""The residual block: two 3x3 convolutions with batch normalisation, plus a shortcut.

::

    x ──conv3x3(stride)─BN─ReLU─conv3x3─BN──(+)──ReLU── y
     └──────────────── shortcut(x) ──────────┘

The shortcut is ``x`` itself (the identity) when the block keeps the shape; when it changes it
(``stride > 1`` or ``in_channels != out_channels``) the shortcut is a 1x1 convolution with the
same stride followed by batch normalisation (a "projection"), so the two branches can be added.

Backward: the sum hands the same gradient to both branches, and the gradient reaching ``x`` is
the sum of what comes back along each: ``dx = d(body)/dx + d(shortcut)/dx``. Along an identity
shortcut that second term is ``dy`` itself, which is why gradients reach the first layers of a
deep residual network undiminished. With ``skip=False`` the block has no shortcut at all (a
"plain" block with the same layers), for comparing the two.

The convolutions have no bias: the batch normalisation after each one subtracts the channel's
mean, which would cancel any bias (its gradient is exactly zero in training).
"""

from __future__ import annotations

import numpy as np

from .layers import Conv2d, Layer, ReLU, Sequential
from .batchnorm import BatchNorm2d


class Residual(Layer):
    """A residual block: ``x`` ``(N, in_channels, H, W)`` -> ``y`` ``(N, out_channels, P, Q)``, ``P = ceil(H / stride)``.

    Layers (parameter names as in torchvision's ``BasicBlock``): ``conv1`` (3x3, ``stride``,
    padding 1), ``bn1``, ``conv2`` (3x3, padding 1), ``bn2``, and ``shortcut``, a
    ``Sequential(Conv2d 1x1 stride, BatchNorm2d)`` when the shape changes, else ``None``
    (identity). ``skip=False`` removes the shortcut: ``y = relu(bn2(conv2(...)))`` alone.
    Weights are He-uniform (``init``) from ``rng``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *, skip: bool = True,
                 rng=None, init="he_uniform", dtype=np.float32):
        super().__init__()
        rng = np.random.default_rng() if rng is None else rng
        conv = {"bias": False, "rng": rng, "init": init, "dtype": dtype}
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, padding=1, **conv)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, **conv)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        self.in_channels, self.out_channels, self.stride, self.skip = in_channels, out_channels, stride, bool(skip)
        projection = self.skip and (stride != 1 or in_channels != out_channels)
        self.shortcut = (Sequential(Conv2d(in_channels, out_channels, 1, stride, **conv), BatchNorm2d(out_channels, dtype=dtype))
                         if projection else None)
        self.relu_out = ReLU()

    def children(self):
        names = ["conv1", "bn1", "relu1", "conv2", "bn2", "shortcut", "relu_out"]
        return [(name, getattr(self, name)) for name in names if getattr(self, name) is not None]

    @property
    def dtype(self):
        return self.conv1.dtype  # the same answer as Layer.dtype, without walking every child's parameters

    def _check_input(self, x):
        self._require(x.ndim == 4 and x.shape[1] == self.in_channels, f"(N, {self.in_channels}, H, W)", x)

    def _forward(self, x):
        h = self.relu1(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        if self.skip:
            h = h + (x if self.shortcut is None else self.shortcut(x))
        return self.relu_out(h)

    def _backward(self, dy):
        dsum = self.relu_out.backward(dy)               # the gradient of the sum goes to both branches
        dh = self.bn2.backward(dsum)
        dh = self.conv2.backward(dh)
        dh = self.relu1.backward(dh)
        dh = self.bn1.backward(dh)
        dx = self.conv1.backward(dh)
        if self.skip:
            dx = dx + (dsum if self.shortcut is None else self.shortcut.backward(dsum))  # the shortcut's share
        return dx

    def __repr__(self):
        options = "" if self.stride == 1 else f", stride={self.stride}"
        options += "" if self.skip else ", skip=False"
        return f"Residual({self.in_channels}, {self.out_channels}{options})"
