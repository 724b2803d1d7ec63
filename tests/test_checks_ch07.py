"""Chapter 7's exercise checks: learner-style answers pass, planted mistakes are named.

Every implementation here is written independently, as a learner would, never by calling a
question's reference or a Mistake's function (nor the chapter's helpers in cnnbook.teaching.demos).
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.course.checks import QUESTIONS, check, questions_of_chapter
from cnnbook.course.checks.questions_ch07 import FeatureMap
from checking import diagnoses

NAMES = ["circular_shift", "conv2d_circular", "equivariance_error", "invariance_error", "fourier_shift"]


def test_chapter_7_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(7)] == NAMES
    assert sum(q.points for q in questions_of_chapter(7)) == 6


@pytest.mark.parametrize("name", NAMES)
def test_the_cases_can_travel_to_a_grading_kernel(name):
    cases = QUESTIONS[name].cases()
    restored = pickle.loads(pickle.dumps([(case.args, case.kwargs) for case in cases]))
    for case, (args, _) in zip(cases, restored):
        for original, copied in zip(case.args, args):
            if isinstance(original, FeatureMap):
                assert copied == original and copy.deepcopy(original) == original
                assert copied is not original and repr(copied).startswith("phi = conv")


def test_feature_maps_compute_what_their_description_says():
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=(2, 1, 3, 3)), rng.normal(size=(1, 1, 6, 6))
    padded = np.concatenate([x[..., -1:, :], x, x[..., :1, :]], axis=2)
    padded = np.concatenate([padded[..., -1:], padded, padded[..., :1]], axis=3)
    np.testing.assert_allclose(FeatureMap(w)(x), cb.conv2d(padded, w), rtol=0, atol=1e-12)
    np.testing.assert_allclose(FeatureMap(w, "zeros")(x), cb.conv2d(x, w, padding=1), rtol=0, atol=1e-12)
    pooled = FeatureMap(w, "zeros", relu=True, pool="max2")(x)
    np.testing.assert_allclose(pooled, cb.max_pool2d(np.maximum(cb.conv2d(x, w, padding=1), 0), 2), rtol=0, atol=1e-12)
    assert FeatureMap(w, pool="global_avg")(x).shape == (1, 2)
    np.testing.assert_allclose(FeatureMap(w, position=True)(x) - FeatureMap(w)(x),
                               np.broadcast_to(np.arange(6) / 6, (1, 2, 6, 6)), rtol=0, atol=1e-12)
    assert "the column index" in repr(FeatureMap(w, position=True))
    assert FeatureMap(w) != FeatureMap(w, "zeros") and FeatureMap(w) != FeatureMap(2 * w)
    assert FeatureMap(w) != FeatureMap(w, position=True)


# --- circular_shift ----------------------------------------------------------------------------------

def shift_by_indices(x, down, right, mistake=""):
    """out[n, c, (i + down) % H, (j + right) % W] = x[n, c, i, j], by fancy indexing."""
    dy, dx = down, right
    if mistake == "reversed":
        dy, dx = -dy, -dx
    if mistake == "swapped":
        dy, dx = dx, dy
    N, C, H, W = x.shape
    if mistake == "zeros":
        out = np.zeros_like(x)
        for i, j in np.ndindex(H, W):
            if 0 <= i + dy < H and 0 <= j + dx < W:
                out[:, :, i + dy, j + dx] = x[:, :, i, j]
        return out
    if mistake == "batch axes":
        return x[(np.arange(N) - dy) % N][:, (np.arange(C) - dx) % C]
    if mistake == "flat":
        flat = x.reshape(N, C, H * W)
        return flat[:, :, (np.arange(H * W) - (dy * W + dx)) % (H * W)].reshape(x.shape)
    rows = (np.arange(H) - dy) % H
    cols = (np.arange(W) - dx) % W
    return x[:, :, rows][:, :, :, cols]


def test_learner_shift_passes_and_matches_the_chapter():
    grid = np.arange(12.0).reshape(1, 1, 3, 4)
    assert shift_by_indices(grid, 0, 1)[0, 0, 0].tolist() == [3, 0, 1, 2]
    assert shift_by_indices(grid, 1, 0)[0, 0, 0].tolist() == [8, 9, 10, 11]
    assert check("circular_shift", shift_by_indices, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("reversed", "moved the wrong way"),
    ("batch axes", "the batch and channel axes were rolled"),
    ("swapped", "down and right are swapped"),
    ("zeros", "zeros came in at the edge"),
    ("flat", "rolled as one long row"),
])
def test_circular_shift_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("circular_shift", lambda x, down, right: shift_by_indices(x, down, right, mistake))


def test_a_shift_that_loses_float32_is_told_so():
    def in_float64(x, down, right):
        return shift_by_indices(x, down, right).astype(np.float64)

    report = check("circular_shift", in_float64, verbose=False)
    assert not report.passed and "keep the input's float type" in str(report)


# --- conv2d_circular ---------------------------------------------------------------------------------

def conv_loops(x, w, mistake=""):
    """The formula with % H and % W, written with loops (or one planted slip)."""
    N, C, H, W = x.shape
    K, _, R, S = w.shape
    if mistake == "flipped":
        w = w[:, :, ::-1, ::-1]
    p, q = (R - 1) // 2, (S - 1) // 2
    if mistake == "wrong side":
        p, q = R // 2, S // 2
    if mistake == "zeros":
        xp = np.zeros((N, C, H + R - 1, W + S - 1))
        xp[:, :, p:p + H, q:q + W] = x
        return np.array([[[[np.sum(xp[n, :, i:i + R, j:j + S] * w[k]) for j in range(W)] for i in range(H)]
                          for k in range(K)] for n in range(N)])
    if mistake == "no padding":
        return cb.conv2d(x, w)
    if mistake == "both sides":
        xp = np.pad(x, ((0, 0), (0, 0), (R // 2, R // 2), (S // 2, S // 2)), mode="wrap")
        return cb.conv2d(xp, w)
    y = np.zeros((N, K, H, W))
    for n, k, i, j in np.ndindex(N, K, H, W):
        for c, r, s in np.ndindex(C, R, S):
            y[n, k, i, j] += w[k, c, r, s] * x[n, c, (i + r - p) % H, (j + s - q) % W]
    return y


def test_learner_conv_passes_and_is_equivariant():
    assert check("conv2d_circular", conv_loops, verbose=False).passed
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(1, 2, 5, 6)), rng.normal(size=(2, 2, 3, 2))
    np.testing.assert_allclose(conv_loops(np.roll(x, (2, -1), axis=(2, 3)), w),
                               np.roll(conv_loops(x, w), (2, -1), axis=(2, 3)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("mistake, diagnosis", [
    ("zeros", "padded with zeros"),
    ("flipped", "rotated by 180 degrees"),
    ("wrong side", "padded on the wrong side"),
    ("both sides", "padded by R // 2 on both sides"),
    ("no padding", "x was not padded"),
])
def test_conv2d_circular_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("conv2d_circular", lambda x, w: conv_loops(x, w, mistake))


def test_swapped_row_and_column_padding_is_named():
    def swapped(x, w):
        R, S = w.shape[2:]
        widths = ((0, 0), (0, 0), ((S - 1) // 2, S // 2), ((R - 1) // 2, R // 2))
        return cb.conv2d(np.pad(x, widths, mode="wrap"), w)

    assert "row and column padding are swapped" in diagnoses("conv2d_circular", swapped)


# --- equivariance_error and invariance_error -----------------------------------------------------------

def roll(a, dy, dx):
    H, W = a.shape[-2:]
    return a[..., (np.arange(H) - dy) % H, :][..., (np.arange(W) - dx) % W]


def equivariance(phi, x, down, right, border, mistake=""):
    dy, dx = down, right
    after = phi(roll(x, dy, dx))
    if mistake == "invariance":
        target = phi(x)
    elif mistake == "reversed":
        target = roll(phi(x), -dy, -dx)
    elif mistake == "batch axes":
        after = phi(np.roll(x, (dy, dx), axis=(0, 1)))
        target = np.roll(phi(x), (dy, dx), axis=(0, 1))
    else:
        target = roll(phi(x), dy, dx)
    gap = np.abs(after - target) if mistake != "signed" else after - target
    H, W = gap.shape[2:]
    if mistake == "top-left":
        gap = gap[:, :, border:, border:]
    elif mistake != "no border":
        gap = gap[:, :, border:H - border, border:W - border]
    return float(gap.mean() if mistake == "mean" else gap.max())


def test_learner_equivariance_error_passes_and_agrees_with_the_chapter():
    assert check("equivariance_error", equivariance, verbose=False).passed
    rng = np.random.default_rng(4)
    w, x = rng.normal(size=(2, 1, 3, 3)), rng.normal(size=(1, 1, 10, 10))
    assert equivariance(FeatureMap(w), x, 2, -3, 0) < 1e-12
    assert equivariance(FeatureMap(w, "zeros"), x, 2, -3, 0) > 0.1
    assert equivariance(FeatureMap(w, "zeros"), x, 2, -3, 4) < 1e-12


@pytest.mark.parametrize("mistake, diagnosis", [
    ("invariance", "that measures invariance"),
    ("reversed", "the output was shifted the other way"),
    ("no border", "the border was not excluded"),
    ("top-left", "only at the top and left"),
    ("mean", "mean absolute difference"),
    ("signed", "the absolute value is missing"),
    ("batch axes", "moved the batch and channel axes"),
])
def test_equivariance_error_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("equivariance_error", lambda *a: equivariance(*a, mistake=mistake))


def invariance(phi, x, down, right, mistake=""):
    dy, dx = down, right
    after = phi(roll(x, dy, dx))
    target = roll(phi(x), dy, dx) if mistake == "equivariance" else phi(x)
    gap = after - target if mistake == "signed" else np.abs(after - target)
    return float(gap.mean() if mistake == "mean" else gap.max())


def test_learner_invariance_error_passes():
    assert check("invariance_error", invariance, verbose=False).passed
    rng = np.random.default_rng(5)
    w, x = rng.normal(size=(3, 1, 3, 3)), rng.normal(size=(1, 1, 8, 8))
    assert invariance(FeatureMap(w, pool="global_avg"), x, 3, 5) < 1e-12
    assert invariance(FeatureMap(w), x, 3, 5) > 0.1


@pytest.mark.parametrize("mistake, diagnosis", [
    ("equivariance", "that measures equivariance"),
    ("mean", "mean absolute difference"),
    ("signed", "the absolute value is missing"),
])
def test_invariance_error_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("invariance_error", lambda *a: invariance(*a, mistake=mistake))


def test_a_phi_modified_by_the_submission_is_caught():
    def scribbles_on_phi(phi, x, down, right):
        value = invariance(phi, x, down, right)
        phi.w *= 2
        return value

    report = check("invariance_error", scribbles_on_phi, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


# --- a constant answer earns nothing ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["equivariance_error", "invariance_error"])
def test_a_constant_answer_passes_no_case(name):
    question = QUESTIONS[name]
    answers = [question.reference(*copy.deepcopy(case.args)) for case in question.cases()]
    assert min(answers) > 0.1, "every case has a clearly nonzero answer"
    assert len({round(a, 6) for a in answers}) == len(answers), "no two cases share an answer"
    for constant in (0.0, 1.0, float(np.mean(answers))):
        report = check(name, lambda *args, c=constant: c, verbose=False)
        assert report.fraction == 0, (name, constant)
    for answer in answers:                     # even a constant copied from one case earns only that case
        report = check(name, lambda *args, c=answer: c, verbose=False)
        assert sum(r.passed for r in report.results) == 1


def test_the_learner_functions_still_see_exact_zeros_where_the_chapter_promises_them():
    rng = np.random.default_rng(6)
    w, x = rng.normal(size=(2, 1, 3, 3)), rng.normal(size=(1, 1, 8, 8))
    assert equivariance(FeatureMap(w, relu=True), x, -3, 5, 0) < 1e-12
    assert invariance(FeatureMap(w, relu=True, pool="global_avg"), x, -3, 5) < 1e-12
    assert invariance(FeatureMap(w, relu=True, pool="global_max"), x, 2, 1) < 1e-12


# --- fourier_shift --------------------------------------------------------------------------------------

def fourier_rfft(y, t, mistake=""):
    """A learner's band-limited shift along the columns, written with rfft / irfft."""
    W = y.shape[3]
    if mistake == "rounded":
        return np.roll(y, int(round(t)), axis=3)
    k = np.arange(W // 2 + 1)                                   # rfft's frequencies 0 ... W // 2
    sign = 1 if mistake == "left" else -1
    turn = np.exp(sign * 2j * np.pi * k * t / W)
    return np.fft.irfft(np.fft.rfft(y, axis=3) * turn, n=W, axis=3)


def test_learner_fourier_shift_passes_and_matches_roll_and_the_cosine():
    assert check("fourier_shift", fourier_rfft, verbose=False).passed
    rng = np.random.default_rng(7)
    y = rng.normal(size=(1, 2, 3, 10))
    np.testing.assert_allclose(fourier_rfft(y, 4.0), np.roll(y, 4, axis=3), rtol=0, atol=1e-12)
    j = np.arange(12)
    wave = np.sin(2 * np.pi * j / 6).reshape(1, 1, 1, 12)
    np.testing.assert_allclose(fourier_rfft(wave, 0.75)[0, 0, 0], np.sin(2 * np.pi * (j - 0.75) / 6), atol=1e-12)


def unsigned_frequencies(y, t):
    W = y.shape[3]
    turn = np.exp(-2j * np.pi * np.arange(W) * t / W)
    return np.real(np.fft.ifft(np.fft.fft(y, axis=3) * turn, axis=3))


def rows_instead(y, t):
    H = y.shape[2]
    turn = np.exp(-2j * np.pi * np.fft.fftfreq(H) * t).reshape(H, 1)
    return np.real(np.fft.ifft(np.fft.fft(y, axis=2) * turn, axis=2))


def complex_result(y, t):
    W = y.shape[3]
    turn = np.exp(-2j * np.pi * np.fft.fftfreq(W) * t)
    return np.fft.ifft(np.fft.fft(y, axis=3) * turn, axis=3)


def without_over_w(y, t):
    W = y.shape[3]
    turn = np.exp(-2j * np.pi * (np.fft.fftfreq(W) * W) * t)
    return np.real(np.fft.ifft(np.fft.fft(y, axis=3) * turn, axis=3))


@pytest.mark.parametrize("function, diagnosis", [
    (unsigned_frequencies, "np.fft.fftfreq(W) * W"),
    (lambda y, t: fourier_rfft(y, t, "left"), "the content moved left"),
    (without_over_w, "missing its / W"),
    (rows_instead, "the rows were shifted"),
    (complex_result, "the result is complex"),
    (lambda y, t: fourier_rfft(y, t, "rounded"), "rounded to whole pixels"),
])
def test_fourier_shift_mistakes_are_named(function, diagnosis):
    assert diagnosis in diagnoses("fourier_shift", function)


def test_returning_the_input_unshifted_fails_every_case():
    report = check("fourier_shift", lambda y, t: y.copy(), verbose=False)
    assert sum(r.passed for r in report.results) == 0
