"""The classic hand-made kernels of image processing, as small 2-D arrays.

Every function returns a new float64 array ``(size, size)`` (or ``(3, 3)``), so a
caller may modify what it gets. The kernels are meant for **cross-correlation**,
the operation a convolutional layer computes (:func:`cnnbook.correlate2d`,
:func:`cnnbook.conv2d`): the kernel slides over the image as it is written here.

* :func:`identity`, :func:`box_blur`, :func:`gaussian_blur` and :func:`sharpen`
  sum to 1: on a flat patch of the image they return the patch's own brightness.
* :func:`sobel_x` and :func:`sobel_y` sum to 0: on a flat patch they return 0,
  and they respond only where the brightness changes.

The orientation matters for the Sobel kernels, which are antisymmetric: rotating
one by 180 degrees (what a true convolution does to its kernel) flips its sign.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import _is_int


def identity(size: int = 3) -> np.ndarray:
    """A ``(size, size)`` kernel with a single 1 in the centre: correlating with it changes nothing.

    ``size`` must be odd, so that there is a centre pixel.
    """
    _check_size("identity", size, odd=True)
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def box_blur(size: int = 3) -> np.ndarray:
    """A ``(size, size)`` kernel of equal weights ``1 / size**2``: each output is its window's mean."""
    _check_size("box_blur", size)
    return np.full((size, size), 1.0 / size**2)


def gaussian_blur(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """A ``(size, size)`` Gaussian bump of standard deviation ``sigma`` pixels, normalised to sum to 1.

    ``kernel[r, s]`` is proportional to ``exp(-((r - c)**2 + (s - c)**2) / (2 * sigma**2))``
    with ``c = (size - 1) / 2`` the centre; the kernel is the outer product of a 1-D
    Gaussian with itself, so nearer pixels weigh more than in :func:`box_blur`.
    """
    _check_size("gaussian_blur", size)
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.integer, np.floating)):
        raise TypeError(f"gaussian_blur: sigma must be a number; got {sigma!r}")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"gaussian_blur: sigma must be a positive, finite number of pixels; got {sigma!r}")
    offsets = np.arange(size) - (size - 1) / 2
    bump = np.exp(-(offsets**2) / (2.0 * sigma**2))
    kernel = np.outer(bump, bump)
    return kernel / kernel.sum()


def sharpen() -> np.ndarray:
    """The ``(3, 3)`` sharpening kernel: 5 in the centre, -1 at the four neighbours (sums to 1).

    It equals ``identity(3)`` plus a Laplacian-like difference (the centre minus its
    neighbours), so it keeps the image and adds its local detail once more.
    """
    return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])


def sobel_x() -> np.ndarray:
    """The ``(3, 3)`` Sobel kernel for horizontal change (sums to 0).

    Under cross-correlation the output is positive where the image gets brighter
    from left to right, negative where it gets darker, and 0 on flat patches.
    """
    return np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel_y() -> np.ndarray:
    """The ``(3, 3)`` Sobel kernel for vertical change (sums to 0): ``sobel_x()`` transposed.

    Under cross-correlation the output is positive where the image gets brighter
    from top to bottom.
    """
    return sobel_x().T.copy()


def classic_kernels() -> dict[str, np.ndarray]:
    """The kernels of this module with their usual settings, by display name, in teaching order.

    Returns ``{"identity": (3, 3), "box blur 5x5": (5, 5), "Gaussian 5x5, sigma 1": (5, 5),
    "sharpen": (3, 3), "Sobel x": (3, 3), "Sobel y": (3, 3)}``; every array is new.
    """
    return {
        "identity": identity(3),
        "box blur 5x5": box_blur(5),
        "Gaussian 5x5, sigma 1": gaussian_blur(5, 1.0),
        "sharpen": sharpen(),
        "Sobel x": sobel_x(),
        "Sobel y": sobel_y(),
    }


def _check_size(func: str, size, odd: bool = False) -> None:
    if not _is_int(size):
        raise TypeError(f"{func}: size must be an int; got {size!r}")
    if size < 1:
        raise ValueError(f"{func}: size must be >= 1; got {size}")
    if odd and size % 2 == 0:
        raise ValueError(f"{func}: size must be odd so that the kernel has a centre pixel; got {size}")
