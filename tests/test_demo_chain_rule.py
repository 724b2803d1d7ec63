"""Chapter 1's demo (cnnbook.demos.chain_rule): the f = (x + y) z graph, its widget, the
overwriting bug and the matrix-product backward pass, tested without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnnbook as cb  # noqa: E402
from cnnbook import Value  # noqa: E402
from cnnbook.demos.chain_rule import (  # noqa: E402
    GRAPH_FIGSIZE,
    backward_overwriting,
    chain_rule_by_hand,
    chain_rule_graph,
    draw_chain_rule,
    matmul_backward,
)
from cnnbook.widgets import InteractiveFigure, slider  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_demo() -> InteractiveFigure:
    controls = {"x": slider(-2, -5, 5, "x"), "y": slider(5, -5, 5, "y"), "z": slider(-4, -5, 5, "z")}
    return InteractiveFigure(draw_chain_rule, controls, figsize=GRAPH_FIGSIZE)


def drawn_text(demo: InteractiveFigure) -> list[str]:
    (ax,) = demo.figure.axes
    return [t.get_text() for t in ax.texts]


def test_the_classic_example():
    g = chain_rule_graph(-2, 5, -4)
    assert (g["q"].data, g["f"].data) == (3.0, -12.0)
    assert (g["x"].grad, g["y"].grad, g["z"].grad, g["q"].grad, g["f"].grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)
    assert chain_rule_by_hand(-2, 5, -4) == {"q": 3.0, "f": -12.0, "df/df": 1.0, "df/dq": -4.0,
                                             "df/dz": 3.0, "df/dx": -4.0, "df/dy": -4.0}


def test_the_sources_slip_z_equal_4_gives_plus_12():
    assert chain_rule_graph(-2, 5, 4)["f"].data == 12.0


@pytest.mark.parametrize("x, y, z", [(-2, 5, -4), (3, -1, 2), (0, 0, 5), (-5, -5, -5), (1.5, 2.25, -0.5)])
def test_by_hand_agrees_with_value_and_finite_differences(x, y, z):
    g, hand = chain_rule_graph(x, y, z), chain_rule_by_hand(x, y, z)
    assert hand["f"] == g["f"].data and hand["q"] == g["q"].data
    for name in "xyzq":
        assert hand[f"df/d{name}"] == g[name].grad
    numeric = cb.numerical_gradient(lambda v: (v[0] + v[1]) * v[2], np.array([x, y, z], float))
    assert np.allclose(numeric, [hand["df/dx"], hand["df/dy"], hand["df/dz"]], atol=1e-8)


def test_widget_starts_at_the_classic_example():
    demo = make_demo()
    assert "f = q z = 3 &middot; (-4) = -12" in demo.caption.value
    assert "df/dz = q &middot; 1 = 3;" in demo.caption.value
    assert "df/dx = (dq/dx = 1) &middot; df/dq = -4;" in demo.caption.value
    texts = drawn_text(demo)
    assert "f | data -12.00 | grad 1.00" in texts
    assert "x | data -2.00 | grad -4.00" in texts and "z | data -4.00 | grad 3.00" in texts
    assert demo.figure.axes[0].get_title().startswith("f = (x + y) z = ((-2) + 5) · (-4) = -12")


def test_moving_the_z_slider_changes_f_and_the_x_y_gradients():
    demo = make_demo()
    png = bytes(demo.image.value)
    demo.controls["z"].value = 4  # the source's value
    assert "= 12<br>" in demo.caption.value and "df/dq = z &middot; 1 = 4;" in demo.caption.value
    texts = drawn_text(demo)
    assert "f | data 12.00 | grad 1.00" in texts
    assert "x | data -2.00 | grad 4.00" in texts and "y | data 5.00 | grad 4.00" in texts
    assert "z | data 4.00 | grad 3.00" in texts, "df/dz = q does not depend on z"
    assert bytes(demo.image.value) != png
    assert len(demo.figure.axes) == 1


def test_moving_x_changes_q_and_df_dz_but_not_df_dx():
    demo = make_demo()
    demo.controls["x"].value = 1
    texts = drawn_text(demo)
    assert "q | data 6.00 | grad -4.00" in texts and "z | data -4.00 | grad 6.00" in texts
    assert "x | data 1.00 | grad -4.00" in texts
    assert "f = q z = 6 &middot; (-4) = -24" in demo.caption.value


def test_zero_is_never_printed_as_minus_zero():
    demo = make_demo()
    demo.controls["y"].value = 2  # q = 0
    assert "-0" not in demo.caption.value  # f = 0 * (-4) is -0.0 in floating point
    assert "q | data 0.00 | grad -4.00" in drawn_text(demo)


@pytest.mark.parametrize("build, correct, wrong", [
    (lambda a: a * a, 6.0, 3.0),        # d(a^2)/da = 2a = 6 at a = 3; overwriting keeps one a
    (lambda a: a + a, 2.0, 1.0),
    (lambda a: a * -3.0 + a, -2.0, None),  # d/da = -3 + 1; which path survives depends on the order
])
def test_overwriting_loses_the_fan_out_contributions(build, correct, wrong):
    a = Value(3.0, "a")
    out = build(a)
    out.backward()
    assert a.grad == correct
    numeric = cb.numerical_gradient(lambda v: build(Value(float(v[0]))).data, np.array([3.0]))
    assert abs(numeric[0] - correct) < 1e-6
    backward_overwriting(out)
    assert a.grad != correct
    if wrong is not None:
        assert a.grad == wrong


def test_overwriting_agrees_without_fan_out():
    g = chain_rule_graph(-2, 5, -4)
    backward_overwriting(g["f"])
    assert (g["x"].grad, g["y"].grad, g["z"].grad) == (-4.0, -4.0, 3.0)


def test_matmul_backward_shapes_and_finite_differences(rng):
    x, w = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    dy = rng.normal(size=(4, 2))
    dx, dw = matmul_backward(dy, x, w)
    assert dx.shape == x.shape and dw.shape == w.shape
    assert cb.rel_error(dx, cb.numerical_gradient(lambda v: v @ w, x, dy)) < 1e-8
    assert cb.rel_error(dw, cb.numerical_gradient(lambda v: x @ v, w, dy)) < 1e-8


def test_matmul_backward_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"matmul_backward: expected dy \(N, M\), x \(N, D\), w \(D, M\); "
                                         r"got dy \(4, 3\), x \(4, 3\), w \(3, 2\)"):
        matmul_backward(np.ones((4, 3)), np.ones((4, 3)), np.ones((3, 2)))


def test_draw_titled_graph_adds_room_for_the_title_and_keeps_the_scale():
    from cnnbook.demos.chain_rule import draw_titled_graph

    f = chain_rule_graph(-2, 5, -4)["f"]
    plain = cb.draw_graph(f).figure.get_size_inches()
    ax = draw_titled_graph(f, "the graph", title_height=0.5)
    width, height = ax.figure.get_size_inches()
    assert (width, height) == pytest.approx((plain[0], plain[1] + 0.5))
    assert ax.get_title() == "the graph"
    assert ax.get_position().height == pytest.approx(plain[1] / (plain[1] + 0.5))
    assert "f | data -12.00 | grad 1.00" in [t.get_text() for t in ax.texts]
    bare = draw_titled_graph(f, "forward only", show_grad=False)
    assert "f | data -12.00" in [t.get_text() for t in bare.texts]
    tall = draw_titled_graph(f, "top to bottom", rankdir="TB")
    assert tall.figure.get_size_inches()[1] > 2 * plain[1], "TB stacks the ranks vertically"
