"""Chapter 8's network for the 8x8 digits and how it is trained: the model and the recipe, not the pictures.

* :func:`build_lenet` assembles the LeNet-style network from :mod:`cnnbook.nn.layers`; :func:`build_mlp`
  is the dense baseline with about as many parameters; :func:`architecture_rows` describes any model
  layer by layer (what the exercise checker compares).
* :class:`Recipe` names a way of training (learning rate, schedule, epochs, shifted copies or not);
  :func:`train_lenet` trains a model with one, one :func:`cnnbook.fit` epoch at a time
  (:func:`cnnbook.nn.fit_with_schedule`), validating on ``data.x_val``, never on the test set;
  :func:`train_recipe` builds and trains one model from a seed, as :func:`cnnbook.nn.run_study` wants;
  :func:`shift_augment` adds the one-pixel shifts of the training digits.
* The same network in PyTorch (optional), for the training benchmark: :func:`import_torch`,
  :func:`torch_lenet`, :func:`train_torch_epoch`, :func:`train_lenet_torch`.

The chapter's figures and widget of this network live in :mod:`cnnbook.teaching.demos.lenet`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from .schedules import ScheduledRun, cosine_lr, fit_with_schedule

#: The recipe the chapter's study chooses on the validation set: batch 32, Adam from 2e-3 down
#: toward 0 along a cosine, EPOCHS epochs over the training digits and their four one-pixel shifts
#: (:func:`shift_augment`). See :data:`STUDY_RECIPES`.
BATCH_SIZE = 32
EPOCHS = 6
LEARNING_RATE = 2e-3
#: The chapter's split: 20% of the 1,797 digits for validation (360), 20% for test (360), 1,077 to train on.
VAL_FRACTION = 0.2
#: The one-pixel shifts of :func:`shift_augment`: (rows down, columns right).
SHIFTS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0))
#: The positions of the two convolutions and of the layer the first dense layer sees, in :func:`build_lenet`.
CONV_LAYERS = (0, 3)
IMAGE_SIZE = 8


def build_lenet(rng: np.random.Generator, channels=(16, 32), hidden: int = 64, dtype=np.float32) -> Sequential:
    """conv-ReLU-pool twice, then two dense layers: ``(N, 1, 8, 8)`` -> logits ``(N, 10)``.

    ====  =====================================  ===================
    #     layer                                   output of one image
    ====  =====================================  ===================
    0-2   Conv2d(1, c1, 3, padding=1), ReLU, 2x2  c1 x 4 x 4
    3-5   Conv2d(c1, c2, 3, padding=1), ReLU, 2x2 c2 x 2 x 2
    6     Flatten                                 4 * c2
    7-8   Linear(4 * c2, hidden), ReLU            hidden
    9     Linear(hidden, 10)                      10 logits
    ====  =====================================  ===================

    ``channels`` ``(c1, c2)`` defaults to ``(16, 32)``. Weights are He-uniform (for ReLU), drawn
    from ``rng`` layer by layer; biases start at zero.
    """
    c1, c2 = channels
    he = {"rng": rng, "init": "he_uniform", "dtype": dtype}
    return Sequential(
        Conv2d(1, c1, 3, padding=1, **he), ReLU(), MaxPool2d(2),
        Conv2d(c1, c2, 3, padding=1, **he), ReLU(), MaxPool2d(2),
        Flatten(),
        Linear(c2 * 2 * 2, hidden, **he), ReLU(),
        Linear(hidden, 10, **he),
    )


def parameter_count(model) -> int:
    """How many numbers the model learns."""
    return sum(p.value.size for _, p in model.parameters())


def architecture_rows(model, input_shape=(2, 1, IMAGE_SIZE, IMAGE_SIZE)) -> list[str]:
    """One line per layer: ``"Conv2d(1, 16, kernel_size=3, padding=1): (2, 1, 8, 8) -> (2, 16, 8, 8), 160 parameters"``.

    A batch of zeros ``input_shape`` goes through the layers one by one. When a layer refuses its
    input, its line ends with the layer's error and the description stops there. ``model`` is a
    :class:`Sequential` (or a single layer).
    """
    layers = list(model) if isinstance(model, Sequential) else [model]
    dtype = getattr(model, "dtype", None) or np.float32
    x = np.zeros(input_shape, dtype=dtype)
    rows = []
    for layer in layers:
        count = sum(p.value.size for _, p in layer.parameters())
        before = tuple(x.shape)
        try:
            x = layer.forward(x)
        except ValueError as error:
            rows.append(f"{layer!r}: {before} -> refused: {error}")
            break
        rows.append(f"{layer!r}: {before} -> {tuple(x.shape)}, {count} parameters")
    return rows


def build_mlp(rng: np.random.Generator, hidden: int = 182, dtype=np.float32) -> Sequential:
    """The dense baseline: ``(N, 1, 8, 8)`` -> Flatten -> Linear(64, hidden) -> ReLU -> Linear(hidden, 10).

    With the default ``hidden=182`` it has ``64*182 + 182 + 182*10 + 10 = 13,660`` parameters,
    within 0.4% of :func:`build_lenet`'s 13,706. He-uniform weights from ``rng``, zero biases.
    """
    he = {"rng": rng, "init": "he_uniform", "dtype": dtype}
    return Sequential(Flatten(), Linear(IMAGE_SIZE * IMAGE_SIZE, hidden, **he), ReLU(), Linear(hidden, 10, **he))


# --- training recipes -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """A way of training on the digits: Adam starting at ``lr``, the learning-rate ``schedule``
    (``"constant"`` or ``"cosine"``, see :mod:`cnnbook.nn.schedules`), ``epochs`` passes over the
    training digits (five times as many examples per pass with ``augment``: each digit and its four
    one-pixel shifts), mini-batches of ``batch_size``."""

    lr: float = LEARNING_RATE
    epochs: int = EPOCHS
    schedule: str = "cosine"
    augment: bool = True
    batch_size: int = BATCH_SIZE

    def steps(self, n_train: int) -> int:
        """How many Adam steps (mini-batches) the recipe takes on ``n_train`` training digits."""
        examples = n_train * (len(SHIFTS) if self.augment else 1)
        return self.epochs * math.ceil(examples / self.batch_size)


#: The three recipes the chapter compares on the validation set, each with about the same number of
#: Adam steps on the 1,077 training digits (1,020 without the shifts, 1,014 with them): an epoch over
#: the shifted copies holds five times as many examples, so the recipes without them get five times
#: as many epochs. Starting at 2e-3, the cosine schedule's mean rate over 30 epochs is 1.033e-3, about
#: the constant recipe's 1e-3.
STUDY_RECIPES = {
    "constant 1e-3, no shifts": Recipe(lr=1e-3, epochs=5 * EPOCHS, schedule="constant", augment=False),
    "cosine 2e-3, no shifts": Recipe(lr=2e-3, epochs=5 * EPOCHS, schedule="cosine", augment=False),
    "cosine 2e-3, shifts": Recipe(lr=2e-3, epochs=EPOCHS, schedule="cosine", augment=True),
}
#: The seeds of the study: each seed draws the starting weights and the order of the mini-batches.
STUDY_SEEDS = (0, 1, 2)

#: A training run's record (see :class:`cnnbook.nn.ScheduledRun`); the name chapter 8 uses.
TrainingRun = ScheduledRun


def train_lenet(model, optimizer, data, rng: np.random.Generator, epochs: int = EPOCHS,
                batch_size: int = BATCH_SIZE, augment: bool = True, progress: bool = False,
                threads: int | None = 1, schedule="cosine") -> ScheduledRun:
    """Train ``model`` on the training digits, the learning rate following ``schedule`` from ``optimizer.lr``.

    The training set is ``data.x_train`` and, with ``augment``, its one-pixel shifts
    (:func:`shift_augment`, five times as many examples). Each epoch sets ``optimizer.lr`` by the
    schedule (``"cosine"``: :func:`cnnbook.nn.cosine_lr`; ``"constant"``), then runs one epoch of
    :func:`cnnbook.fit` (shuffled by ``rng``). After each epoch the model is measured on the
    validation digits ``data.x_val`` (when there are any) and on the unshifted training digits
    (``run.end_train_loss``, ``run.end_train_accuracy``). The test digits are never used.
    ``data`` is a :class:`cnnbook.nn.data.DigitsDataset`.

    ``threads``: threads of cnnbook's kernels (:func:`cnnbook.set_num_threads`), and BLAS threads
    for the dense layers' matrix products, while training (both restored afterwards); ``None``
    leaves the settings alone. The default is 1: batches of 32 tiny images are too small to share between threads (``python -m
    cnnbook.bench.training`` measures both), and a second BLAS thread only keeps another core busy.
    The results do not depend on it beyond float rounding.
    """
    from threadpoolctl import threadpool_limits

    from .._parallel import num_threads

    x, y = shift_augment(data.x_train, data.y_train, blank_value(data)) if augment else (data.x_train, data.y_train)
    validation = {"x_val": data.x_val, "y_val": data.y_val} if len(data.x_val) else {}
    with num_threads(threads), threadpool_limits(limits=threads, user_api="blas"):
        return fit_with_schedule(model, optimizer, x, y, epochs, batch_size, rng, schedule=schedule,
                                 x_eval=data.x_train, y_eval=data.y_train, progress=progress, **validation)


def train_recipe(recipe: Recipe, seed: int, data, build=None) -> tuple[Sequential, ScheduledRun]:
    """Build a model from ``np.random.default_rng(seed)`` (``build``, default :func:`build_lenet`) and train
    it with ``recipe`` on ``data``, the same generator then shuffling the batches. Returns ``(model, run)``."""
    from .optim import Adam

    rng = np.random.default_rng(seed)
    model = (build or build_lenet)(rng)
    run = train_lenet(model, Adam(model.parameters(), lr=recipe.lr), data, rng, epochs=recipe.epochs,
                      batch_size=recipe.batch_size, augment=recipe.augment, schedule=recipe.schedule)
    return model, run


def shift(images, down: int, right: int, fill: float) -> np.ndarray:
    """``images`` ``(N, C, H, W)`` moved ``down`` rows and ``right`` columns (negative: up, left).

    What moves out of the frame is lost; the rows and columns that come in hold ``fill``
    (the background). A new array of the same shape and dtype.
    """
    images = np.asarray(images)
    H, W = images.shape[2:]
    if abs(down) >= H or abs(right) >= W:
        raise ValueError(f"shift: cannot move a {H}x{W} image by ({down}, {right})")
    out = np.full_like(images, fill)
    rows_to, rows_from = slice(max(down, 0), H + min(down, 0)), slice(max(-down, 0), H + min(-down, 0))
    cols_to, cols_from = slice(max(right, 0), W + min(right, 0)), slice(max(-right, 0), W + min(-right, 0))
    out[:, :, rows_to, cols_to] = images[:, :, rows_from, cols_from]
    return out


def shift_augment(x, y, fill: float, shifts=SHIFTS) -> tuple[np.ndarray, np.ndarray]:
    """Data augmentation: every image of ``x`` ``(N, 1, 8, 8)`` once per shift in ``shifts``.

    Returns ``(x_aug, y_aug)`` with ``len(shifts) * N`` examples, shift by shift (the first
    block is ``x`` itself when ``(0, 0)`` comes first); ``fill`` is the value of a blank pixel.
    """
    x_aug = np.concatenate([shift(x, down, right, fill) for down, right in shifts])
    return x_aug, np.tile(np.asarray(y), len(shifts))


def blank_value(data) -> float:
    """The standardised value of a blank (0) pixel: ``(0 - mean) / std``."""
    return float((0.0 - data.mean) / data.std)


# --- the same network in PyTorch (optional: only when torch is installed) -------------------------

def import_torch():
    """The ``torch`` module, or ``None`` when PyTorch is not installed (it is not a dependency of cnnbook)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_lenet(torch, model: Sequential):
    """A ``torch.nn.Sequential`` with the architecture of ``model`` (a :func:`build_lenet` network) and a copy
    of its weights, so both start from the same point. Same NCHW layout and weight shapes, so the
    arrays copy over as they are; float32."""
    nn = torch.nn
    layers = []
    for layer in model:
        if isinstance(layer, Conv2d):
            t = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, Linear):
            t = nn.Linear(layer.in_features, layer.out_features)
        elif isinstance(layer, ReLU):
            layers.append(nn.ReLU())
            continue
        elif isinstance(layer, MaxPool2d):
            layers.append(nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding))
            continue
        elif isinstance(layer, Flatten):
            layers.append(nn.Flatten())
            continue
        else:
            raise TypeError(f"torch_lenet: no PyTorch twin for {layer!r}")
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(np.asarray(layer.params["weight"].value, np.float32)))
            t.bias.copy_(torch.from_numpy(np.asarray(layer.params["bias"].value, np.float32)))
        layers.append(t)
    return nn.Sequential(*layers)


