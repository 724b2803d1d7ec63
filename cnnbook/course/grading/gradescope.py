"""A Gradescope autograder for one exercise: ``cnnbook grade --gradescope-bundle out.zip --chapter 3``.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build its image,
then for each submission runs ``run_autograder`` with the student's files in
``/autograder/submission`` and reads ``/autograder/results/results.json`` (score, one test per
question, the feedback as each test's output). The bundle carries this package's own source, so
the image grades with exactly the checks that built the bundle. ``AUTOGRADER_ROOT`` replaces
``/autograder`` (the tests lay out such a folder in a temporary directory).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]
SOURCE = "cnnbook-src"

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder's image.
set -euo pipefail
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3 python3-pip
fi
python3 -m pip install --quiet "/autograder/source/{source}[course]"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade the notebook(s) handed in, write results/results.json.
set -euo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
mkdir -p "$root/results"
python3 -m cnnbook grade "$root/submission" {chapter}--timeout {timeout:g} --total-timeout {total_timeout:g} \\
  --ignore-unreadable --gradescope "$root/results/results.json"
"""


def write_bundle(target: Path, chapter: int | None, timeout: float, total_timeout: float) -> Path:
    """Write the autograder zip to ``target``; returns it."""
    if not (REPOSITORY / "pyproject.toml").exists():
        raise FileNotFoundError("cnnbook grade --gradescope-bundle: run it from a source checkout of cnnbook "
                                "(the bundle carries the package's source)")
    files = {"setup.sh": SETUP.format(source=SOURCE),
             "run_autograder": RUN.format(chapter=f"--chapter {chapter} " if chapter is not None else "",
                                          timeout=timeout, total_timeout=total_timeout)}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            bundle.writestr(info, text)
        for path in _package_files():
            bundle.write(path, f"{SOURCE}/{path.relative_to(REPOSITORY).as_posix()}")
    return target


def _package_files() -> list[Path]:
    """What ``pip install`` needs: the project file, the files it names, and the package's sources and data."""
    package = REPOSITORY / "cnnbook"
    sources = [p for p in package.rglob("*") if p.suffix in (".py", ".json") and "__pycache__" not in p.parts]
    return [REPOSITORY / name for name in ("pyproject.toml", "README.md", "LICENSE")] + sorted(sources)
