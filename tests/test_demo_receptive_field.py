"""Chapter 2's widget and diagrams, tested without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.figure import Figure

from cnnbook.demos.receptive_field import draw_connections, field_layout, receptive_field_widget


def test_default_widget_shows_three_3x3_layers():
    demo = receptive_field_widget()
    assert bytes(demo.image.value).startswith(b"\x89PNG")
    assert "Unit 2 of layer 3 sees input pixels 2&ndash;8" in demo.caption.value
    assert "<b>7 pixels</b>" in demo.caption.value
    (ax,) = demo.figure.axes
    assert ax.get_title() == "Receptive field of unit 2 in layer 3: input pixels 2 to 8"
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "input"


def test_controls_change_the_field_and_caption():
    demo = receptive_field_widget()
    demo.controls["depth"].value = 1
    assert "<b>3 pixels</b>" in demo.caption.value and "first kernel alone spans 3" in demo.caption.value

    demo.controls["kernel_1"].value = 5
    assert "<b>5 pixels</b>" in demo.caption.value

    demo.controls["depth"].value = 2
    demo.controls["stride_1"].value = 2  # a stride under layer 2 doubles its kernel's reach
    assert "<b>9 pixels</b>" in demo.caption.value and "2 pixels apart" in demo.caption.value

    demo.controls["unit"].value = 4
    start, stop = field_layout([(5, 2), (3, 1)], 4)["extents"][0]
    assert (start, stop) == (8, 17)
    assert "Unit 4 of layer 2 sees input pixels 8&ndash;16" in demo.caption.value

    before = demo.redraw_count
    demo.controls["kernel_4"].value = 1  # layer 4 is not in the stack: same field, still redrawn
    assert demo.redraw_count == before + 1 and "<b>9 pixels</b>" in demo.caption.value
    assert len(demo.figure.axes) == 1


def test_field_layout_cone_is_consistent():
    info = field_layout([(3, 2), (3, 2), (2, 1)], unit=1)
    assert info["size"] == 1 + 2 + 4 + 4 and info["jump"] == 4
    assert info["lengths"][-1] == 5 and info["input_length"] == info["size"] + 4 * 4
    assert info["extents"][-1] == (1, 2)
    for (lo, hi), n in zip(info["extents"], info["lengths"]):
        assert 0 <= lo < hi <= n
    start, stop = info["extents"][0]
    assert stop - start == info["size"]
    with pytest.raises(ValueError, match="unit must be in 0..4"):
        field_layout([(3, 1)], unit=5)


def test_draw_connections_counts_edges():
    ax = Figure().add_subplot()
    assert draw_connections(ax, kernel=3, units_below=5, title="sparse") == (9, 3)
    assert ax.get_title() == "sparse"
    ax = Figure().add_subplot()
    assert draw_connections(ax, shared=True, levels=2) == (9,)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["weight w1", "weight w2", "weight w3"]
    with pytest.raises(ValueError, match="draw_connections: need 1 <= kernel <= units_below"):
        draw_connections(ax, kernel=6, units_below=5)
