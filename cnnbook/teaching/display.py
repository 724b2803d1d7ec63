"""Showing the package's own code in a chapter, so the book never pastes library code."""

from __future__ import annotations

import inspect

from IPython.display import Code


def show_source(function) -> Code:
    """The source of ``function`` (or class, or module), syntax-highlighted in a notebook.

    >>> import cnnbook as cb
    >>> "def conv2d_reference" in show_source(cb.conv2d_reference).data
    True
    """
    return Code(inspect.getsource(function), language="python")
