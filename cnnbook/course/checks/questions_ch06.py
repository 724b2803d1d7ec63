"""Chapter 6 exercises: a sigmoid that never overflows, the backward pass of every activation, SiLU and PReLU.

Every backward function takes the package's arguments, ``(dy, z)``: the upstream gradient and the
activation's *input* ``z`` (not its output), both of the same shape. float32 stays float32.
"""

from __future__ import annotations

import numpy as np

from ...activations import (
    leaky_relu,
    leaky_relu_backward,
    prelu,
    prelu_backward,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    silu_backward,
    tanh_backward,
)
from . import register
from .framework import Case, Mistake, Question


def _as_float64(function):
    """The right values, but always in float64 (a float32 input was promoted)."""
    return lambda *args, **kwargs: function(*args, **kwargs).astype(np.float64)


FLOAT64_RESULT = ("the result is float64 for a float32 input: build it from the input's own arrays "
                  "(np.zeros_like(z), np.where, arithmetic on z and dy), not with np.zeros(z.shape)")

# --- stable_sigmoid(z) -> s -------------------------------------------------------------------------


def _stable_sigmoid_cases() -> list[Case]:
    rng = np.random.default_rng(60)
    return [
        Case("by hand: z = [0, 2, -2] (sigma(0) = 1/2 and sigma(-z) = 1 - sigma(z))", (np.array([0.0, 2.0, -2.0]),)),
        Case("random z (3, 4)", (rng.normal(0, 3, size=(3, 4)),)),
        Case("random NCHW z (2, 3, 4, 4)", (rng.normal(0, 3, size=(2, 3, 4, 4)),)),
        Case("z = -1000 and 1000 (exp(1000) overflows; the answers are exactly 0 and 1)",
             (np.array([-1000.0, 1000.0]),)),
        Case("z = -720, -700, 700, 720 (sigma(-720) is about 2.0e-313, still a float64 number, "
             "but exp(720) is not)", (np.array([-720.0, -700.0, 700.0, 720.0]),)),
        Case("float32 z from -200 to 200 (the result stays float32)",
             (np.array([-200.0, -30.0, -5.0, 0.0, 5.0, 30.0, 200.0], dtype=np.float32),)),
    ]


def _naive_sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _exp_ratio_sigmoid(z):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(z) / (1.0 + np.exp(z))


def _clipped_sigmoid(z):
    with np.errstate(over="ignore"):   # exp(500) still overflows in float32
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


register(Question(
    name="stable_sigmoid",
    function="stable_sigmoid",
    chapter=6,
    reference=sigmoid,
    cases=_stable_sigmoid_cases,
    rtol=1e-5,  # float32 leaves a few ulps' room for other stable formulas (log-sum-exp, ...)
    atol=0.0,   # only relative error counts: a tiny sigma(z) lost to overflow is a wrong answer
    mistakes=(
        Mistake("1 / (1 + exp(-z)) everywhere: for z below about -709, exp(-z) overflows to inf (with a "
                "RuntimeWarning) and the answer collapses to 0; for z < 0 use exp(z) / (1 + exp(z)), "
                "where no exponent is positive", _naive_sigmoid),
        Mistake("exp(z) / (1 + exp(z)) everywhere: for z above about 709 this is inf / inf = nan; "
                "use it for z < 0 only and 1 / (1 + exp(-z)) for z >= 0", _exp_ratio_sigmoid),
        Mistake("z was clipped before the exponential: that hides the overflow but changes the answer "
                "far out (sigma(-720) is not sigma(-500)); choose the formula by the sign of z instead",
                _clipped_sigmoid),
        Mistake(FLOAT64_RESULT, _as_float64(sigmoid)),
        Mistake(FLOAT64_RESULT, lambda z: sigmoid(z.astype(np.float64))),   # the same slip, computed in float64
    ),
))

# --- sigmoid_layer_backward(dy, z) -> dz ----------------------------------------------------------


