"""Chapter 3's newer exercise questions (dilated output size, im2col): solutions pass, planted mistakes
are named. The older questions (correlate2d_valid, conv_output_size, conv2d) are in test_checks_ch03_ch04.py."""

from __future__ import annotations

import math

import numpy as np

from cnnbook.course.checks import check, questions_of_chapter

from checking import diagnoses


def test_the_chapter_3_questions_come_in_teaching_order():
    assert [q.name for q in questions_of_chapter(3)] == [
        "correlate2d_valid", "conv_output_size", "dilated_output_size", "conv2d", "im2col"]


# --- dilated_output_size -----------------------------------------------------------------------------

def counted_positions(n, kernel_size, stride, padding, dilation):
    """A learner's answer by counting: window t reads t*stride, t*stride + d, ..., t*stride + d*(k - 1)."""
    count = 0
    while count * stride + dilation * (kernel_size - 1) <= n + 2 * padding - 1:
        count += 1
    return count


def test_learner_dilated_output_size_passes():
    assert check("dilated_output_size", counted_positions, verbose=False).passed
    formula = lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s + 1      # noqa: E731
    assert check("dilated_output_size", formula, verbose=False).passed


def only_diagnosis(name, function) -> str:
    """The one likely mistake named for ``function`` (the cases are chosen so that the mistakes never coincide)."""
    report = check(name, function, verbose=False)
    assert not report.passed, f"{name}: a planted mistake passed every case"
    (diagnosis,) = report.diagnoses()
    return diagnosis


def test_dilated_output_size_mistakes_are_named_without_ambiguity():
    name = "dilated_output_size"
    def size(span, divide=lambda a, b: a // b):
        return lambda n, k, s, p, d: divide(n + 2 * p - span(k, d), s) + 1

    assert "dilation is ignored" in only_diagnosis(name, size(lambda k, d: k))
    assert "span is taken as d * kernel_size" in only_diagnosis(name, size(lambda k, d: d * k))
    assert "'+ 1' of the span is missing" in only_diagnosis(name, size(lambda k, d: d * (k - 1)))
    assert "counted once instead of once per gap" in only_diagnosis(name, size(lambda k, d: k + d - 1))
    assert "rounding up" in only_diagnosis(name, size(lambda k, d: d * (k - 1) + 1, lambda a, b: math.ceil(a / b)))
    assert "a float is returned" in only_diagnosis(name, size(lambda k, d: d * (k - 1) + 1, lambda a, b: a / b))


# --- im2col --------------------------------------------------------------------------------------------

def learner_im2col(x, kernel_size, stride, padding, rows=False, channels_last=False, by_column=False,
                   use_padding=True, use_stride=True):
    """A learner-style im2col, written independently, with switchable mistakes."""
    p = padding if use_padding else 0
    step = stride if use_stride else 1
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    C, Hp, Wp = xp.shape
    k = kernel_size
    P, Q = (Hp - k) // step + 1, (Wp - k) // step + 1
    col = np.zeros((C * k * k, P * Q))
    for i in range(P):
        for j in range(Q):
            window = xp[:, i * step:i * step + k, j * step:j * step + k]            # (C, k, k)
            if channels_last:
                window = window.transpose(1, 2, 0)
            col[:, j * P + i if by_column else i * Q + j] = window.reshape(-1)
    return col.T.copy() if rows else col


def test_learner_im2col_passes_and_is_the_convolution_as_a_product():
    assert check("im2col", learner_im2col, verbose=False).passed
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 6, 5)), rng.normal(size=(4, 3, 3, 3))
    import cnnbook as cb

    y = (w.reshape(4, -1) @ learner_im2col(x, 3, 2, 1)).reshape(4, 3, 3)
    np.testing.assert_allclose(y, cb.conv2d(x[None], w, stride=2, padding=1)[0], atol=1e-12)


def test_im2col_mistakes_are_named_without_ambiguity():
    assert "windows are rows, not columns" in only_diagnosis("im2col", lambda *a: learner_im2col(*a, rows=True))
    assert "channels last" in only_diagnosis("im2col", lambda *a: learner_im2col(*a, channels_last=True))
    assert "numbered column by column" in only_diagnosis("im2col", lambda *a: learner_im2col(*a, by_column=True))
    assert "padding is ignored" in only_diagnosis("im2col", lambda *a: learner_im2col(*a, use_padding=False))
    assert "stride is ignored" in only_diagnosis("im2col", lambda *a: learner_im2col(*a, use_stride=False))
    # a mistake the checks have no diagnosis for still fails, without a wrong diagnosis
    assert diagnoses("im2col", lambda *a: learner_im2col(*a) + 1) == ""


def test_a_stub_is_reported_as_not_implemented():
    def stub(*args):
        raise NotImplementedError("not implemented yet")

    for name in ("dilated_output_size", "im2col"):
        assert check(name, stub, verbose=False).not_implemented
