"""Chapter 7's helpers and widget: shifts, circular convolution, equivariance measured, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.teaching.demos.equivariance import (
    IMAGE,
    aliasing_error,
    binomial_filter,
    blur_dense,
    blur_pool2d,
    circular_shift,
    conv2d_circular,
    conv2d_same,
    draw_equivariance,
    equivariance_demo,
    equivariance_error,
    equivariance_state,
    fourier_shift,
    ideal_subsample,
    inexact_columns,
    invariance_error,
    max_pool2d_circular,
    nearest_shift_error,
    relative_change,
    same_padding,
    translate,
)


# --- shifts -------------------------------------------------------------------------------------------

def test_circular_shift_moves_content_down_and_right_and_wraps():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    down = circular_shift(x, 1, 0)[0, 0]
    right = circular_shift(x, 0, 1)[0, 0]
    assert down.tolist() == [[8, 9, 10, 11], [0, 1, 2, 3], [4, 5, 6, 7]]
    assert right.tolist() == [[3, 0, 1, 2], [7, 4, 5, 6], [11, 8, 9, 10]]
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(2, 3, 5, 6))
    shifted = circular_shift(batch, -2, 7)
    for i, j in np.ndindex(5, 6):
        np.testing.assert_array_equal(shifted[:, :, (i - 2) % 5, (j + 7) % 6], batch[:, :, i, j])
    assert circular_shift(batch.astype(np.float32), 1, 1).dtype == np.float32


def test_translate_lets_fill_in_and_drops_what_leaves():
    x = np.arange(1.0, 10.0).reshape(3, 3)
    assert translate(x, 0, 1, fill=-1).tolist() == [[-1, 1, 2], [-1, 4, 5], [-1, 7, 8]]
    assert translate(x, -1, 0).tolist() == [[4, 5, 6], [7, 8, 9], [0, 0, 0]]
    assert np.all(translate(x, 3, 0, fill=7) == 7)
    assert translate(x, 0, 0).tolist() == x.tolist()


# --- circular convolution ------------------------------------------------------------------------------

def test_same_padding_puts_the_extra_cell_after():
    assert [same_padding(k) for k in (1, 2, 3, 4, 5)] == [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2)]


@pytest.mark.parametrize("R, S", [(3, 3), (2, 2), (3, 2), (5, 5), (1, 1), (4, 3)])
def test_conv2d_circular_matches_the_formula_written_with_loops(R, S):
    rng = np.random.default_rng(R * 10 + S)
    x, w, b = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, R, S)), rng.normal(size=3)
    pr, ps = (R - 1) // 2, (S - 1) // 2
    expected = np.zeros((2, 3, 5, 6))
    for n, k, i, j in np.ndindex(2, 3, 5, 6):
        expected[n, k, i, j] = b[k] + sum(x[n, c, (i + r - pr) % 5, (j + s - ps) % 6] * w[k, c, r, s]
                                          for c in range(2) for r in range(R) for s in range(S))
    np.testing.assert_allclose(conv2d_circular(x, w, b), expected, rtol=0, atol=1e-12)


def test_circular_convolution_is_exactly_equivariant_and_zero_padding_only_inside():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 2, 12, 12)), rng.normal(size=(3, 2, 3, 3))

    def circular(a):
        return conv2d_circular(a, w)

    def zeros(a):
        return cb.conv2d(a, w, padding=1)

    np.testing.assert_allclose(conv2d_same(x, w, padding="zeros"), zeros(x), rtol=0, atol=1e-12)
    for down, right in [(0, 1), (2, -3), (-4, 4)]:
        assert equivariance_error(circular, x, down, right) < 1e-12
        assert equivariance_error(zeros, x, down, right) > 0.1
        border = max(abs(down), abs(right)) + 1
        assert equivariance_error(zeros, x, down, right, border=border) < 1e-12
        assert equivariance_error(zeros, x, down, right, border=border - 1) > 0.1
        assert invariance_error(circular, x, down, right) > 0.1          # equivariant, not invariant
    assert invariance_error(lambda a: circular(a).mean(axis=(2, 3)), x, 3, -2) < 1e-12
    with pytest.raises(ValueError, match="padding must be one of"):
        conv2d_same(x, w, padding="reflect")


# --- pooling and anti-aliasing ------------------------------------------------------------------------

def test_binomial_filters_are_pascal_rows_that_sum_to_one():
    np.testing.assert_allclose(binomial_filter(3) * 16, np.outer([1, 2, 1], [1, 2, 1]))
    np.testing.assert_allclose(binomial_filter(4) * 64, np.outer([1, 3, 3, 1], [1, 3, 3, 1]))
    assert binomial_filter(5).sum() == pytest.approx(1.0)
    assert binomial_filter(1).tolist() == [[1.0]]
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match="binomial_filter: size must be an int >= 1"):
            binomial_filter(bad)


def test_the_one_dimensional_example_of_aliasing():
    stripes = np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=float)[None, None, None]     # (1, 1, 1, 8)
    plain = [max_pool2d_circular(circular_shift(stripes, 0, d), 2, 2)[0, 0, 0].tolist() for d in (0, 1)]
    assert plain == [[0, 1, 0, 1], [1, 1, 1, 1]]
    blurred = [blur_pool2d(circular_shift(stripes, 0, d))[0, 0, 0] for d in (0, 1)]
    np.testing.assert_allclose(blurred[0], [0.5, 1, 0.5, 1])
    np.testing.assert_allclose(blurred[1], [0.75, 0.75, 0.75, 0.75])


def test_blur_pool_is_the_dense_map_subsampled_and_matches_a_strided_convolution():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 3, 10, 12))
    dense = max_pool2d_circular(x, 2, 1)
    np.testing.assert_array_equal(blur_dense(x, 1), dense)
    for size in (3, 5):
        strided = conv2d_circular(dense.reshape(6, 1, 10, 12), binomial_filter(size)[None, None], stride=2)
        np.testing.assert_allclose(blur_pool2d(x, 2, size), strided.reshape(2, 3, 5, 6), rtol=0, atol=1e-12)
        np.testing.assert_allclose(blur_pool2d(x, 2, size), blur_dense(x, size)[..., ::2, ::2], rtol=0, atol=0)


def test_downsampling_is_equivariant_for_even_shifts_only_and_blurring_reduces_the_rest():
    rng = np.random.default_rng(2)
    x = np.maximum(rng.normal(size=(1, 2, 16, 16)), 0)
    for phi in (lambda a: max_pool2d_circular(a, 2, 2), blur_pool2d):
        assert blur_pool2d(x).shape == (1, 2, 8, 8)
        for d in (2, 4, -6):
            assert aliasing_error(phi, x, 0, d, 2) < 1e-12
            error, shift = nearest_shift_error(phi, x, 0, d, 2)
            assert error < 1e-12 and shift == (0, d // 2)
        assert aliasing_error(phi, x, 4, -2, 2) < 1e-12
    plain = aliasing_error(lambda a: max_pool2d_circular(a, 2, 2), x, 0, 1, 2)
    blurred3 = aliasing_error(blur_pool2d, x, 0, 1, 2)
    blurred5 = aliasing_error(lambda a: blur_pool2d(a, 2, 5), x, 0, 1, 2)
    assert 0.01 < blurred5 < blurred3 < plain
    assert relative_change(x, x) == 0 and relative_change(2 * x, x) == pytest.approx(1.0)


# --- band-limited shifts and aliasing ------------------------------------------------------------------

def test_fourier_shift_moves_a_sampled_cosine_exactly_and_whole_shifts_are_rolls():
    n = np.arange(16)
    for period, t in [(8, 0.5), (16, -1.25), (4, 2.5), (16 / 3, 0.3)]:           # frequencies below 1/2 cycle/px
        wave = np.cos(2 * np.pi * n / period)[None]                              # (1, 16)
        moved = fourier_shift(wave, 0, t)
        np.testing.assert_allclose(moved, np.cos(2 * np.pi * (n - t) / period)[None], rtol=0, atol=1e-12)
    rng = np.random.default_rng(3)
    y = rng.normal(size=(2, 3, 6, 8))
    np.testing.assert_array_equal(fourier_shift(y, 2, -3), np.roll(y, (2, -3), axis=(2, 3)))
    np.testing.assert_allclose(fourier_shift(fourier_shift(y, 0.0, 0.5), 0.0, 0.5), np.roll(y, 1, axis=3) -
                               _nyquist(np.roll(y, 1, axis=3)), rtol=0, atol=1e-12)
    assert fourier_shift(y.astype(np.float32), 0.5, 0.5).dtype == np.float32
    assert fourier_shift(np.arange(12).reshape(3, 4), 0, 0.5).dtype == np.float64
    before = y.copy()
    fourier_shift(y, 1.5, 0.5)
    np.testing.assert_array_equal(y, before)


def _nyquist(y):
    """The component of y at frequency W/2 of its (even) last axis: (-1)^j times the row mean of y (-1)^j."""
    sign = (-1.0) ** np.arange(y.shape[-1])
    return sign * np.mean(y * sign, axis=-1, keepdims=True)


def test_fourier_shift_rejects_what_it_cannot_shift():
    with pytest.raises(TypeError, match="fourier_shift: y must hold real numbers"):
        fourier_shift(np.ones((2, 2), dtype=complex), 0, 0.5)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fourier_shift(np.ones(4), 0, 0.5)
    with pytest.raises(ValueError, match="finite"):
        fourier_shift(np.ones((2, 2)), np.nan, 0)


def test_the_half_pixel_error_of_subsampling_is_the_folded_back_high_frequencies():
    """Y'_k - F Y_k = -w^k Z_(k+M): the error spectrum is the part of z above the new Nyquist frequency."""
    rng = np.random.default_rng(4)
    z = rng.normal(size=(1, 16))
    M = 8
    y, y_moved = z[:, ::2], np.roll(z, 1, axis=1)[:, ::2]
    error = np.fft.fft(y_moved - fourier_shift(y, 0, 0.5), axis=1)[0]
    Z = np.fft.fft(z, axis=1)[0]
    for k in range(-M // 2 + 1, M // 2):                                         # every bin but the ambiguous one
        assert abs(error[k % M]) == pytest.approx(abs(Z[(k + M) % 16]), rel=1e-9)
    assert abs(error[M // 2]) == pytest.approx(abs(Z[M // 2].imag), rel=1e-9)    # the sine part at exactly 1/4
    smooth = ideal_subsample(z[None, None], (1, 1))[0, 0]          # stride 1 removes only the frequency W/2
    np.testing.assert_allclose(smooth, z - _nyquist(z), rtol=0, atol=1e-12)
    odd = rng.normal(size=(1, 1, 3, 15))
    np.testing.assert_allclose(ideal_subsample(odd, 1), odd, rtol=0, atol=1e-12)   # odd lengths have no such bin


def test_ideal_subsampling_has_no_aliasing_but_the_nearest_shift_blames_it():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 2, 16, 20))

    def ideal(a):
        return ideal_subsample(max_pool2d_circular(a, 2, 1), 2)

    assert ideal(x).shape == (1, 2, 8, 10)
    for down, right in [(0, 1), (1, 0), (3, -5), (2, 2)]:
        assert aliasing_error(ideal, x, down, right, 2) < 1e-12
    assert nearest_shift_error(ideal, x, 0, 1, 2)[0] > 0.3
    assert aliasing_error(lambda a: max_pool2d_circular(a, 2, 2), x, 0, 1, 2) > 0.3
    assert aliasing_error(lambda a: ideal_subsample(a, (1, 2)), x, 1, 1, (1, 2)) < 1e-12
    with pytest.raises(ValueError, match="ideal_subsample: stride must be >= 1"):
        ideal_subsample(x, 0)


@pytest.mark.parametrize("width, kernel_size", [(12, 3), (9, 3), (10, 5), (8, 2), (11, 4), (7, 1)])
def test_inexact_columns_are_exactly_where_a_zero_padded_convolution_fails(width, kernel_size):
    rng = np.random.default_rng(width * 10 + kernel_size)
    x, w = rng.normal(size=(1, 1, 5, width)), rng.normal(size=(1, 1, 1, kernel_size))
    for shift in range(-width, width + 1):
        difference = (conv2d_same(circular_shift(x, 0, shift), w, padding="zeros")
                      - circular_shift(conv2d_same(x, w, padding="zeros"), 0, shift))
        differ = [int(j) for j in np.nonzero(np.max(np.abs(difference[0, 0]), axis=0) > 1e-12)[0]]
        assert differ == inexact_columns(width, shift, kernel_size), (shift, differ)
    assert inexact_columns(12, 2, 3) == [0, 1, 2, 11] and inexact_columns(12, -2, 3) == [0, 9, 10, 11]
    assert inexact_columns(12, 6, 3) == [0, 5, 6, 11]                 # deep inside the wrapped strip: exact again
    with pytest.raises(ValueError, match="inexact_columns"):
        inexact_columns(0, 1, 3)


# --- the widget ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shift", range(-4, 5))
def test_circular_padding_at_stride_one_gives_zero_difference_for_every_shift(shift):
    state = equivariance_state(shift, "circular", 1)
    assert state.max_error < 1e-12 and state.output_shift == shift
    np.testing.assert_array_equal(state.gx, np.roll(IMAGE, shift, axis=1))


@pytest.mark.parametrize("shift", [-3, -1, 1, 2, 4])
def test_zero_padding_differs_only_within_the_border(shift):
    state = equivariance_state(shift, "zeros", 1)
    assert state.max_error > 0.5
    assert state.interior_error < 1e-12
    b = abs(shift) + 1
    assert state.columns_that_differ == inexact_columns(12, shift, 3)
    assert all(j < b or j >= 12 - b for j in state.columns_that_differ)


def test_stride_two_breaks_equivariance_for_odd_shifts_only():
    for shift in (-3, -1, 1, 3):
        state = equivariance_state(shift, "circular", 2)
        assert state.max_error > 0.5 and state.phi_gx.shape == (6, 6) and state.output_shift == shift / 2
        np.testing.assert_allclose(state.shifted_phi_x, fourier_shift(equivariance_state(0, "circular", 2).phi_gx, 0,
                                                                      shift / 2), rtol=0, atol=1e-12)
    for shift in (-4, -2, 0, 2, 4):
        state = equivariance_state(shift, "circular", 2)
        assert state.max_error < 1e-12 and state.output_shift == shift // 2


def test_draw_labels_every_panel_and_says_why():
    figure = Figure()
    caption = draw_equivariance(figure, 2, "zeros", 1)
    assert len(figure.axes) == 4
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)
    assert figure.axes[0].get_title() == "input shifted 2 px → (T x)"
    assert figure.axes[2].get_title() == "φ(x) shifted 2 px → (T′φ(x))"
    assert "Shift +2 px (right), zero padding, stride 1" in caption
    assert "columns [0, 1, 2, 11]: [0] at the left edge; [1, 2] next to the seam between columns 1 and 2" in caption
    assert "[11] at the right edge" in caption and "elsewhere the difference is 0." in caption
    left = draw_equivariance(Figure(), -2, "zeros", 1)
    assert "columns [0, 9, 10, 11]" in left and "[9, 10] next to the seam between columns 9 and 10" in left
    difference = figure.axes[3].images[0].get_array()
    np.testing.assert_allclose(difference, equivariance_state(2, "zeros", 1).difference)


