"""Chapter 6's computations: how activation functions shape the signals and gradients of a network.

* :func:`elu` and :func:`elu_backward`: one modern activation *beyond the source articles*
  (Clevert et al., 2016), with the same calling convention as :mod:`cnnbook.activations`.
* :func:`deep_stack`: a stack of dense layers with one activation, run forward and backward;
  it records every layer's activations and the gradient ``dL/dz`` reaching every layer.
* :func:`variance_through_widths`: a stack whose widths change (``fan_in != fan_out``), to show
  that the forward pass keeps its variance with ``Var(w) = 1/fan_in``, the backward pass with
  ``1/fan_out``, and Glorot and Bengio's ``2/(fan_in + fan_out)`` splits the difference.
* :func:`dead_fraction` and :func:`dead_fraction_after_shift`: how many ReLU units never fire.
* :func:`train_after_shift`: a one-hidden-layer net whose biases were knocked far negative,
  trained by gradient descent, to see which units come back (ReLU versus leaky ReLU).
* :func:`train_two_layers_after_shift`: the same with a second hidden layer on top, whose dead units
  can come back because the layer below them keeps learning.
* :func:`sgd_path`: stochastic gradient descent on one linear unit, to show what all-positive
  inputs (a sigmoid's outputs) do to the direction of its weight updates.
* :func:`draw_layer_histograms` and :func:`activation_histograms_demo`: the chapter's widget.

Shapes: a batch of ``N`` examples of a layer with ``n`` units is ``(N, n)``; a dense weight is
``(n_in, n_out)`` so that ``z = a @ w + b`` (lower-case ``w``: the book keeps capital ``W`` for widths).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ...activations import (
    gelu,
    gelu_backward,
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    silu,
    silu_backward,
    tanh,
    tanh_backward,
)
from ..._validation import as_float_array


def _one_blas_thread(function):
    """Run ``function`` with BLAS limited to one thread.

    The matrices here are small (a few hundred rows); splitting each product over threads costs more
    than it saves, and on a busy machine it made the training loop about 40 times slower."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)
    return wrapper


# --- Beyond the sources: ELU -------------------------------------------------------------------

