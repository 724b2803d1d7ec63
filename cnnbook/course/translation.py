"""The Chinese edition: ``zh/`` notebooks kept in step with the English ones (``cnnbook translate``).

A zh notebook is its English twin with the Markdown translated; nothing else may differ:

* its **code cells are the English cells**, copied (source, id and metadata) by :func:`sync`:
  there is one source of code, and the two editions compute the same numbers;
* each **Markdown cell keeps the English cell's id** and records, in
  ``metadata.cnnbook_translation.en_sha256``, the hash of the English text it translates.
  When the English cell changes, the hash no longer matches and the translation is *stale*;
  a cell not yet translated holds the English text and ``en_sha256: null``.

:func:`sync` rebuilds a zh notebook from its twin (keeping every translation by cell id);
:func:`problems` lists what is wrong with one (drifted code, missing or stale translations);
``tests/test_translation.py`` fails on any. Translators write a cell with
:func:`set_translation`, which records the English hash for them.

Pairs: ``chapters/X.ipynb`` with ``zh/chapters/X.ipynb`` and ``exercises/X.ipynb`` with
``zh/exercises/X.ipynb`` (the solutions stay in English: they are the instructors' and the
checks' source of truth; an exercise's code is generated from its solution).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FOLDERS = ("chapters", "exercises")
ZH = "zh"
KEY = "cnnbook_translation"


def en_hash(source: str) -> str:
    """The SHA-256 of an English cell's text, as recorded beside its translation."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def pairs(root: Path) -> list[tuple[Path, Path]]:
    """``(english, zh)`` notebook paths of the book in ``root``, the zh ones possibly not written yet."""
    return [(english, root / ZH / folder / english.name)
            for folder in FOLDERS for english in sorted((root / folder).glob("*.ipynb"))]


def sync(english_path: Path, zh_path: Path) -> dict:
    """Write the zh notebook for ``english_path``: the English cells, with every Markdown cell's
    translation kept from the existing ``zh_path`` (matched by cell id). Returns the notebook."""
    english = _read(english_path)
    old = {cell.get("id"): cell for cell in _read(zh_path)["cells"]} if zh_path.exists() else {}
    cells = [_zh_cell(cell, old.get(cell.get("id"))) for cell in english["cells"]]
    metadata = {**english.get("metadata", {}), "cnnbook": {"language": "zh"}}
    zh = {**english, "metadata": metadata, "cells": cells}
    zh_path.parent.mkdir(parents=True, exist_ok=True)
    _write(zh_path, zh)
    return zh


def _zh_cell(english_cell: dict, translated: dict | None) -> dict:
    if english_cell["cell_type"] != "markdown":
        return json.loads(json.dumps(english_cell))
    if translated is not None and translated["cell_type"] == "markdown" and KEY in translated.get("metadata", {}):
        return {**translated, "id": english_cell.get("id")}
    cell = json.loads(json.dumps(english_cell))
    cell.setdefault("metadata", {})[KEY] = {"en_sha256": None}
    return cell


def problems(english_path: Path, zh_path: Path) -> list[str]:
    """What keeps ``zh_path`` from being ``english_path``'s twin, one line each (empty: in step)."""
    if not zh_path.exists():
        return [f"{zh_path}: missing (run `cnnbook translate`)"]
    english, zh = _read(english_path)["cells"], _read(zh_path)["cells"]
    found = []
    if [c.get("id") for c in english] != [c.get("id") for c in zh]:
        found.append(f"{zh_path}: its cells are not the English cells in order (run `cnnbook translate`)")
    zh_by_id = {cell.get("id"): cell for cell in zh}
    for cell in english:
        twin, where = zh_by_id.get(cell.get("id")), f"{zh_path}, cell {cell.get('id')}"
        if twin is None:
            continue
        if cell["cell_type"] != "markdown":
            if _source(twin) != _source(cell) or twin["cell_type"] != cell["cell_type"]:
                found.append(f"{where}: code differs from the English notebook (run `cnnbook translate`)")
            continue
        recorded = twin.get("metadata", {}).get(KEY, {}).get("en_sha256")
        if recorded is None:
            found.append(f"{where}: not translated yet")
        elif recorded != en_hash(_source(cell)):
            found.append(f"{where}: stale: the English text changed since it was translated")
    return found


def set_translation(zh_path: Path, cell_id: str, text: str, english_path: Path | None = None) -> None:
    """Put ``text`` in the zh notebook's Markdown cell ``cell_id``, recording the English cell's hash.

    ``english_path`` defaults to the twin under the book's root (``zh/chapters/X`` -> ``chapters/X``).
    """
    zh_path = Path(zh_path)
    english_path = Path(english_path) if english_path else zh_path.parent.parent.parent / zh_path.parent.name / zh_path.name
    english = {cell.get("id"): cell for cell in _read(english_path)["cells"]}
    if cell_id not in english or english[cell_id]["cell_type"] != "markdown":
        raise ValueError(f"set_translation: {english_path} has no Markdown cell with id {cell_id!r}")
    zh = _read(zh_path)
    for cell in zh["cells"]:
        if cell.get("id") == cell_id:
            cell["source"] = text
            cell.setdefault("metadata", {})[KEY] = {"en_sha256": en_hash(_source(english[cell_id]))}
    _write(zh_path, zh)


def language_of(notebook: dict, path: Path | None = None) -> str:
    """``"zh"`` for a notebook of the Chinese edition (its metadata, else a ``zh`` folder in its path)."""
    metadata = notebook.get("metadata")
    declared = metadata.get("cnnbook", {}).get("language") if isinstance(metadata, dict) else None
    if isinstance(declared, str) and declared in ("en", "zh"):
        return declared
    return "zh" if path is not None and ZH in Path(path).parts else "en"


def run(root: Path, check_only: bool) -> int:
    """``cnnbook translate``: sync every zh notebook (or only report, with ``--check``); 1 if any problem."""
    found = []
    for english, zh in pairs(root):
        if not check_only:
            sync(english, zh)
        found += problems(english, zh)
    for line in found:
        print(line)
    untranslated = sum("not translated yet" in line for line in found)
    print(f"cnnbook translate: {len(pairs(root))} notebooks, {len(found)} problems ({untranslated} cells to translate)")
    return 1 if found else 0


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _write(path: Path, notebook: dict) -> None:
    Path(path).write_text(json.dumps(notebook, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