def train_torch_epoch(torch, net, optimizer, x, y, batch_size: int, rng: np.random.Generator) -> float:
    """One epoch of ``net`` on ``x`` ``(N, 1, 8, 8)`` float32 tensors, labels ``y`` ``(N,)`` int64 tensor,
    in the order ``rng.permutation(N)`` (as :func:`cnnbook.fit`); returns the mean training loss."""
    order = torch.from_numpy(rng.permutation(len(x)))
    total = 0.0
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / len(x)


def train_lenet_torch(torch, model: Sequential, data, rng: np.random.Generator, lr: float = LEARNING_RATE,
                      epochs: int = EPOCHS, batch_size: int = BATCH_SIZE, augment: bool = True,
                      threads: int | None = 1) -> tuple[float, float]:
    """Train the PyTorch twin of ``model`` (same starting weights) with :func:`train_lenet`'s recipe:
    the same (augmented) data, Adam, the cosine schedule, the same batch order. ``model`` itself is
    not changed. ``threads``: PyTorch's intra-op threads while training (restored afterwards), 1 by
    default for the same reason as :func:`train_lenet`. Returns ``(validation accuracy, seconds)``:
    the accuracy on ``data.x_val``, the digits :func:`train_lenet` validates on."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _train_torch(torch, model, data, rng, lr, epochs, batch_size, augment)
    finally:
        torch.set_num_threads(previous)


def _train_torch(torch, model, data, rng, lr, epochs, batch_size, augment) -> tuple[float, float]:
    import time

    net = torch_lenet(torch, model)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    x, y = shift_augment(data.x_train, data.y_train, blank_value(data)) if augment else (data.x_train, data.y_train)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    start = time.perf_counter()
    for epoch in range(epochs):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(epoch, epochs, lr)
        train_torch_epoch(torch, net, optimizer, x, y, batch_size, rng)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        predicted = net(torch.from_numpy(data.x_val)).argmax(dim=1).numpy()
    return float(np.mean(predicted == data.y_val)), seconds
