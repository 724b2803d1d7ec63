"""Chapter 5's pooling widget, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.teaching.demos.pooling import (
    INPUT,
    WINDOW_GID,
    WINNER_GID,
    draw_pooling,
    max_pool2d_backward_equality_mask,
    one_sided_difference,
    pooling_demo,
    pooling_state,
    receptive_field_mask,
    smallest_lead,
    spike_shift_kept_fraction,
    tied_window_fraction,
    tied_windows,
    uncovered_lines,
)

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
    assert "row and column 2 fall in the gaps between windows (stride 3 > window 2)" in demo.caption.value
    assert "row and column 5 are left over after the last window" in demo.caption.value

    demo.controls["kernel_size"].value = 3
    demo.controls["stride"].value = 1
    assert "A cell covered by m windows gets m/9" in demo.caption.value
    assert len(demo.figure.axes) == 3, "the figure is cleared before each redraw"


# --- which inputs lie in no window, and why ------------------------------------------------------------

def uncovered_by_brute_force(n, k, s, p):
    """Unpadded indices in no window, split into those before the last window's end and those after."""
    P = (n + 2 * p - k) // s + 1
    covered = set()
    for i in range(P):
        covered.update(range(i * s - p, i * s - p + k))
    last = (P - 1) * s - p + k - 1
    missing = [u for u in range(n) if u not in covered]
    return [u for u in missing if u <= last], [u for u in missing if u > last]


@pytest.mark.parametrize("n", range(1, 10))
def test_uncovered_lines_match_the_definition_and_name_the_right_cause(n):
    for k in range(1, 5):
        for s in range(1, 5):
            for p in range(0, k // 2 + 1):
                if k > n + 2 * p:
                    continue
                gaps, trailing = uncovered_lines(n, k, s, p)
                assert (gaps, trailing) == uncovered_by_brute_force(n, k, s, p), (n, k, s, p)
                if s <= k:
                    assert gaps == [], "windows that touch or overlap leave no gaps"
                assert len(trailing) == max(0, (n + 2 * p - k) % s - p), "the floor drops the remainder"


def test_uncovered_lines_with_padding():
    assert uncovered_lines(7, 2, 3, 1) == ([1, 4], [])     # padded 0-1, 3-4, 6-7: padded 2 and 5 are real 1 and 4
    assert uncovered_lines(7, 3, 2, 0) == ([], [])
    assert uncovered_lines(8, 3, 2, 0) == ([], [7])        # overlapping windows, yet the last row is dropped
    with pytest.raises(ValueError, match="larger than the padded input"):
        uncovered_lines(3, 5, 1, 0)


@pytest.mark.parametrize("mode, k, s", SETTINGS)
def test_the_caption_blames_the_right_cause_for_uncovered_inputs(mode, k, s):
    caption = draw_pooling(Figure(), mode, k, s)
    state = pooling_state(mode, k, s)
    corners, P = windows(k, s)
    covered_lines = {t + a for t, _ in corners for a in range(k)}
    gaps = [u for u in range(6) if u not in covered_lines and u < (P - 1) * s + k]
    trailing = [u for u in range(6) if u >= (P - 1) * s + k]
    assert state.gaps == gaps and state.trailing == trailing
    assert ("in the gaps between windows" in caption) == bool(gaps)
    assert (f"stride {s} > window {k}" in caption) == bool(gaps)
    assert ("left over after the last window" in caption) == bool(trailing)
    assert ("lie in no window" in caption) == (state.uncovered > 0)
    if state.uncovered:
        assert f"{state.uncovered} input(s) lie in no window" in caption
        assert state.uncovered == 36 - (6 - len(gaps) - len(trailing)) ** 2
    if trailing:
        assert f"({6} − {k}) mod {s} = {(6 - k) % s}" in caption


def test_a_single_output_is_named_in_the_singular():
    caption = draw_pooling(Figure(), "max", 4, 3)
    assert "The single output sends its gradient 1" in caption and "Each of the 1" not in caption
    assert "Each of the 4 outputs spreads" in draw_pooling(Figure(), "mean", 2, 3)


def test_overlapping_windows_can_still_leave_inputs_out():
    caption = draw_pooling(Figure(), "max", 3, 2)            # windows overlap, but (6 - 3) mod 2 = 1
    assert "11 input(s) lie in no window" in caption
    assert "row and column 5 are left over" in caption and "gaps" not in caption and ">" not in caption


# --- ties and the equality-mask bug -----------------------------------------------------------------------

def test_tied_windows_counts_exact_repeats_of_the_maximum():
    x = np.array([[1, 3, 0, 0],
                  [3, 2, 0, 1],
                  [5, 4, 2, 2],
                  [4, 1, 2, 1]], dtype=float)[None, None]
    assert tied_windows(x, 2).tolist() == [[[[True, False], [False, True]]]]
    assert tied_window_fraction(x, 2) == 0.5
    assert tied_window_fraction(np.full((2, 3, 4, 4), 7.0), 2) == 1.0
    assert tied_window_fraction(np.random.default_rng(0).normal(size=(2, 3, 9, 9)), 3, 2) == 0.0
    # overlapping windows: (0, 0) and (0, 1) of a 3x3/s1 pooling both hold the two 9s
    y = np.zeros((1, 1, 4, 4))
    y[0, 0, 1, 1] = y[0, 0, 1, 2] = 9
    assert tied_windows(y, 3, 1).tolist() == [[[[True, True], [True, True]]]]
    assert tied_windows(y, 2, 2).tolist() == [[[[False, False], [True, True]]]]   # the lower windows: all zeros


def test_tied_windows_skips_what_the_floor_drops():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    x[0, 0, 4, :] = 99.0                                     # ties only in the last row, which 2x2/s2 never sees
    assert tied_windows(x, 2).shape == (1, 1, 2, 2) and tied_window_fraction(x, 2) == 0.0
    x[0, 0, 3, 3] = x[0, 0, 3, 2]
    assert tied_windows(x, 2).tolist() == [[[[False, False], [False, True]]]]


def test_smallest_lead_is_the_closest_call_between_a_maximum_and_its_runner_up():
    x = np.array([[1, 3, 0, 0],
                  [2, 2, 0, 1],
                  [5, 4, 2, 9],
                  [4, 1, 2, 1]], dtype=float)[None, None]
    assert smallest_lead(x, 2) == 1.0                        # windows lead by 1, 1, 1 and 7
    x[0, 0, 1, 1] = 3.0
    assert smallest_lead(x, 2) == 0.0                        # now the top-left window ties
    assert smallest_lead(x, 3, 1) == 1.0
    assert smallest_lead(x, 1) == float("inf")
    rng = np.random.default_rng(1)
    y = rng.normal(size=(2, 2, 6, 6))
    brute = min(np.diff(np.sort(y[n, c, i:i + 3, j:j + 3].ravel())[-2:])[0]
                for n in range(2) for c in range(2) for i in (0, 2) for j in (0, 2))
    assert smallest_lead(y, 3, 2) == brute


def test_tied_windows_refuses_bad_input():
    with pytest.raises(ValueError, match="tied_windows"):
        tied_windows(np.zeros((4, 4)), 2)
    with pytest.raises(TypeError, match="tied_windows"):
        tied_windows(np.zeros((1, 1, 4, 4), dtype=complex), 2)


def test_the_equality_mask_agrees_without_ties_and_multiplies_the_gradient_at_ties():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 7, 8))
    for geometry in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(3, 2), stride=1)]:
        dy = rng.normal(size=cb.max_pool2d(x, **geometry).shape)
        np.testing.assert_array_equal(max_pool2d_backward_equality_mask(dy, x, **geometry),
                                      cb.max_pool2d_backward(dy, x, **geometry))
    tie = np.array([[1.0, 3.0], [3.0, 2.0]])[None, None]
    assert max_pool2d_backward_equality_mask(np.ones((1, 1, 1, 1)), tie, 2).tolist() == [[[[0, 1], [1, 0]]]]
    flat = np.full((1, 1, 4, 4), 2.0)
    dy = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    wrong = max_pool2d_backward_equality_mask(dy, flat, 2)
    assert wrong.sum() == 4 * dy.sum() and cb.max_pool2d_backward(dy, flat, 2).sum() == dy.sum()
    before = (dy.copy(), flat.copy())
    max_pool2d_backward_equality_mask(dy, flat, 2)
    assert np.array_equal(dy, before[0]) and np.array_equal(flat, before[1]), "inputs are not modified"


