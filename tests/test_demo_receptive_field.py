"""Chapter 2's widget and diagrams, tested without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.figure import Figure

from cnnbook.teaching.demos.receptive_field import draw_connections, field_layout, receptive_field_widget


def test_default_widget_shows_three_3x3_layers():
    demo = receptive_field_widget()
    assert bytes(demo.image.value).startswith(b"\x89PNG")
    assert "Unit 2 of layer 3 has a receptive field spanning input pixels 2&ndash;8" in demo.caption.value
    assert "<b>7 pixels</b>" in demo.caption.value and "All 7 are connected to it" in demo.caption.value
    (ax,) = demo.figure.axes
    assert ax.get_title() == "Receptive field of unit 2 in layer 3: input pixels 2 to 8 (7 of 7 connected)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["receptive field: spans 7 input pixels", "connected: 7 input pixels"]
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
    assert "Unit 4 of layer 2 has a receptive field spanning input pixels 8&ndash;16" in demo.caption.value

    before = demo.redraw_count
    demo.controls["kernel_4"].value = 1  # layer 4 is not in the stack: same field, still redrawn
    assert demo.redraw_count == before + 1 and "<b>9 pixels</b>" in demo.caption.value
    assert len(demo.figure.axes) == 1


def test_a_kernel_smaller_than_its_stride_leaves_unconnected_pixels_in_the_span():
    demo = receptive_field_widget()
    demo.controls["depth"].value = 2
    demo.controls["kernel_1"].value = 1
    demo.controls["stride_1"].value = 2
    caption = demo.caption.value
    assert "spanning input pixels 4&ndash;8: <b>5 pixels</b>" in caption
    assert "Only <b>3</b> of them are connected to it" in caption and "(layer 1)" in caption
    assert "the 2 skipped ones cannot affect the unit" in caption
    (ax,) = demo.figure.axes
    assert ax.get_title().endswith("(3 of 5 connected)")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["receptive field: spans 5 input pixels", "connected: 3 input pixels",
                      "in the span, not connected: 2"]
    info = field_layout([(1, 2), (3, 1)], 2)
    assert info["connected"] == [(4, 6, 8), (2, 3, 4), (2,)] and info["extents"][0] == (4, 9)

    demo.controls["depth"].value = 3  # a 3x3 layer on top keeps the gaps: 5 of 9 connected
    assert "<b>9 pixels</b>" in demo.caption.value and "Only <b>5</b> of them" in demo.caption.value

    demo.controls["kernel_3"].value = 1  # a 1x1 top layer with stride 2: its stride skips nothing below the unit
    demo.controls["stride_3"].value = 2
    assert "<b>5 pixels</b>" in demo.caption.value and "Only <b>3</b> of them" in demo.caption.value
    assert "(layer 1)" in demo.caption.value and "layers 1, 3" not in demo.caption.value


def test_field_layout_cone_is_consistent():
    info = field_layout([(3, 2), (3, 2), (2, 1)], unit=1)
    assert info["size"] == 1 + 2 + 4 + 4 and info["jump"] == 4
    assert info["lengths"][-1] == 5 and info["input_length"] == info["size"] + 4 * 4
    assert info["extents"][-1] == (1, 2)
    for (lo, hi), n in zip(info["extents"], info["lengths"]):
        assert 0 <= lo < hi <= n
    start, stop = info["extents"][0]
    assert stop - start == info["size"]
    for (lo, hi), units in zip(info["extents"], info["connected"]):
        assert units == tuple(range(lo, hi))  # every kernel here is at least its stride: no holes
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
