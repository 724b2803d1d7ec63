"""Chapter 9's exercise checks: learner-style answers pass, planted mistakes are named.

Every implementation here is written independently, as a learner would (loops over channels,
the chain rule step by step), never by calling a question's reference or a Mistake's function.
"""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.course.checks import check, questions_of_chapter
from cnnbook.course.checks.hidden import hidden_cases
from cnnbook.teaching.demos.deeper import Block, branch_backward, branch_forward, residual_block_forward
from checking import diagnoses

NAMES = ["batch_norm_forward", "batch_norm_backward", "dropout_forward", "dropout_backward", "residual_block_backward"]


def test_chapter_9_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(9)] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_question_gets_its_hidden_cases(name):
    question = next(q for q in questions_of_chapter(9) if q.name == name)
    assert len(hidden_cases(question, seed=123)) == question.hidden_cases > 0


# --- batch_norm_forward ------------------------------------------------------------------------------

def learner_bn_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5, mistake=""):
    N, C, H, W = x.shape
    M = N * H * W
    y = np.empty_like(x)
    new_mean, new_var = running_mean.copy(), running_var.copy()
    for c in range(C):
        values = x[:, c]
        mu = values.sum() / M
        square = ((values - mu) ** 2).sum()
        var = square / (M - 1 if mistake == "unbiased" else M)
        if not training or mistake == "running in training":
            mu_used, var_used = running_mean[c], running_var[c]
        else:
            mu_used, var_used = mu, var
        if mistake == "instance":
            mu_used = values.mean(axis=(1, 2), keepdims=True)
            var_used = values.var(axis=(1, 2), keepdims=True)
        y[:, c] = gamma[c] * (values - mu_used) / np.sqrt(var_used + eps) + beta[c]
        if training and mistake != "no update":
            a, b = (momentum, 1 - momentum) if mistake == "momentum" else (1 - momentum, momentum)
            new_mean[c] = a * running_mean[c] + b * mu
            new_var[c] = a * running_var[c] + b * (square / M if mistake == "biased running" else square / (M - 1))
    if mistake == "in place":
        running_mean[...], running_var[...] = new_mean, new_var
        return y, running_mean, running_var
    return y, new_mean, new_var


def test_learner_bn_forward_passes_and_agrees_with_the_package():
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.normal(size=(3, 2, 4, 4)), rng.normal(size=2), rng.normal(size=2)
    mean, var = np.zeros(2), np.ones(2)
    y, new_mean, new_var = learner_bn_forward(x, gamma, beta, mean, var, True)
    package_mean, package_var = mean.copy(), var.copy()
    assert np.allclose(y, cb.batch_norm2d(x, gamma, beta, package_mean, package_var, training=True))
    assert np.allclose(new_mean, package_mean) and np.allclose(new_var, package_var)
    assert check("batch_norm_forward", learner_bn_forward, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("unbiased", "normalisation uses the unbiased variance"),
    ("running in training", "running statistics are used in training"),
    ("biased running", "running variance is updated with the biased variance"),
    ("momentum", "momentum is applied the wrong way round"),
    ("no update", "not updated in training"),
    ("instance", "taken per example"),
    ("in place", "input array was modified"),
])
def test_bn_forward_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("batch_norm_forward", lambda *a, **k: learner_bn_forward(*a, **k, mistake=mistake))


