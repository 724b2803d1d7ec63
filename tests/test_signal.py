"""2-D correlation and convolution agree with scipy.signal and with the readable loop."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

import cnnbook as cb

SHAPES = [  # (H, W), (R, S): odd, even, non-square, 1x1, kernel as large as the image, kernel larger
    ((5, 6), (2, 3)), ((5, 6), (3, 3)), ((4, 4), (4, 4)), ((7, 5), (2, 2)),
    ((6, 6), (1, 4)), ((3, 3), (1, 1)), ((1, 5), (1, 2)), ((2, 3), (5, 4)),
]


def fits(image_shape, kernel_shape) -> bool:
    return kernel_shape[0] <= image_shape[0] and kernel_shape[1] <= image_shape[1]


# a kernel larger than the image is an error in 'valid' mode (tested with the bad inputs)
CASES = [(image, kernel, mode) for image, kernel in SHAPES for mode in ("valid", "same", "full")
         if mode != "valid" or fits(image, kernel)]


@pytest.mark.parametrize("image_shape, kernel_shape, mode", CASES)
def test_agrees_with_scipy(rng, image_shape, kernel_shape, mode):
    a, k = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
    np.testing.assert_allclose(cb.correlate2d(a, k, mode), scipy.signal.correlate2d(a, k, mode), atol=1e-12)
    np.testing.assert_allclose(cb.convolve2d(a, k, mode), scipy.signal.convolve2d(a, k, mode), atol=1e-12)


@pytest.mark.parametrize("image_shape, kernel_shape", [shape for shape in SHAPES if fits(*shape)])
def test_fast_correlation_matches_the_readable_loop(rng, image_shape, kernel_shape):
    a, k = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
    np.testing.assert_allclose(cb.correlate2d(a, k), cb.correlate2d_reference(a, k), rtol=1e-12, atol=1e-12)


def test_hand_worked_correlation_and_convolution_differ_by_the_flip():
    a = np.arange(9.0).reshape(3, 3)            # 0 1 2 / 3 4 5 / 6 7 8
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    # top-left window [[0, 1], [3, 4]]: correlation 0*1 + 1*2 + 3*3 + 4*4 = 27; convolution uses the flipped kernel [[4, 3], [2, 1]]
    np.testing.assert_array_equal(cb.correlate2d(a, k), [[27, 37], [57, 67]])
    np.testing.assert_array_equal(cb.convolve2d(a, k), [[0 * 4 + 1 * 3 + 3 * 2 + 4 * 1, 23], [43, 53]])
    np.testing.assert_array_equal(cb.convolve2d(a, k), cb.correlate2d(a, cb.rot180(k)))


def test_dtypes_are_kept_and_integers_promoted(rng):
    a32, k32 = rng.normal(size=(6, 6)).astype(np.float32), rng.normal(size=(3, 3)).astype(np.float32)
    assert cb.correlate2d(a32, k32).dtype == np.float32
    assert cb.convolve2d(a32, k32.astype(np.float64)).dtype == np.float64
    assert cb.correlate2d(np.ones((3, 3), dtype=int), np.ones((2, 2), dtype=bool)).dtype == np.float64
    np.testing.assert_allclose(cb.correlate2d(a32, k32, "full"), scipy.signal.correlate2d(a32, k32, "full"), rtol=1e-4, atol=1e-5)


def test_inputs_are_not_modified(rng):
    a, k = rng.normal(size=(5, 5)), rng.normal(size=(2, 2))
    a_before, k_before = a.copy(), k.copy()
    cb.convolve2d(a, k, "same")
    cb.correlate2d(a, k, "full")
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(k, k_before)


def test_non_contiguous_views_give_the_same_answer(rng):
    big = rng.normal(size=(10, 12))
    view, k = big[::2, 1::2], big[:3, :3].T
    np.testing.assert_allclose(cb.correlate2d(view, k), scipy.signal.correlate2d(view, k, "valid"), atol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: cb.correlate2d(np.ones((3, 3)), np.ones((4, 2))), ValueError, r"kernel must fit inside the image.*\(3, 3\).*\(4, 2\)"),
    (lambda: cb.correlate2d(np.ones((3, 3)), np.ones((2, 2)), mode="circular"), ValueError, "mode must be one of"),
    (lambda: cb.convolve2d(np.ones((1, 3, 3)), np.ones((2, 2))), ValueError, r"a must be 2-D \(H, W\); got shape \(1, 3, 3\)"),
    (lambda: cb.convolve2d(np.ones((3, 3)), np.ones(2)), ValueError, r"k must be 2-D"),
    (lambda: cb.convolve2d(np.ones((3, 3)) * 1j, np.ones((2, 2))), TypeError, "complex128"),
    (lambda: cb.correlate2d([["a", "b"], ["c", "d"]], np.ones((1, 1))), TypeError, "must hold real numbers"),
    (lambda: cb.correlate2d(np.ones((0, 3)), np.ones((1, 1)), "full"), ValueError, "must not be empty"),
])
def test_bad_input_is_explained(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_rot180_flips_the_last_two_axes_of_a_filter_bank(rng):
    w = rng.normal(size=(2, 3, 4, 5))
    rotated = cb.rot180(w)
    assert rotated[1, 2, 0, 0] == w[1, 2, 3, 4] and rotated[0, 1, 3, 1] == w[0, 1, 0, 3]
    np.testing.assert_array_equal(cb.rot180(rotated), w)
    rotated[0, 0, 0, 0] = 99.0
    assert w[0, 0, 3, 4] != 99.0, "rot180 must return a new array, not a view of w"
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        cb.rot180(np.ones(3))
