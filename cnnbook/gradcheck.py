"""Checking analytic gradients against finite differences."""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array


def numerical_gradient(f, x, dy=None, h: float = 1e-5) -> np.ndarray:
    """Centred finite-difference gradient of ``L(x) = sum(f(x) * dy)`` with respect to ``x``.

    ``f`` maps an array shaped like ``x`` to a scalar or to an array; ``dy`` is the
    upstream gradient, shaped like ``f(x)`` (``None`` means ``f`` returns a scalar,
    or ``dy`` is all ones). Each entry is ``(L(x + h e_i) - L(x - h e_i)) / (2h)``.

    ``f`` is evaluated on a float64 copy of ``x`` (float32 cannot resolve a step of
    ``1e-5``); ``x`` itself is never modified. Returns a float64 array shaped like ``x``.
    """
    x = np.array(as_float_array(x, "x", "numerical_gradient"), dtype=np.float64)  # a private copy
    if not h > 0:
        raise ValueError(f"numerical_gradient: h must be > 0; got {h!r}")
    upstream = None if dy is None else np.asarray(as_float_array(dy, "dy", "numerical_gradient"), np.float64)

    def loss(point: np.ndarray) -> float:
        value = np.asarray(f(point), dtype=np.float64)
        if upstream is None:
            return float(np.sum(value))
        if value.shape != upstream.shape:
            raise ValueError(f"numerical_gradient: dy has shape {upstream.shape} but f(x) has shape {value.shape}")
        return float(np.sum(value * upstream))

    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + h
        plus = loss(x)
        flat_x[i] = original - h
        minus = loss(x)
        flat_x[i] = original
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b) -> float:
    """Largest elementwise relative error ``|a - b| / max(1e-8, |a| + |b|)``.

    About 1e-7 or smaller means two float64 gradients agree; 1e-2 or larger means
    at least one entry is wrong. ``a`` and ``b`` must have the same shape.
    """
    a = np.asarray(as_float_array(a, "a", "rel_error"), dtype=np.float64)
    b = np.asarray(as_float_array(b, "b", "rel_error"), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: a and b must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
