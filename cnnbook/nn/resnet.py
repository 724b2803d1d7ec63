"""Residual networks for the 8x8 digits, deep plain and residual nets, and per-layer gradient norms.

* :func:`build_resnet_digits`: a small residual network (a 3x3 stem, residual stages, global
  average pooling, one dense layer) for chapter 8's digits.
* :func:`build_deep_net`: a stack of ``depth`` weighted layers, with or without the residual
  shortcuts and otherwise identical, for measuring why depth is hard without them;
  :func:`gradient_norms` measures the gradient of every weight layer after one backward pass.
* :data:`RECIPE` and :func:`train_resnet`: how the residual network is trained (chapter 8's
  split and training loop, see below).

The recipe and its numbers. Three recipes were fixed in advance (:data:`STUDY_RECIPES`), each
trained with seeds 0, 1 and 2 and measured on the validation digits only (chapter 8's split: 1,077
train, 360 validation, 360 test; chapter 8's rule: the lowest mean validation loss wins). All use
:func:`build_resnet_digits`'s default network, batches of 32, Adam along a cosine schedule, and
chapter 8's training digits with their one-pixel shifts:

===================================  ====================================  ====================
recipe                               validation accuracy, seeds 0, 1, 2    mean validation loss
===================================  ====================================  ====================
2e-3, 6 epochs (chapter 8's recipe)  98.6%, 96.9%, 98.3% (mean 97.96%)     0.0588
5e-3, 6 epochs                       98.6%, 98.6%, 98.9% (mean 98.70%)     0.0351
5e-3, 10 epochs, weight decay 5e-4   99.4%, 98.9%, 99.2% (mean 99.17%)     0.0255
===================================  ====================================  ====================

The last one is :data:`RECIPE`. Its seed-0 model (the seed fixed beforehand) has 11,230 parameters
against the capstone LeNet's 13,706, and reaches 99.44% validation accuracy (358/360) and, measured
once after the choice, 99.44% test accuracy (358/360; loss 0.0193). The capstone's seed-0 model:
99.17% validation, 98.61% test (355/360). One training run takes about 10 s on one core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers import Conv2d, Layer, Linear, ReLU, Sequential
from .losses import softmax_cross_entropy
from .training import in_mode
from .batchnorm import BatchNorm2d
from .global_pool import GlobalAvgPool2d
from .residual import Residual

NUM_CLASSES = 10


def build_resnet_digits(rng: np.random.Generator, channels=(12, 24), blocks=(1, 1), dtype=np.float32) -> Sequential:
    """A residual network for the digits: ``(N, 1, 8, 8)`` -> logits ``(N, 10)``.

    ===========================================  ======================
    layer                                         output of one image
    ===========================================  ======================
    Conv2d(1, c1, 3, padding=1, bias=False), BN   c1 x 8 x 8
    ReLU                                          c1 x 8 x 8
    stage 1: ``blocks[0]`` x Residual(c1, c1)     c1 x 8 x 8
    stage 2: Residual(c1, c2, stride=2), then     c2 x 4 x 4
             ``blocks[1] - 1`` x Residual(c2, c2)
    ...  (one stage per entry of ``channels``)
    GlobalAvgPool2d                               c_last
    Linear(c_last, 10)                            10 logits
    ===========================================  ======================

    Each stage after the first halves the image with its first block's stride. ``channels`` and
    ``blocks`` have one entry per stage. Weights are He-uniform from ``rng``, layer by layer.
    """
    channels, blocks = tuple(channels), tuple(blocks)
    if not channels or len(channels) != len(blocks) or min(blocks) < 1:
        raise ValueError(f"build_resnet_digits: channels and blocks need one entry per stage, and every stage at "
                         f"least one block; got channels {channels}, blocks {blocks}")
    he = {"rng": rng, "dtype": dtype}
    layers = [Conv2d(1, channels[0], 3, padding=1, bias=False, init="he_uniform", **he),
              BatchNorm2d(channels[0], dtype=dtype), ReLU()]
    width = channels[0]
    for stage, (out, count) in enumerate(zip(channels, blocks)):
        for b in range(count):
            layers.append(Residual(width, out, stride=2 if stage > 0 and b == 0 else 1, **he))
            width = out
    layers += [GlobalAvgPool2d(), Linear(width, NUM_CLASSES, init="he_uniform", **he)]
    return Sequential(*layers)


def build_deep_net(depth: int, residual: bool, rng: np.random.Generator, width: int = 8,
                   dtype=np.float32) -> Sequential:
    """``depth`` weighted layers on the 8x8 digits, with residual shortcuts or without: ``(N, 1, 8, 8)`` -> ``(N, 10)``.

    A 3x3 stem convolution (``width`` channels, BN, ReLU), ``(depth - 2) / 2`` blocks of two 3x3
    convolutions (:class:`Residual` of ``width`` channels, with ``skip=residual``), global average
    pooling and a dense layer: ``1 + (depth - 2) + 1 = depth`` layers with weights, as the ResNet
    paper counts them. The two variants have exactly the same layers and parameters (the identity
    shortcut has none); from the same ``rng`` seed they start from the same weights.
    ``depth`` must be even and at least 4.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 4 or depth % 2:
        raise ValueError(f"build_deep_net: depth must be an even int >= 4 (stem + pairs of convolutions + dense); "
                         f"got {depth!r}")
    he = {"rng": rng, "dtype": dtype}
    layers = [Conv2d(1, width, 3, padding=1, bias=False, init="he_uniform", **he), BatchNorm2d(width, dtype=dtype),
              ReLU()]
    layers += [Residual(width, width, skip=residual, **he) for _ in range((depth - 2) // 2)]
    layers += [GlobalAvgPool2d(), Linear(width, NUM_CLASSES, init="he_uniform", **he)]
    return Sequential(*layers)


def weight_layers(model: Layer) -> list[str]:
    """The names of the weights of the convolutions and dense layers of ``model``, input to output."""
    return [name for name, p in model.parameters() if name.endswith("weight") and p.value.ndim >= 2]


def gradient_norms(model: Layer, x, y) -> dict[str, float]:
    """The L2 norm of the loss's gradient for each convolution and dense weight, after one backward pass.

    ``x`` ``(N, 1, 8, 8)``, ``y`` ``(N,)``: one batch; the loss is the softmax cross-entropy. The
    model runs in training mode (as while training; the running statistics move a step) and its
    gradients are overwritten (``zero_grad`` first). Returns ``{name: norm}`` in the order of
    :func:`weight_layers`, from the first layer to the last.
    """
    with in_mode(model, training=True):
        logits = model.forward(x)
        _, dlogits = softmax_cross_entropy(logits, y)
        model.zero_grad()
        model.backward(dlogits, input_grad=False)
    params = dict(model.parameters())
    return {name: float(np.linalg.norm(params[name].grad)) for name in weight_layers(model)}


# --- training ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResNetRecipe:
    """Adam from ``lr`` along ``schedule``, ``epochs`` passes over the training digits (with their
    one-pixel shifts when ``augment``), batches of ``batch_size``, L2 ``weight_decay`` (Adam's)."""

    lr: float
    epochs: int
    weight_decay: float = 0.0
    schedule: str = "cosine"
    augment: bool = True
    batch_size: int = 32


#: The recipes the study compared (see the module text), fixed before any was run.
STUDY_RECIPES = {
    "2e-3, 6 epochs": ResNetRecipe(lr=2e-3, epochs=6),
    "5e-3, 6 epochs": ResNetRecipe(lr=5e-3, epochs=6),
    "5e-3, 10 epochs, weight decay 5e-4": ResNetRecipe(lr=5e-3, epochs=10, weight_decay=5e-4),
}
STUDY_SEEDS = (0, 1, 2)
#: The recipe chosen by the lowest mean validation loss.
RECIPE = STUDY_RECIPES["5e-3, 10 epochs, weight decay 5e-4"]


def train_resnet(data, seed: int = 0, recipe: ResNetRecipe = RECIPE, build=build_resnet_digits, threads: int | None = 1):
    """Build ``build(np.random.default_rng(seed))`` and train it on ``data`` (a :class:`~cnnbook.nn.data.DigitsDataset`)
    with ``recipe``, the same generator shuffling the batches; returns ``(model, run)``.

    The training loop is chapter 8's (:func:`cnnbook.nn.lenet.train_lenet`): the validation digits
    are measured after every epoch (in evaluation mode), the test digits never. The model is returned
    in evaluation mode, ready for inference.
    """
    from .lenet import train_lenet
    from .optim import Adam

    rng = np.random.default_rng(seed)
    model = build(rng)
    optimizer = Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    run = train_lenet(model, optimizer, data, rng, epochs=recipe.epochs, batch_size=recipe.batch_size,
                      augment=recipe.augment, threads=threads, schedule=recipe.schedule)
    return model.eval(), run
