"""Remove outputs, execution counts and run-time metadata from notebooks, in place.

Usage: python tools/strip_outputs.py PATH...   (folders are searched for *.ipynb)

Committed notebooks carry no outputs: diffs stay readable and the repository
small; ``make book`` renders them executed. ``tests/test_notebook_hygiene.py``
fails when a committed notebook still has outputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RUNTIME_METADATA = ("widgets", "execution", "varInspector", "toc")


def notebooks_under(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.suffix == ".ipynb":
            found.append(path)
    return found


def strip(notebook: dict) -> dict:
    """The notebook without outputs, execution counts and run-time metadata."""
    for key in RUNTIME_METADATA:
        notebook.get("metadata", {}).pop(key, None)
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in RUNTIME_METADATA + ("collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
    return notebook


def write_notebook(path: Path, notebook: dict) -> None:
    """Write in the layout Jupyter itself uses, so that saving from JupyterLab changes nothing."""
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(paths: list[str]) -> int:
    changed = 0
    for path in notebooks_under(paths):
        original = json.loads(path.read_text(encoding="utf-8"))
        stripped = strip(json.loads(json.dumps(original)))
        if stripped != original:
            write_notebook(path, stripped)
            changed += 1
            print(f"stripped {path}")
    print(f"{changed} notebook(s) changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:] or ["chapters", "solutions", "exercises"]))
