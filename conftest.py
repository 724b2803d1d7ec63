"""Repository-wide pytest hooks (fixtures for the unit tests live in tests/conftest.py).

nbval reports each notebook cell as one test item; this prints, at the end of
the run, which notebooks were executed and how their cells fared, so that the
output of `make test` shows the book was really run.
"""

from __future__ import annotations

import os

# The tests compile what they use: no background `cnnbook warm`, and so no uncompiled kernels
# meanwhile, from the tests or the notebooks they run (CI warms the cache first;
# tests/test_small_calls_and_warm.py and tests/test_uncompiled.py turn it on where they test it, and
# the kernel_path fixture runs the uncompiled kernels on purpose; CNNBOOK_BACKGROUND_WARM=1 in the
# environment measures a cold start as a learner sees it).
os.environ.setdefault("CNNBOOK_BACKGROUND_WARM", "0")

_notebook_cells: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report):
    """Count each notebook cell once: by its call outcome, or by its setup failure or skip."""
    path = report.nodeid.split("::", 1)[0]
    counted = report.when == "call" or (report.when == "setup" and not report.passed)
    if path.endswith(".ipynb") and counted:
        counts = _notebook_cells.setdefault(path, {})
        counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    if not _notebook_cells:
        return
    terminalreporter.section("notebooks executed by nbval")
    for path, counts in sorted(_notebook_cells.items()):
        outcome = ", ".join(f"{number} {name}" for name, number in sorted(counts.items()))
        terminalreporter.write_line(f"{path}: {outcome} cells")
