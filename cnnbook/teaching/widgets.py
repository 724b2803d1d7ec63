"""Interactive figures for the chapters: controls that redraw a matplotlib figure.

Every widget in the book is built the same way: a ``draw(figure, **values)``
function that does all the work (compute, plot, return a short text), and an
:class:`InteractiveFigure` that wires ipywidgets controls to it. The figure is
rendered to PNG into an ``ipywidgets.Image``, so it needs no interactive
matplotlib backend and looks the same in JupyterLab, Voila and a static book.

Because ``draw`` is a plain function and the controls are plain ipywidgets,
a widget is tested without a browser: set ``controls["stride"].value = 2``
and look at ``widget.caption.value`` or at what ``draw`` returned.
"""

from __future__ import annotations

import io
from typing import Callable

import ipywidgets as widgets
from matplotlib.figure import Figure

DrawFunction = Callable[..., str | None]


class InteractiveFigure:
    """Controls above a figure that ``draw`` redraws whenever a control changes.

    Args:
        draw: ``draw(figure, **values) -> str | None``; it draws into the (cleared)
            ``matplotlib.figure.Figure`` and may return a caption shown under it (HTML allowed).
        controls: name -> ipywidget with a ``value``; the names are ``draw``'s keyword arguments.
        figsize: the figure's size in inches.
    """

    def __init__(self, draw: DrawFunction, controls: dict[str, widgets.ValueWidget], figsize=(9.0, 3.2), dpi=96):
        self.draw = draw
        self.controls = controls
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.redraw_count = 0
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values())), self.image, self.caption])
        self.redraw()

    def values(self) -> dict:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        """Clear the figure, call ``draw`` with the current values, and show the result."""
        self.figure.clear()
        caption = self.draw(self.figure, **self.values())
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()
        self.caption.value = caption or ""
        self.redraw_count += 1

    def _on_change(self, change) -> None:
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def slider(value: int, low: int, high: int, description: str, step: int = 1) -> widgets.IntSlider:
    """An integer slider that updates only when released (redrawing is not free)."""
    return widgets.IntSlider(value=value, min=low, max=high, step=step, description=description,
                             continuous_update=False, style={"description_width": "initial"})


def choice(options, value, description: str) -> widgets.Dropdown:
    """A drop-down list of ``options``."""
    return widgets.Dropdown(options=options, value=value, description=description,
                            style={"description_width": "initial"})
