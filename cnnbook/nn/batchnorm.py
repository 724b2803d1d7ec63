"""The batch normalisation layer, :class:`BatchNorm2d`, on the functions of :mod:`cnnbook.batchnorm`
(which derives them and says what PyTorch's semantics are)."""

from __future__ import annotations

import numpy as np

from ..batchnorm import _backward, _check_forward, _normalise
from .layers import Layer, Parameter


class BatchNorm2d(Layer):
    """Batch normalisation layer (as ``torch.nn.BatchNorm2d``): ``x`` ``(N, C, H, W)`` -> ``y``, same shape.

    Parameters ``weight`` (gamma, starts at 1) and ``bias`` (beta, starts at 0), both ``(C,)`` with
    ``C = num_features``. Buffers ``running_mean`` (starts at 0) and ``running_var`` (starts at 1),
    ``(C,)``, updated in place by every forward pass in training mode and used in evaluation mode
    (``layer.eval()``); :mod:`cnnbook.nn.model_io` saves and loads them with the parameters.
    """

    _buffer_names = ("running_mean", "running_var")

    def __init__(self, num_features, momentum: float = 0.1, eps: float = 1e-5, *, dtype=np.float32):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"BatchNorm2d: num_features must be a positive int; got {num_features!r}")
        self.num_features = int(num_features)
        _check_forward("BatchNorm2d", np.zeros((2, self.num_features, 1, 1)), np.ones(self.num_features),
                       np.zeros(self.num_features), None, None, True, momentum, eps)  # checks momentum and eps
        self.momentum, self.eps = float(momentum), float(eps)
        self.params = {"weight": Parameter(np.ones(self.num_features, dtype)),
                       "bias": Parameter(np.zeros(self.num_features, dtype))}
        self.running_mean = np.zeros(self.num_features, dtype)
        self.running_var = np.ones(self.num_features, dtype)

    def _check_input(self, x):
        self._require(x.ndim == 4 and x.shape[1] == self.num_features, f"(N, {self.num_features}, H, W)", x)
        if self.training and x.size // self.num_features < 2:
            raise ValueError(f"{self!r}: training needs more than one value per channel; got input {x.shape} "
                             f"(call .eval() to use the running statistics)")

    def _forward(self, x):
        y, self._statistics = _normalise(x, self.params["weight"].value, self.params["bias"].value,
                                         self.running_mean, self.running_var, self.training, self.momentum, self.eps)
        self._trained = self.training  # the mode of this forward pass decides its backward
        return y

    def _backward(self, dy):
        x = np.ascontiguousarray(self.x, dy.dtype)
        dx, dgamma, dbeta = _backward(np.ascontiguousarray(dy), x, self.params["weight"].value, self._statistics,
                                      self._trained)
        self.params["weight"].grad += dgamma
        self.params["bias"].grad += dbeta
        return dx

    def __repr__(self):
        return f"BatchNorm2d({self.num_features})"
