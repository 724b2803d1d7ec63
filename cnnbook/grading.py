"""``cnnbook grade``: run submitted exercise notebooks in fresh kernels, then check their functions.

For each notebook (a copy is run; the submission is only read):

1. Its cells run one by one in a fresh kernel (through nbclient), each with a time
   limit, and the whole notebook within an overall limit. A cell that raises is
   recorded and execution goes on. A cell that hangs is interrupted; one that kills
   the kernel or cannot be interrupted is skipped: the kernel is restarted and the
   cells that had run are run again, so everything defined before the failure counts.
2. For each question of the notebook's chapter, the grader sends the question's
   cases into the kernel, calls the learner's function there with a small,
   self-contained caller (:mod:`cnnbook.checks.calling`, sent as source text), and
   reads the results back as JSON. The references, the comparison and the diagnoses
   run here, in the grader. A notebook cannot pass by printing "passed", by
   redefining ``check`` or by patching cnnbook's reference functions.

Threat model: this stops mistakes and casual tampering. It is not a sandbox: a
submission runs with the grader's permissions, so grade untrusted work in a
container or a throwaway account.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .checks import Question, questions_of_chapter
from .checks import calling
from .checks.framework import NOT_IMPLEMENTED, evaluate

CALLER_SOURCE = Path(calling.__file__).read_text(encoding="utf-8")
PROBE_TIMEOUT = 10  # seconds a kernel has to answer "pass" after an interrupted cell


# --- the result of grading -----------------------------------------------------------------------

@dataclass
class QuestionGrade:
    question: str
    points: float
    max_points: float
    status: str          # "passed", "k/n cases", "not implemented", "missing", "timed out", "kernel died"
    detail: str = ""     # the likely mistake, or the first problem


@dataclass
class NotebookGrade:
    path: str
    chapter: int | None
    questions: list[QuestionGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what went wrong while running the cells
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return round(sum(q.points for q in self.questions), 2)

    @property
    def max_points(self) -> float:
        return round(sum(q.max_points for q in self.questions), 2)


# --- a kernel that survives its notebook ---------------------------------------------------------

class _Client(NotebookClient):
    """nbclient without output storage: huge outputs cost nothing, and errors are recorded."""

    def output(self, outs, msg, display_id, cell_index):
        return None


@dataclass
class RunResult:
    status: str               # "ok", "error", "timeout", "dead"
    message: str = ""


class KernelSession:
    """One kernel for one submission, restarted when its notebook kills or wedges it."""

    def __init__(self, workdir: Path, cell_timeout: float):
        self.workdir = workdir
        self.cell_timeout = cell_timeout
        self.client: _Client | None = None
        self._error: dict | None = None

    def start(self) -> None:
        scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])  # nbclient stores each cell at index 0
        self.client = _Client(
            scratch, kernel_name="python3", timeout=self.cell_timeout,
            allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "time limit", "traceback": []},
            resources={"metadata": {"path": str(self.workdir)}}, on_cell_error=self._record_error,
        )
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client.start_new_kernel_client()

    def _record_error(self, cell, cell_index, execute_reply) -> None:
        self._error = execute_reply["content"]

    def run(self, source: str, timeout: float) -> RunResult:
        """Execute ``source``; a cell that times out is interrupted, and a wedged kernel restarted."""
        self._error = None
        self.client.timeout = max(1, int(timeout))
        try:
            self.client.execute_cell(nbformat.v4.new_code_cell(source), 0)
        except (DeadKernelError, CellTimeoutError) as error:
            return RunResult("dead", f"the kernel died ({type(error).__name__})")
        if self._error is None:
            return RunResult("ok")
        if self._error.get("ename") == "CellTimeoutError":
            if not self._responsive():
                return RunResult("dead", f"did not stop within {timeout:.0f} s and could not be interrupted")
            return RunResult("timeout", f"timed out after {timeout:.0f} s and was interrupted")
        return RunResult("error", f"{self._error.get('ename')}: {self._error.get('evalue')}"[:300])

    def _responsive(self) -> bool:
        self._error = None
        self.client.timeout = PROBE_TIMEOUT
        try:
            self.client.execute_cell(nbformat.v4.new_code_cell("pass"), 0)
        except (DeadKernelError, CellTimeoutError):
            return False
        return self._error is None

    def restart(self, replay: list[str], deadline: float) -> None:
        """A fresh kernel, with the sources that had run well run again (until the deadline)."""
        self.shutdown()
        self.start()
        for source in replay:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.run(source, min(self.cell_timeout, remaining)).status == "dead":
                return

    def shutdown(self) -> None:
        if self.client is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:  # noqa: BLE001 (a kernel that is already gone is fine)
                pass
        self.client = None


# --- grading -------------------------------------------------------------------------------------

def notebook_paths(paths: list[str]) -> list[Path]:
    """The notebooks named, with every ``*.ipynb`` of a named folder (checkpoints excluded)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"cnnbook grade: no such file or folder: {path}")
    return found


def chapter_of(notebook: dict, path: Path) -> int | None:
    """The exercise's chapter: from the notebook's ``cnnbook.chapter`` metadata, else its file name."""
    chapter = notebook.get("metadata", {}).get("cnnbook", {}).get("chapter")
    if isinstance(chapter, int):
        return chapter
    match = re.match(r"(\d+)_", path.name)
    return int(match.group(1)) if match else None


