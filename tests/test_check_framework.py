"""The exercise checker: verdicts, diagnoses, and the JSON transport the grader uses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnbook.course.checks import QUESTIONS, Case, Mistake, Question, check, questions_of_chapter
from cnnbook.course.checks.calling import Unsupported, call_safely, decode, encode
from cnnbook.course.checks.framework import DELEGATION, evaluate

SQUARE = Question(
    name="square", function="square", chapter=0, reference=lambda x: x * x,
    cases=lambda: [Case("a vector", (np.arange(3.0),)), Case("a matrix", (np.ones((2, 2)),))],
    mistakes=(Mistake("doubled instead of squared", lambda x: 2 * x),),
)


def run(question: Question, function):
    cases = question.cases()
    return evaluate(question, cases, [call_safely(function, c.args, c.kwargs) for c in cases])


def test_a_right_answer_passes_every_case():
    report = run(SQUARE, lambda x: x ** 2)
    assert report.passed and report.fraction == 1.0
    assert str(report).splitlines()[-1] == "square: 2/2 cases passed"


def test_a_known_mistake_is_named():
    report = run(SQUARE, lambda x: x + x)
    assert not report.passed and report.diagnoses() == ["doubled instead of squared"]
    assert "has wrong values" in report.results[0].problem


def test_an_unknown_mistake_reports_the_largest_error_without_guessing():
    report = run(SQUARE, lambda x: x * x + 0.5)
    assert report.diagnoses() == []
    assert "largest error 0.5" in report.results[0].problem


def test_a_stub_is_reported_as_not_implemented_not_as_a_traceback():
    def stub(x):
        raise NotImplementedError("write me")

    report = run(SQUARE, stub)
    assert report.not_implemented and str(report) == "square: not implemented yet (the function still raises NotImplementedError)"


def test_exceptions_shapes_dtypes_and_mutation_are_each_reported():
    assert run(SQUARE, lambda x: 1 / 0).results[0].problem.startswith("raised ZeroDivisionError: division by zero")
    assert run(SQUARE, lambda x: (x * x)[:1]).results[0].problem == "the result has shape (1,); expected (3,)"
    assert "has dtype float32; expected float64" in run(SQUARE, lambda x: (x * x).astype(np.float32)).results[0].problem

    def squares_in_place(x):
        x *= x
        return x.copy()

    result = run(SQUARE, squares_in_place).results[0]
    assert result.problem == "modified its input (x)" and "work on a copy" in result.diagnosis


def test_tuple_results_name_the_wrong_part():
    question = Question("pair", "pair", 0, lambda x: (x, 2 * x), lambda: [Case("v", (np.ones(2),))],
                        output_names=("first", "second"))
    assert run(question, lambda x: (x, 3 * x)).results[0].problem.startswith("second has wrong values")
    assert run(question, lambda x: x).results[0].problem == "returned a ndarray; expected a tuple of 2 (first, second)"


def test_check_prints_and_rejects_unknown_names(capsys):
    report = check("conv_output_size", lambda n, k, s, p: (n + 2 * p - k) // s + 1)
    assert report.passed and "7/7 cases passed" in capsys.readouterr().out
    with pytest.raises(KeyError, match="no question named 'conv3d'"):
        check("conv3d", print)
    with pytest.raises(TypeError, match="must be your function"):
        check("conv2d", 3)


# Questions whose single case trains a whole network: more cases would only cost grading time.
WHOLE_MODEL_QUESTIONS = {"lenet_accuracy"}


def test_every_registered_question_accepts_its_own_reference():
    for question in QUESTIONS.values():
        report = run(question, question.reference)
        assert report.passed, f"{question.name}: the reference fails its own checks:\n{report}"
        if question.name not in WHOLE_MODEL_QUESTIONS:
            assert len(report.results) >= 3, f"{question.name} needs hand-worked, random and edge cases"
    assert [q.name for q in questions_of_chapter(3)] == ["correlate2d_valid", "conv_output_size", "dilated_output_size",
                                                         "conv2d", "im2col"]


def test_the_transport_round_trips_results_and_refuses_objects():
    value = (np.arange(6, dtype=np.float32).reshape(2, 3), np.int64(4), 2.5, [None, "text"], {1, 2})
    back = decode(json.loads(json.dumps(encode(value))))
    np.testing.assert_array_equal(back[0], value[0])
    assert back[0].dtype == np.float32 and back[1] == 4 and back[2] == 2.5 and back[3] == [None, "text"]
    assert back[4] == Unsupported("set")
    assert isinstance(decode(encode(np.array(["a"]))), Unsupported)


def test_a_nan_answer_is_reported_not_a_crash():
    report = run(SQUARE, lambda x: np.full(x.shape, np.nan))
    assert "largest error inf" in report.results[0].problem
    assert repr(report) == "<Report square: 0/2 cases passed>"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_question_reports_a_stub_as_not_implemented(name):
    def stub(*args, **kwargs):
        raise NotImplementedError("not implemented yet")

    report = check(name, stub, verbose=False)
    assert report.not_implemented and not report.passed
    assert str(report) == f"{name}: not implemented yet (the function still raises NotImplementedError)"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_handing_in_the_checkers_own_answer_is_reported_as_delegation(name):
    question = QUESTIONS[name]
    report = check(name, question.reference, verbose=False)
    assert not report.passed and report.fraction == 0
    assert report.results[0].problem.startswith("called ")
    assert report.diagnoses() == [DELEGATION]
