"""Optimisers: SGD with momentum, Adam and AdamW, updating parameters in place.

An optimiser is built from ``model.parameters()`` (``(name, Parameter)`` pairs, see
:mod:`cnnbook.nn.layers`) and keeps its per-parameter state (velocity, moments) under the same
names. One training step is::

    optimizer.zero_grad()        # grad = 0 for every parameter
    model.backward(dlogits)      # layers ADD their gradients into .grad
    optimizer.step()             # value -= ...; grad is left as it is

``zero_grad`` is needed because backward accumulates (as in PyTorch); ``step`` does not zero the
gradients, so two backward passes before one step add up (gradient accumulation over batches).
``step`` writes into the existing ``value`` arrays, so references to them stay valid.

Weight decay. ``SGD(..., weight_decay=lam)`` and ``Adam(..., weight_decay=lam)`` add ``lam * w``
to every parameter's gradient before the update (PyTorch's semantics for both): the gradient of
an L2 penalty ``lam / 2 * sum(w**2)`` added to the loss. With Adam that decay is then rescaled
per weight like the rest of the gradient; :class:`AdamW` instead shrinks each weight directly,
``w -= lr * lam * w``, apart from the gradient step ("decoupled" weight decay, as ``torch.optim.AdamW``).
Decay applies to every parameter the optimiser holds (biases and batch-norm scales too), as in
PyTorch when all parameters form one group.
"""

from __future__ import annotations

import numpy as np


class Optimizer:
    """Holds ``params``, a dict ``name -> Parameter``, and the hyperparameters; subclasses define ``step``."""

    def __init__(self, parameters, lr: float, weight_decay: float = 0.0):
        self.params = dict(parameters)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimise")
        self.lr = _nonnegative(lr, "lr", type(self).__name__, strict=True)
        self.weight_decay = _nonnegative(weight_decay, "weight_decay", type(self).__name__)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zero, in place."""
        for p in self.params.values():
            p.grad[...] = 0

    def _gradient(self, p) -> np.ndarray:
        """``grad + weight_decay * value``: L2 weight decay folded into the gradient (all parameters)."""
        return p.grad + self.weight_decay * p.value if self.weight_decay else p.grad

    def _zeros(self) -> dict[str, np.ndarray]:
        return {name: np.zeros_like(p.value) for name, p in self.params.items()}


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum ``mu``, in PyTorch's form.

    For each parameter ``w`` with gradient ``g`` (plus ``weight_decay * w``)::

        v = mu * v + g        (v starts at 0)
        w = w - lr * v

    With ``momentum=0`` this is plain ``w -= lr * g``.
    """

    def __init__(self, parameters, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(parameters, lr, weight_decay)
        self.momentum = _nonnegative(momentum, "momentum", "SGD")
        self.velocity = self._zeros()

    def step(self) -> None:
        for name, p in self.params.items():
            v = self.velocity[name]
            v *= self.momentum
            v += self._gradient(p)
            p.value -= self.lr * v


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015): per-weight steps from running moments of the gradient.

    At step ``t = 1, 2, ...``, for each parameter ``w`` with gradient ``g``::

        m = beta1 * m + (1 - beta1) * g            (m, v start at 0)
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)                 (bias correction: m, v start biased to 0)
        v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (sqrt(v_hat) + eps)

    ``weight_decay`` adds ``weight_decay * w`` to ``g`` (L2, as ``torch.optim.Adam``; not AdamW).
    """

    def __init__(self, parameters, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(parameters, lr, weight_decay)
        self.beta1, self.beta2 = (float(b) for b in betas)
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError(f"Adam: betas must lie in [0, 1); got {tuple(betas)}")
        self.eps = _nonnegative(eps, "eps", "Adam", strict=True)
        self.t = 0
        self.m, self.v = self._zeros(), self._zeros()

    def step(self) -> None:
        self.t += 1
        correction1 = 1 - self.beta1 ** self.t
        correction2 = 1 - self.beta2 ** self.t
        for name, p in self.params.items():
            g = self._gradient(p)
            m, v = self.m[name], self.v[name]
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p.value -= self.lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as ``torch.optim.AdamW``.

    Each step first shrinks every weight, ``w = w - lr * weight_decay * w``, then takes :class:`Adam`'s
    step with the plain gradient (no ``weight_decay * w`` in ``g``). The default decay is PyTorch's, 0.01.
    """

    def __init__(self, parameters, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2):
        super().__init__(parameters, lr, betas, eps, weight_decay)

    def _gradient(self, p) -> np.ndarray:
        return p.grad  # the decay is applied to the weights in step(), not through the gradient

    def step(self) -> None:
        if self.weight_decay:
            for p in self.params.values():
                p.value *= 1 - self.lr * self.weight_decay
        super().step()


def _nonnegative(value, name: str, func: str, strict: bool = False) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (strict and value == 0):
        raise ValueError(f"{func}: {name} must be a finite number {'>' if strict else '>='} 0; got {value!r}")
    return value