def elu(x, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit (beyond the sources): ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    ``x`` any shape; returns the same shape. Negative inputs saturate smoothly at ``-alpha``,
    so the mean output is closer to zero than ReLU's.
    """
    x = as_float_array(x, "x", "elu")
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))


def elu_backward(dy, x, alpha: float = 1.0) -> np.ndarray:
    """Gradient of :func:`elu` (beyond the sources): ``dy`` where ``x > 0``, else ``dy * alpha * exp(x)``.

    ``x`` is the ELU's *input* ``z``; ``dy`` and ``x`` have the same shape.
    """
    dy = as_float_array(dy, "dy", "elu_backward")
    x = as_float_array(x, "x", "elu_backward")
    if dy.shape != x.shape:
        raise ValueError(f"elu_backward: dy has shape {dy.shape} but x has shape {x.shape}")
    return dy * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


#: name -> (forward, backward); every backward takes ``(dy, z)`` with ``z`` the activation's input.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "elu": (elu, elu_backward),
    "gelu": (gelu, gelu_backward),
    "silu": (silu, silu_backward),
}

#: The weight scale each initialisation uses in a square stack (``n`` units per layer): the
#: standard deviation is ``sqrt(gain / n)``.
#: "xavier": Glorot and Bengio's (2010) ``Var(w) = 2 / (fan_in + fan_out)``, which is ``1/n`` when
#: ``fan_in = fan_out = n``; it keeps the variance of units working in a linear regime of slope 1.
#: "xavier_x4": four times that standard deviation (16 times the variance), the rule the Theano
#: deep-learning tutorials use for sigmoid layers, whose slope at 0 is 1/4 rather than 1.
#: "he" (He et al., 2015) doubles the variance to make up for ReLU zeroing half of its inputs.
INIT_GAIN = {"xavier": 1.0, "xavier_x4": 16.0, "he": 2.0}

#: The initialisation this chapter pairs with each activation by default.
PAIRED_INIT = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he", "leaky_relu": "he", "elu": "he",
               "gelu": "he", "silu": "he"}


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def rms(a) -> float:
    """Root mean square of an array: the typical size of its entries."""
    return float(np.sqrt(np.mean(np.square(a))))


# --- A deep stack of dense layers ---------------------------------------------------------------

@dataclass(frozen=True)
class StackResult:
    """One forward and backward pass through :func:`deep_stack`.

    Lists are indexed by layer, ``0`` being the layer next to the input: ``z[l]`` and ``a[l]``
    ``(N, n)`` are layer ``l+1``'s pre-activation and activation, ``dz[l]`` ``(N, n)`` is
    ``dL/dz`` at that layer, ``dw_rms[l]`` the RMS of ``dL/dw`` of its weight ``(n, n)``.
    """

    activation: str
    init: str
    z: list
    a: list
    dz: list
    dw_rms: np.ndarray

    @property
    def depth(self) -> int:
        return len(self.z)

    @property
    def dz_rms(self) -> np.ndarray:
        """RMS of ``dL/dz`` per layer, ``(depth,)``: the size of the error signal reaching each layer."""
        return np.array([rms(d) for d in self.dz])

    @property
    def spread(self) -> np.ndarray:
        """How much a unit's output varies with the input, per layer, ``(depth,)``: the standard
        deviation over the batch of each unit's activation, averaged over the units. Near 0 means
        every example gives the same output: the layer no longer carries information about the input."""
        return np.array([float(np.mean(np.std(a, axis=0))) for a in self.a])

    @property
    def a_std(self) -> np.ndarray:
        """Standard deviation of the activations per layer, ``(depth,)``."""
        return np.array([float(np.std(a)) for a in self.a])


@_one_blas_thread
def deep_stack(activation: str, depth: int, width: int = 128, batch: int = 256, init: str | None = None,
               seed: int = 0) -> StackResult:
    """Run a batch forward and backward through ``depth`` dense layers ``z = a @ w``, ``a = f(z)``.

    The input ``(batch, width)`` is standard normal; each weight ``(width, width)`` is normal with
    standard deviation ``sqrt(gain / width)`` (``init`` a key of :data:`INIT_GAIN`; ``None``: the one
    :data:`PAIRED_INIT` pairs with the activation); biases are zero. The loss is ``L = sum(a_top * g)``
    with a fixed standard-normal ``g``, so the gradient arriving at the top is ``g`` itself.
    The same seed gives the same input, weights and ``g`` whatever the activation, so runs compare.
    """
    forward, backward = _activation(activation)
    init = PAIRED_INIT[activation] if init is None else init
    if init not in INIT_GAIN:
        raise ValueError(f"deep_stack: unknown init {init!r}; expected one of {sorted(INIT_GAIN)}")
    if depth < 1:
        raise ValueError(f"deep_stack: depth must be >= 1; got {depth}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    g = rng.standard_normal((batch, width))
    std = np.sqrt(INIT_GAIN[init] / width)
    weights = [std * rng.standard_normal((width, width)) for _ in range(depth)]

    inputs, zs, acts = [], [], []
    a = x
    for w in weights:
        z = a @ w
        inputs.append(a)
        zs.append(z)
        a = forward(z)
        acts.append(a)

    dzs, dw_rms = [None] * depth, np.zeros(depth)
    da = g
    for layer in reversed(range(depth)):
        dz = backward(da, zs[layer])
        dzs[layer] = dz
        dw_rms[layer] = rms(inputs[layer].T @ dz)
        da = dz @ weights[layer].T
    return StackResult(activation, init, zs, acts, dzs, dw_rms)


# --- Layers whose fan-in and fan-out differ ------------------------------------------------------

#: How :func:`variance_through_widths` scales a layer's weights ``(n_in, n_out)``: ``Var(w) = gain / fan``.
FAN_RULES = ("fan_in", "fan_out", "glorot")


@dataclass(frozen=True)
class WidthsRecord:
    """:func:`variance_through_widths`'s record, for a stack of widths ``(n_0, ..., n_L)``.

    ``forward_ms`` ``(L + 1,)``: the mean square of the activations ``a_l`` (``a_0`` the input).
    ``backward_ms`` ``(L + 1,)``: the mean square of ``dL/da_l`` (``dL/da_L = g``, standard normal).
    ``forward_factor`` and ``backward_factor`` ``(L,)``: their ratios layer by layer, the forward one
    ``ms(a_l) / ms(a_{l-1})``, the backward one ``ms(dL/da_{l-1}) / ms(dL/da_l)``.
    """

    widths: tuple
    rule: str
    activation: str
    forward_ms: np.ndarray
    backward_ms: np.ndarray

    @property
    def forward_factor(self) -> np.ndarray:
        return self.forward_ms[1:] / self.forward_ms[:-1]

    @property
    def backward_factor(self) -> np.ndarray:
        return self.backward_ms[:-1] / self.backward_ms[1:]


@_one_blas_thread
def variance_through_widths(widths, rule: str, activation: str = "linear", batch: int = 512,
                            seed: int = 0) -> WidthsRecord:
    """Send a batch forward and a gradient backward through dense layers of the given ``widths``.

    Layer ``l`` (``1..L``) has a weight ``(n_{l-1}, n_l)`` drawn from ``N(0, gain / fan)`` with
    ``fan = n_{l-1}`` (``rule="fan_in"``), ``n_l`` (``"fan_out"``) or ``(n_{l-1} + n_l) / 2``
    (``"glorot"``, i.e. ``Var(w) = 2 gain / (n_{l-1} + n_l)``); ``gain`` is 1 for ``activation``
    ``"linear"`` (no activation) and 2 for ``"relu"``. No biases. The input ``(batch, n_0)`` and the
    gradient ``g`` ``(batch, n_L)`` arriving at the top are standard normal.
    """
    widths = tuple(int(n) for n in widths)
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"variance_through_widths: widths must list at least two positive sizes; got {widths}")
    if rule not in FAN_RULES:
        raise ValueError(f"variance_through_widths: unknown rule {rule!r}; expected one of {FAN_RULES}")
    if activation not in ("linear", "relu"):
        raise ValueError(f"variance_through_widths: activation must be 'linear' or 'relu'; got {activation!r}")
    gain = 2.0 if activation == "relu" else 1.0
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, widths[0]))
    g = rng.standard_normal((batch, widths[-1]))
    weights = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        fan = {"fan_in": n_in, "fan_out": n_out, "glorot": (n_in + n_out) / 2}[rule]
        weights.append(np.sqrt(gain / fan) * rng.standard_normal((n_in, n_out)))

    acts, zs = [x], []
    for w in weights:
        z = acts[-1] @ w
        zs.append(z)
        acts.append(relu(z) if activation == "relu" else z)
    grads = [g]                                # dL/da_L, then dL/da_{L-1}, ...
    for w, z in zip(reversed(weights), reversed(zs)):
        dz = relu_backward(grads[-1], z) if activation == "relu" else grads[-1]
        grads.append(dz @ w.T)
    forward_ms = np.array([float(np.mean(a * a)) for a in acts])
    backward_ms = np.array([float(np.mean(d * d)) for d in reversed(grads)])
    return WidthsRecord(widths, rule, activation, forward_ms, backward_ms)


# --- Dead ReLU units ------------------------------------------------------------------------------

def dead_fraction(z) -> float:
    """Fraction of units (columns of ``z`` ``(N, n)``) whose pre-activation is ``<= 0`` for every example.

    Such a ReLU unit outputs 0 for the whole batch and passes back no gradient at all.
    """
    z = np.asarray(z)
    return float(np.mean(np.all(z <= 0, axis=0)))


@_one_blas_thread
def dead_fraction_after_shift(shifts, n_in: int = 64, n_units: int = 512, batch: int = 1000,
                              seed: int = 0) -> np.ndarray:
    """Dead-unit fraction of one He-initialised layer ``z = x @ w + b`` after every bias is set to ``-shift``.

    ``x`` ``(batch, n_in)`` is standard normal, so each unit's ``z`` is roughly normal with standard
    deviation ``|w_j|`` (about ``sqrt(2)``) and mean ``-shift``. Returns one fraction per shift.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in))
    w = np.sqrt(2.0 / n_in) * rng.standard_normal((n_in, n_units))
    z0 = x @ w
    return np.array([dead_fraction(z0 - shift) for shift in np.atleast_1d(shifts)])


