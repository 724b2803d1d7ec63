"""The classic kernels: their values, their sums, and what they do to an image."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

import cnnbook as cb
from cnnbook.teaching.filters import (
    box_blur,
    classic_kernels,
    gaussian_blur,
    identity,
    sharpen,
    sobel_x,
    sobel_y,
)


def test_hand_written_values():
    np.testing.assert_array_equal(identity(3), [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(box_blur(2), np.full((2, 2), 0.25))
    np.testing.assert_array_equal(sharpen(), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(sobel_x(), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(sobel_y(), [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    np.testing.assert_array_equal(identity(5)[2, 2], 1.0)
    assert identity(5).sum() == 1.0 and identity(1).tolist() == [[1.0]]


def test_gaussian_is_normalised_symmetric_and_peaked_in_the_centre():
    g = gaussian_blur(5, 1.0)
    assert g.shape == (5, 5) and g.dtype == np.float64
    assert abs(g.sum() - 1.0) < 1e-12
    np.testing.assert_allclose(g, g.T, atol=0)
    np.testing.assert_allclose(g, cb.rot180(g), atol=0)
    assert g[2, 2] == g.max() and g[0, 0] == g.min()
    # ratio of neighbours is exp(-1/(2 sigma^2)) along one axis
    np.testing.assert_allclose(g[2, 3] / g[2, 2], np.exp(-0.5), rtol=1e-12)
    # a wider sigma spreads the weight: smaller centre
    assert gaussian_blur(5, 2.0)[2, 2] < g[2, 2]
    # even sizes are centred between pixels, still symmetric
    g4 = gaussian_blur(4, 1.5)
    np.testing.assert_allclose(g4, cb.rot180(g4), atol=1e-15)
    assert abs(g4.sum() - 1) < 1e-12


@pytest.mark.parametrize("name, total", [
    ("identity", 1.0), ("box blur 5x5", 1.0), ("Gaussian 5x5, sigma 1", 1.0),
    ("sharpen", 1.0), ("Sobel x", 0.0), ("Sobel y", 0.0),
])
def test_sums(name, total):
    assert abs(classic_kernels()[name].sum() - total) < 1e-12


def test_sum_one_kernels_keep_a_flat_patch_and_sum_zero_kernels_zero_it():
    flat = np.full((8, 8), 0.4)
    for name, kernel in classic_kernels().items():
        out = cb.correlate2d(flat, kernel)
        expected = 0.4 * kernel.sum()
        np.testing.assert_allclose(out, expected, atol=1e-12, err_msg=name)


def test_identity_changes_nothing_and_blur_smooths(rng):
    image = rng.random((12, 10))
    np.testing.assert_array_equal(cb.correlate2d(image, identity(3), "same"), image)
    blurred = cb.correlate2d(image, box_blur(3))
    np.testing.assert_allclose(blurred[0, 0], image[:3, :3].mean(), rtol=1e-12)
    assert blurred.std() < image[1:-1, 1:-1].std()


def test_sobel_signs_follow_the_brightness():
    ramp = np.tile(np.arange(6.0), (6, 1))       # brighter to the right, by 1 per column
    np.testing.assert_allclose(cb.correlate2d(ramp, sobel_x()), 8.0)   # (1 + 2 + 1) * 2 columns apart
    np.testing.assert_allclose(cb.correlate2d(ramp, sobel_y()), 0.0)
    np.testing.assert_allclose(cb.correlate2d(ramp.T, sobel_y()), 8.0)
    # true convolution rotates the kernel, which flips an antisymmetric kernel's sign
    np.testing.assert_allclose(cb.convolve2d(ramp, sobel_x()), -8.0)
    np.testing.assert_allclose(scipy.signal.convolve2d(ramp, sobel_x(), "valid"), -8.0)


def test_every_call_returns_a_new_array():
    k = sobel_x()
    k[0, 0] = 99
    assert sobel_x()[0, 0] == -1
    y = sobel_y()
    y[0, 0] = 99
    assert sobel_y()[0, 0] == -1 and sobel_x()[0, 0] == -1
    kernels = classic_kernels()
    kernels["sharpen"][1, 1] = 0
    assert classic_kernels()["sharpen"][1, 1] == 5


@pytest.mark.parametrize("call, error, message", [
    (lambda: identity(4), ValueError, r"identity: size must be odd .*got 4"),
    (lambda: identity(0), ValueError, r"identity: size must be >= 1; got 0"),
    (lambda: box_blur(2.0), TypeError, r"box_blur: size must be an int; got 2.0"),
    (lambda: box_blur(True), TypeError, r"box_blur: size must be an int"),
    (lambda: gaussian_blur(5, 0.0), ValueError, r"gaussian_blur: sigma must be a positive"),
    (lambda: gaussian_blur(5, float("nan")), ValueError, r"gaussian_blur: sigma must be a positive"),
    (lambda: gaussian_blur(5, "1"), TypeError, r"gaussian_blur: sigma must be a number"),
    (lambda: gaussian_blur(-1), ValueError, r"gaussian_blur: size must be >= 1"),
])
def test_bad_arguments_are_explained(call, error, message):
    with pytest.raises(error, match=message):
        call()
