"""Training a classifier with mini-batches: :func:`fit`, :func:`evaluate`, :func:`predict`.

The model is any :class:`cnnbook.nn.layers.Layer` whose output is a batch of logits ``(N, K)``;
the loss is :func:`cnnbook.nn.losses.softmax_cross_entropy`. Shapes: ``x`` ``(N, ...)`` (whatever
the model's first layer takes), ``y`` ``(N,)`` integer class labels.

Modes (see :mod:`cnnbook.nn.layers`): :func:`fit` trains in training mode and :func:`evaluate`,
:func:`predict` and :func:`predict_logits` measure in evaluation mode (batch normalisation uses its
running statistics, dropout drops nothing), each putting the model back in the mode it found it
in. A model called directly, ``model.forward(x)``, runs in whatever mode it is in.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .losses import softmax_cross_entropy


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: the weights blew up, usually because the learning rate is too high."""


@dataclass
class History:
    """Per-epoch metrics. ``train_*`` are running means over the epoch's mini-batches (the weights
    change while they are measured); ``val_*`` are measured after the epoch, and stay empty
    without validation data. ``seconds`` is the wall-clock time of each epoch."""

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.train_loss)


def fit(model, optimizer, x_train, y_train, epochs: int, batch_size: int, rng: np.random.Generator,
        x_val=None, y_val=None, progress: bool = True) -> History:
    """Train ``model`` with ``optimizer`` for ``epochs`` passes over ``(x_train, y_train)``.

    Each epoch visits the examples in the order ``rng.permutation(N)`` (so the same ``rng`` seed
    gives the same run), in mini-batches of ``batch_size`` (the last one may be smaller); per
    batch: forward, loss, ``optimizer.zero_grad()``, backward, ``optimizer.step()``. The backward
    pass is ``model.backward(dlogits, input_grad=False)``: nothing needs the gradient with respect
    to the images, so the first layer skips it.

    Parameters: ``x_train`` ``(N, ...)``, ``y_train`` ``(N,)`` ints; ``x_val``, ``y_val``
    likewise or ``None``; ``progress`` shows a tqdm bar (notebook or terminal).
    The training passes run in training mode (``model.train()``), the validation in evaluation mode;
    the model is left in the mode it had before.
    Returns a :class:`History` with one entry per epoch.
    Raises :class:`TrainingDiverged` as soon as a batch's loss or a parameter's gradient is NaN or
    infinite, before the optimiser takes that step. A learning rate far too high makes the weights
    grow until float32 overflows in a matrix product; NumPy's overflow and invalid-value warnings
    are silenced in the forward and backward passes only, because that is exactly what this error
    reports (see :func:`_train_epoch`).
    """
    x_train, y_train = _check_data(x_train, y_train, "fit")
    validate = x_val is not None or y_val is not None
    if validate:
        x_val, y_val = _check_data(x_val, y_val, "fit (validation)")
    epochs, batch_size = _positive(epochs, "epochs"), _positive(batch_size, "batch_size")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("fit: rng must be an np.random.Generator (np.random.default_rng(seed)); "
                        f"got {type(rng).__name__}")

    history = History()
    n_batches = math.ceil(len(x_train) / batch_size)
    with tqdm(total=epochs * n_batches, disable=not progress, unit="batch") as bar:
        for epoch in range(epochs):
            start = time.perf_counter()
            bar.set_description(f"epoch {epoch + 1}/{epochs}")
            with in_mode(model, training=True):
                loss, accuracy = _train_epoch(model, optimizer, x_train, y_train, batch_size, rng, epoch, bar)
            history.train_loss.append(loss)
            history.train_accuracy.append(accuracy)
            if validate:
                val_loss, val_accuracy = evaluate(model, x_val, y_val, batch_size)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_accuracy)
            history.seconds.append(time.perf_counter() - start)
            bar.set_postfix(_summary(history))
    return history


def _train_epoch(model, optimizer, x, y, batch_size, rng, epoch, bar) -> tuple[float, float]:
    """One pass over ``x`` in a random order; returns the mean loss and accuracy seen on the way."""
    total_loss = correct = 0.0
    order = rng.permutation(len(x))
    for batch, start in enumerate(range(0, len(x), batch_size)):
        idx = order[start:start + batch_size]
        # Overflow (inf) and inf - inf (NaN) in these two passes mean that the weights have blown up.
        # They reach the loss or the gradients, which are checked next and reported as TrainingDiverged,
        # so NumPy's warnings about them are silenced here, and only here.
        with np.errstate(over="ignore", invalid="ignore"):
            logits = model.forward(x[idx])
            loss, dlogits = softmax_cross_entropy(logits, y[idx])
        if not np.isfinite(loss):
            raise _diverged(f"the loss became {loss}", epoch, batch, optimizer)
        optimizer.zero_grad()
        with np.errstate(over="ignore", invalid="ignore"):
            model.backward(dlogits, input_grad=False)
        bad = next((name for name, p in model.parameters() if not np.isfinite(p.grad).all()), None)
        if bad is not None:
            raise _diverged(f"the gradient of {bad} is not finite", epoch, batch, optimizer)
        optimizer.step()
        total_loss += loss * len(idx)
        correct += np.count_nonzero(logits.argmax(axis=1) == y[idx])
        bar.update()
        bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
    return total_loss / len(x), correct / len(x)


def _diverged(what: str, epoch: int, batch: int, optimizer) -> TrainingDiverged:
    return TrainingDiverged(
        f"fit: {what} at epoch {epoch + 1}, batch {batch + 1}; the weights diverged. "
        f"Try a lower learning rate (now {getattr(optimizer, 'lr', '?')}), e.g. a tenth of it.")


@contextmanager
def in_mode(model, training: bool):
    """Within the ``with`` block, ``model`` is in training (or evaluation) mode; afterwards, in the mode it had.

    A model without modes (no ``train`` method) is left alone.
    """
    if not hasattr(model, "train"):
        yield model
        return
    previous = getattr(model, "training", True)
    model.train(training)
    try:
        yield model
    finally:
        model.train(previous)


def predict_logits(model, x, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for ``x`` ``(N, ...)`` in evaluation mode, ``batch_size`` examples at a time: ``(N, K)``."""
    batch_size = _positive(batch_size, "batch_size")
    with in_mode(model, training=False):
        return np.concatenate([model.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def predict(model, x, batch_size: int = 256) -> np.ndarray:
    """Predicted classes for ``x`` ``(N, ...)``: the argmax of the logits, ``(N,)`` int64."""
    return predict_logits(model, x, batch_size).argmax(axis=1).astype(np.int64)


def evaluate(model, x, y, batch_size: int = 256) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``x`` ``(N, ...)`` with labels ``y`` ``(N,)``.

    Only forward passes, in evaluation mode: the parameters, their gradients and the running
    statistics are unchanged.
    """
    x, y = _check_data(x, y, "evaluate")
    logits = predict_logits(model, x, batch_size)
    loss, _ = softmax_cross_entropy(logits, y)
    return loss, float(np.mean(logits.argmax(axis=1) == y))


def _check_data(x, y, func: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(f"{func}: x must hold at least one example (N, ...); got shape {x.shape}")
    if y.dtype.kind not in "iu" or y.shape != (len(x),):
        raise ValueError(f"{func}: y must be integer class labels of shape ({len(x)},), one per example of x "
                         f"{x.shape}; got {y.dtype} {y.shape}")
    return x, y


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return int(value)


def _summary(history: History) -> dict:
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
    return {key: f"{getattr(history, key)[-1]:.4f}" for key in keys if getattr(history, key)}
