"""Grading submissions: read each one, run it in a sandbox, judge its answers here.

For each notebook: :mod:`~cnnbook.course.grading.submission` reads it and decides which exercise it
answers; a sandbox (:mod:`~cnnbook.course.grading.sandbox`) runs its code cells and calls its functions on
the question's visible and hidden cases; the answers come back as JSON and are judged in this
process against the references, which never run where a submission can reach them. Submissions
are graded ``jobs`` at a time, and a submission whose file is unchanged since a previous run can
be taken over from that run (``previous``).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..checks import QUESTIONS, Case, Question, questions_of_chapter
from ..checks.calling import Outcome, TransportError, Unsupported, decode, mutated_arguments
from ..checks.framework import NOT_IMPLEMENTED, CaseResult, evaluate, reference_answer
from ..checks.hidden import hidden_cases
from ..checks.policy import code_refs
from .pool import Sandbox, private_package
from .results import CHECKER_VERSION, NotebookGrade, QuestionGrade, clean_text
from .submission import choose_chapter, edited_given_cells, given_cells, read_submission

#: A code cell that only calls ``check``: the grader runs the checks itself, so it skips these.
CHECK_CELL = re.compile(r"^\s*check\(\s*['\"][\w]+['\"]\s*,\s*\w+\s*\)\s*;?\s*$")
#: Seconds a sandbox may take beyond the limits it enforces itself, before it is replaced.
SLACK = 60.0


@dataclass
class Options:
    """How to grade (see ``cnnbook grade --help`` for each)."""

    cell_timeout: float = 60.0
    total_timeout: float = 600.0
    jobs: int = 1
    chapter: int | None = None
    seed: int | None = None
    points: dict[str, float] = field(default_factory=dict)
    student_pattern: str | None = None
    deadline: datetime | None = None
    late_penalty: float = 0.0                     # fraction of the maximum lost per started day
    timestamps: dict[str, datetime] = field(default_factory=dict)
    previous: list[NotebookGrade] = field(default_factory=list)


def notebook_paths(paths: list[str]) -> list[tuple[Path, Path]]:
    """``(notebook, the folder it was found in)`` for each named notebook and each ``*.ipynb`` of a named folder."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [(p, path) for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
        elif path.exists():
            found.append((path, path.parent))
        else:
            raise FileNotFoundError(f"cnnbook grade: no such file or folder: {path}")
    return found


def student_of(path: Path, root: Path, pattern: str | None) -> str:
    """Who handed ``path`` in: the ``student`` group of ``pattern`` matched against the path below ``root``;
    by default the first folder below ``root``, or the file's name without ``.ipynb`` when there is none."""
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if pattern:
        match = re.search(pattern, relative)
        return match.group("student") if match else ""
    parts = relative.split("/")
    return parts[0] if len(parts) > 1 else path.stem


def grade_paths(paths: list[str], options: Options, on_graded=None) -> list[NotebookGrade]:
    """Grade every notebook in ``paths``; ``on_graded(grade)`` is called as each one finishes."""
    targets = notebook_paths(paths)
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    grader = _Grader(options, seed)
    sandboxes = _SandboxShelf(private_package(), max(1, options.jobs))
    try:
        with ThreadPoolExecutor(max(1, options.jobs)) as executor:
            def work(target):
                grade = grader.grade(*target, sandboxes)
                if on_graded is not None:
                    on_graded(grade)
                return grade
            return list(executor.map(work, targets))
    finally:
        sandboxes.close()


class _SandboxShelf:
    """Sandboxes to lend to the worker threads, one per thread at a time."""

    def __init__(self, site: Path, count: int):
        self.free = [Sandbox(site) for _ in range(count)]
        self.all = list(self.free)
        self.lock = threading.Lock()

    def take(self) -> Sandbox:
        with self.lock:
            return self.free.pop()

    def give_back(self, sandbox: Sandbox) -> None:
        with self.lock:
            self.free.append(sandbox)

    def close(self) -> None:
        for sandbox in self.all:
            sandbox.close()


