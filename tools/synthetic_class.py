"""Write a synthetic class for timing ``cnnbook grade``: one folder per student, one notebook per exercise.

    python tools/synthetic_class.py 200 /tmp/class      # 200 students x 8 exercises = 1,600 notebooks
    cnnbook grade /tmp/class --jobs 2 --json /tmp/class.json

Every student hands in the solution notebooks (honest, complete work: the slowest case, since every
cell and every check runs); student k's notebooks end with a Markdown cell naming k, so no two files
are equal and no given cell is changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def write_class(students: int, folder: Path) -> int:
    notebooks = [(path.name, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(SOLUTIONS.glob("*.ipynb"))]
    for student in range(students):
        for name, notebook in notebooks:
            copy = json.loads(json.dumps(notebook))
            copy["cells"].append({"cell_type": "markdown", "id": f"student-{student:04d}", "metadata": {},
                                  "source": f"Handed in by student {student:04d}."})
            target = folder / f"student_{student:04d}" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(copy), encoding="utf-8")
    return students * len(notebooks)


if __name__ == "__main__":
    count = write_class(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {count} notebooks into {sys.argv[2]}")
