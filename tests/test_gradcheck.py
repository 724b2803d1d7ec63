"""Finite differences and the relative error used by every gradient check."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb


def test_numerical_gradient_of_a_known_function(rng):
    x = rng.normal(size=(3, 4))
    grad = cb.numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-8, atol=1e-9)


def test_numerical_gradient_with_an_upstream_gradient(rng):
    x, dy = rng.normal(size=5), rng.normal(size=5)
    grad = cb.numerical_gradient(lambda v: v ** 2, x, dy)       # L = sum(x^2 * dy)
    np.testing.assert_allclose(grad, 2 * x * dy, rtol=1e-8, atol=1e-9)


def test_numerical_gradient_leaves_x_alone_and_works_from_float32(rng):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    before = x.copy()
    grad = cb.numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, 3 * x.astype(np.float64) ** 2, rtol=1e-7)


def test_numerical_gradient_rejects_a_mismatched_dy_and_a_bad_step():
    with pytest.raises(ValueError, match=r"dy has shape \(3,\) but f\(x\) has shape \(2,\)"):
        cb.numerical_gradient(lambda v: v, np.ones(2), dy=np.ones(3))
    with pytest.raises(ValueError, match="h must be > 0"):
        cb.numerical_gradient(lambda v: v, np.ones(2), h=0)


def test_rel_error_values():
    assert cb.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert cb.rel_error(np.array([1.0, 100.0]), np.array([1.1, 100.0])) == pytest.approx(0.1 / 2.1)
    # both zero: the floor of 1e-8 keeps it finite
    assert cb.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert cb.rel_error(np.array([0.0]), np.array([1e-10])) == pytest.approx(1e-2)
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        cb.rel_error(np.ones(2), np.ones(3))