def _sigmoid_backward_cases() -> list[Case]:
    rng = np.random.default_rng(61)

    def random(name, shape):
        return Case(f"random {name} {shape}", (rng.normal(size=shape), rng.normal(0, 2, size=shape)))

    return [
        Case("by hand: z = [0, 2, -2], dy = [1, -2, 0.5] (the slope at 0 is 1/4)",
             (np.array([1.0, -2.0, 0.5]), np.array([0.0, 2.0, -2.0]))),
        random("dy and z", (4, 6)),
        random("NCHW dy and z", (2, 3, 4, 4)),
        Case("saturated: z = -1000, -40, 40, 1000, dy = 1 (the slope is about 0)",
             (np.ones(4), np.array([-1000.0, -40.0, 40.0, 1000.0]))),
        Case("float32 dy and z (the result stays float32)",
             (rng.normal(size=(3, 5)).astype(np.float32), rng.normal(0, 2, size=(3, 5)).astype(np.float32))),
    ]


register(Question(
    name="sigmoid_layer_backward",
    function="sigmoid_layer_backward",
    chapter=6,
    reference=sigmoid_backward,
    cases=_sigmoid_backward_cases,
    atol=1e-6,  # float32: 1 - s and 1 - t**2 cancel, so other correct formulas differ by ~1e-7 absolute
    mistakes=(
        Mistake("the slope s (1 - s) was applied to z itself: z is the sigmoid's input; compute "
                "s = sigma(z) first, then dz = dy * s * (1 - s)", lambda dy, z: dy * z * (1 - z)),
        Mistake("the upstream gradient dy is not used: dz = dy * s * (1 - s), entry by entry",
                lambda dy, z: sigmoid(z) * (1 - sigmoid(z))),
        Mistake("the forward value sigma(z) was used as the slope; the slope is s (1 - s) with s = sigma(z)",
                lambda dy, z: dy * sigmoid(z)),
        Mistake("the sigmoid was applied twice (s = sigma(z), then sigma(s)): z is already the input, "
                "so s (1 - s) with s = sigma(z) is the slope", lambda dy, z: sigmoid_backward(dy, sigmoid(z))),
    ),
))

# --- tanh_backward(dy, z) -> dz -------------------------------------------------------------------


def _tanh_cases() -> list[Case]:
    rng = np.random.default_rng(62)

    def random(name, shape):
        return Case(f"random {name} {shape}", (rng.normal(size=shape), rng.normal(0, 1.5, size=shape)))

    return [
        Case("by hand: z = [0, 0.5, -1], dy = [2, 1, -1] (the slope at 0 is 1)",
             (np.array([2.0, 1.0, -1.0]), np.array([0.0, 0.5, -1.0]))),
        random("dy and z", (4, 6)),
        random("NCHW dy and z", (2, 3, 4, 4)),
        Case("saturated: z = -1000, -20, 20, 1000, dy = 1 (the slope is about 0)",
             (np.ones(4), np.array([-1000.0, -20.0, 20.0, 1000.0]))),
        Case("float32 dy and z (the result stays float32)",
             (rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32))),
    ]


register(Question(
    name="tanh_backward",
    function="tanh_backward",
    chapter=6,
    reference=tanh_backward,
    cases=_tanh_cases,
    atol=1e-6,
    mistakes=(
        Mistake("1 - t^2 was computed with z instead of t = tanh(z): z is the input; "
                "the slope is 1 - tanh(z)**2", lambda dy, z: dy * (1 - z ** 2)),
        Mistake("the square is missing: the slope is 1 - tanh(z)**2, not 1 - tanh(z)",
                lambda dy, z: dy * (1 - np.tanh(z))),
        Mistake("the upstream gradient dy is not used: dz = dy * (1 - tanh(z)**2), entry by entry",
                lambda dy, z: 1 - np.tanh(z) ** 2),
        Mistake("this is the sigmoid's slope s (1 - s); tanh's is 1 - tanh(z)**2 (four times larger at 0)",
                lambda dy, z: sigmoid_backward(dy, z)),
    ),
))