def test_bn_forward_with_batch_statistics_in_evaluation_is_named():
    def always_batch(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        mu = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        y, _, _ = learner_bn_forward(x, gamma, beta, mu, var, False, momentum, eps)
        if training:
            return learner_bn_forward(x, gamma, beta, running_mean, running_var, True, momentum, eps)
        return y, running_mean.copy(), running_var.copy()

    assert "evaluation mode normalises with the batch's statistics" in diagnoses("batch_norm_forward", always_batch)


# --- batch_norm_backward -----------------------------------------------------------------------------

def learner_bn_backward(dy, x, gamma, eps=1e-5, mistake=""):
    """The chain rule through mean and variance, one channel at a time (CS231n's staged way)."""
    N, C, H, W = x.shape
    M = N * H * W
    dx, dgamma, dbeta = np.empty_like(x), np.empty_like(gamma), np.empty_like(gamma)
    for c in range(C):
        xc, d = x[:, c], dy[:, c]
        mu = xc.mean()
        xmu = xc - mu
        var = (xmu ** 2).sum() / M
        inv = 1 / np.sqrt(var + eps)
        xhat = xmu * inv
        dbeta[c] = d.sum()
        dgamma[c] = (d * (xc if mistake == "dgamma x" else xhat)).sum()
        dxhat = d * gamma[c]
        if mistake == "constants":
            dx[:, c] = dxhat * inv
            continue
        dvar = (dxhat * xmu).sum() * -0.5 * inv ** 3
        dmu = -(dxhat * inv).sum() + dvar * -2 * xmu.sum() / M
        if mistake == "no mean path":
            dmu = 0
        if mistake == "no variance path":
            dvar = 0
        dx[:, c] = dxhat * inv + dvar * 2 * xmu / M + dmu / M
    return dx, dgamma, dbeta


def test_learner_bn_backward_matches_finite_differences_and_passes():
    rng = np.random.default_rng(1)
    x, gamma, beta, dy = rng.normal(size=(2, 3, 3, 3)), rng.normal(size=3), rng.normal(size=3), rng.normal(size=(2, 3, 3, 3))
    dx, dgamma, dbeta = learner_bn_backward(dy, x, gamma)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda t: cb.batch_norm2d(t, gamma, beta), x, dy)) < 1e-6
    assert cb.rel_error(dgamma, cb.numerical_gradient(lambda g: cb.batch_norm2d(x, g, beta), gamma, dy)) < 1e-6
    assert cb.rel_error(dbeta, cb.numerical_gradient(lambda b: cb.batch_norm2d(x, gamma, b), beta, dy)) < 1e-6
    assert check("batch_norm_backward", learner_bn_backward, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("constants", "treats the batch mean and variance as constants"),
    ("no mean path", "not through the batch mean"),
    ("no variance path", "not through the variance"),
    ("dgamma x", "dgamma multiplies dy by x instead of xhat"),
])
def test_bn_backward_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("batch_norm_backward", lambda *a, **k: learner_bn_backward(*a, **k, mistake=mistake))


def test_the_batch_size_used_as_m_is_named():
    def compact_with_n(dy, x, gamma, eps=1e-5):
        mu = x.mean(axis=(0, 2, 3), keepdims=True)
        sigma = np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
        xhat = (x - mu) / sigma
        n = x.shape[0]                                     # the 1-D formula's N, carried over by mistake
        s1, s2 = dy.sum(axis=(0, 2, 3), keepdims=True), (dy * xhat).sum(axis=(0, 2, 3), keepdims=True)
        dx = gamma[None, :, None, None] / (n * sigma) * (n * dy - s1 - xhat * s2)
        return dx, (dy * xhat).sum(axis=(0, 2, 3)), dy.sum(axis=(0, 2, 3))

    assert "M is the batch size N" in diagnoses("batch_norm_backward", compact_with_n)


# --- dropout -----------------------------------------------------------------------------------------

def learner_dropout(x, p, training, seed, mistake=""):
    if not training:
        return x * (1 - p) if mistake == "scaled at test" else x
    keep = np.random.default_rng(seed).random(x.shape) >= p
    out = np.where(keep, x, 0)
    return out if mistake == "not scaled" else out / (1 - p)


def test_learner_dropout_passes_and_agrees_with_the_package():
    x = np.random.default_rng(2).normal(size=(3, 4))
    y, mask = cb.dropout(x, 0.3, True, np.random.default_rng(7))
    assert np.allclose(learner_dropout(x, 0.3, True, 7), y) and mask is not None
    assert check("dropout_forward", learner_dropout, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("not scaled", "kept values are not scaled"),
    ("scaled at test", "scaled at test time"),
])
def test_dropout_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("dropout_forward", lambda *a: learner_dropout(*a, mistake=mistake))


def test_dropout_with_p_as_keep_probability_is_named():
    def keep_probability(x, p, training, seed):
        if not training:
            return x
        u = np.random.default_rng(seed).random(x.shape)
        with np.errstate(invalid="ignore"):
            return x * (u < p) / p

    assert "probability of KEEPING" in diagnoses("dropout_forward", keep_probability)


def learner_dropout_backward(dy, mask, p, mistake=""):
    grad = np.where(mask, dy, 0)
    return grad if mistake == "not scaled" else grad / (1 - p)


