"""Learning-rate schedules, and a training loop that follows one epoch by epoch.

A schedule is a function ``(epoch, epochs, lr) -> learning rate of that epoch`` (epochs counted
from 0): :func:`constant_lr` keeps ``lr``; :func:`cosine_lr` glides from ``lr`` toward 0 along
half a cosine. :func:`fit_with_schedule` runs :func:`cnnbook.fit` one epoch at a time with the
optimiser's ``lr`` set by the schedule, and keeps what a learning curve needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .training import History, _positive, evaluate, fit


def constant_lr(epoch: int, epochs: int, lr: float) -> float:
    """The same learning rate ``lr`` in every epoch."""
    return lr


def cosine_lr(epoch: int, epochs: int, lr: float) -> float:
    """The learning rate of epoch ``epoch`` (0-based) of ``epochs``: ``lr * (1 + cos(pi * epoch / epochs)) / 2``.

    It starts at ``lr`` and decreases toward 0; the last epoch still gets a small positive rate,
    ``lr * (1 - cos(pi / epochs)) / 2``.
    """
    return lr * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


#: The schedules :func:`fit_with_schedule` knows by name.
SCHEDULES = {"constant": constant_lr, "cosine": cosine_lr}


@dataclass
class ScheduledRun:
    """What :func:`fit_with_schedule` returns.

    * ``history``: the :class:`~cnnbook.nn.training.History` of all epochs. Its ``train_*`` entries
      are running means over each epoch's mini-batches, measured while the weights changed;
      its ``val_*`` entries are measured with the weights of the end of each epoch.
    * ``learning_rates``: the learning rate of each epoch.
    * ``end_train_loss``, ``end_train_accuracy``: the training examples ``(x_eval, y_eval)``
      measured again with the weights of the end of each epoch (empty without ``x_eval``),
      which is what the validation numbers should be compared with.
    * ``seconds``: the wall-clock time of the training epochs (the extra measurements excluded).
    """

    history: History
    learning_rates: list = field(default_factory=list)
    end_train_loss: list = field(default_factory=list)
    end_train_accuracy: list = field(default_factory=list)
    seconds: float = 0.0


def fit_with_schedule(model, optimizer, x_train, y_train, epochs: int, batch_size: int, rng: np.random.Generator,
                      schedule="cosine", x_val=None, y_val=None, x_eval=None, y_eval=None,
                      progress: bool = False) -> ScheduledRun:
    """Train ``model`` for ``epochs`` epochs, the learning rate of each set by ``schedule`` from ``optimizer.lr``.

    ``schedule`` is a name in :data:`SCHEDULES` or a function ``(epoch, epochs, lr) -> rate``.
    Each epoch sets ``optimizer.lr``, then runs one epoch of :func:`cnnbook.fit` on ``x_train``
    ``(N, ...)``, ``y_train`` ``(N,)`` (shuffled by ``rng``; validated on ``x_val``, ``y_val``
    when given), then, when ``x_eval`` and ``y_eval`` are given, measures them with the weights
    of the end of the epoch. ``optimizer.lr`` is restored afterwards, even after an error.
    """
    if isinstance(schedule, str):
        if schedule not in SCHEDULES:
            raise ValueError(f"fit_with_schedule: schedule must be one of {sorted(SCHEDULES)} or a function "
                             f"(epoch, epochs, lr) -> rate; got {schedule!r}")
        schedule = SCHEDULES[schedule]
    elif not callable(schedule):
        raise TypeError(f"fit_with_schedule: schedule must be a name or a function; got {type(schedule).__name__}")
    epochs = _positive(epochs, "epochs")
    if (x_eval is None) != (y_eval is None):
        raise ValueError("fit_with_schedule: give both x_eval and y_eval, or neither")
    lr = optimizer.lr
    run = ScheduledRun(History())
    try:
        for epoch in range(epochs):
            optimizer.lr = schedule(epoch, epochs, lr)
            run.learning_rates.append(optimizer.lr)
            one = fit(model, optimizer, x_train, y_train, epochs=1, batch_size=batch_size, rng=rng,
                      x_val=x_val, y_val=y_val, progress=progress)
            for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"):
                getattr(run.history, key).extend(getattr(one, key))
            if x_eval is not None:
                loss, accuracy = evaluate(model, x_eval, y_eval)
                run.end_train_loss.append(loss)
                run.end_train_accuracy.append(accuracy)
    finally:
        optimizer.lr = lr
    run.seconds = float(sum(run.history.seconds))
    return run
