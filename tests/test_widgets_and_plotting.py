"""The shared widget wiring and plotting helpers, tested without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnbook.teaching.plotting import sample_photograph, show_grid
from cnnbook.teaching.widgets import InteractiveFigure, choice, slider


def draw_line(figure, slope, colour):
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, slope], color=colour)
    return f"slope {slope}, {colour}"


def test_changing_a_control_redraws_the_figure_and_caption():
    demo = InteractiveFigure(draw_line, {"slope": slider(1, 0, 5, "slope"), "colour": choice(["red", "blue"], "red", "colour")})
    first_png, count = bytes(demo.image.value), demo.redraw_count
    assert first_png.startswith(b"\x89PNG") and demo.caption.value == "slope 1, red"

    demo.controls["slope"].value = 4
    assert demo.redraw_count == count + 1
    assert demo.caption.value == "slope 4, red"
    assert bytes(demo.image.value) != first_png

    demo.controls["colour"].value = "blue"
    assert demo.caption.value == "slope 4, blue"
    assert len(demo.figure.axes) == 1, "the figure must be cleared before each redraw"


def test_show_grid_writes_every_number_and_outlines_the_window():
    ax = Figure().add_subplot()
    show_grid(ax, np.arange(6).reshape(2, 3), title="x", highlight=(0, 1, 2, 2))
    assert [t.get_text() for t in ax.texts] == ["0", "1", "2", "3", "4", "5"]
    (window,) = ax.patches
    assert window.get_xy() == (0.5, -0.5) and window.get_width() == 2 and window.get_height() == 2
    assert ax.get_title() == "x"
    with pytest.raises(ValueError, match=r"must be 2-D \(H, W\); got shape \(3,\)"):
        show_grid(ax, np.ones(3))


def test_sample_photograph_ships_with_matplotlib():
    colour, gray = sample_photograph(), sample_photograph(gray=True)
    assert colour.ndim == 3 and colour.shape[2] == 3 and gray.shape == colour.shape[:2]
    assert 0.0 <= gray.min() and gray.max() <= 1.0 and gray.std() > 0.1


def test_show_source_gives_the_function_source():
    import cnnbook as cb
    from cnnbook.teaching.display import show_source

    code = show_source(cb.max_pool2d_reference)
    assert code.data.startswith("def max_pool2d_reference(") and "np.max(window)" in code.data
    assert "max_pool2d_reference" in code._repr_html_()
