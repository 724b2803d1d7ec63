"""Elementwise activation functions and their gradients.

Each forward function maps an array ``x`` of any shape to an array of the same
shape. Each backward function takes the upstream gradient ``dy`` and ``x``,
the activation's *input* (often called ``z``, the pre-activation), both of the
same shape, and returns ``dx = dy * f'(x)``.

One NumPy expression per function is both the definition to read and fast
enough: these take milliseconds on a (64, 64, 32, 32) batch, where a numba loop
is no faster for sigmoid per core and far slower for tanh (NumPy has a SIMD
tanh). The expressions avoid ``np.where`` on data-dependent masks, which is
several times slower than arithmetic on a comparison.
float32 and float64 keep their dtype; int and bool are promoted to float64.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array, common_float_dtype, require_shape


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed without overflow for any ``x``.

    ``exp(-x)`` overflows for ``x`` around -1000. Multiplying top and bottom by
    ``exp(x)`` when ``x < 0`` gives ``exp(x) / (1 + exp(x))``; both cases are
    ``exp(min(x, 0)) / (1 + exp(-|x|))``, where no exponent is ever positive.
    """
    x = as_float_array(x, "x", "sigmoid")
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def sigmoid_backward(dy, x) -> np.ndarray:
    """Gradient of :func:`sigmoid`: ``dy * s * (1 - s)`` with ``s = sigmoid(x)``.

    ``x`` is the sigmoid's input ``z``, not its output. ``dy`` and ``x`` have the same shape.
    """
    dy, x = _check_backward("sigmoid_backward", dy, x)
    s = sigmoid(x)
    return dy * s * (1 - s)


def tanh(x) -> np.ndarray:
    """Hyperbolic tangent ``(e^x - e^-x) / (e^x + e^-x)``, in ``(-1, 1)``."""
    return np.tanh(as_float_array(x, "x", "tanh"))


def tanh_backward(dy, x) -> np.ndarray:
    """Gradient of :func:`tanh`: ``dy * (1 - t**2)`` with ``t = tanh(x)``.

    ``x`` is the tanh's input ``z``, not its output. ``dy`` and ``x`` have the same shape.
    """
    dy, x = _check_backward("tanh_backward", dy, x)
    return dy * (1 - np.tanh(x) ** 2)


def relu(x) -> np.ndarray:
    """Rectified linear unit ``max(x, 0)`` (NaN stays NaN)."""
    return np.maximum(as_float_array(x, "x", "relu"), 0)


def relu_backward(dy, x) -> np.ndarray:
    """Gradient of :func:`relu`: ``dy`` where ``x > 0``, else 0 (the derivative at 0 is taken as 0, as in PyTorch).

    ``x`` is the ReLU's input ``z``, not its output. ``dy`` and ``x`` have the same shape.
    """
    dy, x = _check_backward("relu_backward", dy, x)
    return dy * (x > 0)


def leaky_relu(x, negative_slope=0.01) -> np.ndarray:
    """Leaky ReLU: ``x`` where ``x > 0``, else ``negative_slope * x``.

    Written as the positive part plus ``negative_slope`` times the negative part.
    """
    x = as_float_array(x, "x", "leaky_relu")
    slope = _check_slope("leaky_relu", negative_slope)
    return np.maximum(x, 0) + slope * np.minimum(x, 0)


def leaky_relu_backward(dy, x, negative_slope=0.01) -> np.ndarray:
    """Gradient of :func:`leaky_relu`: ``dy`` where ``x > 0``, else ``negative_slope * dy`` (at 0: the slope).

    ``x`` is the leaky ReLU's input ``z``, not its output. ``dy`` and ``x`` have the same shape.
    """
    dy, x = _check_backward("leaky_relu_backward", dy, x)
    slope = _check_slope("leaky_relu_backward", negative_slope)
    return dy * (x > 0) + (slope * dy) * (x <= 0)


def _check_backward(func: str, dy, x) -> tuple[np.ndarray, np.ndarray]:
    """``dy`` and ``x`` as float arrays of their common dtype; ``dy`` must have ``x``'s shape."""
    dy = as_float_array(dy, "dy", func)
    x = as_float_array(x, "x", func)
    require_shape(dy, x.shape, "dy", func, "the shape of x")
    dtype = common_float_dtype(dy, x)
    return dy.astype(dtype, copy=False), x.astype(dtype, copy=False)


def _check_slope(func: str, negative_slope) -> float:
    """``negative_slope`` as a Python float, so that it never changes the array's dtype."""
    if not isinstance(negative_slope, numbers.Real) or isinstance(negative_slope, (bool, np.bool_)):
        raise TypeError(f"{func}: negative_slope must be a real number; got {negative_slope!r}")
    if not np.isfinite(negative_slope):
        raise ValueError(f"{func}: negative_slope must be finite; got {negative_slope!r}")
    return float(negative_slope)
