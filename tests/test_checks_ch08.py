"""Chapter 8's exercise checks: learner-style answers pass, planted mistakes are named.

Every implementation here is written independently, as a learner would, never by calling a
question's reference or a Mistake's function.
"""

from __future__ import annotations


import numpy as np
import pytest

import cnnbook as cb
from cnnbook.course.checks import check, questions_of_chapter
from cnnbook.teaching.demos.lenet import PASSING_VERDICT, accuracy_verdict, architecture_rows, quick_accuracy
from cnnbook.nn.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from checking import diagnoses

NAMES = ["cross_entropy", "linear_backward", "adam_step", "lenet_architecture", "lenet_accuracy"]


def test_chapter_8_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(8)] == NAMES
    assert sum(q.points for q in questions_of_chapter(8)) == 6


# --- cross_entropy ------------------------------------------------------------------------------------

def learner_cross_entropy(logits, labels, mistake=""):
    z = np.array(logits)
    n, k = z.shape
    if mistake != "unstable":
        z = z - z.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    if mistake == "twice":
        p = np.exp(p) / np.exp(p).sum(axis=1, keepdims=True)
    onehot = np.eye(k, dtype=z.dtype)[labels]
    scale = 1 if mistake == "sum" else n
    if mistake in ("log of softmax", "twice"):
        with np.errstate(divide="ignore"):
            log_p = np.log(p)
    else:   # log softmax in one step: z - log(sum(exp(z))), never log(0)
        with np.errstate(over="ignore"):   # the planted "no max shift" mistake overflows on purpose
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -np.sum(log_p[np.arange(n), labels]) / scale
    grad = (p if mistake == "no onehot" else p - onehot) / scale
    if mistake == "sign":
        grad = -grad
    return float(loss), grad.astype(np.asarray(logits).dtype)


def test_learner_cross_entropy_passes_and_matches_the_package():
    logits = np.array([[2.0, 1.0, 0.1]])
    loss, _ = learner_cross_entropy(logits, np.array([0]))
    assert loss == pytest.approx(0.4170, abs=1e-4)
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    ours, package = learner_cross_entropy(z, y), cb.softmax_cross_entropy(z, y)
    assert ours[0] == pytest.approx(package[0]) and np.allclose(ours[1], package[1])
    assert check("cross_entropy", learner_cross_entropy, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("unstable", "subtract each row's maximum"),
    ("twice", "softmax was applied twice"),
    ("log of softmax", "log(0) = -inf"),
    ("sum", "summed over the batch instead of averaged"),
    ("no onehot", "one-hot label is not subtracted"),
    ("sign", "wrong sign"),
])
def test_cross_entropy_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("cross_entropy", lambda z, y: learner_cross_entropy(z, y, mistake))


def test_a_loss_on_the_logits_as_probabilities_is_named():
    def loss_on_scores(logits, labels):
        n = len(labels)
        with np.errstate(invalid="ignore"):
            loss = -np.mean(np.log(logits[np.arange(n), labels]))
        return float(loss), learner_cross_entropy(logits, labels)[1]

    assert "as if they were probabilities" in diagnoses("cross_entropy", loss_on_scores)


# --- linear_backward --------------------------------------------------------------------------------

def learner_linear_backward(dy, x, w, mistake=""):
    N, out = dy.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(N):
        for o in range(out):
            dx[n] += dy[n, o] * (w.T[:, o] if mistake == "dx" and w.shape[0] == w.shape[1] else w[o])
            dw[o] += dy[n, o] * x[n]
    db = dy.sum(axis=0)
    if mistake == "dw":
        dw = x.T @ dy
    if mistake == "db copy":
        db = dy.copy()
    if mistake == "db mean":
        db = dy.mean(axis=0)
    return dx, dw, db


def test_learner_linear_backward_passes_and_matches_finite_differences():
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(3, 5)), rng.normal(size=(2, 5)), rng.normal(size=2)
    dy = rng.normal(size=(3, 2))
    dx, dw, db = learner_linear_backward(dy, x, w)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda t: t @ w.T + b, x, dy)) < 1e-7
    assert cb.rel_error(dw, cb.numerical_gradient(lambda t: x @ t.T + b, w, dy)) < 1e-7
    assert cb.rel_error(db, cb.numerical_gradient(lambda t: x @ w.T + t, b, dy)) < 1e-7
    assert check("linear_backward", learner_linear_backward, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("dw", "dw is transposed"),
    ("db copy", "db is not summed over the batch"),
    ("db mean", "db is averaged over the batch"),
])
def test_linear_backward_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("linear_backward", lambda *a: learner_linear_backward(*a, mistake=mistake))


