"""Small array operations on the last two (spatial) axes: pad, crop, insert zeros, rotate.

The convolution and pooling chapters use these words constantly; each is one
NumPy expression, named so that the code reads like the derivation.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_pair


def rot180(w):
    """Rotate by 180 degrees in the last two axes: flip rows and columns.

    ``w`` may have any number of leading axes, e.g. a filter bank ``(K, C, R, S)``;
    the result has the same shape and is a new array (``w`` is not modified).
    """
    w = np.asarray(w)
    if w.ndim < 2:
        raise ValueError(f"rot180: need an array with at least 2 dimensions; got shape {w.shape}")
    return w[..., ::-1, ::-1].copy()


def pad2d(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """``x`` ``(..., H, W)`` padded to ``(..., H + 2*ph, W + 2*pw)`` with ``value`` on every side."""
    ph, pw = padding
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(x, widths, mode="constant", constant_values=value)


def crop2d(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Undo :func:`pad2d`: drop ``ph`` rows and ``pw`` columns from each side of ``(..., H, W)``."""
    ph, pw = padding
    height, width = x.shape[-2:]
    return x[..., ph : height - ph, pw : width - pw]


def insert_zeros2d(x: np.ndarray, stride: tuple[int, int]) -> np.ndarray:
    """Insert ``sh - 1`` zero rows and ``sw - 1`` zero columns between neighbouring entries.

    ``stride`` is an int or an ``(sh, sw)`` pair, each ``>= 1``; ``x`` ``(..., P, Q)`` becomes
    ``(..., (P-1)*sh + 1, (Q-1)*sw + 1)`` (a new array; ``x`` is not modified). This is how a
    strided layer's output gradient is spread back onto the grid of window positions (zero
    insertion, chapter 4), and, applied to a kernel with ``(d, d)``, how a dilated kernel is
    built (chapter 3): one array operation, two purposes.
    """
    sh, sw = as_pair(stride, "stride", "insert_zeros2d", minimum=1)
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"insert_zeros2d: need an array with at least 2 dimensions; got shape {x.shape}")
    P, Q = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + ((P - 1) * sh + 1, (Q - 1) * sw + 1), dtype=x.dtype)
    out[..., ::sh, ::sw] = x
    return out
