"""Exercise generation and `cnnbook grade`, tried on planted submissions."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import nbformat
import pytest

from cnnbook.checks import questions_of_chapter
from cnnbook.exercises import SolutionMarkupError, exercise_from_solution, stale_exercises, strip_solutions
from paths import REPO_ROOT

SOLUTION_CELL = '''def conv_output_size(n, kernel_size, stride, padding):
    ### BEGIN SOLUTION
    # Hint: count the window positions; remember the floor and the + 1.
    return (n + 2 * padding - kernel_size) // stride + 1
    ### END SOLUTION'''

CORRELATE_CELL = '''import cnnbook as cb
def correlate2d_valid(x, k):
    ### BEGIN SOLUTION
    return cb.correlate2d(x, k)
    ### END SOLUTION'''

CONV2D_CELL = '''import cnnbook as cb
def conv2d(x, w, b, stride, padding):
    ### BEGIN SOLUTION
    return cb.conv2d_reference(x, w, b, stride, padding)
    ### END SOLUTION'''

DILATED_CELL = '''def dilated_output_size(n, kernel_size, stride, padding, dilation):
    ### BEGIN SOLUTION
    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    ### END SOLUTION'''

IM2COL_CELL = '''from cnnbook.demos.im2col import im2col as _im2col
def im2col(x, kernel_size, stride, padding):
    ### BEGIN SOLUTION
    return _im2col(x, kernel_size, stride, padding)
    ### END SOLUTION'''


def test_a_solution_block_becomes_a_stub_with_its_hint():
    stub = strip_solutions(SOLUTION_CELL, "cell")
    assert stub.splitlines() == [
        "def conv_output_size(n, kernel_size, stride, padding):",
        "    # Hint: count the window positions; remember the floor and the + 1.",
        "    # YOUR CODE HERE",
        "    raise NotImplementedError('not implemented yet (hint: count the window positions; remember the floor and the + 1.)')",
    ]
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="hint: count the window positions"):
        namespace["conv_output_size"](5, 3, 1, 0)


def test_markdown_answers_and_unpaired_markers():
    assert strip_solutions("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "cell", markdown=True) == "Why?\nYOUR ANSWER HERE"
    with pytest.raises(SolutionMarkupError, match="never closed"):
        strip_solutions("### BEGIN SOLUTION\nx = 1", "nb.ipynb, cell 2")
    with pytest.raises(SolutionMarkupError, match="line 1: ### END SOLUTION without"):
        strip_solutions("### END SOLUTION", "cell")


def test_exercise_generation_keeps_the_solution_notebook_intact():
    solution = notebook([SOLUTION_CELL])
    solution["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    before = json.dumps(solution)
    exercise = exercise_from_solution(solution, "03_x.ipynb")
    assert json.dumps(solution) == before
    assert exercise["cells"][0]["outputs"] == [] and "NotImplementedError" in exercise["cells"][0]["source"]


def test_committed_exercises_are_generated_from_the_solutions():
    problems = stale_exercises(REPO_ROOT / "solutions", REPO_ROOT / "exercises")
    assert not problems, f"regenerate with `make exercises`: {problems}"


# --- grading -------------------------------------------------------------------------------------

def notebook(cells: list[str], chapter: int | None = 3) -> dict:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if chapter is not None:
        nb.metadata["cnnbook"] = {"chapter": chapter}
    return json.loads(nbformat.writes(nb))


SUBMISSIONS = {
    "03_solution": [CORRELATE_CELL, SOLUTION_CELL, DILATED_CELL, CONV2D_CELL, IM2COL_CELL],
    "03_tampering": [
        "print('conv2d: 7/7 cases passed (all passed)')\ndef check(*args, **kwargs):\n    return True",
        "import cnnbook.conv_reference as r, cnnbook.checks.calling as c\nr.conv2d_reference = lambda *a: 0\n"
        "c.call_safely = lambda *a: c.Outcome(returned=0)",
        "def conv_output_size(n, kernel_size, stride, padding):\n    return 0",
        "def conv2d(x, w, b, stride, padding):\n    return 0",
    ],
    "03_dies_half_way": [CORRELATE_CELL, SOLUTION_CELL, DILATED_CELL, "import os\nos._exit(3)", CONV2D_CELL, IM2COL_CELL],
    "03_segfault_then_errors": [SOLUTION_CELL, "import ctypes\nctypes.string_at(0)", "1 / 0", "def conv2d(:\n    pass"],
    "03_infinite_loop_in_function": [SOLUTION_CELL, "def conv2d(x, w, b, stride, padding):\n    while True:\n        pass"],
    "03_huge_output": ["print('x' * 30_000_000)", SOLUTION_CELL],
    "03_deleted_cells": [],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name, cells in SUBMISSIONS.items():
        (folder / f"{name}.ipynb").write_text(json.dumps(notebook(cells)), encoding="utf-8")
    exercise = exercise_from_solution(notebook([CORRELATE_CELL, SOLUTION_CELL, DILATED_CELL, CONV2D_CELL, IM2COL_CELL]),
                                      "03_exercise.ipynb")
    (folder / "03_exercise.ipynb").write_text(json.dumps(exercise), encoding="utf-8")
    (folder / "notes.ipynb").write_text(json.dumps(notebook(["1"], chapter=None)), encoding="utf-8")
    (folder / "broken.ipynb").write_text("{ not json", encoding="utf-8")
    fingerprints = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    run = subprocess.run(
        [sys.executable, "-m", "cnnbook", "grade", str(folder), "--timeout", "8",
         "--json", str(folder.parent / "grades.json"), "--csv", str(folder.parent / "grades.csv")],
        capture_output=True, text=True, timeout=600,
    )
    grades = {row["path"].rsplit("/", 1)[-1].removesuffix(".ipynb"): row
              for row in json.loads((folder.parent / "grades.json").read_text())}
    return run, grades, folder, fingerprints


def questions(row) -> dict:
    return {q["question"]: q for q in row["questions"]}


def test_grading_runs_and_prints_a_table(graded):
    run, grades, folder, _ = graded
    assert run.returncode == 0, run.stderr
    assert "03_solution.ipynb" in run.stdout and "total" in run.stdout
    header = (folder.parent / "grades.csv").read_text().splitlines()[0]
    names = ",".join(q.name for q in questions_of_chapter(3))
    assert header == f"notebook,chapter,{names},points,max_points,notes"


def test_the_solution_gets_full_marks_and_the_exercise_none(graded):
    _, grades, _, _ = graded
    assert grades["03_solution"]["points"] == grades["03_solution"]["max_points"] == len(questions_of_chapter(3))
    exercise = questions(grades["03_exercise"])
    assert grades["03_exercise"]["points"] == 0
    assert {q["status"] for q in exercise.values()} == {"not implemented yet"}


def test_printing_passed_or_patching_the_checker_earns_nothing(graded):
    _, grades, _, _ = graded
    assert grades["03_tampering"]["points"] == 0
    assert questions(grades["03_tampering"])["conv2d"]["status"] == "0/7 cases"


def test_work_before_a_fatal_cell_still_counts(graded):
    _, grades, _, _ = graded
    died = grades["03_dies_half_way"]
    assert died["points"] == died["max_points"] and any("kernel died" in note for note in died["notes"])
    segfault = grades["03_segfault_then_errors"]
    assert questions(segfault)["conv_output_size"]["status"] == "passed"
    assert questions(segfault)["conv2d"]["status"] == "missing"
    notes = " ".join(segfault["notes"])
    assert "kernel died" in notes and "ZeroDivisionError" in notes and "SyntaxError" in notes


def test_hangs_huge_outputs_and_deleted_cells_are_survived(graded):
    _, grades, _, _ = graded
    loop = questions(grades["03_infinite_loop_in_function"])
    assert loop["conv_output_size"]["status"] == "passed" and loop["conv2d"]["status"] == "timed out"
    assert questions(grades["03_huge_output"])["conv_output_size"]["status"] == "passed"
    assert {q["status"] for q in questions(grades["03_deleted_cells"]).values()} == {"missing"}


def test_unknown_and_unreadable_notebooks_are_reported_not_fatal(graded):
    _, grades, _, _ = graded
    assert "no exercise questions" in grades["notes"]["notes"][0]
    assert "not a readable notebook" in grades["broken"]["notes"][0]


def test_submissions_are_never_modified(graded):
    _, _, folder, fingerprints = graded
    for path, fingerprint in fingerprints.items():
        assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == fingerprint, path.name
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in fingerprints)


def test_grade_refuses_bad_arguments(tmp_path):
    missing = subprocess.run([sys.executable, "-m", "cnnbook", "grade", str(tmp_path / "nope.ipynb")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    empty = subprocess.run([sys.executable, "-m", "cnnbook", "grade", str(tmp_path)], capture_output=True, text=True)
    assert empty.returncode == 2 and "no notebooks found" in empty.stderr


@pytest.mark.slow
def test_every_solution_gets_full_marks_and_every_exercise_zero(tmp_path):
    report = tmp_path / "grades.json"
    run = subprocess.run([sys.executable, "-m", "cnnbook", "grade", str(REPO_ROOT / "solutions"),
                          str(REPO_ROOT / "exercises"), "--json", str(report)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    grades = json.loads(report.read_text())
    assert len(grades) == 2 * len(list((REPO_ROOT / "solutions").glob("*.ipynb")))
    for row in grades:
        if "/solutions/" in row["path"]:
            assert row["points"] == row["max_points"] > 0, (row["path"], row["questions"])
        else:
            assert row["points"] == 0 and row["max_points"] > 0
            assert {q["status"] for q in row["questions"]} == {"not implemented yet"}, row["path"]
        assert not row["notes"], (row["path"], row["notes"])
