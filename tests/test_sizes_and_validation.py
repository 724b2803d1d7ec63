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
