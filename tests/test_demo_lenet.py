"""Chapter 8's helpers and widget, driven without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.nn.data import DigitsDataset
from cnnbook.nn import lenet as nn_lenet
from cnnbook.teaching.demos import lenet
from cnnbook.nn.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential


@pytest.fixture(scope="module")
def digits():
    return cb.data.load_digits_dataset(0, val_fraction=lenet.VAL_FRACTION)


@pytest.fixture(scope="module")
def model():
    return lenet.build_lenet(np.random.default_rng(0))


def small_data(rng, n=6):
    """Six random "digits" to train on, the same six to validate on, and a test set of NaNs:
    any use of the test set would show up as a NaN somewhere."""
    x = rng.standard_normal((n, 1, 8, 8)).astype(np.float32)
    y = np.arange(n) % 10
    return DigitsDataset(x, y, x.copy(), y.copy(), np.full_like(x, np.nan), y.copy(), 0.3, 0.4)


def test_build_lenet_has_the_documented_layers_and_sizes(model):
    assert [type(layer) for layer in model] == [Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten,
                                                Linear, ReLU, Linear]
    assert model.forward(np.zeros((3, 1, 8, 8), np.float32)).shape == (3, 10)
    assert lenet.parameter_count(model) == 160 + 4640 + 8256 + 650
    assert model.dtype == np.float32
    assert lenet.build_lenet(np.random.default_rng(0), dtype=np.float64).dtype == np.float64
    same = lenet.build_lenet(np.random.default_rng(0))
    assert all(np.array_equal(p.value, q.value) for (_, p), (_, q) in zip(model.parameters(), same.parameters()))
    # He uniform: the first filters lie within sqrt(6 / fan_in) with fan_in = 9
    assert np.abs(model[0].params["weight"].value).max() <= np.sqrt(6 / 9)


def test_architecture_rows_describe_shapes_counts_and_refusals(model):
    rows = lenet.architecture_rows(model)
    assert rows[0] == "Conv2d(1, 16, kernel_size=3, padding=1): (2, 1, 8, 8) -> (2, 16, 8, 8), 160 parameters"
    assert rows[6] == "Flatten(): (2, 32, 2, 2) -> (2, 128), 0 parameters"
    broken = Sequential(Conv2d(1, 2, 3, padding=1), MaxPool2d(2), Linear(32, 10))
    rows = lenet.architecture_rows(broken)
    assert len(rows) == 3 and "-> refused: Linear(32, 10): expected input (N, 32); got (2, 2, 4, 4)" in rows[-1]


def test_cosine_schedule():
    assert lenet.cosine_lr(0, 10, 2e-3) == 2e-3
    assert lenet.cosine_lr(5, 10, 2e-3) == pytest.approx(1e-3)
    rates = [lenet.cosine_lr(e, 10, 1.0) for e in range(10)]
    assert all(a > b for a, b in zip(rates, rates[1:])) and rates[-1] > 0


def test_shift_moves_pixels_and_fills_the_gap():
    x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    right = lenet.shift(x, 0, 1, -1.0)[0, 0]
    assert right[:, 0].tolist() == [-1] * 4 and np.array_equal(right[:, 1:], x[0, 0, :, :3])
    up = lenet.shift(x, -1, 0, -1.0)[0, 0]
    assert up[-1].tolist() == [-1] * 4 and np.array_equal(up[:3], x[0, 0, 1:])
    assert np.array_equal(lenet.shift(x, 0, 0, 9.0), x)
    with pytest.raises(ValueError, match="cannot move a 4x4 image"):
        lenet.shift(x, 4, 0, 0.0)


def test_shift_augment_repeats_the_labels(rng):
    x, y = rng.standard_normal((3, 1, 8, 8)), np.array([4, 1, 7])
    xa, ya = lenet.shift_augment(x, y, fill=0.0)
    assert xa.shape == (15, 1, 8, 8) and ya.tolist() == [4, 1, 7] * 5
    assert np.array_equal(xa[:3], x)


def test_blank_value_is_a_standardised_zero(digits):
    raw = digits.x_train * digits.std + digits.mean
    assert np.isclose(lenet.blank_value(digits), digits.x_train[raw < 1e-6].mean(), atol=1e-5)


def test_confusion_matrix_counts_pairs():
    m = lenet.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], num_classes=3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match="one length"):
        lenet.confusion_matrix([0, 1], [0])


def test_tile_maps_lays_out_scaled_maps():
    maps = np.stack([np.arange(4.0).reshape(2, 2), np.full((2, 2), 5.0), -np.arange(4.0).reshape(2, 2)])
    grid = lenet.tile_maps(maps, 2)
    assert grid.shape == (5, 5)
    assert grid[0:2, 0:2].tolist() == [[0, 1 / 3], [2 / 3, 1]]
    assert np.all(grid[0:2, 3:5] == 0)            # a constant map
    assert np.isnan(grid[2]).all() and np.isnan(grid[3:5, 3:5]).all()


def test_gradient_check_passes_for_the_network_and_fails_for_a_wrong_backward(rng):
    net = lenet.build_lenet(np.random.default_rng(1), dtype=np.float64)
    x, y = rng.standard_normal((2, 1, 8, 8)), np.array([3, 7])
    errors = lenet.gradient_check(net, x, y, np.random.default_rng(0), entries=5)
    assert set(errors) == {"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "x"}
    # round-off of the finite differences (about 1e-11 on a loss near 2.3) is ~1e-6 relative to the
    # smallest checked entries; a wrong backward gives 0.1 or more
    assert max(errors.values()) < 1e-5
    original = net[7]._backward
    net[7]._backward = lambda dy: 2 * original(dy)      # a planted bug in the dense layer's dx
    assert lenet.gradient_check(net, x, y, np.random.default_rng(0), entries=5)["x"] > 0.1


def test_train_lenet_learns_and_restores_lr_and_threads(rng):
    import numba

    data = small_data(rng)
    net = lenet.build_lenet(np.random.default_rng(0))
    optimizer = cb.optim.Adam(net.parameters(), lr=3e-3)
    threads = numba.get_num_threads()
    run = lenet.train_lenet(net, optimizer, data, np.random.default_rng(0), epochs=15, batch_size=6)
    assert len(run.history) == 15 and run.learning_rates[0] == 3e-3 and optimizer.lr == 3e-3
    assert run.learning_rates == [lenet.cosine_lr(e, 15, 3e-3) for e in range(15)]
    assert run.history.train_loss[-1] < run.history.train_loss[0]
    assert run.seconds == pytest.approx(sum(run.history.seconds))
    assert numba.get_num_threads() == threads


def test_train_lenet_trains_with_one_blas_thread_and_restores_the_setting(rng, monkeypatch):
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before, seen = blas_threads(), []
    real = nn_lenet.fit_with_schedule

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(nn_lenet, "fit_with_schedule", spy)  # train_lenet lives in cnnbook.nn.lenet
    data = small_data(rng)
    net = lenet.build_lenet(np.random.default_rng(0))
    lenet.train_lenet(net, cb.optim.Adam(net.parameters()), data, np.random.default_rng(0), epochs=1)
    assert seen and all(n == 1 for n in seen[0]) and blas_threads() == before


def test_train_lenet_validates_on_x_val_and_never_touches_the_test_set(rng):
    data = small_data(rng)                         # x_test is all NaN
    net = lenet.build_lenet(np.random.default_rng(0))
    run = lenet.train_lenet(net, cb.optim.Adam(net.parameters(), lr=3e-3), data, np.random.default_rng(0),
                            epochs=3, batch_size=6, schedule="constant")
    assert run.learning_rates == [3e-3] * 3
    assert np.isfinite(run.history.val_loss).all() and len(run.history.val_loss) == 3
    # validation and end-of-epoch training numbers are measured on x_val and x_train (here the same six digits)
    assert run.history.val_loss[-1] == pytest.approx(run.end_train_loss[-1])
    assert (run.history.val_loss[-1], run.history.val_accuracy[-1]) == cb.evaluate(net, data.x_val, data.y_val)
    assert all(np.isfinite(p.value).all() for _, p in net.parameters())


def test_train_lenet_without_validation_digits_still_trains(rng):
    data = small_data(rng)
    data = data._replace(x_val=data.x_val[:0], y_val=data.y_val[:0])
    net = lenet.build_lenet(np.random.default_rng(0))
    run = lenet.train_lenet(net, cb.optim.Adam(net.parameters(), lr=3e-3), data, np.random.default_rng(0), epochs=2)
    assert run.history.val_loss == [] and len(run.end_train_loss) == 2


def test_recipes_steps_and_the_study_budget():
    assert lenet.Recipe(epochs=6, augment=True).steps(1077) == 6 * 169       # 5 * 1077 = 5385 examples, 169 batches
    assert lenet.Recipe(epochs=30, augment=False).steps(1077) == 30 * 34
    steps = [r.steps(1077) for r in lenet.STUDY_RECIPES.values()]
    assert max(steps) - min(steps) <= 6                     # the same budget, within one batch per epoch
    assert lenet.STUDY_SEEDS == (0, 1, 2)


def test_train_recipe_is_reproducible_and_builds_what_it_is_given(rng):
    data = small_data(rng)
    recipe = lenet.Recipe(lr=3e-3, epochs=2, schedule="constant", augment=False, batch_size=3)
    model, run = lenet.train_recipe(recipe, 4, data)
    again, _ = lenet.train_recipe(recipe, 4, data)
    assert all(np.array_equal(p.value, q.value) for (_, p), (_, q) in zip(model.parameters(), again.parameters()))
    assert run.learning_rates == [3e-3, 3e-3] and len(run.history) == 2
    mlp, _ = lenet.train_recipe(recipe, 4, data, build=lenet.build_mlp)
    assert isinstance(mlp[0], Flatten) and lenet.parameter_count(mlp) == 13660


def test_the_mlp_baseline_has_about_lenets_parameter_budget(model):
    mlp = lenet.build_mlp(np.random.default_rng(0))
    assert [type(layer) for layer in mlp] == [Flatten, Linear, ReLU, Linear]
    assert lenet.parameter_count(mlp) == 64 * 182 + 182 + 182 * 10 + 10 == 13660
    assert abs(lenet.parameter_count(mlp) / lenet.parameter_count(model) - 1) < 0.004
    assert mlp.forward(np.zeros((2, 1, 8, 8), np.float32)).shape == (2, 10)


def test_lenet5_as_published():
    counts = lenet.lenet5_parameter_counts()
    assert counts == {"C1": 156, "S2": 12, "C3": 1516, "S4": 32, "C5": 48120, "F6": 10164}
    assert sum(counts.values()) == 60000                       # "about 60,000 trainable parameters"
    table = lenet.LENET5_C3_INPUTS
    assert len(table) == 16 and sum(map(len, table)) == 60
    assert [len(t) for t in table] == [3] * 6 + [4] * 9 + [6]
    assert all(len(set(t)) == len(t) and set(t) <= set(range(6)) for t in table)
    assert [sum(s in t for t in table) for s in range(6)] == [10] * 6    # every S2 map feeds ten C3 maps
    full = lenet.lenet5_parameter_counts([tuple(range(6))] * 16)["C3"]
    assert full == 16 * 6 * 25 + 16 == 2416
    assert lenet.lenet5_squash(1.0) == pytest.approx(1.0, abs=1e-5)
    assert lenet.lenet5_squash(-1.0) == pytest.approx(-1.0, abs=1e-5)
    assert lenet.lenet5_squash(100.0) == pytest.approx(1.7159)


def test_layer_outputs_and_misclassified(model, rng):
    x = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    outputs = lenet.layer_outputs(model, x)
    assert len(outputs) == 10 and np.array_equal(outputs[-1], model.forward(x))
    predicted = outputs[-1].argmax(axis=1)
    y = predicted.copy()
    y[1] = (y[1] + 1) % 10
    wrong, guesses = lenet.misclassified(model, x, y)
    assert wrong.tolist() == [1] and guesses.tolist() == [predicted[1]]


# --- the widget -----------------------------------------------------------------------------------

def test_draw_lenet_shows_the_prediction(model, digits):
    figure = Figure()
    image = digits.x_val[:1]
    result = lenet.predict_one(model, image)
    caption = lenet.draw_lenet(figure, model, image, int(digits.y_val[0]))
    assert len(figure.axes) == 4 and all(ax.get_title() for ax in figure.axes)
    assert f"says <b>{result.digit}</b>" in caption
    assert ("Right." in caption) == (result.digit == digits.y_val[0])
    assert np.isclose(result.probabilities.sum(), 1) and result.maps1.shape == (16, 8, 8)
    bars = figure.axes[1].patches
    assert len(bars) == 10 and np.allclose([b.get_width() for b in bars], result.probabilities)
    caption = lenet.draw_lenet(Figure(), model, image, None, "your drawing")
    assert "Right" not in caption and "Wrong" not in caption


def test_a_wrong_prediction_is_red_and_says_so(model, digits):
    image = digits.x_val[:1]
    digit = lenet.predict_one(model, image).digit
    figure = Figure()
    caption = lenet.draw_lenet(figure, model, image, (digit + 1) % 10)
    assert f"Wrong: this is a {(digit + 1) % 10}" in caption
    assert matplotlib.colors.same_color(figure.axes[1].patches[digit].get_facecolor(), "tab:red")


def test_the_widget_follows_the_slider_and_the_drawing(model, digits):
    demo = lenet.lenet_demo(model, digits, index=0)
    assert demo.caption.value.startswith("The network says")
    assert demo.figure.axes[0].get_title() == "validation digit #0"
    assert demo.controls["index"].max == len(digits.x_val) - 1
    count = demo.redraw_count

    demo.controls["index"].value = 7
    assert demo.redraw_count == count + 1 and demo.figure.axes[0].get_title() == "validation digit #7"
    assert f"says <b>{lenet.predict_one(model, digits.x_val[7:8]).digit}</b>" in demo.caption.value
    shown = demo.figure.axes[0].images[0].get_array()
    assert np.array_equal(shown, digits.x_val[7, 0])

    demo.pixels[2][3].value = True                 # drawing switches the input to the grid
    assert demo.controls["source"].value == "my drawing"
    assert demo.figure.axes[0].get_title() == "your drawing"
    assert demo.drawing()[2, 3] == 1 and demo.drawing().sum() == 1
    shown = demo.figure.axes[0].images[0].get_array()
    assert np.isclose(shown[2, 3], (1 - digits.mean) / digits.std) and np.isclose(shown[0, 0], lenet.blank_value(digits))

    count = demo.redraw_count
    demo.copy_digit()                              # one redraw, the thresholded validation digit on the grid
    raw = digits.x_val[7, 0] * digits.std + digits.mean
    assert demo.redraw_count == count + 1 and np.array_equal(demo.drawing(), (raw > 0.5).astype(float))
    demo.clear_button.click()
    assert demo.drawing().sum() == 0

    demo.controls["source"].value = "validation digit"
    assert demo.figure.axes[0].get_title() == "validation digit #7"
    assert len(demo.figure.axes) == 4, "the figure is cleared before each redraw"


def test_the_widget_needs_validation_digits(model, rng):
    data = small_data(rng)
    with pytest.raises(ValueError, match="no validation digits"):
        lenet.lenet_demo(model, data._replace(x_val=data.x_val[:0], y_val=data.y_val[:0]))


def test_standardise_drawing_checks_its_shape():
    assert lenet.standardise_drawing(np.ones((8, 8)), 0.5, 0.25).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match="expected an 8x8 drawing"):
        lenet.standardise_drawing(np.ones((7, 8)), 0.5, 0.25)


# --- PyTorch, only where it is installed ------------------------------------------------------------

def test_the_torch_twin_computes_the_same_logits(model, rng):
    torch = lenet.import_torch()
    if torch is None:
        pytest.skip("PyTorch is not installed (it is optional)")
    x = rng.standard_normal((5, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        theirs = lenet.torch_lenet(torch, model)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, model.forward(x), rtol=1e-4, atol=1e-5)


def test_torch_is_reported_missing_cleanly(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    assert lenet.import_torch() is None
