"""``python -m cnnbook ...`` is the same as the ``cnnbook`` command."""

from .cli import main

raise SystemExit(main())
