"""The handwritten digits the capstone trains on, loaded and split the same way every time.

scikit-learn's ``load_digits`` (the UCI "optical recognition of handwritten digits" test set) ships
with scikit-learn, so nothing is downloaded: 1,797 grey images of 8x8 pixels, each pixel an
integer count from 0 to 16, labelled 0 to 9 (about 180 per class).

:func:`load_digits_dataset` prepares them in three steps:

1. **Split**, stratified (each class is divided in the same proportions), and fixed by ``seed``:
   first a **test** set (``test_fraction`` of the 1,797 digits) is set aside, then, when
   ``val_fraction > 0``, a **validation** set (``val_fraction`` of the 1,797) is taken from
   what is left; the rest is the **training** set. Both sizes are rounded up, as
   ``sklearn.model_selection.train_test_split`` rounds a fractional test size. The test set
   does not depend on ``val_fraction``: the same ``seed`` and ``test_fraction`` always give
   the same test digits.
2. **Scale** every pixel by ``1/16`` to ``[0, 1]``.
3. **Standardise** with one mean and one standard deviation computed over all pixels of the
   **training** images only (never the validation or test images, which stand for data the
   model has not seen), then applied to all three sets. One scalar pair rather than one per
   pixel, because some border pixels are 0 in nearly every image and a per-pixel deviation
   would divide by about zero.

The three sets have three jobs. The training set fits the weights; the validation set
chooses everything else (the recipe, the architecture, when to stop); the test set is used
once, at the end, to report how well the chosen model does on digits that played no part in
any choice.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class DigitsDataset(NamedTuple):
    """The split: ``x_*`` float32 ``(N, 1, 8, 8)``, ``y_*`` int64 ``(N,)``; ``mean``, ``std`` the
    statistics (of the training images scaled to ``[0, 1]``) used to standardise all three sets.

    ``x_val`` and ``y_val`` hold no example (``(0, 1, 8, 8)`` and ``(0,)``) when the data set was
    loaded with ``val_fraction=0``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float


def load_digits_dataset(seed: int = 0, test_fraction: float = 0.2, val_fraction: float = 0.0) -> DigitsDataset:
    """The 1,797 digits, split stratified into train, validation and test, and standardised (see the module text).

    With the defaults (``test_fraction=0.2``, ``val_fraction=0``) the test set has 360 images
    (35 to 37 per class), the training set 1,437 and the validation set none. Chapter 8 uses
    ``val_fraction=0.2``: 1,077 training, 360 validation and the same 360 test digits.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"load_digits_dataset: {name} must be a number; got {value!r}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"load_digits_dataset: test_fraction must lie strictly between 0 and 1; got {test_fraction!r}")
    if not 0 <= val_fraction < 1 - test_fraction:
        raise ValueError(f"load_digits_dataset: val_fraction must lie in [0, 1 - test_fraction) = "
                         f"[0, {1 - test_fraction:g}) so that some training digits remain; got {val_fraction!r}")
    digits = load_digits()
    images = (digits.images / 16.0).reshape(-1, 1, 8, 8)
    labels = digits.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(
        images, labels, test_size=test_fraction, stratify=labels, random_state=seed)
    n_val = math.ceil(val_fraction * len(images))
    if n_val:
        if len(x_rest) - n_val < 10:
            raise ValueError(f"load_digits_dataset: test_fraction={test_fraction!r} and val_fraction={val_fraction!r} "
                             f"leave {len(x_rest) - n_val} training digits; at least 10 (one per class) are needed")
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=n_val, stratify=y_rest, random_state=seed)
    else:
        x_train, y_train = x_rest, y_rest
        x_val, y_val = x_rest[:0], y_rest[:0]
    mean, std = float(x_train.mean()), float(x_train.std())

    def standardise(x):
        return ((x - mean) / std).astype(np.float32)

    return DigitsDataset(standardise(x_train), y_train, standardise(x_val), y_val,
                         standardise(x_test), y_test, mean, std)
