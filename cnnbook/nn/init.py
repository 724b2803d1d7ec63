"""Weight initialisers: random starting weights whose scale keeps signals from dying or exploding.

Every initialiser has the signature ``init(shape, rng, dtype=np.float32) -> array`` and draws
from the ``np.random.Generator`` it is given, so the same seed gives the same weights.
The scale depends on the *fans* of the weight (:func:`fans`):

* a dense weight ``(out_features, in_features)`` has ``fan_in = in_features`` and
  ``fan_out = out_features``;
* a filter bank ``(K, C, R, S)`` has ``fan_in = C*R*S`` (inputs feeding one output value)
  and ``fan_out = K*R*S`` (outputs one input value feeds, away from the borders).

What each one draws (``U(-a, a)`` is uniform, ``N(0, s^2)`` normal):

* ``fan_in_uniform``: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``. The Theano convolution
  tutorial's demo filters (``w_bound = sqrt(3*9*9)``), and PyTorch's default for
  ``nn.Conv2d`` and ``nn.Linear`` weights. The default of :mod:`cnnbook.nn.layers`.
* ``glorot_uniform``: ``U(-a, a)`` with ``a = sqrt(6/(fan_in + fan_out))``, variance
  ``2/(fan_in + fan_out)``. Glorot and Bengio (2010), also called Xavier: a compromise between
  ``1/fan_in`` (keeps the forward variance) and ``1/fan_out`` (keeps the backward one) for units
  whose slope at 0 is 1, like tanh. For sigmoid (slope 1/4 at 0) the Theano tutorials multiply
  ``a`` by 4.
* ``he_uniform``: ``U(-a, a)`` with ``a = sqrt(6/fan_in)``; He et al. (2015), also called
  Kaiming; variance ``2/fan_in``, meant for ReLU nets.
* ``he_normal``: ``N(0, 2/fan_in)`` (not truncated); He et al. (2015).

Two rules are easy to mix up. The tutorial's ``LeNetConvPoolLayer`` uses the Glorot bound
``sqrt(6/(fan_in+fan_out))`` but divides its ``fan_out`` by the pooling area
(``K*R*S / (2*2)``); :func:`glorot_uniform` here is the paper's rule, without that division.
``fan_in_uniform`` is *not* Keras's ``lecun_uniform`` (which is ``U(+-sqrt(3/fan_in))``,
variance ``1/fan_in``): ``U(+-1/sqrt(fan_in))`` has variance ``1/(3*fan_in)``, a third of that.
"""

from __future__ import annotations

import math

import numpy as np


def fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a dense weight ``(out, in)`` or a filter bank ``(K, C, R, S)``."""
    shape = tuple(int(n) for n in shape)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"fans: expected a weight shape (out, in) or (K, C, R, S) with no zero size; got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def fan_in_uniform(shape, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; ``shape`` ``(out, in)`` or ``(K, C, R, S)``."""
    bound = 1.0 / math.sqrt(fans(shape)[0])
    return _uniform(shape, bound, rng, dtype)


def glorot_uniform(shape, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Glorot (Xavier) uniform: ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def he_uniform(shape, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """He (Kaiming) uniform for ReLU: ``U(-a, a)`` with ``a = sqrt(6 / fan_in)``, variance ``2/fan_in``."""
    return _uniform(shape, math.sqrt(6.0 / fans(shape)[0]), rng, dtype)


def he_normal(shape, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """He (Kaiming) normal for ReLU: ``N(0, 2/fan_in)``, not truncated."""
    std = math.sqrt(2.0 / fans(shape)[0])
    return (std * _generator(rng).standard_normal(tuple(shape))).astype(dtype)


INITIALIZERS = {f.__name__: f for f in (fan_in_uniform, glorot_uniform, he_uniform, he_normal)}


def get_initializer(init):
    """An initialiser given by name (a key of ``INITIALIZERS``) or as a callable."""
    if callable(init):
        return init
    if init not in INITIALIZERS:
        raise ValueError(f"unknown initialiser {init!r}; choose one of {sorted(INITIALIZERS)} or pass a callable")
    return INITIALIZERS[init]


def _uniform(shape, bound: float, rng, dtype) -> np.ndarray:
    return _generator(rng).uniform(-bound, bound, size=tuple(shape)).astype(dtype)


def _generator(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError("initialisers need an np.random.Generator (np.random.default_rng(seed)); "
                        f"got {type(rng).__name__}")
    return rng
