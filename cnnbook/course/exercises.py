"""Generate the student notebooks in ``exercises/`` from the solutions in ``solutions/``.

A solution notebook marks each answer with nbgrader's markers::

    def conv2d(x, w, b, stride, padding):
        ### BEGIN SOLUTION
        # Hint: pad x once, then loop over n, k and the output positions.
        ...the answer...
        ### END SOLUTION

In the exercise the whole block becomes a stub, indented like the markers::

        # Hint: pad x once, then loop over n, k and the output positions.
        # YOUR CODE HERE
        raise NotImplementedError("not implemented yet (hint: pad x once, ...)")

A ``# Hint:`` line right after ``### BEGIN SOLUTION`` is kept as the hint; in a
Markdown cell the block becomes "YOUR ANSWER HERE". Outputs are removed. The
generated notebooks are committed, and a test fails when they are out of date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINT = re.compile(r"^\s*#\s*Hint:\s*(.*)$", re.IGNORECASE)
DEFAULT_HINT = "replace this line with your code"


class SolutionMarkupError(ValueError):
    """A solution notebook's markers do not pair up."""


def strip_solutions(source: str, where: str, markdown: bool = False) -> str:
    """``source`` with every marked solution block replaced by a stub."""
    lines, out, block = source.split("\n"), [], None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker.startswith(BEGIN):
            if block is not None:
                raise SolutionMarkupError(f"{where}, line {number}: {BEGIN} inside another solution block")
            block = {"indent": line[: len(line) - len(line.lstrip())], "hint": None, "first": True}
        elif marker.startswith(END):
            if block is None:
                raise SolutionMarkupError(f"{where}, line {number}: {END} without {BEGIN}")
            out += _stub(block["indent"], block["hint"], markdown)
            block = None
        elif block is not None:
            hint = HINT.match(line) if block["first"] else None
            if hint:
                block["hint"] = hint.group(1).strip()
            block["first"] = False
        else:
            out.append(line)
    if block is not None:
        raise SolutionMarkupError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out)


def _stub(indent: str, hint: str | None, markdown: bool) -> list[str]:
    if markdown:
        return [f"{indent}YOUR ANSWER HERE"]
    message = f"not implemented yet (hint: {hint or DEFAULT_HINT})"
    lines = [f"{indent}# Hint: {hint}"] if hint else []
    return lines + [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError({message!r})"]


def exercise_from_solution(notebook: dict, where: str) -> dict:
    """The student version of a solution notebook (a new dict; the input is not modified)."""
    exercise = json.loads(json.dumps(notebook))
    for index, cell in enumerate(exercise["cells"]):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = strip_solutions(source, f"{where}, cell {index}", markdown=cell["cell_type"] == "markdown")
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return exercise


def render(notebook: dict) -> str:
    """The notebook as Jupyter writes it (so saving it from JupyterLab changes nothing)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def given_code_cells(exercise: dict) -> list[dict]:
    """The code cells an exercise gives and the learner must not change: every code cell without a stub.

    Each as ``{"id", "sha256", "source"}`` (see :func:`cnnbook.course.grading.submission.fingerprint`).
    """
    from .grading.submission import fingerprint

    cells = []
    for cell in exercise["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and STUB not in source:
            cells.append({"id": cell["id"], "sha256": fingerprint(source), "source": source})
    return cells


STUB = "# YOUR CODE HERE"
MANIFEST = Path(__file__).parent / "checks" / "given_cells.json"


def render_manifest(solutions: Path) -> str:
    """The given-cell manifest of every exercise, keyed by chapter (the ``cnnbook.chapter`` metadata)."""
    manifest = {}
    for solution in sorted(solutions.glob("*.ipynb")):
        notebook = json.loads(solution.read_text(encoding="utf-8"))
        manifest[str(notebook["metadata"]["cnnbook"]["chapter"])] = given_code_cells(
            exercise_from_solution(notebook, solution.name))
    return json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"


def generate(solutions: Path, exercises: Path, manifest: Path = MANIFEST) -> list[Path]:
    """Write ``exercises/NAME.ipynb`` for every ``solutions/NAME.ipynb``, and the given-cell manifest."""
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for solution in sorted(solutions.glob("*.ipynb")):
        notebook = json.loads(solution.read_text(encoding="utf-8"))
        target = exercises / solution.name
        target.write_text(render(exercise_from_solution(notebook, solution.name)), encoding="utf-8")
        written.append(target)
    manifest.write_text(render_manifest(solutions), encoding="utf-8")
    return written + [manifest]


def stale_exercises(solutions: Path, exercises: Path, manifest: Path = MANIFEST) -> list[str]:
    """Names of exercises that differ from what :func:`generate` would write (or are missing or extra)."""
    problems = []
    expected = {p.name: p for p in solutions.glob("*.ipynb")}
    for name, solution in sorted(expected.items()):
        target = exercises / name
        wanted = render(exercise_from_solution(json.loads(solution.read_text(encoding="utf-8")), name))
        if not target.exists():
            problems.append(f"{name}: missing")
        elif target.read_text(encoding="utf-8") != wanted:
            problems.append(f"{name}: out of date")
    problems += [f"{p.name}: has no solution notebook" for p in sorted(exercises.glob("*.ipynb")) if p.name not in expected]
    if not manifest.exists() or manifest.read_text(encoding="utf-8") != render_manifest(solutions):
        problems.append(f"{manifest.name} (the given cells of every exercise): out of date")
    return problems
