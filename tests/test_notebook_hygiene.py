"""Committed notebooks carry no outputs, and the strip tool removes them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paths import REPO_ROOT

NOTEBOOK_FOLDERS = ("chapters", "solutions", "exercises", "zh")


def committed_notebooks():
    """Every notebook of the book's folders (checkpoints excluded), tracked by git or not yet."""
    return sorted(
        path for folder in NOTEBOOK_FOLDERS for path in (REPO_ROOT / folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts
    )


def test_there_are_notebooks_to_check():
    assert any(p.name == "index.ipynb" for p in committed_notebooks())


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_committed_notebook_has_no_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        index for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `make strip-outputs`"
    assert "widgets" not in notebook.get("metadata", {}), f"{path.name}: saved widget state; run `make strip-outputs`"
    assert notebook["metadata"].get("kernelspec", {}).get("name") == "python3"
    without_id = [index for index, cell in enumerate(notebook["cells"]) if "id" not in cell]
    assert not without_id, f"{path.name}: cells {without_id} have no id (nbformat 4.5 requires one)"


def _notebook_with_outputs() -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
            {
                "cell_type": "code", "execution_count": 7, "metadata": {"scrolled": True}, "source": "1 + 1",
                "outputs": [{"output_type": "execute_result", "execution_count": 7, "data": {"text/plain": "2"}, "metadata": {}}],
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "widgets": {"application/vnd.jupyter.widget-state+json": {}}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def strip_outputs(*make_variables: str) -> subprocess.CompletedProcess:
    """``make strip-outputs`` (nbstripout with the project's flags), with extra make variables."""
    return subprocess.run(["make", "--no-print-directory", "strip-outputs", *make_variables], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_make_strip_outputs_removes_outputs_and_run_time_metadata_and_keeps_sources_and_ids(tmp_path):
    path = tmp_path / "dirty.ipynb"
    notebook = _notebook_with_outputs()
    notebook["metadata"]["varInspector"] = {"window_display": False}
    for number, cell in enumerate(notebook["cells"]):
        cell["id"] = f"kept-{number}"
    path.write_text(json.dumps(notebook), encoding="utf-8")

    assert strip_outputs(f"NOTEBOOK_DIRS={tmp_path}", "NBSTRIPOUT_MODE=--verify").returncode != 0  # would change it
    result = strip_outputs(f"NOTEBOOK_DIRS={tmp_path}")
    assert result.returncode == 0, result.stdout + result.stderr
    cleaned = json.loads(path.read_text(encoding="utf-8"))
    code = cleaned["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None and "".join(code["source"]) == "1 + 1"
    assert "widgets" not in cleaned["metadata"] and "varInspector" not in cleaned["metadata"]
    assert "scrolled" not in code["metadata"]
    assert [cell["id"] for cell in cleaned["cells"]] == ["kept-0", "kept-1"]
    assert "".join(cleaned["cells"][0]["source"]) == "# Title"
    assert strip_outputs(f"NOTEBOOK_DIRS={tmp_path}", "NBSTRIPOUT_MODE=--verify").returncode == 0  # now clean


def test_no_committed_notebook_needs_stripping():
    result = strip_outputs("NBSTRIPOUT_MODE=--verify")
    assert result.returncode == 0, f"run `make strip-outputs`:\n{result.stdout}{result.stderr}"