def test_one_sided_differences_at_a_tie_and_away_from_it():
    tie = np.array([[1.0, 3.0], [3.0, 2.0]])[None, None]
    pool = lambda t: cb.max_pool2d(t, 2)   # noqa: E731
    np.testing.assert_allclose(one_sided_difference(pool, tie), [[[[0, 1], [1, 0]]]], atol=1e-9)
    np.testing.assert_allclose(one_sided_difference(pool, tie, side=-1), [[[[0, 0], [0, 0]]]], atol=1e-9)
    x = np.random.default_rng(4).normal(size=(1, 2, 4, 4))
    dy = np.random.default_rng(5).normal(size=(1, 2, 2, 2))
    for side in (1, -1):
        np.testing.assert_allclose(one_sided_difference(pool, x, dy, side=side), cb.max_pool2d_backward(dy, x, 2),
                                   atol=1e-9)
    square = lambda t: t ** 2               # noqa: E731  (one-sided differences are off by about h)
    assert one_sided_difference(square, np.array([1.0]), h=1e-3)[0] == pytest.approx(2.001)
    assert one_sided_difference(square, np.array([1.0]), h=1e-3, side=-1)[0] == pytest.approx(1.999)
    with pytest.raises(ValueError, match="side"):
        one_sided_difference(square, np.array([1.0]), side=0)


# --- why pool ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 4])
def test_a_spike_keeps_its_pooled_map_when_it_has_room_to_move(k):
    for d in range(k + 1):
        assert spike_shift_kept_fraction(k, d) == (k - d) / k
    assert spike_shift_kept_fraction(k, 0) == 1.0
    with pytest.raises(ValueError):
        spike_shift_kept_fraction(3, 1, size=8)


def test_receptive_field_mask_of_conv_pool_conv():
    ones = np.ones((1, 1, 3, 3))

    def conv_conv(x):
        return cb.conv2d(cb.conv2d(x, ones), ones)

    def conv_pool_conv(x):
        return cb.conv2d(cb.avg_pool2d(cb.conv2d(x, ones), 2), ones)

    mask = receptive_field_mask(conv_conv, (12, 12), (2, 3))
    assert mask.sum() == 25 and np.argwhere(mask).min(axis=0).tolist() == [2, 3]
    mask = receptive_field_mask(conv_pool_conv, (16, 16), (1, 2))
    rows, cols = np.nonzero(mask)
    assert mask.sum() == 64 and (rows.min(), rows.max(), cols.min(), cols.max()) == (2, 9, 4, 11)
