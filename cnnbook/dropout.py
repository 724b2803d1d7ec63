"""Inverted dropout: the function and its backward (the layer is :class:`cnnbook.nn.dropout.Dropout`).

In training, each value of ``x`` is kept with probability ``1 - p`` and set to zero otherwise,
independently, and the kept values are divided by ``1 - p``::

    mask = rng.random(x.shape) >= p        (True: kept)
    y = x * mask / (1 - p)

Dividing at training time ("inverted" dropout, as PyTorch does) keeps the expected value of every
output equal to its input, ``E[y] = x``, so at inference nothing needs rescaling: in evaluation
mode (``training=False``) dropout is the identity. ``p = 0`` is the identity too.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, require_shape


def dropout(x, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None):
    """Inverted dropout of ``x`` (any shape); returns ``(y, mask)``.

    ``y`` has the shape and dtype of ``x``. ``mask`` is a bool array shaped like ``x``, ``True``
    where the value was kept, or ``None`` when nothing was dropped (``training=False`` or
    ``p == 0``: then ``y`` is ``x`` itself, not a copy). ``p`` in ``[0, 1)`` is the probability of
    dropping each value; ``rng`` draws the mask (a fresh unseeded generator when ``None``).
    ``x`` is never modified.
    """
    x = as_float_array(x, "x", "dropout")
    p = _check_p(p, "dropout")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"dropout: training must be True or False; got {training!r}")
    if not training or p == 0:
        return x, None
    if rng is None:
        rng = np.random.default_rng()
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(f"dropout: rng must be an np.random.Generator (np.random.default_rng(seed)) or None; "
                        f"got {type(rng).__name__}")
    mask = rng.random(x.shape) >= p
    return x * mask * x.dtype.type(1 / (1 - p)), mask


def dropout_backward(dy, mask, p: float = 0.5) -> np.ndarray:
    """Gradient of :func:`dropout` with respect to ``x``: ``dy * mask / (1 - p)``, shaped like ``dy``.

    ``mask`` and ``p`` are those of the forward pass; ``mask=None`` (nothing was dropped) returns ``dy``.
    """
    dy = as_float_array(dy, "dy", "dropout_backward")
    p = _check_p(p, "dropout_backward")
    if mask is None:
        return dy
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"dropout_backward: mask must be the bool array dropout returned; got dtype {mask.dtype}")
    require_shape(mask, dy.shape, "mask", "dropout_backward", "the shape of dy")
    return dy * mask * dy.dtype.type(1 / (1 - p))


def _check_p(p, func: str) -> float:
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"{func}: p (the probability of dropping a value) must be a number in [0, 1); got {p!r}"
                         + (" (p = 1 would drop everything and divide by 1 - p = 0)" if p == 1 else ""))
    return float(p)
