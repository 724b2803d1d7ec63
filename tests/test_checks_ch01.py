"""Chapter 1's exercise checks: learner-style answers pass, planted mistakes are named.

Every implementation here is written independently, as a learner would, never by calling a
question's reference or a Mistake's function.
"""

from __future__ import annotations

import math

import numpy as np

from cnnbook.course.checks import check, questions_of_chapter
from checking import diagnoses


def test_chapter_1_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(1)] == [
        "f_backward", "sigmoid_backward", "fanout_backward", "max_graph_backward", "matmul_backward"]


# --- f = (x + y) z ----------------------------------------------------------------------------------

def f_by_gates(x, y, z, swap_multiply=False, add_upstream=True, add_like_multiply=False):
    q = x + y
    df_dq, df_dz = (q, z) if swap_multiply else (z, q)
    if add_like_multiply:
        return y * df_dq, x * df_dq, df_dz
    if not add_upstream:
        return 1.0, 1.0, df_dz
    return df_dq, df_dq, df_dz


def test_f_backward_passes_and_its_mistakes_are_named():
    assert f_by_gates(-2.0, 5.0, -4.0) == (-4.0, -4.0, 3.0)
    assert check("f_backward", f_by_gates, verbose=False).passed
    assert "swaps its inputs" in diagnoses("f_backward", lambda *a: f_by_gates(*a, swap_multiply=True))
    assert "multiply it by the upstream" in diagnoses("f_backward", lambda *a: f_by_gates(*a, add_upstream=False))
    assert "add gate was treated like a multiply" in diagnoses(
        "f_backward", lambda *a: f_by_gates(*a, add_like_multiply=True))


def test_f_backward_may_return_a_list_or_numpy_floats():
    assert check("f_backward", lambda x, y, z: [np.float64(z), np.float64(z), np.float64(x + y)], verbose=False).passed


def test_f_backward_with_a_wrong_sign_is_caught_without_a_diagnosis():
    report = check("f_backward", lambda x, y, z: (-z, -z, x + y), verbose=False)
    assert not report.passed and report.diagnoses() == []


# --- sigmoid gate -----------------------------------------------------------------------------------

def sigmoid_gate(x, upstream, mistake=""):
    s = 1 / (1 + np.exp(-x))
    if mistake == "no upstream":
        return s * (1 - s)
    if mistake == "x for s":
        return x * (1 - x) * upstream
    if mistake == "value as slope":
        return s * upstream
    return s * (1 - s) * upstream


def test_sigmoid_backward_passes_and_its_mistakes_are_named():
    assert sigmoid_gate(0.0, -2.0) == -0.5
    assert check("sigmoid_backward", sigmoid_gate, verbose=False).passed
    assert "upstream gradient is not used" in diagnoses("sigmoid_backward", lambda x, g: sigmoid_gate(x, g, "no upstream"))
    assert "applied to x instead of to sigma(x)" in diagnoses("sigmoid_backward", lambda x, g: sigmoid_gate(x, g, "x for s"))
    assert "forward value sigma(x) was used" in diagnoses("sigmoid_backward", lambda x, g: sigmoid_gate(x, g, "value as slope"))
    assert "passed on unchanged" in diagnoses("sigmoid_backward", lambda x, g: g)


def test_sigmoid_backward_with_the_slope_of_tanh_fails():
    report = check("sigmoid_backward", lambda x, g: (1 - math.tanh(x) ** 2) * g, verbose=False)
    assert not report.passed


# --- fan-out ----------------------------------------------------------------------------------------

def fanout_by_graph(a, b, overwrite=False, keep_first=False, upstream_on_c=True):
    """c = a b, d = c + a, e = d b, backward gate by gate; `overwrite` plants `=` for `+=`."""
    c = a * b
    d = c + a
    grads = {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0, "e": 1.0}

    def send(name, amount):
        if keep_first and grads[name] != 0.0:
            return
        grads[name] = amount if overwrite else grads[name] + amount

    send("d", b * grads["e"])
    send("b", d * grads["e"])
    send("c", grads["d"])
    send("a", grads["d"])
    upstream = grads["c"] if upstream_on_c else 1.0
    send("a", b * upstream)
    send("b", a * upstream)
    return grads["a"], grads["b"]


def test_fanout_backward_passes_and_its_mistakes_are_named():
    assert fanout_by_graph(2.0, -3.0) == (6.0, -10.0)
    assert check("fanout_backward", fanout_by_graph, verbose=False).passed
    assert "overwritten (=) instead of accumulated (+=)" in diagnoses(
        "fanout_backward", lambda a, b: fanout_by_graph(a, b, overwrite=True))
    assert "kept only its first contribution" in diagnoses(
        "fanout_backward", lambda a, b: fanout_by_graph(a, b, keep_first=True))
    assert "lacks its upstream gradient" in diagnoses(
        "fanout_backward", lambda a, b: fanout_by_graph(a, b, upstream_on_c=False))


def test_fanout_backward_by_calculus_passes_too():
    # e = a b^2 + a b
    assert check("fanout_backward", lambda a, b: (b * b + b, 2 * a * b + a), verbose=False).passed


