"""Former name of :mod:`cnnbook.teaching.demos`, kept for the exercise notebooks already handed out.

Exercises 8 and 9 as handed out before the package was regrouped into layers (issue 16) import
``from cnnbook.demos.lenet import ...`` and ``from cnnbook.demos.deeper import ...``; learners'
copies are graded as they are, so those imports must keep working (see :mod:`cnnbook.checks`, the
same case). ``cnnbook.demos``, ``cnnbook.demos.lenet`` and ``cnnbook.demos.deeper`` are the very
same module objects as their :mod:`cnnbook.teaching.demos` counterparts. New code imports
:mod:`cnnbook.teaching.demos`.
"""

import sys

from .teaching import demos as _demos
from .teaching.demos import deeper as _deeper
from .teaching.demos import lenet as _lenet

sys.modules[__name__] = _demos
sys.modules[__name__ + ".deeper"] = _deeper
sys.modules[__name__ + ".lenet"] = _lenet
