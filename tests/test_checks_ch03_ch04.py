"""The convolution exercises' checks catch the classic mistakes (planted, written independently)."""

from __future__ import annotations

import numpy as np

from cnnbook.checks import check


def loop_conv2d(x, w, b, stride, padding, flip=False, use_stride=True, use_padding=True):
    """A learner-style loop convolution with switchable mistakes."""
    p = padding if use_padding else 0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    N, C, H, W = xp.shape
    K, _, R, S = w.shape
    P, Q = (H - R) // stride + 1, (W - S) // stride + 1
    step = stride if use_stride else 1
    kernel = w[:, :, ::-1, ::-1] if flip else w
    y = np.zeros((N, K, P, Q))
    for n in range(N):
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    y[n, k, i, j] = np.sum(xp[n, :, i * step:i * step + R, j * step:j * step + S] * kernel[k]) + b[k]
    return y


def scatter_backward(dy, x, w, stride, padding, dw_mode="sum", db_axes=(0, 2, 3), crop=True):
    """A learner-style backward by scattering each output's gradient back to its window."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    N, K, P, Q = dy.shape
    R, S = w.shape[2:]
    for n in range(N):
        dw_n = np.zeros_like(w)
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    window = (slice(i * stride, i * stride + R), slice(j * stride, j * stride + S))
                    dxp[n, :, window[0], window[1]] += dy[n, k, i, j] * w[k]
                    dw_n[k] += dy[n, k, i, j] * xp[n, :, window[0], window[1]]
        dw = dw + dw_n if dw_mode == "sum" else dw_n
    dx = dxp[:, :, padding:xp.shape[2] - padding, padding:xp.shape[3] - padding] if crop else dxp
    return dx, dw, dy.sum(axis=db_axes)


def diagnoses(name, function):
    report = check(name, function, verbose=False)
    assert not report.passed
    return " ".join(report.diagnoses())


def test_learner_conv2d_passes_and_each_mistake_is_named():
    assert check("conv2d", loop_conv2d, verbose=False).passed
    assert "filter is flipped" in diagnoses("conv2d", lambda *a: loop_conv2d(*a, flip=True))
    assert "stride is ignored" in diagnoses("conv2d", lambda *a: loop_conv2d(*a, use_stride=False))
    assert "padding is ignored" in diagnoses("conv2d", lambda *a: loop_conv2d(*a, use_padding=False))


def test_output_size_off_by_one_is_named():
    import math

    assert "rounding up" in diagnoses("conv_output_size", lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1)
    assert "'+ 1' is missing" in diagnoses("conv_output_size", lambda n, k, s, p: (n + 2 * p - k) // s)


def test_learner_backward_passes_and_each_mistake_is_named():
    assert check("conv2d_backward", scatter_backward, verbose=False).passed
    assert "padding is not cropped" in diagnoses("conv2d_backward", lambda *a: scatter_backward(*a, crop=False))
    assert "not summed over the batch" in diagnoses("conv2d_backward", lambda *a: scatter_backward(*a, dw_mode="last"))
    assert "db is summed on the wrong axes" in diagnoses("conv2d_backward", lambda *a: scatter_backward(*a, db_axes=(2, 3)))


def test_unrotated_and_undilated_backward_are_named():
    import cnnbook as cb
    from cnnbook.spatial import crop2d, dilate2d

    def full_correlation_backward(dy, x, w, stride, padding, rotate=True, dilate=True):
        """dx by the chapter's recipe, written independently of the package's reference."""
        grid = dilate2d(dy, (stride, stride)) if dilate else dy
        H, W = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
        R, S = w.shape[2:]
        grid = np.pad(grid, ((0, 0), (0, 0), (0, max(0, H - R + 1 - grid.shape[2])), (0, max(0, W - S + 1 - grid.shape[3]))))
        filters = w[:, :, ::-1, ::-1] if rotate else w
        dxp = np.zeros((x.shape[0], x.shape[1], grid.shape[2] + R - 1, grid.shape[3] + S - 1))
        for n in range(x.shape[0]):
            for k in range(w.shape[0]):
                for c in range(x.shape[1]):
                    dxp[n, c] += cb.correlate2d(grid[n, k], filters[k, c], mode="full")
        _, dw, db = cb.conv2d_backward_reference(dy, x, w, stride, padding)
        return crop2d(dxp, (padding, padding)), dw, db

    assert check("conv2d_backward", full_correlation_backward, verbose=False).passed
    assert "not rotated" in diagnoses("conv2d_backward", lambda *a: full_correlation_backward(*a, rotate=False))
    assert "stride is not applied" in diagnoses("conv2d_backward", lambda *a: full_correlation_backward(*a, dilate=False))
