"""Argument checks shared by every public function.

Each check raises a ``TypeError`` or ``ValueError`` whose message starts with the
public function's name and says what was expected and what came, e.g.
``conv2d: stride must be >= 1; got (0, 1)``. Nothing here copies or modifies an
array the caller passed unless its dtype has to be promoted.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_array(value, name: str, func: str) -> np.ndarray:
    """``value`` as a float32 or float64 array.

    float32 and float64 pass through unchanged (no copy); integers and bools are
    promoted to float64; anything else (complex, object, strings, float16, …) is
    a ``TypeError``.
    """
    array = np.asarray(value)
    if array.dtype in FLOAT_DTYPES:
        return array
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    raise TypeError(
        f"{func}: {name} must hold real numbers (float32 or float64; int and bool are "
        f"promoted to float64); got dtype {array.dtype}"
    )


def common_float_dtype(*arrays: np.ndarray) -> np.dtype:
    """float64 if any array is float64, else float32."""
    return np.result_type(*[a.dtype for a in arrays])


def require_ndim(array: np.ndarray, ndim: int, name: str, func: str, layout: str) -> None:
    """Raise ``ValueError`` unless ``array`` has ``ndim`` dimensions, naming the expected ``layout``."""
    if array.ndim != ndim:
        raise ValueError(f"{func}: {name} must be {ndim}-D {layout}; got shape {array.shape}")


def require_shape(array: np.ndarray, expected: tuple, name: str, func: str, why: str = "") -> None:
    """Raise ``ValueError`` unless ``array.shape == expected``."""
    if tuple(array.shape) != tuple(expected):
        reason = f" ({why})" if why else ""
        raise ValueError(f"{func}: {name} must have shape {tuple(expected)}{reason}; got {array.shape}")


def as_input_and_filters(x, w, func: str) -> tuple[np.ndarray, np.ndarray]:
    """``x`` ``(N, C, H, W)`` and ``w`` ``(K, C, R, S)`` as float arrays whose channel counts agree."""
    x, w = as_float_array(x, "x", func), as_float_array(w, "w", func)
    require_ndim(x, 4, "x", func, "(N, C, H, W)")
    require_ndim(w, 4, "w", func, "(K, C, R, S)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{func}: x has {x.shape[1]} channels but w expects {w.shape[1]} (x {x.shape}, w {w.shape})")
    return x, w


def as_pair(value, name: str, func: str, minimum: int) -> tuple[int, int]:
    """An int or an ``(h, w)`` pair of ints, as a pair; each entry must be ``>= minimum``."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{func}: {name} must be an int or a pair of ints (h, w); got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum}; got {value!r}")
    return pair


def _is_int(value) -> bool:
    if type(value) is int:  # the common case, without the slow abstract-base-class check below
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
