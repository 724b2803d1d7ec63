"""Plotting helpers the chapters share: number grids, image rows, the sample photograph."""

from __future__ import annotations

import numpy as np
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle


def show_grid(ax: Axes, values, title: str = "", fmt: str = "{:g}", cmap: str = "Blues",
              highlight: tuple[int, int, int, int] | None = None, highlight_color: str = "crimson") -> Axes:
    """Draw a small 2-D array ``(H, W)`` as coloured cells with each number written in.

    ``highlight = (row, col, height, width)`` outlines a window of cells, e.g. the
    position of a kernel. Rows go down and columns right, as in the array.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"show_grid: values must be 2-D (H, W); got shape {values.shape}")
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    ax.imshow(values, cmap=cmap, vmin=low - 0.25 * (high - low + 1e-12), vmax=high + 0.25 * (high - low + 1e-12))
    middle = (low + high) / 2
    for (i, j), value in np.ndenumerate(values):
        colour = "white" if np.isfinite(value) and value > middle + 0.3 * (high - low) else "black"
        ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=9, color=colour)
    ax.set_xticks(np.arange(values.shape[1]))
    ax.set_yticks(np.arange(values.shape[0]))
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="both", length=0, labelsize=8)
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor=highlight_color, linewidth=2.5))
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def show_images(axes, images, titles, cmap: str = "gray") -> None:
    """Show each 2-D image (or ``(H, W, 3)`` colour image) on its axes, titled, without ticks."""
    for ax, image, title in zip(np.ravel(axes), images, titles):
        ax.imshow(image, cmap=cmap)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])


def sample_photograph(gray: bool = False) -> np.ndarray:
    """Grace Hopper's portrait, which ships with matplotlib (no download).

    Returns float64 in [0, 1]: ``(H, W, 3)`` colour, or ``(H, W)`` luminance with ``gray=True``
    (ITU-R BT.601 weights, the usual ones for converting RGB to gray).
    """
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        from matplotlib.image import imread

        image = imread(file, format="jpg").astype(np.float64) / 255.0
    if gray:
        return image @ np.array([0.299, 0.587, 0.114])
    return image
