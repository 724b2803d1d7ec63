"""Layers: small objects with ``forward(x)`` and ``backward(dy)``, built on the functional kernels.

``forward(x)`` computes the layer's output and keeps its input in ``layer.x``: that is all any
layer here needs for its backward pass. ``backward(dy)`` takes ``dy``, the gradient of the loss
with respect to the output, returns ``dx``, the gradient with respect to the input, and **adds**
the gradients of the layer's parameters into their ``.grad`` (it accumulates, as in PyTorch and
micrograd). So call ``optimizer.zero_grad()`` (or ``model.zero_grad()``) before each backward.
``backward(dy, input_grad=False)`` is for when nobody needs ``dx`` (the gradient with respect to
the network's input, in training): it adds the parameter gradients only and returns ``None``,
which saves the first convolution about half of its backward pass.

Parameters have one interface, used by the optimisers and by :mod:`cnnbook.nn.model_io`:

* a :class:`Parameter` holds ``.value`` and ``.grad``, two arrays of the same shape and dtype;
* ``layer.params`` is a dict ``name -> Parameter`` (``"weight"``, ``"bias"``);
* ``layer.parameters()`` yields ``(name, Parameter)`` pairs; a layer made of layers (its
  ``children()``, e.g. :class:`Sequential`) prefixes each name with the child's name, giving
  stable unique names such as ``"0.weight"``.

Besides parameters a layer may hold **buffers**: arrays that are part of the model's state but
are not trained by the optimiser, such as batch normalisation's running statistics.
``layer.buffers()`` yields ``(name, array)`` pairs named like the parameters (``"1.running_mean"``);
:mod:`cnnbook.nn.model_io` saves and loads them with the parameters.

Modes: every layer starts in **training mode** (``layer.training`` is ``True``). ``model.eval()``
switches it and all the layers inside it to evaluation mode, ``model.train()`` back (both return
the model, as in PyTorch). Only layers whose computation differs at inference look at the mode
(batch normalisation, dropout); for all others the two modes compute the same thing.

dtype: layers with parameters are created float32 (``dtype=np.float64`` for gradient checks)
and compute in their own dtype, casting their input and ``dy`` to it. ``model.astype(np.float64)``
converts the parameters in place (the same :class:`Parameter` objects, so build the optimiser
afterwards or not at all before). Layers without parameters keep the dtype they are given.

A layer fed the wrong shape raises ``ValueError`` naming itself and what it expected, e.g.
``Conv2d(1, 6, kernel_size=5): expected input (N, 1, H, W); got (64, 3, 28, 28)``.
"""

from __future__ import annotations

import numpy as np

from .._validation import FLOAT_DTYPES, as_float_array, as_pair, require_shape
from ..activations import (
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    tanh,
    tanh_backward,
)
from ..conv import conv2d, conv2d_backward
from .init import get_initializer
from ..pool import (
    avg_pool2d,
    avg_pool2d_backward,
    check_pool_arguments,
    max_pool2d,
    max_pool2d_backward,
    max_pool_backward_at,
    max_pool_with_indices,
)


class Parameter:
    """A trainable array ``value`` and the gradient ``grad`` accumulated into it (same shape, dtype)."""

    def __init__(self, value: np.ndarray):
        self.value = value
        self.grad = np.zeros_like(value)

    @property
    def shape(self) -> tuple:
        return self.value.shape

    def astype(self, dtype) -> None:
        self.value = self.value.astype(dtype)
        self.grad = self.grad.astype(dtype)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.value.shape}, dtype={self.value.dtype})"


