"""The convolutional layer: fast kernels vs the readable reference, gradients, contract."""

from __future__ import annotations

import functools
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnbook as cb
from cnnbook import conv

# Every test here runs twice: on the numba kernels and on the NumPy path that small calls take.
pytestmark = pytest.mark.usefixtures("kernel_path")

# (name, x shape, w shape, stride, padding, with bias)
EDGE_CASES = [
    ("stride 1, no padding", (2, 3, 7, 7), (4, 3, 3, 3), 1, 0, True),
    ("padding 1", (2, 3, 7, 7), (4, 3, 3, 3), 1, 1, False),
    ("padding 2, stride 2 not dividing H+2p-R", (1, 2, 8, 8), (3, 2, 3, 3), 2, 2, True),
    ("stride 3 dividing neither axis", (2, 2, 10, 9), (3, 2, 2, 3), 3, 1, False),
    ("stride larger than the kernel", (2, 2, 9, 9), (2, 2, 2, 2), 3, 0, True),
    ("non-square kernel, stride and padding", (2, 3, 9, 11), (2, 3, 3, 2), (2, 3), (1, 2), True),
    ("1x1 kernel", (2, 4, 5, 6), (3, 4, 1, 1), 1, 0, False),
    ("1x1 kernel, stride 2, padding 1", (1, 3, 5, 5), (2, 3, 1, 1), 2, 1, True),
    ("kernel equals the padded input", (2, 2, 4, 5), (3, 2, 6, 7), 1, 1, True),
    ("kernel equals the input", (1, 3, 5, 5), (2, 3, 5, 5), 1, 0, False),
    ("one channel, one filter", (1, 1, 6, 6), (1, 1, 3, 3), 1, 0, True),
    ("C > K", (2, 5, 6, 6), (2, 5, 3, 3), 1, 1, False),
    ("9 filters, 4 channels, padding 1", (3, 4, 9, 10), (9, 4, 3, 3), 1, 1, True),
    ("33 filters, stride (2, 1), padding (1, 0)", (2, 3, 6, 7), (33, 3, 3, 2), (2, 1), (1, 0), True),
    ("more samples than chunks", (11, 2, 5, 5), (4, 2, 2, 2), 1, 0, False),
    ("long windows, strided", (2, 5, 9, 8), (9, 5, 4, 4), (2, 1), (1, 2), True),
    ("stride 1, padding (2, 4)", (3, 6, 7, 9), (5, 6, 3, 5), 1, (2, 4), True),
    ("padding as large as the kernel", (2, 5, 4, 4), (8, 5, 3, 3), 1, 3, False),
    ("many samples on small maps: several per product, short last group", (37, 3, 4, 4), (6, 3, 3, 3), 1, 1, True),
    ("windows of 128 numbers, padding (1, 0)", (2, 8, 7, 6), (6, 8, 4, 4), 1, (1, 0), True),
    ("15 filters, padding (1, 2)", (3, 5, 7, 9), (15, 5, 3, 3), 1, (1, 2), False),
    ("strided input gradient, 18 filters, stride 2, padding 2", (2, 3, 9, 8), (18, 3, 3, 3), 2, 2, True),
    ("1x1 stride 2 shortcut, 16 filters", (3, 5, 6, 7), (16, 5, 1, 1), 2, 0, False),
    ("strided, stride (3, 2), kernel as wide as the padded input", (2, 2, 7, 4), (17, 2, 3, 6), (3, 2), (1, 1), True),
    ("1x1 kernel on maps of 272 pixels: the image is its own window matrix", (3, 3, 16, 17), (5, 3, 1, 1), 1, 0, True),
    ("1x1 kernel, many samples on small maps: pixels side by side", (20, 3, 3, 3), (4, 3, 1, 1), 1, 0, False),
    ("a large map in two blocks of rows, the second shorter", (2, 2, 25, 21), (3, 2, 3, 3), 1, 1, True),
    ("a large map in blocks of rows, strided", (2, 3, 50, 47), (4, 3, 3, 3), 2, 1, False),
    ("1x1 kernel on a large map: pixels in blocks of rows", (2, 3, 24, 24), (5, 3, 1, 1), 1, 0, True),
    ("a large map without padding, in blocks of rows", (2, 2, 30, 30), (3, 2, 3, 3), 1, 0, False),
    ("one sample without padding, as one product", (1, 2, 20, 19), (4, 2, 3, 2), 1, 0, True),
]
CASE_IDS = [case[0] for case in EDGE_CASES]


