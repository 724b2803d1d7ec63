"""Chapter 7's helpers and widget: shifts, circular convolution, equivariance measured, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.demos.equivariance import (
    IMAGE,
    aliasing_error,
    binomial_filter,
    blur_pool2d,
    circular_shift,
    conv2d_circular,
    conv2d_same,
    draw_equivariance,
    equivariance_demo,
    equivariance_error,
    equivariance_state,
    invariance_error,
    max_pool2d_circular,
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
    for dy, dx in [(0, 1), (2, -3), (-4, 4)]:
        assert equivariance_error(circular, x, dy, dx) < 1e-12
        assert equivariance_error(zeros, x, dy, dx) > 0.1
        border = max(abs(dy), abs(dx)) + 1
        assert equivariance_error(zeros, x, dy, dx, border=border) < 1e-12
        assert equivariance_error(zeros, x, dy, dx, border=border - 1) > 0.1
        assert invariance_error(circular, x, dy, dx) > 0.1          # equivariant, not invariant
    assert invariance_error(lambda a: circular(a).mean(axis=(2, 3)), x, 3, -2) < 1e-12
    with pytest.raises(ValueError, match="padding must be one of"):
        conv2d_same(x, w, padding="reflect")


# --- pooling and anti-aliasing ------------------------------------------------------------------------

def test_binomial_filters_are_pascal_rows_that_sum_to_one():
    np.testing.assert_allclose(binomial_filter(3) * 16, np.outer([1, 2, 1], [1, 2, 1]))
    np.testing.assert_allclose(binomial_filter(4) * 64, np.outer([1, 3, 3, 1], [1, 3, 3, 1]))
    assert binomial_filter(5).sum() == pytest.approx(1.0)


def test_the_one_dimensional_example_of_aliasing():
    stripes = np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=float)[None, None, None]     # (1, 1, 1, 8)
    plain = [max_pool2d_circular(circular_shift(stripes, 0, d), 2, 2)[0, 0, 0].tolist() for d in (0, 1)]
    assert plain == [[0, 1, 0, 1], [1, 1, 1, 1]]
    blurred = [blur_pool2d(circular_shift(stripes, 0, d))[0, 0, 0] for d in (0, 1)]
    np.testing.assert_allclose(blurred[0], [0.5, 1, 0.5, 1])
    np.testing.assert_allclose(blurred[1], [0.75, 0.75, 0.75, 0.75])


def test_downsampling_is_equivariant_for_even_shifts_only_and_blurring_reduces_the_rest():
    rng = np.random.default_rng(2)
    x = np.maximum(rng.normal(size=(1, 2, 16, 16)), 0)
    for phi in (lambda a: max_pool2d_circular(a, 2, 2), blur_pool2d):
        assert blur_pool2d(x).shape == (1, 2, 8, 8)
        for d in (2, 4, -6):
            error, shift = aliasing_error(phi, x, 0, d, 2)
            assert error < 1e-12 and shift == (0, d // 2)
    plain = aliasing_error(lambda a: max_pool2d_circular(a, 2, 2), x, 0, 1, 2)[0]
    blurred = aliasing_error(blur_pool2d, x, 0, 1, 2)[0]
    assert 0.1 < blurred < plain
    assert relative_change(x, x) == 0 and relative_change(2 * x, x) == pytest.approx(1.0)


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
    assert state.columns_that_differ
    assert all(j < b or j >= 12 - b for j in state.columns_that_differ)


def test_stride_two_breaks_equivariance_for_odd_shifts_only():
    for shift in (-3, -1, 1, 3):
        state = equivariance_state(shift, "circular", 2)
        assert state.max_error > 0.5 and state.phi_gx.shape == (6, 6)
    for shift in (-4, -2, 0, 2, 4):
        state = equivariance_state(shift, "circular", 2)
        assert state.max_error < 1e-12 and state.output_shift == shift // 2


def test_draw_labels_every_panel_and_says_why():
    figure = Figure()
    caption = draw_equivariance(figure, 2, "zeros", 1)
    assert len(figure.axes) == 4
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)
    assert figure.axes[0].get_title() == "input shifted 2 px → (g·x)"
    assert "Shift +2 px (right), zeros padding, stride 1" in caption
    assert "columns [0, 1, 2, 11]" in caption and "within |shift| + 1 = 3 columns" in caption
    assert "elsewhere the difference is 0." in caption
    difference = figure.axes[3].images[0].get_array()
    np.testing.assert_allclose(difference, equivariance_state(2, "zeros", 1).difference)


def test_changing_the_controls_redraws_with_the_new_setting():
    demo = equivariance_demo()
    assert demo.caption.value.startswith("Shift +1 px (right), circular padding, stride 1 (12×12 feature map)")
    assert "= 0. Exactly equivariant" in demo.caption.value
    count, png = demo.redraw_count, bytes(demo.image.value)

    demo.controls["shift"].value = 3
    assert demo.redraw_count == count + 1 and bytes(demo.image.value) != png
    assert "Shift +3 px (right)" in demo.caption.value and "Exactly equivariant" in demo.caption.value

    demo.controls["padding"].value = "zeros"
    assert "zeros padding" in demo.caption.value and "Exactly" not in demo.caption.value
    assert "elsewhere the difference is 0." in demo.caption.value

    demo.controls["padding"].value = "circular"
    demo.controls["stride"].value = 2
    assert "(6×6 feature map)" in demo.caption.value
    assert "1.5-pixel shift of the output" in demo.caption.value and "the stride breaks equivariance" in demo.caption.value

    demo.controls["shift"].value = -4
    assert "Shift -4 px (left)" in demo.caption.value
    assert "Exactly equivariant: shifting the input shifts the feature map by -2 px." in demo.caption.value
    assert len(demo.figure.axes) == 4, "the figure is cleared before each redraw"
