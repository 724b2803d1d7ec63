"""How an exercise is checked: cases, known mistakes, comparison and diagnosis.

A :class:`Question` names the function a learner writes, a reference that is known
to be right, the cases to try (hand-worked, random and edge cases, generated
deterministically), and the :class:`Mistake` s learners typically make, each as a
small wrong implementation. Checking runs the learner's function on every case and,
when an answer is wrong, looks for the mistake whose wrong answer it reproduces:
that is the diagnosis printed ("the filter is not rotated in dx", ...).

The learner's function may run elsewhere (the grader runs it inside the submitted
notebook's kernel); everything here needs only its *results*, so references and
diagnoses are always computed by this trusted code, never by the submission.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .calling import Outcome, Unsupported

NOT_IMPLEMENTED = "not implemented yet"


@dataclass(frozen=True)
class Case:
    """One call of the function: ``fn(*args, **kwargs)``, described for the learner by ``name``."""

    name: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: ``function`` computes it, ``diagnosis`` explains it to the learner."""

    diagnosis: str
    function: Callable


@dataclass(frozen=True)
class Question:
    """An exercise question.

    Attributes:
        name: what ``check(name, fn)`` is called with, e.g. ``"conv2d_backward"``.
        function: the name of the function the exercise notebook defines.
        chapter: the chapter number (the grader picks a notebook's questions by chapter).
        reference: a correct implementation.
        cases: a function returning the list of :class:`Case` (deterministic).
        mistakes: typical wrong implementations with their diagnoses.
        points: what the question is worth in grading.
        rtol, atol: the tolerance of the numerical comparison.
        output_names: names of the parts of a tuple result, e.g. ``("dx", "dw", "db")``.
        forbidden: dotted names of package functions the answer may not call, beyond those the policy
            derives from the reference (:mod:`cnnbook.course.checks.policy`).
        given_cell: the id of the exercise's cell that defines a given wrapper (such as ``lenet_accuracy``)
            the learner must not change; the grader runs that cell again, from the exercise, after the
            notebook, so a rewritten copy counts for nothing.
        hidden_cases: how many hidden cases the grader adds (variations of the visible ones that the
            learner never sees); 0 for a question whose one case trains a whole network.
    """

    name: str
    function: str
    chapter: int
    reference: Callable
    cases: Callable[[], list[Case]]
    mistakes: tuple[Mistake, ...] = ()
    points: float = 1.0
    rtol: float = 1e-6
    atol: float = 1e-8
    output_names: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    given_cell: str = ""
    hidden_cases: int = 6


@dataclass
class CaseResult:
    """One case: passed, or what was wrong (``problem``) and the likely mistake (``diagnosis``)."""

    case: str
    problem: str = ""
    diagnosis: str = ""
    hidden: bool = False      # a grader's hidden case (its inputs are never shown)

    @property
    def passed(self) -> bool:
        return not self.problem


@dataclass
class Report:
    """The result of checking one question."""

    question: str
    results: list[CaseResult]
    not_implemented: bool = False
    language: str = "en"      # of the printed lines: "en" or "zh" (cnnbook.course.checks.language)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(result.passed for result in self.results)

    @property
    def fraction(self) -> float:
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    def diagnoses(self) -> list[str]:
        """The distinct likely mistakes found, in the order the cases found them."""
        return list(dict.fromkeys(r.diagnosis for r in self.results if r.diagnosis))

    def lines(self) -> list[str]:
        """What ``print(report)`` shows, in :attr:`language`."""
        from .language import translate

        def say(text: str) -> str:
            return translate(text, self.language)

        if self.not_implemented:
            return [say(f"{self.question}: {NOT_IMPLEMENTED} (the function still raises NotImplementedError)")]
        lines = [f"{'✓' if r.passed else '✗'} {say(r.case)}" + (f": {say(r.problem)}" if r.problem else "")
                 for r in self.results]
        passed = sum(r.passed for r in self.results)
        lines.append(say(f"{self.question}: {passed}/{len(self.results)} cases passed" + ("" if self.passed else ";")))
        mistake = "  可能的错误：" if self.language == "zh" else "  likely mistake: "
        lines += [mistake + say(diagnosis) for diagnosis in self.diagnoses()]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:  # short, so that a notebook cell ending in check(...) shows no wall of text
        passed = sum(r.passed for r in self.results)
        return f"<Report {self.question}: {passed}/{len(self.results)} cases passed>"


def _argument_names(question: Question, keys: tuple) -> str:
    parameters = list(inspect.signature(question.reference).parameters)
    names = [parameters[key] if isinstance(key, int) and key < len(parameters) else str(key) for key in keys]
    return ", ".join(names)



# --- comparing with the reference ----------------------------------------------------------------

def evaluate(question: Question, cases: list[Case], outcomes: list[Outcome], expected: list | None = None) -> Report:
    """Compare the learner's outcomes on ``cases`` (one each, in order) with the reference; diagnose failures.

    ``expected`` may give the reference's answers, one per case, when they are already known.
    """
    if outcomes and all(outcome.not_implemented and not outcome.delegated for outcome in outcomes):
        return Report(question.name, [CaseResult(c.name, NOT_IMPLEMENTED) for c in cases], not_implemented=True)
    answers = expected if expected is not None else [None] * len(cases)
    return Report(question.name, [_judge_safely(question, case, outcome, answer)
                                  for case, outcome, answer in zip(cases, outcomes, answers)])


def reference_answer(question: Question, case: Case):
    """What the reference returns for ``case`` (on private copies of its arguments)."""
    return question.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


MUTATION = "the input array was modified: work on a copy (np.pad, x.copy()) and leave the caller's arrays alone"
DELEGATION = ("this question asks you to write the function yourself: the answer may not call the package's own "
              "version of it (the functions each question rules out: cnnbook.course.checks.policy)")


