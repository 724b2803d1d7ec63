"""Chapter 5's exercise checks: learner-style pooling passes, planted mistakes are named.

Every implementation here is written independently, as a learner would, never by calling a
question's reference or a Mistake's function.
"""

from __future__ import annotations


import numpy as np
import pytest

import cnnbook as cb
from cnnbook.course.checks import QUESTIONS, check, questions_of_chapter
from checking import diagnoses

POOL_NAMES = ["max_pool2d", "avg_pool2d", "avg_pool2d_backward", "max_pool2d_backward"]
NAMES = POOL_NAMES + ["global_avg_pool2d", "global_avg_pool2d_backward"]


def as_pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def test_chapter_5_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(5)] == NAMES
    assert sum(q.points for q in questions_of_chapter(5)) == 7


@pytest.mark.parametrize("name", POOL_NAMES)
def test_the_cases_cover_overlap_uneven_strides_padding_and_non_square_windows(name):
    cases = QUESTIONS[name].cases()
    geometries = [case.args[-3:] for case in cases]
    assert any(as_pair(k) == (3, 3) and as_pair(s) == (1, 1) for k, s, _ in geometries)        # overlap
    assert any(as_pair(p) != (0, 0) for _, _, p in geometries)                                    # padding
    assert any(len(set(as_pair(k))) == 2 for k, _, _ in geometries)                               # non-square
    x_shapes = [case.args[-4].shape for case in cases]
    assert any((h - as_pair(k)[0]) % as_pair(s)[0] for (_, _, h, _), (k, s, _) in zip(x_shapes, geometries))


def windows_with_a_tie(x, kernel_size, stride, padding):
    """How many windows hold their maximum more than once."""
    (kh, kw), (sh, sw), (ph, pw) = as_pair(kernel_size), as_pair(stride), as_pair(padding)
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=-np.inf)
    P, Q = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    windows = [xp[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw] for n, c, i, j in np.ndindex(*x.shape[:2], P, Q)]
    return sum(int(np.sum(window == window.max()) > 1) for window in windows)


def test_max_pool2d_backward_has_cases_with_ties_with_and_without_overlap():
    tied = [case.args[1:] for case in QUESTIONS["max_pool2d_backward"].cases() if windows_with_a_tie(*case.args[1:])]
    assert len(tied) >= 3
    assert any(as_pair(stride) == (1, 1) for _, _, stride, _ in tied)


# --- forward passes: a loop over window positions, whole batches at once ----------------------------

def pool_forward(x, kernel_size, stride, padding, kind="max", mistake=""):
    kh, kw = as_pair(kernel_size)
    sh, sw = as_pair(stride)
    ph, pw = (0, 0) if mistake == "no padding" else as_pair(padding)
    if mistake == "swapped":
        kh, kw = kw, kh
    fill = 0.0 if (kind == "avg" or mistake == "zero padding") else -np.inf
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], mode="constant", constant_values=fill)
    P, Q = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    if mistake == "no stride":
        sh = sw = 1
    y = np.empty(x.shape[:2] + (P, Q))
    for i in range(P):
        for j in range(Q):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            if kind == "max":
                y[:, :, i, j] = window.max(axis=(2, 3))
            elif mistake == "sum":
                y[:, :, i, j] = window.sum(axis=(2, 3))
            elif mistake == "real cells":
                top, left = i * sh - ph, j * sw - pw
                rows = min(top + kh, x.shape[2]) - max(top, 0)
                cols = min(left + kw, x.shape[3]) - max(left, 0)
                y[:, :, i, j] = window.sum(axis=(2, 3)) / (rows * cols)
            else:
                y[:, :, i, j] = window.mean(axis=(2, 3))
    return y


def test_learner_forward_passes_pass():
    chapter = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 6, 2], [3, 2, 4, 0]], dtype=float)[None, None]
    assert pool_forward(chapter, 2, 2, 0)[0, 0].tolist() == [[4, 5], [3, 6]]
    assert pool_forward(chapter, 2, 2, 0, "avg")[0, 0].tolist() == [[2.5, 2.0], [1.5, 3.0]]
    assert check("max_pool2d", pool_forward, verbose=False).passed
    assert check("avg_pool2d", lambda *a: pool_forward(*a, kind="avg"), verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("zero padding", "the padding is zeros"),
    ("no padding", "the padding is ignored"),
    ("no stride", "the stride is ignored"),
    ("swapped", "height and width are swapped"),
])
def test_max_pool2d_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("max_pool2d", lambda *a: pool_forward(*a, mistake=mistake))


