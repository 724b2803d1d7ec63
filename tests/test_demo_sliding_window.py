"""Chapter 3's sliding-window widget, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.teaching.demos.sliding_window import (
    IMAGE_GID,
    INPUT,
    KERNEL,
    TAPS_GID,
    WINDOW_GID,
    draw_sliding_window,
    size_formula,
    sliding_window_demo,
    sliding_window_state,
)


def patch(ax, gid):
    (found,) = [p for p in ax.patches if p.get_gid() == gid]
    return found


def numbers_in(ax):
    return [t.get_text() for t in ax.texts]


def brute_force(kernel_size, stride, padding, dilation=1):
    """The output written straight from the definition, for comparison: taps at i*stride + dilation*r."""
    k = KERNEL[:kernel_size, :kernel_size]
    xpad = np.pad(INPUT, padding)
    P = (xpad.shape[0] - dilation * (kernel_size - 1) - 1) // stride + 1
    return np.array([[sum(xpad[i * stride + dilation * r, j * stride + dilation * s] * k[r, s]
                          for r in range(kernel_size) for s in range(kernel_size))
                      for j in range(P)] for i in range(P)])


@pytest.mark.parametrize("kernel_size, stride, padding", [(k, s, p) for k in (1, 2, 3, 4) for s in (1, 2, 3) for p in (0, 1, 2)])
def test_state_matches_the_definition_at_every_position(kernel_size, stride, padding):
    expected = brute_force(kernel_size, stride, padding)
    P = cb.conv_output_size(6, kernel_size, stride, padding)
    assert expected.shape == (P, P)
    for position in range(P * P):
        state = sliding_window_state(kernel_size, stride, padding, position)
        i, j = divmod(position, P)
        assert state.output_size == (P, P) and state.index == (i, j)
        assert state.window == (i * stride, j * stride, kernel_size, kernel_size)
        assert state.value == expected[i, j]
        np.testing.assert_allclose(state.output, expected, atol=1e-12)
        shown = state.shown.ravel()
        assert np.all(np.isnan(shown[position + 1:])) and not np.any(np.isnan(shown[:position + 1]))


def test_floor_leaves_the_last_row_uncovered():
    # 6 + 2 - 3 = 5 is odd, so with stride 2 the windows start at 0, 2, 4 and stop at row 6 of 0..7
    state = sliding_window_state(3, 2, 1, 0)
    assert state.output_size == (3, 3) and state.uncovered == 1
    assert sliding_window_state(3, 1, 1, 0).uncovered == 0
    assert size_formula(6, 3, 2, 1) == "⌊(6 + 2·1 − 3)/2⌋ + 1 = ⌊5/2⌋ + 1 = 3"


def test_position_past_the_end_shows_the_last_window():
    state = sliding_window_state(3, 2, 0, 99)
    assert state.position == 3 and state.index == (1, 1) and state.window == (2, 2, 3, 3)
    assert not np.any(np.isnan(state.shown))


def test_draw_outlines_the_window_and_writes_the_values_so_far():
    figure = Figure()
    caption = draw_sliding_window(figure, kernel_size=2, stride=2, padding=1, position=4)
    ax_in, ax_k, ax_out = figure.axes
    # padded input 8x8, kernel 2x2, output floor((6 + 2 - 2)/2) + 1 = 4 per axis
    assert len(numbers_in(ax_in)) == 64 and numbers_in(ax_k) == ["1", "0", "2", "1"]
    window = patch(ax_in, WINDOW_GID)
    assert window.get_xy() == (-0.5, 1.5) and window.get_width() == 2 and window.get_height() == 2  # y[1, 0]
    border = patch(ax_in, IMAGE_GID)
    assert border.get_xy() == (0.5, 0.5) and border.get_width() == 6
    expected = brute_force(2, 2, 1).ravel()
    texts = numbers_in(ax_out)
    assert len(texts) == 16
    assert texts[:5] == [f"{v:g}" for v in expected[:5]] and texts[5:] == [""] * 11
    assert "output is 4×4" in caption and "Window 5 of 16 gives y[1, 0]" in caption
    assert f"= {expected[4]:g}." in caption
    assert ax_out.get_title() == "output 4×4 (stride 2)"
    assert ax_in.get_title() == "input 6×6, zero-padded to 8×8"


def test_no_dashed_border_without_padding():
    figure = Figure()
    draw_sliding_window(figure, kernel_size=3, stride=1, padding=0, position=0)
    assert [p.get_gid() for p in figure.axes[0].patches] == [WINDOW_GID]


def test_widget_controls_redraw_and_keep_the_position_in_range():
    demo = sliding_window_demo()
    assert demo.controls["position"].max == 15                         # 4x4 output
    assert "so the output is 4×4" in demo.caption.value and "Window 6 of 16 gives y[1, 1]" in demo.caption.value
    first_png = bytes(demo.image.value)

    demo.controls["stride"].value = 2                                   # floor(3/2) + 1 = 2
    assert demo.controls["position"].max == 3
    assert demo.controls["position"].value == 3
    assert "⌊3/2⌋ + 1 = 2, so the output is 2×2" in demo.caption.value
    assert "Window 4 of 4 gives y[1, 1]" in demo.caption.value
    assert "last 1 row(s)" in demo.caption.value
    assert bytes(demo.image.value) != first_png

    demo.controls["padding"].value = 2                                  # floor(7/2) + 1 = 4
    demo.controls["position"].value = 14
    window = patch(demo.figure.axes[0], WINDOW_GID)
    assert window.get_xy() == (2 * 2 - 0.5, 3 * 2 - 0.5)               # y[3, 2] starts at padded (6, 4)
    assert "Window 15 of 16 gives y[3, 2]: padded rows 6–8, columns 4–6" in demo.caption.value
    assert len(demo.figure.axes) == 3


DILATED = [(k, s, p, d) for k in (2, 3) for s in (1, 2) for p in (0, 2) for d in (2, 3) if d * (k - 1) + 1 <= 6 + 2 * p]


@pytest.mark.parametrize("kernel_size, stride, padding, dilation", DILATED)
def test_dilated_state_matches_the_definition_at_every_position(kernel_size, stride, padding, dilation):
    expected = brute_force(kernel_size, stride, padding, dilation)
    P = cb.conv_output_size(6, kernel_size, stride, padding, dilation)
    assert expected.shape == (P, P)
    extent = dilation * (kernel_size - 1) + 1
    for position in range(P * P):
        state = sliding_window_state(kernel_size, stride, padding, position, dilation)
        i, j = divmod(position, P)
        assert state.window == (i * stride, j * stride, extent, extent)
        assert state.taps[0] == (i * stride, j * stride) and state.taps[-1] == (i * stride + extent - 1,
                                                                                  j * stride + extent - 1)
        assert len(set(state.taps)) == kernel_size ** 2
        assert state.value == expected[i, j]
        np.testing.assert_allclose(state.output, expected, atol=1e-12)
    assert state.uncovered == 6 + 2 * padding - ((P - 1) * stride + extent)


def test_dilation_one_is_the_plain_window():
    plain, dilated = sliding_window_state(3, 2, 1, 4), sliding_window_state(3, 2, 1, 4, dilation=1)
    assert plain.window == dilated.window and plain.value == dilated.value and len(plain.taps) == 9
    assert size_formula(6, 3, 2, 1, 1) == size_formula(6, 3, 2, 1)


def test_dilated_drawing_circles_the_taps_and_works_out_the_span():
    figure = Figure()
    caption = draw_sliding_window(figure, kernel_size=3, stride=1, padding=1, position=4, dilation=2)
    ax_in = figure.axes[0]
    (taps,) = [c for c in ax_in.collections if c.get_gid() == TAPS_GID]
    state = sliding_window_state(3, 1, 1, 4, 2)
    assert sorted(map(tuple, taps.get_offsets().tolist())) == sorted((v, u) for u, v in state.taps)   # (x, y)
    window = patch(ax_in, WINDOW_GID)
    assert window.get_width() == window.get_height() == 5 and window.get_xy() == (-0.5, 0.5)      # y[1, 0]
    assert "⌊(6 + 2·1 − (2·(3 − 1) + 1))/1⌋ + 1 = ⌊3/1⌋ + 1 = 4, so the output is 4×4" in caption
    value = brute_force(3, 1, 1, 2)[1, 0]
    assert f"the 9 circled pixels, 2 apart; sum of those pixels × kernel = {value:g}." in caption
    assert figure.axes[1].get_title() == "kernel 3×3, taps 2 apart"


def test_no_taps_are_circled_without_dilation():
    figure = Figure()
    draw_sliding_window(figure, kernel_size=3, stride=1, padding=0, position=0)
    assert not [c for c in figure.axes[0].collections if c.get_gid() == TAPS_GID]


def test_a_kernel_wider_than_the_padded_input_gives_no_output():
    figure = Figure()
    caption = draw_sliding_window(figure, kernel_size=4, stride=1, padding=0, position=0, dilation=2)
    assert "spans 2·(4 − 1) + 1 = 7 pixels per axis, more than the 6 of the padded input" in caption
    assert figure.axes[2].get_title() == "no output" and not figure.axes[0].patches
    with pytest.raises(ValueError, match="span 7"):
        sliding_window_state(4, 1, 0, 0, dilation=2)


def test_the_dilation_slider_redraws_and_keeps_the_position_in_range():
    demo = sliding_window_demo()
    demo.controls["dilation"].value = 2                                 # span 5 on 6 inputs: 2x2 output
    assert demo.controls["position"].max == 3 and demo.controls["position"].value == 3
    assert "so the output is 2×2" in demo.caption.value and "Window 4 of 4 gives y[1, 1]" in demo.caption.value
    demo.controls["dilation"].value = 3                                 # span 7 > 6: nothing fits
    assert demo.controls["position"].max == 0 and "no window fits" in demo.caption.value
    demo.controls["padding"].value = 1                                  # span 7 on 8: 2x2 again
    assert demo.controls["position"].max == 3 and "so the output is 2×2" in demo.caption.value