def max_relative_diff(actual, expected) -> float:
    """``max |actual - expected| / max |expected|``: the error relative to the array's scale."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    return float(np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300))


@functools.lru_cache(maxsize=None)
def case_data(index: int):
    """Inputs (rounded to float32, so both dtypes see the same numbers) and the reference's outputs."""
    _, x_shape, w_shape, stride, padding, with_bias = EDGE_CASES[index]
    rng = np.random.default_rng(index)
    x, w, b = (rng.standard_normal(shape).astype(np.float32) for shape in (x_shape, w_shape, w_shape[:1]))
    b = b if with_bias else None
    y = cb.conv2d_reference(x.astype(np.float64), w.astype(np.float64), b, stride, padding)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    grads = cb.conv2d_backward_reference(dy.astype(np.float64), x.astype(np.float64), w.astype(np.float64),
                                         stride, padding)
    return (x, w, b, dy, stride, padding), (y, *grads)


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("index", range(len(EDGE_CASES)), ids=CASE_IDS)
def test_fast_matches_reference(index, dtype, tolerance):
    (x, w, b, dy, stride, padding), expected = case_data(index)
    x, w, dy = x.astype(dtype), w.astype(dtype), dy.astype(dtype)
    b = None if b is None else b.astype(dtype)
    y = cb.conv2d(x, w, b, stride=stride, padding=padding)
    dx, dw, db = cb.conv2d_backward(dy, x, w, stride=stride, padding=padding)
    for name, actual, reference in zip(("y", "dx", "dw", "db"), (y, dx, dw, db), expected):
        assert actual.dtype == dtype, name
        assert max_relative_diff(actual, reference) < tolerance, name


def test_edge_cases_take_every_path():
    """Each kernel choice in :mod:`cnnbook._conv_kernels` is made by some edge case, for each source of
    the windows (copied from a padded copy of the sample, copied from the sample, its pixels read in
    place): several samples per product, one whole sample, a block of rows."""
    kernels, paths = conv.kernels, set()
    for _, (N, _, H, W), (K, C, R, S), stride, padding, _ in EDGE_CASES:
        (sh, sw), (ph, pw) = np.broadcast_to(stride, 2), np.broadcast_to(padding, 2)
        P, Q = cb.conv_output_size(H, R, sh, ph), cb.conv_output_size(W, S, sw, pw)
        samples, rows = kernels.product_shape(P, Q)
        shape = "several samples" if min(N, samples) > 1 else "one sample" if rows == P else "rows"
        source = "pixels" if kernels.windows_are_pixels(R, S, sh, sw, ph, pw) else "padded" if ph or pw else "sample"
        paths.add((shape, source))
    assert paths == {(shape, source) for shape in ("several samples", "one sample", "rows")
                     for source in ("padded", "sample", "pixels")}


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    N=st.integers(1, 3), C=st.integers(1, 3), K=st.integers(1, 3),
    R=st.integers(1, 4), S=st.integers(1, 4),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
)
def test_fast_matches_reference_on_random_shapes(data, N, C, K, R, S, stride, padding):
    H = data.draw(st.integers(max(1, R - 2 * padding[0]), 9), label="H")
    W = data.draw(st.integers(max(1, S - 2 * padding[1]), 9), label="W")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x, w, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((K, C, R, S)), rng.standard_normal(K)
    y = cb.conv2d(x, w, b, stride, padding)
    assert max_relative_diff(y, cb.conv2d_reference(x, w, b, stride, padding)) < 1e-10
    dy = rng.standard_normal(y.shape)
    fast = cb.conv2d_backward(dy, x, w, stride, padding)
    reference = cb.conv2d_backward_reference(dy, x, w, stride, padding)
    for actual, expected in zip(fast, reference):
        assert max_relative_diff(actual, expected) < 1e-10


