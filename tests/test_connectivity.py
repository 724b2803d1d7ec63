"""Parameter counts, receptive fields, and the locally connected layer (tied = convolution)."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.teaching.connectivity import (
    connected_units,
    conv_multiply_adds,
    conv_parameter_count,
    dense_multiply_adds,
    dense_parameter_count,
    format_bytes,
    layer_lengths,
    locally_connected2d,
    locally_connected2d_backward,
    locally_connected_parameter_count,
    parameter_bytes,
    receptive_field,
    receptive_field_extents,
    receptive_field_growth,
    share_weights,
    shared_weight_gradient,
)

# ----------------------------------------------------------------- parameter counts


def test_parameter_counts_of_the_chapter_example():
    # 200x200x3 in, 16 maps of 5x5 filters with "same" padding out (16x200x200 units)
    assert dense_parameter_count(200 * 200 * 3, 16 * 200 * 200) == 120_000 * 640_000 + 640_000
    assert locally_connected_parameter_count((3, 200, 200), 16, 5, padding=2) == 200 * 200 * 16 * (75 + 1)
    assert conv_parameter_count(3, 16, 5) == 16 * 75 + 16 == 1216
    assert conv_parameter_count(3, 16, 5, bias=False) == 1200
    assert parameter_bytes(1216) == 4864 and parameter_bytes(1216, np.float64) == 9728


def test_locally_connected_count_matches_the_arrays_it_needs():
    x_shape, K, kernel, stride, padding = (2, 9, 7), 4, (3, 2), (2, 1), (1, 0)
    P = cb.conv_output_size(9, 3, 2, 1)
    Q = cb.conv_output_size(7, 2, 1, 0)
    assert locally_connected_parameter_count(x_shape, K, kernel, stride, padding) == P * Q * K * (2 * 3 * 2) + K * P * Q
    # without weight sharing the count grows with the image; with it, it does not
    small = locally_connected_parameter_count((3, 32, 32), 8, 3)
    big = locally_connected_parameter_count((3, 64, 64), 8, 3)
    assert big > 4 * small * 0.9 and conv_parameter_count(3, 8, 3) == 8 * 28


def test_format_bytes():
    assert format_bytes(999) == "999 B"
    assert format_bytes(4864) == "4.9 kB"
    assert format_bytes(194_560_000) == "194.6 MB"
    assert format_bytes(307_202_560_000) == "307.2 GB"


@pytest.mark.parametrize("call, message", [
    (lambda: dense_parameter_count(0, 3), "dense_parameter_count: in_features must be an int >= 1; got 0"),
    (lambda: conv_parameter_count(3, 2.5, 3), "conv_parameter_count: out_channels must be an int >= 1"),
    (lambda: locally_connected_parameter_count((3, 4), 2, 3), r"input_shape must be \(C, H, W\)"),
    (lambda: locally_connected_parameter_count((3, 4, 4), 2, 5), r"kernel \(5, 5\) is larger than the padded input"),
    (lambda: parameter_bytes(-1), "parameter_bytes: count must be an int >= 0"),
])
def test_parameter_count_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------- multiply-adds


def test_multiply_adds_of_source_002s_example():
    # 32x32x3 in, 16 filters of 5x5x3 -> 28x28x16: 16*3*5*5 products at each of 28*28 positions
    assert conv_multiply_adds((3, 32, 32), 16, 5) == 16 * 75 * 784 == 940_800
    assert dense_multiply_adds(3 * 32 * 32, 16 * 28 * 28) == 3072 * 12544
    # weight sharing cuts parameters, not multiply-adds: 784 uses of each shared weight
    assert conv_multiply_adds((3, 32, 32), 16, 5) == 784 * conv_parameter_count(3, 16, 5, bias=False)


@pytest.mark.parametrize("x_shape, K, kernel, stride, padding", [
    ((3, 9, 8), 4, (3, 2), (2, 1), 1),
    ((2, 7, 7), 3, 3, 3, (0, 2)),
    ((1, 5, 6), 2, 1, 1, 0),
])
def test_multiply_adds_count_the_products_with_ones(x_shape, K, kernel, stride, padding):
    """With every input (padding included) and weight equal to 1, the outputs add up to the products."""
    C, H, W = x_shape
    R, S = (kernel, kernel) if isinstance(kernel, int) else kernel
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    ones = np.ones((1, C, H + 2 * ph, W + 2 * pw))
    counted = cb.conv2d(ones, np.ones((K, C, R, S)), stride=stride).sum()
    assert conv_multiply_adds(x_shape, K, kernel, stride, padding) == counted
    P, Q = cb.conv2d(ones, np.ones((K, C, R, S)), stride=stride).shape[2:]
    assert locally_connected2d(ones, np.ones((P, Q, K, C, R, S)), stride=stride).sum() == counted


@pytest.mark.parametrize("call, message", [
    (lambda: dense_multiply_adds(0, 3), "dense_multiply_adds: in_features must be an int >= 1; got 0"),
    (lambda: conv_multiply_adds((3, 4, 4), 0, 3), "conv_multiply_adds: out_channels must be an int >= 1"),
    (lambda: conv_multiply_adds((3, 4), 2, 3), r"conv_multiply_adds: input_shape must be \(C, H, W\)"),
    (lambda: conv_multiply_adds((3, 4, 4), 2, 5), r"kernel \(5, 5\) is larger than the padded input"),
])
def test_multiply_add_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------- receptive fields


def test_receptive_field_equals_the_kernel_for_one_layer_only():
    assert receptive_field([(5, 1)]) == 5
    assert [g.size for g in receptive_field_growth([(3, 1)] * 4)] == [1, 3, 5, 7, 9]
    # stride (or a 2x2 pool) doubles the growth of everything above it
    assert [g.size for g in receptive_field_growth([(3, 2)] * 4)] == [1, 3, 7, 15, 31]
    assert [g.jump for g in receptive_field_growth([(3, 2)] * 4)] == [1, 2, 4, 8, 16]
    assert receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)]) == 5 + 1 * 1 + 4 * 2 + 1 * 2 == 16
    assert receptive_field([]) == 1


def test_closed_form():
    rng = np.random.default_rng(3)
    for _ in range(20):
        layers = [(int(k), int(s)) for k, s in zip(rng.integers(1, 6, 4), rng.integers(1, 4, 4))]
        jumps = np.cumprod([1] + [s for _, s in layers[:-1]])
        assert receptive_field(layers) == 1 + sum((k - 1) * j for (k, _), j in zip(layers, jumps))


def _influence_1d(layers, n, index):
    """Brute force: which input pixels change unit `index` on top (random positive weights, perturbation)."""
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 1.5, k) for k, _ in layers]

    def forward(v):
        for (k, s), w in zip(layers, weights):
            v = np.array([v[i * s : i * s + k] @ w for i in range((len(v) - k) // s + 1)])
        return v[index]

    base = np.zeros(n)
    return [p for p in range(n) if forward(np.eye(n)[p]) != forward(base)]


@pytest.mark.parametrize("layers", [[(3, 1)], [(3, 1), (3, 1)], [(3, 2), (2, 2), (3, 1)], [(5, 3), (1, 1), (4, 2)]])
def test_extents_match_brute_force(layers):
    n = receptive_field(layers) + 3 * receptive_field_growth(layers)[-1].jump + 2
    top = layer_lengths(n, layers)[-1]
    for index in (0, top // 2, top - 1):
        start, stop = receptive_field_extents(layers, index, input_length=n)[0]
        assert _influence_1d(layers, n, index) == list(range(start, stop))
        assert stop - start == receptive_field(layers)


def test_extents_of_every_layer():
    assert receptive_field_extents([(3, 1), (3, 2)], index=1) == [(2, 7), (2, 5), (1, 2)]
    assert layer_lengths(10, [(3, 1), (2, 2)]) == [10, 8, 4]


@pytest.mark.parametrize("layers", [[(3, 1)], [(1, 2), (3, 1)], [(2, 3), (2, 3)], [(3, 1), (1, 2), (3, 1)],
                                    [(1, 3), (1, 1), (4, 2)], [(3, 2), (2, 2)]])
def test_connected_units_match_brute_force(layers):
    n = receptive_field(layers) + 3 * receptive_field_growth(layers)[-1].jump + 2
    top = layer_lengths(n, layers)[-1]
    for index in (0, top // 2, top - 1):
        pixels = connected_units(layers, index)[0]
        assert list(pixels) == _influence_1d(layers, n, index)
        start, stop = receptive_field_extents(layers, index)[0]
        assert pixels[0] == start and pixels[-1] == stop - 1       # the span runs from the first to the last


def test_connected_units_fill_the_span_exactly_when_no_gap_survives():
    assert connected_units([(1, 2), (3, 1)], 2) == [(4, 6, 8), (2, 3, 4), (2,)]
    assert connected_units([(3, 1), (1, 2), (3, 1)], 0)[0] == tuple(range(7))   # a gap filled again further down
    rng = np.random.default_rng(4)
    for _ in range(50):
        layers = [(int(k), int(s)) for k, s in zip(rng.integers(1, 5, 3), rng.integers(1, 4, 3))]
        pixels = connected_units(layers, 1)[0]
        start, stop = receptive_field_extents(layers, 1)[0]
        if all(k >= s for k, s in layers):
            assert pixels == tuple(range(start, stop))               # the theorem: no holes
        assert set(pixels) <= set(range(start, stop))
    with pytest.raises(ValueError, match="connected_units: index must be an int >= 0"):
        connected_units([(3, 1)], -1)


def test_receptive_field_errors():
    with pytest.raises(ValueError, match=r"receptive_field_growth: layer 2 must be a \(kernel, stride\) pair"):
        receptive_field_growth([(3, 1), (3, 0)])
    with pytest.raises(TypeError, match="layers must be a sequence of"):
        receptive_field(3)
    with pytest.raises(ValueError, match="index 8 is outside the top layer, which has 8 units"):
        receptive_field_extents([(3, 1)], 8, input_length=10)
    with pytest.raises(ValueError, match="layer 2 has kernel 5 but its input has only 4 units"):
        layer_lengths(6, [(3, 1), (5, 1)])


# ----------------------------------------------------------------- locally connected layer

CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((1, 2, 8, 9), (3, 2, 3, 2), (2, 1), (1, 2)),
    ((3, 1, 6, 6), (2, 1, 1, 1), 3, 1),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES)
def test_tied_locally_connected_layer_is_a_convolution(x_shape, w_shape, stride, padding, rng):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    y = cb.conv2d(x, w, b, stride=stride, padding=padding)
    P, Q = y.shape[2:]
    w_tied = share_weights(w, (P, Q))
    b_tied = np.broadcast_to(b[:, None, None], (len(b), P, Q))
    assert w_tied.shape == (P, Q) + w.shape
    np.testing.assert_allclose(locally_connected2d(x, w_tied, b_tied, stride, padding), y, rtol=0, atol=1e-12)

    dy = rng.normal(size=y.shape)
    dx, dw, db = cb.conv2d_backward(dy, x, w, stride, padding)
    dx_l, dw_l, db_l = locally_connected2d_backward(dy, x, w_tied, stride, padding)
    np.testing.assert_allclose(dx_l, dx, atol=1e-12)
    np.testing.assert_allclose(shared_weight_gradient(dw_l), dw, atol=1e-12)
    np.testing.assert_allclose(db_l.sum(axis=(1, 2)), db, atol=1e-12)
    # the copies' gradients really differ: only their sum is the convolution's
    if P * Q > 1:
        assert not np.allclose(dw_l, dw_l[:1, :1])


def test_untied_layer_against_finite_differences(rng):
    x = rng.normal(size=(2, 2, 5, 6))
    w = rng.normal(size=(2, 3, 3, 2, 3, 2))  # P=2, Q=3 with stride (2, 2)
    b = rng.normal(size=(3, 2, 3))
    y = locally_connected2d(x, w, b, stride=2)
    dy = rng.normal(size=y.shape)
    dx, dw, db = locally_connected2d_backward(dy, x, w, stride=2)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda v: locally_connected2d(v, w, b, 2), x, dy)) < 1e-6
    assert cb.rel_error(dw, cb.numerical_gradient(lambda v: locally_connected2d(x, v, b, 2), w, dy)) < 1e-6
    assert cb.rel_error(db, cb.numerical_gradient(lambda v: locally_connected2d(x, w, v, 2), b, dy)) < 1e-6


def test_dtypes_and_inputs_untouched(rng):
    x = rng.normal(size=(1, 2, 4, 4)).astype(np.float32)
    w = rng.normal(size=(2, 2, 3, 2, 3, 3)).astype(np.float32)
    x0, w0 = x.copy(), w.copy()
    y = locally_connected2d(x, w)
    assert y.dtype == np.float32
    dx, dw, db = locally_connected2d_backward(np.ones_like(y), x, w)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    assert np.array_equal(x, x0) and np.array_equal(w, w0)
    assert locally_connected2d(np.ones((1, 1, 3, 3), int), np.ones((1, 1, 1, 1, 3, 3), int)).dtype == np.float64
    with pytest.raises(TypeError, match="locally_connected2d: x must hold real numbers"):
        locally_connected2d(x.astype(complex), w)


def test_locally_connected_errors(rng):
    x = rng.normal(size=(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"w must be 6-D \(P, Q, K, C, R, S\); got shape \(3, 2, 3, 3\)"):
        locally_connected2d(x, np.ones((3, 2, 3, 3)))
    with pytest.raises(ValueError, match="x has 2 channels but w expects 1"):
        locally_connected2d(x, np.ones((3, 3, 1, 1, 3, 3)))
    with pytest.raises(ValueError, match="w has filters for 2x2 output positions but .* gives 3x3"):
        locally_connected2d(x, np.ones((2, 2, 1, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"b must have shape \(1, 3, 3\)"):
        locally_connected2d(x, np.ones((3, 3, 1, 2, 3, 3)), b=np.ones(1))
    with pytest.raises(ValueError, match=r"dy must have shape \(1, 1, 3, 3\)"):
        locally_connected2d_backward(np.ones((1, 1, 2, 2)), x, np.ones((3, 3, 1, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"share_weights: w must be 4-D"):
        share_weights(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match=r"shared_weight_gradient: dw_local must be 6-D"):
        shared_weight_gradient(np.ones((2, 3, 3, 3)))


def test_share_weights_gives_independent_copies():
    w = np.arange(4.0).reshape(1, 1, 2, 2)
    w_tied = share_weights(w, (2, 3))
    w_tied[0, 0] += 1
    assert np.array_equal(w, np.arange(4.0).reshape(1, 1, 2, 2)) and np.array_equal(w_tied[1, 2], w)
