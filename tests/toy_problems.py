"""A small classification problem the training tests share: three Gaussian clouds and a two-layer net."""

from __future__ import annotations

import numpy as np

from cnnbook.nn.layers import Linear, ReLU, Sequential


def blobs(rng, n=60):
    """Three well separated Gaussian clouds in 4-D: an easy 3-class problem. ``x`` ``(n, 4)`` float32, ``y`` ``(n,)``."""
    y = np.arange(n) % 3
    centres = rng.standard_normal((3, 4)) * 3
    return (centres[y] + rng.standard_normal((n, 4))).astype(np.float32), y


def mlp(seed):
    """4 -> 16 -> ReLU -> 3, its weights drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return Sequential(Linear(4, 16, rng=rng), ReLU(), Linear(16, 3, rng=rng))