GRADIENT_CASES = [
    ((2, 2, 5, 6), (3, 2, 3, 2), 1, 1),
    ((1, 2, 8, 7), (2, 2, 3, 3), (2, 3), (2, 1)),  # strides divide neither H+2p-R nor W+2p-S
    ((2, 1, 4, 4), (2, 1, 4, 4), 1, 0),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", GRADIENT_CASES)
@pytest.mark.parametrize("backward", ["fast", "reference"])
def test_backward_matches_numerical_gradient(x_shape, w_shape, stride, padding, backward, rng):
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    dy = rng.standard_normal(cb.conv2d(x, w, b, stride, padding).shape)
    grad_fn = cb.conv2d_backward if backward == "fast" else cb.conv2d_backward_reference
    dx, dw, db = grad_fn(dy, x, w, stride, padding)
    # The layer is linear in each argument, so the centred difference has no
    # truncation error and a large step only makes the rounding error smaller.
    h = 1e-2
    assert cb.rel_error(dx, cb.numerical_gradient(lambda v: cb.conv2d(v, w, b, stride, padding), x, dy, h)) < 1e-7
    assert cb.rel_error(dw, cb.numerical_gradient(lambda v: cb.conv2d(x, v, b, stride, padding), w, dy, h)) < 1e-7
    assert cb.rel_error(db, cb.numerical_gradient(lambda v: cb.conv2d(x, w, v, stride, padding), b, dy, h)) < 1e-7


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((3, 2), (0, 2))])
def test_backward_is_the_adjoint_of_forward(stride, padding, rng):
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 2))
    y = cb.conv2d(x, w, stride=stride, padding=padding)
    g = rng.standard_normal(y.shape)
    dx, dw, _ = cb.conv2d_backward(g, x, w, stride, padding)
    # conv2d is bilinear: <conv2d(x, w), g> = <x, dx(g)> = <w, dw(g)>.
    assert np.vdot(y, g) == pytest.approx(np.vdot(x, dx), rel=1e-12)
    assert np.vdot(y, g) == pytest.approx(np.vdot(w, dw), rel=1e-12)