def grade_notebook(path: Path, cell_timeout: float = 60, total_timeout: float = 600) -> NotebookGrade:
    """Run one submission and grade its questions (see the module docstring)."""
    started = time.monotonic()
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = [_source(cell) for cell in notebook["cells"] if cell.get("cell_type") == "code"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return NotebookGrade(str(path), None, notes=[f"not a readable notebook: {error}"])
    grade = NotebookGrade(str(path), chapter_of(notebook, path))
    questions = questions_of_chapter(grade.chapter) if grade.chapter is not None else []
    if not questions:
        grade.notes.append("no exercise questions for this notebook (is it named like NN_topic.ipynb?)")
        return grade
    with tempfile.TemporaryDirectory(prefix="cnnbook-grade-") as workdir:
        session = KernelSession(Path(workdir), cell_timeout)
        session.start()
        try:
            deadline = started + total_timeout
            ran = _run_cells(session, cells, deadline, grade.notes)
            for question in questions:
                grade.questions.append(_grade_question(session, question, Path(workdir), ran, deadline))
        finally:
            session.shutdown()
    grade.seconds = round(time.monotonic() - started, 1)
    return grade


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _run_cells(session: KernelSession, cells: list[str], deadline: float, notes: list[str]) -> list[str]:
    """Run the cells in order; return the ones that ran without killing the kernel."""
    ran: list[str] = []
    for number, source in enumerate(cells, start=1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            notes.append(f"time limit reached: code cells {number}-{len(cells)} were not run")
            break
        result = session.run(source, min(session.cell_timeout, remaining))
        if result.status == "dead":
            notes.append(f"code cell {number}: {result.message}; skipped, kernel restarted")
            session.restart(ran, deadline)
            continue
        if result.status != "ok" and "NotImplementedError" not in result.message:
            notes.append(f"code cell {number}: {result.message}")
        ran.append(source)
    return ran


def _grade_question(session: KernelSession, question: Question, workdir: Path, ran: list[str],
                    deadline: float) -> QuestionGrade:
    cases_path, results_path = workdir / ".cases.pickle", workdir / ".results.json"
    results_path.unlink(missing_ok=True)
    cases = question.cases()
    with open(cases_path, "wb") as file:
        pickle.dump([(case.args, case.kwargs) for case in cases], file)
    runner = (
        "__cnnbook_grader = {'__name__': 'cnnbook_grader'}\n"
        f"exec(compile({CALLER_SOURCE!r}, 'cnnbook-grader', 'exec'), __cnnbook_grader)\n"
        f"__cnnbook_grader['run_cases_from_file'](globals().get({question.function!r}), "
        f"{str(cases_path)!r}, {str(results_path)!r})\n"
        "del __cnnbook_grader\n"
    )
    result = session.run(runner, max(PROBE_TIMEOUT, min(session.cell_timeout, deadline - time.monotonic())))
    failed = QuestionGrade(question.name, 0.0, question.points, "", "")
    if result.status in ("dead", "timeout"):
        failed.status = "kernel died" if result.status == "dead" else "timed out"
        failed.detail = f"{question.function}: {result.message}"
        if result.status == "dead":
            session.restart(ran, deadline + 60)
        return failed
    if result.status == "error" or not results_path.exists():
        failed.status, failed.detail = "error", f"the checks could not run: {result.message}"
        return failed
    outcomes = calling.read_results(str(results_path))
    if outcomes is None:
        failed.status, failed.detail = "missing", f"no function named {question.function} was defined"
        return failed
    report = evaluate(question, cases, outcomes)
    if report.not_implemented:
        failed.status = NOT_IMPLEMENTED
        return failed
    passed = sum(r.passed for r in report.results)
    first_problem = next((r.problem for r in report.results if r.problem), "")
    return QuestionGrade(
        question.name, round(question.points * report.fraction, 2), question.points,
        "passed" if report.passed else f"{passed}/{len(report.results)} cases",
        "; ".join(report.diagnoses()) or first_problem,
    )


# --- reports -------------------------------------------------------------------------------------

def format_table(grades: list[NotebookGrade]) -> str:
    """A plain-text table: one block per notebook, one row per question, then its total."""
    lines = []
    for grade in grades:
        lines.append(f"{grade.path}  (chapter {grade.chapter}, {grade.seconds:.1f} s)")
        for q in grade.questions:
            detail = f"  {q.detail}" if q.detail and q.status != "passed" else ""
            lines.append(f"  {q.question:<28} {q.points:>5.2f} / {q.max_points:<5.2f} {q.status}{detail}")
        lines += [f"  note: {note}" for note in grade.notes]
        lines.append(f"  {'total':<28} {grade.points:>5.2f} / {grade.max_points:<5.2f}")
    return "\n".join(lines)


def write_json(grades: list[NotebookGrade], path: Path) -> None:
    rows = [dict(asdict(g), points=g.points, max_points=g.max_points) for g in grades]
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(grades: list[NotebookGrade], path: Path) -> None:
    """One row per notebook: path, chapter, one column per question's points, total, notes."""
    import csv

    names = list(dict.fromkeys(q.question for g in grades for q in g.questions))
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["notebook", "chapter", *names, "points", "max_points", "notes"])
        for g in grades:
            points = {q.question: q.points for q in g.questions}
            writer.writerow([g.path, g.chapter, *(points.get(n, "") for n in names), g.points, g.max_points,
                             " | ".join(g.notes)])


def grade_paths(paths: list[str], cell_timeout: float = 60, total_timeout: float = 600) -> list[NotebookGrade]:
    return [grade_notebook(path, cell_timeout, total_timeout) for path in notebook_paths(paths)]
