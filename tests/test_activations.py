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
}
NAMES = list(ACTIVATIONS)


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
    assert cb.rel_error(backward(dy, x), cb.numerical_gradient(forward, x, dy)) < 1e-7


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
}
BACKWARDS = {
    "sigmoid_backward": cb.sigmoid_backward,
    "tanh_backward": cb.tanh_backward,
    "relu_backward": cb.relu_backward,
    "leaky_relu_backward": cb.leaky_relu_backward,
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
