"""Chapter 1's exercise checks: learner-style answers pass, planted mistakes are named.

Every implementation here is written independently, as a learner would, never by calling a
question's reference or a Mistake's function.
"""

from __future__ import annotations

import math

import numpy as np

from cnnbook.checks import check, questions_of_chapter
from checking import diagnoses


def test_chapter_1_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(1)] == [
        "f_backward", "sigmoid_backward", "fanout_backward", "matmul_backward"]


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


# --- Y = X W ----------------------------------------------------------------------------------------

def matmul_by_loops(dY, X, W, mistake=""):
    N, D = X.shape
    M = W.shape[1]
    dX, dW = np.zeros((N, D)), np.zeros((D, M))
    for i in range(N):
        for k in range(D):
            for j in range(M):
                g = 1.0 if mistake == "ones" else dY[i, j]
                dX[i, k] += g * W[k, j]
                dW[k, j] += X[i, k] * g
    if mistake == "dW.T":
        return dX, dW.T.copy()
    if mistake == "swapped":
        return dW, dX
    if mistake == "mean":
        return dX, dW / N
    return dX, dW


def test_matmul_backward_by_loops_and_by_products_pass():
    assert check("matmul_backward", matmul_by_loops, verbose=False).passed
    assert check("matmul_backward", lambda dY, X, W: ((W @ dY.T).T, (dY.T @ X).T), verbose=False).passed


def test_matmul_backward_mistakes_are_named():
    assert "dX misses its transpose" in diagnoses("matmul_backward", lambda dY, X, W: (dY @ W, X.T @ dY))
    assert "wrong order: dX = dY W^T" in diagnoses("matmul_backward", lambda dY, X, W: (W.T @ dY, X.T @ dY))
    assert "dW is transposed" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="dW.T"))
    assert "transpose on the wrong factor" in diagnoses("matmul_backward", lambda dY, X, W: (dY @ W.T, dY @ X.T))
    assert "returned in the wrong order" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="swapped"))
    assert "upstream gradient dY is ignored" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="ones"))
    assert "divided by N" in diagnoses("matmul_backward", lambda *a: matmul_by_loops(*a, mistake="mean"))


def test_matmul_backward_that_modifies_its_input_fails():
    def in_place(dY, X, W):
        dX, dW = dY @ W.T, X.T @ dY
        X *= 0
        return dX, dW

    report = check("matmul_backward", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


# --- the solution notebook ----------------------------------------------------------------------------
