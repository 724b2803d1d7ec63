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

Beyond the four classic functions: GELU (Hendrycks and Gimpel, 2016), SiLU
(named in the same paper; Elfwing et al., 2018; "Swish" with beta = 1 in Ramachandran et al., 2017) and
PReLU (He et al., 2015), whose negative slope is a learned ``weight``. Their
names and arguments follow ``torch.nn.functional``.

Every formula is written so that it neither overflows nor cancels: ``exp`` is
only ever given an exponent ``<= 0``, and a derivative that is a small number
(a saturated sigmoid's, say) is computed as a product of small numbers rather
than as ``1 - (a number close to 1)``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import as_float_array, common_float_dtype, require_shape


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed without overflow for any ``x``.

    ``exp(t)`` overflows once ``t > log(max float)``: 709.78 in float64, 88.72 in
    float32, so ``exp(-x)`` overflows for ``x < -709.78`` (float64) or ``x < -88.72``
    (float32). Multiplying top and bottom by ``exp(x)`` when ``x < 0`` gives
    ``exp(x) / (1 + exp(x))``; both cases are ``exp(min(x, 0)) / (1 + exp(-|x|))``,
    where no exponent is ever positive.
    """
    x = as_float_array(x, "x", "sigmoid")
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def sigmoid_backward(dy, x) -> np.ndarray:
    """Gradient of :func:`sigmoid`: ``dy * s * (1 - s)`` with ``s = sigmoid(x)``.

    ``x`` is the sigmoid's input ``z``, not its output. ``dy`` and ``x`` have the same shape.
    The slope is computed as ``sigmoid(x) * sigmoid(-x)`` (equal to ``s * (1 - s)``), so that it
    keeps its digits where ``s`` rounds to 1: at ``x = 37``, ``1 - s`` is 0 in float64, while
    the slope is ``8.5e-17``.
    """
    dy, x = _check_backward("sigmoid_backward", dy, x)
    return dy * _sigmoid_slope(x)


def tanh(x) -> np.ndarray:
    """Hyperbolic tangent ``(e^x - e^-x) / (e^x + e^-x)``, in ``(-1, 1)``."""
    return np.tanh(as_float_array(x, "x", "tanh"))


def tanh_backward(dy, x) -> np.ndarray:
    """Gradient of :func:`tanh`: ``dy * (1 - t**2)`` with ``t = tanh(x)``.

    ``x`` is the tanh's input ``z``, not its output. ``dy`` and ``x`` have the same shape.
    The slope is computed as ``4 * sigmoid(2x) * sigmoid(-2x)`` (equal to ``1 - t**2``), which
    keeps its digits where ``t`` rounds to +-1 (``|x|`` above about 19 in float64).
    """
    dy, x = _check_backward("tanh_backward", dy, x)
    return dy * (4 * _sigmoid_slope(2 * x))


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


# --- Beyond the sources: GELU, SiLU and PReLU ----------------------------------------------------

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_CUBIC = 0.044715   # the cubic coefficient of Hendrycks and Gimpel's tanh approximation
_GELU_APPROXIMATIONS = ("none", "tanh")


def gelu(x, approximate: str = "none") -> np.ndarray:
    """Gaussian error linear unit ``x * Phi(x)`` (Hendrycks and Gimpel, 2016), ``Phi`` the standard normal CDF.

    ``x`` any shape; returns the same shape and float dtype. ``approximate="tanh"`` gives the
    paper's approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``, as PyTorch does.

    ``Phi(x) = erfc(-x / sqrt 2) / 2``. NumPy has no ``erf``; this uses Python's ``math.erfc``
    entry by entry (accurate to double precision, no SciPy needed; much slower than a NumPy
    ufunc, but fast enough for this book's arrays). ``erfc`` rather than ``1 + erf``: for ``x = -10``,
    ``1 + erf(-7.07)`` is 0 in float64 while ``Phi(-10) = 7.6e-24``. The tanh form is computed as
    ``x * sigmoid(2u)``, equal to ``0.5 x (1 + tanh u)`` without its cancellation for negative ``x``.
    """
    x = as_float_array(x, "x", "gelu")
    approximate = _check_approximate("gelu", approximate)
    low = np.maximum(x, -50.0)            # below -50 the answer is -0.0 either way; avoids -inf * 0 = nan
    if approximate == "tanh":
        return (low * sigmoid(2 * _gelu_tanh_argument(x))).astype(x.dtype, copy=False)
    return (low * _normal_cdf(low)).astype(x.dtype, copy=False)


def gelu_backward(dy, x, approximate: str = "none") -> np.ndarray:
    """Gradient of :func:`gelu`: ``dy * (Phi(x) + x * phi(x))``, ``phi`` the standard normal density.

    ``x`` is the GELU's input ``z``; ``dy`` and ``x`` have the same shape. With ``approximate="tanh"``
    the slope is that of the tanh form: ``s + 2 x s (1 - s) u'(x)`` with ``s = sigmoid(2u)``,
    ``u = sqrt(2/pi) (x + 0.044715 x**3)`` and ``u' = sqrt(2/pi) (1 + 3 * 0.044715 x**2)``.
    The slope is not monotone: it dips below 0 (to about -0.13) for negative ``x`` and rises
    above 1 (to about 1.13) for positive ``x``.
    """
    dy, x = _check_backward("gelu_backward", dy, x)
    approximate = _check_approximate("gelu_backward", approximate)
    t = np.clip(x, -50.0, 50.0)           # beyond +-50 the slope is exactly 0 or 1 in floating point
    if approximate == "tanh":
        u = _gelu_tanh_argument(t)
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_CUBIC * t * t)
        slope = sigmoid(2 * u) + 2 * t * _sigmoid_slope(2 * u) * du
    else:
        slope = _normal_cdf(t) + t * np.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)
    return (dy * slope).astype(dy.dtype, copy=False)


def silu(x) -> np.ndarray:
    """Sigmoid-weighted linear unit ``x * sigmoid(x)`` (SiLU; Swish with beta = 1).

    Hendrycks and Gimpel (2016) named it SiLU; Elfwing, Uchibe and Doya (2018) called it the sigmoid-weighted
    linear unit; Ramachandran, Zoph and Le (2017) found
    ``x * sigmoid(beta x)`` by search and called it Swish. ``x`` any shape; same shape and dtype out.
    Its minimum is about -0.278, at ``x`` about -1.278.
    """
    x = as_float_array(x, "x", "silu")
    low = np.maximum(x, -800.0)           # sigmoid(-800) is 0: -0.0 instead of -inf * 0 = nan
    return low * sigmoid(low)


def silu_backward(dy, x) -> np.ndarray:
    """Gradient of :func:`silu`: ``dy * (s + x s (1 - s))`` with ``s = sigmoid(x)``.

    ``x`` is the SiLU's input ``z``; ``dy`` and ``x`` have the same shape. ``s (1 - s)`` is
    computed as ``sigmoid(x) sigmoid(-x)`` (no cancellation). The slope dips below 0 (to about
    -0.10) for negative ``x`` and rises above 1 (to about 1.10) for positive ``x``.
    """
    dy, x = _check_backward("silu_backward", dy, x)
    t = np.clip(x, -800.0, 800.0)         # beyond +-800 the slope is exactly 0 or 1 in floating point
    return dy * (sigmoid(t) + t * _sigmoid_slope(t))


def prelu(x, weight) -> np.ndarray:
    """Parametric ReLU (He et al., 2015): ``x`` where ``x > 0``, else ``weight * x``, with a learned ``weight``.

    ``x`` ``(N, C, ...)`` (any shape; a 0-D or 1-D ``x`` has one channel); ``weight`` a number, or
    an array of shape ``()``, ``(1,)`` (one slope shared by all channels) or ``(C,)`` (one slope per
    channel, broadcast along axis 1, as in ``torch.nn.functional.prelu``). Returns ``x``'s shape, in the
    common float dtype of ``x`` and an array ``weight`` (a scalar ``weight`` does not change the dtype).
    """
    x = as_float_array(x, "x", "prelu")
    slope, _ = _check_prelu_weight("prelu", weight, x)
    x = x.astype(_prelu_dtype(x, slope), copy=False)
    return np.maximum(x, 0) + slope * np.minimum(x, 0)


def prelu_backward(dy, x, weight) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`prelu`: ``(dx, dweight)``.

    ``dy`` and ``x`` ``(N, C, ...)`` of the same shape; ``weight`` as in :func:`prelu`.
    ``dx`` (``x``'s shape) is ``dy`` where ``x > 0`` and ``weight * dy`` where ``x <= 0`` (at 0 the
    negative side's slope, as PyTorch takes it). ``dweight`` (``weight``'s shape, ``()`` for a Python
    number) is the sum of ``dy * min(x, 0)`` over every entry that shares the slope: over all axes but
    axis 1 for one slope per channel, over everything for a shared slope.
    """
    dy, x = _check_backward("prelu_backward", dy, x)
    slope, shape = _check_prelu_weight("prelu_backward", weight, x)
    dtype = _prelu_dtype(x, slope)
    dy, x = dy.astype(dtype, copy=False), x.astype(dtype, copy=False)
    dx = dy * (x > 0) + (slope * dy) * (x <= 0)
    per_entry = dy * np.minimum(x, 0)
    if np.ndim(slope) and np.size(slope) > 1:                  # one slope per channel (axis 1)
        dweight = per_entry.sum(axis=tuple(a for a in range(x.ndim) if a != 1))
    else:
        dweight = per_entry.sum()
    return dx, np.asarray(dweight, dtype=dtype).reshape(shape)


def _prelu_dtype(x: np.ndarray, slope) -> np.dtype:
    """float64 if ``x`` or an array ``slope`` is float64, else float32; a float ``slope`` does not count."""
    return common_float_dtype(x, slope) if isinstance(slope, np.ndarray) else x.dtype


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """``Phi(x) = erfc(-x / sqrt 2) / 2`` entry by entry, with Python's ``math.erfc``, in ``x``'s dtype."""
    flat = (-x / math.sqrt(2.0)).astype(np.float64).ravel().tolist()
    values = np.fromiter(map(math.erfc, flat), dtype=np.float64, count=len(flat))
    return (0.5 * values).reshape(x.shape).astype(x.dtype, copy=False)


def _gelu_tanh_argument(x: np.ndarray) -> np.ndarray:
    """``u = sqrt(2/pi) (x + 0.044715 x**3)``, with ``x`` clipped to +-50 (where ``tanh u`` is already +-1)."""
    t = np.clip(x, -50.0, 50.0)
    return _SQRT_2_OVER_PI * (t + _GELU_TANH_CUBIC * t * t * t)


def _sigmoid_slope(x: np.ndarray) -> np.ndarray:
    """``sigmoid(x) * sigmoid(-x) = e / (1 + e)**2`` with ``e = exp(-|x|)``: the sigmoid's slope, no cancellation."""
    e = np.exp(-np.abs(x))
    return e / ((1 + e) * (1 + e))


def _check_approximate(func: str, approximate) -> str:
    if approximate not in _GELU_APPROXIMATIONS:
        raise ValueError(f"{func}: approximate must be 'none' or 'tanh'; got {approximate!r}")
    return approximate


def _check_prelu_weight(func: str, weight, x: np.ndarray):
    """``(slope, shape)``: the slope ready to broadcast against ``x``, and ``weight``'s own shape.

    A number (Python or NumPy scalar) is returned as a float, which does not change ``x``'s dtype; an array must be
    ``()``, ``(1,)`` or ``(C,)`` with ``C = x.shape[1]`` (1 when ``x`` has fewer than 2 axes).
    """
    if isinstance(weight, numbers.Real) and not isinstance(weight, (bool, np.bool_)):
        return float(weight), ()
    w = as_float_array(weight, "weight", func)
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.ndim > 1 or (w.ndim == 1 and w.size not in (1, channels)):
        raise ValueError(f"{func}: weight must be a number or have shape (), (1,) or ({channels},) "
                         f"(one slope per channel, x.shape[1] = {channels}); got weight shape {w.shape} "
                         f"for x shape {x.shape}")
    if w.ndim == 1 and w.size == channels and channels > 1:
        return w.reshape((1, channels) + (1,) * (x.ndim - 2)), w.shape
    return w.reshape(()), w.shape


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
