"""Tests of cnnbook.activations: values, derivatives against finite differences,
numerical stability, dtypes and argument checking."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnbook as cb

SLOPE = 0.2  # a non-default slope, so that a function ignoring the argument fails

def _scalar_sigmoid(z):
    """sigma(z) for one float, choosing the form whose exponent is <= 0."""
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _scalar_gelu_tanh(z):
    """0.5 z (1 + tanh u) = z sigma(2u), the second form keeping its digits for negative z."""
    u = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
    return z * _scalar_sigmoid(2 * u)


# name -> (forward, backward, the scalar definition to compare with)
ACTIVATIONS = {
    "sigmoid": (cb.sigmoid, cb.sigmoid_backward, lambda z: 1 / (1 + math.exp(-z))),
    "tanh": (cb.tanh, cb.tanh_backward, math.tanh),
    "relu": (cb.relu, cb.relu_backward, lambda z: max(z, 0.0)),
    "leaky_relu": (
        lambda x: cb.leaky_relu(x, negative_slope=SLOPE),
        lambda dy, x: cb.leaky_relu_backward(dy, x, negative_slope=SLOPE),
        lambda z: z if z > 0 else SLOPE * z,
    ),
    "gelu": (cb.gelu, cb.gelu_backward, lambda z: z * 0.5 * math.erfc(-z / math.sqrt(2))),
    "gelu_tanh": (
        lambda x: cb.gelu(x, approximate="tanh"),
        lambda dy, x: cb.gelu_backward(dy, x, approximate="tanh"),
        _scalar_gelu_tanh,
    ),
    "silu": (cb.silu, cb.silu_backward, lambda z: z * _scalar_sigmoid(z)),
    "prelu": (
        lambda x: cb.prelu(x, SLOPE),
        lambda dy, x: cb.prelu_backward(dy, x, SLOPE)[0],
        lambda z: z if z > 0 else SLOPE * z,
    ),
}
NAMES = list(ACTIVATIONS)
SLOPE_CROSSES_ZERO = {"gelu", "gelu_tanh", "silu"}   # their slopes dip below 0 for negative inputs


def away_from_zero(shape, rng, low=0.1, high=2.0):
    """Values with |x| in [low, high] and random signs.

    Away from 0, no finite-difference step crosses the kink of relu; below 2 the
    derivatives of sigmoid and tanh stay large enough (> 0.07) that rounding in
    the finite differences stays far below the 1e-7 tolerance.
    """
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("name", NAMES)
def test_values_match_the_scalar_definition(name):
    forward, _, scalar = ACTIVATIONS[name]
    x = np.array([-30.0, -3.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 3.0, 30.0])
    np.testing.assert_allclose(forward(x), [scalar(v) for v in x], rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_finite_differences(name):
    forward, backward, _ = ACTIVATIONS[name]
    rng = np.random.default_rng(0)
    x = away_from_zero((2, 3, 4, 5), rng)
    dy = away_from_zero(x.shape, rng, low=0.5, high=1.5)
    analytic, numeric = backward(dy, x), cb.numerical_gradient(forward, x, dy)
    if name in SLOPE_CROSSES_ZERO:   # an entry's relative error means nothing where its slope is ~0
        np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)
    else:
        assert cb.rel_error(analytic, numeric) < 1e-7


def test_derivatives_at_known_points():
    x = np.array([-2.0, 0.0, 2.0])
    ones = np.ones(3)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(cb.sigmoid_backward(ones, x), s * (1 - s), rtol=1e-14)
    assert cb.sigmoid_backward(np.ones(1), np.zeros(1))[0] == 0.25  # s(0) = 1/2, so s(1-s) = 1/4
    np.testing.assert_allclose(cb.tanh_backward(ones, x), 1 / np.cosh(x) ** 2, rtol=1e-14)
    assert cb.tanh_backward(np.ones(1), np.zeros(1))[0] == 1.0
    # The kink at 0: relu'(0) = 0 and leaky_relu'(0) = slope, as PyTorch takes them.
    assert np.array_equal(cb.relu_backward(ones, x), [0.0, 0.0, 1.0])
    assert np.array_equal(cb.leaky_relu_backward(ones, x, negative_slope=SLOPE), [SLOPE, SLOPE, 1.0])
    assert np.array_equal(cb.leaky_relu_backward(ones, x), [0.01, 0.01, 1.0])


def test_backward_takes_the_input_not_the_output():
    # Given z, sigmoid'(z) = s(1 - s) with s = sigmoid(z); a backward that took the
    # output would compute z(1 - z) instead (and 1 - z**2 for tanh).
    z = np.array([1.5])
    s, t = 1 / (1 + np.exp(-z)), np.tanh(z)
    assert cb.sigmoid_backward(np.ones(1), z) == pytest.approx(s * (1 - s), rel=1e-14)
    assert cb.tanh_backward(np.ones(1), z) == pytest.approx(1 - t**2, rel=1e-14)
    assert cb.sigmoid_backward(np.ones(1), z) != pytest.approx(z * (1 - z))
    assert cb.tanh_backward(np.ones(1), z) != pytest.approx(1 - z**2)


def test_leaky_relu_default_slope_is_0_01():
    x = np.array([-2.0, 3.0])
    assert np.array_equal(cb.leaky_relu(x), [-0.02, 3.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    x = np.array([-1000.0, -100.0, -40.0, 0.0, 40.0, 100.0, 1000.0, -np.inf, np.inf], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        s = cb.sigmoid(x)
        ds = cb.sigmoid_backward(np.ones_like(x), x)
    assert s.dtype == dtype and ds.dtype == dtype
    assert np.array_equal(s[[0, 3, 6, 7, 8]], [0.0, 0.5, 1.0, 0.0, 1.0])
    # Relative accuracy in the far negative tail: sigmoid(-40) = e^-40 / (1 + e^-40).
    if dtype == np.float64:
        assert s[2] == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-14)
    assert np.all(np.isfinite(ds)) and np.all(ds >= 0)


def test_nan_propagates_through_the_forward_functions():
    x = np.array([np.nan, 1.0])
    for forward, _, _ in ACTIVATIONS.values():
        y = forward(x)
        assert np.isnan(y[0]) and not np.isnan(y[1])


@settings(max_examples=50, deadline=None)
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, max_side=4), elements=st.floats(-50, 50)),
    name=st.sampled_from(NAMES),
)
def test_any_shape_is_elementwise(x, name):
    forward, backward, scalar = ACTIVATIONS[name]
    y = np.asarray(forward(x))
    assert y.shape == x.shape
    np.testing.assert_allclose(y.reshape(-1), [scalar(v) for v in x.reshape(-1)], rtol=1e-12, atol=1e-300)
    assert np.asarray(backward(np.ones_like(x), x)).shape == x.shape


# ---------------------------------------------------------------- dtypes and inputs


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int32, np.float64),
        (np.uint8, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_dtype_rules(name, dtype, expected):
    forward, backward, _ = ACTIVATIONS[name]
    x = np.array([[-2, 0], [1, 3]]).astype(dtype)
    assert forward(x).dtype == expected
    assert backward(np.ones_like(x), x).dtype == expected


@pytest.mark.parametrize("name", NAMES)
def test_backward_of_mixed_dtypes_is_float64(name):
    _, backward, _ = ACTIVATIONS[name]
    x32, dy64 = np.array([-1.0, 2.0], np.float32), np.array([1.0, 1.0])
    assert backward(dy64, x32).dtype == np.float64
    assert backward(dy64.astype(np.float32), x32.astype(np.float64)).dtype == np.float64


def test_float32_agrees_with_float64():
    rng = np.random.default_rng(1)
    x, dy = rng.standard_normal((3, 50)) * 5, rng.standard_normal((3, 50))
    for forward, backward, _ in ACTIVATIONS.values():
        np.testing.assert_allclose(forward(x.astype(np.float32)), forward(x), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            backward(dy.astype(np.float32), x.astype(np.float32)), backward(dy, x), rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_not_modified(name):
    forward, backward, _ = ACTIVATIONS[name]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 6))[:, ::2]  # a non-contiguous view
    dy = rng.standard_normal((4, 3))
    x_before, dy_before = x.copy(), dy.copy()
    forward(x)
    backward(dy, x)
    assert np.array_equal(x, x_before) and np.array_equal(dy, dy_before)


# ---------------------------------------------------------------- argument checks

FUNCTIONS = {
    "sigmoid": cb.sigmoid,
    "tanh": cb.tanh,
    "relu": cb.relu,
    "leaky_relu": cb.leaky_relu,
    "gelu": cb.gelu,
    "silu": cb.silu,
    "prelu": lambda x: cb.prelu(x, 0.25),
}
BACKWARDS = {
    "sigmoid_backward": cb.sigmoid_backward,
    "tanh_backward": cb.tanh_backward,
    "relu_backward": cb.relu_backward,
    "leaky_relu_backward": cb.leaky_relu_backward,
    "gelu_backward": cb.gelu_backward,
    "silu_backward": cb.silu_backward,
    "prelu_backward": lambda dy, x: cb.prelu_backward(dy, x, 0.25),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("bad_x", [np.zeros(3, complex), np.array(["a", "b"]), np.empty(2, object)])
def test_non_numeric_x_is_a_type_error(name, bad_x):
    with pytest.raises(TypeError, match=rf"^{name}: x must hold real numbers .*got dtype {bad_x.dtype}"):
        FUNCTIONS[name](bad_x)


@pytest.mark.parametrize("name", BACKWARDS)
def test_backward_argument_checks(name):
    backward = BACKWARDS[name]
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=rf"^{name}: dy must have shape \(2, 3\) \(the shape of x\); got \(3, 2\)"):
        backward(np.zeros((3, 2)), x)
    with pytest.raises(TypeError, match=rf"^{name}: dy must hold real numbers .*got dtype complex128"):
        backward(np.zeros((2, 3), complex), x)
    with pytest.raises(TypeError, match=rf"^{name}: x must hold real numbers .*got dtype <U1"):
        backward(np.zeros(2), np.array(["a", "b"]))


@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_backward"])
def test_negative_slope_is_checked(name):
    call = (lambda s: cb.leaky_relu(np.ones(2), s)) if name == "leaky_relu" else (
        lambda s: cb.leaky_relu_backward(np.ones(2), np.ones(2), s)
    )
    with pytest.raises(TypeError, match=rf"^{name}: negative_slope must be a real number; got '0.1'"):
        call("0.1")
    with pytest.raises(TypeError, match=rf"^{name}: negative_slope must be a real number; got True"):
        call(True)
    with pytest.raises(ValueError, match=rf"^{name}: negative_slope must be finite; got nan"):
        call(float("nan"))
    assert call(np.float32(0.5)).dtype == np.float64  # a NumPy scalar slope is accepted


def test_a_numpy_scalar_slope_does_not_change_float32_to_float64():
    x = np.array([-1.0, 1.0], np.float32)
    assert cb.leaky_relu(x, np.float64(0.1)).dtype == np.float32
    assert cb.leaky_relu_backward(x, x, np.float64(0.1)).dtype == np.float32


# ---------------------------------------------------------------- stable derivatives


def test_saturated_sigmoid_and_tanh_slopes_keep_their_digits():
    # sigmoid(37) rounds to 1 in float64, so s (1 - s) would be 0; the slope is e^-37 / (1 + e^-37)^2.
    assert cb.sigmoid(37.0) == 1.0
    assert cb.sigmoid_backward(1.0, 37.0) == pytest.approx(math.exp(-37) / (1 + math.exp(-37)) ** 2, rel=1e-13)
    assert cb.sigmoid_backward(1.0, -37.0) == pytest.approx(8.533047625744066e-17, rel=1e-12)
    # tanh(20) rounds to 1 as well; 1 - tanh^2 = 1 / cosh^2 = 4 e^-40 / (1 + e^-40)^2
    assert np.tanh(20.0) == 1.0
    assert cb.tanh_backward(1.0, 20.0) == pytest.approx(1 / math.cosh(20.0) ** 2, rel=1e-13)
    assert cb.tanh_backward(np.float32(1), np.float32(12)) == pytest.approx(1 / math.cosh(12.0) ** 2, rel=1e-5)


# ---------------------------------------------------------------- GELU, SiLU and PReLU against PyTorch's formulas
# PyTorch is not a dependency: its formulas (aten's GeluKernel, silu and prelu kernels) are written out here.


def torch_gelu(x, approximate="none"):
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + np.tanh(inner))
    return x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def torch_gelu_backward(dy, x, approximate="none"):
    if approximate == "tanh":
        beta, kappa = math.sqrt(2) * (2 / math.sqrt(math.pi)) * 0.5, 0.044715
        t = np.tanh(beta * (x + kappa * x**3))
        left_derivative = 0.5 * (1 + t)
        right_derivative = 0.5 * x * (1 - t * t) * beta * (1 + 3 * kappa * x * x)
        return dy * (left_derivative + right_derivative)
    cdf = 0.5 * (1 + np.vectorize(math.erf)(x * math.sqrt(0.5)))
    pdf = (2 / math.sqrt(math.pi)) * math.sqrt(0.5) * 0.5 * np.exp(-0.5 * x * x)
    return dy * (cdf + x * pdf)


def torch_silu_backward(dy, x):
    s = 1 / (1 + np.exp(-x))
    return dy * s * (1 + x * (1 - s))


def torch_prelu_backward(dy, x, weight):
    w = weight.reshape((1, -1) + (1,) * (x.ndim - 2)) if weight.size > 1 else weight.reshape(())
    dx = np.where(x > 0, dy, w * dy)
    per_entry = np.where(x > 0, 0.0, x * dy)
    axes = tuple(a for a in range(x.ndim) if a != 1) if weight.size > 1 else None
    return dx, per_entry.sum(axis=axes).reshape(weight.shape)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_pytorchs_formulas(approximate):
    x = np.linspace(-6, 6, 241)
    dy = np.random.default_rng(3).normal(size=x.shape)
    # torch's "1 + erf" and "1 + tanh" cancel for negative x: compare with an absolute floor there
    np.testing.assert_allclose(cb.gelu(x, approximate), torch_gelu(x, approximate), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(cb.gelu_backward(dy, x, approximate), torch_gelu_backward(dy, x, approximate),
                               rtol=1e-12, atol=1e-14)


def test_silu_and_prelu_match_pytorchs_formulas():
    rng = np.random.default_rng(4)
    x, dy = rng.normal(scale=3, size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(cb.silu(x), x / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(cb.silu_backward(dy, x), torch_silu_backward(dy, x), rtol=1e-13, atol=1e-15)
    for weight in (np.array([0.25]), np.array([0.1, -0.3, 1.5])):
        w = weight.reshape((1, -1, 1, 1)) if weight.size > 1 else weight
        np.testing.assert_allclose(cb.prelu(x, weight), np.where(x > 0, x, w * x), rtol=1e-15)
        dx, dweight = cb.prelu_backward(dy, x, weight)
        want_dx, want_dweight = torch_prelu_backward(dy, x, weight)
        np.testing.assert_allclose(dx, want_dx, rtol=1e-15)
        np.testing.assert_allclose(dweight, want_dweight, rtol=1e-13)
        assert dweight.shape == weight.shape


def test_gelu_known_values_and_tail():
    # Phi(1) = 0.8413447460685429..., Phi(-10) = 7.619853024160527e-24 (tables of the normal CDF)
    assert cb.gelu(1.0) == pytest.approx(0.8413447460685429, rel=1e-14)
    assert cb.gelu(-1.0) == pytest.approx(-0.15865525393145707, rel=1e-14)
    assert cb.gelu(-10.0) == pytest.approx(-10 * 7.619853024160527e-24, rel=1e-12)   # 1 + erf would give 0
    # the slope's extremes are at x = +-sqrt(2), where GELU'' = phi(x) (2 - x^2) vanishes; GELU'(x) + GELU'(-x) = 1
    top = cb.gelu_backward(1.0, math.sqrt(2))
    assert top == pytest.approx(0.5 * math.erfc(-1) + math.sqrt(2) * math.exp(-1) / math.sqrt(2 * math.pi), rel=1e-14)
    assert top + cb.gelu_backward(1.0, -math.sqrt(2)) == pytest.approx(1.0, rel=1e-15)
    assert cb.silu_backward(1.0, 2.0) + cb.silu_backward(1.0, -2.0) == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "prelu"])
def test_new_backwards_match_finite_differences_across_the_range(name):
    # entry by entry: each entry's own centred difference, so that tiny slopes far out keep their digits
    forward, backward, _ = ACTIVATIONS[name]
    rng = np.random.default_rng(5)
    x = rng.uniform(-8, 8, size=(3, 4, 5))
    x[np.abs(x) < 1e-3] = 0.5                       # prelu's kink
    h = 1e-5
    numeric = (forward(x + h) - forward(x - h)) / (2 * h)
    np.testing.assert_allclose(backward(np.ones_like(x), x), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("weight", [np.array([0.3]), np.array([0.1, 0.2, -0.4]), np.array(0.3)])
def test_prelu_weight_gradient_matches_finite_differences(weight):
    rng = np.random.default_rng(6)
    x, dy = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(2, 3, 4, 4))
    _, dweight = cb.prelu_backward(dy, x, weight)
    numeric = cb.numerical_gradient(lambda w: cb.prelu(x, w), weight.astype(float), dy)
    assert dweight.shape == weight.shape and cb.rel_error(dweight, numeric) < 1e-8


def test_prelu_shared_slope_is_the_sum_of_the_per_channel_gradients():
    rng = np.random.default_rng(7)
    x, dy = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 3, 5))
    _, per_channel = cb.prelu_backward(dy, x, np.full(3, 0.2))
    _, shared = cb.prelu_backward(dy, x, np.array([0.2]))
    _, python_number = cb.prelu_backward(dy, x, 0.2)
    assert shared.shape == (1,) and python_number.shape == ()
    assert shared[0] == pytest.approx(per_channel.sum(), rel=1e-14) == float(python_number)
    # the slope gets nothing from positive inputs
    _, none = cb.prelu_backward(dy, np.abs(x) + 0.1, np.full(3, 0.2))
    assert np.array_equal(none, np.zeros(3))


def test_prelu_on_a_one_dimensional_input_has_one_channel():
    x = np.array([-2.0, 3.0])
    assert np.array_equal(cb.prelu(x, np.array([0.5])), [-1.0, 3.0])
    dx, dw = cb.prelu_backward(np.ones(2), x, np.array([0.5]))
    assert np.array_equal(dx, [0.5, 1.0]) and np.array_equal(dw, [-2.0])


def test_prelu_weight_checks_and_dtypes():
    x = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r"^prelu: weight must be a number or have shape \(\), \(1,\) or \(3,\)"
                                          r".*got weight shape \(4,\) for x shape \(2, 3, 4\)"):
        cb.prelu(x, np.ones(4))
    with pytest.raises(ValueError, match=r"^prelu_backward: weight must .*got weight shape \(3, 1\)"):
        cb.prelu_backward(x, x, np.ones((3, 1)))
    with pytest.raises(TypeError, match=r"^prelu: weight must hold real numbers"):
        cb.prelu(x, "0.25")
    assert cb.prelu(x, 0.25).dtype == np.float32 and cb.prelu(x, np.float64(0.25)).dtype == np.float32
    assert cb.prelu(x, np.full(3, 0.25, np.float32)).dtype == np.float32
    assert cb.prelu(x, np.full(3, 0.25)).dtype == np.float64            # a float64 array weight counts
    dx, dw = cb.prelu_backward(x, x, np.full(3, 0.25, np.float32))
    assert dx.dtype == dw.dtype == np.float32
    weight = np.array([0.1, 0.2, 0.3])
    before = weight.copy()
    cb.prelu(np.ones((2, 3)), weight)
    cb.prelu_backward(np.ones((2, 3)), -np.ones((2, 3)), weight)
    assert np.array_equal(weight, before)


def test_gelu_approximate_is_checked():
    with pytest.raises(ValueError, match=r"^gelu: approximate must be 'none' or 'tanh'; got 'erf'"):
        cb.gelu(np.ones(2), approximate="erf")
    with pytest.raises(ValueError, match=r"^gelu_backward: approximate must be 'none' or 'tanh'; got None"):
        cb.gelu_backward(np.ones(2), np.ones(2), approximate=None)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_new_functions_are_stable_for_huge_inputs(dtype):
    x = np.array([-np.inf, -1e30, -1e4, -1000.0, 1000.0, 1e4, 1e30, np.inf], dtype=dtype)
    ones = np.ones_like(x)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for approximate in ("none", "tanh"):
            y, dy = cb.gelu(x, approximate), cb.gelu_backward(ones, x, approximate)
            assert y.dtype == dy.dtype == dtype
            assert np.array_equal(y, np.maximum(x, 0)) and np.array_equal(dy, (x > 0).astype(dtype))
        y, dy = cb.silu(x), cb.silu_backward(ones, x)
        assert np.array_equal(y, np.maximum(x, 0)) and np.array_equal(dy, (x > 0).astype(dtype))
        y = cb.prelu(x, 0.25)
        assert np.array_equal(y, np.where(x > 0, x, 0.25 * x))
