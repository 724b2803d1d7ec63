"""Loss, optimisers, the training loop and the digits data set."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.nn.data import load_digits_dataset
from cnnbook.nn.layers import Conv2d, Flatten, Linear, MaxPool2d, Parameter, ReLU, Sequential
from cnnbook.nn.losses import log_softmax, softmax, softmax_cross_entropy
from cnnbook.nn.optim import SGD, Adam
from cnnbook.nn.training import History, TrainingDiverged, evaluate, fit, predict
from toy_problems import blobs, mlp

# --- softmax cross-entropy -----------------------------------------------------------------


def naive_cross_entropy(logits, labels):
    """The textbook formula, exp then normalise then log, with no guard against overflow."""
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(labels)), labels]))


def test_cross_entropy_matches_the_naive_formula_and_its_gradient(rng):
    logits = rng.standard_normal((5, 4))  # no tiny probabilities: their round-off would dominate rel_error
    labels = np.array([0, 3, 2, 2, 1])
    loss, dlogits = softmax_cross_entropy(logits, labels)
    assert isinstance(loss, float)
    assert loss == pytest.approx(naive_cross_entropy(logits, labels), rel=1e-12)
    numeric = cb.numerical_gradient(lambda z: softmax_cross_entropy(z, labels)[0], logits)
    assert cb.rel_error(dlogits, numeric) < 1e-7


def test_cross_entropy_of_uniform_logits_is_log_k():
    loss, dlogits = softmax_cross_entropy(np.zeros((3, 10)), np.array([1, 5, 9]))
    assert loss == pytest.approx(np.log(10))
    np.testing.assert_allclose(dlogits.sum(axis=1), 0, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]], dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        loss, dlogits = softmax_cross_entropy(logits, np.array([1, 2]))
    assert np.isfinite(loss) and loss == pytest.approx(1000.0)  # (2000 for example 0 + 0 for example 1) / 2
    assert dlogits.dtype == dtype and np.isfinite(dlogits).all()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        assert not np.isfinite(naive_cross_entropy(logits.astype(np.float64), np.array([1, 2])))


def test_softmax_rows_are_probabilities(rng):
    p = softmax(rng.standard_normal((4, 6)) * 500)
    np.testing.assert_allclose(p.sum(axis=1), 1)
    assert (p >= 0).all()
    np.testing.assert_allclose(np.exp(log_softmax(np.array([1.0, 2.0, 3.0]))), softmax(np.array([1.0, 2.0, 3.0])))


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 3]), r"labels must lie in \[0, 2\] for 3 classes; got \[3\]"),
    (np.array([-1, 0]), r"labels must lie in \[0, 2\]"),
    (np.array([0.0, 1.0]), r"labels must be integer class indices in \[0, 2\]; got dtype float64"),
    (np.array([0, 1, 2]), r"labels must have shape \(2,\)"),
    (np.array([[0], [1]]), r"labels must have shape \(2,\)"),
])
def test_bad_labels_say_what_is_valid(labels, message):
    with pytest.raises(ValueError, match=message):
        softmax_cross_entropy(np.zeros((2, 3)), labels)


# --- optimisers ----------------------------------------------------------------------------

def one_parameter(value):
    return {"w": Parameter(np.array(value, dtype=np.float64))}


def test_sgd_with_momentum_and_weight_decay_matches_hand_computation():
    params = one_parameter([1.0, -2.0])
    sgd = SGD(params.items(), lr=0.1, momentum=0.9, weight_decay=0.01)
    w, v = np.array([1.0, -2.0]), np.zeros(2)
    for grad in ([0.5, 1.0], [-1.0, 0.25], [2.0, 0.0]):
        params["w"].grad[...] = grad
        sgd.step()
        v = 0.9 * v + (np.array(grad) + 0.01 * w)
        w = w - 0.1 * v
        np.testing.assert_allclose(params["w"].value, w, rtol=1e-15)
    # step 1 by hand: v = g + 0.01 w = (0.51, 0.98), w = (1 - 0.051, -2 - 0.098)
    sgd2 = SGD(one_parameter([1.0, -2.0]).items(), lr=0.1, momentum=0.9, weight_decay=0.01)
    sgd2.params["w"].grad[...] = [0.5, 1.0]
    sgd2.step()
    np.testing.assert_allclose(sgd2.params["w"].value, [0.949, -2.098])


def test_adam_bias_correction_matches_hand_computation():
    params = one_parameter([1.0, 1.0])
    adam = Adam(params.items(), lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    # Step 1: m = 0.1 g, v = 0.001 g^2; corrected m_hat = g, v_hat = g^2, so each weight moves by
    # lr * g / (|g| + eps): exactly lr against the sign of g, whatever the gradient's size.
    params["w"].grad[...] = [4.0, -0.001]
    adam.step()
    np.testing.assert_allclose(params["w"].value, [1 - 0.01 * 4 / (4 + 1e-8), 1 + 0.01 * 0.001 / (0.001 + 1e-8)])
    # Step 2 with g = 1 (first coordinate): m = 0.9*0.4 + 0.1 = 0.46, v = 0.999*0.016 + 0.001 = 0.016984
    params["w"].grad[...] = [1.0, 0.0]
    before = params["w"].value.copy()
    adam.step()
    m_hat, v_hat = 0.46 / (1 - 0.9 ** 2), 0.016984 / (1 - 0.999 ** 2)
    assert params["w"].value[0] == pytest.approx(before[0] - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8), rel=1e-14)
    # Step 3 (g = -1): m = 0.9*0.46 - 0.1 = 0.314, v = 0.999*0.016984 + 0.001
    params["w"].grad[...] = [-1.0, 0.0]
    before = params["w"].value.copy()
    adam.step()
    m_hat, v_hat = 0.314 / (1 - 0.9 ** 3), (0.999 * 0.016984 + 0.001) / (1 - 0.999 ** 3)
    assert params["w"].value[0] == pytest.approx(before[0] - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8), rel=1e-14)
    assert adam.t == 3


def test_zero_grad_clears_and_step_updates_in_place(rng):
    net = Sequential(Linear(3, 2, rng=rng))
    sgd = SGD(net.parameters(), lr=0.1)
    weight = net[0].params["weight"]
    array = weight.value
    weight.grad[...] = 1
    sgd.step()
    assert weight.value is array  # the optimiser writes into the existing array
    assert weight.grad.all()  # step leaves the gradient alone
    sgd.zero_grad()
    assert not weight.grad.any()


def test_optimiser_arguments_are_checked(rng):
    params = list(Linear(2, 2, rng=rng).parameters())
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        SGD(params, lr=0)
    with pytest.raises(ValueError, match="momentum must be a finite number >= 0"):
        SGD(params, lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match=r"betas must lie in \[0, 1\)"):
        Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="no parameters"):
        Adam(ReLU().parameters())


# --- the training loop ---------------------------------------------------------------------



def test_fit_reduces_the_loss_and_records_history(rng):
    x, y = blobs(rng)
    net = mlp(0)
    loss_before, _ = evaluate(net, x, y)
    history = fit(net, SGD(net.parameters(), lr=0.1, momentum=0.9), x, y, epochs=5, batch_size=16,
                  rng=np.random.default_rng(1), x_val=x[:30], y_val=y[:30], progress=False)
    assert isinstance(history, History) and len(history) == 5
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(getattr(history, key)) == 5, key
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert evaluate(net, x, y)[0] < 0.25 * loss_before
    assert history.val_accuracy[-1] >= 0.9


def test_fit_without_validation_leaves_val_history_empty(rng):
    x, y = blobs(rng)
    net = mlp(0)
    history = fit(net, Adam(net.parameters(), lr=0.01), x, y, epochs=2, batch_size=64, rng=rng, progress=False)
    assert len(history.train_loss) == 2 and history.val_loss == [] and history.val_accuracy == []


def test_same_seed_gives_identical_weights():
    x, y = blobs(np.random.default_rng(5))

    def train(seed):
        net = mlp(seed)
        fit(net, Adam(net.parameters(), lr=0.01), x, y, epochs=3, batch_size=8,
            rng=np.random.default_rng(seed), progress=False)
        return [p.value.copy() for _, p in net.parameters()]

    first, second, other = train(3), train(3), train(4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, c) for a, c in zip(first, other))


def test_the_shuffle_comes_from_the_generator(rng):
    """Same initial weights, different shuffling seed: different weights after one epoch."""
    x, y = blobs(rng)
    results = []
    for shuffle_seed in (0, 1):
        net = mlp(0)
        fit(net, SGD(net.parameters(), lr=0.1), x, y, epochs=1, batch_size=8,
            rng=np.random.default_rng(shuffle_seed), progress=False)
        results.append(net[0].params["weight"].value.copy())
    assert not np.array_equal(*results)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_diverging_loss_stops_training_with_advice_and_no_warning(rng):
    x, y = blobs(rng)
    net = mlp(0)
    with pytest.raises(TrainingDiverged, match=r"the loss became (nan|inf).*lower learning rate \(now 1e\+30\)"):
        fit(net, SGD(net.parameters(), lr=1e30), x, y, epochs=3, batch_size=8, rng=rng, progress=False)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_the_capstones_divergence_raises_no_runtime_warning():
    """Chapter 8's demo: Adam at lr=1e9 on the digits overflows float32 in a matrix product. The overflow is
    reported once, as TrainingDiverged; no NumPy RuntimeWarning escapes (the filter turns one into a failure)."""
    digits = load_digits_dataset(val_fraction=0.2)
    net = lenet_for_digits(np.random.default_rng(0))
    with pytest.raises(TrainingDiverged, match="the weights diverged"):
        fit(net, Adam(net.parameters(), lr=1e9), digits.x_train, digits.y_train, epochs=3, batch_size=32,
            rng=np.random.default_rng(0), progress=False)
    with pytest.warns(RuntimeWarning, match="overflow"):   # the same overflow outside fit still warns
        np.float32(3e38) * np.float32(10)


class _InfiniteGradient(Linear):
    """A dense layer whose backward pass adds an infinite gradient to its weight while its forward pass is normal."""

    def _backward_parameters(self, dy):
        super()._backward_parameters(dy)
        self.params["weight"].grad[0, 0] = np.inf


def test_a_non_finite_gradient_stops_training_before_the_step(rng):
    x, y = blobs(rng)
    net = Sequential(Linear(4, 8, rng=np.random.default_rng(0)), ReLU(), _InfiniteGradient(8, 3, rng=rng))
    before = [p.value.copy() for _, p in net.parameters()]
    with pytest.raises(TrainingDiverged, match=r"the gradient of 2.weight is not finite at epoch 1, batch 1"):
        fit(net, SGD(net.parameters(), lr=0.1), x, y, epochs=1, batch_size=8, rng=rng, progress=False)
    for a, (_, p) in zip(before, net.parameters()):
        np.testing.assert_array_equal(a, p.value)          # the step with the bad gradient was not taken


def test_nan_input_is_caught_as_divergence(rng):
    x, y = blobs(rng)
    x[7, 0] = np.nan
    with pytest.raises(TrainingDiverged, match="nan"):
        net = mlp(0)
        fit(net, SGD(net.parameters(), lr=0.1), x, y, epochs=1, batch_size=60, rng=rng, progress=False)


def test_progress_bar_can_be_shown(rng, capsys):
    x, y = blobs(rng)
    net = mlp(0)
    fit(net, SGD(net.parameters(), lr=0.1), x, y, epochs=2, batch_size=30, rng=rng, progress=True)
    assert "epoch 2/2" in capsys.readouterr().err
    fit(net, SGD(net.parameters(), lr=0.1), x, y, epochs=1, batch_size=30, rng=rng, progress=False)
    assert capsys.readouterr().err == ""


def test_predict_and_evaluate_in_batches_agree_with_one_forward(rng):
    x, y = blobs(rng, n=50)
    net = mlp(2)
    logits = net.forward(x)
    weights_before = [p.value.copy() for _, p in net.parameters()]
    labels = predict(net, x, batch_size=7)
    assert labels.dtype == np.int64 and labels.shape == (50,)
    np.testing.assert_array_equal(labels, logits.argmax(axis=1))
    loss, accuracy = evaluate(net, x, y, batch_size=7)
    assert loss == pytest.approx(softmax_cross_entropy(logits, y)[0], rel=1e-6)
    assert accuracy == np.mean(logits.argmax(axis=1) == y)
    for before, (_, p) in zip(weights_before, net.parameters()):
        np.testing.assert_array_equal(before, p.value)


def test_fit_checks_its_arguments(rng):
    x, y = blobs(rng)
    net = mlp(0)
    sgd = SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"y must be integer class labels of shape \(60,\)"):
        fit(net, sgd, x, y[:-1], epochs=1, batch_size=8, rng=rng, progress=False)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(net, sgd, x, y, epochs=0, batch_size=8, rng=rng, progress=False)
    with pytest.raises(TypeError, match="rng must be an np.random.Generator"):
        fit(net, sgd, x, y, epochs=1, batch_size=8, rng=0, progress=False)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        fit(net, sgd, x, y + 1, epochs=1, batch_size=8, rng=rng, progress=False)


# --- the digits data set -------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    return load_digits_dataset()


def test_digits_shapes_dtypes_and_split_sizes(digits):
    assert digits.x_train.shape == (1437, 1, 8, 8) and digits.x_test.shape == (360, 1, 8, 8)
    assert digits.x_train.dtype == digits.x_test.dtype == np.float32
    assert digits.y_train.dtype == digits.y_test.dtype == np.int64
    assert digits.y_train.shape == (1437,) and digits.y_test.shape == (360,)


def test_digits_split_is_stratified(digits):
    test_counts = np.bincount(digits.y_test, minlength=10)
    all_counts = test_counts + np.bincount(digits.y_train, minlength=10)
    assert all_counts.sum() == 1797
    np.testing.assert_allclose(test_counts, 0.2 * all_counts, atol=1)


def test_digits_are_standardised_with_training_statistics(digits):
    assert abs(digits.x_train.mean()) < 1e-5 and digits.x_train.std() == pytest.approx(1, abs=1e-5)
    assert abs(digits.x_test.mean()) > 1e-4  # the test set was not used for the statistics
    assert 0 < digits.mean < 1 and 0 < digits.std < 1  # of pixels scaled by 1/16 to [0, 1]
    raw_min = -digits.mean / digits.std  # a 0 pixel
    assert digits.x_train.min() == pytest.approx(raw_min, abs=1e-5)


def test_digits_split_is_fixed_by_the_seed(digits):
    again = load_digits_dataset(seed=0)
    np.testing.assert_array_equal(again.x_test, digits.x_test)
    assert not np.array_equal(load_digits_dataset(seed=1).y_test, digits.y_test)
    assert load_digits_dataset(test_fraction=0.5).x_test.shape[0] == 899
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_dataset(test_fraction=1.0)


def test_without_validation_the_validation_set_is_empty(digits):
    assert digits.x_val.shape == (0, 1, 8, 8) and digits.y_val.shape == (0,)
    assert digits.x_val.dtype == np.float32 and digits.y_val.dtype == np.int64


@pytest.fixture(scope="module")
def split():
    return load_digits_dataset(val_fraction=0.2)


def test_the_three_way_split_sizes_and_stratification(split, digits):
    assert (len(split.x_train), len(split.x_val), len(split.x_test)) == (1077, 360, 360)
    assert split.x_val.shape == (360, 1, 8, 8) and split.x_val.dtype == np.float32 and split.y_val.dtype == np.int64
    all_counts = np.bincount(digits.y_train, minlength=10) + np.bincount(digits.y_test, minlength=10)
    for part, fraction in ((split.y_val, 0.2), (split.y_test, 0.2), (split.y_train, 0.6)):
        np.testing.assert_allclose(np.bincount(part, minlength=10), fraction * all_counts, atol=1.5)


def test_the_test_set_does_not_depend_on_the_validation_split(split, digits):
    np.testing.assert_array_equal(split.y_test, digits.y_test)
    # the same test images, standardised with the statistics of a smaller training set
    np.testing.assert_allclose(split.x_test * split.std + split.mean, digits.x_test * digits.std + digits.mean,
                               atol=1e-6)


def test_the_three_parts_are_disjoint_and_cover_the_digits(split):
    raw = [np.round((x * split.std + split.mean) * 16).astype(int).reshape(len(x), -1)
           for x in (split.x_train, split.x_val, split.x_test)]
    from sklearn.datasets import load_digits
    everything = load_digits().data.astype(int)
    # each image of the full set appears exactly as often in the three parts together (duplicates included)
    together = np.concatenate(raw)
    key = lambda rows: sorted(map(bytes, rows.astype(np.int8)))          # noqa: E731
    assert key(together) == key(everything)


def test_the_split_is_standardised_with_the_training_part_only(split):
    assert abs(split.x_train.mean()) < 1e-5 and split.x_train.std() == pytest.approx(1, abs=1e-5)
    assert abs(split.x_val.mean()) > 1e-4 and abs(split.x_test.mean()) > 1e-4
    raw_train = split.x_train * split.std + split.mean
    assert split.mean == pytest.approx(raw_train.mean(), abs=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"val_fraction": -0.1}, r"val_fraction must lie in \[0, 1 - test_fraction\) = \[0, 0.8\)"),
    ({"val_fraction": 0.8}, r"val_fraction must lie in"),
    ({"val_fraction": "0.2"}, "val_fraction must be a number"),
    ({"test_fraction": 0.5, "val_fraction": 0.497}, "leave 4 training digits"),
])
def test_bad_validation_fractions_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_digits_dataset(**kwargs)


# --- the capstone, in miniature --------------------------------------------------------------

def lenet_for_digits(rng):
    """conv-relu-pool twice, then dense: (N, 1, 8, 8) -> 16 x 4 x 4 -> 32 x 2 x 2 -> 64 -> 10."""
    return Sequential(
        Conv2d(1, 16, 3, padding=1, rng=rng, init="he_uniform"), ReLU(), MaxPool2d(2),
        Conv2d(16, 32, 3, padding=1, rng=rng, init="he_uniform"), ReLU(), MaxPool2d(2),
        Flatten(), Linear(32 * 2 * 2, 64, rng=rng, init="he_uniform"), ReLU(),
        Linear(64, 10, rng=rng, init="he_uniform"))


@pytest.mark.slow
def test_lenet_reaches_95_percent_on_digits(digits):
    rng = np.random.default_rng(0)
    net = lenet_for_digits(rng)
    fit(net, Adam(net.parameters(), lr=1e-3), digits.x_train, digits.y_train, epochs=12, batch_size=32,
        rng=rng, progress=False)
    _, accuracy = evaluate(net, digits.x_test, digits.y_test)
    assert accuracy >= 0.95
