"""Chapter 1 exercises: one gate's backward, a small graph, fan-out, and ``Y = X W`` by hand."""

from __future__ import annotations

import math

import numpy as np

from ..demos.chain_rule import matmul_backward
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

# --- matmul_backward(dY, X, W) -> (dX, dW) for Y = X W -------------------------------------------


def _matmul_cases() -> list[Case]:
    rng = np.random.default_rng(13)

    def case(name, N, D, M):
        return Case(f"{name}: X ({N}, {D}), W ({D}, {M})",
                    (rng.normal(size=(N, M)), rng.normal(size=(N, D)), rng.normal(size=(D, M))))

    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[1.0, -1.0], [0.0, 2.0]])
    dY = np.array([[1.0, 0.0], [2.0, -1.0]])
    return [
        Case("by hand: X = [[1, 2], [3, 4]], W = [[1, -1], [0, 2]], dY = [[1, 0], [2, -1]]", (dY, X, W)),
        case("random, all sizes different (the chapter's)", 4, 3, 2),
        case("square, so a missing transpose still fits", 3, 3, 3),
        case("wide W", 2, 3, 5),
        case("one row (N = 1)", 1, 4, 3),
        case("one input feature (D = 1)", 5, 1, 2),
    ]


def _dx_without_transpose(dY, X, W):
    return dY @ W, X.T @ dY


def _dx_wrong_order(dY, X, W):
    return W.T @ dY, X.T @ dY


def _dw_transposed(dY, X, W):
    return dY @ W.T, dY.T @ X


def _dw_wrong_order(dY, X, W):
    return dY @ W.T, dY @ X.T


def _swapped_outputs(dY, X, W):
    return X.T @ dY, dY @ W.T


def _upstream_ignored(dY, X, W):
    ones = np.ones_like(dY)
    return ones @ W.T, X.T @ ones


def _dw_averaged(dY, X, W):
    return dY @ W.T, X.T @ dY / X.shape[0]


register(Question(
    name="matmul_backward",
    function="matmul_backward",
    chapter=1,
    reference=matmul_backward,
    cases=_matmul_cases,
    output_names=("dX", "dW"),
    points=2.0,
    mistakes=(
        Mistake("dX misses its transpose: dX = dY W^T, shape (N, M) @ (M, D) = (N, D)", _dx_without_transpose),
        Mistake("dX has its factors in the wrong order: dX = dY W^T (dY on the left), not W^T dY",
                _dx_wrong_order),
        Mistake("dW is transposed: dW = X^T dY has the shape of W, (D, M); dY^T X is its transpose",
                _dw_transposed),
        Mistake("dW has the transpose on the wrong factor: dW = X^T dY, not dY X^T", _dw_wrong_order),
        Mistake("dX and dW are returned in the wrong order: return (dX, dW), each shaped like its input",
                _swapped_outputs),
        Mistake("the upstream gradient dY is ignored (a matrix of ones was used): every entry of dY "
                "weighs its own path", _upstream_ignored),
        Mistake("dW is divided by N: the gradient of a sum over the rows is the sum of their gradients",
                _dw_averaged),
    ),
))