def test_worked_example_by_hand():
    X = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    F = np.array([[1.0, 0], [-1, 2]])
    dO = np.array([[1.0, 2], [-1, 3]])  # dL/dO, given
    # O[i, j] = X[i, j]*F[0, 0] + X[i, j+1]*F[0, 1] + X[i+1, j]*F[1, 0] + X[i+1, j+1]*F[1, 1]
    O = np.array([[1 + 0 - 4 + 10, 2 + 0 - 5 + 12],
                  [4 + 0 - 7 + 16, 5 + 0 - 8 + 18]])
    # dL/dF = X correlated with dL/dO: dF[r, s] = sum_ij X[i+r, j+s] * dO[i, j]
    dF = np.array([[1 * 1 + 2 * 2 + 4 * -1 + 5 * 3, 2 * 1 + 3 * 2 + 5 * -1 + 6 * 3],
                   [4 * 1 + 5 * 2 + 7 * -1 + 8 * 3, 5 * 1 + 6 * 2 + 8 * -1 + 9 * 3]])
    # dL/dX = full convolution: slide rot180(F) = [[2, -1], [0, 1]] over dO padded by one zero:
    #   0  0  0  0
    #   0  1  2  0
    #   0 -1  3  0
    #   0  0  0  0
    dX = np.array([[1 * 1, 1 * 0 + 2 * 1, 2 * 0],
                   [1 * -1 + -1 * 1, 1 * 2 + 2 * -1 + -1 * 0 + 3 * 1, 2 * 2 + 3 * 0],
                   [-1 * -1, -1 * 2 + 3 * -1, 3 * 2]])
    np.testing.assert_array_equal(O, [[7, 9], [13, 15]])
    np.testing.assert_array_equal(dF, [[16, 21], [31, 36]])
    np.testing.assert_array_equal(dX, [[1, 2, 0], [-2, 3, 4], [1, -5, 6]])

    def as_layer(a):  # one image, one channel
        return a[None, None]

    np.testing.assert_allclose(cb.conv2d(as_layer(X), as_layer(F))[0, 0], O, rtol=1e-14)
    dx, dw, db = cb.conv2d_backward(as_layer(dO), as_layer(X), as_layer(F))
    np.testing.assert_allclose(dw[0, 0], dF, rtol=1e-14)
    np.testing.assert_allclose(dx[0, 0], dX, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(db, [dO.sum()])
    np.testing.assert_allclose(cb.correlate2d(X, dO), dF)
    np.testing.assert_allclose(cb.convolve2d(dO, F, mode="full"), dX, atol=1e-14)


def test_output_sizes_of_the_book_examples(rng):
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    w = rng.standard_normal((16, 3, 5, 5)).astype(np.float32)
    assert cb.conv2d(x, w).shape == (2, 16, 28, 28)

    # seed 003's chain: 5x5 conv P=1 S=2 -> 99; 3x3 max pool P=0 S=1 -> 97; 3x3 conv P=1 S=1 with two filters -> 97x97x2
    image = rng.standard_normal((1, 3, 200, 200))
    y = cb.conv2d(image, rng.standard_normal((4, 3, 5, 5)), stride=2, padding=1)
    assert y.shape == (1, 4, 99, 99)
    y = cb.max_pool2d(y, kernel_size=3, stride=1)
    assert y.shape == (1, 4, 97, 97)
    y = cb.conv2d(y, rng.standard_normal((2, 4, 3, 3)), stride=1, padding=1)
    assert y.shape == (1, 2, 97, 97)


def test_empty_batch():
    y = cb.conv2d(np.zeros((0, 2, 5, 5)), np.ones((3, 2, 3, 3)))
    assert y.shape == (0, 3, 3, 3)
    dx, dw, db = cb.conv2d_backward(y, np.zeros((0, 2, 5, 5)), np.ones((3, 2, 3, 3)))
    assert dx.shape == (0, 2, 5, 5) and not dw.any() and not db.any()


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((3, 4, 12, 11), (5, 4, 3, 3), (1, 2), 1),
    ((19, 8, 10, 10), (32, 8, 3, 3), (1, 2), 1),
    ((13, 8, 10, 10), (12, 8, 3, 3), 1, 1),
    ((70, 16, 4, 4), (32, 16, 3, 3), 1, 1),  # several chunks, each of several groups of samples
    ((9, 16, 16, 16), (24, 16, 1, 1), 1, 0),  # 1x1: each image is its own window matrix
    ((3, 8, 30, 30), (6, 8, 3, 3), 1, 1),  # large maps: products over blocks of rows
])
def test_results_are_identical_across_runs_and_thread_counts(x_shape, w_shape, stride, padding, rng):
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)

    def run():
        y = cb.conv2d(x, w, b, stride=stride, padding=padding)
        return (y, *cb.conv2d_backward(np.cos(y), x, w, stride=stride, padding=padding))

    threads = cb.get_num_threads()
    first, second = run(), run()
    try:
        cb.set_num_threads(1)
        single = run()
    finally:
        cb.set_num_threads(threads)
    for a, b_, c in zip(first, second, single):
        np.testing.assert_array_equal(a, b_)
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("x, kernel, stride, padding", [
    (np.random.default_rng(1).standard_normal((2, 8, 12, 10)).transpose(0, 1, 3, 2), 3, 2, 1),  # not C-contiguous
    (np.random.default_rng(2).standard_normal((3, 8, 16, 16)), 1, 1, 0),  # read in place by the 1x1 kernels
], ids=["strided 3x3", "1x1"])
def test_inputs_are_not_modified_and_outputs_are_fresh(x, kernel, stride, padding, rng):
    w = rng.standard_normal((3, 8, kernel, kernel))
    b = rng.standard_normal(3)
    dy = rng.standard_normal(cb.conv2d(x, w, b, stride, padding).shape)
    copies = [a.copy() for a in (x, w, b, dy)]
    y = cb.conv2d(x, w, b, stride=stride, padding=padding)
    grads = cb.conv2d_backward(dy, x, w, stride=stride, padding=padding)
    for original, copy in zip((x, w, b, dy), copies):
        np.testing.assert_array_equal(original, copy)
    for out in (y, *grads):
        assert out.flags.c_contiguous and out.flags.writeable
        assert not any(np.shares_memory(out, a) for a in (x, w, b, dy))
    np.testing.assert_allclose(y, cb.conv2d_reference(x, w, b, stride, padding), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "x_dtype, w_dtype, b_dtype, expected",
    [
        (np.float32, np.float32, np.float32, np.float32),
        (np.float64, np.float64, None, np.float64),
        (np.float32, np.float64, None, np.float64),
        (np.float32, np.float32, np.float64, np.float64),
        (np.int64, np.float32, None, np.float64),
        (np.int32, np.int32, np.int8, np.float64),
        (np.bool_, np.bool_, None, np.float64),
    ],
)
def test_dtype_rules(x_dtype, w_dtype, b_dtype, expected):
    x = np.arange(2 * 2 * 5 * 5).reshape(2, 2, 5, 5).astype(x_dtype)
    w = np.ones((3, 2, 3, 3), dtype=w_dtype)
    b = None if b_dtype is None else np.ones(3, dtype=b_dtype)
    y = cb.conv2d(x, w, b)
    assert y.dtype == expected
    np.testing.assert_allclose(y, cb.conv2d_reference(x.astype(np.float64), w.astype(np.float64), b), rtol=1e-6)
    grads = cb.conv2d_backward(np.ones(y.shape, dtype=x_dtype), x, w)
    both_float32 = x_dtype == w_dtype == np.float32
    assert {g.dtype for g in grads} == {np.dtype(np.float32 if both_float32 else np.float64)}


