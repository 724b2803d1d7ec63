"""Tests of the scalar autodiff (cnnbook.teaching.autodiff) and its graph drawing (cnnbook.teaching.graph_drawing)."""

from __future__ import annotations

import itertools
import math
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

import cnnbook as cb  # noqa: E402
from cnnbook import Value  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def chain_rule_example(z: float = -4.0):
    """The book's first graph: f = (x + y) * z with x = -2, y = 5."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(z, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return x, y, z, q, f


def tanh_neuron():
    """o = tanh(x1 w1 + x2 w2 + b), with tanh written as (e - 1) / (e + 1), e = exp(2n)."""
    x1, x2, w1, w2, b = (Value(v, name) for v, name in
                         [(2.0, "x1"), (0.0, "x2"), (-3.0, "w1"), (1.0, "w2"), (6.8813735870195432, "b")])
    n = x1 * w1 + x2 * w2 + b
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    return (x1, x2, w1, w2, b), o


# --- the chain-rule example of the book -------------------------------------------------------

def test_chain_rule_example_with_z_minus_4():
    x, y, z, q, f = chain_rule_example()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)  # df/dx = df/dy = z, df/dz = q
    assert q.grad == -4.0
    assert repr(q) == "Value(data=3.0, grad=-4.0, label='q')"


def test_the_source_typo_z_plus_4_gives_f_plus_12():
    # Source 001 writes z = 4 and still reports f = -12; with z = 4, f is +12.
    x, _, z, q, f = chain_rule_example(z=4.0)
    assert f.data == 12.0
    assert f.data != -12.0
    assert (x.grad, z.grad) == (4.0, 3.0)


def test_repr_without_label():
    v = Value(3)
    assert repr(v) == "Value(data=3.0, grad=0.0)"


# --- every operation against a centred finite difference --------------------------------------

OPERATIONS = [  # (name, function of Values a and b, the same function on floats, point (a, b))
    ("a + b", lambda a, b: a + b, None, (1.3, -0.7)),
    ("a * b", lambda a, b: a * b, None, (1.3, -0.7)),
    ("a - b", lambda a, b: a - b, None, (1.3, -0.7)),
    ("a / b", lambda a, b: a / b, None, (1.3, -0.7)),
    ("-a * b", lambda a, b: -a * b, None, (1.3, -0.7)),
    ("a ** 3", lambda a, b: a**3 * b, None, (-1.3, 0.6)),
    ("a ** -1", lambda a, b: a**-1 * b, None, (-1.3, 0.6)),
    ("a ** 0.5", lambda a, b: a**0.5 * b, None, (1.7, 0.6)),
    ("a ** -2.5", lambda a, b: a**-2.5 * b, None, (1.7, 0.6)),
    ("2 + a", lambda a, b: (2 + a) * b, None, (1.3, -0.7)),
    ("3 * a", lambda a, b: (3 * a) * b, None, (1.3, -0.7)),
    ("2 - a", lambda a, b: (2 - a) * b, None, (1.3, -0.7)),
    ("2 / a", lambda a, b: (2 / a) * b, None, (1.3, -0.7)),
    ("a - 2", lambda a, b: (a - 2) * b, None, (1.3, -0.7)),
    ("a / 2", lambda a, b: (a / 2) * b, None, (1.3, -0.7)),
    ("exp", lambda a, b: a.exp() * b, lambda a, b: math.exp(a) * b, (0.4, -0.7)),
    ("tanh", lambda a, b: a.tanh() * b, lambda a, b: math.tanh(a) * b, (0.4, -0.7)),
    ("relu > 0", lambda a, b: a.relu() * b, lambda a, b: max(a, 0.0) * b, (0.4, -0.7)),
    ("relu < 0", lambda a, b: a.relu() * b, lambda a, b: max(a, 0.0) * b, (-0.4, -0.7)),
    ("sigmoid", lambda a, b: a.sigmoid() * b, lambda a, b: b / (1 + math.exp(-a)), (0.4, -0.7)),
    ("sigmoid < 0", lambda a, b: a.sigmoid() * b, lambda a, b: b / (1 + math.exp(-a)), (-2.5, 1.3)),
    ("max, a wins", lambda a, b: a.max(b) * b, lambda a, b: max(a, b) * b, (1.3, -0.7)),
    ("max, b wins", lambda a, b: a.max(b) * a, lambda a, b: max(a, b) * a, (-1.3, 0.7)),
    ("max with a number", lambda a, b: a.max(0.5) * b, lambda a, b: max(a, 0.5) * b, (1.3, -0.7)),
]


@pytest.mark.parametrize("name, function, on_floats, point", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_operation_matches_float_math_and_its_finite_difference(name, function, on_floats, point):
    # The reference is computed on plain floats, so a wrong forward pass cannot hide in
    # a finite difference of itself.
    on_floats = on_floats or function
    a, b = Value(point[0]), Value(point[1])
    out = function(a, b)
    out.backward()
    assert out.data == pytest.approx(on_floats(*point), rel=1e-14)
    numeric = cb.numerical_gradient(lambda p: on_floats(*p), np.array(point))
    assert cb.rel_error(np.array([a.grad, b.grad]), numeric) < 1e-7, (name, a.grad, b.grad, numeric)


def test_relu_slope_is_zero_for_negative_input_and_one_for_positive():
    for x, slope in [(-0.4, 0.0), (0.4, 1.0), (0.0, 0.0)]:
        a = Value(x)
        a.relu().backward()
        assert a.grad == slope


def test_max_routes_the_whole_gradient_to_the_larger_input_and_to_the_first_at_a_tie():
    for (x, y), grads in [((2.0, -1.0), (1.0, 0.0)), ((-1.0, 2.0), (0.0, 1.0)), ((0.5, 0.5), (1.0, 0.0))]:
        a, b = Value(x), Value(y)
        out = a.max(b)
        out.backward()
        assert (out.data, a.grad, b.grad) == (max(x, y), *grads)


def test_max_of_a_value_with_itself_gets_gradient_one():
    a = Value(1.5)
    a.max(a).backward()
    assert a.grad == 1.0  # both operands are a: 1 + 0


def test_max_rejects_a_non_number():
    with pytest.raises(TypeError, match=r"Value.max: expected a Value, int or float; got str"):
        Value(1.0).max("2")


def test_sigmoid_is_one_gate_with_slope_s_times_one_minus_s_and_does_not_overflow():
    for x in (0.0, 1.5, -1000.0, 1000.0):
        a = Value(x)
        s = a.sigmoid()
        s.backward()
        assert s.op == "sigmoid" and s.parents == (a,)
        assert s.data == pytest.approx(0.5 * (1 + math.tanh(x / 2)), abs=1e-15)
        assert a.grad == pytest.approx(s.data * (1 - s.data), abs=1e-15)
    assert Value(0.0).sigmoid().local_grads == (0.25,)


def test_sqrt_slope_at_zero_is_infinite():
    a = Value(0.0)
    (a**0.5).backward()
    assert a.grad == math.inf


def test_pow_zero_exponent_has_zero_slope():
    a = Value(0.0)
    y = a**0
    y.backward()
    assert (y.data, a.grad) == (1.0, 0.0)


@settings(max_examples=40, deadline=None)
@given(st.tuples(*[st.floats(-2, 2) for _ in range(3)]))
def test_composite_expression_matches_finite_difference(point):
    def function(a, b, c):
        return ((a * b + c).tanh() * a - b / (c**2 + 1) + (2 - a).relu()).exp()

    def on_floats(a, b, c):
        return math.exp(math.tanh(a * b + c) * a - b / (c**2 + 1) + max(2 - a, 0.0))

    if abs(2 - point[0]) < 1e-3:  # relu's kink: no derivative to compare there
        return
    inputs = [Value(v) for v in point]
    function(*inputs).backward()
    numeric = cb.numerical_gradient(lambda p: on_floats(*p), np.array(point))
    analytic = np.array([v.grad for v in inputs])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)  # atol: true zeros


# --- fan-out and the gradient reset policy ----------------------------------------------------

def test_square_by_product_gets_both_paths():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0  # 2a, not a


def test_sum_with_itself_gets_both_paths():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_reused_intermediate_sums_its_uses():
    a, b = Value(3.0), Value(-2.0)
    h = a * b
    out = h * h + h  # h used three times
    out.backward()
    assert out.data == 30.0
    assert h.grad == 2 * h.data + 1
    assert (a.grad, b.grad) == ((2 * -6 + 1) * -2.0, (2 * -6 + 1) * 3.0)


def test_backward_twice_gives_the_same_gradients_not_double():
    inputs, o = tanh_neuron()
    first = [v.grad for v in inputs]
    o.backward()
    assert [v.grad for v in inputs] == first
    assert first == pytest.approx([-1.5, 0.5, 1.0, 0.0, 0.5])  # x1, x2, w1, w2, b


def test_backward_overwrites_stale_gradients():
    x, y, z, q, f = chain_rule_example()
    for v in (x, y, z, q, f):
        v.grad = 100.0
    f.backward()
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


def test_backward_from_an_intermediate_node_uses_only_its_own_graph():
    x, y, z, q, f = chain_rule_example()
    q.backward()
    assert (x.grad, y.grad, q.grad) == (1.0, 1.0, 1.0)
    assert (z.grad, f.grad) == (3.0, 1.0)  # not in q's graph: left as they were


def test_deep_chain_does_not_hit_the_recursion_limit():
    steps = 2000
    assert 2 * steps > sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for _ in range(steps):
        y = y * 1.001
    y.backward()
    assert len(cb.topological_order(y)) == 2 * steps + 1
    assert x.grad == pytest.approx(1.001**steps, rel=1e-12)


# --- graph listing ----------------------------------------------------------------------------

def test_computational_graph_lists_nodes_in_topological_order_and_edges_per_use():
    x, y, z, q, f = chain_rule_example()
    nodes, edges = cb.computational_graph(f)
    assert nodes == [x, y, q, z, f]
    assert edges == [(x, q), (y, q), (q, f), (z, f)]
    a = Value(2.0)
    square = a * a
    assert cb.computational_graph(square) == ([a, square], [(a, square), (a, square)])


def test_topological_order_puts_every_parent_before_its_child():
    inputs, o = tanh_neuron()
    order = cb.topological_order(o)
    position = {id(v): i for i, v in enumerate(order)}
    assert len(position) == len(order) == 17  # 5 inputs, 3 constants, 9 results
    for v in order:
        assert all(position[id(p)] < position[id(v)] for p in v.parents)
    assert order[-1] is o


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: Value("3"),
    lambda: Value(None),
    lambda: Value(np.array(1.0)),
    lambda: Value(1.0) + "a",
    lambda: "a" - Value(1.0),
    lambda: Value(1.0) * None,
    lambda: Value(1.0) + np.array([1.0, 2.0]),
    lambda: np.array([1.0, 2.0]) + Value(1.0),
    lambda: Value(1.0) / [2.0],
    lambda: Value(1.0) ** "2",
    lambda: Value(1.0) - 1j,
], ids=["Value(str)", "Value(None)", "Value(0-d array)", "+ str", "str -", "* None", "+ array",
        "array +", "/ list", "** str", "- complex"])
def test_non_numbers_raise_type_error(make):
    with pytest.raises(TypeError, match="expected a Value, int or float; got"):
        make()


def test_numpy_scalars_are_numbers():
    v = np.float64(2.0) * Value(3.0)
    assert isinstance(v, Value) and v.data == 6.0


@pytest.mark.parametrize("make", [lambda: Value(2.0) ** Value(2.0), lambda: 2.0 ** Value(2.0)])
def test_value_exponent_raises_type_error(make):
    with pytest.raises(TypeError, match="only constant exponents"):
        make()


@pytest.mark.parametrize("make", [lambda: Value(1.0) / 0, lambda: 1 / Value(0.0), lambda: Value(1.0) / Value(-0.0)])
def test_division_by_zero(make):
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        make()


def test_zero_to_a_negative_power():
    with pytest.raises(ZeroDivisionError, match="0 cannot be raised to the negative power -1"):
        Value(0.0) ** -1


def test_negative_base_with_fractional_exponent():
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** (1 / 3)


# --- layout and drawing -----------------------------------------------------------------------

def example_graphs():
    a = Value(3.0, "a")
    fan_out = (a * a + a**2 - 2 / a).relu().tanh()
    fan_out.backward()
    return [chain_rule_example()[-1], tanh_neuron()[1], fan_out, Value(1.0, "alone")]


@pytest.mark.parametrize("root", example_graphs(), ids=["chain rule", "neuron", "fan-out", "single input"])
def test_layout_places_every_node_once_with_parents_left_of_children(root):
    layout = cb.graph_layout(root)
    nodes = cb.topological_order(root)
    assert set(layout.values) == set(nodes)
    assert set(layout.ops) == {v for v in nodes if v.parents}
    for v in layout.ops:
        op_x = layout.ops[v][0]
        assert all(layout.values[p][0] < op_x for p in v.parents)
        assert op_x < layout.values[v][0]
    positions = list(layout.values.values()) + list(layout.ops.values())
    assert len(set(positions)) == len(positions)


def test_layout_top_to_bottom_puts_parents_above_children():
    root = tanh_neuron()[1]
    layout = cb.graph_layout(root, rankdir="TB")
    for v in layout.ops:
        assert all(layout.values[p][1] > layout.ops[v][1] for p in v.parents)
        assert layout.ops[v][1] > layout.values[v][1]


def test_layout_rejects_unknown_rankdir():
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB'; got 'RL'"):
        cb.graph_layout(Value(1.0), rankdir="RL")


def test_draw_graph_shows_one_box_per_value_with_data_and_grad(tmp_path):
    f = chain_rule_example()[-1]
    ax = cb.draw_graph(f)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted([
        "x | data -2.00 | grad -4.00", "y | data 5.00 | grad -4.00", "q | data 3.00 | grad -4.00",
        "z | data -4.00 | grad 3.00", "f | data -12.00 | grad 1.00", "+", "*",
    ])
    png = tmp_path / "chain_rule.png"
    ax.figure.savefig(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_draw_graph_without_grad_and_into_a_given_axes():
    _, ax = plt.subplots()
    assert cb.draw_graph(chain_rule_example()[-1], ax=ax, show_grad=False, rankdir="TB") is ax
    value_texts = [t.get_text() for t in ax.texts if "data" in t.get_text()]
    assert len(value_texts) == 5
    assert not any("grad" in t for t in value_texts)


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_drawn_boxes_do_not_overlap_and_hold_their_text(rankdir):
    inputs, o = tanh_neuron()
    ax = cb.draw_graph(o, rankdir=rankdir)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(cb.topological_order(o))
    for one, other in itertools.combinations(boxes, 2):
        assert not one.overlaps(other)
    for text in ax.texts:
        if "data" in text.get_text():
            extent = text.get_window_extent(renderer)
            assert any(box.contains(extent.x0, extent.y0) and box.contains(extent.x1, extent.y1) for box in boxes)
