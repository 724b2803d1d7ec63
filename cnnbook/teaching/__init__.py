"""Teaching helpers: what the chapters use to show an idea, on top of the functional API and :mod:`cnnbook.nn`.

* :mod:`cnnbook.teaching.autodiff`: :class:`Value`, a scalar that records its computational graph
  (chapter 1); :mod:`cnnbook.teaching.graph_drawing` draws that graph;
* :mod:`cnnbook.teaching.connectivity`: parameter and multiply-add counts, receptive fields (chapter 2);
* :mod:`cnnbook.teaching.filters`: hand-made filters (Sobel, box, ...);
* :mod:`cnnbook.teaching.widgets`: :class:`InteractiveFigure` and its controls, the book's widgets;
* :mod:`cnnbook.teaching.plotting` and :mod:`cnnbook.teaching.display`: grids of numbers, sample
  images, and :func:`show_source` (a package function's code, shown in a chapter);
* :mod:`cnnbook.teaching.demos`: one module per chapter topic, the computations and ``draw`` functions
  behind the chapters' figures and widgets.
"""
