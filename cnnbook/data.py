"""The handwritten digits the capstone trains on, loaded and split the same way every time.

scikit-learn's ``load_digits`` (the UCI "optical recognition of handwritten digits" test set) ships
with scikit-learn, so nothing is downloaded: 1,797 grey images of 8x8 pixels, each pixel an
integer count from 0 to 16, labelled 0 to 9 (about 180 per class).

:func:`load_digits_dataset` prepares them in three steps:

1. **Split**, stratified: each class is divided between train and test in the same proportion
   (``sklearn.model_selection.train_test_split(..., stratify=labels, random_state=seed)``), so
   the split is fixed by ``seed``.
2. **Scale** every pixel by ``1/16`` to ``[0, 1]``.
3. **Standardise** with one mean and one standard deviation computed over all pixels of the
   **training** images only (never the test images, whose statistics the model must not see),
   then applied to both sets. One scalar pair rather than one per pixel, because some border
   pixels are 0 in nearly every image and a per-pixel deviation would divide by about zero.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class DigitsDataset(NamedTuple):
    """The split: ``x_*`` float32 ``(N, 1, 8, 8)``, ``y_*`` int64 ``(N,)``; ``mean``, ``std`` the
    statistics (of the images scaled to ``[0, 1]``) used to standardise both sets."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float


def load_digits_dataset(seed: int = 0, test_fraction: float = 0.2) -> DigitsDataset:
    """The 1,797 digits, split stratified into train and test and standardised (see the module text).

    With the default ``test_fraction=0.2`` the test set has 360 images (35 to 37 per class)
    and the training set 1,437.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise ValueError(f"load_digits_dataset: test_fraction must lie strictly between 0 and 1; got {test_fraction!r}")
    digits = load_digits()
    images = (digits.images / 16.0).reshape(-1, 1, 8, 8)
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, stratify=labels, random_state=seed)
    mean, std = float(x_train.mean()), float(x_train.std())

    def standardise(x):
        return ((x - mean) / std).astype(np.float32)

    return DigitsDataset(standardise(x_train), y_train, standardise(x_test), y_test, mean, std)