def test_backward_dtype_follows_all_three_inputs():
    x, w = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 2, 2), np.float32)
    assert {g.dtype for g in cb.conv2d_backward(np.ones((1, 1, 3, 3), np.float32), x, w)} == {np.dtype(np.float32)}
    assert {g.dtype for g in cb.conv2d_backward(np.ones((1, 1, 3, 3)), x, w)} == {np.dtype(np.float64)}


X, W = np.zeros((2, 3, 8, 8)), np.zeros((6, 3, 5, 5))
BAD_FORWARD = [
    (dict(x=np.zeros((3, 8, 8))), ValueError, "conv2d: x must be 4-D (N, C, H, W); got shape (3, 8, 8)"),
    (dict(w=np.zeros((6, 3, 5))), ValueError, "conv2d: w must be 4-D (K, C, R, S); got shape (6, 3, 5)"),
    (dict(w=np.zeros((6, 1, 5, 5))), ValueError,
     "conv2d: x has 3 channels but w expects 1 (x (2, 3, 8, 8), w (6, 1, 5, 5))"),
    (dict(w=np.zeros((6, 3, 9, 5))), ValueError, "conv2d: kernel (9, 5) is larger than the padded input (8, 8)"),
    (dict(w=np.zeros((6, 3, 9, 5)), padding=(0, 1)), ValueError,
     "conv2d: kernel (9, 5) is larger than the padded input (8, 10)"),
    (dict(x=np.zeros((2, 3, 0, 8))), ValueError, "conv2d: x and w must not be empty"),
    (dict(stride=0), ValueError, "conv2d: stride must be >= 1; got 0"),
    (dict(stride=(1, 0)), ValueError, "conv2d: stride must be >= 1; got (1, 0)"),
    (dict(stride=1.5), TypeError, "conv2d: stride must be an int or a pair of ints"),
    (dict(stride=(1, 2, 3)), TypeError, "conv2d: stride must be an int or a pair of ints"),
    (dict(padding=-1), ValueError, "conv2d: padding must be >= 0; got -1"),
    (dict(b=np.zeros(5)), ValueError, "conv2d: b must have shape (6,) (one bias per filter of w (6, 3, 5, 5)); got (5,)"),
    (dict(b=np.zeros((6, 1))), ValueError, "conv2d: b must have shape (6,)"),
    (dict(x=X.astype(complex)), TypeError, "conv2d: x must hold real numbers"),
    (dict(w=np.full(W.shape, "a")), TypeError, "conv2d: w must hold real numbers"),
    (dict(b=np.array([None] * 6)), TypeError, "conv2d: b must hold real numbers"),
]


