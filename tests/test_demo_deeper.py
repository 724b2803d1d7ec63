"""Chapter 9's helpers and widget, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.teaching.demos import deeper
from cnnbook.nn import build_deep_net, gradient_norms, weight_layers


@pytest.fixture(scope="module")
def batch():
    data = deeper.digits()
    return data.x_train[:deeper.GRADIENT_BATCH], data.y_train[:deeper.GRADIENT_BATCH]


@pytest.mark.parametrize("depth", [4, 8, 20])
def test_the_net_without_batch_norm_has_depth_weight_layers_in_both_variants(depth):
    plain, residual = (deeper.build_deep_net_no_bn(depth, r, np.random.default_rng(0)) for r in (False, True))
    assert len(weight_layers(plain)) == len(weight_layers(residual)) == depth
    for (name_a, a), (name_b, b) in zip(plain.parameters(), residual.parameters()):   # the same start
        assert name_a == name_b and np.array_equal(a.value, b.value)
    assert plain.forward(np.zeros((2, 1, 8, 8), np.float32)).shape == (2, 10)
    with pytest.raises(ValueError, match="even int"):
        deeper.build_deep_net_no_bn(depth + 1, True, np.random.default_rng(0))


def test_the_branch_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, df = rng.normal(size=(2, 2, 4, 5)), rng.normal(size=(2, 2, 4, 5))
    w1, w2 = 0.4 * rng.normal(size=(2, 2, 3, 3)), 0.4 * rng.normal(size=(2, 2, 3, 3))
    dx, dw1, dw2 = deeper.branch_backward(df, x, w1, w2)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda t: deeper.branch_forward(t, w1, w2), x, df)) < 1e-6
    assert cb.rel_error(dw1, cb.numerical_gradient(lambda t: deeper.branch_forward(x, t, w2), w1, df)) < 1e-6
    assert cb.rel_error(dw2, cb.numerical_gradient(lambda t: deeper.branch_forward(x, w1, t), w2, df)) < 1e-6


def test_without_batch_norm_the_plain_gradient_vanishes_and_the_residual_one_does_not(batch):
    plain = deeper.block_gradient_norms(deeper.build_deep_net_no_bn(14, False, np.random.default_rng(0)), *batch)
    residual = deeper.block_gradient_norms(deeper.build_deep_net_no_bn(14, True, np.random.default_rng(0)), *batch)
    assert len(plain) == len(residual) == 6
    assert plain[-1] / plain[0] > 1e3 and residual.max() / residual.min() < 3


def test_silenced_bodies_cut_the_plain_net_and_leave_the_identity_path(batch):
    norms = {}
    for residual in (False, True):
        model = deeper.silence_bodies(build_deep_net(8, residual, np.random.default_rng(0)))
        assert all(layer.bn2.params["weight"].value.max() == 0 for layer in model.layers[3:6])
        norms[residual] = gradient_norms(model, *batch)["0.weight"]
    assert norms[False] == 0.0 and norms[True] > 0


def test_results_are_cached_and_have_one_entry_per_epoch_or_block():
    curve = deeper.training_curve(8, True)
    assert deeper.training_curve(8, True) is curve
    assert len(curve.train_loss) == len(curve.val_loss) == len(curve.val_accuracy) == deeper.CURVE_EPOCHS
    assert curve.train_loss[-1] < curve.train_loss[0] and 0 <= min(curve.val_accuracy) <= max(curve.val_accuracy) <= 1
    assert len(deeper.init_gradient_norms(8, True, True)) == 3
    assert deeper.init_gradient_norms(8, True, False) is deeper.init_gradient_norms(8, True, False)


def test_the_widget_redraws_for_depth_and_shortcuts():
    demo = deeper.deeper_demo(depth=8, residual=True)
    assert "<b>residual</b>, depth 8" in demo.caption.value and len(demo.figure.axes) == 3
    count, image = demo.redraw_count, demo.image.value
    demo.controls["residual"].value = False
    assert "<b>plain</b>, depth 8" in demo.caption.value and demo.redraw_count == count + 1
    assert demo.image.value != image
    curve = deeper.training_curve(8, False)
    assert f"training loss {curve.train_loss[-1]:.2f}" in demo.caption.value
    demo.controls["depth"].value = 14
    assert "depth 14" in demo.caption.value
    assert demo.controls["depth"].step == 6 and demo.controls["depth"].max == 32
    ratio = deeper.init_gradient_norms(14, False, False)
    assert f"{ratio[0] / ratio[-1]:.2g} times" in demo.caption.value
