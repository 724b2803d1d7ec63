"""Chapter 5's pooling widget, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.demos.pooling import INPUT, WINDOW_GID, WINNER_GID, draw_pooling, pooling_demo, pooling_state

SETTINGS = [(m, k, s) for m in ("max", "mean") for k in (1, 2, 3, 4) for s in (1, 2, 3)]


def windows(k, s, n=6):
    """(top, left) of every window, row by row, straight from the definition."""
    P = (n - k) // s + 1
    return [(i * s, j * s) for i in range(P) for j in range(P)], P


def brute_force(mode, k, s):
    """Output and dx (for dy = 1) written with plain loops, for comparison."""
    corners, P = windows(k, s)
    y, dx = np.zeros(P * P), np.zeros_like(INPUT)
    for index, (top, left) in enumerate(corners):
        window = INPUT[top:top + k, left:left + k]
        if mode == "max":
            y[index] = window.max()
            r, c = np.unravel_index(np.argmax(window), window.shape)
            dx[top + r, left + c] += 1
        else:
            y[index] = window.mean()
            dx[top:top + k, left:left + k] += 1 / k**2
    return y.reshape(P, P), dx


def test_the_grid_has_no_ties():
    assert sorted(INPUT.ravel()) == list(range(1, 37))


@pytest.mark.parametrize("mode, k, s", SETTINGS)
def test_state_matches_the_definition(mode, k, s):
    state = pooling_state(mode, k, s)
    y, dx = brute_force(mode, k, s)
    P = cb.conv_output_size(6, k, s)
    assert state.y.shape == (P, P)
    np.testing.assert_allclose(state.y, y, rtol=0, atol=1e-12)
    np.testing.assert_allclose(state.dx, dx, rtol=0, atol=1e-12)
    assert state.dx.sum() == pytest.approx(P * P), "every output's gradient 1 arrives somewhere"
    corners, _ = windows(k, s)
    coverage = np.zeros((6, 6), int)
    for top, left in corners:
        coverage[top:top + k, left:left + k] += 1
    np.testing.assert_array_equal(state.coverage, coverage)
    assert state.uncovered == np.count_nonzero(coverage == 0)


def test_max_sends_each_gradient_to_the_window_maximum():
    state = pooling_state("max", 2, 2)
    # the 2x2 windows of INPUT, row by row, and where their maxima sit
    assert state.y.tolist() == [[27, 20, 35], [26, 36, 29], [19, 33, 22]]
    assert state.winners == [(1, 1), (1, 3), (1, 4), (2, 3), (3, 1), (3, 5), (4, 2), (4, 4), (5, 0)]
    assert all(INPUT[r, c] in state.y for r, c in state.winners)
    assert state.reached == 9 and set(np.unique(state.dx)) == {0.0, 1.0}


def test_overlapping_max_windows_add_their_gradients():
    state = pooling_state("max", 3, 1)
    assert state.y.shape == (4, 4)
    assert state.dx[2, 3] == 9, "36 at (2, 3) is the maximum of 9 of the 16 windows"
    assert state.winners == [(2, 2), (2, 3), (3, 3), (4, 2)]
    assert state.dx.sum() == 16


def test_mean_spreads_each_gradient_over_its_window():
    state = pooling_state("mean", 3, 1)
    assert state.y[0, 0] == pytest.approx(INPUT[:3, :3].mean())
    assert state.dx[0, 0] == pytest.approx(1 / 9) and state.dx[2, 2] == pytest.approx(1.0)
    assert state.reached == 36 and state.winners == []


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        pooling_state("median", 2, 2)


def test_draw_labels_every_panel_and_marks_the_winners():
    figure = Figure()
    caption = draw_pooling(figure, "max", 3, 1)
    ax_in, ax_out, ax_dx = figure.axes
    assert all(ax.get_title() for ax in figure.axes)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)
    assert len([p for p in ax_in.patches if p.get_gid() == WINNER_GID]) == 4
    (window,) = [p for p in ax_in.patches if p.get_gid() == WINDOW_GID]
    assert window.get_width() == 3 and window.get_height() == 3
    assert [t.get_text() for t in ax_out.texts] == [f"{v:.3g}" for v in pooling_state("max", 3, 1).y.ravel()]
    assert "6×6 → 4×4" in caption and "⌊(6 − 3)/1⌋ + 1 = 4" in caption
    assert "4 of the 36 inputs" in caption and "in total 16" in caption and "add up" in caption


def test_changing_the_controls_redraws_with_the_new_setting():
    demo = pooling_demo()
    assert "max pooling, 2×2 window, stride 2: 6×6 → 3×3" in demo.caption.value
    assert "9 of the 36 inputs" in demo.caption.value and "add up" not in demo.caption.value
    count, png = demo.redraw_count, bytes(demo.image.value)

    demo.controls["mode"].value = "mean"
    assert demo.redraw_count == count + 1 and bytes(demo.image.value) != png
    assert demo.caption.value.startswith("mean pooling, 2×2 window, stride 2")
    assert "1/4 to each cell" in demo.caption.value and "36 of the 36 inputs" in demo.caption.value

    demo.controls["stride"].value = 3
    assert "6×6 → 2×2" in demo.caption.value
    assert "20 input(s) lie in no window" in demo.caption.value

    demo.controls["kernel_size"].value = 3
    demo.controls["stride"].value = 1
    assert "A cell covered by m windows gets m/9" in demo.caption.value
    assert len(demo.figure.axes) == 3, "the figure is cleared before each redraw"