# --- relu_backward(dy, z) -> dz -------------------------------------------------------------------


def _relu_cases() -> list[Case]:
    rng = np.random.default_rng(63)
    with_zeros = rng.normal(size=(2, 3, 4, 4))
    with_zeros[rng.random(with_zeros.shape) < 0.2] = 0.0
    return [
        Case("by hand: z = [-2, -0.5, 0, 0.5, 3], dy = [1, 2, 3, 4, 5] (at z = 0 the book passes nothing)",
             (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([-2.0, -0.5, 0.0, 0.5, 3.0]))),
        Case("random dy and z (4, 6)", (rng.normal(size=(4, 6)), rng.normal(size=(4, 6)))),
        Case("random NCHW dy and z (2, 3, 4, 4), a fifth of z exactly 0", (rng.normal(size=(2, 3, 4, 4)), with_zeros)),
        Case("negative dy (the mask acts on z's sign, not on dy's)",
             (-np.abs(rng.normal(size=(3, 4))), rng.normal(size=(3, 4)))),
        Case("float32 dy and z (the result stays float32)",
             (rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32))),
    ]


register(Question(
    name="relu_backward",
    function="relu_backward",
    chapter=6,
    reference=relu_backward,
    cases=_relu_cases,
    mistakes=(
        Mistake("at z = 0 exactly the gradient was passed on: ReLU has no derivative there, and the book "
                "(like PyTorch) takes 0, so the mask is z > 0, not z >= 0", lambda dy, z: dy * (z >= 0)),
        Mistake("the upstream gradient dy is not used: dz = dy where z > 0, else 0",
                lambda dy, z: (z > 0).astype(dy.dtype)),
        Mistake("ReLU was applied to dy: the mask comes from the sign of the input z, not of dy",
                lambda dy, z: np.maximum(dy, 0)),
        Mistake("dy was multiplied by the forward value relu(z); the slope is 1 where z > 0, else 0",
                lambda dy, z: dy * np.maximum(z, 0)),
        Mistake(FLOAT64_RESULT, _as_float64(relu_backward)),
    ),
))

# --- leaky_relu(z, negative_slope=0.01) -> a -------------------------------------------------------


def _leaky_cases() -> list[Case]:
    rng = np.random.default_rng(64)
    return [
        Case("by hand: z = [-2, -0.5, 0, 0.5, 3], negative_slope 0.1",
             (np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), 0.1)),
        Case("random z (4, 6), the default slope 0.01 (no second argument)", (rng.normal(size=(4, 6)),)),
        Case("random NCHW z (2, 3, 4, 4), negative_slope 0.2", (rng.normal(size=(2, 3, 4, 4)), 0.2)),
        Case("negative_slope given by name, 0.05", (rng.normal(size=(3, 4)),), {"negative_slope": 0.05}),
        Case("negative_slope 1.5 (allowed: a learned slope may exceed 1)", (rng.normal(size=(3, 4)), 1.5)),
        Case("float32 z, negative_slope 0.1 (the result stays float32)",
             (rng.normal(size=(3, 5)).astype(np.float32), 0.1)),
    ]


def _leaky_slope_on_positive(z, negative_slope=0.01):
    return np.where(z > 0, negative_slope * z, z)


def _leaky_default_slope(z, negative_slope=0.01):
    return leaky_relu(z, 0.01)


