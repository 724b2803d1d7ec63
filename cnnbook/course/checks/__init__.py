"""Self-checks for the exercises: ``check("conv2d_backward", conv2d_backward)``.

Each question (see :mod:`cnnbook.course.checks.framework`) runs the learner's function on
hand-worked, random and edge cases, prints one line per case and, when a case fails,
the likely mistake. The questions of chapter NN live in ``questions_chNN.py``.
"""

from __future__ import annotations

import importlib
import pkgutil

from .calling import call_safely
from .framework import Case, Mistake, Question, Report, evaluate
from .language import current_language
from .policy import code_refs, forbidden_table

QUESTIONS: dict[str, Question] = {}


def register(question: Question) -> Question:
    """Add a question to the registry (each module of questions calls this once per question)."""
    if question.name in QUESTIONS:
        raise ValueError(f"two questions are named {question.name!r}")
    QUESTIONS[question.name] = question
    return question


def questions_of_chapter(chapter: int) -> list[Question]:
    """The questions of one chapter, in the order they were registered."""
    return [q for q in QUESTIONS.values() if q.chapter == chapter]


def check(name: str, function, verbose: bool = True, lang: str | None = None) -> Report:
    """Check ``function`` against the question ``name``; print one line per case; return the report.

    ``lang``: ``"en"`` or ``"zh"``; by default Chinese in the book's ``zh/`` notebooks, else English
    (:func:`cnnbook.course.checks.language.current_language`).
    """
    language = current_language(lang)
    if name not in QUESTIONS:
        known = ", ".join(sorted(QUESTIONS))
        raise KeyError(f"check: no question named {name!r}; the questions are: {known}")
    if not callable(function):
        raise TypeError(f"check: the second argument must be your function; got {type(function).__name__}")
    question = QUESTIONS[name]
    cases = question.cases()
    forbidden = forbidden_table(code_refs(question))
    report = evaluate(question, cases, [call_safely(function, case.args, case.kwargs, forbidden) for case in cases])
    report.language = language
    if verbose:
        print(report)
    return report


def _load_question_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("questions_"):
            importlib.import_module(f"{__name__}.{module.name}")


_load_question_modules()

__all__ = ["Case", "Mistake", "Question", "Report", "QUESTIONS", "check", "questions_of_chapter", "register"]
