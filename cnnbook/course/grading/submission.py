"""Reading a submitted notebook, whatever shape it is in, and deciding which exercise it answers.

Nothing here runs submitted code. :func:`read_submission` reads the file once (its SHA-256 is the
key ``--resume`` uses), accepts nbformat 3 and 4, and survives what students' files contain:
metadata that is a list or a string, cells without a source, sources that are lists or strings.
A file that is not a notebook at all comes back with ``readable=False`` and the reason.

**Which exercise.** The notebook's ``cnnbook.chapter`` metadata is the least trusted signal (a
learner can edit it), so the chapter is decided, in this order, by ``--chapter``, by the file name
(``03_convolution.ipynb``), by the content (which exercise's functions and given cells the
notebook has), and only then by the metadata. When the content points at another exercise than
the one graded, a note says so: a chapter-1 notebook handed in as ``03_convolution.ipynb`` is
graded on chapter 3's questions, and gets what it earns there.

**Given cells.** The cells an exercise gives (imports, ``check(...)`` calls, wrappers such as
``lenet_accuracy``) are listed, with a SHA-256 of their source, in the manifest
``cnnbook/course/checks/given_cells.json``, written by ``cnnbook exercises``. A submission whose given
cell is missing or changed is flagged (the grade itself does not depend on it: the grader runs
wrappers from the manifest, not from the notebook).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..translation import language_of

NAMED = re.compile(r"^(\d+)_")


@dataclass
class Submission:
    """One submitted notebook, read (``cells``: the sources of its code cells, in order)."""

    path: Path
    sha256: str = ""
    readable: bool = True
    cells: list[str] = field(default_factory=list)
    cell_ids: list[str | None] = field(default_factory=list)
    metadata_chapter: int | None = None
    notes: list[str] = field(default_factory=list)
    language: str = "en"      # "zh" for a notebook of the Chinese edition: its feedback is in Chinese


def read_submission(path: Path) -> Submission:
    """Read ``path`` (see the module text); never raises for a bad file, only reports it."""
    submission = Submission(Path(path))
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return _unreadable(submission, f"cannot be read ({error.strerror or error})")
    submission.sha256 = hashlib.sha256(data).hexdigest()
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return _unreadable(submission, f"is not a notebook (not JSON: {str(error)[:120]})")
    if not isinstance(notebook, dict):
        return _unreadable(submission, f"is not a notebook (a JSON {type(notebook).__name__}, not an object)")
    if notebook.get("nbformat") == 3 or "worksheets" in notebook:
        notebook = _upgrade(notebook, submission)
        if notebook is None:
            return submission
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        return _unreadable(submission, "is not a notebook (it has no list of cells)")
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list) and all(isinstance(line, str) for line in source):
                source = "".join(source)
            if not isinstance(source, str):
                submission.notes.append(f"cell {index + 1}: its source is not text; skipped")
                continue
            submission.cells.append(source)
            submission.cell_ids.append(cell.get("id") if isinstance(cell.get("id"), str) else None)
    submission.metadata_chapter = _metadata_chapter(notebook.get("metadata"), submission.notes)
    submission.language = language_of(notebook, path)
    return submission


def _unreadable(submission: Submission, reason: str) -> Submission:
    submission.readable = False
    submission.notes.append(f"not graded: the file {reason}")
    return submission


def _upgrade(notebook: dict, submission: Submission) -> dict | None:
    import nbformat

    try:
        return json.loads(nbformat.writes(nbformat.convert(nbformat.from_dict(notebook), 4)))
    except Exception as error:  # noqa: BLE001 (any failure of the conversion means: unreadable)
        _unreadable(submission, f"is an nbformat 3 notebook that could not be converted ({str(error)[:120]})")
        return None


def _metadata_chapter(metadata, notes: list[str]) -> int | None:
    if not isinstance(metadata, dict):
        notes.append(f"the notebook's metadata is a {type(metadata).__name__}, not an object; ignored")
        return None
    info = metadata.get("cnnbook")
    chapter = info.get("chapter") if isinstance(info, dict) else None
    return chapter if isinstance(chapter, int) and not isinstance(chapter, bool) else None


# --- which exercise -------------------------------------------------------------------------------

def defined_names(sources: list[str]) -> set[str]:
    """Names a notebook defines at top level (functions, classes, assignments, imports), from its syntax only."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(_without_magics(source))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _without_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def chapter_from_content(submission: Submission, functions_by_chapter: dict[int, set[str]]) -> int | None:
    """The exercise whose functions and given cells the notebook has most of (``None`` if none, or a tie)."""
    names = defined_names(submission.cells)
    ids = set(filter(None, submission.cell_ids))
    given = given_cells()
    scores = {chapter: len(functions & names) + len(ids & {c["id"] for c in given.get(chapter, [])})
              for chapter, functions in functions_by_chapter.items()}
    best = max(scores.values(), default=0)
    winners = [chapter for chapter, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def choose_chapter(submission: Submission, functions_by_chapter: dict[int, set[str]],
                   forced: int | None = None) -> tuple[int | None, str]:
    """``(chapter, how it was decided)``; adds a note to ``submission`` when the signals disagree."""
    named = NAMED.match(submission.path.name)
    content = chapter_from_content(submission, functions_by_chapter)
    candidates = [(forced, "--chapter"), (int(named.group(1)) if named else None, "the file name"),
                  (content, "its content"), (submission.metadata_chapter, "its metadata")]
    chapter, how = next(((c, h) for c, h in candidates if c is not None and c in functions_by_chapter), (None, ""))
    if content is not None and chapter is not None and content != chapter:
        submission.notes.append(f"this notebook looks like exercise {content} (by its functions and cells), "
                                f"but was graded as exercise {chapter} (by {how})")
    return chapter, how


# --- given cells ----------------------------------------------------------------------------------

MANIFEST = "given_cells.json"


@lru_cache(maxsize=1)
def given_cells() -> dict[int, list[dict]]:
    """The manifest: for each chapter, its exercise's given code cells (``id``, ``sha256``, ``source``)."""
    text = resources.files("cnnbook.course.checks").joinpath(MANIFEST).read_text(encoding="utf-8")
    return {int(chapter): cells for chapter, cells in json.loads(text).items()}


def fingerprint(source: str) -> str:
    """SHA-256 of a cell's source, ignoring trailing spaces and blank lines at the end."""
    normal = "\n".join(line.rstrip() for line in source.strip("\n").splitlines())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


#: Modules that exercises handed out before the package was regrouped (issue 16) import by their former
#: names (still importable: see :mod:`cnnbook.checks`), and their names now. A given cell that differs
#: from the manifest only by these names is the cell as it was handed out, not an edited one.
FORMER_MODULES = {"cnnbook.checks": "cnnbook.course.checks", "cnnbook.layers": "cnnbook.nn.layers",
                  "cnnbook.demos": "cnnbook.teaching.demos"}
_FORMER = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, FORMER_MODULES)) + r")(?![\w])")


def with_current_module_names(source: str) -> str:
    """``source`` with the former module names of :data:`FORMER_MODULES` replaced by the current ones."""
    return _FORMER.sub(lambda match: FORMER_MODULES[match.group(1)], source)


def edited_given_cells(submission: Submission, chapter: int) -> list[str]:
    """One flag per given cell of ``chapter``'s exercise that the submission deleted or changed."""
    by_id = {cell_id: source for cell_id, source in zip(submission.cell_ids, submission.cells) if cell_id}
    flags = []
    for cell in given_cells().get(chapter, []):
        if cell["id"] not in by_id:
            flags.append(f"given cell {cell['id']} is missing")
        elif cell["sha256"] not in (fingerprint(by_id[cell["id"]]), fingerprint(with_current_module_names(by_id[cell["id"]]))):
            flags.append(f"given cell {cell['id']} was edited")
    return flags