register(Question(
    name="leaky_relu",
    function="leaky_relu",
    chapter=6,
    reference=leaky_relu,
    cases=_leaky_cases,
    mistakes=(
        Mistake("max(z, negative_slope * z) equals leaky ReLU only when the slope is at most 1; above 1 it "
                "swaps the sides (negative_slope * z where z > 0, z where z < 0): choose by the sign of z instead",
                lambda z, negative_slope=0.01: np.maximum(z, negative_slope * z)),
        Mistake("the slope was applied to the positive side: leaky ReLU is z where z > 0 and "
                "negative_slope * z where z <= 0", _leaky_slope_on_positive),
        Mistake("negative_slope is ignored (0.01 always): use the argument", _leaky_default_slope),
        Mistake("the negative side is 0: that is ReLU; leaky ReLU keeps negative_slope * z there",
                lambda z, negative_slope=0.01: np.maximum(z, 0)),
        Mistake(FLOAT64_RESULT, _as_float64(leaky_relu)),
    ),
))

# --- leaky_relu_backward(dy, z, negative_slope=0.01) -> dz -------------------------------------------


def _leaky_backward_cases() -> list[Case]:
    rng = np.random.default_rng(65)
    with_zeros = rng.normal(size=(2, 3, 4, 4))
    with_zeros[rng.random(with_zeros.shape) < 0.2] = 0.0
    return [
        Case("by hand: z = [-2, -0.5, 0, 0.5, 3], dy = [1, 2, 3, 4, 5], negative_slope 0.1",
             (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), 0.1)),
        Case("random dy and z (4, 6), the default slope 0.01 (no third argument)",
             (rng.normal(size=(4, 6)), rng.normal(size=(4, 6)))),
        Case("random NCHW dy and z (2, 3, 4, 4), a fifth of z exactly 0, negative_slope 0.2",
             (rng.normal(size=(2, 3, 4, 4)), with_zeros, 0.2)),
        Case("negative_slope given by name, 0.05", (rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
             {"negative_slope": 0.05}),
        Case("float32 dy and z, negative_slope 0.1 (the result stays float32)",
             (rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32), 0.1)),
    ]


register(Question(
    name="leaky_relu_backward",
    function="leaky_relu_backward",
    chapter=6,
    reference=leaky_relu_backward,
    cases=_leaky_backward_cases,
    mistakes=(
        Mistake("the slope was applied to the positive side: dz = dy where z > 0 and "
                "negative_slope * dy where z <= 0",
                lambda dy, z, negative_slope=0.01: dy * np.where(z > 0, negative_slope, 1.0)),
        Mistake("at z = 0 exactly the full gradient was passed on: the book (like PyTorch) uses the "
                "negative side's slope there, so the test is z > 0, not z >= 0",
                lambda dy, z, negative_slope=0.01: np.where(z >= 0, dy, negative_slope * dy)),
        Mistake("the upstream gradient dy is not used: dz = dy times the slope (1 or negative_slope)",
                lambda dy, z, negative_slope=0.01: np.where(z > 0, 1.0, negative_slope)),
        Mistake("nothing passes on the negative side: that is ReLU's backward; leaky ReLU passes "
                "negative_slope * dy there", lambda dy, z, negative_slope=0.01: dy * (z > 0)),
        Mistake("negative_slope is ignored (0.01 always): use the argument",
                lambda dy, z, negative_slope=0.01: leaky_relu_backward(dy, z, 0.01)),
        Mistake(FLOAT64_RESULT, _as_float64(leaky_relu_backward)),
    ),
))

# --- silu_backward(dy, z) -> dz ------------------------------------------------------------------------


def _silu_cases() -> list[Case]:
    rng = np.random.default_rng(66)

    def random(name, shape):
        return Case(f"random {name} {shape}", (rng.normal(size=shape), rng.normal(0, 3, size=shape)))

    return [
        Case("by hand: z = [0, 2, -2], dy = [1, 1, 1] (the slope at 0 is 1/2; the slopes at 2 and -2 add up to 1)",
             (np.ones(3), np.array([0.0, 2.0, -2.0]))),
        random("dy and z", (4, 6)),
        random("NCHW dy and z", (2, 3, 4, 4)),
        Case("far out: z = -1000, -40, 40, 1000, dy = 1 (the slope tends to 0 on the left and 1 on the right)",
             (np.ones(4), np.array([-1000.0, -40.0, 40.0, 1000.0]))),
        Case("float32 dy and z (the result stays float32)",
             (rng.normal(size=(3, 5)).astype(np.float32), rng.normal(0, 3, size=(3, 5)).astype(np.float32))),
    ]


