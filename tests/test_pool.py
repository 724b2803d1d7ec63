"""Tests of cnnbook.pool: the numba kernels against the readable loops, gradients
against finite differences, hand-checked examples, and argument checking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnbook as cb

# Every test here runs twice: on the numba kernels and on the NumPy path that small calls take.
pytestmark = pytest.mark.usefixtures("kernel_path")

FAST = {"max": cb.max_pool2d, "avg": cb.avg_pool2d}
FAST_BACKWARD = {"max": cb.max_pool2d_backward, "avg": cb.avg_pool2d_backward}
REFERENCE = {"max": cb.max_pool2d_reference, "avg": cb.avg_pool2d_reference}
REFERENCE_BACKWARD = {"max": cb.max_pool2d_backward_reference, "avg": cb.avg_pool2d_backward_reference}
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-4}

# (N, C, H, W), kernel_size, stride, padding
EDGE_CASES = [
    ((1, 1, 4, 4), 2, None, 0),  # the textbook 2x2 / 2 pooling
    ((2, 3, 7, 7), 2, 2, 0),  # stride does not divide H - k
    ((2, 3, 8, 9), 3, 1, 0),  # overlapping windows, stride 1
    ((1, 2, 9, 8), 3, 2, 1),  # overlapping windows, stride 2, padding
    ((2, 1, 10, 11), 3, 3, 1),  # stride 3 that does not divide H + 2p - k
    ((1, 1, 6, 6), 5, 1, 2),  # large kernel, padding 2
    ((2, 2, 5, 7), (2, 3), (1, 2), (1, 0)),  # non-square kernel, stride and padding
    ((1, 3, 6, 5), (3, 1), (2, 1), (1, 0)),  # 3x1 kernel
    ((2, 2, 4, 5), (4, 5), 1, 0),  # kernel equal to the input: one window
    ((1, 2, 3, 4), (5, 6), 1, (1, 1)),  # kernel equal to the padded input
    ((3, 2, 1, 1), 1, 1, 0),  # 1x1 images, 1x1 kernel
]


def output_shape(x_shape, kernel_size, stride, padding):
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    (kh, kw), (ph, pw) = pair(kernel_size), pair(padding)
    sh, sw = pair(kernel_size if stride is None else stride)
    N, C, H, W = x_shape
    return (N, C, cb.conv_output_size(H, kh, sh, ph), cb.conv_output_size(W, kw, sw, pw))


def distinct_values(shape, rng, gap=0.1):
    """Distinct values at least ``gap`` apart, in random order: no ties in max pooling."""
    return rng.permutation(np.prod(shape)).reshape(shape) * gap - 1.0


def max_abs_difference(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))


# ---------------------------------------------------------------- fast == reference


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape, kernel_size, stride, padding", EDGE_CASES)
def test_fast_matches_reference_on_edge_cases(shape, kernel_size, stride, padding, kind, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    dy = rng.standard_normal(output_shape(shape, kernel_size, stride, padding)).astype(dtype)
    args = (kernel_size, stride, padding)
    y_fast, y_reference = FAST[kind](x, *args), REFERENCE[kind](x, *args)
    assert y_fast.shape == dy.shape
    assert max_abs_difference(y_fast, y_reference) < TOLERANCE[dtype]
    dx_fast, dx_reference = FAST_BACKWARD[kind](dy, x, *args), REFERENCE_BACKWARD[kind](dy, x, *args)
    assert dx_fast.shape == x.shape
    assert max_abs_difference(dx_fast, dx_reference) < TOLERANCE[dtype]


@st.composite
def pooling_problems(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 9))
    W = draw(st.integers(max(1, kw - 2 * pw), 9))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), H, W)
    integer_valued = draw(st.booleans())  # small integers: many ties
    return shape, (kh, kw), stride, (ph, pw), integer_valued, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=60, deadline=None)
@given(problem=pooling_problems(), kind=st.sampled_from(["max", "avg"]))
def test_fast_matches_reference_on_random_problems(problem, kind):
    shape, kernel_size, stride, padding, integer_valued, seed = problem
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(np.float64) if integer_valued else rng.standard_normal(shape)
    dy = rng.standard_normal(output_shape(shape, kernel_size, stride, padding))
    args = (kernel_size, stride, padding)
    assert max_abs_difference(FAST[kind](x, *args), REFERENCE[kind](x, *args)) < 1e-10
    assert max_abs_difference(FAST_BACKWARD[kind](dy, x, *args), REFERENCE_BACKWARD[kind](dy, x, *args)) < 1e-10


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("shape, kernel_size, stride, padding", EDGE_CASES[1:8])
def test_max_pool_backward_matches_finite_differences(shape, kernel_size, stride, padding):
    rng = np.random.default_rng(1)
    x = distinct_values(shape, rng)
    dy = rng.standard_normal(output_shape(shape, kernel_size, stride, padding))
    args = (kernel_size, stride, padding)
    numerical = cb.numerical_gradient(lambda x_: cb.max_pool2d(x_, *args), x, dy)
    assert cb.rel_error(cb.max_pool2d_backward(dy, x, *args), numerical) < 1e-7


@pytest.mark.parametrize("shape, kernel_size, stride, padding", EDGE_CASES[1:8])
def test_avg_pool_backward_matches_finite_differences(shape, kernel_size, stride, padding):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(output_shape(shape, kernel_size, stride, padding))
    args = (kernel_size, stride, padding)
    numerical = cb.numerical_gradient(lambda x_: cb.avg_pool2d(x_, *args), x, dy)
    assert cb.rel_error(cb.avg_pool2d_backward(dy, x, *args), numerical) < 1e-7


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape, kernel_size, stride, padding", EDGE_CASES)
def test_backward_is_the_adjoint_of_the_forward(shape, kernel_size, stride, padding, kind):
    # avg pooling is linear, so <avg(x), g> == <x, avg_backward(g)>. Max pooling
    # copies one input per window, so the same holds when padding never wins.
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal(shape), rng.standard_normal(output_shape(shape, kernel_size, stride, padding))
    args = (kernel_size, stride, padding)
    forward_side = np.sum(FAST[kind](x, *args) * g)
    backward_side = np.sum(x * FAST_BACKWARD[kind](g, x, *args))
    assert forward_side == pytest.approx(backward_side, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- hand-checked examples


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = np.array([[1, 1, 0, 2], [1, 0, 2, 2], [3, 3, 5, 5], [3, 3, 5, 5]])[None, None]
    dy = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    expected_dx = np.array([[1, 0, 0, 2], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])[None, None]
    assert np.array_equal(cb.max_pool2d(x, 2), [[[[1, 2], [3, 5]]]])
    for backward in (cb.max_pool2d_backward, cb.max_pool2d_backward_reference):
        assert np.array_equal(backward(dy, x, 2), expected_dx)


def test_max_pool_ties_with_overlapping_windows_add_up():
    # 2x2 windows, stride 1, over a 3x3 image: the 5 wins both top windows; the
    # all-zero bottom windows each send their gradient to their top-left cell.
    x = np.array([[0, 5, 0], [0, 0, 0], [0, 0, 0]])[None, None]
    dy = np.array([[1.0, 10.0], [100.0, 1000.0]])[None, None]
    expected_dx = np.array([[0, 11, 0], [100, 1000, 0], [0, 0, 0]])[None, None]
    for backward in (cb.max_pool2d_backward, cb.max_pool2d_backward_reference):
        assert np.array_equal(backward(dy, x, 2, stride=1), expected_dx)


def test_max_pool_never_selects_the_padding():
    x = -np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]  # all negative: a zero pad would win
    expected_y = -np.array([[1, 1, 2], [1, 1, 2], [3, 3, 4]])[None, None]
    assert np.array_equal(cb.max_pool2d(x, 2, stride=1, padding=1), expected_y)
    dy = np.ones((1, 1, 3, 3))
    expected_dx = np.array([[4.0, 2.0], [2.0, 1.0]])[None, None]  # all 9 gradients land on x
    assert np.array_equal(cb.max_pool2d_backward(dy, x, 2, stride=1, padding=1), expected_dx)


@pytest.mark.parametrize("shape, kernel_size, stride, padding", EDGE_CASES)
def test_max_pool_backward_conserves_the_total_with_or_without_padding(shape, kernel_size, stride, padding):
    """Every dy arrives in full at a real input (padding <= k/2 leaves no all-padding window)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=shape)
    dy = rng.normal(size=output_shape(shape, kernel_size, stride, padding))
    dx = cb.max_pool2d_backward(dy, x, kernel_size, stride, padding)
    np.testing.assert_allclose(dx.sum(axis=(2, 3)), dy.sum(axis=(2, 3)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape, kernel_size, stride, padding", EDGE_CASES)
def test_avg_pool_backward_passes_on_the_share_of_real_cells(shape, kernel_size, stride, padding):
    """Window (i, j) passes on dy * (real cells) / (kh * kw): the whole dy only without padding."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=shape)
    dy = rng.normal(size=output_shape(shape, kernel_size, stride, padding))
    dx = cb.avg_pool2d_backward(dy, x, kernel_size, stride, padding)
    real_share = cb.avg_pool2d(np.ones(shape), kernel_size, stride, padding)    # (real cells) / (kh * kw)
    np.testing.assert_allclose(dx.sum(axis=(2, 3)), (dy * real_share).sum(axis=(2, 3)), rtol=0, atol=1e-12)
    if padding == 0:
        np.testing.assert_allclose(dx.sum(axis=(2, 3)), dy.sum(axis=(2, 3)), rtol=0, atol=1e-12)


def test_avg_pool_divides_by_the_full_window_including_padding():
    x = np.ones((1, 1, 3, 3))
    # 3x3 windows, padding 1: a corner window holds 4 ones, an edge window 6, the centre 9.
    expected = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]])[None, None] / 9
    np.testing.assert_allclose(cb.avg_pool2d(x, 3, stride=1, padding=1), expected, rtol=1e-15)
    dy = np.ones((1, 1, 3, 3))
    # Each input lies in as many windows as there are ones around it in `expected * 9`.
    np.testing.assert_allclose(cb.avg_pool2d_backward(dy, x, 3, stride=1, padding=1), expected, rtol=1e-15)


def test_avg_pool_matches_the_formula_sum_over_kh_kw():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5, 6))
    kh, kw, ph, pw = 3, 2, 1, 1
    x_padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = cb.avg_pool2d(x, (kh, kw), stride=1, padding=(ph, pw))
    for i, j in [(0, 0), (2, 3), (y.shape[2] - 1, y.shape[3] - 1)]:
        expected = x_padded[:, :, i : i + kh, j : j + kw].sum(axis=(2, 3)) / (kh * kw)
        np.testing.assert_allclose(y[:, :, i, j], expected, rtol=1e-13)


def test_the_sources_example_99_to_97():
    # 3x3 pooling, padding 0, stride 1 on 99x99 gives 97x97.
    x = np.zeros((1, 2, 99, 99))
    assert cb.max_pool2d(x, 3, stride=1).shape == (1, 2, 97, 97)
    assert cb.avg_pool2d(x, 3, stride=1, padding=0).shape == (1, 2, 97, 97)


def test_stride_defaults_to_the_kernel_size():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    assert np.array_equal(cb.max_pool2d(x, 3), cb.max_pool2d(x, 3, stride=3))
    assert np.array_equal(cb.avg_pool2d(x, (2, 3)), cb.avg_pool2d(x, (2, 3), stride=(2, 3)))
    assert cb.max_pool2d(x, 3).shape == (1, 1, 2, 2)


# ---------------------------------------------------------------- NaN and infinities


def test_nan_propagates_to_every_window_that_contains_it():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 1, 1] = np.nan
    for pool in (cb.max_pool2d, cb.max_pool2d_reference, cb.avg_pool2d, cb.avg_pool2d_reference):
        y = pool(x, 2, stride=1)
        windows_with_nan = np.zeros((3, 3), bool)
        windows_with_nan[:2, :2] = True
        assert np.array_equal(np.isnan(y[0, 0]), windows_with_nan), pool.__name__


def test_max_pool_gradient_of_a_nan_window_goes_to_its_first_nan():
    x = np.array([[9.0, np.nan], [np.nan, 1.0]])[None, None]
    dy = np.array([[[[5.0]]]])
    expected_dx = np.array([[0.0, 5.0], [0.0, 0.0]])[None, None]
    for backward in (cb.max_pool2d_backward, cb.max_pool2d_backward_reference):
        assert np.array_equal(backward(dy, x, 2), expected_dx)


def test_minus_infinity_inputs_agree_with_the_reference():
    # An input of -inf ties with the -inf padding; both versions let the first cell
    # of the padded window win, as np.argmax does, and agree on every gradient.
    x = np.array([[-np.inf, -np.inf, 1.0], [-np.inf, -np.inf, 2.0], [0.0, -np.inf, -np.inf]])[None, None]
    dy = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y = cb.max_pool2d(x, 3, stride=1, padding=1)
    assert np.array_equal(y, cb.max_pool2d_reference(x, 3, stride=1, padding=1))
    np.testing.assert_array_equal(
        cb.max_pool2d_backward(dy, x, 3, stride=1, padding=1),
        cb.max_pool2d_backward_reference(dy, x, 3, stride=1, padding=1),
    )


# ---------------------------------------------------------------- dtypes, inputs, determinism


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (np.uint8, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_dtype_rules(kind, dtype, expected):
    x = (np.arange(32) % 5).reshape(1, 2, 4, 4).astype(dtype)
    dy = np.ones((1, 2, 2, 2), dtype=dtype)
    assert FAST[kind](x, 2).dtype == expected
    assert REFERENCE[kind](x, 2).dtype == expected
    assert FAST_BACKWARD[kind](dy, x, 2).dtype == expected
    assert REFERENCE_BACKWARD[kind](dy, x, 2).dtype == expected


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    "x_dtype, dy_dtype", [(np.float32, np.float64), (np.float64, np.float32), (np.float32, np.int32)]
)
def test_backward_of_mixed_dtypes_is_their_common_float_dtype(kind, x_dtype, dy_dtype):
    x, dy = np.ones((1, 2, 4, 4), x_dtype), np.ones((1, 2, 2, 2), dy_dtype)
    assert FAST_BACKWARD[kind](dy, x, 2).dtype == np.float64  # int dy is promoted to float64 first


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_integer_input_gives_the_same_numbers_as_float(kind):
    x = (np.arange(50) % 7).reshape(1, 2, 5, 5)
    np.testing.assert_array_equal(FAST[kind](x, 3, 2, 1), FAST[kind](x.astype(float), 3, 2, 1))


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_inputs_are_not_modified_and_views_are_read_correctly(kind):
    rng = np.random.default_rng(5)
    base = rng.standard_normal((2, 3, 10, 12))
    x = base[:, ::-1, 1::2, ::2]  # a non-contiguous view, (2, 3, 5, 6)
    dy = rng.standard_normal((2, 3, 6, 6)).transpose(0, 1, 3, 2)[:, :, :3, :3]
    x_before, dy_before = x.copy(), dy.copy()
    y = FAST[kind](x, 3, 2, 1)
    dx = FAST_BACKWARD[kind](dy, x, 3, 2, 1)
    assert np.array_equal(x, x_before) and np.array_equal(dy, dy_before)
    np.testing.assert_allclose(y, REFERENCE[kind](x_before, 3, 2, 1), rtol=0, atol=1e-14)
    np.testing.assert_allclose(dx, REFERENCE_BACKWARD[kind](dy_before, x_before, 3, 2, 1), rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_results_are_identical_run_to_run_and_across_thread_counts(kind):
    rng = np.random.default_rng(6)
    x = rng.integers(0, 4, (4, 3, 17, 15)).astype(np.float32)  # many ties
    args = (3, 2, 1)
    dy = rng.standard_normal(output_shape(x.shape, *args)).astype(np.float32)

    def run():
        return FAST[kind](x, *args), FAST_BACKWARD[kind](dy, x, *args)

    threads_before = cb.get_num_threads()
    try:
        cb.set_num_threads(1)
        one_thread = run()
        cb.set_num_threads(3)
        several_threads, again = run(), run()
    finally:
        cb.set_num_threads(threads_before)
    for a, b, c in zip(one_thread, several_threads, again):
        assert np.array_equal(a, b) and np.array_equal(b, c)


def test_empty_batch_and_empty_channels_give_empty_results():
    for shape in [(0, 3, 4, 4), (2, 0, 4, 4)]:
        x = np.zeros(shape)
        assert cb.max_pool2d(x, 2).shape == shape[:2] + (2, 2)
        assert cb.avg_pool2d_backward(np.zeros(shape[:2] + (2, 2)), x, 2).shape == shape


# ---------------------------------------------------------------- argument checks

ALL_FUNCTIONS = [
    ("max_pool2d", lambda x, *args: cb.max_pool2d(x, *args)),
    ("avg_pool2d", lambda x, *args: cb.avg_pool2d(x, *args)),
    ("max_pool2d_backward", lambda x, *args: cb.max_pool2d_backward(np.zeros((1, 1, 1, 1)), x, *args)),
    ("avg_pool2d_backward", lambda x, *args: cb.avg_pool2d_backward(np.zeros((1, 1, 1, 1)), x, *args)),
    ("max_pool2d_reference", lambda x, *args: cb.max_pool2d_reference(x, *args)),
]


@pytest.mark.parametrize("name, call", ALL_FUNCTIONS, ids=[name for name, _ in ALL_FUNCTIONS])
@pytest.mark.parametrize(
    "x_shape, args, error, message",
    [
        ((4, 4), (2,), ValueError, r"x must be 4-D \(N, C, H, W\); got shape \(4, 4\)"),
        ((1, 1, 1, 4, 4), (2,), ValueError, r"x must be 4-D .*got shape \(1, 1, 1, 4, 4\)"),
        ((1, 1, 4, 4), (5,), ValueError, r"kernel_size \(5, 5\) is larger than the padded input \(4, 4\)"),
        ((1, 1, 4, 4), ((2, 7), 1, 1), ValueError, r"kernel_size \(2, 7\) is larger than the padded input \(6, 6\)"),
        ((1, 1, 4, 4), (2, 0), ValueError, r"stride must be >= 1; got 0"),
        ((1, 1, 4, 4), (2, (1, -1)), ValueError, r"stride must be >= 1; got \(1, -1\)"),
        ((1, 1, 4, 4), (2, 1, -1), ValueError, r"padding must be >= 0; got -1"),
        ((1, 1, 4, 4), (3, 1, 2), ValueError, r"padding must be at most half of kernel_size.*got padding \(2, 2\)"),
        ((1, 1, 4, 4), ((2, 4), 1, (1, 3)), ValueError, r"padding must be .*\(1, 3\) for kernel_size \(2, 4\)"),
        ((1, 1, 0, 4), (1,), ValueError, r"x must have H >= 1 and W >= 1; got shape \(1, 1, 0, 4\)"),
        ((1, 1, 4, 4), (2.0,), TypeError, r"kernel_size must be an int or a pair of ints"),
        ((1, 1, 4, 4), ((2, 2, 2),), TypeError, r"kernel_size must be an int or a pair"),
        ((1, 1, 4, 4), (True,), TypeError, r"kernel_size must be an int"),
        ((1, 1, 4, 4), (2, 1.5), TypeError, r"stride must be an int or a pair"),
    ],
)
def test_bad_arguments_are_named_in_the_message(name, call, x_shape, args, error, message):
    with pytest.raises(error, match=rf"^{name}: {message}"):
        call(np.zeros(x_shape), *args)


@pytest.mark.parametrize("name, call", ALL_FUNCTIONS, ids=[name for name, _ in ALL_FUNCTIONS])
@pytest.mark.parametrize(
    "bad_x", [np.zeros((1, 1, 2, 2), complex), np.array([[[["a"]]]]), np.empty((1, 1, 2, 2), object)]
)
def test_non_numeric_x_is_a_type_error(name, call, bad_x):
    with pytest.raises(TypeError, match=rf"^{name}: x must hold real numbers .*got dtype {bad_x.dtype}"):
        call(bad_x, 1)


@pytest.mark.parametrize("backward", [cb.max_pool2d_backward, cb.avg_pool2d_backward])
def test_dy_must_have_the_forward_output_shape(backward):
    forward = backward.__name__.removesuffix("_backward")
    x = np.zeros((2, 3, 8, 8))
    with pytest.raises(
        ValueError,
        match=rf"^{backward.__name__}: dy must have shape \(2, 3, 4, 4\) \(the output of {forward} for x "
        r"\(2, 3, 8, 8\), kernel_size \(2, 2\), stride \(2, 2\), padding \(0, 0\)\); got \(2, 3, 3, 3\)",
    ):
        backward(np.zeros((2, 3, 3, 3)), x, 2)
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3, 7, 7\).*got \(3, 2, 7, 7\)"):
        backward(np.zeros((3, 2, 7, 7)), x, 2, stride=1)
    with pytest.raises(TypeError, match=rf"^{backward.__name__}: dy must hold real numbers"):
        backward(np.zeros((2, 3, 4, 4), complex), x, 2)


# ---------------------------------------------------------------- the 2x2 fast path and the layer's indices


@pytest.mark.parametrize("shape", [(3, 4, 8, 8), (2, 3, 5, 7), (1, 2, 2, 2)])
def test_side_by_side_2x2_path_matches_the_reference_with_ties_nan_and_inf(shape):
    """Windows 2x2, stride 2, no padding take their own path: first maximum, NaN and -inf as the general one."""
    rng = np.random.default_rng(7)
    x = rng.integers(-1, 2, shape).astype(np.float64)  # many ties
    x[rng.random(shape) < 0.1] = np.nan
    x[rng.random(shape) < 0.1] = -np.inf
    x[0, 0, :2, :2] = -np.inf  # a window of -inf only: its first cell takes the gradient
    y = cb.max_pool2d(x, 2)
    np.testing.assert_array_equal(y, cb.max_pool2d_reference(x, 2))
    dy = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(cb.max_pool2d_backward(dy, x, 2), cb.max_pool2d_backward_reference(dy, x, 2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(3, 4, 8, 8), (2, 3, 5, 7), (1, 2, 2, 2)])
def test_side_by_side_2x2_average_has_the_bits_of_the_general_order(shape, dtype):
    """2x2 windows at stride 2 take their own path for average pooling too: each sum in float64, in
    row-major order from +0.0, each share in float64, as the general loop (NumPy's functions follow it)."""
    from cnnbook import _numpy_kernels

    rng = np.random.default_rng(8)
    x = (rng.standard_normal(shape) * 10.0 ** rng.integers(-4, 5, shape)).astype(dtype)
    x[0, 0, :2, :2] = -0.0  # averages to +0.0: the sum starts at +0.0
    geometry = ((2, 2), (2, 2), (0, 0))
    y = cb.avg_pool2d(x, 2)
    assert not np.signbit(y[0, 0, 0, 0])
    assert y.tobytes() == _numpy_kernels.avg_pool2d(x, *geometry, y.shape[2:]).tobytes()
    dy = (rng.standard_normal(y.shape) * 10.0 ** rng.integers(-4, 5, y.shape)).astype(dtype)
    dx = cb.avg_pool2d_backward(dy, x, 2)
    assert dx.tobytes() == _numpy_kernels.avg_pool2d_backward(dy, x.shape, *geometry).tobytes()


@pytest.mark.parametrize("shape, kernel_size, stride, padding", EDGE_CASES + [((2, 3, 8, 8), 2, None, 0)])
def test_max_pool_layer_backward_from_indices_matches_the_functional_backward(shape, kernel_size, stride, padding):
    """MaxPool2d keeps where the maxima were; its dx equals max_pool2d_backward's, ties and NaN included."""
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, shape).astype(np.float32)
    x[rng.random(shape) < 0.05] = np.nan
    layer = cb.layers.MaxPool2d(kernel_size, stride, padding)
    y = layer.forward(x)
    np.testing.assert_array_equal(y, cb.max_pool2d(x, kernel_size, stride, padding))
    dy = rng.standard_normal(y.shape)  # float64: dx is float64 too, as in the functional backward
    dx = layer.backward(dy)
    expected = cb.max_pool2d_backward(dy, x, kernel_size, stride, padding)
    assert dx.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(dx, expected)