class _Grader:
    """Everything shared between submissions: the cases (visible and hidden) and their answers."""

    def __init__(self, options: Options, seed: int):
        self.options, self.seed = options, seed
        self.functions = {}
        for question in QUESTIONS.values():
            self.functions.setdefault(question.chapter, set()).add(question.function)
        self.previous = {(g.path, g.sha256): g for g in options.previous}
        self._cases: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def cases(self, question: Question) -> tuple[list[Case], list[bool], list]:
        """The cases of ``question`` (visible, then hidden), which of them are hidden, and the answers."""
        with self._lock:
            if question.name not in self._cases:
                visible, hidden = question.cases(), hidden_cases(question, self.seed)
                cases = visible + hidden
                self._cases[question.name] = (cases, [False] * len(visible) + [True] * len(hidden),
                                              [reference_answer(question, case) for case in cases])
            return self._cases[question.name]

    def grade(self, path: Path, root: Path, sandboxes: _SandboxShelf) -> NotebookGrade:
        started = time.monotonic()
        submission = read_submission(path)
        grade = NotebookGrade(str(path), student_of(path, root, self.options.student_pattern), None,
                              sha256=submission.sha256, readable=submission.readable, seed=self.seed,
                              notes=list(submission.notes), language=submission.language)
        earlier = self.previous.get((grade.path, grade.sha256))
        if earlier is not None and earlier.checker_version == CHECKER_VERSION:
            return earlier
        if not submission.readable:
            return grade
        grade.chapter, grade.chapter_from = choose_chapter(submission, self.functions, self.options.chapter)
        grade.notes = list(submission.notes)
        if grade.chapter is None:
            grade.notes.append("no exercise questions for this notebook: name it like 03_convolution.ipynb, "
                               "or pass --chapter")
            return grade
        grade.flags += edited_given_cells(submission, grade.chapter)
        questions = questions_of_chapter(grade.chapter)
        sandbox = sandboxes.take()
        try:
            reply = sandbox.run(self._job(submission.cells, questions), self._limit(questions))
        finally:
            sandboxes.give_back(sandbox)
        self._judge(grade, questions, reply)
        self._apply_lateness(grade, path)
        grade.seconds = round(time.monotonic() - started, 2)
        return grade

    def _job(self, cells: list[str], questions: list[Question]) -> dict:
        given = {cell["id"]: cell["source"] for cell in given_cells().get(questions[0].chapter, [])}
        return {
            "cells": [source for source in cells if not CHECK_CELL.match(source)],
            "cell_timeout": self.options.cell_timeout, "cells_timeout": self.options.total_timeout,
            "questions": [{"kind": "calls", "name": q.name, "function": q.function,
                           "given": given.get(q.given_cell, "") if q.given_cell else "",
                           "cases": [(c.args, c.kwargs) for c in self.cases(q)[0]],
                           "forbidden": code_refs(q), "timeout": self.options.cell_timeout} for q in questions],
        }

    def _limit(self, questions: list[Question]) -> float:
        return self.options.total_timeout + len(questions) * (self.options.cell_timeout + 10) + SLACK

    def _judge(self, grade: NotebookGrade, questions: list[Question], reply: dict) -> None:
        if reply.get("kind") != "result":
            grade.notes.append(clean_text(reply.get("message", "the sandbox sent no result")))
            reply = {"cells": [], "questions": {}}
        cells = reply.get("cells") if isinstance(reply.get("cells"), list) else []
        for number, cell in enumerate(cells, start=1):
            if isinstance(cell, dict) and cell.get("status") not in ("ok", "not implemented"):
                grade.notes.append(clean_text(f"code cell {number}: {cell.get('status')}: {cell.get('message', '')}"))
        answers = reply.get("questions") if isinstance(reply.get("questions"), dict) else {}
        for question in questions:
            result = judge_question(question, *self.cases(question), answers.get(question.name),
                                    self.options.points.get(question.name, question.points))
            grade.questions.append(result)
            if result.status == "used the package's own answer":
                grade.flags.append(f"{question.name}: {result.detail}")

    def _apply_lateness(self, grade: NotebookGrade, path: Path) -> None:
        if self.options.deadline is None:
            return
        submitted = self.options.timestamps.get(str(path)) or datetime.fromtimestamp(
            path.stat().st_mtime, self.options.deadline.tzinfo)
        grade.submitted_at = submitted.isoformat(timespec="seconds")
        late = (submitted - self.options.deadline).total_seconds()
        if late > 0:
            grade.late_days = int(-(-late // 86400))
            penalty = grade.max_points * self.options.late_penalty * grade.late_days
            grade.late_penalty = round(min(grade.earned, penalty), 2)


def judge_question(question: Question, cases: list[Case], hidden: list[bool], expected: list, reply,
                   points: float) -> QuestionGrade:
    """A question's grade from the sandbox's ``reply`` (anything malformed earns nothing, and says why)."""
    failed = QuestionGrade(question.name, 0.0, points, "error")
    if not isinstance(reply, dict):
        failed.detail = "no result came back for this question"
        return failed
    status = reply.get("status")
    if status != "ok":
        names = {"missing": "missing", "timeout": "timed out", "died": "kernel died"}
        failed.status = names.get(status, "error")
        failed.detail = clean_text(f"{question.function}: {reply.get('message', '')}")
        return failed
    try:
        outcomes = [_outcome(raw, case) for raw, case in zip(_exactly(reply.get("outcomes"), len(cases)), cases)]
    except TransportError as error:
        failed.detail = clean_text(f"the result was malformed ({error}); nothing of it was graded")
        return failed
    report = evaluate(question, cases, outcomes, expected)
    results = [CaseResult(clean_text(r.case), clean_text(r.problem), clean_text(r.diagnosis), is_hidden)
               for r, is_hidden in zip(report.results, hidden)]
    if report.not_implemented:
        return QuestionGrade(question.name, 0.0, points, NOT_IMPLEMENTED, "", results)
    passed = sum(r.passed for r in results)
    delegated = next((o.delegated for o in outcomes if o.delegated), ())
    if delegated:
        return QuestionGrade(question.name, 0.0, points, "used the package's own answer",
                             clean_text("called " + ", ".join(delegated)), results)
    shown = [r for r in results if not r.hidden]
    unseen = [r for r in results if r.hidden]
    status = "passed" if passed == len(results) else (
        f"{sum(r.passed for r in shown)}/{len(shown)} cases" +
        (f", {sum(r.passed for r in unseen)}/{len(unseen)} hidden" if unseen else ""))
    detail = "; ".join(report.diagnoses()) or next((r.problem for r in results if r.problem), "")
    return QuestionGrade(question.name, round(points * credit(shown, unseen), 2), points, status,
                         clean_text(detail), results)


def credit(shown: list[CaseResult], unseen: list[CaseResult]) -> float:
    """The share of a question's points earned: the lower of the pass rates on the visible and hidden cases.

    Hidden cases confirm the visible ones: an answer that only recognises the inputs it has seen passes
    every visible case and no hidden one, and earns nothing; an honest answer with a bug fails both alike.
    """
    rates = [sum(r.passed for r in group) / len(group) for group in (shown, unseen) if group]
    return min(rates) if rates else 0.0


def _exactly(outcomes, count: int) -> list:
    if not isinstance(outcomes, list) or len(outcomes) != count:
        got = f"{len(outcomes)} results" if isinstance(outcomes, list) else f"a {type(outcomes).__name__}"
        raise TransportError(f"{got} for {count} cases")
    return outcomes


def _outcome(raw, case: Case) -> Outcome:
    """One case's outcome, decoded and checked here; the mutation check compares with our own copy of the case."""
    if not isinstance(raw, dict):
        raise TransportError(f"a {type(raw).__name__} where a case's result belongs")
    error, delegated = raw.get("error", ""), raw.get("delegated", [])
    if not isinstance(error, str) or not isinstance(raw.get("not_implemented"), bool) or not (
            isinstance(delegated, list) and all(isinstance(d, str) for d in delegated)):
        raise TransportError("a case's result with fields of the wrong type")
    after = decode(raw.get("arguments", {"unsupported": "missing"}))
    mutated = ()
    if isinstance(after, list) and len(after) == 2 and isinstance(after[0], list) and isinstance(after[1], list):
        args = tuple(a if not isinstance(a, Unsupported) else b for a, b in zip(after[0], case.args))
        kwargs = {k: v for k, v in (pair for pair in after[1] if isinstance(pair, list) and len(pair) == 2)
                  if k in case.kwargs}
        kwargs = {k: case.kwargs[k] if isinstance(kwargs.get(k, Unsupported("")), Unsupported) else kwargs[k]
                  for k in case.kwargs}
        if len(args) == len(case.args):
            mutated = mutated_arguments((case.args, case.kwargs), (args, kwargs))
    return Outcome(returned=decode(raw.get("returned", {"plain": None})), error=clean_text(error),
                   not_implemented=raw["not_implemented"], mutated=mutated,
                   delegated=tuple(clean_text(d, 120) for d in delegated[:10]))