@pytest.mark.parametrize("changes, error, message", BAD_FORWARD, ids=[m for _, _, m in BAD_FORWARD])
def test_bad_forward_arguments_are_explained(changes, error, message):
    arguments = dict(x=X, w=W, b=None, stride=1, padding=0) | changes
    with pytest.raises(error, match="^" + re.escape(message)):
        cb.conv2d(**arguments)


DY = np.zeros((2, 6, 4, 4))
BAD_BACKWARD = [
    (dict(dy=np.zeros((2, 6, 5, 4))), ValueError,
     "conv2d_backward: dy must have shape (2, 6, 4, 4) (the output of conv2d for x (2, 3, 8, 8), w (6, 3, 5, 5), "
     "stride (1, 1), padding (0, 0)); got (2, 6, 5, 4)"),
    (dict(dy=np.zeros((6, 4, 4))), ValueError, "conv2d_backward: dy must have shape (2, 6, 4, 4)"),
    (dict(x=np.zeros((2, 8, 8))), ValueError, "conv2d_backward: x must be 4-D"),
    (dict(w=np.zeros((6, 2, 5, 5))), ValueError, "conv2d_backward: x has 3 channels but w expects 2"),
    (dict(padding=(0, -2)), ValueError, "conv2d_backward: padding must be >= 0"),
    (dict(stride=-1), ValueError, "conv2d_backward: stride must be >= 1"),
    (dict(dy=DY.astype(np.complex64)), TypeError, "conv2d_backward: dy must hold real numbers"),
]


@pytest.mark.parametrize("changes, error, message", BAD_BACKWARD, ids=[m for _, _, m in BAD_BACKWARD])
def test_bad_backward_arguments_are_explained(changes, error, message):
    arguments = dict(dy=DY, x=X, w=W, stride=1, padding=0) | changes
    with pytest.raises(error, match="^" + re.escape(message)):
        cb.conv2d_backward(**arguments)


def test_nan_and_inf_propagate_like_the_reference(rng):
    x, w = rng.standard_normal((2, 2, 7, 7)), rng.standard_normal((3, 2, 3, 3))
    x[1, 0, 3, 4] = np.nan
    x[0, 1, 2, 2] = np.inf
    y = cb.conv2d(x, w, padding=1)
    expected = cb.conv2d_reference(x, w, padding=1)
    assert np.isnan(y).any() and np.isinf(y).any()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)

    dy = rng.standard_normal(y.shape)
    dy[0, 2, 5, 1] = np.nan
    x = np.nan_to_num(x)
    for fast, reference in zip(cb.conv2d_backward(dy, x, w, 1, 1), cb.conv2d_backward_reference(dy, x, w, 1, 1)):
        assert np.isnan(fast).any()
        np.testing.assert_array_equal(np.isnan(fast), np.isnan(reference))


def test_benchmark_quick_mode_prints_the_expected_table():
    result = subprocess.run(
        [sys.executable, "-m", "cnnbook.bench", "--quick"], capture_output=True, text=True, timeout=120, check=True
    )
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("tiny")]
    assert any("cnnbook" in row for row in rows)
    assert any("numpy im2col" in row for row in rows)
    assert any("torch" in row for row in rows) or any("torch" in line and "skipped" in line for line in lines)
    assert any(line.startswith("sgemm float32") for line in lines)
    assert any(line.startswith("start-up") for line in lines)


@pytest.mark.parametrize("index", range(len(EDGE_CASES)), ids=CASE_IDS)
def test_backward_without_the_input_gradient(index):
    """``input_grad=False``: dx is None, dw and db are exactly those of the full backward pass."""
    (x, w, b, dy, stride, padding), _ = case_data(index)
    dx, dw, db = cb.conv2d_backward(dy, x, w, stride=stride, padding=padding)
    none, dw_only, db_only = cb.conv2d_backward(dy, x, w, stride=stride, padding=padding, input_grad=False)
    assert none is None
    np.testing.assert_array_equal(dw_only, dw)
    np.testing.assert_array_equal(db_only, db)


