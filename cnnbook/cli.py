"""The ``cnnbook`` command line: ``lab``, ``exercises`` and ``grade``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnbook", description="Tools for the cnnbook textbook.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lab = commands.add_parser("lab", help="open the book in JupyterLab")
    lab.add_argument("--port", type=int, default=8888, help="preferred port (the next free one is used if taken)")
    lab.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")
    lab.add_argument("--root", default=".", help="the book's folder (default: the current directory)")

    exercises = commands.add_parser("exercises", help="generate exercises/ from solutions/")
    exercises.add_argument("--root", default=".", help="the book's folder (default: the current directory)")
    exercises.add_argument("--check", action="store_true", help="only report exercises that are out of date")

    grade = commands.add_parser("grade", help="grade submitted exercise notebooks")
    grade.add_argument("paths", nargs="+", metavar="PATH", help="notebooks, or folders of notebooks")
    grade.add_argument("--json", type=Path, metavar="FILE", help="also write the grades as JSON")
    grade.add_argument("--csv", type=Path, metavar="FILE", help="also write the grades as CSV")
    grade.add_argument("--timeout", type=float, default=60, metavar="SECONDS", help="time limit per cell (default 60)")
    grade.add_argument("--total-timeout", type=float, default=600, metavar="SECONDS",
                       help="time limit per notebook (default 600)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "lab":
        from .lab import run_lab

        return run_lab(args.root, args.port, open_browser=not args.no_browser)
    if args.command == "exercises":
        return _exercises(Path(args.root), args.check)
    return _grade(args)


def _exercises(root: Path, check_only: bool) -> int:
    from .exercises import generate, stale_exercises

    solutions, exercises = root / "solutions", root / "exercises"
    if check_only:
        problems = stale_exercises(solutions, exercises)
        for problem in problems:
            print(f"exercises/{problem}", file=sys.stderr)
        if problems:
            print("run `make exercises` to regenerate them", file=sys.stderr)
        return 1 if problems else 0
    for path in generate(solutions, exercises):
        print(f"wrote {path}")
    return 0


def _grade(args) -> int:
    from .grading import format_table, grade_paths, write_csv, write_json

    if args.timeout <= 0 or args.total_timeout <= 0:
        print("cnnbook grade: --timeout and --total-timeout must be positive", file=sys.stderr)
        return 2
    try:
        grades = grade_paths(args.paths, args.timeout, args.total_timeout)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    if not grades:
        print("cnnbook grade: no notebooks found in " + " ".join(args.paths), file=sys.stderr)
        return 2
    print(format_table(grades))
    if args.json:
        write_json(grades, args.json)
    if args.csv:
        write_csv(grades, args.csv)
    return 0
