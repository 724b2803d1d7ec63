"""Helpers shared by the tests of the exercise checks (tests/test_checks_*.py)."""

from __future__ import annotations

from cnnbook.course.checks import check


def diagnoses(name: str, function) -> str:
    """The likely mistakes the checker names for ``function``, which must fail question ``name``."""
    report = check(name, function, verbose=False)
    assert not report.passed, f"{name}: a planted mistake passed every case"
    return " ".join(report.diagnoses())

