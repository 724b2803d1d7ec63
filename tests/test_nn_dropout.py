"""Inverted dropout: the scaling, its expectation, train/eval, the backward, the layer, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.nn.layers import Linear, Sequential
from cnnbook.dropout import dropout, dropout_backward
from cnnbook.nn import Dropout


def test_kept_values_are_scaled_by_one_over_keep_probability(rng):
    x = rng.standard_normal((20, 30))
    y, mask = dropout(x, 0.25, True, np.random.default_rng(0))
    assert mask.dtype == np.bool_ and mask.shape == x.shape
    np.testing.assert_array_equal(y[~mask], 0)
    np.testing.assert_allclose(y[mask], x[mask] / 0.75, rtol=1e-15)
    assert 0.6 < mask.mean() < 0.9  # about 75% kept


def test_the_mask_is_drawn_from_rng_as_documented(rng):
    x = rng.standard_normal((4, 5))
    _, mask = dropout(x, 0.4, True, np.random.default_rng(7))
    np.testing.assert_array_equal(mask, np.random.default_rng(7).random((4, 5)) >= 0.4)


def test_inverted_dropout_keeps_the_expectation(rng):
    """E[y] = x: averaged over many masks the output approaches the input (standard error ~ 0.004 here)."""
    x = np.linspace(-2, 3, 11)
    draws = 40_000
    y, _ = dropout(np.broadcast_to(x, (draws, 11)), 0.5, True, rng)
    mean = y.mean(axis=0)
    standard_error = np.abs(x) * np.sqrt(0.5 / 0.5 / draws)   # y = 2x or 0: variance x^2 p/(1-p)
    assert np.all(np.abs(mean - x) <= 5 * standard_error + 1e-12)
    assert np.abs(y.mean(axis=0) - 0.5 * x).max() > 0.5  # not scaled: the mean would be (1 - p) x


@pytest.mark.parametrize("p, training", [(0.5, False), (0.0, True), (0.0, False)])
def test_eval_mode_and_p_zero_are_the_identity(p, training, rng):
    x = rng.standard_normal((3, 4))
    y, mask = dropout(x, p, training, rng)
    assert y is x and mask is None
    dy = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(dropout_backward(dy, mask, p), dy)


def test_backward_matches_finite_differences_for_a_fixed_mask(rng):
    x, dy = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    _, mask = dropout(x, 0.3, True, np.random.default_rng(5))
    dx = dropout_backward(dy, mask, 0.3)
    numeric = cb.numerical_gradient(lambda v: dropout(v, 0.3, True, np.random.default_rng(5))[0], x, dy)
    assert cb.rel_error(dx, numeric) < 1e-7
    np.testing.assert_array_equal(dx[~mask], 0)


def test_dtypes_and_inputs_untouched(rng):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    before = x.copy()
    y, mask = dropout(x, 0.5, True, rng)
    assert y.dtype == np.float32 and dropout_backward(y, mask, 0.5).dtype == np.float32
    np.testing.assert_array_equal(x, before)
    assert dropout(np.arange(4), 0.5, True, rng)[0].dtype == np.float64


def test_errors():
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"dropout: p .* must be a number in \[0, 1\); got 1 \(p = 1 would drop"):
        dropout(x, 1, True)
    with pytest.raises(ValueError, match=r"must be a number in \[0, 1\); got -0.1"):
        dropout(x, -0.1, True)
    with pytest.raises(ValueError, match=r"got True"):
        dropout(x, True, True)
    with pytest.raises(TypeError, match="rng must be an np.random.Generator"):
        dropout(x, 0.5, True, rng=42)
    with pytest.raises(TypeError, match="training must be True or False"):
        dropout(x, 0.5, "yes")
    with pytest.raises(ValueError, match=r"dropout_backward: mask must have shape \(2, 2\)"):
        dropout_backward(x, np.ones((2, 3), bool), 0.5)
    with pytest.raises(TypeError, match="mask must be the bool array dropout returned; got dtype float64"):
        dropout_backward(x, np.ones((2, 2)), 0.5)
    with pytest.raises(ValueError, match="Dropout: p"):
        Dropout(1.5)


def test_layer_drops_in_training_and_passes_through_in_eval(rng):
    layer = Dropout(0.5, rng=np.random.default_rng(3))
    x = rng.standard_normal((4, 10))
    y = layer.forward(x)
    expected, mask = dropout(x, 0.5, True, np.random.default_rng(3))
    np.testing.assert_array_equal(y, expected)
    dy = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(layer.backward(dy), dy * mask / 0.5)
    assert not np.array_equal(layer.forward(x), y)  # a new mask each pass
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(dy), dy)
    assert repr(layer) == "Dropout(p=0.5)"


def test_model_eval_reaches_the_dropout_inside(rng):
    model = Sequential(Linear(3, 3, rng=rng), Dropout(0.9, rng=rng))
    x = rng.standard_normal((5, 3)).astype(np.float32)
    model.eval()
    assert not model[1].training
    np.testing.assert_array_equal(model.forward(x), model[0].forward(x))
    assert cb.evaluate(model, x, np.zeros(5, np.int64))[0] == cb.evaluate(model, x, np.zeros(5, np.int64))[0]
