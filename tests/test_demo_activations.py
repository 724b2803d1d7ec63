"""Chapter 6's demos: ELU, the deep-stack experiment, dead units, the SGD path and the widget,
tested without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.teaching.demos import activations as demo


def test_elu_values_and_gradient(rng):
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    assert np.allclose(demo.elu(z), [np.exp(-2) - 1, np.exp(-0.5) - 1, 0.5, 3.0])
    assert np.allclose(demo.elu(z, alpha=2.0)[:2], 2 * (np.exp(z[:2]) - 1))
    x = rng.normal(scale=2.0, size=(3, 5))
    x[np.abs(x) < 1e-3] = 0.5
    dy = rng.normal(size=x.shape)
    for alpha in (1.0, 0.3):
        analytic = demo.elu_backward(dy, x, alpha=alpha)
        numeric = cb.numerical_gradient(lambda t: demo.elu(t, alpha=alpha), x, dy)
        assert cb.rel_error(analytic, numeric) < 1e-7
    with pytest.raises(ValueError, match="elu_backward"):
        demo.elu_backward(np.ones(3), np.ones(4))


def test_elu_does_not_overflow_or_modify_its_input():
    z = np.array([-1000.0, 1000.0])
    before = z.copy()
    with np.errstate(over="raise", invalid="raise"):
        assert np.array_equal(demo.elu(z), [-1.0, 1000.0])
        assert np.array_equal(demo.elu_backward(np.ones(2), z), [0.0, 1.0])
    assert np.array_equal(z, before)


def test_deep_stack_backward_matches_finite_differences():
    # dL/d(input) by finite differences equals the stack's dz at layer 1 pushed through w1.
    depth, width, batch = 3, 5, 4
    result = demo.deep_stack("tanh", depth, width=width, batch=batch, seed=3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((batch, width))
    g = rng.standard_normal((batch, width))
    weights = [rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(depth)]

    def top(z1):
        a = np.tanh(z1)
        for w in weights[1:]:
            a = np.tanh(a @ w)
        return a

    z1 = x @ weights[0]
    assert np.allclose(result.z[0], z1)
    assert cb.rel_error(result.dz[0], cb.numerical_gradient(top, z1, g)) < 1e-7


def test_sigmoid_gradient_vanishes_and_relu_with_he_does_not():
    sigmoid = demo.deep_stack("sigmoid", 20)
    relu = demo.deep_stack("relu", 20)
    relu_xavier = demo.deep_stack("relu", 20, init="xavier")
    assert sigmoid.init == "xavier" and relu.init == "he"
    assert sigmoid.dz_rms[0] / sigmoid.dz_rms[-1] < 0.3 ** 19
    assert 0.5 < relu.dz_rms[0] / relu.dz_rms[-1] < 2
    factor = (relu_xavier.dz_rms[0] / relu_xavier.dz_rms[-1]) ** (1 / 19)
    assert abs(factor - 2 ** -0.5) < 0.03
    assert sigmoid.spread[-1] < 1e-6 < relu.spread[-1]
    assert sigmoid.dw_rms.shape == (20,) and np.all(np.diff(np.log(sigmoid.dw_rms)) > 0)


def test_deep_stack_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown activation"):
        demo.deep_stack("softplus", 3)
    with pytest.raises(ValueError, match="unknown init"):
        demo.deep_stack("relu", 3, init="orthogonal")
    with pytest.raises(ValueError, match="depth must be >= 1"):
        demo.deep_stack("relu", 0)


def test_dead_fraction_counts_units_silent_for_every_example():
    z = np.array([[-1.0, 2.0, 0.0], [-3.0, -1.0, 0.0]])
    assert demo.dead_fraction(z) == pytest.approx(2 / 3)   # columns 0 and 2 never fire
    dead = demo.dead_fraction_after_shift([0, 4, 8])
    assert dead[0] == 0 and 0 < dead[1] < 1 and dead[2] == 1
    assert np.all(np.diff(demo.dead_fraction_after_shift(np.arange(9))) >= 0)


def test_dead_relu_units_never_move_and_leaky_units_do():
    relu = demo.train_after_shift("relu", shift=6.0, steps=50)
    leaky = demo.train_after_shift("leaky_relu", shift=6.0, steps=50)
    assert relu.silent_at_start.mean() > 0.9
    assert np.all(relu.param_change[relu.silent_at_start] == 0)
    assert np.all(leaky.param_change[leaky.silent_at_start] > 0)
    assert leaky.loss[-1] < leaky.loss[0]
    assert relu.loss.shape == relu.silent.shape == (51,)


def test_sgd_path_steps_are_multiples_of_the_input():
    inputs = np.array([[0.2, 0.9], [0.7, 0.4], [0.5, 0.5]])
    path = demo.sgd_path(inputs, np.array([1.0, -1.0]), lr=0.5, steps=6)
    assert path.shape == (7, 2) and np.array_equal(path[0], [0, 0])
    steps = np.diff(path, axis=0)
    for step, a in zip(steps, np.tile(inputs, (2, 1))):
        assert abs(step[0] * a[1] - step[1] * a[0]) < 1e-12       # parallel to the input
        assert np.sign(step[0]) == np.sign(step[1])               # positive inputs: one sign


def test_shown_layers():
    assert demo.shown_layers(1) == [1]
    assert demo.shown_layers(3) == [1, 2, 3]
    assert demo.shown_layers(30) == [1, 11, 20, 30]


def test_draw_returns_caption_and_labelled_axes():
    figure = Figure()
    caption = demo.draw_layer_histograms(figure, "tanh", 5, "paired")
    assert "<b>tanh</b>, 5 layers, xavier init" in caption
    assert len(figure.axes) == 3
    assert all(ax.get_title() for ax in figure.axes)
    assert figure.axes[2].get_yscale() == "log"
    assert len(figure.axes[0].get_legend().get_texts()) == 4


def _gradient_ratio(caption: str) -> float:
    return float(caption.split("first / last = ")[1].split(")")[0])


def test_widget_sigmoid_gradient_shrinks_with_depth_and_relu_does_not_vanish():
    widget = demo.activation_histograms_demo()
    assert widget.values() == {"activation": "sigmoid", "depth": 10, "init": "paired"}
    assert list(widget.controls["init"].options) == ["paired", "xavier", "xavier_x4", "he"]
    assert {"gelu", "silu"} <= set(widget.controls["activation"].options)
    shallow = _gradient_ratio(widget.caption.value)
    first_png = bytes(widget.image.value)

    widget.controls["depth"].value = 30
    deep = _gradient_ratio(widget.caption.value)
    assert "30 layers" in widget.caption.value
    assert deep < shallow * 1e-10 and deep < 1e-15
    assert bytes(widget.image.value) != first_png

    widget.controls["activation"].value = "relu"
    relu_he = _gradient_ratio(widget.caption.value)
    assert "he init" in widget.caption.value and 0.5 < relu_he < 2

    widget.controls["init"].value = "xavier"
    relu_xavier = _gradient_ratio(widget.caption.value)
    assert "xavier init" in widget.caption.value and relu_xavier < 1e-3

    legend = [t.get_text() for t in widget.figure.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("layer 1 (") and "exactly 0" in legend[0]
    assert len(widget.figure.axes) == 3, "the figure must be cleared before each redraw"


def test_widget_xavier_x4_keeps_more_of_the_sigmoid_gradient():
    widget = demo.activation_histograms_demo()
    widget.controls["depth"].value = 30
    xavier = _gradient_ratio(widget.caption.value)
    widget.controls["init"].value = "xavier_x4"
    assert "xavier_x4 init" in widget.caption.value
    assert xavier < 1e-15 < _gradient_ratio(widget.caption.value)


def test_the_widget_texts_claims_about_tanh_gelu_and_silu():
    # "tanh with he: the gradient grows on its way down"; "GELU and SiLU with he: at depth 30 neither keeps the
    # gradient's size as well as ReLU does" (distance of log(first / last) from 0)
    def ratio(name, init=None):
        result = demo.deep_stack(name, 30, init=init)
        return result.dz_rms[0] / result.dz_rms[-1]

    assert ratio("tanh", "he") > 1 > ratio("tanh", "xavier")
    relu = abs(np.log(ratio("relu")))
    assert abs(np.log(ratio("gelu", "he"))) > relu and abs(np.log(ratio("silu", "he"))) > relu


# --- the numbers chapter 6 states -------------------------------------------------------------------

def test_sigmoid_gradient_factor_with_xavier_and_four_times_xavier():
    factors = {}
    for init in ("xavier", "xavier_x4"):
        result = demo.deep_stack("sigmoid", 30, init=init)
        factors[init] = (result.dz_rms[0] / result.dz_rms[-1]) ** (1 / 29)
    assert abs(factors["xavier"] - 0.234) < 0.005 and abs(factors["xavier_x4"] - 0.62) < 0.01
    assert demo.INIT_GAIN["xavier_x4"] == 16 * demo.INIT_GAIN["xavier"]


@pytest.mark.parametrize("rule, forward, backward", [("fan_in", 1.0, 0.5), ("fan_out", 2.0, 1.0),
                                                      ("glorot", 4 / 3, 2 / 3)])
def test_variance_through_widths_matches_the_derivation(rule, forward, backward):
    record = demo.variance_through_widths((1024, 512, 256, 128, 64, 32), rule)
    assert record.forward_ms.shape == record.backward_ms.shape == (6,)
    assert np.all(np.abs(record.forward_factor / forward - 1) < 0.06)
    assert np.all(np.abs(record.backward_factor / backward - 1) < 0.06)


def test_variance_through_widths_square_relu_with_he_keeps_both_directions():
    record = demo.variance_through_widths((256,) * 6, "fan_in", activation="relu", batch=256)
    assert np.all(np.abs(record.forward_factor - 1) < 0.15) and np.all(np.abs(record.backward_factor - 1) < 0.15)


def test_variance_through_widths_backward_factors_telescope_to_the_width_ratio():
    # with Var(w) = 1/fan_in, the backward factors multiply to n_L / n_0 whatever the widths in between
    for widths in [(512, 128, 32), (512, 400, 300, 200, 100, 64, 32)]:
        record = demo.variance_through_widths(widths, "fan_in", batch=1024, seed=1)
        total = record.backward_ms[0] / record.backward_ms[-1]
        assert abs(total / (32 / 512) - 1) < 0.15


def test_variance_through_widths_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least two positive sizes"):
        demo.variance_through_widths((8,), "fan_in")
    with pytest.raises(ValueError, match="unknown rule 'lecun'"):
        demo.variance_through_widths((8, 4), "lecun")
    with pytest.raises(ValueError, match="activation must be 'linear' or 'relu'"):
        demo.variance_through_widths((8, 4), "fan_in", activation="tanh")


def test_dead_units_deeper_in_the_network_can_come_back():
    run = demo.train_two_layers_after_shift(shift=3.5, steps=600, lr=0.5)
    assert run.loss.shape == run.dead.shape == (601,) and run.max_z.shape == (601, 64)
    assert run.dead_at_start.sum() == 27 and run.revived.sum() == 4
    assert np.all(run.moved_while_dead[run.dead_at_start] == 0)       # no update of their own while dead
    assert np.all(run.max_z[0, run.dead_at_start] <= 0)
    for unit in np.flatnonzero(run.revived):                           # revived_at is the first step above 0
        step = run.revived_at[unit]
        assert run.max_z[step, unit] > 0 and np.all(run.max_z[:step, unit] <= 0)
    assert np.array_equal(run.dead_at_end, run.max_z[-1] <= 0)
    assert np.all(run.revived_at[~run.dead_at_start] == -1)


def test_dead_units_reading_the_data_never_come_back():
    # the one-hidden-layer run: the hidden units read the data, which never changes
    run = demo.train_after_shift("relu", shift=3.0, steps=200)
    assert run.silent_at_start.any()
    assert np.all(run.param_change[run.silent_at_start] == 0) and run.silent[-1] >= run.silent[0]
