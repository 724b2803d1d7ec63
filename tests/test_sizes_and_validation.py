"""The output-size formula and the argument checks every public function shares."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook._validation import as_float_array, as_pair


def test_the_sources_chain_of_sizes():
    # seed 003: 200x200, 5x5 conv P=1 S=2 -> 99; 3x3 pool P=0 S=1 -> 97; 3x3 conv P=1 S=1 -> 97
    after_conv = cb.conv_output_size(200, 5, stride=2, padding=1)
    after_pool = cb.conv_output_size(after_conv, 3, stride=1, padding=0)
    after_second_conv = cb.conv_output_size(after_pool, 3, stride=1, padding=1)
    assert (after_conv, after_pool, after_second_conv) == (99, 97, 97)
    assert cb.conv_output_size(32, 5) == 28                       # seed 002: 32x32x3 with 5x5x3 filters


@pytest.mark.parametrize("n, k, s, p", [(7, 3, 2, 0), (8, 3, 3, 1), (5, 5, 1, 0), (1, 3, 1, 1), (10, 1, 4, 0)])
def test_conv_output_size_counts_the_window_positions(n, k, s, p):
    positions = [start for start in range(0, n + 2 * p, s) if start + k <= n + 2 * p]
    assert cb.conv_output_size(n, k, s, p) == len(positions)


@pytest.mark.parametrize("args, error, message", [
    ((5, 7, 1, 0), ValueError, r"kernel_size 7 is larger than the padded input 5"),
    ((5, 3, 0, 0), ValueError, r"stride >= 1.*stride=0"),
    ((5, 3, 1, -1), ValueError, r"padding >= 0.*padding=-1"),
    ((5.0, 3, 1, 0), TypeError, r"n must be an int; got 5.0"),
    ((5, True, 1, 0), TypeError, r"kernel_size must be an int"),
])
def test_conv_output_size_rejects_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        cb.conv_output_size(*args)


def test_as_float_array_keeps_floats_and_promotes_integers():
    x32 = np.ones(3, dtype=np.float32)
    assert as_float_array(x32, "x", "f") is x32                          # no copy
    assert as_float_array([1, 2], "x", "f").dtype == np.float64
    assert as_float_array(np.array([True]), "x", "f").dtype == np.float64
    for bad in (np.ones(2, dtype=np.complex64), np.array(["1"]), np.array([None]), np.ones(2, dtype=np.float16)):
        with pytest.raises(TypeError, match=rf"f: x must hold real numbers .* got dtype {bad.dtype}"):
            as_float_array(bad, "x", "f")


def test_as_pair_accepts_ints_and_pairs_only():
    assert as_pair(2, "stride", "f", 1) == (2, 2)
    assert as_pair((1, np.int64(3)), "stride", "f", 1) == (1, 3)
    with pytest.raises(ValueError, match=r"f: stride must be >= 1; got \(0, 1\)"):
        as_pair((0, 1), "stride", "f", 1)
    for bad in (1.5, (1, 2, 3), "2", True, (1.0, 2)):
        with pytest.raises(TypeError, match="stride must be an int or a pair of ints"):
            as_pair(bad, "stride", "f", 1)


# --- dilation and TensorFlow's "SAME" padding (chapter 3) -------------------------------------------

@pytest.mark.parametrize("n, k, s, p, d", [(7, 3, 1, 0, 2), (10, 3, 2, 1, 3), (9, 2, 3, 0, 4), (5, 5, 1, 2, 2),
                                           (32, 3, 1, 2, 2), (1, 1, 1, 0, 5)])
def test_dilated_output_size_counts_the_window_positions(n, k, s, p, d):
    span = d * (k - 1) + 1                                  # first to last tap
    positions = [start for start in range(0, n + 2 * p, s) if start + span <= n + 2 * p]
    assert cb.conv_output_size(n, k, s, p, d) == cb.conv_output_size(n, k, s, p, dilation=d) == len(positions)
    assert cb.conv_output_size(n, span, s, p) == len(positions)      # the same as an undilated kernel that wide


def test_dilation_one_is_the_default():
    assert cb.conv_output_size(200, 5, 2, 1, 1) == cb.conv_output_size(200, 5, 2, 1) == 99


def test_dilated_output_size_matches_dilated_convolution():
    from cnnbook.teaching.demos.dilation import dilated_conv2d

    x = np.ones((1, 1, 11, 9))
    y = dilated_conv2d(x, np.ones((1, 1, 3, 2)), stride=(2, 1), padding=(1, 0), dilation=(3, 2))
    assert y.shape[2:] == (cb.conv_output_size(11, 3, 2, 1, 3), cb.conv_output_size(9, 2, 1, 0, 2)) == (4, 7)


@pytest.mark.parametrize("args, error, message", [
    ((5, 3, 1, 0, 0), ValueError, r"dilation >= 1.*dilation=0"),
    ((5, 3, 1, 0, 3), ValueError,
     r"the dilated kernel \(kernel_size 3, dilation 3, span 7\) is larger than the padded input 5"),
    ((5, 3, 1, 0, 2.0), TypeError, r"dilation must be an int; got 2.0"),
    ((5, 3, 1, 0, True), TypeError, r"dilation must be an int"),
])
def test_conv_output_size_rejects_bad_dilation(args, error, message):
    with pytest.raises(error, match=message):
        cb.conv_output_size(*args)


def test_same_padding_is_tensorflows_rule():
    from cnnbook.sizes import same_padding

    # worked by hand: ceil(H/s) outputs need (ceil(H/s) - 1)*s + R inputs; the odd zero goes after
    assert same_padding(6, 3, 2) == (0, 1) and same_padding(7, 3, 2) == (1, 1)
    assert same_padding(5, 2, 1) == (0, 1) and same_padding(5, 3, 1) == (1, 1) and same_padding(10, 1, 3) == (0, 0)
    assert same_padding(4, 3, 3) == (1, 1)              # 2 outputs need 3 + 3 = 6 inputs
    assert same_padding(7, 3, 1, dilation=2) == (2, 2)  # the span 5 takes the kernel's place
    assert same_padding(9, 1, 4) == (0, 0)              # never negative: max(..., 0)


@pytest.mark.parametrize("n", range(1, 14))
@pytest.mark.parametrize("k, s, d", [(1, 1, 1), (2, 1, 1), (3, 2, 1), (4, 2, 1), (5, 3, 1), (3, 2, 2), (2, 4, 1)])
def test_same_padding_gives_ceil_n_over_s_outputs_from_the_fewest_zeros(n, k, s, d):
    from cnnbook.sizes import same_padding

    before, after = same_padding(n, k, s, d)
    assert 0 <= after - before <= 1
    span = d * (k - 1) + 1
    padded = n + before + after
    if padded >= span:
        assert (padded - span) // s + 1 == -(-n // s)
    # one zero fewer (taken from the after side) would give fewer outputs, or no window at all
    if before + after:
        fewer = padded - 1
        assert fewer < span or (fewer - span) // s + 1 < -(-n // s)


@pytest.mark.parametrize("args, error, message", [
    ((0, 3, 1), ValueError, r"same_padding: need n >= 1.*n=0"),
    ((5, 3, 0), ValueError, r"stride >= 1.*stride=0"),
    ((5, 3, 1, 0), ValueError, r"dilation >= 1.*dilation=0"),
    ((5, 3.0, 1), TypeError, r"same_padding: kernel_size must be an int; got 3.0"),
])
def test_same_padding_rejects_bad_arguments(args, error, message):
    from cnnbook.sizes import same_padding

    with pytest.raises(error, match=message):
        same_padding(*args)