@dataclass(frozen=True)
class TrainingRun:
    """:func:`train_after_shift`'s record.

    ``loss`` and ``silent`` ``(steps + 1,)``: per step, the loss and the fraction of hidden units whose
    pre-activation is ``<= 0`` on every training example (dead, for a ReLU). ``silent_at_start``
    ``(n_hidden,)`` marks the units silent before training; ``param_change`` ``(n_hidden,)`` is how far
    each unit's incoming parameters (its column of ``w1`` and its bias) moved during training.
    """

    activation: str
    loss: np.ndarray
    silent: np.ndarray
    silent_at_start: np.ndarray
    param_change: np.ndarray


@_one_blas_thread
def train_after_shift(activation: str, shift: float = 6.0, steps: int = 1000, lr: float = 1.0,
                      n_in: int = 16, n_hidden: int = 64, batch: int = 512, seed: int = 0) -> TrainingRun:
    """Fit a one-hidden-layer net after its hidden biases were pushed down by ``shift``.

    Data: ``x`` ``(batch, n_in)`` standard normal, target ``y = sin(2 x @ u)`` ``(batch, 1)``.
    Net: ``h = f(x @ w1 + b1)``, ``yhat = h @ w2 + b2``, loss the mean squared error / 2,
    trained by full-batch gradient descent. ``w1`` is He-initialised and ``b1 = -shift``, as if one
    oversized update had knocked every bias far negative. The same seed gives the same data and
    starting weights for every activation.
    """
    forward, backward = _activation(activation)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in))
    u = rng.standard_normal((n_in, 1)) / np.sqrt(n_in)
    y = np.sin(2 * x @ u)
    w1 = np.sqrt(2.0 / n_in) * rng.standard_normal((n_in, n_hidden))
    b1 = np.full(n_hidden, -float(shift))
    w2 = rng.standard_normal((n_hidden, 1)) / np.sqrt(n_hidden)
    b2 = np.zeros(1)

    start = np.vstack([w1, b1])
    silent_at_start = np.all(x @ w1 + b1 <= 0, axis=0)
    losses, silent = np.zeros(steps + 1), np.zeros(steps + 1)
    for step in range(steps + 1):
        z = x @ w1 + b1
        h = forward(z)
        err = h @ w2 + b2 - y
        losses[step] = 0.5 * float(np.mean(err ** 2))
        silent[step] = dead_fraction(z)
        if step == steps:
            break
        dyhat = err / batch
        dw2, db2 = h.T @ dyhat, dyhat.sum(axis=0)
        dz = backward(dyhat @ w2.T, z)
        dw1, db1 = x.T @ dz, dz.sum(axis=0)
        w1, b1, w2, b2 = w1 - lr * dw1, b1 - lr * db1, w2 - lr * dw2, b2 - lr * db2
    change = np.sqrt(np.sum((np.vstack([w1, b1]) - start) ** 2, axis=0))
    return TrainingRun(activation, losses, silent, silent_at_start, change)


