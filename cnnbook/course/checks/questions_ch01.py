"""Chapter 1 exercises: one gate's backward, a small graph, fan-out, the max gate, and ``y = x w`` by hand."""

from __future__ import annotations

import math

import numpy as np

from ...teaching.demos.chain_rule import matmul_backward
from . import register
from .framework import Case, Mistake, Question


def _sigmoid(x: float) -> float:
    """``1 / (1 + e^-x)`` for a float, without overflow for very negative ``x``."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


# --- f_backward(x, y, z) -> (df/dx, df/dy, df/dz) for f = (x + y) z ------------------------------


def _f_cases() -> list[Case]:
    rng = np.random.default_rng(11)
    random = [tuple(float(v) for v in np.round(rng.normal(0, 3, 3), 3)) for _ in range(3)]
    return [
        Case("the chapter's x = -2, y = 5, z = -4", (-2.0, 5.0, -4.0)),
        Case("the sources' slip z = 4 (the gradients of x and y change sign)", (-2.0, 5.0, 4.0)),
        *[Case(f"random: x = {x:g}, y = {y:g}, z = {z:g}", (x, y, z)) for x, y, z in random],
        Case("x + y = 0 (then df/dz = 0)", (1.5, -1.5, 2.0)),
        Case("z = 0 (then df/dx = df/dy = 0)", (3.0, 4.0, 0.0)),
    ]


def _f_reference(x, y, z):
    q = x + y
    return (z * 1.0, z * 1.0, q)


register(Question(
    name="f_backward",
    function="f_backward",
    chapter=1,
    reference=_f_reference,
    cases=_f_cases,
    output_names=("df/dx", "df/dy", "df/dz"),
    mistakes=(
        Mistake("the multiply gate's local gradients are the wrong way round: it swaps its inputs, "
                "so df/dq = z and df/dz = q",
                lambda x, y, z: (x + y, x + y, z)),
        Mistake("only the add gate's local gradient 1 was used for x and y: multiply it by the upstream "
                "gradient df/dq = z",
                lambda x, y, z: (1.0, 1.0, x + y)),
        Mistake("the add gate was treated like a multiply gate: q = x + y passes its upstream gradient "
                "through unchanged (local gradient 1), so df/dx = z, not y z",
                lambda x, y, z: (y * z, x * z, x + y)),
    ),
))

# --- sigmoid_backward(x, upstream) -> dL/dx -------------------------------------------------------


def _sigmoid_cases() -> list[Case]:
    rng = np.random.default_rng(1)
    random = [(float(round(x, 3)), float(round(g, 3))) for x, g in zip(rng.normal(0, 2, 3), rng.normal(0, 3, 3))]
    return [
        Case("x = 0, upstream 1 (the slope at the centre: 1/4)", (0.0, 1.0)),
        Case("x = 0, upstream -2 (the upstream gradient scales the answer)", (0.0, -2.0)),
        Case("x = 2, upstream 3", (2.0, 3.0)),
        *[Case(f"random: x = {x:g}, upstream {g:g}", (x, g)) for x, g in random],
        Case("x = -1.5, upstream 0 (nothing arrives, nothing is passed on)", (-1.5, 0.0)),
        Case("x = 30, upstream 1 (saturated: the slope is almost 0)", (30.0, 1.0)),
        Case("x = -30, upstream 1 (saturated on the other side)", (-30.0, 1.0)),
    ]


register(Question(
    name="sigmoid_backward",
    function="sigmoid_backward",
    chapter=1,
    forbidden=("cnnbook.activations.sigmoid_backward",),
    reference=lambda x, upstream: _sigmoid(x) * (1.0 - _sigmoid(x)) * upstream,
    cases=_sigmoid_cases,
    atol=1e-12,
    mistakes=(
        Mistake("the upstream gradient is not used: dL/dx = local gradient × upstream gradient, "
                "so multiply sigma(x) (1 - sigma(x)) by `upstream`",
                lambda x, upstream: _sigmoid(x) * (1.0 - _sigmoid(x))),
        Mistake("the local gradient is applied to x instead of to sigma(x): "
                "d sigma/dx = s (1 - s) with s = sigma(x), not x (1 - x)",
                lambda x, upstream: x * (1.0 - x) * upstream),
        Mistake("the forward value sigma(x) was used as the local gradient; "
                "the slope of sigma is sigma(x) (1 - sigma(x))",
                lambda x, upstream: _sigmoid(x) * upstream),
        Mistake("the upstream gradient is passed on unchanged: it must be multiplied by the local gradient "
                "sigma(x) (1 - sigma(x))",
                lambda x, upstream: float(upstream)),
    ),
))

# --- fanout_backward(a, b) -> (de/da, de/db) for c = a b, d = c + a, e = d b -------------------


def _fanout_cases() -> list[Case]:
    rng = np.random.default_rng(12)
    random = [tuple(float(v) for v in np.round(rng.normal(0, 2, 2), 3)) for _ in range(3)]
    return [
        Case("a = 2, b = -3 (worked by hand in the exercise)", (2.0, -3.0)),
        Case("a = 1, b = 2", (1.0, 2.0)),
        *[Case(f"random: a = {a:g}, b = {b:g}", (a, b)) for a, b in random],
        Case("a = 0 (then c = d = e = 0, but de/da is not 0)", (0.0, 1.5)),
        Case("b = -1 (the two contributions to de/da cancel)", (-1.0, -1.0)),
    ]


def _fanout_reference(a, b):
    c = a * b
    d = c + a
    de_dd = b                       # e = d * b
    de_dc = 1.0 * de_dd             # d = c + a
    de_da = 1.0 * de_dd + b * de_dc     # a is used twice: in d and in c
    de_db = d * 1.0 + a * de_dc         # b is used twice: in e and in c
    return (de_da, de_db)


register(Question(
    name="fanout_backward",
    function="fanout_backward",
    chapter=1,
    reference=_fanout_reference,
    cases=_fanout_cases,
    output_names=("de/da", "de/db"),
    mistakes=(
        Mistake("a value used twice kept only its last contribution (the one through c = a b): "
                "the gradients were overwritten (=) instead of accumulated (+=)",
                lambda a, b: (b * b, a * b)),
        Mistake("a value used twice kept only its first contribution (a through d, b through e): "
                "accumulate (+=) the contribution through c = a b as well",
                lambda a, b: (b, a * b + a)),
        Mistake("the path through c = a b lacks its upstream gradient: c passes on "
                "(local gradient) × de/dc with de/dc = b, i.e. b · b to a and a · b to b",
                lambda a, b: (2 * b, a * b + 2 * a)),
    ),
))

# --- max_graph_backward(x, y, z) -> (dg/dx, dg/dy, dg/dz) for m = max(x, y), t = y + z, g = m t ---------


def _max_graph_cases() -> list[Case]:
    rng = np.random.default_rng(14)
    random = [tuple(float(v) for v in np.round(rng.normal(0, 2, 3), 3)) for _ in range(3)]
    return [
        Case("x = -1, y = 2, z = 3 (worked by hand in the exercise: y wins the max)", (-1.0, 2.0, 3.0)),
        Case("x = 4, y = 1, z = -3 (x wins the max)", (4.0, 1.0, -3.0)),
        *[Case(f"random: x = {x:g}, y = {y:g}, z = {z:g}", (x, y, z)) for x, y, z in random],
        Case("x = y = 1.5, z = -0.5 (a tie: the gradient goes to x, the first argument)", (1.5, 1.5, -0.5)),
        Case("x = -2, y = 0.5, z = -0.5 (y + z = 0, so nothing flows through the max)", (-2.0, 0.5, -0.5)),
    ]


def _max_graph_reference(x, y, z):
    m, t = max(x, y), y + z
    dm, dt = t, m                              # multiply gate g = m t: each side gets the other
    x_wins = x >= y                            # max routes dm to the larger input; a tie goes to x
    dx = dm if x_wins else 0.0
    dy = (0.0 if x_wins else dm) + 1.0 * dt    # y forks: through the max and through the add
    dz = 1.0 * dt                              # add gate t = y + z distributes
    return (float(dx), float(dy), float(dz))


def _max_equality_mask(x, y, z):
    m, t = max(x, y), y + z
    return (t * (x == m), t * (y == m) + m, m)


def _max_distributes(x, y, z):
    m, t = max(x, y), y + z
    return (t, t + m, m)


def _max_to_the_smaller(x, y, z):
    m, t = max(x, y), y + z
    return (t * (x < y), t * (x >= y) + m, m)


def _max_tie_to_y(x, y, z):
    m, t = max(x, y), y + z
    return (t * (x > y), t * (y >= x) + m, m)


def _y_only_through_the_add(x, y, z):
    m, t = max(x, y), y + z
    return (t * (x >= y), m, m)


def _y_only_through_the_max(x, y, z):
    m, t = max(x, y), y + z
    return (t * (x >= y), t * (y > x), m)


def _multiply_not_swapped(x, y, z):
    m, t = max(x, y), y + z
    return (m * (x >= y), m * (y > x) + t, t)


def _max_routes_one(x, y, z):
    m = max(x, y)
    return (1.0 * (x >= y), 1.0 * (y > x) + m, m)


register(Question(
    name="max_graph_backward",
    function="max_graph_backward",
    chapter=1,
    reference=_max_graph_reference,
    cases=_max_graph_cases,
    output_names=("dg/dx", "dg/dy", "dg/dz"),
    mistakes=(
        Mistake("at a tie both inputs of the max received the whole upstream gradient (a mask like x == m and "
                "y == m is true for both): send it to one input only, x", _max_equality_mask),
        Mistake("the max gate distributed the upstream gradient to both inputs, like an add gate: max routes "
                "all of it to the larger input and 0 to the other", _max_distributes),
        Mistake("at a tie the gradient went to y; the convention here (as in cb.Value.max) sends it to x, "
                "the first argument", _max_tie_to_y),
        Mistake("y is used twice (by the max and by the add) but kept only its contribution through y + z: "
                "add (+=) the one through the max as well", _y_only_through_the_add),
        Mistake("y is used twice (by the max and by the add) but kept only its contribution through the max: "
                "add (+=) the one through t = y + z as well", _y_only_through_the_max),
        Mistake("the max gate routed the gradient to the smaller input: it goes to the larger one, the one "
                "max(x, y) returned", _max_to_the_smaller),
        Mistake("the multiply gate g = m t was not swapped: dg/dm = t and dg/dt = m", _multiply_not_swapped),
        Mistake("the max gate passed on 1 instead of the upstream gradient dg/dm = t: local gradient 1 times "
                "upstream t", _max_routes_one),
    ),
))

# --- matmul_backward(dy, x, w) -> (dx, dw) for y = x w -------------------------------------------


def _matmul_cases() -> list[Case]:
    rng = np.random.default_rng(13)

    def case(name, N, C, K):
        return Case(f"{name}: x ({N}, {C}), w ({C}, {K})",
                    (rng.normal(size=(N, K)), rng.normal(size=(N, C)), rng.normal(size=(C, K))))

    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([[1.0, -1.0], [0.0, 2.0]])
    dy = np.array([[1.0, 0.0], [2.0, -1.0]])
    return [
        Case("by hand: x = [[1, 2], [3, 4]], w = [[1, -1], [0, 2]], dy = [[1, 0], [2, -1]]", (dy, x, w)),
        case("random, all sizes different (the chapter's)", 4, 3, 2),
        case("square, so a missing transpose still fits", 3, 3, 3),
        case("wide w", 2, 3, 5),
        case("one row (N = 1)", 1, 4, 3),
        case("one input feature (C = 1)", 5, 1, 2),
    ]


def _dx_without_transpose(dy, x, w):
    return dy @ w, x.T @ dy


def _dx_wrong_order(dy, x, w):
    return w.T @ dy, x.T @ dy


def _dw_transposed(dy, x, w):
    return dy @ w.T, dy.T @ x


def _dw_wrong_order(dy, x, w):
    return dy @ w.T, dy @ x.T


def _swapped_outputs(dy, x, w):
    return x.T @ dy, dy @ w.T


def _upstream_ignored(dy, x, w):
    ones = np.ones_like(dy)
    return ones @ w.T, x.T @ ones


def _dw_averaged(dy, x, w):
    return dy @ w.T, x.T @ dy / x.shape[0]


register(Question(
    name="matmul_backward",
    function="matmul_backward",
    chapter=1,
    reference=matmul_backward,
    cases=_matmul_cases,
    output_names=("dx", "dw"),
    points=2.0,
    mistakes=(
        Mistake("dx misses its transpose: dx = dy w^T, shape (N, K) @ (K, C) = (N, C)", _dx_without_transpose),
        Mistake("dx has its factors in the wrong order: dx = dy w^T (dy on the left), not w^T dy",
                _dx_wrong_order),
        Mistake("dw is transposed: dw = x^T dy has the shape of w, (C, K); dy^T x is its transpose",
                _dw_transposed),
        Mistake("dw has the transpose on the wrong factor: dw = x^T dy, not dy x^T", _dw_wrong_order),
        Mistake("dx and dw are returned in the wrong order: return (dx, dw), each shaped like its input",
                _swapped_outputs),
        Mistake("the upstream gradient dy is ignored (a matrix of ones was used): every entry of dy "
                "weighs its own path", _upstream_ignored),
        Mistake("dw is divided by N: the gradient of a sum over the rows is the sum of their gradients",
                _dw_averaged),
    ),
))
