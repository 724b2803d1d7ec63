"""Chapter 1's demo (cnnbook.teaching.demos.chain_rule): the f = (x + y) z graph, its widget, the
overwriting bug and the matrix-product backward pass, tested without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cnnbook as cb  # noqa: E402
from cnnbook import Value  # noqa: E402
from cnnbook.teaching.demos.chain_rule import (  # noqa: E402
    GRAPH_FIGSIZE,
    backward_in_order,
    backward_overwriting,
    chain_rule_by_hand,
    chain_rule_graph,
    draw_chain_rule,
    gates_graph,
    matmul_backward,
    matmul_jacobian,
    operation_counts,
    sigmoid_neuron,
)
from cnnbook.teaching.widgets import InteractiveFigure, slider  # noqa: E402


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
    with pytest.raises(ValueError, match=r"matmul_backward: expected dy \(N, K\), x \(N, C\), w \(C, K\); "
                                         r"got dy \(4, 3\), x \(4, 3\), w \(3, 2\)"):
        matmul_backward(np.ones((4, 3)), np.ones((4, 3)), np.ones((3, 2)))


def test_matmul_backward_does_not_modify_its_inputs(rng):
    arrays = [rng.normal(size=shape) for shape in [(3, 2), (3, 4), (4, 2)]]
    copies = [a.copy() for a in arrays]
    matmul_backward(*arrays)
    assert all(np.array_equal(a, c) for a, c in zip(arrays, copies))


# --- the Jacobian the backward pass never builds -----------------------------------------------

def test_matmul_jacobian_matches_finite_differences_entry_by_entry(rng):
    x, w = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    jacobian = matmul_jacobian(3, w)
    assert jacobian.shape == (3 * 2, 3 * 4)
    for row in range(jacobian.shape[0]):
        numeric = cb.numerical_gradient(lambda v: (v @ w).reshape(-1)[row], x).reshape(-1)
        assert np.allclose(jacobian[row], numeric, atol=1e-8)


def test_vector_jacobian_product_is_the_backward_pass(rng):
    x, w, dy = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    dx, _ = matmul_backward(dy, x, w)
    assert np.allclose(dy.reshape(-1) @ matmul_jacobian(5, w), dx.reshape(-1), atol=1e-12)
    assert np.count_nonzero(matmul_jacobian(5, w)) == 5 * w.size  # block diagonal: N copies of w.T


@pytest.mark.parametrize("n_rows, w, message", [
    (0, np.ones((2, 3)), "n_rows must be a positive int; got 0"),
    (2.0, np.ones((2, 3)), "n_rows must be a positive int; got 2.0"),
    (True, np.ones((2, 3)), "n_rows must be a positive int; got True"),
    (2, np.ones(3), r"expected w \(C, K\); got shape \(3,\)"),
])
def test_matmul_jacobian_rejects_bad_arguments(n_rows, w, message):
    with pytest.raises(ValueError, match=message):
        matmul_jacobian(n_rows, w)


# --- the gate patterns ---------------------------------------------------------------------------

def test_gates_graph_shows_every_pattern():
    g = gates_graph(2.0, -1.0, -3.0)
    assert [g[k].data for k in "xyzqmtL"] == [2.0, -1.0, -3.0, -2.0, -1.0, -3.0, 9.0]
    assert [g[k].label for k in "xyzqmtL"] == list("xyzqmtL")
    assert g["t"].grad == -6.0                       # dL/dt = 2 t
    assert g["q"].grad == g["m"].grad == -6.0        # add distributes
    assert g["z"].grad == 0.0                        # max routes everything to y, the larger
    assert g["x"].grad == -1.0 * -6.0                # multiply swaps: y times upstream
    assert g["y"].grad == 2.0 * -6.0 + 1.0 * -6.0    # fork: through q plus through m


@pytest.mark.parametrize("point", [(2.0, -1.0, -3.0), (0.5, -2.0, 1.0), (-1.5, 0.7, 0.2)])
def test_gates_graph_agrees_with_finite_differences(point):
    g = gates_graph(*point)
    numeric = cb.numerical_gradient(lambda v: (v[0] * v[1] + max(v[1], v[2])) ** 2, np.array(point))
    assert np.allclose([g["x"].grad, g["y"].grad, g["z"].grad], numeric, atol=1e-7)


# --- the sigmoid neuron --------------------------------------------------------------------------

def neuron_on_floats(p, c):
    w, x, b = p[:c], p[c:2 * c], p[2 * c]
    return 1 / (1 + np.exp(-(w @ x + b)))


@pytest.mark.parametrize("grouped", [False, True])
def test_sigmoid_neuron_gradients_match_finite_differences(grouped):
    w, x, b = [0.8, -1.2], [1.5, -0.5], -0.3
    n = sigmoid_neuron(w, x, b, grouped=grouped)
    assert n["z"].data == pytest.approx(1.5) and n["a"].data == pytest.approx(1 / (1 + np.exp(-1.5)))
    analytic = np.array([v.grad for v in n["w"] + n["x"]] + [n["b"].grad])
    numeric = cb.numerical_gradient(lambda p: neuron_on_floats(p, 2), np.array(w + x + [b]))
    assert cb.rel_error(analytic, numeric) < 1e-9
    slope = n["a"].data * (1 - n["a"].data)
    assert n["z"].grad == pytest.approx(slope, rel=1e-12)
    assert [v.grad for v in n["w"]] == pytest.approx([slope * v for v in x], rel=1e-12)


def test_sigmoid_neuron_grouped_gate_is_smaller_and_labelled():
    w, x = [1.0, 2.0, 3.0], [0.1, 0.2, 0.3]
    primitive, grouped = sigmoid_neuron(w, x, 0.0), sigmoid_neuron(w, x, 0.0, grouped=True)
    assert operation_counts(primitive["a"]) == (2 * 3 + 4, 4 * 3 + 6)
    assert operation_counts(grouped["a"]) == (2 * 3 + 1, 4 * 3 + 1)
    assert [v.label for v in grouped["w"] + grouped["x"]] == ["w0", "w1", "w2", "x0", "x1", "x2"]
    assert (grouped["b"].label, grouped["z"].label, grouped["a"].label) == ("b", "z", "a")
    assert grouped["a"].op == "sigmoid" and primitive["a"].op == "/"


def test_sigmoid_neuron_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same number .* got 2 and 3"):
        sigmoid_neuron([1.0, 2.0], [1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match="got 0 and 0"):
        sigmoid_neuron([], [], 0.0)


# --- counting and ordering -----------------------------------------------------------------------

def test_operation_counts_of_the_chapter_graphs():
    assert operation_counts(chain_rule_graph(-2, 5, -4)["f"]) == (2, 4)
    assert operation_counts(gates_graph()["L"]) == (4, 7)   # *, max, +, **2 with 2 + 2 + 2 + 1 operands
    assert operation_counts(Value(1.0)) == (0, 0)


def shared_q_graph():
    """L = (x + y) z + (x + y) with one node q = x + y used twice."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    return (x, y, z, q, f), q + f