def test_dx_with_w_transposed_is_named():
    def transposed(dy, x, w):
        return dy @ w.T, dy.T @ x, dy.sum(axis=0)   # only fits when in_features == out_features
    assert "dx uses w transposed" in diagnoses("linear_backward", transposed)


# --- adam_step -------------------------------------------------------------------------------------

def learner_adam_step(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, mistake=""):
    """One Adam step written out element by element, as a learner might (not the reference's array form)."""
    w_new, m_new, v_new = w.copy(), m.copy(), v.copy()
    if mistake == "in place":
        m_new, v_new = m, v                        # updates the caller's moment arrays
    for i in np.ndindex(w.shape):
        m_new[i] = beta1 * m_new[i] + (1 - beta1) * g[i]
        v_new[i] = beta2 * v_new[i] + (1 - beta2) * (g[i] if mistake == "g not squared" else g[i] ** 2)
        corrected_m = m_new[i] if mistake == "no correction" else m_new[i] / (1 - beta1 ** t)
        corrected_v = v_new[i] if mistake in ("no correction", "only m") else v_new[i] / (1 - beta2 ** t)
        if mistake == "eps inside":
            w_new[i] = w[i] - lr * corrected_m / np.sqrt(corrected_v + eps)
        else:
            w_new[i] = w[i] - lr * corrected_m / (np.sqrt(corrected_v) + eps)
    return w_new, m_new, v_new


