"""``cnnbook grade``: grade submitted exercise notebooks, safely, in parallel, in the formats courses use.

* :mod:`~cnnbook.course.grading.submission` reads a notebook and decides which exercise it answers;
* :mod:`~cnnbook.course.grading.sandbox` runs it (the only place submitted code runs), and
  :mod:`~cnnbook.course.grading.pool` starts the sandboxes clean;
* :mod:`~cnnbook.course.grading.grade` judges the answers, in the grader's own process;
* :mod:`~cnnbook.course.grading.reports` writes the table, JSON, CSV, feedback, roster and LMS files, and
  :mod:`~cnnbook.course.grading.gradescope` the Gradescope autograder.

Threat model: see the README's instructor section.
"""

from .grade import Options, grade_paths, notebook_paths
from .results import NotebookGrade, QuestionGrade

__all__ = ["NotebookGrade", "Options", "QuestionGrade", "grade_paths", "notebook_paths"]