@dataclass(frozen=True)
class TwoLayerRun:
    """:func:`train_two_layers_after_shift`'s record, about the *second* hidden layer's units.

    ``loss`` and ``dead`` ``(steps + 1,)``: per step, the loss and the fraction of second-layer units
    whose pre-activation is ``<= 0`` on every training example; ``max_z`` ``(steps + 1, n_hidden)``: per
    step, each unit's largest pre-activation over the training set (a unit fires iff it is > 0).
    ``dead_at_start`` ``(n_hidden,)`` marks
    the units dead before training and ``dead_at_end`` ``(n_hidden,)`` those dead after the last step;
    ``revived_at`` ``(n_hidden,)`` the first step at which a unit dead at the start
    fired for some example again (``-1``: never, or not dead at the start);
    ``moved_while_dead`` ``(n_hidden,)``: for a unit dead at the start, how far its own parameters (its
    column of ``w2`` and its bias) had moved by the step it revived, or by the end if it never did
    (a dead unit receives no gradient, so this is 0); 0 for the units alive at the start.
    """

    loss: np.ndarray
    dead: np.ndarray
    max_z: np.ndarray
    dead_at_start: np.ndarray
    dead_at_end: np.ndarray
    revived_at: np.ndarray
    moved_while_dead: np.ndarray

    @property
    def revived(self) -> np.ndarray:
        """``(n_hidden,)``: the units dead at the start that fired again during training."""
        return self.revived_at >= 0


