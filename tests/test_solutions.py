"""Every solution notebook answers its chapter's questions, in order, and passes every check.

nbval executes the notebooks too, but `check` only prints, so this is what fails when a
solution stops passing its own checks.
"""

from __future__ import annotations

import json
import warnings

import pytest

from cnnbook.course.checks import check, questions_of_chapter
from paths import REPO_ROOT

SOLUTIONS = sorted((REPO_ROOT / "solutions").glob("*.ipynb"))


def test_every_chapter_has_a_solution_notebook():
    assert [int(p.name[:2]) for p in SOLUTIONS] == list(range(1, 10))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_the_solution_notebook_passes_every_question_of_its_chapter(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    chapter = int(path.name[:2])
    assert notebook["metadata"]["cnnbook"] == {"chapter": chapter}
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    namespace: dict = {}
    checked = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        if source.startswith("check("):
            checked.append(source.split('"')[1])
        else:
            exec(compile(source, str(path), "exec"), namespace)
    questions = questions_of_chapter(chapter)
    assert checked == [q.name for q in questions], "the notebook checks its questions in the registry's order"
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a solution runs every case without a warning
        for question in questions:
            assert check(question.name, namespace[question.function], verbose=False).passed, question.name
