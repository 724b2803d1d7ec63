"""The transposed convolution (chapter 4): reference vs fast, the adjoint of conv2d, sizes, contract."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.conv_transpose import (
    conv_input_sizes,
    conv_transpose2d,
    conv_transpose2d_reference,
    conv_transpose_output_size,
)

# (x shape of the convolution, w shape, stride, padding)
LAYERS = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 8), (4, 3, 3, 3), 2, 1),
    ((1, 2, 8, 8), (3, 2, 3, 3), 2, 0),
    ((2, 2, 10, 9), (3, 2, 2, 3), 3, 1),
    ((2, 3, 9, 11), (2, 3, 3, 2), (2, 3), (1, 2)),
    ((1, 3, 5, 5), (2, 3, 1, 1), 2, 1),
    ((2, 2, 9, 9), (2, 2, 2, 2), 3, 0),
]


def _pair(v):
    return (v, v) if isinstance(v, int) else v


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", LAYERS)
def test_it_is_the_input_gradient_of_conv2d(x_shape, w_shape, stride, padding, rng):
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    dy = rng.normal(size=cb.conv2d(x, w, stride=stride, padding=padding).shape)
    dx = cb.conv2d_backward(dy, x, w, stride=stride, padding=padding)[0]
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    op = (x_shape[2] - ((dy.shape[2] - 1) * sh - 2 * ph + w_shape[2]),
          x_shape[3] - ((dy.shape[3] - 1) * sw - 2 * pw + w_shape[3]))
    assert 0 <= op[0] < sh and 0 <= op[1] < sw
    fast = conv_transpose2d(dy, w, stride=stride, padding=padding, output_padding=op)
    readable = conv_transpose2d_reference(dy, w, stride=stride, padding=padding, output_padding=op)
    assert fast.shape == readable.shape == x.shape
    assert cb.rel_error(fast, dx) < 1e-12 and cb.rel_error(readable, dx) < 1e-12
    # the adjoint identity <conv2d(x), g> = <x, conv_transpose2d(g)>
    assert abs(np.sum(cb.conv2d(x, w, stride=stride, padding=padding) * dy) - np.sum(x * fast)) < 1e-9


def test_the_top_level_names_are_the_module_functions():
    assert cb.conv_transpose2d is conv_transpose2d and cb.conv_transpose2d_reference is conv_transpose2d_reference


def test_output_padding_picks_one_of_the_input_sizes(rng):
    w = rng.normal(size=(2, 1, 3, 3))
    g = rng.normal(size=(1, 2, 4, 4))
    assert conv_input_sizes(4, 3, 2, 1) == [7, 8]
    small = conv_transpose2d(g, w, stride=2, padding=1)
    large = conv_transpose2d(g, w, stride=2, padding=1, output_padding=1)
    assert small.shape[2:] == (7, 7) and large.shape[2:] == (8, 8)
    # the same numbers where both exist: the extra row and column are what the 7x7 case cropped as padding
    np.testing.assert_allclose(large[:, :, :7, :7], small, atol=1e-12)
    # without padding, the extra row is in no window: zero gradient
    no_pad = conv_transpose2d(g[:, :, :3, :3], w, stride=2, output_padding=1)
    assert no_pad.shape[2:] == (8, 8) and np.all(no_pad[:, :, 7, :] == 0) and np.all(no_pad[:, :, :, 7] == 0)


def test_bias_is_added_per_output_channel(rng):
    g, w, b = rng.normal(size=(2, 3, 3, 3)), rng.normal(size=(3, 2, 2, 2)), np.array([1.5, -2.0])
    for fn in (conv_transpose2d, conv_transpose2d_reference):
        shift = fn(g, w, b, stride=2) - fn(g, w, stride=2)
        np.testing.assert_allclose(shift, np.broadcast_to(b[None, :, None, None], (2, 2, 6, 6)))


def test_uneven_overlap_counts_the_windows_per_pixel():
    counts = conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2)
    assert counts.shape == (1, 1, 7, 7)
    np.testing.assert_array_equal(counts[0, 0, 0], [1, 1, 2, 1, 2, 1, 1])
    np.testing.assert_array_equal(counts[0, 0, 2], [2, 2, 4, 2, 4, 2, 2])


def test_dtype_rules_and_inputs_untouched(rng):
    g32, w32 = rng.normal(size=(1, 2, 3, 3)).astype(np.float32), rng.normal(size=(2, 1, 3, 3)).astype(np.float32)
    copies = g32.copy(), w32.copy()
    assert conv_transpose2d(g32, w32, stride=2).dtype == np.float32
    assert conv_transpose2d_reference(g32, w32, stride=2).dtype == np.float32
    assert conv_transpose2d(g32, w32.astype(np.float64)).dtype == np.float64
    assert conv_transpose2d(np.ones((1, 2, 2, 2), dtype=int), w32).dtype == np.float64
    assert np.array_equal(g32, copies[0]) and np.array_equal(w32, copies[1])


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((np.ones((1, 3, 2, 2)), np.ones((2, 1, 3, 3))), {}, ValueError, "x has 3 channels but w has 2 filters"),
    ((np.ones((3, 2, 2)), np.ones((2, 1, 3, 3))), {}, ValueError, r"x must be 4-D \(N, K, P, Q\)"),
    ((np.ones((1, 2, 2, 2)), np.ones((2, 1, 3, 3))), {"stride": 2, "output_padding": 2}, ValueError,
     "output_padding must be smaller than the stride"),
    ((np.ones((1, 2, 2, 2)), np.ones((2, 1, 3, 3))), {"padding": 3}, ValueError, "padding 3 is too large"),
    ((np.ones((1, 2, 2, 2)), np.ones((2, 1, 3, 3))), {"b": np.ones(2)}, ValueError, "b must have shape"),
    ((np.ones((1, 2, 2, 2)) * 1j, np.ones((2, 1, 3, 3))), {}, TypeError, "x must hold real numbers"),
    ((np.ones((1, 2, 2, 2)), np.ones((2, 1, 3, 3))), {"stride": 0}, ValueError, "stride must be >= 1"),
])
def test_bad_arguments_are_explained(args, kwargs, error, message):
    for fn in (conv_transpose2d, conv_transpose2d_reference):
        with pytest.raises(error, match=message):
            fn(*args, **kwargs)


@pytest.mark.parametrize("n_out, k, s, p",
                         [(4, 3, 2, 1), (5, 3, 1, 0), (3, 2, 3, 0), (1, 4, 4, 0), (6, 5, 2, 2), (2, 3, 2, 3)])
def test_conv_input_sizes_by_brute_force(n_out, k, s, p):
    brute = [n for n in range(1, 100) if n + 2 * p >= k and cb.conv_output_size(n, k, s, p) == n_out]
    assert conv_input_sizes(n_out, k, s, p) == brute
    for n in brute:
        if brute[0] == (n_out - 1) * s - 2 * p + k:          # every size reachable by an output_padding < s
            assert conv_transpose_output_size(n_out, k, s, p, output_padding=n - brute[0]) == n


def test_conv_input_sizes_drops_lengths_below_one_and_explains_bad_arguments():
    assert conv_input_sizes(1, 3, 4, 2) == [1, 2]          # smallest formula value -1 is not a length
    with pytest.raises(ValueError, match="need n_out >= 1"):
        conv_input_sizes(0, 3, 2, 1)
    with pytest.raises(TypeError, match="stride must be an int"):
        conv_input_sizes(3, 3, 2.0, 1)


def test_conv_transpose_output_size_follows_pytorchs_formula_and_rules():
    # H_out = (H_in - 1) * stride - 2 * padding + kernel_size + output_padding (PyTorch's ConvTranspose2d, dilation 1)
    assert conv_transpose_output_size(4, 3, 2, 1) == 7 and conv_transpose_output_size(4, 3, 2, 1, 1) == 8
    assert conv_transpose_output_size(4, 4, 2, 1) == 8                     # the other common x2 upsampling
    with pytest.raises(ValueError, match="output_padding must satisfy"):
        conv_transpose_output_size(4, 3, 2, 1, output_padding=2)
    with pytest.raises(ValueError, match="padding 5 is too large"):
        conv_transpose_output_size(2, 3, 1, 5)
