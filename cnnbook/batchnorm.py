"""Batch normalisation for NCHW feature maps: the functions and their readable twins (the layer is
:class:`cnnbook.nn.batchnorm.BatchNorm2d`).

Each channel ``c`` of a batch ``x`` ``(N, C, H, W)`` is normalised over its ``M = N*H*W`` values,
then scaled and shifted by two learned numbers::

    mean_c = sum(x[:, c]) / M
    var_c  = sum((x[:, c] - mean_c)**2) / M              (biased: divided by M, as PyTorch)
    xhat   = (x[:, c] - mean_c) / sqrt(var_c + eps)
    y[:, c] = gamma_c * xhat + beta_c

In **training** mode the statistics are the batch's own, and the running estimates used at
inference move toward them: ``running = (1 - momentum) * running + momentum * batch_stat``, where
the running *variance* follows the **unbiased** batch variance ``sum(...) / (M - 1)`` (PyTorch's
semantics: biased to normalise, unbiased to estimate). In **evaluation** mode the running
estimates replace the batch statistics, so each example's output no longer depends on the others.

Running statistics are updated **in place**, exactly as ``torch.nn.functional.batch_norm`` does:
``batch_norm2d(x, gamma, beta, running_mean, running_var, training=True)`` writes the new
estimates into the two arrays you pass (and only into those; ``x``, ``gamma`` and ``beta`` are
never modified). Pass no running statistics (the default) and nothing is written anywhere.

The backward pass in training mode takes the gradient through the batch mean and variance too
(every output of a channel depends on every input of it). Written per channel, the result is
compact (``M = N*H*W``, ``sum`` over the channel's ``M`` values)::

    dx = gamma / (M * sigma) * (M * dy - sum(dy) - xhat * sum(dy * xhat)),   sigma = sqrt(var + eps)
    dgamma = sum(dy * xhat),  dbeta = sum(dy)

:func:`batch_norm2d_backward` computes that, vectorised; :func:`batch_norm2d_backward_reference`
follows the chain rule step by step through ``mean`` and ``var``, channel by channel, for reading;
the tests hold the two together. Like :func:`cnnbook.conv2d_backward`, the backward takes the
forward's inputs (``x``, ``gamma``, ...) and recomputes what it needs from them: nothing to carry
between the two calls. (The layer :class:`~cnnbook.nn.batchnorm.BatchNorm2d` keeps the batch's mean and ``1/sigma``
from its forward pass instead.)

The fast functions run numba kernels (:mod:`cnnbook._batchnorm_kernels`, which says why);
the ``*_reference`` twins are plain NumPy, one channel at a time.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._validation import (
    FLOAT_DTYPES,
    as_float_array,
    common_float_dtype,
    require_ndim,
    require_shape,
)
from . import _batchnorm_kernels as kernels


class _Statistics(NamedTuple):
    """What normalised a batch, all the backward pass needs besides ``x``: ``mean``, ``inv_std`` ``(C,)``, float64."""

    mean: np.ndarray
    inv_std: np.ndarray


# --- the functions ---------------------------------------------------------------------------------

def batch_norm2d(x, gamma, beta, running_mean=None, running_var=None, training: bool = True,
                 momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
    """Batch normalisation of ``x`` ``(N, C, H, W)``, per channel; returns ``y`` ``(N, C, H, W)``.

    ``gamma``, ``beta`` ``(C,)``: the scale and shift. ``running_mean``, ``running_var`` ``(C,)``:
    the running estimates (both or neither). ``training=True`` normalises with the batch's mean and
    biased variance and, when running estimates are given, **updates them in place**
    (``running = (1 - momentum) * running + momentum * batch_stat``, the variance unbiased);
    ``training=False`` normalises with the running estimates (required then) and changes nothing.
    ``eps`` is added to the variance under the square root.

    The result's dtype is float64 if any of ``x``, ``gamma``, ``beta`` is, else float32. In
    training each channel needs more than one value (``N*H*W > 1``), as in PyTorch.
    """
    x, gamma, beta, running_mean, running_var = _check_forward(
        "batch_norm2d", x, gamma, beta, running_mean, running_var, training, momentum, eps)
    y, _ = _normalise(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    return y


def batch_norm2d_backward(dy, x, gamma, running_mean=None, running_var=None, training: bool = True,
                          eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`batch_norm2d`: ``(dx, dgamma, dbeta)``, shaped ``(N, C, H, W)``, ``(C,)``, ``(C,)``.

    ``dy`` ``(N, C, H, W)`` is the gradient with respect to ``y``; ``x``, ``gamma``, the running
    estimates, ``training`` and ``eps`` are those of the forward pass (``beta`` and ``momentum`` do
    not enter the gradients). In training mode the gradient flows through the batch statistics
    (the compact formula of the module text); in evaluation mode the statistics are constants, so
    ``dx = dy * gamma / sqrt(running_var + eps)``. The running estimates must be the values the
    forward pass *used*: in training they are not used at all. Nothing is modified.
    """
    x, gamma, _, running_mean, running_var = _check_forward(
        "batch_norm2d_backward", x, gamma, np.zeros(np.shape(gamma)), running_mean, running_var, training, 0.0, eps)
    dy = as_float_array(dy, "dy", "batch_norm2d_backward")
    require_shape(dy, x.shape, "dy", "batch_norm2d_backward", "the shape of x and y")
    dtype = common_float_dtype(x, gamma, dy)
    x, dy = np.ascontiguousarray(x, dtype), np.ascontiguousarray(dy, dtype)
    if training:
        mean, var = kernels.channel_mean_var(_maps(x))
    else:
        mean, var = running_mean.astype(np.float64), running_var.astype(np.float64)
    statistics = _Statistics(mean, 1.0 / np.sqrt(var + eps))
    return _backward(dy, x, gamma, statistics, training)


