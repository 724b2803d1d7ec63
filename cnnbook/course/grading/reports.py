"""What ``cnnbook grade`` writes: a table, JSON, a CSV per notebook, feedback to hand back, a roster per
student, a CSV for Canvas or Moodle, and Gradescope's ``results.json``.

* ``--json``: every grade in full (cases, notes, flags, seed, checker version); ``--resume`` reads it back.
* ``--csv``: one row per notebook, one column per question.
* ``--feedback DIR``: one Markdown file per submission, with every case's result and the likely mistake;
  hidden cases are listed by number, never by their inputs.
* ``--roster FILE``: one row per student, one column per exercise, an ``adjustment`` column for manual
  changes (kept from the existing file when it is rewritten), and the total.
* ``--lms-csv FILE``: the roster as Canvas's gradebook import expects it (``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per exercise); Moodle's CSV grade
  import reads the same file, mapping ``SIS Login ID`` to the username.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

from ..checks.language import translate

from .results import NotebookGrade


def format_table(grades: list[NotebookGrade]) -> str:
    """A plain-text table: one block per notebook, one row per question, its notes and flags, then its total."""
    lines = []
    for grade in grades:
        how = f", chapter {grade.chapter} by {grade.chapter_from}" if grade.chapter is not None else ""
        lines.append(f"{grade.path}  (student {grade.student or '?'}{how}, {grade.seconds:.1f} s)")
        for q in grade.questions:
            detail = f"  {q.detail}" if q.detail and q.status != "passed" else ""
            lines.append(f"  {q.question:<28} {q.points:>5.2f} / {q.max_points:<5.2f} {q.status}{detail}")
        lines += [f"  note: {note}" for note in grade.notes] + [f"  flag: {flag}" for flag in grade.flags]
        if grade.late_penalty:
            lines.append(f"  late by {grade.late_days} day(s): -{grade.late_penalty:.2f}")
        lines.append(f"  {'total':<28} {grade.points:>5.2f} / {grade.max_points:<5.2f}")
    return "\n".join(lines)


def write_json(grades: list[NotebookGrade], path: Path) -> None:
    Path(path).write_text(json.dumps([g.to_dict() for g in grades], indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")


def read_json(path: Path) -> list[NotebookGrade]:
    """The grades :func:`write_json` wrote (an empty list when the file does not exist yet)."""
    if not Path(path).exists():
        return []
    return [NotebookGrade.from_dict(row) for row in json.loads(Path(path).read_text(encoding="utf-8"))]


def write_csv(grades: list[NotebookGrade], path: Path) -> None:
    """One row per notebook: who, which exercise, one column per question's points, the totals, notes and flags."""
    names = list(dict.fromkeys(q.question for g in grades for q in g.questions))
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["notebook", "student", "chapter", *names, "earned", "late_penalty", "adjustment", "points",
                         "max_points", "notes", "flags", "seed", "checker_version", "sha256"])
        for g in grades:
            points = {q.question: q.points for q in g.questions}
            writer.writerow([g.path, g.student, g.chapter, *(points.get(n, "") for n in names), g.earned,
                             g.late_penalty, g.adjustment, g.points, g.max_points, " | ".join(g.notes),
                             " | ".join(g.flags), g.seed, g.checker_version, g.sha256])


FEEDBACK_WORDS = {
    "en": {"title": "Feedback", "exercise": "Exercise {}: **{:g} / {:g} points**.", "mistake": "Likely mistake: {}"},
    "zh": {"title": "反馈", "exercise": "练习 {}：**{:g} / {:g} 分**。", "mistake": "可能的错误：{}"},
}


def feedback(grade: NotebookGrade) -> str:
    """The Markdown feedback for one submission, in its language (English or Chinese)."""
    words = FEEDBACK_WORDS.get(grade.language, FEEDBACK_WORDS["en"])

    def say(text: str) -> str:
        return translate(text, grade.language)

    lines = [f"# {words['title']}: {Path(grade.path).name}", ""]
    if grade.chapter is not None:
        lines += [words["exercise"].format(grade.chapter, grade.points, grade.max_points), ""]
    for q in grade.questions:
        lines += [f"## {q.question}: {q.points:g} / {q.max_points:g} ({say(q.status)})", ""]
        if q.detail and q.status != "passed":
            lines += [words["mistake"].format(say(q.detail)), ""]
        lines += [f"* {'✓' if c.passed else '✗'} {say(c.case)}" + (f": {say(c.problem)}" if c.problem else "")
                  for c in q.cases]
        lines.append("")
    lines += [f"* {note}" for note in grade.notes]
    if grade.late_penalty:
        lines.append(f"* handed in {grade.late_days} day(s) late: {grade.late_penalty:g} points deducted")
    return "\n".join(lines).rstrip() + "\n"


def write_feedback(grades: list[NotebookGrade], folder: Path) -> list[Path]:
    """One ``.md`` file per submission in ``folder``, named after the student and the notebook."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for grade in grades:
        name = Path(grade.path).stem
        stem = name if grade.student in ("", name) else f"{grade.student}_{name}"
        target = folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', stem) or 'submission'}.md"
        target.write_text(feedback(grade), encoding="utf-8")
        written.append(target)
    return written


def roster(grades: list[NotebookGrade]) -> tuple[list[int], dict[str, dict[int, float]]]:
    """The exercises graded, and for each student their points per exercise (the best of several submissions)."""
    table: dict[str, dict[int, float]] = defaultdict(dict)
    for grade in grades:
        if grade.chapter is not None:
            table[grade.student][grade.chapter] = max(table[grade.student].get(grade.chapter, 0.0), grade.points)
    chapters = sorted({chapter for row in table.values() for chapter in row})
    return chapters, dict(sorted(table.items()))


def write_roster(grades: list[NotebookGrade], path: Path) -> None:
    """One row per student; an existing file's ``adjustment`` column is carried over."""
    path = Path(path)
    adjustments = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as file:
            adjustments = {row["student"]: row.get("adjustment", "") for row in csv.DictReader(file)}
    chapters, table = roster(grades)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["student", *(f"exercise {c}" for c in chapters), "adjustment", "total"])
        for student, points in table.items():
            adjustment = adjustments.get(student, "")
            total = sum(points.values()) + _number(adjustment)
            writer.writerow([student, *(points.get(c, 0.0) for c in chapters), adjustment, round(total, 2)])


def write_lms_csv(grades: list[NotebookGrade], path: Path) -> None:
    """The roster in the columns Canvas's gradebook import (and Moodle's CSV import) understands."""
    chapters, table = roster(grades)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         *(f"cnnbook exercise {c}" for c in chapters)])
        for student, points in table.items():
            writer.writerow([student, "", student, student, "", *(points.get(c, "") for c in chapters)])


def gradescope_results(grades: list[NotebookGrade]) -> dict:
    """Gradescope's ``results.json`` for one submission (the grades of its notebooks, usually one)."""
    tests = []
    for grade in grades:
        for q in grade.questions:
            mistake = [f"Likely mistake: {q.detail}"] if q.detail and q.status != "passed" else []
            cases = [f"{'✓' if c.passed else '✗'} {c.case}" + (f": {c.problem}" if c.problem else "") for c in q.cases]
            output = "\n".join([q.status, *mistake, *cases])
            tests.append({"name": q.question, "score": q.points, "max_score": q.max_points, "output": output,
                          "visibility": "visible"})
    notes = [note for grade in grades for note in grade.notes]
    return {"score": round(sum(g.points for g in grades), 2), "tests": tests,
            "output": "\n".join(notes) or "Graded by cnnbook.", "visibility": "visible"}


def _number(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0
