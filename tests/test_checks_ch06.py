"""Chapter 6's exercise checks: learner-style answers pass, planted mistakes are named.

Every implementation here is written independently, as a learner would, never by calling a
question's reference or a Mistake's function (nor the package's activations).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from cnnbook.course.checks import check, questions_of_chapter
from checking import diagnoses

NAMES = ["stable_sigmoid", "sigmoid_layer_backward", "tanh_backward", "relu_backward", "leaky_relu",
         "leaky_relu_backward", "silu_backward", "prelu_backward"]


def test_chapter_6_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(6)] == NAMES
    assert all(q.function == q.name for q in questions_of_chapter(6))


# --- stable sigmoid -----------------------------------------------------------------------------------

def sigmoid_by_masks(z):
    """Each entry gets the formula whose exponent is <= 0; nothing else is ever computed."""
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out


def sigmoid_by_loop(z):
    flat = [1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)) for v in z.ravel().tolist()]
    return np.array(flat, dtype=z.dtype).reshape(z.shape)


def test_stable_sigmoid_passes_without_a_warning():
    assert sigmoid_by_masks(np.array([0.0]))[0] == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check("stable_sigmoid", sigmoid_by_masks, verbose=False).passed
        assert check("stable_sigmoid", sigmoid_by_loop, verbose=False).passed


def test_other_stable_sigmoid_formulas_pass():
    # log-sum-exp: sigma(z) = exp(-log(1 + exp(-z))); exp(-|z|) written with np.where on safe branches
    assert check("stable_sigmoid", lambda z: np.exp(-np.logaddexp(0, -z)), verbose=False).passed
    assert check("stable_sigmoid", lambda z: np.where(z >= 0, 1, np.exp(-np.abs(z))) / (1 + np.exp(-np.abs(z))),
                 verbose=False).passed


def test_the_naive_sigmoid_visibly_fails():
    def naive(z):
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(-z))

    report = check("stable_sigmoid", naive, verbose=False)
    assert not report.passed
    failed = [r.case for r in report.results if not r.passed]
    assert len(failed) == 1 and "-720" in failed[0]
    assert "overflows to inf" in " ".join(report.diagnoses())


def test_stable_sigmoid_mistakes_are_named():
    def exp_ratio(z):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(z) / (np.exp(z) + 1)

    def clipped(z):
        zc = np.clip(z, -500.0, 500.0)
        with np.errstate(over="ignore"):   # exp(500) overflows in float32
            return 1 / (1 + np.exp(-zc))

    def new_float64_array(z):
        out = np.zeros(z.shape)
        for index, v in np.ndenumerate(z):
            out[index] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        return out

    nan_report = check("stable_sigmoid", exp_ratio, verbose=False)
    assert any("nan" in r.problem for r in nan_report.results)
    assert "inf / inf = nan" in " ".join(nan_report.diagnoses())
    assert "clipped" in diagnoses("stable_sigmoid", clipped)
    assert "float64 for a float32 input" in diagnoses("stable_sigmoid", new_float64_array)


def test_stable_sigmoid_that_modifies_its_input_fails():
    def in_place(z):
        e = np.exp(-np.abs(z))
        z[...] = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return z

    report = check("stable_sigmoid", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


def test_a_sigmoid_that_loses_small_values_to_cancellation_fails():
    # stable (no overflow, no warning) but 1 - (something close to 1) leaves no digits for tiny sigma(z)
    report = check("stable_sigmoid", lambda z: 0.5 * (1 + np.tanh(z / 2)), verbose=False)
    assert not report.passed


# --- sigmoid layer backward ---------------------------------------------------------------------------

def sigmoid_layer(dy, z, mistake=""):
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    if mistake == "z for s":
        return dy * z * (1 - z)
    if mistake == "no dy":
        return s * (1 - s)
    if mistake == "value as slope":
        return dy * s
    if mistake == "twice":
        e2 = np.exp(-s)
        s2 = 1 / (1 + e2)
        return dy * s2 * (1 - s2)
    return dy * s * (1 - s)


def test_sigmoid_layer_backward_passes_and_its_mistakes_are_named():
    assert sigmoid_layer(np.array([-2.0]), np.array([0.0]))[0] == -0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check("sigmoid_layer_backward", sigmoid_layer, verbose=False).passed
    assert "applied to z itself" in diagnoses("sigmoid_layer_backward", lambda dy, z: sigmoid_layer(dy, z, "z for s"))
    assert "dy is not used" in diagnoses("sigmoid_layer_backward", lambda dy, z: sigmoid_layer(dy, z, "no dy"))
    assert "forward value sigma(z) was used" in diagnoses(
        "sigmoid_layer_backward", lambda dy, z: sigmoid_layer(dy, z, "value as slope"))
    assert "applied twice" in diagnoses("sigmoid_layer_backward", lambda dy, z: sigmoid_layer(dy, z, "twice"))


def test_sigmoid_layer_backward_with_the_arguments_swapped_fails():
    report = check("sigmoid_layer_backward", lambda dy, z: sigmoid_layer(z, dy), verbose=False)
    assert not report.passed


# --- tanh backward ------------------------------------------------------------------------------------

def tanh_layer(dy, z, mistake=""):
    t = np.tanh(z)
    if mistake == "z for t":
        return dy * (1 - z * z)
    if mistake == "no square":
        return dy * (1 - t)
    if mistake == "no dy":
        return 1 - t * t
    if mistake == "sigmoid slope":
        s = 1 / (1 + np.exp(-np.clip(z, -700, 700)))
        return dy * s * (1 - s)
    return dy * (1 - t * t)


def test_tanh_backward_passes_and_its_mistakes_are_named():
    assert check("tanh_backward", tanh_layer, verbose=False).passed
    # by the identity tanh'(z) = 4 sigma'(2z) of the chapter
    assert check("tanh_backward", lambda dy, z: 4 * dy * sigmoid_layer(np.ones_like(z), 2 * z), verbose=False).passed
    assert "computed with z instead of t" in diagnoses("tanh_backward", lambda dy, z: tanh_layer(dy, z, "z for t"))
    assert "square is missing" in diagnoses("tanh_backward", lambda dy, z: tanh_layer(dy, z, "no square"))
    assert "dy is not used" in diagnoses("tanh_backward", lambda dy, z: tanh_layer(dy, z, "no dy"))
    assert "sigmoid's slope" in diagnoses("tanh_backward", lambda dy, z: tanh_layer(dy, z, "sigmoid slope"))


# --- ReLU backward ------------------------------------------------------------------------------------

def relu_layer(dy, z, mistake=""):
    dz = dy.copy()
    if mistake == "kink":
        dz[z < 0] = 0
    elif mistake == "no dy":
        dz = np.where(z > 0, 1.0, 0.0).astype(dy.dtype)
    elif mistake == "relu of dy":
        dz[dy < 0] = 0
    elif mistake == "times output":
        dz = dy * np.where(z > 0, z, 0.0).astype(dy.dtype)
    elif mistake == "float64":
        dz = np.zeros(dy.shape)
        for index, v in np.ndenumerate(z):
            dz[index] = dy[index] if v > 0 else 0.0
    else:
        dz[z <= 0] = 0
    return dz


def test_relu_backward_passes_and_its_mistakes_are_named():
    assert check("relu_backward", relu_layer, verbose=False).passed
    assert check("relu_backward", lambda dy, z: np.where(z > 0, dy, 0), verbose=False).passed
    assert "z > 0, not z >= 0" in diagnoses("relu_backward", lambda dy, z: relu_layer(dy, z, "kink"))
    assert "dy is not used" in diagnoses("relu_backward", lambda dy, z: relu_layer(dy, z, "no dy"))
    assert "ReLU was applied to dy" in diagnoses("relu_backward", lambda dy, z: relu_layer(dy, z, "relu of dy"))
    assert "forward value relu(z)" in diagnoses("relu_backward", lambda dy, z: relu_layer(dy, z, "times output"))
    assert "float64 for a float32 input" in diagnoses("relu_backward", lambda dy, z: relu_layer(dy, z, "float64"))


def test_relu_backward_that_writes_into_dy_fails():
    def in_place(dy, z):
        dy[z <= 0] = 0
        return dy

    report = check("relu_backward", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


def test_relu_backward_fed_the_output_passes_as_the_chapter_says():
    # mask from relu(z) instead of z: harmless for ReLU (same sign), so it is not a mistake here
    assert check("relu_backward", lambda dy, z: dy * (np.maximum(z, 0) > 0), verbose=False).passed


# --- Leaky ReLU ---------------------------------------------------------------------------------------

def leaky(z, negative_slope=0.01, mistake=""):
    out = z.copy()
    negative = z <= 0
    if mistake == "positive side":
        out[~negative] *= negative_slope
    elif mistake == "fixed slope":
        out[negative] *= 0.01
    elif mistake == "relu":
        out[negative] = 0
    elif mistake == "max":
        out = np.maximum(z, negative_slope * z)
    else:
        out[negative] *= negative_slope
    return out


def test_leaky_relu_passes_and_its_mistakes_are_named():
    assert np.allclose(leaky(np.array([-2.0, 0.0, 3.0]), 0.1), [-0.2, 0.0, 3.0])
    assert check("leaky_relu", leaky, verbose=False).passed
    assert check("leaky_relu", lambda z, negative_slope=0.01: np.maximum(z, 0) + negative_slope * np.minimum(z, 0),
                 verbose=False).passed
    assert "applied to the positive side" in diagnoses("leaky_relu", lambda z, s=0.01: leaky(z, s, "positive side"))
    assert "negative_slope is ignored" in diagnoses("leaky_relu", lambda z, negative_slope=0.01: leaky(
        z, negative_slope, "fixed slope"))
    assert "that is ReLU" in diagnoses("leaky_relu", lambda z, s=0.01: leaky(z, s, "relu"))
    assert "float64 for a float32 input" in diagnoses(
        "leaky_relu", lambda z, negative_slope=0.01: leaky(z, negative_slope).astype(float))


def test_leaky_relu_by_max_fails_only_for_a_slope_above_one():
    report = check("leaky_relu", lambda z, negative_slope=0.01: leaky(z, negative_slope, "max"), verbose=False)
    failed = [r for r in report.results if not r.passed]
    assert len(failed) == 1 and "1.5" in failed[0].case
    assert "only when the slope is at most 1" in failed[0].diagnosis


def test_leaky_relu_that_scales_its_input_in_place_fails():
    def in_place(z, negative_slope=0.01):
        z[z < 0] *= negative_slope
        return z

    report = check("leaky_relu", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


def test_leaky_relu_with_a_misnamed_slope_argument_fails():
    report = check("leaky_relu", lambda z, alpha=0.01: leaky(z, alpha), verbose=False)
    assert any("negative_slope" in r.problem for r in report.results if not r.passed)


# --- Leaky ReLU backward ------------------------------------------------------------------------------

def leaky_layer(dy, z, negative_slope=0.01, mistake=""):
    slope = np.full(z.shape, negative_slope, dtype=dy.dtype)
    slope[z > 0] = 1
    if mistake == "positive side":
        slope = np.where(z > 0, negative_slope, 1.0)
    elif mistake == "kink":
        slope[z == 0] = 1
    elif mistake == "no dy":
        return slope
    elif mistake == "relu":
        slope[z <= 0] = 0
    elif mistake == "fixed slope":
        slope[z <= 0] = 0.01
    elif mistake == "float64":
        slope = slope.astype(np.float64)
    return dy * slope


def test_leaky_relu_backward_passes_and_its_mistakes_are_named():
    assert np.allclose(leaky_layer(np.array([1.0, 2.0, 3.0]), np.array([-2.0, 0.0, 3.0]), 0.1), [0.1, 0.2, 3.0])
    assert check("leaky_relu_backward", leaky_layer, verbose=False).passed
    name = "leaky_relu_backward"
    assert "applied to the positive side" in diagnoses(name, lambda dy, z, s=0.01: leaky_layer(dy, z, s, "positive side"))
    assert "z > 0, not z >= 0" in diagnoses(name, lambda dy, z, s=0.01: leaky_layer(dy, z, s, "kink"))
    assert "dy is not used" in diagnoses(name, lambda dy, z, s=0.01: leaky_layer(dy, z, s, "no dy"))
    assert "that is ReLU's backward" in diagnoses(name, lambda dy, z, s=0.01: leaky_layer(dy, z, s, "relu"))
    assert "negative_slope is ignored" in diagnoses(
        name, lambda dy, z, negative_slope=0.01: leaky_layer(dy, z, negative_slope, "fixed slope"))
    assert "float64 for a float32 input" in diagnoses(
        name, lambda dy, z, negative_slope=0.01: leaky_layer(dy, z, negative_slope, "float64"))


def test_leaky_relu_backward_given_the_output_passes_for_a_positive_slope():
    # with a positive slope the output has the input's sign, so the mask is the same (the chapter's point)
    def from_output(dy, z, negative_slope=0.01):
        a = np.where(z > 0, z, negative_slope * z)
        return np.where(a > 0, dy, negative_slope * dy)

    assert check("leaky_relu_backward", from_output, verbose=False).passed


# --- SiLU backward ---------------------------------------------------------------------------------------

def _sigma(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def silu_layer(dy, z, mistake=""):
    s = _sigma(z)
    if mistake == "first term only":
        return dy * s
    if mistake == "second term only":
        return dy * z * s * (1 - s)
    if mistake == "sigmoid slope":
        return dy * s * (1 - s)
    if mistake == "no z":
        return dy * (s + s * (1 - s))
    if mistake == "no dy":
        return s + z * s * (1 - s)
    if mistake == "float64":
        return (dy * (s + z * s * (1 - s))).astype(np.float64)
    return dy * (s + z * s * (1 - s))


def test_silu_backward_passes_and_its_mistakes_are_named():
    assert np.allclose(silu_layer(np.ones(3), np.array([0.0, 2.0, -2.0])).sum(), 1.5)   # 1/2, and a pair adding to 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check("silu_backward", silu_layer, verbose=False).passed
    # the other way of writing it: sigma(z) (1 + z (1 - sigma(z)))
    assert check("silu_backward", lambda dy, z: dy * _sigma(z) * (1 + z * (1 - _sigma(z))), verbose=False).passed
    name = "silu_backward"
    assert "lost its second term" in diagnoses(name, lambda dy, z: silu_layer(dy, z, "first term only"))
    assert "lost its first term" in diagnoses(name, lambda dy, z: silu_layer(dy, z, "second term only"))
    assert "this is the sigmoid's slope" in diagnoses(name, lambda dy, z: silu_layer(dy, z, "sigmoid slope"))
    assert "factor z is missing" in diagnoses(name, lambda dy, z: silu_layer(dy, z, "no z"))
    assert "dy is not used" in diagnoses(name, lambda dy, z: silu_layer(dy, z, "no dy"))
    assert "float64 for a float32 input" in diagnoses(name, lambda dy, z: silu_layer(dy, z, "float64"))


# --- PReLU backward --------------------------------------------------------------------------------------

def prelu_layer(dy, z, weight, mistake=""):
    """A learner's PReLU backward: weight (C,) belongs to axis 1 of z (N, C, ...)."""
    w = weight.reshape((1, -1) + (1,) * (z.ndim - 2))
    others = tuple(axis for axis in range(z.ndim) if axis != 1)
    negative = z <= 0
    dz = np.where(negative, w * dy, dy)
    dweight = np.sum(np.where(negative, z * dy, 0), axis=others).astype(dy.dtype)
    if mistake == "not summed":
        dweight = np.where(negative, z * dy, 0)
    elif mistake == "summed over everything":
        dweight = np.sum(np.where(negative, z * dy, 0))
    elif mistake == "positive side counted":
        dweight = np.sum(z * dy, axis=others)
    elif mistake == "no dy":
        dweight = np.sum(np.where(negative, z, 0), axis=others)
    elif mistake == "output":
        a = np.where(negative, w * z, z)
        dweight = np.sum(np.where(negative, a * dy, 0), axis=others)
    elif mistake == "min of the output":
        a = np.where(negative, w * z, z)
        dweight = np.sum(dy * np.minimum(a, 0), axis=others)
    elif mistake == "slope on the positive side":
        dz = np.where(negative, dy, w * dy)
    elif mistake == "relu":
        dz = np.where(negative, 0.0, dy)
    elif mistake == "kink":
        dz = np.where(z >= 0, dy, w * dy)
    elif mistake == "last axis":
        dz = np.where(negative, weight * dy, dy)
    elif mistake == "float64":
        dz, dweight = dz.astype(np.float64), dweight.astype(np.float64)
    return dz, dweight


