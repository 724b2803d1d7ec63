"""The chapters' interactive demos: one module per chapter, each a ``draw`` function for
:class:`cnnbook.teaching.widgets.InteractiveFigure` plus the computations it shows."""