def test_max_pool2d_that_computes_the_mean_is_named():
    assert "this is the mean" in diagnoses("max_pool2d", lambda *a: pool_forward(*a, kind="avg"))


@pytest.mark.parametrize("mistake, diagnosis", [
    ("sum", "not divided by the window size"),
    ("real cells", "divided by the number of real (non-padding) cells"),
    ("no padding", "the padding is ignored"),
    ("no stride", "the stride is ignored"),
    ("swapped", "height and width are swapped"),
])
def test_avg_pool2d_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("avg_pool2d", lambda *a: pool_forward(*a, kind="avg", mistake=mistake))


# --- backward passes: scatter each dy back, with planted slips ----------------------------------------

def avg_backward(dy, x, kernel_size, stride, padding, mistake=""):
    kh, kw = as_pair(kernel_size)
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    H, W = x.shape[2:]
    dxp = np.zeros(x.shape[:2] + (H + 2 * ph, W + 2 * pw))
    for i, j in np.ndindex(*dy.shape[2:]):
        rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
        share = dy[:, :, i, j, None, None] / (kh * kw)
        if mistake == "copy":
            share = dy[:, :, i, j, None, None] * np.ones((kh, kw))
        if mistake == "real cells":
            real = np.zeros((H + 2 * ph, W + 2 * pw))
            real[ph:ph + H, pw:pw + W] = 1
            share = dy[:, :, i, j, None, None] / real[rows, cols].sum() * np.ones((kh, kw))
        if mistake == "assign":
            dxp[:, :, rows, cols] = share
        else:
            dxp[:, :, rows, cols] += share
    return dxp if mistake == "no crop" else dxp[:, :, ph:ph + H, pw:pw + W]


def test_learner_avg_backward_passes_and_matches_finite_differences():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 1, 5, 6))
    dy = rng.normal(size=cb.avg_pool2d(x, 3, 2, 1).shape)
    numeric = cb.numerical_gradient(lambda t: pool_forward(t, 3, 2, 1, kind="avg"), x, dy, h=1e-3)
    assert cb.rel_error(avg_backward(dy, x, 3, 2, 1), numeric) < 1e-7
    assert check("avg_pool2d_backward", avg_backward, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("copy", "copied to every cell of the window without dividing"),
    ("real cells", "divided by the number of real (non-padding) cells"),
    ("no crop", "padding is not cropped"),
    ("assign", "overwritten (=) where windows overlap"),
])
def test_avg_backward_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("avg_pool2d_backward", lambda *a: avg_backward(*a, mistake=mistake))


def max_backward(dy, x, kernel_size, stride, padding, mistake=""):
    """Scan each window row by row, keeping the running maximum (strictly larger replaces it)."""
    kh, kw = as_pair(kernel_size)
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    fill = 0.0 if mistake == "zero padding" else -np.inf
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=fill)
    dxp = np.zeros(xp.shape)
    N, C, P, Q = dy.shape
    for n, c, i, j in np.ndindex(N, C, P, Q):
        g = dy[n, c, i, j]
        cells = [(i * sh + a, j * sw + b) for a in range(kh) for b in range(kw)]
        best = max(xp[n, c][cell] for cell in cells)
        if mistake in ("every max", "split"):
            winners = [cell for cell in cells if xp[n, c][cell] == best]
            for cell in winners:
                dxp[n, c][cell] += g if mistake == "every max" else g / len(winners)
            continue
        if mistake == "whole window":
            for cell in cells:
                dxp[n, c][cell] += g
            continue
        winner, running = None, -np.inf
        for cell in cells:
            value = xp[n, c][cell]
            if winner is None or value > running or (mistake == "last max" and value == running):
                winner, running = cell, value
        amount = running if mistake == "value" else g
        if mistake == "assign":
            dxp[n, c][winner] = amount
        else:
            dxp[n, c][winner] += amount
    return dxp if mistake == "no crop" else dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]


