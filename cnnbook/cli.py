"""The ``cnnbook`` command line: ``cnnbook lab`` (more subcommands join as the book grows)."""

from __future__ import annotations

import argparse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnbook", description="Tools for the cnnbook textbook.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lab = commands.add_parser("lab", help="open the book in JupyterLab")
    lab.add_argument("--port", type=int, default=8888, help="preferred port (the next free one is used if taken)")
    lab.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")
    lab.add_argument("--root", default=".", help="the book's folder (default: the current directory)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "lab":
        from .lab import run_lab

        return run_lab(args.root, args.port, open_browser=not args.no_browser)
    raise AssertionError(f"unhandled command {args.command!r}")
