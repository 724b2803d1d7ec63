"""Exercise generation, and `cnnbook grade` on every solution and every exercise."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cnnbook.course.exercises import SolutionMarkupError, exercise_from_solution, stale_exercises, strip_solutions
from paths import REPO_ROOT
from planted_submissions import notebook

SOLUTION_CELL = '''def conv_output_size(n, kernel_size, stride, padding):
    ### BEGIN SOLUTION
    # Hint: count the window positions; remember the floor and the + 1.
    return (n + 2 * padding - kernel_size) // stride + 1
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


@pytest.mark.slow
def test_every_solution_gets_full_marks_and_every_exercise_zero(tmp_path):
    report = tmp_path / "grades.json"
    run = subprocess.run([sys.executable, "-m", "cnnbook", "grade", str(REPO_ROOT / "solutions"),
                          str(REPO_ROOT / "exercises"), "--json", str(report), "--jobs", "2"],
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
        assert not row["notes"] and not row["flags"], (row["path"], row["notes"], row["flags"])


@pytest.mark.slow
def test_notebooks_handed_out_before_the_regroup_still_run_and_earn_full_marks(tmp_path):
    """Exercises handed out before issue 16 import ``cnnbook.checks``, ``cnnbook.layers`` and ``cnnbook.demos``:
    graded later, they run as they are (those names are kept as aliases) and their given cells are not flagged."""
    from cnnbook.course.grading.submission import FORMER_MODULES

    names = ["01_chain_rule.ipynb", "08_lenet.ipynb", "09_going_deeper.ipynb"]
    for name in names:
        text = (REPO_ROOT / "solutions" / name).read_text(encoding="utf-8")
        for former, current in FORMER_MODULES.items():
            text = text.replace(current, former)
        assert "from cnnbook.checks import check" in text and "cnnbook.course" not in text
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert "from cnnbook.layers import" in (tmp_path / "08_lenet.ipynb").read_text()
    assert "from cnnbook.demos.deeper import" in (tmp_path / "09_going_deeper.ipynb").read_text()
    report = tmp_path / "grades.json"
    run = subprocess.run([sys.executable, "-m", "cnnbook", "grade", str(tmp_path), "--json", str(report), "--jobs", "2"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    grades = json.loads(report.read_text())
    assert len(grades) == len(names)
    for row in grades:
        assert row["points"] == row["max_points"] > 0, (row["path"], row["questions"])
        assert not row["notes"] and not row["flags"], (row["path"], row["notes"], row["flags"])


def test_the_former_module_names_are_the_same_modules():
    import cnnbook.checks
    import cnnbook.checks.calling
    import cnnbook.course.checks
    import cnnbook.course.checks.calling
    import cnnbook.demos.deeper
    import cnnbook.demos.lenet
    import cnnbook.layers
    import cnnbook.nn.layers
    import cnnbook.teaching.demos.deeper
    import cnnbook.teaching.demos.lenet

    assert cnnbook.checks is cnnbook.course.checks and cnnbook.checks.calling is cnnbook.course.checks.calling
    assert cnnbook.layers is cnnbook.nn.layers
    assert cnnbook.demos.lenet is cnnbook.teaching.demos.lenet and cnnbook.demos.deeper is cnnbook.teaching.demos.deeper
