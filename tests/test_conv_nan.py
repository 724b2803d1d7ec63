"""How NaN travels through conv2d_backward: exactly along the products the layer computes.

The readable reference builds dx and dw by correlating with a zero-inserted, zero-padded dy,
so a NaN there also meets the inserted zeros (NaN * 0 = NaN) and spreads to gradients it has
no connection to. The fast kernels multiply only connected pairs, as PyTorch does. This test
pins that behaviour down against a scatter loop, which has the same connections as the layer.
"""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb


# Every test here runs twice: on the numba kernels and on the NumPy path that small calls take.
pytestmark = pytest.mark.usefixtures("kernel_path")

def scatter_backward(dy, x, w, stride, padding):
    """The backward pass as one multiply-add per (output position, filter tap): no inserted zeros."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    N, K, P, Q = dy.shape
    R, S = w.shape[2:]
    for n in range(N):
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    rows, cols = slice(i * stride, i * stride + R), slice(j * stride, j * stride + S)
                    dxp[n, :, rows, cols] += dy[n, k, i, j] * w[k]
                    dw[k] += dy[n, k, i, j] * xp[n, :, rows, cols]
    dx = dxp[:, :, padding:xp.shape[2] - padding, padding:xp.shape[3] - padding]
    return dx, dw, dy.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 0), (2, 1), (3, 2)])
@pytest.mark.parametrize("where", ["weight", "unused input pixel", "used input pixel"])
def test_nan_reaches_exactly_the_connected_gradients(stride, padding, where):
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(2, 2, 8, 8)), rng.normal(size=(3, 2, 3, 3))
    if where == "weight":
        w[1, 0, 0, 2] = np.nan
    elif where == "unused input pixel":
        x[0, 1, 7, 7] = np.nan      # the last row and column: no window reaches it for some strides
    else:
        x[1, 0, 3, 4] = np.nan
    y = cb.conv2d(x, w, stride=stride, padding=padding)
    dy = rng.normal(size=y.shape)
    expected = scatter_backward(dy, x, w, stride, padding)
    for name, got, want in zip(("dx", "dw", "db"), cb.conv2d_backward(dy, x, w, stride, padding), expected):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"NaN pattern of {name}")
        finite = ~np.isnan(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-10, atol=1e-12)