@pytest.mark.parametrize("index", range(len(EDGE_CASES)), ids=CASE_IDS)
def test_kernels_read_nothing_left_in_their_scratch(index):
    """The buffers are reused from call to call (``_conv_kernels.buffers``): filled with NaN first,
    they must change no result, so every kernel writes (or zeroes) what it reads."""
    (x, w, b, dy, stride, padding), expected = case_data(index)
    kernels = conv.kernels
    kernels._scratch_bytes(1 << 22)[:] = 0xFF  # NaN in both float dtypes
    actual = (cb.conv2d(x, w, b, stride, padding), *cb.conv2d_backward(dy, x, w, stride, padding))
    for name, value, reference in zip(("y", "dx", "dw", "db"), actual, expected):
        assert max_relative_diff(value, reference) < 1e-4, name


def test_a_thread_keeps_a_bounded_scratch(monkeypatch):
    import threading

    kernels = conv.kernels
    monkeypatch.setattr(kernels, "MAX_KEPT_SCRATCH", 1 << 20)
    monkeypatch.setattr(kernels, "_scratch", threading.local())  # this thread's scratch starts empty
    kept = kernels._scratch_bytes(1 << 10)
    assert kernels._scratch_bytes(1 << 9) is kept  # reused
    large = kernels._scratch_bytes((1 << 20) + 1)
    assert large is not kept and large.size > (1 << 20) and kernels._scratch_bytes(1 << 10) is kept
    x, w = np.ones((2, 3, 200, 200)), np.ones((4, 3, 3, 3))  # two padded samples alone: 2 MB, not kept
    np.testing.assert_allclose(cb.conv2d(x, w, None, 1, 1), cb.conv2d_reference(x, w, None, 1, 1))
    assert kernels._scratch_bytes(1 << 10) is kept


def test_threads_calling_at_once_each_get_their_own_scratch():
    from concurrent.futures import ThreadPoolExecutor

    cases = [case_data(index) for index in range(len(EDGE_CASES))] * 3
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda case: cb.conv2d_backward(case[0][3], *case[0][:2], *case[0][4:]), cases))
    for ((x, w, b, dy, stride, padding), expected), (dx, dw, db) in zip(cases, results):
        assert max_relative_diff(dx, expected[1]) < 1e-4 and max_relative_diff(dw, expected[2]) < 1e-4


def test_chunks_depend_on_the_shapes_only():
    """The backward pass's chunks (and so its sums) follow from N and the layer's size, never the threads."""
    kernels = conv.kernels
    assert kernels.backward_chunks(32, 16 * 9 * 64, 64) == 1  # the LeNet's first layer: too little work to split
    assert kernels.backward_chunks(32, 32 * 144 * 16, 16) == 2  # its second: 2 chunks of 16 samples, 256 windows each
    assert kernels.backward_chunks(64, 64 * 288 * 1024, 1024) == kernels.CHUNKS
    assert kernels.backward_chunks(0, 100, 100) == kernels.forward_chunks(0, 100) == 1


def test_insert_zeros2d_spreads_entries_stride_apart_and_explains_bad_input():
    from cnnbook.spatial import insert_zeros2d

    dy = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    out = insert_zeros2d(dy, (2, 3))
    assert out.shape == (1, 1, 3, 7) and np.array_equal(out[..., ::2, ::3], dy) and out.sum() == dy.sum()
    assert np.array_equal(insert_zeros2d(dy, 2), insert_zeros2d(dy, (2, 2)))      # an int means both axes
    assert np.array_equal(insert_zeros2d(dy, 1), dy) and insert_zeros2d(dy, 1) is not dy
    with pytest.raises(ValueError, match="insert_zeros2d: stride must be >= 1"):
        insert_zeros2d(dy, (0, 1))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        insert_zeros2d(np.ones(3), 2)


def test_backward_reference_names_zero_insertion_not_dilation():
    import inspect

    source = inspect.getsource(cb.conv2d_backward_reference)
    assert "zero insertion" in source and "dilat" not in source.lower()