def _silu_reference(dy, z):
    return silu_backward(dy, z)


register(Question(
    name="silu_backward",
    function="silu_backward",
    chapter=6,
    forbidden=("cnnbook.activations.silu_backward",),
    reference=_silu_reference,
    cases=_silu_cases,
    atol=1e-6,  # float32: other correct formulas differ by a few ulps
    mistakes=(
        Mistake("the product rule lost its second term: SiLU(z) = z * sigma(z) has slope "
                "sigma(z) + z * sigma(z) * (1 - sigma(z)), not sigma(z) alone", lambda dy, z: dy * sigmoid(z)),
        Mistake("the product rule lost its first term: the slope is sigma(z) + z * sigma(z) * (1 - sigma(z)); "
                "the sigma(z) that multiplies dz/dz = 1 is missing",
                lambda dy, z: dy * z * sigmoid_backward(np.ones_like(z), z)),
        Mistake("this is the sigmoid's slope sigma(z) (1 - sigma(z)); SiLU multiplies the sigmoid by z, so its "
                "slope is sigma(z) + z * sigma(z) * (1 - sigma(z))", lambda dy, z: sigmoid_backward(dy, z)),
        Mistake("the factor z is missing from the second term: the slope is sigma(z) + z * sigma(z) * (1 - sigma(z))",
                lambda dy, z: dy * (sigmoid(z) + sigmoid_backward(np.ones_like(z), z))),
        Mistake("the upstream gradient dy is not used: dz = dy * (sigma(z) + z * sigma(z) * (1 - sigma(z)))",
                lambda dy, z: silu_backward(np.ones_like(dy), z)),
        Mistake(FLOAT64_RESULT, _as_float64(silu_backward)),
    ),
))

# --- prelu_backward(dy, z, weight) -> (dz, dweight) -------------------------------------------------------


def _prelu_cases() -> list[Case]:
    rng = np.random.default_rng(67)

    def random(name, shape, dtype=np.float64):
        weight = rng.uniform(-0.5, 1.5, size=shape[1]).astype(dtype)
        return Case(f"{name} {shape}, weight ({shape[1]},)",
                    (rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype), weight))

    with_zeros = rng.normal(size=(2, 2, 3, 3))
    with_zeros[rng.random(with_zeros.shape) < 0.25] = 0.0
    return [
        Case("by hand: z = [[-2, 3], [4, -1]], dy = [[1, 2], [3, 4]], weight = [0.1, 0.5] "
             "(dz = [[0.1, 2], [3, 2]], dweight = [-2, -4])",
             (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[-2.0, 3.0], [4.0, -1.0]]), np.array([0.1, 0.5]))),
        random("random dense dy and z", (5, 3)),
        random("random NCHW dy and z", (2, 3, 4, 4)),
        random("random NCHW dy and z with as many columns as channels", (2, 3, 5, 3)),
        Case("NCHW z (2, 2, 3, 3), a quarter of it exactly 0 (at 0 the slope is the weight's), weight [0.25, -0.5]",
             (rng.normal(size=(2, 2, 3, 3)), with_zeros, np.array([0.25, -0.5]))),
        random("one channel: NCHW dy and z", (3, 1, 4, 4)),
        random("float32 dy, z and weight (the results stay float32): NCHW", (2, 3, 4, 4), np.float32),
    ]


def _prelu_reference(dy, z, weight):
    return prelu_backward(dy, z, weight)


def _channel_axes(z):
    return tuple(axis for axis in range(z.ndim) if axis != 1)