def _normalise(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    """``(y, _Statistics)`` for checked arguments; updates the running estimates in training."""
    dtype = common_float_dtype(x, gamma, beta)
    x = np.ascontiguousarray(x, dtype)
    if training:
        mean, var = kernels.channel_mean_var(_maps(x))
        if running_mean is not None:
            m = x.size // x.shape[1]
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += momentum * var * (m / (m - 1))  # the unbiased variance
    else:
        mean, var = running_mean.astype(np.float64), running_var.astype(np.float64)
    statistics = _Statistics(mean, 1.0 / np.sqrt(var + eps))
    y = np.empty_like(x)
    kernels.normalise(_maps(x), mean.astype(dtype), (gamma * statistics.inv_std).astype(dtype), beta.astype(dtype),
                      _maps(y))
    return y, statistics


def _backward(dy, x, gamma, statistics: _Statistics, training: bool):
    """``(dx, dgamma, dbeta)`` for C-contiguous ``dy``, ``x`` of one dtype and the forward's statistics."""
    mean, inv_std = statistics
    dtype = dy.dtype
    sum_dy, sum_dy_xhat = kernels.backward_sums(_maps(dy), _maps(x), mean, inv_std)
    dgamma, dbeta = sum_dy_xhat.astype(dtype), sum_dy.astype(dtype)
    scale = gamma.astype(np.float64) * inv_std
    if not training:  # the statistics are constants: y is an affine function of x
        return dy * scale.astype(dtype)[:, None, None], dgamma, dbeta
    # The compact formula gamma/sigma * (dy - sum(dy)/M - xhat * sum(dy xhat)/M), with xhat = (x - mean)/sigma,
    # is a*dy + b*(x - mean) + c0 per channel:
    m = x.size // x.shape[1]
    a, b, c0 = scale, -scale * inv_std * sum_dy_xhat / m, -scale * sum_dy / m
    dx = np.empty_like(dy)
    kernels.backward_dx(_maps(dy), _maps(x), mean.astype(dtype), a.astype(dtype), b.astype(dtype), c0.astype(dtype),
                        _maps(dx))
    return dx, dgamma, dbeta


def _maps(array: np.ndarray) -> np.ndarray:
    """A C-contiguous ``(N, C, H, W)`` array seen as ``(N, C, H*W)`` (no copy; writes go through)."""
    N, C, H, W = array.shape
    return array.reshape(N, C, H * W)


# --- the readable twins ----------------------------------------------------------------------------

def batch_norm2d_reference(x, gamma, beta, running_mean=None, running_var=None, training: bool = True,
                           momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
    """:func:`batch_norm2d` written out channel by channel, for reading (same arguments, same results)."""
    x, gamma, beta, running_mean, running_var = _check_forward(
        "batch_norm2d_reference", x, gamma, beta, running_mean, running_var, training, momentum, eps)
    dtype = common_float_dtype(x, gamma, beta)
    N, C, H, W = x.shape
    M = N * H * W                                   # how many values each channel has
    y = np.empty(x.shape, dtype)
    for c in range(C):
        values = x[:, c].astype(dtype)
        if training:
            mean = np.sum(values) / M
            var = np.sum((values - mean) ** 2) / M  # biased: this is what normalises
            if running_mean is not None:
                unbiased_var = np.sum((values - mean) ** 2) / (M - 1)
                running_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean
                running_var[c] = (1 - momentum) * running_var[c] + momentum * unbiased_var
        else:
            mean, var = running_mean[c], running_var[c]
        xhat = (values - mean) / math.sqrt(var + eps)
        y[:, c] = gamma[c] * xhat + beta[c]
    return y


def batch_norm2d_backward_reference(dy, x, gamma, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training-mode gradients ``(dx, dgamma, dbeta)`` by the chain rule, step by step, channel by channel.

    ``dy``, ``x`` ``(N, C, H, W)``, ``gamma`` ``(C,)``. Each channel's forward pass is the chain
    ``mean -> xmu = x - mean -> var -> sigma -> xhat = xmu / sigma -> y = gamma * xhat + beta``;
    the gradient goes back through every link, including those through ``mean`` and ``var``.
    """
    func = "batch_norm2d_backward_reference"
    x, gamma, dy = (as_float_array(a, name, func) for a, name in ((x, "x"), (gamma, "gamma"), (dy, "dy")))
    require_ndim(x, 4, "x", func, "(N, C, H, W)")
    require_shape(gamma, (x.shape[1],), "gamma", func, f"one per channel of x {x.shape}")
    require_shape(dy, x.shape, "dy", func, "the shape of x")
    dtype = common_float_dtype(x, gamma, dy)
    x, gamma, dy = x.astype(np.float64), gamma.astype(np.float64), dy.astype(np.float64)
    N, C, H, W = x.shape
    M = N * H * W
    dx, dgamma, dbeta = np.empty_like(x), np.empty(C), np.empty(C)
    for c in range(C):
        values, d = x[:, c], dy[:, c]
        mean = np.sum(values) / M
        xmu = values - mean
        var = np.sum(xmu ** 2) / M
        sigma = math.sqrt(var + eps)
        xhat = xmu / sigma

        dbeta[c] = np.sum(d)
        dgamma[c] = np.sum(d * xhat)
        dxhat = d * gamma[c]
        dsigma = np.sum(dxhat * xmu) * (-1 / sigma ** 2)          # xhat = xmu / sigma
        dvar = dsigma / (2 * sigma)                               # sigma = sqrt(var + eps)
        dxmu = dxhat / sigma + dvar * 2 * xmu / M                 # xmu reaches y directly and through var
        dmean = -np.sum(dxmu)                                     # xmu = x - mean
        dx[:, c] = dxmu + dmean / M                               # mean = sum(x) / M
    return dx.astype(dtype), dgamma.astype(dtype), dbeta.astype(dtype)


# --- checks ----------------------------------------------------------------------------------------

def _check_forward(func, x, gamma, beta, running_mean, running_var, training, momentum, eps):
    x = as_float_array(x, "x", func)
    require_ndim(x, 4, "x", func, "(N, C, H, W)")
    C = x.shape[1]
    gamma, beta = (as_float_array(a, name, func) for a, name in ((gamma, "gamma"), (beta, "beta")))
    for name, array in (("gamma", gamma), ("beta", beta)):
        require_shape(array, (C,), name, func, f"one per channel of x {x.shape}")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"{func}: training must be True or False; got {training!r}")
    if not (isinstance(momentum, (int, float)) and not isinstance(momentum, bool) and 0 <= momentum <= 1):
        raise ValueError(f"{func}: momentum must be a number in [0, 1]; got {momentum!r}")
    if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and eps > 0 and math.isfinite(eps)):
        raise ValueError(f"{func}: eps must be a finite number > 0; got {eps!r}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{func}: give both running_mean and running_var, or neither")
    if running_mean is not None:
        for name, array in (("running_mean", running_mean), ("running_var", running_var)):
            _check_running(func, name, array, C, x.shape)
    elif not training:
        raise ValueError(f"{func}: evaluation mode (training=False) normalises with the running statistics; "
                         f"pass running_mean and running_var, shape ({C},)")
    if training and x.size // max(C, 1) < 2:
        raise ValueError(f"{func}: training needs more than one value per channel to compute a variance; "
                         f"got x {x.shape} (N*H*W = {x.size // max(C, 1)})")
    return x, gamma, beta, running_mean, running_var


def _check_running(func, name, array, C, x_shape):
    if not (isinstance(array, np.ndarray) and array.dtype in FLOAT_DTYPES):
        what = f"{array.dtype} array" if isinstance(array, np.ndarray) else type(array).__name__
        raise TypeError(f"{func}: {name} must be a float32 or float64 NumPy array (it is updated in place in "
                        f"training); got {what}")
    require_shape(array, (C,), name, func, f"one per channel of x {x_shape}")
