"""2-D cross-correlation and convolution of one image with one kernel.

These are the single-channel operations the convolution chapter starts from,
with the three output modes of ``scipy.signal``:

* ``"valid"``: only positions where the kernel lies wholly inside the image,
  ``(H - R + 1, W - S + 1)``;
* ``"full"``: every position where kernel and image overlap at all,
  ``(H + R - 1, W + S - 1)``; the image is zero-padded by ``R - 1`` and ``S - 1``;
* ``"same"``: the centre ``(H, W)`` of the full result, aligned as scipy aligns it.

Cross-correlation slides the kernel as it is; convolution slides the kernel
rotated by 180 degrees. That flip is the whole difference, and it is exactly
the rotation that appears in the backward pass of a convolutional layer.
"""

from __future__ import annotations

import numba
import numpy as np

from ._validation import as_float_array, common_float_dtype, require_ndim
from .spatial import rot180

MODES = ("valid", "same", "full")


def correlate2d_reference(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid cross-correlation, written to be read: one output value per window position.

    ``a`` ``(H, W)``, ``k`` ``(R, S)`` -> ``(H - R + 1, W - S + 1)`` with
    ``out[i, j] = sum_{r, s} a[i + r, j + s] * k[r, s]``.
    """
    R, S = k.shape
    P, Q = a.shape[0] - R + 1, a.shape[1] - S + 1
    out = np.zeros((P, Q), dtype=np.result_type(a, k))
    for i in range(P):
        for j in range(Q):
            window = a[i : i + R, j : j + S]
            out[i, j] = np.sum(window * k)
    return out


@numba.njit(cache=True, nogil=True)
def _correlate2d_valid(a, k, out):
    R, S = k.shape
    P, Q = out.shape
    for i in range(P):
        for r in range(R):
            for s in range(S):
                weight = k[r, s]
                for j in range(Q):
                    out[i, j] += weight * a[i + r, j + s]


def correlate2d(a, k, mode: str = "valid") -> np.ndarray:
    """2-D cross-correlation of image ``a`` ``(H, W)`` with kernel ``k`` ``(R, S)``.

    ``out[i, j] = sum_{r, s} a[i + r, j + s] * k[r, s]`` over the positions the
    ``mode`` allows (see the module docstring). Same numbers as
    ``scipy.signal.correlate2d(a, k, mode)``; in ``"valid"`` mode the kernel must
    fit inside the image (scipy would silently swap the two arguments).
    """
    a, k = _check_inputs("correlate2d", a, k, mode)
    return _correlate(a, k, mode)


def convolve2d(a, k, mode: str = "valid") -> np.ndarray:
    """2-D convolution of image ``a`` ``(H, W)`` with kernel ``k`` ``(R, S)``.

    A cross-correlation with the kernel rotated by 180 degrees:
    ``convolve2d(a, k) == correlate2d(a, rot180(k))``. Same numbers as
    ``scipy.signal.convolve2d(a, k, mode)``.
    """
    a, k = _check_inputs("convolve2d", a, k, mode)
    return _correlate(a, rot180(k), mode, same_offset_from_end=True)


def _correlate(a: np.ndarray, k: np.ndarray, mode: str, same_offset_from_end: bool = False) -> np.ndarray:
    R, S = k.shape
    if mode != "valid":
        a = np.pad(a, ((R - 1, R - 1), (S - 1, S - 1)))
    out = np.zeros((a.shape[0] - R + 1, a.shape[1] - S + 1), dtype=common_float_dtype(a, k))
    _correlate2d_valid(np.ascontiguousarray(a, out.dtype), np.ascontiguousarray(k, out.dtype), out)
    if mode == "same":
        out = _centre(out, (a.shape[0] - 2 * (R - 1), a.shape[1] - 2 * (S - 1)), (R, S), same_offset_from_end)
    return out


def _centre(full: np.ndarray, size: tuple[int, int], kernel: tuple[int, int], from_end: bool) -> np.ndarray:
    """The ``size`` window of a full result that scipy calls "same".

    scipy centres the window on the full result; with an even kernel the centre
    falls between two pixels, and scipy's convolution and correlation round it
    in opposite directions (convolution flips the kernel, so its offset is
    counted from the other end).
    """
    oh, ow = (k // 2 if not from_end else (k - 1) // 2 for k in kernel)
    h, w = size
    return full[oh : oh + h, ow : ow + w]


def _check_inputs(func: str, a, k, mode: str):
    if mode not in MODES:
        raise ValueError(f"{func}: mode must be one of {MODES}; got {mode!r}")
    a = as_float_array(a, "a", func)
    k = as_float_array(k, "k", func)
    require_ndim(a, 2, "a", func, "(H, W)")
    require_ndim(k, 2, "k", func, "(R, S)")
    if min(a.shape) < 1 or min(k.shape) < 1:
        raise ValueError(f"{func}: a and k must not be empty; got a {a.shape}, k {k.shape}")
    if mode == "valid" and (k.shape[0] > a.shape[0] or k.shape[1] > a.shape[1]):
        raise ValueError(
            f"{func}: in 'valid' mode the kernel must fit inside the image; got a {a.shape}, "
            f"k {k.shape} (use mode='full', or swap the arguments)"
        )
    return a, k
