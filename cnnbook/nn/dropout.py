"""The inverted dropout layer, :class:`Dropout`, on the functions of :mod:`cnnbook.dropout`."""

from __future__ import annotations

import numpy as np

from ..dropout import _check_p, dropout, dropout_backward
from .layers import Layer


class Dropout(Layer):
    """Inverted dropout layer (as ``torch.nn.Dropout``): any input shape, output of the same shape.

    In training mode each forward pass draws a new mask from ``rng`` (a fresh unseeded generator
    when ``None``); in evaluation mode (``layer.eval()``) the layer passes its input through.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None):
        super().__init__()
        self.p = _check_p(p, "Dropout")
        self.rng = np.random.default_rng() if rng is None else rng
        self.mask = None

    def _forward(self, x):
        y, self.mask = dropout(x, self.p, self.training, self.rng)
        return y

    def _backward(self, dy):
        return dropout_backward(dy, self.mask, self.p)

    def __repr__(self):
        return f"Dropout(p={self.p})"