def test_backward_in_reverse_topological_order_is_value_backward():
    (x, y, z, q, f), out = shared_q_graph()
    out.backward()
    expected = [v.grad for v in (x, y, z, q, f)]
    assert expected == [-3.0, -3.0, 3.0, -3.0, 1.0]
    backward_in_order(out, reversed(cb.topological_order(out)))
    assert [v.grad for v in (x, y, z, q, f)] == expected


def test_backward_in_a_wrong_order_passes_on_an_incomplete_grad():
    (x, y, z, q, f), out = shared_q_graph()
    backward_in_order(out, [out, q, f, z, y, x])   # q before f, one of its users
    assert (q.grad, x.grad, y.grad, z.grad) == (-3.0, 1.0, 1.0, 3.0)  # q's grad arrived complete, too late


def test_backward_in_order_rejects_an_incomplete_order():
    (x, y, z, q, f), out = shared_q_graph()
    with pytest.raises(ValueError, match="each of the graph's 6 nodes once; got 5 entries, 5 distinct"):
        backward_in_order(out, [out, f, q, z, y])
    with pytest.raises(ValueError, match="got 6 entries, 5 distinct"):
        backward_in_order(out, [out, f, q, z, y, y])


def test_draw_titled_graph_adds_room_for_the_title_and_keeps_the_scale():
    from cnnbook.teaching.demos.chain_rule import draw_titled_graph

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
