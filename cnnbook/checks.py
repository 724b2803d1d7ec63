"""Former name of :mod:`cnnbook.course.checks`, kept for the exercise notebooks already handed out.

Exercise notebooks written before the package was regrouped into layers (issue 16) begin with
``from cnnbook.checks import check``. Learners keep their copies, and hand them in for grading long
after: ``cnnbook grade`` runs each submission as it is, so that import must keep working. This module
makes ``cnnbook.checks`` (and its submodules already loaded, such as ``cnnbook.checks.calling``) the
very same module objects as :mod:`cnnbook.course.checks`: one registry of questions, one ``check``.

New notebooks import :mod:`cnnbook.course.checks`; nothing in the package imports this module.
``tests/test_exercises_and_grading.py`` grades notebooks that use the former names.
"""

import sys

from .course import checks as _checks

sys.modules[__name__] = _checks
for _name, _module in list(sys.modules.items()):
    if _name.startswith(_checks.__name__ + "."):
        sys.modules.setdefault(__name__ + _name[len(_checks.__name__):], _module)