def test_prelu_backward_passes_and_its_mistakes_are_named():
    dz, dweight = prelu_layer(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[-2.0, 3.0], [4.0, -1.0]]),
                              np.array([0.1, 0.5]))
    assert np.allclose(dz, [[0.1, 2.0], [3.0, 2.0]]) and np.allclose(dweight, [-2.0, -4.0])
    assert check("prelu_backward", prelu_layer, verbose=False).passed
    name = "prelu_backward"

    def planted(mistake):
        return lambda dy, z, weight: prelu_layer(dy, z, weight, mistake)

    assert "dweight was not summed" in diagnoses(name, planted("not summed"))
    assert "summed over every axis, channels included" in diagnoses(name, planted("summed over everything"))
    assert "counts the positive inputs" in diagnoses(name, planted("positive side counted"))
    assert "dweight does not use dy" in diagnoses(name, planted("no dy"))
    assert "from the output a = prelu(z)" in diagnoses(name, planted("output"))
    assert "extra factor weight" in diagnoses(name, planted("output"))
    assert "sum of dy * min(a, 0) with the output" in diagnoses(name, planted("min of the output"))
    assert "applied to the positive side of dz" in diagnoses(name, planted("slope on the positive side"))
    assert "that is ReLU's backward" in diagnoses(name, planted("relu"))
    assert "z > 0, not z >= 0" in diagnoses(name, planted("kink"))
    assert "broadcast along the last axis" in diagnoses(name, planted("last axis"))
    assert "float64 for a float32 input" in diagnoses(name, planted("float64"))


def test_prelu_backward_returning_one_array_fails_clearly():
    report = check("prelu_backward", lambda dy, z, weight: prelu_layer(dy, z, weight)[0], verbose=False)
    assert not report.passed and "expected a tuple of 2 (dz, dweight)" in report.results[0].problem


def test_prelu_backward_that_modifies_dy_fails():
    def in_place(dy, z, weight):
        dweight = np.sum(np.where(z <= 0, z * dy, 0), axis=tuple(a for a in range(z.ndim) if a != 1)).astype(dy.dtype)
        dy[z <= 0] *= np.broadcast_to(weight.reshape((1, -1) + (1,) * (z.ndim - 2)), z.shape)[z <= 0]
        return dy, dweight

    report = check("prelu_backward", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


# --- the solution notebook ----------------------------------------------------------------------------
