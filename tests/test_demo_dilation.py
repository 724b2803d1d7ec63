"""Chapter 3's dilated convolution: the loop from the formula, the zero-inserted kernel, and the checks."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.teaching.demos.dilation import dilate_kernel, dilated_conv2d, dilated_conv2d_reference


def by_hand(x, w, b, stride, padding, dilation):
    """One more independent version: every output value as an explicit sum over (c, r, s)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    N, C, Hp, Wp = xpad.shape
    K, _, R, S = w.shape
    P, Q = (Hp - dh * (R - 1) - 1) // sh + 1, (Wp - dw * (S - 1) - 1) // sw + 1
    y = np.zeros((N, K, P, Q))
    for n, k, i, j in np.ndindex(N, K, P, Q):
        y[n, k, i, j] = b[k] + sum(xpad[n, c, i * sh + dh * r, j * sw + dw * s] * w[k, c, r, s]
                                   for c in range(C) for r in range(R) for s in range(S))
    return y


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", [
    ((1, 1, 7, 7), (1, 1, 3, 3), (1, 1), (0, 0), (2, 2)),
    ((2, 3, 9, 8), (4, 3, 3, 2), (2, 1), (1, 2), (2, 3)),
    ((1, 2, 6, 10), (2, 2, 2, 3), (1, 3), (0, 1), (4, 1)),
    ((2, 1, 5, 5), (3, 1, 1, 1), (1, 1), (0, 0), (3, 3)),      # a 1x1 kernel has nothing to spread
])
def test_reference_and_zero_inserted_kernel_agree_with_the_formula(x_shape, w_shape, stride, padding, dilation):
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    expected = by_hand(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(dilated_conv2d_reference(x, w, b, stride, padding, dilation), expected, atol=1e-12)
    np.testing.assert_allclose(dilated_conv2d(x, w, b, stride, padding, dilation), expected, atol=1e-12)
    P = cb.conv_output_size(x_shape[2], w_shape[2], stride[0], padding[0], dilation[0])
    Q = cb.conv_output_size(x_shape[3], w_shape[3], stride[1], padding[1], dilation[1])
    assert expected.shape == (x_shape[0], w_shape[0], P, Q)


def test_dilation_one_is_an_ordinary_convolution():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))
    np.testing.assert_allclose(dilated_conv2d_reference(x, w, None, 2, 1, 1), cb.conv2d(x, w, None, 2, 1), atol=1e-12)


def test_dilate_kernel_spreads_the_taps_and_leaves_its_input_alone():
    w = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    before = w.copy()
    spread = dilate_kernel(w, (3, 2))
    assert spread.shape == (1, 1, 4, 5)                                 # 3*(2-1)+1, 2*(3-1)+1
    np.testing.assert_array_equal(spread[0, 0], [[1, 0, 2, 0, 3], [0] * 5, [0] * 5, [4, 0, 5, 0, 6]])
    np.testing.assert_array_equal(w, before)
    assert dilate_kernel(np.ones((3, 3), np.float32), 1).dtype == np.float32
    np.testing.assert_array_equal(dilate_kernel(w, 1), w)


def test_float32_stays_float32_and_inputs_are_not_modified():
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(1, 2, 7, 7)).astype(np.float32), rng.normal(size=(2, 2, 3, 3)).astype(np.float32)
    x0, w0 = x.copy(), w.copy()
    for f in (dilated_conv2d, dilated_conv2d_reference):
        assert f(x, w, dilation=2).dtype == np.float32
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("function", [dilated_conv2d, dilated_conv2d_reference])
def test_bad_arguments_say_what_was_expected(function):
    name = function.__name__
    message = rf"{name}: the dilated kernel spans 7 along axis 2 but the padded input has only 6"
    with pytest.raises(ValueError, match=message):
        function(np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), dilation=3)
    with pytest.raises(ValueError, match=rf"{name}: dilation must be >= 1"):
        function(np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), dilation=0)
    with pytest.raises(ValueError, match=rf"{name}: x has 2 channels but w expects 1"):
        function(np.ones((1, 2, 6, 6)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=rf"{name}: b must have shape \(1,\)"):
        function(np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), b=np.ones(2))
    with pytest.raises(TypeError, match=rf"{name}: dilation must be an int or a pair"):
        function(np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), dilation=1.5)
    with pytest.raises(ValueError, match=rf"{name}: x must be 4-D"):
        function(np.ones((6, 6)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="dilate_kernel: w must have at least 2 dimensions"):
        dilate_kernel(np.ones(3), 2)
