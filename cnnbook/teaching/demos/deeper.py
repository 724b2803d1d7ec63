"""Chapter 9's helpers: deep plain and residual nets, the gradient that reaches each block, short
training curves, the depth widget, and exercise 9's residual block.

* :class:`Block` is a residual block **without** batch normalisation,
  ``y = relu(conv2(relu(conv1(x))) + x)`` (or without the ``+ x`` when ``skip=False``), and
  :func:`build_deep_net_no_bn` stacks it like :func:`cnnbook.nn.build_deep_net` stacks the
  package's :class:`cnnbook.nn.Residual` (which has batch normalisation): same stem, same head,
  same count of weight layers.
* :func:`branch_forward`, :func:`branch_backward` and :func:`residual_block_forward` are the same
  block as functions of arrays, for exercise 9 (the learner adds the shortcut to the backward pass).
* :func:`silence_bodies` zeroes the last batch-norm scale of every block, so that each body outputs 0.
* :func:`block_gradient_norms` measures, after one backward pass, the norm of the gradient that
  reaches the input of every block; :func:`init_gradient_norms` does it at initialisation for
  one depth and variant, with and without batch normalisation (cached).
* :func:`training_curve` trains the batch-normalised deep net briefly on the digits (cached: the
  chapter computes the settings it discusses, and the widget reuses them).
* :func:`draw_deeper` and :func:`deeper_demo`: the widget (depth and residual on/off).

Shapes are NCHW: the digits are ``x`` ``(N, 1, 8, 8)``, labels ``y`` ``(N,)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...activations import relu, relu_backward
from ...conv import conv2d, conv2d_backward
from ...nn.layers import Conv2d, Layer, Linear, ReLU, Sequential
from ...nn.losses import softmax_cross_entropy
from ...nn.global_pool import GlobalAvgPool2d
from ...nn.residual import Residual
from ...nn.resnet import build_deep_net
from ...nn.training import in_mode

#: The depths the widget offers (weight layers: stem + pairs of convolutions + dense), and its default.
DEPTHS = (8, 14, 20, 26, 32)
#: The short training run of the widget and of the chapter's comparison: Adam at a constant rate,
#: the unshifted training digits, batches of 32, seed 0.
CURVE_EPOCHS = 5
CURVE_LR = 2e-3
#: How many training digits the gradient norms are measured on (one batch).
GRADIENT_BATCH = 128


# --- a residual block without batch normalisation -------------------------------------------------

class Block(Layer):
    """``x`` ``(N, C, H, W)`` -> ``relu(conv2(relu(conv1(x))) + x)``, same shape; ``skip=False`` drops the ``+ x``.

    Two 3x3 convolutions of ``channels`` filters with padding 1 and a bias, weights drawn by ``init``
    from ``rng``. No batch normalisation: what depth does to a gradient shows undisguised.
    """

    def __init__(self, channels: int, skip: bool = True, *, rng=None, init="fan_in_uniform", dtype=np.float32):
        super().__init__()
        conv = {"padding": 1, "rng": rng, "init": init, "dtype": dtype}
        self.conv1, self.relu1 = Conv2d(channels, channels, 3, **conv), ReLU()
        self.conv2, self.relu_out = Conv2d(channels, channels, 3, **conv), ReLU()
        self.channels, self.skip = channels, bool(skip)

    def children(self):
        return [(name, getattr(self, name)) for name in ("conv1", "relu1", "conv2", "relu_out")]

    def _check_input(self, x):
        self._require(x.ndim == 4 and x.shape[1] == self.channels, f"(N, {self.channels}, H, W)", x)

    def _forward(self, x):
        f = self.conv2(self.relu1(self.conv1(x)))
        return self.relu_out(f + x if self.skip else f)

    def _backward(self, dy):
        ds = self.relu_out.backward(dy)                                  # the gradient of the sum
        dx = self.conv1.backward(self.relu1.backward(self.conv2.backward(ds)))
        return dx + ds if self.skip else dx                              # the shortcut hands ds straight to x

    def __repr__(self):
        return f"Block({self.channels}{'' if self.skip else ', skip=False'})"


def build_deep_net_no_bn(depth: int, residual: bool, rng: np.random.Generator, width: int = 8,
                         init="fan_in_uniform", dtype=np.float32) -> Sequential:
    """:func:`cnnbook.nn.build_deep_net` without batch normalisation: ``(N, 1, 8, 8)`` -> ``(N, 10)``.

    A 3x3 stem convolution and ReLU, ``(depth - 2) / 2`` :class:`Block` s of ``width`` channels,
    global average pooling and a dense layer: ``depth`` weight layers. ``init`` defaults to
    PyTorch's default initialisation (:func:`cnnbook.nn.init.fan_in_uniform`, variance ``1/(3 fan_in)``).
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 4 or depth % 2:
        raise ValueError(f"build_deep_net_no_bn: depth must be an even int >= 4; got {depth!r}")
    he = {"rng": rng, "init": init, "dtype": dtype}
    layers = [Conv2d(1, width, 3, padding=1, **he), ReLU()]
    layers += [Block(width, skip=residual, **he) for _ in range((depth - 2) // 2)]
    layers += [GlobalAvgPool2d(), Linear(width, 10, **he)]
    return Sequential(*layers)


# --- the same block as functions of arrays (exercise 9) ---------------------------------------------

def branch_forward(x, w1, w2) -> np.ndarray:
    """The block's branch ``F(x) = conv(relu(conv(x, w1)), w2)``, both 3x3 with padding 1, no bias.

    ``x`` ``(N, C, H, W)``, ``w1``, ``w2`` ``(C, C, 3, 3)``; returns ``F(x)`` ``(N, C, H, W)``.
    """
    return conv2d(relu(conv2d(x, w1, padding=1)), w2, padding=1)


def branch_backward(df, x, w1, w2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`branch_forward` given ``df`` ``(N, C, H, W)``: ``(dx, dw1, dw2)``, shaped like ``x``, ``w1``, ``w2``."""
    z = conv2d(x, w1, padding=1)
    dh, dw2, _ = conv2d_backward(df, relu(z), w2, padding=1)
    dx, dw1, _ = conv2d_backward(relu_backward(dh, z), x, w1, padding=1)
    return dx, dw1, dw2


def residual_block_forward(x, w1, w2) -> np.ndarray:
    """The residual block ``y = relu(F(x) + x)`` with :func:`branch_forward` as ``F``: ``(N, C, H, W)``."""
    return relu(branch_forward(x, w1, w2) + x)


def silence_bodies(model: Sequential) -> Sequential:
    """Set the last batch-norm scale (``bn2``'s gamma) of every :class:`cnnbook.nn.Residual` in ``model`` to 0, in place.

    Each block's body then outputs ``bn2``'s shift, 0: a residual block becomes ``relu(x)``, which is
    ``x`` itself after the ReLU before it, and a plain block outputs zeros. Returns ``model``.
    """
    for layer in model.layers:
        if isinstance(layer, Residual):
            layer.bn2.params["weight"].value[...] = 0
    return model


# --- measuring ----------------------------------------------------------------------------------

def block_gradient_norms(model: Sequential, x, y) -> np.ndarray:
    """The L2 norm of ``dL/d(input of each block)`` after one backward pass: ``(blocks,)``, first block first.

    A block is a :class:`Block` or a :class:`cnnbook.nn.Residual`. ``x`` ``(N, 1, 8, 8)``, ``y`` ``(N,)``;
    ``L`` is the mean softmax cross-entropy of the batch. The model runs in training mode (batch
    normalisation with the batch's statistics; its running estimates move a step) and its parameter
    gradients are overwritten.
    """
    with in_mode(model, training=True):
        _, d = softmax_cross_entropy(model.forward(x), y)
        model.zero_grad()
        norms = []
        for layer in model.layers[::-1]:
            d = layer.backward(d)
            if isinstance(layer, (Block, Residual)):
                norms.append(float(np.linalg.norm(d)))
    return np.array(norms[::-1])


@lru_cache(maxsize=None)
def digits():
    """Chapter 8's split of the digits (seed 0; 1,077 train, 360 validation, 360 test)."""
    from ...nn.data import load_digits_dataset
    from .lenet import VAL_FRACTION

    return load_digits_dataset(seed=0, val_fraction=VAL_FRACTION)


@lru_cache(maxsize=None)
def init_gradient_norms(depth: int, residual: bool, batch_norm: bool, seed: int = 0) -> tuple[float, ...]:
    """:func:`block_gradient_norms` at initialisation (weights from ``seed``) on the first
    :data:`GRADIENT_BATCH` training digits, for :func:`cnnbook.nn.build_deep_net` (``batch_norm``)
    or :func:`build_deep_net_no_bn` (default initialisation)."""
    build = build_deep_net if batch_norm else build_deep_net_no_bn
    data = digits()
    model = build(depth, residual, np.random.default_rng(seed))
    return tuple(block_gradient_norms(model, data.x_train[:GRADIENT_BATCH], data.y_train[:GRADIENT_BATCH]))


@dataclass(frozen=True)
class Curve:
    """One short training run: per epoch, the running-mean training loss and the validation loss and accuracy."""

    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    val_accuracy: tuple[float, ...]


@lru_cache(maxsize=None)
def training_curve(depth: int, residual: bool, epochs: int = CURVE_EPOCHS, lr: float = CURVE_LR,
                   seed: int = 0) -> Curve:
    """Train :func:`cnnbook.nn.build_deep_net` (``depth``, ``residual``, weights and batch order from ``seed``)
    with Adam at the constant rate ``lr`` for ``epochs`` epochs on the unshifted training digits; cached.

    A few seconds per call the first time (one core); the widget reuses what the chapter computed.
    """
    from threadpoolctl import threadpool_limits

    from ..._parallel import num_threads
    from ...nn.optim import Adam
    from ...nn.training import fit

    data, rng = digits(), np.random.default_rng(seed)
    model = build_deep_net(depth, residual, rng)
    with num_threads(1), threadpool_limits(limits=1, user_api="blas"):   # batches of 32 small images: one core
        history = fit(model, Adam(model.parameters(), lr=lr), data.x_train, data.y_train, epochs, 32, rng,
                      x_val=data.x_val, y_val=data.y_val, progress=False)
    return Curve(tuple(history.train_loss), tuple(history.val_loss), tuple(history.val_accuracy))


# --- the widget ---------------------------------------------------------------------------------

def variant_name(residual: bool) -> str:
    return "residual" if residual else "plain"


def draw_deeper(figure, depth: int = 20, residual: bool = True) -> str:
    """Draw, for one depth and variant: the gradient reaching each block at initialisation (with and
    without batch normalisation), and the training loss and validation accuracy of a short run
    (with batch normalisation). Returns the caption."""
    name = variant_name(residual)
    no_bn, bn = (np.array(init_gradient_norms(depth, residual, batch_norm)) for batch_norm in (False, True))
    curve = training_curve(depth, residual)
    blocks = np.arange(1, len(bn) + 1)
    epochs = np.arange(1, len(curve.train_loss) + 1)
    ax_grad, ax_loss, ax_acc = figure.subplots(1, 3)
    ax_grad.semilogy(blocks, no_bn, "o-", ms=3, label="no batch norm (default init)")
    ax_grad.semilogy(blocks, bn, "s-", ms=3, label="batch norm")
    ax_grad.set(title=f"{name}, depth {depth}: gradient at initialisation", xlabel="block (1 = nearest the input)",
                ylabel="‖dL/d(block input)‖", ylim=(1e-12, 1e2))
    ax_grad.legend(fontsize=8)
    ax_loss.plot(epochs, curve.train_loss, "o-", label="training (running mean)")
    ax_loss.plot(epochs, curve.val_loss, "s-", label="validation")
    ax_loss.set(title="loss, with batch norm", xlabel="epoch", ylabel="cross-entropy", ylim=(0, 2.6))
    ax_loss.legend(fontsize=8)
    ax_acc.plot(epochs, curve.val_accuracy, "o-", color="C2")
    ax_acc.set(title="validation accuracy, with batch norm", xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    figure.tight_layout()
    ratio = no_bn[0] / no_bn[-1]
    return (f"<b>{name}</b>, depth {depth}: without batch norm the gradient reaching block 1 is "
            f"{ratio:.2g} times the one reaching block {len(no_bn)}; after {len(epochs)} epochs with batch norm, "
            f"training loss {curve.train_loss[-1]:.2f}, validation accuracy {curve.val_accuracy[-1]:.1%}")


def deeper_demo(depth: int = 20, residual: bool = True):
    """The chapter's widget: a depth slider (:data:`DEPTHS`) and residual on/off. A setting seen
    for the first time trains for a few seconds; after that it is drawn from the cache."""
    from ..widgets import InteractiveFigure, choice, slider

    step = DEPTHS[1] - DEPTHS[0]
    controls = {"depth": slider(depth, DEPTHS[0], DEPTHS[-1], "depth (weight layers)", step=step),
                "residual": choice([("residual", True), ("plain", False)], residual, "shortcuts")}
    return InteractiveFigure(draw_deeper, controls, figsize=(12.0, 3.4))