def test_fanout_with_only_a_overwritten_names_the_overwrite():
    # de/db right, de/da overwritten by the path through c: the diagnosis looks at the wrong part only
    assert "overwritten" in diagnoses("fanout_backward", lambda a, b: (b * b, 2 * a * b + a))


# --- a max gate among the others: m = max(x, y), t = y + z, g = m t ---------------------------------------

def max_graph_by_gates(x, y, z, mistake=""):
    """Backward gate by gate, as a learner writes it; `mistake` plants one classic error."""
    m, t = max(x, y), y + z
    grad_m, grad_t = (m, t) if mistake == "no swap" else (t, m)
    if mistake == "ones":
        grad_m = 1.0
    grads = {"x": 0.0, "y": 0.0}
    if mistake == "mask":                 # (input == max) * upstream, for both inputs
        grads["x"] += float(x == m) * grad_m
        grads["y"] += float(y == m) * grad_m
    elif mistake == "distribute":
        grads["x"] += grad_m
        grads["y"] += grad_m
    else:
        x_wins = x > y if mistake == "tie to y" else x >= y
        if mistake == "smaller":
            x_wins = not x_wins
        grads["x" if x_wins else "y"] += grad_m
    if mistake == "y only through max":
        return grads["x"], grads["y"], grad_t
    if mistake == "y only through add":
        grads["y"] = 0.0
    grads["y"] += grad_t
    return grads["x"], grads["y"], grad_t


def test_max_graph_backward_passes_and_its_mistakes_are_named():
    assert max_graph_by_gates(-1.0, 2.0, 3.0) == (0.0, 7.0, 2.0)
    assert max_graph_by_gates(1.5, 1.5, -0.5) == (1.0, 1.5, 1.5)  # a tie goes to x
    assert check("max_graph_backward", max_graph_by_gates, verbose=False).passed
    named = {
        "mask": "at a tie both inputs of the max received",
        "distribute": "distributed the upstream gradient to both inputs",
        "smaller": "routed the gradient to the smaller input",
        "tie to y": "at a tie the gradient went to y",
        "y only through add": "kept only its contribution through y + z",
        "y only through max": "kept only its contribution through the max",
        "no swap": "was not swapped",
        "ones": "passed on 1 instead of the upstream gradient",
    }
    for mistake, diagnosis in named.items():
        planted = lambda x, y, z, m=mistake: max_graph_by_gates(x, y, z, m)  # noqa: E731
        assert diagnosis in diagnoses("max_graph_backward", planted), mistake


def test_max_graph_equality_mask_fails_only_at_the_tie():
    report = check("max_graph_backward", lambda x, y, z: max_graph_by_gates(x, y, z, "mask"), verbose=False)
    failed = [r.case for r in report.results if not r.passed]
    assert len(failed) == 1 and "a tie" in failed[0]
    assert report.diagnoses() == [report.results[-2].diagnosis] and "at a tie both inputs" in report.diagnoses()[0]


def test_max_graph_backward_with_value_passes():
    from cnnbook import Value

    def with_value(x, y, z):
        xv, yv, zv = Value(x), Value(y), Value(z)
        (xv.max(yv) * (yv + zv)).backward()
        return xv.grad, yv.grad, zv.grad

    assert check("max_graph_backward", with_value, verbose=False).passed


# --- y = x w ----------------------------------------------------------------------------------------

def matmul_by_loops(dy, x, w, mistake=""):
    N, C = x.shape
    K = w.shape[1]
    dx, dw = np.zeros((N, C)), np.zeros((C, K))
    for n in range(N):
        for c in range(C):
            for k in range(K):
                g = 1.0 if mistake == "ones" else dy[n, k]
                dx[n, c] += g * w[c, k]
                dw[c, k] += x[n, c] * g
    if mistake == "dw.T":
        return dx, dw.T.copy()
    if mistake == "swapped":
        return dw, dx
    if mistake == "mean":
        return dx, dw / N
    return dx, dw


def test_matmul_backward_by_loops_and_by_products_pass():
    assert check("matmul_backward", matmul_by_loops, verbose=False).passed
    assert check("matmul_backward", lambda dy, x, w: ((w @ dy.T).T, (dy.T @ x).T), verbose=False).passed


def test_matmul_backward_mistakes_are_named():
    assert "dx misses its transpose" in diagnoses("matmul_backward", lambda dy, x, w: (dy @ w, x.T @ dy))
    assert "wrong order: dx = dy w^T" in diagnoses("matmul_backward", lambda dy, x, w: (w.T @ dy, x.T @ dy))
    assert "dw is transposed" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="dw.T"))
    assert "transpose on the wrong factor" in diagnoses("matmul_backward", lambda dy, x, w: (dy @ w.T, dy @ x.T))
    assert "returned in the wrong order" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="swapped"))
    assert "upstream gradient dy is ignored" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="ones"))
    assert "divided by N" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="mean"))


def test_matmul_backward_that_modifies_its_input_fails():
    def in_place(dy, x, w):
        dx, dw = dy @ w.T, x.T @ dy
        x *= 0
        return dx, dw

    report = check("matmul_backward", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


# --- the solution notebook ----------------------------------------------------------------------------
