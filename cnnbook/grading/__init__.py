"""``cnnbook grade``: grade submitted exercise notebooks, safely, in parallel, in the formats courses use.

* :mod:`~cnnbook.grading.submission` reads a notebook and decides which exercise it answers;
* :mod:`~cnnbook.grading.sandbox` runs it (the only place submitted code runs), and
  :mod:`~cnnbook.grading.pool` starts the sandboxes clean;
* :mod:`~cnnbook.grading.grade` judges the answers, in the grader's own process;
* :mod:`~cnnbook.grading.reports` writes the table, JSON, CSV, feedback, roster and LMS files, and
  :mod:`~cnnbook.grading.gradescope` the Gradescope autograder.

Threat model: see the README's instructor section.
"""

from .grade import Options, grade_paths, notebook_paths
from .results import NotebookGrade, QuestionGrade

__all__ = ["NotebookGrade", "Options", "QuestionGrade", "grade_paths", "notebook_paths"]
