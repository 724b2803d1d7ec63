"""Chapter 3's im2col: every window a column, the layer one matrix product, and its picture."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.teaching.demos.im2col import COLUMN_GID, EXAMPLE_W, EXAMPLE_X, conv2d_im2col, draw_im2col, im2col, im2col_demo


def test_every_window_is_a_column_in_c_r_s_order():
    x = np.arange(2 * 4 * 5, dtype=float).reshape(2, 4, 5)
    col = im2col(x, (2, 3), stride=(2, 1), padding=(1, 0))
    P, Q = cb.conv_output_size(4, 2, 2, 1), cb.conv_output_size(5, 3, 1, 0)
    assert col.shape == (2 * 2 * 3, P * Q) == (12, 9)
    xpad = np.pad(x, ((0, 0), (1, 1), (0, 0)))
    for c, r, s, i, j in np.ndindex(2, 2, 3, P, Q):
        assert col[(c * 2 + r) * 3 + s, i * Q + j] == xpad[c, i * 2 + r, j + s]


def test_im2col_matches_the_packages_compiled_layout():
    from cnnbook._conv_kernels import im2col as compiled_im2col

    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 7, 6))
    R, S, sh, sw, ph, pw = 3, 2, 2, 1, 1, 2
    P, Q = cb.conv_output_size(7, R, sh, ph), cb.conv_output_size(6, S, sw, pw)
    xpad = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    col = np.empty((3 * R * S, P * Q))
    compiled_im2col(xpad.reshape(-1), 0, *xpad.shape, R, S, sh, sw, 0, P, Q, col.reshape(-1), 0, P * Q)  # all P rows
    np.testing.assert_array_equal(im2col(x, (R, S), (sh, sw), (ph, pw)), col)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), 1), ((1, 1, 5, 5), (1, 1, 1, 1), 1, 0), ((3, 2, 8, 8), (5, 2, 4, 4), 3, 2),
])
def test_one_matrix_product_per_image_is_the_convolution(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(6)
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    np.testing.assert_allclose(conv2d_im2col(x, w, b, stride, padding), cb.conv2d_reference(x, w, b, stride, padding),
                               atol=1e-12)
    np.testing.assert_allclose(conv2d_im2col(x, w, None, stride, padding), cb.conv2d(x, w, None, stride, padding),
                               atol=1e-12)


def test_dtypes_inputs_and_errors():
    x = np.ones((2, 4, 4), dtype=np.float32)
    assert im2col(x, 3).dtype == np.float32 and im2col(np.ones((1, 3, 3), dtype=int), 2).dtype == np.float64
    before = x.copy()
    im2col(x, 2, padding=1)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(ValueError, match=r"im2col: x must be 3-D \(C, H, W\), one image; got shape \(1, 2, 4, 4\)"):
        im2col(np.ones((1, 2, 4, 4)), 3)
    with pytest.raises(ValueError, match="kernel_size 5 is larger than the padded input 4"):
        im2col(x, 5)
    with pytest.raises(ValueError, match="conv2d_im2col: x has 2 channels but w expects 3"):
        conv2d_im2col(np.ones((1, 2, 4, 4)), np.ones((1, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"conv2d_im2col: b must have shape \(1,\)"):
        conv2d_im2col(np.ones((1, 2, 4, 4)), np.ones((1, 2, 2, 2)), b=np.ones(3))
    assert conv2d_im2col(np.ones((0, 2, 4, 4)), np.ones((3, 2, 2, 2))).shape == (0, 3, 3, 3)


def test_the_picture_outlines_the_window_its_column_and_its_output():
    figure = Figure()
    caption = draw_im2col(figure, position=2)                          # window (1, 0) of a 2x2 output
    channel0, channel1, ax_col, ax_w, ax_y = figure.axes
    for ax in (channel0, channel1):
        assert ax.patches[-1].get_xy() == (-0.5, 0.5) and ax.patches[-1].get_width() == 2
    (column,) = [p for p in ax_col.patches if p.get_gid() == COLUMN_GID]
    assert column.get_xy() == (1.5, -0.5) and column.get_height() == 8
    col = im2col(EXAMPLE_X, 2)
    window = EXAMPLE_X[:, 1:3, 0:2].ravel()
    assert [t.get_text() for t in ax_col.texts][2::4] == [f"{v:g}" for v in window]     # column 2, row by row
    value = float(EXAMPLE_W.ravel() @ col[:, 2])
    assert value == cb.conv2d(EXAMPLE_X[None], EXAMPLE_W)[0, 0, 1, 0]
    assert "column 2 of col" in caption and "y[1, 0] = row · column = " in caption and caption.endswith(
        f"= {value:g} (the zero weights are left out).")


def test_the_widget_moves_the_window():
    demo = im2col_demo()
    assert demo.controls["position"].max == 3 and "Window (0, 0)" in demo.caption.value
    demo.controls["position"].value = 3
    assert "Window (1, 1) covers rows 1–2 and columns 1–2" in demo.caption.value
    y = cb.conv2d(EXAMPLE_X[None], EXAMPLE_W)[0, 0]
    assert f"= {y[1, 1]:g} (the zero" in demo.caption.value
