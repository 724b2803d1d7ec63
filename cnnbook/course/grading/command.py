"""``cnnbook grade``: its options, and what it prints and writes.

Exit codes: 0 when every notebook was graded (whatever the scores); 1 when some file was not a
readable notebook (0 with ``--ignore-unreadable``); 2 for a usage error.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .results import NotebookGrade

#: Write the JSON (for ``--resume``) after every this many notebooks, so an interrupted run loses little.
SAVE_EVERY = 50


def add_arguments(grade: argparse.ArgumentParser) -> None:
    grade.add_argument("paths", nargs="*", metavar="PATH", help="notebooks, or folders of notebooks")
    out = grade.add_argument_group("what to write")
    out.add_argument("--json", type=Path, metavar="FILE", help="every grade in full, as JSON (what --resume reads)")
    out.add_argument("--csv", type=Path, metavar="FILE", help="one row per notebook, one column per question")
    out.add_argument("--feedback", type=Path, metavar="DIR", help="one Markdown feedback file per submission")
    out.add_argument("--roster", type=Path, metavar="FILE",
                     help="one row per student across exercises (its adjustment column is kept when rewritten)")
    out.add_argument("--lms-csv", type=Path, metavar="FILE", help="the roster in Canvas's (and Moodle's) import format")
    out.add_argument("--gradescope", type=Path, metavar="FILE", help="Gradescope's results.json")
    how = grade.add_argument_group("how to grade")
    how.add_argument("--jobs", type=int, default=1, metavar="N", help="grade N notebooks at a time (default 1)")
    how.add_argument("--resume", action="store_true", help="keep the grades in --json of notebooks not changed since")
    how.add_argument("--timeout", type=float, default=60, metavar="SECONDS",
                     help="time limit per cell, and per question's checks (default 60)")
    how.add_argument("--total-timeout", type=float, default=600, metavar="SECONDS",
                     help="time limit for all the cells of a notebook (default 600)")
    how.add_argument("--chapter", type=int, metavar="N", help="grade every notebook as exercise N")
    how.add_argument("--seed", type=int, metavar="N", help="seed of the hidden cases (default: a new one, recorded)")
    how.add_argument("--points", type=Path, metavar="FILE", help='points per question, JSON: {"conv2d": 2, ...}')
    how.add_argument("--student-pattern", metavar="REGEX",
                     help="a regular expression with a group (?P<student>...) matched against each path below the "
                          "folder given (default: the first folder, or the file name)")
    how.add_argument("--deadline", metavar="TIME", help="ISO time, e.g. 2026-12-01T23:59+01:00; later is late")
    how.add_argument("--late-penalty", type=float, default=0.1, metavar="FRACTION",
                     help="fraction of the maximum lost per started day late (default 0.1)")
    how.add_argument("--timestamps", type=Path, metavar="FILE",
                     help="CSV of path,submitted_at (ISO) to use instead of the files' modification times")
    how.add_argument("--ignore-unreadable", action="store_true", help="exit 0 even if some file is not a notebook")
    other = grade.add_argument_group("instead of grading")
    other.add_argument("--gradescope-bundle", type=Path, metavar="ZIP",
                       help="write a Gradescope autograder for one exercise (with --chapter) and stop")
    other.add_argument("--policy", action="store_true", help="print which package functions each answer may not call")
    grade.add_argument("--arguments-from", type=Path, help=argparse.SUPPRESS)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.policy:
        from ..checks import QUESTIONS
        from ..checks.policy import describe_policy

        print(describe_policy(QUESTIONS.values()))
        return 0
    if args.gradescope_bundle:
        from .gradescope import write_bundle

        print(f"wrote {write_bundle(args.gradescope_bundle, args.chapter, args.timeout, args.total_timeout)}")
        return 0
    problem = _usage_problem(args)
    if problem:
        print(f"cnnbook grade: {problem}", file=sys.stderr)
        return 2
    try:
        options = _options(args)
        from .grade import grade_paths, notebook_paths

        if not notebook_paths(args.paths):
            print("cnnbook grade: no notebooks found in " + " ".join(args.paths), file=sys.stderr)
            return 2
    except (OSError, ValueError) as error:
        print(f"cnnbook grade: {error}", file=sys.stderr)
        return 2
    saver = _Saver(args.json, options.previous)
    try:
        grades = grade_paths(args.paths, options, on_graded=saver.add)
    finally:
        saver.save()
    _write_outputs(grades, args)
    unreadable = [g.path for g in grades if not g.readable]
    if unreadable and not args.ignore_unreadable:
        print(f"cnnbook grade: {len(unreadable)} file(s) could not be read as notebooks: {', '.join(unreadable)}",
              file=sys.stderr)
        return 1
    return 0


def hide_paths_from_command_line(argv: list[str]) -> None:
    """Start again with a command line that names no submission (a sandbox could read its parent's).

    The arguments travel in a private temporary file that the new process reads and deletes first.
    """
    if "--arguments-from" in argv or not os.path.exists("/proc/self/cmdline"):
        return
    descriptor, path = tempfile.mkstemp(prefix="cnnbook-grade-", suffix=".json")
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"argv": argv, "cwd": os.getcwd()}, file)
    os.execv(sys.executable, [sys.executable, "-m", "cnnbook", "grade", "--arguments-from", path])


def arguments_from(path: Path) -> list[str]:
    """The arguments :func:`hide_paths_from_command_line` saved; the file is deleted as it is read."""
    saved = json.loads(Path(path).read_text(encoding="utf-8"))
    Path(path).unlink()
    os.chdir(saved["cwd"])
    return saved["argv"]


def _usage_problem(args) -> str:
    if not args.paths:
        return "name the notebooks or folders to grade"
    if args.timeout <= 0 or args.total_timeout <= 0:
        return "--timeout and --total-timeout must be positive"
    if args.jobs < 1:
        return "--jobs must be at least 1"
    if args.resume and not args.json:
        return "--resume needs --json FILE (the grades to resume from)"
    if args.deadline is None and args.timestamps:
        return "--timestamps needs --deadline"
    return ""


def _options(args):
    from .grade import Options
    from .reports import read_json

    deadline = _time(args.deadline) if args.deadline else None
    return Options(
        cell_timeout=args.timeout, total_timeout=args.total_timeout, jobs=args.jobs, chapter=args.chapter,
        seed=args.seed, points=_points(args.points) if args.points else {}, student_pattern=args.student_pattern,
        deadline=deadline, late_penalty=args.late_penalty,
        timestamps=_timestamps(args.timestamps, deadline) if args.timestamps else {},
        previous=read_json(args.json) if args.resume else [])


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.now(timezone.utc).astimezone().tzinfo)


def _points(path: Path) -> dict[str, float]:
    from ..checks import QUESTIONS

    points = json.loads(path.read_text(encoding="utf-8"))
    unknown = sorted(set(points) - set(QUESTIONS))
    amounts_ok = isinstance(points, dict) and all(isinstance(v, (int, float)) and v >= 0 for v in points.values())
    if not amounts_ok or unknown:
        raise ValueError(f"{path}: expected {{question: points >= 0}} for known questions; unknown: {unknown}")
    return {name: float(value) for name, value in points.items()}


def _timestamps(path: Path, deadline: datetime) -> dict[str, datetime]:
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    stamps = {}
    for row in rows[1:] if rows and rows[0][:1] == ["path"] else rows:
        moment = datetime.fromisoformat(row[1])
        stamps[row[0]] = moment if moment.tzinfo else moment.replace(tzinfo=deadline.tzinfo)
    return stamps


class _Saver:
    """Keeps the JSON up to date as notebooks are graded, so ``--resume`` can pick up an interrupted run."""

    def __init__(self, path: Path | None, previous: list[NotebookGrade]):
        self.path, self.grades = path, {g.path: g for g in previous}
        self.count = 0

    def add(self, grade: NotebookGrade) -> None:
        self.grades[grade.path] = grade
        self.count += 1
        print(f"graded {grade.path}: {grade.points:g} / {grade.max_points:g}", file=sys.stderr)
        if self.count % SAVE_EVERY == 0:
            self.save()

    def save(self) -> None:
        if self.path:
            from .reports import write_json

            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json(list(self.grades.values()), self.path)


def _write_outputs(grades: list[NotebookGrade], args) -> None:
    from . import reports

    print(reports.format_table(grades))
    for target in (args.csv, args.roster, args.lms_csv, args.gradescope):
        if target:
            target.parent.mkdir(parents=True, exist_ok=True)
    if args.csv:
        reports.write_csv(grades, args.csv)
    if args.feedback:
        reports.write_feedback(grades, args.feedback)
    if args.roster:
        reports.write_roster(grades, args.roster)
    if args.lms_csv:
        reports.write_lms_csv(grades, args.lms_csv)
    if args.gradescope:
        args.gradescope.write_text(json.dumps(reports.gradescope_results(grades), indent=1, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