def test_learner_max_backward_passes_and_matches_the_chapter():
    tie = np.array([[1.0, 3.0], [3.0, 2.0]])[None, None]
    assert max_backward(np.ones((1, 1, 1, 1)), tie, 2, 2, 0)[0, 0].tolist() == [[0, 1], [0, 0]]
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 2, 6, 7))
    dy = rng.normal(size=cb.max_pool2d(x, (3, 2), (2, 1), (1, 1)).shape)
    numeric = cb.numerical_gradient(lambda t: pool_forward(t, (3, 2), (2, 1), (1, 1)), x, dy)
    assert cb.rel_error(max_backward(dy, x, (3, 2), (2, 1), (1, 1)), numeric) < 1e-7
    assert check("max_pool2d_backward", max_backward, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("every max", "went to every maximum (an equality mask"),
    ("split", "split among the maxima"),
    ("last max", "went to the LAST maximum"),
    ("whole window", "went to every cell of the window"),
    ("value", "the maximum's value was written back"),
    ("assign", "overwritten (=) where windows overlap"),
    ("no crop", "padding is not cropped"),
    ("zero padding", "x was padded with zeros"),
])
def test_max_backward_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("max_pool2d_backward", lambda *a: max_backward(*a, mistake=mistake))


def test_a_backward_pass_that_modifies_dy_is_caught():
    def in_place(dy, x, kernel_size, stride, padding):
        dy /= 1.0 * np.prod(as_pair(kernel_size))
        return avg_backward(dy * np.prod(as_pair(kernel_size)), x, kernel_size, stride, padding)

    report = check("avg_pool2d_backward", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


# --- global average pooling -----------------------------------------------------------------------------

def global_forward(x, mistake=""):
    N, C, H, W = x.shape
    y = np.zeros((N, C))
    for n in range(N):
        for c in range(C):
            y[n, c] = sum(x[n, c, u, v] for u in range(H) for v in range(W)) / (1 if mistake == "sum" else H * W)
    if mistake == "keepdims":
        return y[:, :, None, None]
    if mistake == "channels":
        return y.mean(axis=1)
    if mistake == "batch":
        return y.mean(axis=0)
    return y


def test_learner_global_average_pooling_passes_and_matches_avg_pool2d():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 3, 5, 4))
    np.testing.assert_allclose(global_forward(x), cb.avg_pool2d(x, (5, 4))[:, :, 0, 0], rtol=0, atol=1e-12)
    assert check("global_avg_pool2d", global_forward, verbose=False).passed
    assert check("global_avg_pool2d", lambda x: x.mean(axis=(2, 3)), verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("sum", "summed but not divided by its size"),
    ("keepdims", "keeps the spatial axes"),
    ("channels", "the channels are averaged too"),
    ("batch", "the batch is averaged too"),
])
def test_global_avg_pool2d_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("global_avg_pool2d", lambda x: global_forward(x, mistake))


def test_global_max_instead_of_mean_is_named():
    assert "global max pooling" in diagnoses("global_avg_pool2d", lambda x: x.max(axis=(2, 3)))


def global_backward(dy, x, mistake=""):
    N, C, H, W = x.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            if mistake == "max":
                u, v = divmod(int(np.argmax(x[n, c])), W)
                dx[n, c, u, v] = dy[n, c]
                continue
            share = {"copy": dy[n, c], "image": dy[n, c] / (C * H * W)}.get(mistake, dy[n, c] / (H * W))
            dx[n, c] += share
    if mistake == "no broadcast":
        return dx[:, :, :1, :1]
    return dx


def test_learner_global_backward_passes_and_matches_finite_differences():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 3, 5, 4))
    dy = rng.normal(size=(2, 3))
    numeric = cb.numerical_gradient(global_forward, x, dy, h=1e-3)
    assert cb.rel_error(global_backward(dy, x), numeric) < 1e-9
    assert check("global_avg_pool2d_backward", global_backward, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("copy", "copied to every cell without dividing"),
    ("no broadcast", "dx has shape (N, C, 1, 1)"),
    ("image", "divided by C * H * W"),
    ("max", "went to the largest cell, as in max pooling"),
])
def test_global_backward_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("global_avg_pool2d_backward", lambda dy, x: global_backward(dy, x, mistake))


def test_the_equality_mask_bug_is_named_on_the_tie_cases():
    def equality_mask(dy, x, kernel_size, stride, padding):
        (kh, kw), (sh, sw), (ph, pw) = as_pair(kernel_size), as_pair(stride), as_pair(padding)
        xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=-np.inf)
        dxp = np.zeros(xp.shape)
        for i, j in np.ndindex(*dy.shape[2:]):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dxp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += mask * dy[:, :, i, j, None, None]
        return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]

    report = check("max_pool2d_backward", equality_mask, verbose=False)
    failed = [r.case for r in report.results if not r.passed]
    assert failed and all("tie" in name or "constant" in name for name in failed), "it fails only where windows tie"
    assert "equality mask" in " ".join(report.diagnoses())


# --- the solution notebook ----------------------------------------------------------------------------