@_one_blas_thread
def train_two_layers_after_shift(shift: float = 3.0, steps: int = 300, lr: float = 1.0, n_in: int = 16,
                                 n_hidden: int = 64, batch: int = 512, seed: int = 0) -> TwoLayerRun:
    """Train ``x -> relu(x @ w1 + b1) -> relu(. @ w2 + b2) -> . @ w3 + b3`` after ``b2`` was set to ``-shift``.

    Data as in :func:`train_after_shift` (``x`` ``(batch, n_in)`` standard normal, ``y = sin(2 x @ u)``),
    full-batch gradient descent on the mean squared error / 2. ``w1`` ``(n_in, n_hidden)`` and ``w2``
    ``(n_hidden, n_hidden)`` are He-initialised, ``b1 = 0``, ``w3`` ``(n_hidden, 1)``. A second-layer unit that is
    dead gets no gradient, but its input ``relu(x @ w1 + b1)`` keeps changing while the first layer learns
    through the units still alive, and that can lift its pre-activation above 0 again.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in))
    u = rng.standard_normal((n_in, 1)) / np.sqrt(n_in)
    y = np.sin(2 * x @ u)
    w1 = np.sqrt(2.0 / n_in) * rng.standard_normal((n_in, n_hidden))
    b1 = np.zeros(n_hidden)
    w2 = np.sqrt(2.0 / n_hidden) * rng.standard_normal((n_hidden, n_hidden))
    b2 = np.full(n_hidden, -float(shift))
    w3 = rng.standard_normal((n_hidden, 1)) / np.sqrt(n_hidden)
    b3 = np.zeros(1)

    start = np.vstack([w2, b2])
    dead_at_start = np.all(relu(x @ w1 + b1) @ w2 + b2 <= 0, axis=0)
    revived_at = np.full(n_hidden, -1)
    moved = np.zeros(n_hidden)
    losses, dead, max_z = np.zeros(steps + 1), np.zeros(steps + 1), np.zeros((steps + 1, n_hidden))
    for step in range(steps + 1):
        z1 = x @ w1 + b1
        h1 = relu(z1)
        z2 = h1 @ w2 + b2
        h2 = relu(z2)
        err = h2 @ w3 + b3 - y
        losses[step] = 0.5 * float(np.mean(err ** 2))
        max_z[step] = z2.max(axis=0)
        fires = max_z[step] > 0
        dead[step] = 1.0 - float(np.mean(fires))
        change = np.sqrt(np.sum((np.vstack([w2, b2]) - start) ** 2, axis=0))
        newly = dead_at_start & fires & (revived_at < 0)
        revived_at[newly] = step
        still_dead = dead_at_start & (revived_at < 0)
        moved[newly | still_dead] = change[newly | still_dead]
        if step == steps:
            break
        dyhat = err / batch
        dw3, db3 = h2.T @ dyhat, dyhat.sum(axis=0)
        dz2 = relu_backward(dyhat @ w3.T, z2)
        dw2, db2 = h1.T @ dz2, dz2.sum(axis=0)
        dz1 = relu_backward(dz2 @ w2.T, z1)
        dw1, db1 = x.T @ dz1, dz1.sum(axis=0)
        w1, b1, w2, b2, w3, b3 = (w1 - lr * dw1, b1 - lr * db1, w2 - lr * dw2, b2 - lr * db2,
                                  w3 - lr * dw3, b3 - lr * db3)
    return TwoLayerRun(losses, dead, max_z, dead_at_start, ~fires, revived_at, moved)


# --- Non-zero-centred inputs and the direction of the updates -----------------------------------

def sgd_path(inputs, w_true, lr: float, steps: int) -> np.ndarray:
    """Stochastic gradient descent, one example per step, on a linear unit ``yhat = a @ w``.

    ``inputs`` ``(M, d)`` are the unit's inputs (cycled through in order), ``w_true`` ``(d,)`` the
    weights that produce the targets ``y = a @ w_true``, the loss ``(yhat - y)^2 / 2``. Starts at
    ``w = 0``. Returns the path ``(steps + 1, d)``. Each step is ``-lr * (yhat - y) * a``: a multiple
    of the input ``a``, so when every entry of ``a`` is positive, every entry of the step has one sign.
    """
    inputs = np.asarray(inputs, dtype=float)
    w_true = np.asarray(w_true, dtype=float)
    w = np.zeros_like(w_true)
    path = [w.copy()]
    for step in range(steps):
        a = inputs[step % len(inputs)]
        w = w - lr * (a @ w - a @ w_true) * a
        path.append(w.copy())
    return np.array(path)


# --- The widget ---------------------------------------------------------------------------------

def shown_layers(depth: int, count: int = 4) -> list[int]:
    """Up to ``count`` layer numbers (1-based) spread from the first to the last of ``depth`` layers."""
    return sorted({int(round(v)) for v in np.linspace(1, depth, min(count, depth))})


def draw_layer_histograms(figure, activation: str = "sigmoid", depth: int = 10, init: str = "paired") -> str:
    """Draw the activation and gradient histograms of a :func:`deep_stack`, layer by layer.

    Left: histograms of the activations at a few layers. Middle: histograms of ``log10 |dL/dz|``
    at the same layers. Right: the RMS of ``dL/dz`` at every layer, on a log scale.
    Returns the caption (HTML), which states the gradient sizes at the first and last layer.
    """
    result = deep_stack(activation, depth, init=None if init == "paired" else init)
    layers = shown_layers(depth)
    colours = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"]
    ax_act, ax_grad, ax_rms = figure.subplots(1, 3)

    acts = {layer: result.a[layer - 1].ravel() for layer in layers}
    grads = {}
    for layer in layers:
        g = np.abs(result.dz[layer - 1].ravel())
        grads[layer] = np.log10(g[g > 0])
    a_bins = _common_bins([a[a != 0] for a in acts.values()])
    g_bins = _common_bins(list(grads.values()))
    for colour, layer in zip(colours, layers):
        a = acts[layer]
        zeros = float(np.mean(a == 0))
        label = f"layer {layer}" + (f" ({zeros:.0%} exactly 0, not shown)" if zeros > 0.01 else "")
        ax_act.hist(a[a != 0], bins=a_bins, histtype="step", linewidth=1.6, color=colour, label=label)
        ax_grad.hist(grads[layer], bins=g_bins, histtype="step", linewidth=1.6, color=colour, label=f"layer {layer}")
    ax_act.set_title(f"{activation} activations a = f(z)", fontsize=10)
    ax_act.set_xlabel("activation value")
    ax_act.set_ylabel("count")
    ax_act.legend(fontsize=7)
    ax_grad.set_title("gradient dL/dz (nonzero entries)", fontsize=10)
    ax_grad.set_xlabel("log10 |dL/dz|")
    ax_grad.set_ylabel("count")
    ax_grad.legend(fontsize=8)

    sizes = result.dz_rms
    ax_rms.semilogy(np.arange(1, depth + 1), sizes, "o-", color="black", markersize=3)
    ax_rms.set_title("gradient size per layer", fontsize=10)
    ax_rms.set_xlabel("layer (1 = next to the input)")
    ax_rms.set_ylabel("RMS of dL/dz")
    ax_rms.grid(True, which="both", alpha=0.3)
    low, high = sizes.min(), sizes.max()
    if high / low < 100:   # a nearly flat curve should look flat, not fill the axes
        ax_rms.set_ylim(low / 10, high * 10)
    figure.tight_layout()

    ratio = sizes[0] / sizes[-1]
    return (f"<b>{activation}</b>, {depth} layers, {result.init} init: RMS of dL/dz is {sizes[-1]:.2e} at layer "
            f"{depth} and {sizes[0]:.2e} at layer 1 (first / last = {ratio:.2e}). "
            f"Activations at the last layer: mean {float(np.mean(result.a[-1])):.3g}, "
            f"std {float(np.std(result.a[-1])):.3g}; a unit's spread over the batch there: "
            f"{result.spread[-1]:.3g}.")


def _common_bins(samples, count: int = 60) -> np.ndarray:
    """``count + 1`` bin edges covering every sample in ``samples`` (a list of 1-D arrays), so that
    histograms of different layers share their bins and can be compared."""
    values = [s for s in samples if s.size]
    if not values:
        return np.linspace(-1, 1, count + 1)
    low = min(float(v.min()) for v in values)
    high = max(float(v.max()) for v in values)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, count + 1)


def activation_histograms_demo():
    """The chapter's widget: choose the activation, the depth and the initialisation.

    ``init`` "paired" uses :data:`PAIRED_INIT` (Xavier for sigmoid and tanh, He for the rest); the other
    choices are the keys of :data:`INIT_GAIN`, applied whatever the activation.
    """
    from ..widgets import InteractiveFigure, choice, slider

    controls = {
        "activation": choice(list(ACTIVATIONS), "sigmoid", "activation"),
        "depth": slider(10, 2, 30, "depth"),
        "init": choice(["paired", *INIT_GAIN], "paired", "init"),
    }
    return InteractiveFigure(draw_layer_histograms, controls, figsize=(11.0, 3.6))