def figure_title(demo, index):
    return demo.figure.axes[index].get_title()


def test_changing_the_controls_redraws_with_the_new_setting():
    demo = equivariance_demo()
    assert demo.caption.value.startswith("Shift +1 px (right), circular padding, stride 1 (12×12 feature map)")
    assert "= 0. Exactly equivariant" in demo.caption.value
    count, png = demo.redraw_count, bytes(demo.image.value)

    demo.controls["shift"].value = 3
    assert demo.redraw_count == count + 1 and bytes(demo.image.value) != png
    assert "Shift +3 px (right)" in demo.caption.value and "Exactly equivariant" in demo.caption.value

    demo.controls["padding"].value = "zeros"
    assert "zero padding" in demo.caption.value and "Exactly" not in demo.caption.value
    assert "elsewhere the difference is 0." in demo.caption.value

    demo.controls["padding"].value = "circular"
    demo.controls["stride"].value = 2
    assert "(6×6 feature map)" in demo.caption.value
    assert "1.5-pixel shift of the output" in demo.caption.value and "What remains is aliasing" in demo.caption.value
    assert figure_title(demo, 2) == "φ(x) shifted 1.5 px → (T′φ(x))"

    demo.controls["shift"].value = -4
    assert "Shift -4 px (left)" in demo.caption.value
    assert "Exactly equivariant: shifting the input shifts the feature map by -2 px." in demo.caption.value
    assert len(demo.figure.axes) == 4, "the figure is cleared before each redraw"
