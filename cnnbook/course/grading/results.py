"""What grading produces: one :class:`NotebookGrade` per submission, one :class:`QuestionGrade` per question.

Every string that came from a submission (an exception message, a file name) passes through
:func:`clean_text` first, so a lone surrogate or a control character cannot break a table, a
CSV or JSON file later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..checks.framework import CaseResult

#: Bump when checks or grading change in a way that can change a grade; recorded in every result.
CHECKER_VERSION = "2"


def clean_text(text, limit: int = 500) -> str:
    """``text`` as printable UTF-8: lone surrogates escaped, control characters dropped, cut to ``limit``."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class QuestionGrade:
    question: str
    points: float
    max_points: float
    status: str                  # "passed", "k/n cases", "not implemented yet", "missing", "timed out", ...
    detail: str = ""             # the likely mistake, or the first problem
    cases: list[CaseResult] = field(default_factory=list)


@dataclass
class NotebookGrade:
    """One submission. ``points`` includes the late penalty and any manual adjustment."""

    path: str
    student: str
    chapter: int | None
    chapter_from: str = ""       # how the chapter was decided: "--chapter", "the file name", "its content", ...
    sha256: str = ""
    readable: bool = True
    questions: list[QuestionGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # what happened while running the cells
    flags: list[str] = field(default_factory=list)      # for the instructor: edited given cells, delegation
    seconds: float = 0.0
    submitted_at: str = ""
    late_days: int = 0
    late_penalty: float = 0.0
    adjustment: float = 0.0
    seed: int = 0
    checker_version: str = CHECKER_VERSION
    language: str = "en"         # of the feedback: the submission's ("zh" for the Chinese edition)

    @property
    def earned(self) -> float:
        """Points from the questions alone."""
        return round(sum(q.points for q in self.questions), 2)

    @property
    def max_points(self) -> float:
        return round(sum(q.max_points for q in self.questions), 2)

    @property
    def points(self) -> float:
        return round(max(0.0, self.earned - self.late_penalty) + self.adjustment, 2)

    def to_dict(self) -> dict:
        return dict(asdict(self), earned=self.earned, points=self.points, max_points=self.max_points)

    @classmethod
    def from_dict(cls, row: dict) -> NotebookGrade:
        """The grade :meth:`to_dict` wrote (for ``--resume``)."""
        names = {f.name for f in fields(cls)}
        grade = cls(**{key: value for key, value in row.items() if key in names and key != "questions"})
        grade.questions = [QuestionGrade(**{**q, "cases": [CaseResult(**c) for c in q.get("cases", [])]})
                           for q in row.get("questions", [])]
        return grade
