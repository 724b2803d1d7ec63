"""Former name of :mod:`cnnbook.nn.layers`, kept for the exercise notebooks already handed out.

Exercise 8 as handed out before the package was regrouped into layers (issue 16) imports
``from cnnbook.layers import Conv2d, ...``; learners' copies are graded as they are, so that import
must keep working (see :mod:`cnnbook.checks`, the same case). ``cnnbook.layers`` is the very same
module object as :mod:`cnnbook.nn.layers`. New code imports :mod:`cnnbook.nn.layers`.
"""

import sys

from .nn import layers as _layers

sys.modules[__name__] = _layers
