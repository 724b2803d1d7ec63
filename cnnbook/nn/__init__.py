"""The training library: layers, losses, optimisers, initialisers, the training loop, and the networks built from them.

Built on the functional API of the top level (:mod:`cnnbook.conv`, :mod:`cnnbook.pool`, ...), as
``torch.nn`` is built on ``torch.nn.functional``:

* :mod:`cnnbook.nn.layers`: :class:`Layer`, :class:`Parameter`, ``Conv2d``, ``Linear``, pooling,
  activations, ``Flatten`` and ``Sequential``, with train/eval modes;
* :mod:`cnnbook.nn.losses`: softmax, log-softmax and :func:`softmax_cross_entropy`;
* :mod:`cnnbook.nn.init`: weight initialisers; :mod:`cnnbook.nn.optim`: SGD, Adam, AdamW;
* :mod:`cnnbook.nn.training`: :func:`fit`, :func:`evaluate`, :func:`predict`;
* :mod:`cnnbook.nn.model_io`: saving and loading a model's parameters and buffers;
* :mod:`cnnbook.nn.data`: the 8x8 digits, split into training, validation and test sets;
* :mod:`cnnbook.nn.batchnorm`, :mod:`cnnbook.nn.dropout`, :mod:`cnnbook.nn.global_pool`: the layers
  :class:`BatchNorm2d` (with running statistics), :class:`Dropout` and :class:`GlobalAvgPool2d`, on the
  functions of :mod:`cnnbook.batchnorm`, :mod:`cnnbook.dropout` and :mod:`cnnbook.global_pool`;
* :mod:`cnnbook.nn.lenet`: chapter 8's network for the digits, its training recipes, and its PyTorch twin;
* :mod:`cnnbook.nn.residual`: the :class:`Residual` block (identity or projection shortcut);
* :mod:`cnnbook.nn.resnet`: a small residual network for the digits and its training recipe,
  deep plain and residual nets, and per-layer :func:`gradient_norms`;
* :mod:`cnnbook.nn.torch_twin`: the same residual networks in PyTorch (optional), for the benchmark;

* :mod:`cnnbook.nn.schedules`: learning-rate schedules (constant, cosine) and
  :func:`fit_with_schedule`, a training loop that sets the learning rate epoch by epoch and
  also measures the training set with the weights of the end of each epoch;
* :mod:`cnnbook.nn.selection`: choosing a recipe on a validation set (:func:`run_study`), and
  :func:`best_of_k_accuracy`, how optimistic the best of several scores measured on one set is.
"""

from .schedules import SCHEDULES, ScheduledRun, constant_lr, cosine_lr, fit_with_schedule
from .selection import Study, Trial, best_of_k_accuracy, run_study
from .batchnorm import BatchNorm2d
from .dropout import Dropout
from .global_pool import GlobalAvgPool2d
from .residual import Residual
from .resnet import build_deep_net, build_resnet_digits, gradient_norms, train_resnet, weight_layers

__all__ = ["SCHEDULES", "ScheduledRun", "constant_lr", "cosine_lr", "fit_with_schedule",
           "Study", "Trial", "best_of_k_accuracy", "run_study",
           "BatchNorm2d", "Dropout", "GlobalAvgPool2d", "Residual",
           "build_deep_net", "build_resnet_digits", "gradient_norms", "train_resnet", "weight_layers"]