def _per_channel(weight, z):
    return weight.reshape((1, -1) + (1,) * (z.ndim - 2))


def _prelu_dz(dy, z, weight):
    return prelu_backward(dy, z, weight)[0]


def _prelu_dweight(dy, z, weight):
    return prelu_backward(dy, z, weight)[1]


register(Question(
    name="prelu_backward",
    function="prelu_backward",
    chapter=6,
    forbidden=("cnnbook.activations.prelu_backward",),
    reference=_prelu_reference,
    cases=_prelu_cases,
    output_names=("dz", "dweight"),
    atol=1e-6,  # float32 sums
    mistakes=(
        Mistake("dweight was not summed: each channel's slope is shared by every example and every position, so "
                "its gradient is the sum of dy * min(z, 0) over all axes but the channel axis 1",
                lambda dy, z, weight: (_prelu_dz(dy, z, weight), dy * np.minimum(z, 0))),
        Mistake("dweight was summed over every axis, channels included: each channel has its own slope, so sum over "
                "all axes but axis 1 and return one number per channel",
                lambda dy, z, weight: (_prelu_dz(dy, z, weight), np.sum(dy * np.minimum(z, 0)))),
        Mistake("dweight counts the positive inputs too: da/dweight = min(z, 0), which is 0 where z > 0, so sum "
                "dy * min(z, 0), not dy * z", lambda dy, z, weight: (
                    _prelu_dz(dy, z, weight), np.sum(dy * z, axis=_channel_axes(z)))),
        Mistake("dweight does not use dy: the chain rule multiplies da/dweight = min(z, 0) by the upstream "
                "gradient dy before summing", lambda dy, z, weight: (
                    _prelu_dz(dy, z, weight), np.sum(np.minimum(z, 0), axis=_channel_axes(z)).astype(dy.dtype))),
        Mistake("dweight was computed from the output a = prelu(z) instead of the input z: where z <= 0, a is "
                "weight * z, so the sum picks up an extra factor weight; da/dweight is z there, not a",
                lambda dy, z, weight: (_prelu_dz(dy, z, weight), weight * _prelu_dweight(dy, z, weight))),
        Mistake("dweight was computed as the sum of dy * min(a, 0) with the output a = prelu(z) instead of the input "
                "z: min(a, 0) is weight * min(z, 0) for a positive weight and 0 for a negative one; use min(z, 0)",
                lambda dy, z, weight: (_prelu_dz(dy, z, weight), np.sum(
                    dy * np.minimum(prelu(z, weight), 0), axis=_channel_axes(z)).astype(dy.dtype))),
        Mistake("the slope was applied to the positive side of dz: dz = dy where z > 0 and weight * dy where z <= 0",
                lambda dy, z, weight: (np.where(z > 0, _per_channel(weight, z) * dy, dy),
                                       _prelu_dweight(dy, z, weight))),
        Mistake("dz passes nothing on the negative side: that is ReLU's backward; PReLU passes weight * dy there",
                lambda dy, z, weight: (dy * (z > 0), _prelu_dweight(dy, z, weight))),
        Mistake("at z = 0 exactly dz passed the full gradient: like PyTorch, the book uses the negative side's "
                "slope there, so the test is z > 0, not z >= 0",
                lambda dy, z, weight: (np.where(z >= 0, dy, _per_channel(weight, z) * dy),
                                       _prelu_dweight(dy, z, weight))),
        Mistake("the weight was broadcast along the last axis: it belongs to axis 1 (channels); reshape it to "
                "(1, C, 1, 1) for NCHW arrays", lambda dy, z, weight: (
                    np.where(z > 0, dy, weight * dy), _prelu_dweight(dy, z, weight))),
        Mistake(FLOAT64_RESULT, lambda dy, z, weight: tuple(
            part.astype(np.float64) for part in prelu_backward(dy, z, weight))),
    ),
))