def test_learner_dropout_backward_passes_and_the_unscaled_one_is_named():
    x, dy = np.random.default_rng(3).normal(size=(2, 5)), np.random.default_rng(4).normal(size=(2, 5))
    _, mask = cb.dropout(x, 0.4, True, np.random.default_rng(0))
    assert np.allclose(learner_dropout_backward(dy, mask, 0.4), cb.dropout_backward(dy, mask, 0.4))
    assert check("dropout_backward", learner_dropout_backward, verbose=False).passed
    assert "gradient is not scaled" in diagnoses("dropout_backward",
                                                lambda *a: learner_dropout_backward(*a, mistake="not scaled"))


# --- residual_block_backward --------------------------------------------------------------------------

def learner_residual_backward(dy, x, w1, w2, mistake=""):
    s = branch_forward(x, w1, w2) + x
    ds = dy * (s > 0)
    dx_branch, dw1, dw2 = branch_backward(ds, x, w1, w2)
    if mistake == "no shortcut":
        return dx_branch, dw1, dw2
    if mistake == "no relu":
        dx_branch, dw1, dw2 = branch_backward(dy, x, w1, w2)
        return dx_branch + dy, dw1, dw2
    return dx_branch + ds, dw1, dw2


def test_learner_residual_backward_matches_finite_differences_and_passes():
    rng = np.random.default_rng(5)
    x, dy = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(2, 2, 4, 4))
    w1, w2 = 0.3 * rng.normal(size=(2, 2, 3, 3)), 0.3 * rng.normal(size=(2, 2, 3, 3))
    dx, dw1, dw2 = learner_residual_backward(dy, x, w1, w2)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda t: residual_block_forward(t, w1, w2), x, dy)) < 1e-6
    assert cb.rel_error(dw1, cb.numerical_gradient(lambda t: residual_block_forward(x, t, w2), w1, dy)) < 1e-6
    assert cb.rel_error(dw2, cb.numerical_gradient(lambda t: residual_block_forward(x, w1, t), w2, dy)) < 1e-6
    assert check("residual_block_backward", learner_residual_backward, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("no shortcut", "shortcut's gradient is not added"),
    ("no relu", "ReLU after the sum is ignored"),
])
def test_residual_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("residual_block_backward",
                                  lambda *a: learner_residual_backward(*a, mistake=mistake))


def test_the_block_layer_is_the_exercise_block():
    rng = np.random.default_rng(6)
    block = Block(2, rng=rng, dtype=np.float64)
    for conv in (block.conv1, block.conv2):
        conv.params["bias"].value[...] = 0
    x, dy = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(2, 2, 4, 4))
    w1, w2 = block.conv1.params["weight"].value, block.conv2.params["weight"].value
    assert np.allclose(block.forward(x), residual_block_forward(x, w1, w2))
    assert np.allclose(block.backward(dy), learner_residual_backward(dy, x, w1, w2)[0])
    block.skip = False                                   # the plain twin: relu(F(x)), no shortcut
    f = branch_forward(x, w1, w2)
    assert np.allclose(block.forward(x), np.maximum(f, 0))
    assert np.allclose(block.backward(dy), branch_backward(dy * (f > 0), x, w1, w2)[0])


DELEGATING = {
    "batch_norm_forward": lambda x, gamma, beta, rm, rv, training, momentum=0.1, eps=1e-5: (
        cb.batch_norm2d(x, gamma, beta, rm.copy(), rv.copy(), training, momentum, eps), rm, rv),
    "batch_norm_backward": lambda dy, x, gamma, eps=1e-5: cb.batch_norm2d_backward(dy, x, gamma, eps=eps),
    "dropout_forward": lambda x, p, training, seed: cb.dropout(x, p, training, np.random.default_rng(seed))[0],
    "dropout_backward": lambda dy, mask, p: cb.dropout_backward(dy, mask, p),
    "residual_block_backward": lambda dy, x, w1, w2: Block(x.shape[1], rng=np.random.default_rng(0))._backward(dy),
}


@pytest.mark.parametrize("name", NAMES)
def test_answers_that_call_the_package_earn_nothing(name):
    report = check(name, DELEGATING[name], verbose=False)
    assert not report.passed
    assert all(r.problem.startswith("called cnnbook") for r in report.results), report
