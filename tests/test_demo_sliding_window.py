"""Chapter 3's sliding-window widget, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.demos.sliding_window import (
    IMAGE_GID,
    INPUT,
    KERNEL,
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


def brute_force(kernel_size, stride, padding):
    """The output written straight from the definition, for comparison."""
    k = KERNEL[:kernel_size, :kernel_size]
    xpad = np.pad(INPUT, padding)
    P = (xpad.shape[0] - kernel_size) // stride + 1
    return np.array([[np.sum(xpad[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] * k)
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