class Layer:
    """Base class: checks shapes, keeps the input, and hands parameters out uniformly.

    Subclasses implement ``_forward(x) -> y`` and ``_backward(dy) -> dx`` (reading ``self.x``),
    and, when they care about the input's layout, ``_check_input(x)``. A layer built from other
    layers lists them in ``children()``; one with buffers names them in ``_buffer_names``.
    """

    training = True  # a class default, so that every layer starts in training mode
    _buffer_names: tuple[str, ...] = ()  # attributes holding the layer's own buffers (arrays)

    def __init__(self):
        self.params: dict[str, Parameter] = {}
        self.x = None  # the input of the last forward pass
        self._y_shape = None

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)

    def forward(self, x) -> np.ndarray:
        """The layer's output for ``x``; keeps ``x`` for :meth:`backward`."""
        x = self._as_float(x, "x")
        self._check_input(x)
        y = self._forward(x)
        self.x, self._y_shape = x, y.shape
        return y

    def backward(self, dy, input_grad: bool = True) -> np.ndarray | None:
        """``dx`` for the last forward pass, given ``dy`` shaped like its output; adds into ``.grad``.

        With ``input_grad=False`` only the parameter gradients are added, and ``None`` is returned.
        """
        if self.x is None:
            raise RuntimeError(f"{self!r}: backward() called before forward(); run forward(x) first, "
                               f"it keeps the input x that backward needs")
        dy = self._as_float(dy, "dy")
        if dy.shape != self._y_shape:
            require_shape(dy, self._y_shape, "dy", repr(self), "the shape of the last forward output")
        if input_grad:
            return self._backward(dy)
        self._backward_parameters(dy)
        return None

    def children(self) -> list[tuple[str, "Layer"]]:
        """The layers this one is built from, as ``(name, layer)`` pairs (none for a simple layer)."""
        return []

    def parameters(self):
        """Yield ``(name, Parameter)`` pairs, in a fixed order: the layer's own, then its children's."""
        yield from self.params.items()
        for prefix, child in self.children():
            for name, p in child.parameters():
                yield f"{prefix}.{name}", p

    def buffers(self):
        """Yield ``(name, array)`` pairs of the state that is saved but not trained (e.g. running statistics)."""
        for name in self._buffer_names:
            yield name, getattr(self, name)
        for prefix, child in self.children():
            for name, array in child.buffers():
                yield f"{prefix}.{name}", array

    def train(self, mode: bool = True) -> "Layer":
        """Put this layer and every layer inside it in training mode (or evaluation mode if ``mode`` is False)."""
        self.training = bool(mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Layer":
        """Evaluation (inference) mode for this layer and every layer inside it: ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, in place."""
        for _, p in self.parameters():
            p.grad[...] = 0

    @property
    def dtype(self):
        """The dtype of the parameters, or ``None`` for a layer without parameters."""
        return next((p.value.dtype for _, p in self.parameters()), None)

    def astype(self, dtype) -> "Layer":
        """Convert every parameter (and its gradient) and every buffer to ``dtype`` in place; returns ``self``."""
        for p in self.params.values():
            p.astype(dtype)
        for name in self._buffer_names:
            setattr(self, name, getattr(self, name).astype(dtype))
        for _, child in self.children():
            child.astype(dtype)
        return self

    def _as_float(self, array, name: str) -> np.ndarray:
        """``array`` checked by :func:`as_float_array` (errors named after the layer), in the layer's dtype."""
        if not (isinstance(array, np.ndarray) and array.dtype in FLOAT_DTYPES):  # else nothing to check
            array = as_float_array(array, name, repr(self))
        return self._cast(array)

    def _cast(self, array: np.ndarray) -> np.ndarray:
        dtype = self.dtype
        return array if dtype is None else array.astype(dtype, copy=False)

    def _backward_parameters(self, dy) -> None:
        """Add the parameter gradients only (``backward(dy, input_grad=False)``).

        By default: :meth:`_backward` with its ``dx`` dropped, or nothing for a layer without
        parameters (its own or its children's). Layers that can skip the work of ``dx`` override this.
        """
        if next(self.parameters(), None) is not None:
            self._backward(dy)

    def _check_input(self, x: np.ndarray) -> None:
        pass

    def _require(self, ok: bool, expected: str, x: np.ndarray) -> None:
        if not ok:
            raise ValueError(f"{self!r}: expected input {expected}; got {x.shape}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _weight_and_bias(shape, rng, init, dtype) -> dict[str, Parameter]:
    """A weight drawn by ``init`` from ``rng`` (a fresh unseeded Generator if None) and a zero bias."""
    rng = np.random.default_rng() if rng is None else rng
    weight = get_initializer(init)(shape, rng, dtype)
    return {"weight": Parameter(weight), "bias": Parameter(np.zeros(shape[0], dtype))}


def _positive_int(value, name: str, layer: str) -> int:
    return as_pair(value, name, layer, minimum=1)[0]


def _int_or_pair(pair: tuple[int, int]):
    return pair[0] if pair[0] == pair[1] else pair


class Conv2d(Layer):
    """2-D convolution (cross-correlation) layer: :func:`cnnbook.conv2d` with its own weights.

    ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, K, P, Q)``; ``weight`` ``(K, C, R, S)``, ``bias`` ``(K,)``
    with ``C = in_channels``, ``K = out_channels``, ``(R, S) = kernel_size``. The weight is drawn
    by ``init`` (a name in :data:`cnnbook.nn.init.INITIALIZERS` or a callable) from ``rng``; the
    bias starts at zero. ``bias=False`` leaves the bias out (as PyTorch's ``bias=False``), e.g.
    before a batch normalisation, whose shift would cancel it.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, *,
                 bias: bool = True, rng=None, init="fan_in_uniform", dtype=np.float32):
        super().__init__()
        self.in_channels = _positive_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = _positive_int(out_channels, "out_channels", "Conv2d")
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2d", minimum=1)
        self.stride = as_pair(stride, "stride", "Conv2d", minimum=1)
        self.padding = as_pair(padding, "padding", "Conv2d", minimum=0)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.params = _weight_and_bias(shape, rng, init, dtype)
        if not bias:
            del self.params["bias"]

    def _check_input(self, x):
        self._require(x.ndim == 4 and x.shape[1] == self.in_channels, f"(N, {self.in_channels}, H, W)", x)

    def _forward(self, x):
        bias = self.params["bias"].value if "bias" in self.params else None
        return conv2d(x, self.params["weight"].value, bias, self.stride, self.padding)

    def _backward(self, dy, input_grad=True):
        dx, dw, db = conv2d_backward(dy, self.x, self.params["weight"].value, self.stride, self.padding, input_grad)
        self.params["weight"].grad += dw
        if "bias" in self.params:
            self.params["bias"].grad += db
        return dx

    def _backward_parameters(self, dy):
        self._backward(dy, input_grad=False)

    def __repr__(self):
        options = "".join(f", {name}={_int_or_pair(value)}" for name, value, default in
                          (("stride", self.stride, (1, 1)), ("padding", self.padding, (0, 0))) if value != default)
        options += "" if "bias" in self.params else ", bias=False"
        return (f"Conv2d({self.in_channels}, {self.out_channels}, "
                f"kernel_size={_int_or_pair(self.kernel_size)}{options})")


class Linear(Layer):
    """Fully connected layer ``y = x @ weight.T + bias``.

    ``x`` ``(N, in_features)`` -> ``y`` ``(N, out_features)``; ``weight`` ``(out_features,
    in_features)`` (PyTorch's layout), ``bias`` ``(out_features,)``. Initialised as :class:`Conv2d`.
    """

    def __init__(self, in_features, out_features, *, rng=None, init="fan_in_uniform", dtype=np.float32):
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        self.params = _weight_and_bias((self.out_features, self.in_features), rng, init, dtype)

    def _check_input(self, x):
        self._require(x.ndim == 2 and x.shape[1] == self.in_features, f"(N, {self.in_features})", x)

    def _forward(self, x):
        return x @ self.params["weight"].value.T + self.params["bias"].value

    def _backward(self, dy):
        self._backward_parameters(dy)
        return dy @ self.params["weight"].value

    def _backward_parameters(self, dy):
        self.params["weight"].grad += dy.T @ self.x
        self.params["bias"].grad += dy.sum(axis=0)

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features})"


class Flatten(Layer):
    """``x`` ``(N, d1, d2, ...)`` -> ``(N, d1*d2*...)``; backward restores the shape."""

    def _check_input(self, x):
        self._require(x.ndim >= 2, "(N, ...) with at least 2 axes", x)

    def _forward(self, x):
        return x.reshape(x.shape[0], -1)

    def _backward(self, dy):
        return dy.reshape(self.x.shape)


class _Pool2d(Layer):
    """Shared by the pooling layers: ``x`` ``(N, C, H, W)`` -> ``y`` ``(N, C, P, Q)``."""

    _pool = _pool_backward = None  # the functional forward and backward, set by each subclass

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = as_pair(kernel_size, "kernel_size", name, minimum=1)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", name, minimum=1)
        self.padding = as_pair(padding, "padding", name, minimum=0)

    def _check_input(self, x):
        self._require(x.ndim == 4, "(N, C, H, W)", x)

    def _forward(self, x):
        return self._pool(x, self.kernel_size, self.stride, self.padding)

    def _backward(self, dy):
        return self._pool_backward(dy, self.x, self.kernel_size, self.stride, self.padding)

    def __repr__(self):
        options = "" if self.stride == self.kernel_size else f", stride={_int_or_pair(self.stride)}"
        options += "" if self.padding == (0, 0) else f", padding={_int_or_pair(self.padding)}"
        return f"{type(self).__name__}(kernel_size={_int_or_pair(self.kernel_size)}{options})"


class MaxPool2d(_Pool2d):
    """Max pooling (:func:`cnnbook.max_pool2d`); ``stride`` defaults to ``kernel_size``.

    The forward pass also keeps where each window's maximum was (``indices``), so that the
    backward pass sends each ``dy`` there directly; the same numbers as
    :func:`cnnbook.max_pool2d_backward`, which searches for the maxima again.
    """

    _pool, _pool_backward = staticmethod(max_pool2d), staticmethod(max_pool2d_backward)

    def _forward(self, x):
        x, windows = check_pool_arguments("max_pool2d", x, self.kernel_size, self.stride, self.padding)
        y, self.indices = max_pool_with_indices(x, windows)
        return y

    def _backward(self, dy):
        return max_pool_backward_at(dy, self.indices, self.x)


class AvgPool2d(_Pool2d):
    """Average pooling (:func:`cnnbook.avg_pool2d`); ``stride`` defaults to ``kernel_size``."""

    _pool, _pool_backward = staticmethod(avg_pool2d), staticmethod(avg_pool2d_backward)


class _Activation(Layer):
    """An elementwise function and its gradient; any input shape."""

    _f = _df = None  # the functional forward f(x) and backward df(dy, x), set by each subclass

    def _forward(self, x):
        return self._f(x)

    def _backward(self, dy):
        return self._df(dy, self.x)


class ReLU(_Activation):
    """``max(x, 0)``."""

    _f, _df = staticmethod(relu), staticmethod(relu_backward)


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``."""

    _f, _df = staticmethod(sigmoid), staticmethod(sigmoid_backward)


class Tanh(_Activation):
    """``tanh(x)``."""

    _f, _df = staticmethod(tanh), staticmethod(tanh_backward)


class LeakyReLU(Layer):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        leaky_relu(0.0, negative_slope)  # checks the slope now rather than at the first forward
        self.negative_slope = float(negative_slope)

    def _forward(self, x):
        return leaky_relu(x, self.negative_slope)

    def _backward(self, dy):
        return leaky_relu_backward(dy, self.x, self.negative_slope)

    def __repr__(self):
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sequential(Layer):
    """Layers applied in order; backward visits them in reverse.

    Parameter names are ``"<position>.<name>"``, e.g. ``"0.weight"``, ``"3.bias"``.
    """

    def __init__(self, *layers: Layer):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} is not a Layer; got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x) -> np.ndarray:
        for i, layer in enumerate(self.layers):
            try:
                x = layer.forward(x)
            except ValueError as error:
                raise ValueError(f"Sequential layer {i}, {error}") from error
        return x

    def backward(self, dy, input_grad: bool = True) -> np.ndarray | None:
        for layer in self.layers[:0:-1]:  # all but the first, last to second
            dy = layer.backward(dy)
        if not self.layers:
            return dy if input_grad else None
        return self.layers[0].backward(dy, input_grad)  # the first layer's dx is the model's

    def children(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        lines = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({lines}\n)"
