"""Training code: layers, losses, optimisers and the training loop are being regrouped here.

For now :mod:`cnnbook.layers`, :mod:`cnnbook.losses`, :mod:`cnnbook.optim` and
:mod:`cnnbook.training` stay where they are; what is new lives in this subpackage:

* :mod:`cnnbook.nn.schedules`: learning-rate schedules (constant, cosine) and
  :func:`fit_with_schedule`, a training loop that sets the learning rate epoch by epoch and
  also measures the training set with the weights of the end of each epoch;
* :mod:`cnnbook.nn.selection`: choosing a recipe on a validation set (:func:`run_study`), and
  :func:`best_of_k_accuracy`, how optimistic the best of several scores measured on one set is.
"""

from .schedules import SCHEDULES, ScheduledRun, constant_lr, cosine_lr, fit_with_schedule
from .selection import Study, Trial, best_of_k_accuracy, run_study

__all__ = ["SCHEDULES", "ScheduledRun", "constant_lr", "cosine_lr", "fit_with_schedule",
           "Study", "Trial", "best_of_k_accuracy", "run_study"]
