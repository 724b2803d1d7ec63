"""The ``cnnbook`` command line: ``lab``, ``exercises``, ``translate``, ``warm`` and ``grade``."""

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

    translate = commands.add_parser("translate", help="bring zh/ in step with the English notebooks")
    translate.add_argument("--root", default=".", help="the book's folder (default: the current directory)")
    translate.add_argument("--check", action="store_true", help="only report what is out of step or untranslated")

    warm = commands.add_parser("warm", help="compile the numba kernels into the cache now (after installing)")
    warm.add_argument("--dtype", choices=["float32", "float64"], action="append",
                      help="only this dtype (may be repeated; default: both)")

    from .grading.command import add_arguments

    add_arguments(commands.add_parser("grade", help="grade submitted exercise notebooks"))
    return parser


def main(argv: list[str] | None = None) -> int:
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["grade"]:
        from .grading.command import arguments_from, hide_paths_from_command_line

        if "--arguments-from" in argv:
            argv = arguments_from(Path(argv[argv.index("--arguments-from") + 1]))
        elif from_command_line:
            hide_paths_from_command_line(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "lab":
        from .lab import run_lab

        return run_lab(args.root, args.port, open_browser=not args.no_browser)
    if args.command == "exercises":
        return _exercises(Path(args.root), args.check)
    if args.command == "translate":
        from .translation import run as translate

        return translate(Path(args.root), args.check)
    if args.command == "warm":
        from ..warm import DTYPES, run

        return run(args.dtype or list(DTYPES))
    from .grading.command import run

    return run(args, parser)


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
