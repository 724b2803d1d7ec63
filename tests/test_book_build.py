"""`make book` works: jupyter-book 1.x builds every chapter, executed, with no warning."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paths import REPO_ROOT

pytestmark = pytest.mark.slow


def test_the_book_builds_without_warnings_into_html(tmp_path):
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    if not jupyter_book.exists():
        pytest.fail("jupyter-book is not installed in this environment; `make test` installs it")
    # build from a copy so the test never leaves _build/ or caches in the working tree
    source = tmp_path / "book"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "_build", "__pycache__",
                                                                     ".pytest_cache", ".hypothesis"))
    build = subprocess.run([str(jupyter_book), "build", str(source), "--warningiserror", "--nitpick", "--keep-going"],
                           capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    html = source / "_build" / "html"
    for folder in ("chapters", "zh/chapters", "zh/exercises"):
        for chapter in (REPO_ROOT / folder).glob("*.ipynb"):
            page = html / folder / (chapter.stem + ".html")
            assert page.exists(), f"no page for {folder}/{chapter.name}"
            assert "language-switch.js" in page.read_text(encoding="utf-8"), f"{page.name}: no language switch"
    assert (html / "_static" / "language-switch.js").exists()
    capstone = (html / "chapters" / "08_lenet_from_scratch.html").read_text(encoding="utf-8")
    assert "<img" in capstone, "the capstone page has no executed figures"
