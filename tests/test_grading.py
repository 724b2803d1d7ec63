"""`cnnbook grade` on planted submissions: honest work, learner mistakes, cheating, broken files, and a course's needs.

Most tests read one grading run of a whole folder of planted submissions (``planted``); the others
each run the grader on the few notebooks they are about.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import planted_submissions as planted
from cnnbook.course.checks import questions_of_chapter
from cnnbook.course.grading import wire
from cnnbook.course.grading.grade import credit, judge_question
from cnnbook.course.checks.framework import CaseResult
from cnnbook.course.grading.results import clean_text
from paths import REPO_ROOT

CHAPTER_3 = [q.name for q in questions_of_chapter(3)]


def write(folder: Path, name: str, cells: list[str], **options) -> Path:
    path = folder / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(planted.notebook(cells, **options)), encoding="utf-8")
    return path


def grade(*arguments, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnbook", "grade", *map(str, arguments)],
                          capture_output=True, text=True, timeout=timeout)


def by_name(json_path: Path) -> dict:
    return {Path(row["path"]).stem: row for row in json.loads(json_path.read_text())}


def questions(row) -> dict:
    return {q["question"]: q for q in row["questions"]}


def snapshot(folder: Path) -> dict:
    return {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """Every planted submission in one folder, graded in one run with two jobs."""
    folder = tmp_path_factory.mktemp("class") / "submissions"
    submissions = {"03_honest": planted.HONEST, "03_classmate": planted.HONEST,
                   "03_dies_half_way": planted.DIES_HALF_WAY, "03_segfault_then_errors": planted.SEGFAULT_THEN_ERRORS,
                   "03_huge_output": planted.HUGE_OUTPUT, "03_partly_implemented": planted.PARTLY_IMPLEMENTED,
                   "03_write_beside_itself": planted.WRITE_BESIDE_ITSELF,
                   "03_chapter_1_answer": planted.CHAPTER_1_ANSWER,
                   "07_constant_answers": planted.CONSTANT_ANSWERS, "08_rewritten_wrappers": planted.REWRITTEN_WRAPPERS,
                   "09_mixed": planted.CHAPTER_9_MIXED,
                   "03_deleted_cells": [],
                   **{f"03_{name}": cells for name, cells in {**planted.CHEATS, **planted.BROKEN_RESULTS}.items()}}
    for name, cells in submissions.items():
        write(folder, name, cells, chapter=int(name[:2]))
    write(folder, "03_metadata_list", planted.HONEST, metadata=["not", "an", "object"])
    write(folder, "03_metadata_string", planted.HONEST, metadata="nor this")
    (folder / "03_nbformat_3.ipynb").write_text(json.dumps(planted.notebook_v3(planted.HONEST)), encoding="utf-8")
    write(folder, "homework", planted.CHAPTER_1_ANSWER, chapter=None)
    (folder / "broken.ipynb").write_text("{ not json", encoding="utf-8")
    before = snapshot(folder)
    outputs = folder.parent / "outputs"
    run = grade(folder, "--jobs", 2, "--timeout", 10, "--seed", 7, "--json", outputs / "grades.json",
                "--csv", outputs / "grades.csv", "--feedback", outputs / "feedback")
    return run, by_name(outputs / "grades.json"), folder, before, outputs


def test_the_run_prints_a_table_and_exits_1_for_the_unreadable_file(planted_run):
    run, grades, *_ = planted_run
    assert run.returncode == 1 and "broken.ipynb" in run.stderr and "could not be read" in run.stderr
    assert "03_honest.ipynb" in run.stdout and "total" in run.stdout
    assert "not a notebook" in grades["broken"]["notes"][0] and not grades["broken"]["readable"]


@pytest.mark.parametrize("name", ["03_honest", "03_metadata_list", "03_metadata_string", "03_nbformat_3"])
def test_honest_work_in_any_shape_of_notebook_gets_full_marks(planted_run, name):
    _, grades, *_ = planted_run
    assert grades[name]["points"] == grades[name]["max_points"] == len(CHAPTER_3), questions(grades[name])
    if "metadata" in name:
        assert "metadata is a" in grades[name]["notes"][0]


@pytest.mark.parametrize("name", [*(f"03_{name}" for name in planted.CHEATS), "03_chapter_1_answer",
                                  "07_constant_answers", "08_rewritten_wrappers"])
def test_points_without_correct_work_earn_nothing(planted_run, name):
    _, grades, *_ = planted_run
    assert grades[name]["points"] == 0 and grades[name]["max_points"] > 0, questions(grades[name])


def test_the_given_wrappers_are_run_from_the_exercise_not_from_the_notebook(planted_run):
    _, grades, *_ = planted_run
    wrappers = questions(grades["08_rewritten_wrappers"])
    assert wrappers["lenet_accuracy"]["status"] == wrappers["lenet_architecture"]["status"] == "not implemented yet"


def test_exercise_9_is_graded_question_by_question(planted_run):
    _, grades, *_ = planted_run
    row, answers = grades["09_mixed"], questions(grades["09_mixed"])
    assert row["chapter"] == 9 and row["max_points"] == 5 and row["points"] == 2, answers
    assert answers["batch_norm_forward"]["points"] == answers["dropout_backward"]["points"] == 1
    assert answers["dropout_forward"]["status"] == "used the package's own answer"
    assert "dropout_forward: called cnnbook.dropout.dropout" in row["flags"]
    feedback = json.dumps(answers, ensure_ascii=False)
    assert "treats the batch mean and variance as constants" in feedback
    assert "shortcut's gradient is not added" in feedback


def test_delegation_is_named_and_flagged(planted_run):
    _, grades, *_ = planted_run
    called = questions(grades["03_call_the_package"])
    assert called["conv2d"]["status"] == "used the package's own answer"
    assert called["conv2d"]["detail"] == "called cnnbook.conv.conv2d"
    assert "conv2d: called cnnbook.conv.conv2d" in grades["03_call_the_package"]["flags"]
    assert "cnnbook.conv_reference.conv2d_reference" in questions(grades["03_reload_and_alias"])["conv2d"]["detail"]
    assert "sys.setprofile" in questions(grades["03_switch_off_the_guard"])["conv2d"]["detail"]


def test_hidden_cases_catch_answers_that_only_know_the_visible_inputs(planted_run):
    _, grades, *_ = planted_run
    question = questions(grades["03_hard_code_the_visible_cases"])["conv_output_size"]
    assert question["status"] == "7/7 cases, 0/6 hidden" and question["points"] == 0
    hidden = [case for case in question["cases"] if case["hidden"]]
    assert len(hidden) == 6 and all(case["case"].startswith("hidden case") for case in hidden)


def test_a_notebook_of_another_exercise_is_graded_as_named_and_said_so(planted_run):
    _, grades, *_ = planted_run
    row = grades["03_chapter_1_answer"]
    assert row["chapter"] == 3 and row["chapter_from"] == "the file name"
    assert "looks like exercise 1" in " ".join(row["notes"])
    unnamed = grades["homework"]
    assert unnamed["chapter"] == 1 and unnamed["chapter_from"] == "its content"
    assert questions(unnamed)["f_backward"]["status"] == "passed"


@pytest.mark.parametrize("name", planted.BROKEN_RESULTS)
def test_a_result_that_once_crashed_the_run_is_graded_alone(planted_run, name):
    _, grades, *_ = planted_run
    row = grades[f"03_{name}"]
    assert set(questions(row)) == set(CHAPTER_3)
    assert questions(row)["conv_output_size"]["points"] == (0 if name == "huge_int_where_a_number_belongs" else 1)
    assert all(q["points"] == 0 for q in row["questions"] if q["question"] != "conv_output_size")
    for question in row["questions"]:
        question["detail"].encode("utf-8")                     # printable: no lone surrogate left in it


def test_each_broken_result_says_what_was_wrong(planted_run):
    _, grades, *_ = planted_run
    assert "OverflowError" in questions(grades["03_huge_int_where_a_number_belongs"])["conv_output_size"]["detail"]
    assert "\\udcff" in questions(grades["03_lone_surrogate_in_an_error"])["conv2d"]["detail"]
    assert "Liar" in questions(grades["03_ndarray_whose_dtype_lies"])["conv2d"]["detail"]
    assert questions(grades["03_garbage_on_the_grader_channel"])["conv2d"]["points"] == 0


def test_work_before_and_after_a_fatal_cell_counts(planted_run):
    _, grades, *_ = planted_run
    died = grades["03_dies_half_way"]
    assert died["points"] == died["max_points"] and any("code cell 4: died" in note for note in died["notes"])
    crashed = questions(grades["03_segfault_then_errors"])
    assert crashed["conv_output_size"]["status"] == crashed["dilated_output_size"]["status"] == "passed"
    assert crashed["conv2d"]["status"] == "missing"
    notes = " ".join(grades["03_segfault_then_errors"]["notes"])
    assert "code cell 2: died" in notes and "ZeroDivisionError" in notes and "SyntaxError" in notes


def test_huge_outputs_and_deleted_cells_are_survived(planted_run):
    _, grades, *_ = planted_run
    assert questions(grades["03_huge_output"])["conv_output_size"]["status"] == "passed"
    assert {q["status"] for q in questions(grades["03_deleted_cells"]).values()} == {"missing"}


def test_an_answer_that_is_unfinished_for_some_cases_earns_the_rest(planted_run):
    _, grades, *_ = planted_run
    question = questions(grades["03_partly_implemented"])["conv_output_size"]
    assert 0 < question["points"] < 1
    assert any("not implemented for this case" in case["problem"] for case in question["cases"])


def test_submissions_are_never_modified_and_nothing_is_written_beside_them(planted_run):
    _, _, folder, before, _ = planted_run
    assert snapshot(folder) == before


def test_every_result_records_its_seed_checker_version_and_file_hash(planted_run):
    _, grades, folder, *_ = planted_run
    for name, row in grades.items():
        assert row["seed"] == 7 and row["checker_version"]
        path = folder / f"{name}.ipynb"
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_feedback_lists_every_case_and_hides_the_hidden_inputs(planted_run):
    *_, outputs = planted_run
    text = (outputs / "feedback" / "03_hard_code_the_visible_cases.md").read_text()
    assert "## conv_output_size: 0 / 1 (7/7 cases, 0/6 hidden)" in text
    assert "✓ 200 input, 5x5 kernel, stride 2, padding 1" in text and "✗ hidden case 1 (a variation of:" in text
    assert len(list((outputs / "feedback").glob("*.md"))) == len(json.loads((outputs / "grades.json").read_text()))


# --- limits and isolation, each on its own small run ----------------------------------------------

def test_time_limits_are_hard_even_for_code_that_swallows_interrupts(tmp_path):
    stubborn = "import time\nwhile True:\n    try:\n        time.sleep(1)\n    except BaseException:\n        pass"
    write(tmp_path, "03_stubborn", [planted.OUTPUT_SIZE, stubborn, "import time\ndef conv2d(*a):\n    time.sleep(60)"])
    write(tmp_path, "03_slow_cells", [planted.OUTPUT_SIZE] + ["import time\ntime.sleep(1.5)"] * 6 + [planted.DILATED])
    started = time.monotonic()
    run = grade(tmp_path, "--timeout", 2, "--total-timeout", 5, "--json", tmp_path / "g.json")
    assert run.returncode == 0, run.stderr
    grades = by_name(tmp_path / "g.json")
    stubborn_row = grades["03_stubborn"]
    assert questions(stubborn_row)["conv2d"]["status"] == "timed out"
    assert questions(stubborn_row)["conv_output_size"]["status"] == "passed"
    assert stubborn_row["seconds"] < 2 + 5 * 2 + 5         # one cell limit, one limit per question, start-up
    slow = grades["03_slow_cells"]
    assert "the notebook's time limit was reached" in " ".join(slow["notes"])
    assert questions(slow)["dilated_output_size"]["status"] == "missing"
    assert time.monotonic() - started < 90


def test_processes_a_submission_starts_do_not_outlive_grading(tmp_path):
    pids = tmp_path / "pids.txt"
    spawn = f'''import os, subprocess
child = subprocess.Popen(["sleep", "300"], start_new_session=True)
with open({str(pids)!r}, "a") as f:
    f.write(f"{{child.pid}}\\n")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        import time
        time.sleep(300)
    os._exit(0)'''
    write(tmp_path, "03_daemon", [spawn, planted.OUTPUT_SIZE])
    run = grade(tmp_path / "03_daemon.ipynb", "--json", tmp_path / "g.json")
    assert run.returncode == 0, run.stderr
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) == 2
    time.sleep(0.5)
    alive = [pid for pid in started if _running(pid)]
    assert not alive, f"processes started by the submission are still running: {alive}"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_grader_does_not_keep_a_submissions_output(tmp_path):
    write(tmp_path / "small", "03_small", [planted.OUTPUT_SIZE])
    write(tmp_path / "loud", "03_loud", ["print('x' * 200_000_000)", planted.OUTPUT_SIZE])
    peaks = {}
    for name in ("small", "loud"):
        script = ("import resource, sys; from cnnbook.course.cli import main; "
                  f"main(['grade', {str(tmp_path / name)!r}]); "
                  "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
        peaks[name] = int(run.stderr.split("PEAK")[-1])          # KiB
    assert peaks["loud"] - peaks["small"] < 50 * 1024, peaks


def test_unreadable_files_fail_the_run_unless_asked_otherwise(tmp_path):
    (tmp_path / "03_broken.ipynb").write_text("[1, 2]", encoding="utf-8")
    write(tmp_path, "03_fine", [planted.OUTPUT_SIZE])
    assert grade(tmp_path).returncode == 1
    assert grade(tmp_path, "--ignore-unreadable").returncode == 0


# --- what a course needs ----------------------------------------------------------------------------

def test_parallel_and_resumed_runs_give_the_same_grades(tmp_path):
    folder = tmp_path / "subs"
    for name in ("03_a", "03_b", "03_c"):
        write(folder, name, planted.HONEST if name != "03_b" else [planted.OUTPUT_SIZE])
    report = tmp_path / "g.json"
    assert grade(folder, "--jobs", 2, "--seed", 1, "--json", report).returncode == 0
    first = by_name(report)
    write(folder, "03_b", planted.HONEST)                        # b hands in again
    again = grade(folder, "--jobs", 1, "--seed", 1, "--json", report, "--resume")
    assert again.returncode == 0
    second = by_name(report)
    assert second["03_a"] == first["03_a"] and second["03_c"] == first["03_c"]   # taken over, not re-run
    assert second["03_b"]["points"] == 5 > first["03_b"]["points"]


def test_roster_lms_csv_points_and_late_penalty(tmp_path):
    folder = tmp_path / "course"
    write(folder / "alice", "03_convolution", planted.HONEST)
    write(folder / "alice", "01_chain_rule", planted.CHAPTER_1_ANSWER)
    write(folder / "bob", "03_convolution", [planted.OUTPUT_SIZE])
    (tmp_path / "points.json").write_text(json.dumps({"conv2d": 3}))
    stamps = tmp_path / "stamps.csv"
    stamps.write_text(f"path,submitted_at\n{folder / 'bob' / '03_convolution.ipynb'},2026-12-03T10:00\n"
                      f"{folder / 'alice' / '03_convolution.ipynb'},2026-12-01T09:00\n"
                      f"{folder / 'alice' / '01_chain_rule.ipynb'},2026-12-01T09:00\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,exercise 1,exercise 3,adjustment,total\nalice,0,0,1.5,0\n")
    run = grade(folder, "--points", tmp_path / "points.json", "--deadline", "2026-12-01T23:59",
                "--timestamps", stamps, "--late-penalty", 0.25, "--roster", roster, "--lms-csv", tmp_path / "lms.csv",
                "--json", tmp_path / "g.json")
    assert run.returncode == 0, run.stderr
    rows = {row["student"]: row for row in csv.DictReader(roster.open())}
    assert rows["alice"]["exercise 3"] == "7.0" and rows["alice"]["adjustment"] == "1.5"
    assert float(rows["alice"]["total"]) == 7 + 1 + 1.5        # exercise 3 (conv2d worth 3), exercise 1, adjustment
    bob = next(g for g in json.loads((tmp_path / "g.json").read_text()) if "/bob/" in g["path"])
    assert bob["late_days"] == 2 and bob["earned"] == 1 and bob["late_penalty"] == 1 and bob["points"] == 0
    with open(tmp_path / "lms.csv") as file:
        header, *lms = list(csv.reader(file))
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                      "cnnbook exercise 1", "cnnbook exercise 3"]
    assert ["alice", "", "alice", "alice", "", "1.0", "7.0"] in lms


def test_edited_given_cells_are_flagged(tmp_path):
    exercise = json.loads((REPO_ROOT / "exercises" / "03_convolution.ipynb").read_text())
    check_cell = next(c for c in exercise["cells"] if c.get("id") == "check-correlate2d-valid")
    check_cell["source"] = "print('passed')"
    (tmp_path / "03_convolution.ipynb").write_text(json.dumps(exercise))
    run = grade(tmp_path, "--json", tmp_path / "g.json")
    assert run.returncode == 0, run.stderr
    assert by_name(tmp_path / "g.json")["03_convolution"]["flags"] == ["given cell check-correlate2d-valid was edited"]


def test_the_gradescope_autograder_grades_a_submission_like_gradescope_runs_it(tmp_path):
    bundle = tmp_path / "autograder.zip"
    assert grade("--gradescope-bundle", bundle, "--chapter", 3).returncode == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        assert {"setup.sh", "run_autograder", "cnnbook-src/pyproject.toml"} <= set(archive.namelist())
    write(root / "submission", "my_work", planted.HONEST[:3])
    python = Path(sys.executable).parent
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PATH": f"{python}:{os.environ['PATH']}"}
    (python / "python3").exists() or pytest.skip("the interpreter has no python3 beside it")
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 2 and [t["name"] for t in results["tests"]] == CHAPTER_3
    assert {t["max_score"] for t in results["tests"]} == {1.0}
    assert results["tests"][1]["score"] == 1 and "✓" in results["tests"][1]["output"]


def test_the_policy_lists_what_each_answer_may_not_call():
    run = grade("--policy")
    assert run.returncode == 0
    assert "conv2d (chapter 3): may not call cnnbook.conv_reference.conv2d_reference, cnnbook.conv.conv2d" in run.stdout


def test_grade_refuses_bad_arguments(tmp_path):
    missing = grade(tmp_path / "nope.ipynb")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    empty = grade(tmp_path)
    assert empty.returncode == 2 and "no notebooks found" in empty.stderr
    assert grade(tmp_path, "--resume").returncode == 2
    assert grade(tmp_path, "--jobs", 0).returncode == 2


# --- the parts, without a sandbox ------------------------------------------------------------------

def test_credit_is_the_lower_pass_rate_of_visible_and_hidden_cases():
    ok, bad = CaseResult("c"), CaseResult("c", "wrong")
    assert credit([ok, ok], [bad, bad]) == 0 and credit([ok, bad], [ok, ok, bad, bad]) == 0.5
    assert credit([ok, bad], []) == 0.5 and credit([], []) == 0


@pytest.mark.parametrize("reply, detail", [
    (None, "no result came back"),
    ({"status": "ok", "outcomes": [{}]}, "malformed"),
    ({"status": "ok", "outcomes": "x"}, "malformed"),
    ({"status": "ok", "outcomes": [{"returned": {"ndarray": {"dtype": "<f8", "shape": [9], "data": "AA=="}},
                                    "error": "", "not_implemented": False, "delegated": []}] * 13}, "malformed"),
])
def test_a_malformed_reply_earns_nothing_and_says_so(reply, detail):
    from cnnbook.course.checks import QUESTIONS
    from cnnbook.course.checks.framework import reference_answer

    question = QUESTIONS["conv_output_size"]
    cases = question.cases()
    result = judge_question(question, cases, [False] * len(cases), [reference_answer(question, c) for c in cases],
                            reply, 1.0)
    assert result.points == 0 and detail in result.detail


def test_frames_survive_garbage_and_oversized_messages():
    read, write_end = os.pipe()
    try:
        wire.send(write_end, b"x" * 100)
        wire.send_json(write_end, {"kind": "next"})
        with pytest.raises(wire.FrameTooLarge):
            wire.receive(read, time.monotonic() + 5, limit=10)
        assert wire.receive_json(read, time.monotonic() + 5) == {"kind": "next"}    # still in step
        os.write(write_end, b"\x00\x00\x00\x03abc")
        with pytest.raises(wire.WireError, match="not JSON"):
            wire.receive_json(read, time.monotonic() + 5)
        with pytest.raises(wire.WireError, match="timed out"):
            wire.receive(read, time.monotonic() + 0.1)
    finally:
        os.close(read)
        os.close(write_end)


def test_text_from_a_submission_is_made_printable():
    assert clean_text("a\udcffb\x07c") == "a\\udcffb c"
    assert len(clean_text("x" * 1000)) == 500