def test_learner_adam_step_passes_and_matches_the_package():
    rng = np.random.default_rng(5)
    value, grads = rng.normal(size=(2, 3)), [rng.normal(size=(2, 3)) for _ in range(3)]
    p = cb.layers.Parameter(value.copy())
    adam = cb.optim.Adam([("w", p)], lr=0.05)
    w, m, v = value.copy(), np.zeros((2, 3)), np.zeros((2, 3))
    for t, g in enumerate(grads, start=1):
        p.grad[...] = g
        adam.step()
        w, m, v = learner_adam_step(w, g, m, v, t, lr=0.05)
        np.testing.assert_allclose(w, p.value, rtol=1e-12)
    assert check("adam_step", learner_adam_step, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("no correction", "m and v are not bias-corrected"),
    ("only m", "only m is bias-corrected"),
    ("g not squared", "v must average the squared gradient"),
    ("eps inside", "eps is added inside the square root"),
    ("in place", "the input array was modified"),
])
def test_adam_step_mistakes_are_named(mistake, diagnosis):
    def wrong(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        with np.errstate(invalid="ignore"):         # the unsquared g makes v negative, and its sqrt NaN
            return learner_adam_step(w, g, m, v, t, lr, beta1, beta2, eps, mistake=mistake)
    assert diagnosis in diagnoses("adam_step", wrong)


@pytest.mark.parametrize("step, diagnosis", [
    (lambda t: t - 1, "wrong step number"),
    (lambda t: t + 1, "wrong step number"),
])
def test_an_adam_step_counted_wrongly_is_named(step, diagnosis):
    def wrong(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g ** 2
        with np.errstate(divide="ignore", invalid="ignore"):   # 1 - beta**0 = 0 at the first step
            return w - lr * (m / (1 - beta1 ** step(t))) / (np.sqrt(v / (1 - beta2 ** step(t))) + eps), m, v
    assert diagnosis in diagnoses("adam_step", wrong)


def test_uphill_swapped_and_returning_the_corrected_moments_are_named():
    def uphill(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        new_w, m, v = learner_adam_step(w, g, m, v, t, lr, beta1, beta2, eps)
        return 2 * w - new_w, m, v

    def swapped(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m, v = (1 - beta1) * m + beta1 * g, (1 - beta2) * v + beta2 * g ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v

    def corrected(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        new_w, m, v = learner_adam_step(w, g, m, v, t, lr, beta1, beta2, eps)
        return new_w, m / (1 - beta1 ** t), v / (1 - beta2 ** t)

    assert "the update goes uphill" in diagnoses("adam_step", uphill)
    assert "the running averages are swapped" in diagnoses("adam_step", swapped)
    assert "return the raw running averages" in diagnoses("adam_step", corrected)


# --- build_lenet, through the two wrappers ----------------------------------------------------------

def learner_lenet(rng, mistake=""):
    layers = [Conv2d(1, 16, 3, padding=0 if mistake == "no padding" else 1, rng=rng, init="he_uniform")]
    layers += [] if mistake == "no relu" else [ReLU()]
    layers += [MaxPool2d(2)]
    layers += [Conv2d(16, 32, 3, padding=0 if mistake == "no padding" else 1, rng=rng, init="he_uniform")]
    layers += [] if mistake == "no relu" else [ReLU()]
    layers += [] if mistake == "one pool" else [MaxPool2d(2)]
    layers += [] if mistake == "no flatten" else [Flatten()]
    layers += [Linear({"512": 512, "2048": 2048}.get(mistake, 128), 64, rng=rng, init="he_uniform")]
    layers += [] if mistake in ("no relu", "no dense relu") else [ReLU()]
    layers += [Linear(64, 10, rng=rng, init="he_uniform")]
    return Sequential(*layers)


def architecture_of(build):
    return lambda seed: tuple(architecture_rows(build(np.random.default_rng(seed))))


def test_learner_lenet_architecture_passes():
    rows = architecture_of(learner_lenet)(0)
    assert len(rows) == 10 and rows[-1].endswith("-> (2, 10), 650 parameters")
    assert rows[7] == "Linear(128, 64): (2, 128) -> (2, 64), 8256 parameters"
    assert check("lenet_architecture", architecture_of(learner_lenet), verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("no flatten", "there is no Flatten layer"),
    ("512", "forgets the second pooling"),
    ("2048", "forgets both poolings"),
    ("no relu", "there is no activation between the layers"),
    ("no dense relu", "the first Linear layer is not followed by a ReLU"),
    ("no padding", "the convolutions have no padding"),
    ("one pool", "a pooling layer is missing"),
])
def test_lenet_architecture_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("lenet_architecture", architecture_of(lambda rng: learner_lenet(rng, mistake)))


def test_a_wrong_layer_is_pointed_at():
    def wider(rng):
        model = learner_lenet(rng)
        model.layers[9] = Linear(64, 9, rng=rng)
        return model
    report = check("lenet_architecture", architecture_of(wider), verbose=False)
    assert not report.passed and "layer 9 is 'Linear(64, 9)" in str(report)


def test_the_accuracy_verdict():
    assert accuracy_verdict(0.95) == PASSING_VERDICT == "at least 90% validation accuracy"
    assert accuracy_verdict(0.731) == "73.1% validation accuracy, below the 90% required"
    assert accuracy_verdict(0.9) == PASSING_VERDICT and accuracy_verdict(0.8999) != PASSING_VERDICT


def test_the_quick_accuracy_measures_the_validation_digits_not_the_test_digits(monkeypatch):
    """quick_accuracy trains on the chapter's split and evaluates on x_val; a test set of NaNs changes nothing."""
    from cnnbook.teaching.demos import lenet

    real = cb.data.load_digits_dataset
    seen = {}

    def poisoned(*args, **kwargs):
        data = real(*args, **kwargs)
        seen.update(kwargs)
        return data._replace(x_test=np.full_like(data.x_test, np.nan))

    monkeypatch.setattr(cb.data, "load_digits_dataset", poisoned)
    accuracy = quick_accuracy(learner_lenet(np.random.default_rng(0)), 0, epochs=1)
    assert seen == {"val_fraction": lenet.VAL_FRACTION}
    assert 0.5 < accuracy <= 1 and accuracy * 360 == pytest.approx(round(accuracy * 360))   # a fraction of 360


@pytest.mark.slow
def test_a_learner_lenet_learns_and_an_untrainable_one_does_not():
    assert check("lenet_accuracy", lambda seed: accuracy_verdict(
        quick_accuracy(learner_lenet(np.random.default_rng(seed)), seed)), verbose=False).passed

    def frozen(seed):      # a model whose optimiser never sees a parameter change: lr too small to matter
        model = learner_lenet(np.random.default_rng(seed))
        for _, p in model.parameters():
            p.value *= 0
        return accuracy_verdict(quick_accuracy(model, seed, epochs=1))

    report = check("lenet_accuracy", frozen, verbose=False)
    assert not report.passed and "below the 90% required" in str(report)
