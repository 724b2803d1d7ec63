"""Chapter 2's effective receptive field: path counts, one unit's input gradient, and their summaries."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.teaching.demos.effective_receptive_field import (
    central_share,
    central_width,
    mean_input_gradient,
    path_counts,
    path_counts_1d,
    stack_input_gradient,
)


def test_path_counts_by_enumerating_every_path():
    """Brute force: list every choice of one offset per layer and count where each path starts."""
    for depth, kernel in [(1, 3), (2, 3), (3, 3), (4, 2), (3, 4)]:
        counts = np.zeros(depth * (kernel - 1) + 1, dtype=np.int64)
        for offsets in itertools.product(range(kernel), repeat=depth):
            counts[sum(offsets)] += 1
        assert np.array_equal(path_counts_1d(depth, kernel), counts)
        assert path_counts_1d(depth, kernel).sum() == kernel ** depth
    assert path_counts_1d(8)[8] == 1107                     # the central trinomial coefficient
    grid = path_counts(8)
    assert grid.shape == (17, 17) and grid[8, 8] == 1107**2 and grid[0, 0] == grid[16, 16] == 1
    assert grid.sum() == 9**8 and grid.dtype == np.int64


def test_the_gradient_of_an_all_ones_linear_stack_is_the_path_count():
    for depth, kernel in [(1, 3), (3, 3), (5, 3), (3, 2)]:
        side = depth * (kernel - 1) + 1
        ones = [np.ones((1, 1, kernel, kernel))] * depth
        gradient = stack_input_gradient(np.zeros((1, 1, side, side)), ones, activation="linear")
        assert gradient.shape == (1, 1, side, side)
        assert np.array_equal(gradient[0, 0], path_counts(depth, kernel))


def test_stack_input_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(2, 3, 3, 3)) / 3]
    x = rng.normal(size=(2, 2, 5, 5))
    x0 = x.copy()
    for activation in ("linear", "tanh", "relu"):
        act = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]

        def top_unit(v):  # map 0 of the 1x1 top layer, for each image; the other map does not count
            h = v
            for w in weights:
                h = act(cb.conv2d(h, w))
            return h[:, :1]

        numeric = cb.numerical_gradient(top_unit, x, np.ones((2, 1, 1, 1)))
        assert cb.rel_error(stack_input_gradient(x, weights, activation), numeric) < 1e-7
    assert np.array_equal(x, x0)


def test_random_linear_stacks_follow_the_path_counts_on_average():
    # E[(dy/dx)^2] is proportional to the number of paths: the derivation in chapter 2
    mean_square = mean_input_gradient(4, channels=3, trials=200, activation="linear", power=2, seed=3)
    share = path_counts(4) / path_counts(4).sum()
    assert mean_square.shape == (9, 9) and np.isclose(mean_square.sum(), 1.0)
    assert np.abs(mean_square - share).sum() / 2 < 0.1
    threads = cb.get_num_threads()
    mean_abs = mean_input_gradient(4, trials=8, seed=3)
    assert cb.get_num_threads() == threads                                        # restored after the loop
    with pytest.raises(ValueError):
        mean_input_gradient(4, trials=1, activation="sigmoid")
    assert cb.get_num_threads() == threads                                        # ... and after an error
    assert np.array_equal(mean_abs, mean_input_gradient(4, trials=8, seed=3))      # deterministic
    assert not np.array_equal(mean_abs, mean_input_gradient(4, trials=8, seed=4))
    assert mean_abs[4, 4] > mean_abs[0, 0]


def test_central_share_and_width():
    grid = np.zeros((5, 5))
    grid[2, 2], grid[0, 0] = 3.0, 1.0
    assert central_share(grid, 1) == 0.75 and central_share(grid, 3) == 0.75 and central_share(grid, 5) == 1.0
    assert central_width([1, 2, 3, 2, 1], 0.7) == 3 and central_width([1, 2, 3, 2, 1], 0.8) == 5
    assert central_width([0, 0, 5, 0, 0], 1.0) == 1
    assert central_width(path_counts_1d(32), 0.9) == 17


@pytest.mark.parametrize("call, message", [
    (lambda: path_counts_1d(0), "path_counts_1d: depth must be an int >= 1; got 0"),
    (lambda: path_counts(3, kernel=0), "path_counts: kernel must be an int >= 1; got 0"),
    (lambda: path_counts(20), r"path_counts: kernel \*\* \(2 \* depth\) = 3\*\*40 paths overflow int64"),
    (lambda: path_counts_1d(40), r"3\*\*40 paths overflow int64"),
    (lambda: central_share(np.ones((4, 4)), 1), "central_share: grid must be square with an odd side"),
    (lambda: central_share(np.ones((5, 5)), 2), r"central_share: side must be an odd int in 1..5; got 2"),
    (lambda: central_width([1, 2], 0.5), "central_width: profile must be 1-D, non-negative, of odd length"),
    (lambda: central_width([1, 2, 1], 0.0), r"central_width: fraction must be in \(0, 1\]"),
    (lambda: mean_input_gradient(3, trials=0), "mean_input_gradient: trials must be an int >= 1; got 0"),
    (lambda: stack_input_gradient(np.ones((1, 1, 5, 5)), [np.ones((1, 1, 3, 3))], "sigmoid"),
     "stack_input_gradient: activation must be one of"),
    (lambda: stack_input_gradient(np.ones((1, 1, 6, 6)), [np.ones((1, 1, 3, 3))] * 2),
     "stack_input_gradient: the top layer must be 1 x 1 .* gives 2 x 2"),
])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
