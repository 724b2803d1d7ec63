"""``python -m cnnbook ...`` is the same as the ``cnnbook`` command."""

from .course.cli import main

raise SystemExit(main())