def _judge_safely(question: Question, case: Case, outcome: Outcome, expected=None) -> CaseResult:
    try:
        return _judge(question, case, outcome, expected)
    except Exception as error:  # noqa: BLE001 (a result that breaks the comparison is a wrong result, not a crash)
        return CaseResult(case.name, f"the result could not be compared with the answer ({type(error).__name__}: "
                                     f"{str(error)[:200]})")


def _judge(question: Question, case: Case, outcome: Outcome, expected=None) -> CaseResult:
    """What is wrong with one outcome (nothing, if it is right) and, when known, why."""
    if outcome.delegated:
        return CaseResult(case.name, f"called {', '.join(outcome.delegated)}", DELEGATION)
    if outcome.not_implemented:
        return CaseResult(case.name, "raised NotImplementedError: not implemented for this case")
    if outcome.error:
        return CaseResult(case.name, f"raised {outcome.error}")
    if expected is None:
        expected = reference_answer(question, case)
    problem = compare(outcome.returned, expected, question)
    if problem is None and outcome.mutated:
        return CaseResult(case.name, f"modified its input ({_argument_names(question, outcome.mutated)})", MUTATION)
    if problem is None:
        return CaseResult(case.name)
    return CaseResult(case.name, problem, _diagnose(question, case, outcome.returned, expected) or "")


def _diagnose(question: Question, case: Case, got, expected) -> str | None:
    """The known mistake that explains ``got``.

    A mistake explains an answer when every part the learner got wrong (``dx``, ``dw``
    or ``db`` of a tuple, or the whole result) equals that mistake's answer: exactly
    at first, else, for answers of the wrong shape, at least in shape.
    """
    wrong_answers = []
    for mistake in question.mistakes:
        try:
            wrong_answers.append((mistake, mistake.function(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))))
        except Exception:  # noqa: BLE001 (a mistake that cannot run on this case does not apply)
            continue
    parts = _parts(got, expected)
    wrong_parts = [(index, part, reference) for index, (part, reference) in enumerate(parts)
                   if _compare_one(part, reference, question, "") is not None]
    for same in (_same_answer, _same_shape):
        for mistake, wrong in wrong_answers:
            mistaken = _parts(wrong, expected)
            if wrong_parts and len(mistaken) == len(parts) and all(
                    same(part, mistaken[index][0], reference, question) for index, part, reference in wrong_parts):
                return mistake.diagnosis
    return None


def _parts(result, expected) -> list[tuple]:
    """``(part, expected part)`` pairs: one per item of a tuple result, else the whole result."""
    if isinstance(expected, tuple) and isinstance(result, (tuple, list)) and len(result) == len(expected):
        return list(zip(result, expected))
    return [(result, expected)]


def _same_answer(part, mistaken, reference, question) -> bool:
    return _compare_one(part, mistaken, question, "") is None


def _same_shape(part, mistaken, reference, question) -> bool:
    shape = getattr(part, "shape", None)
    return shape is not None and shape == getattr(mistaken, "shape", None) != getattr(reference, "shape", None)


def compare(got, expected, question: Question) -> str | None:
    """``None`` if ``got`` matches ``expected`` (structure, shape, dtype, values), else what differs."""
    if isinstance(expected, tuple):
        names = question.output_names or tuple(f"item {i}" for i in range(len(expected)))
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            what = f"a {_type_name(got)}" + (f" of {len(got)} items" if isinstance(got, (tuple, list)) else "")
            return f"returned {what}; expected a tuple of {len(expected)} ({', '.join(names)})"
        for name, part, reference in zip(names, got, expected):
            problem = _compare_one(part, reference, question, name)
            if problem:
                return problem
        return None
    return _compare_one(got, expected, question, "the result")


def _compare_one(got, expected, question: Question, name: str) -> str | None:
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{name} has type {_type_name(got)}; expected a numpy array of shape {expected.shape}"
        if got.shape != expected.shape:
            return f"{name} has shape {got.shape}; expected {expected.shape}"
        if got.dtype != expected.dtype:
            return f"{name} has dtype {got.dtype}; expected {expected.dtype} (keep the input's float type)"
        if not np.allclose(got, expected, rtol=question.rtol, atol=question.atol, equal_nan=True):
            error = np.abs(got.astype(np.float64) - expected)
            error[np.isnan(error)] = np.inf  # a NaN where a number belongs is as wrong as it gets
            worst = np.unravel_index(np.argmax(error), error.shape)
            return (f"{name} has wrong values (largest error {error[worst]:.3g} at index "
                    f"{tuple(int(i) for i in worst)}: got {got[worst]:.6g}, expected {expected[worst]:.6g})")
        return None
    if isinstance(expected, (int, np.integer)) and not isinstance(expected, bool):
        if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
            return f"{name} is {got!r} ({_type_name(got)}); expected the int {expected}"
        return None if got == expected else f"{name} is {got}; expected {expected}"
    if isinstance(expected, (float, np.floating)):
        if not isinstance(got, (int, float, np.integer, np.floating)) or isinstance(got, bool):
            return f"{name} is {got!r}; expected a number close to {expected:.6g}"
        close = np.isclose(got, expected, rtol=question.rtol, atol=question.atol, equal_nan=True)
        return None if close else f"{name} is {got:.6g}; expected {expected:.6g}"
    try:
        same = bool(got == expected)
    except (TypeError, ValueError):  # e.g. an array where a tuple was expected
        same = False
    return None if same else f"{name} is {got!r}; expected {expected!r}"


def _type_name(value) -> str:
    return value.type_name if isinstance(value, Unsupported) else type(value).__name__
