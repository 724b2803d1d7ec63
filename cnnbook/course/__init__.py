"""Course tooling: what turns the book into a course, on top of everything else in the package.

* :mod:`cnnbook.course.checks`: ``check(name, function)``, the exercises' self-checks (one module of
  questions per chapter, Chinese messages in ``zh/``, the given cells of every exercise in
  ``given_cells.json``);
* :mod:`cnnbook.course.grading`: ``cnnbook grade``, the sandboxed grader of submitted notebooks;
* :mod:`cnnbook.course.exercises`: ``cnnbook exercises``, the exercise notebooks generated from the solutions;
* :mod:`cnnbook.course.translation`: ``cnnbook translate``, the Chinese edition kept in step;
* :mod:`cnnbook.course.lab`: ``cnnbook lab``; :mod:`cnnbook.course.cli`: the ``cnnbook`` command itself.
"""
