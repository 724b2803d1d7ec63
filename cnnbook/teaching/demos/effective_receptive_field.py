"""Chapter 2's effective receptive field: inside the receptive field, which pixels matter most.

A unit on top of a stack of stride-1 layers depends on every pixel of its receptive field,
but not equally. For a linear stack the input gradient of the unit is a sum over the paths
of connections from each pixel up to the unit, one product of weights per path:

* :func:`path_counts_1d` and :func:`path_counts` count those paths (exact integers); with
  every weight equal to 1 the gradient *is* the path count;
* :func:`stack_input_gradient` backpropagates one top unit to the input through a stack of
  ``cnnbook.conv2d`` layers (linear, tanh or ReLU), the measurement;
* :func:`mean_input_gradient` averages ``|gradient| ** power`` over random stacks and inputs;
* :func:`central_share` and :func:`central_width` summarise how concentrated a map or a
  profile is.

Shapes are NCHW as everywhere in the book; every stack here has stride 1 and no padding,
and its input is just large enough for the top layer to be one unit.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..._parallel import num_threads
from ..._validation import _is_int, as_float_array
from ...activations import relu_backward, tanh_backward
from ...conv import conv2d, conv2d_backward

ACTIVATIONS = ("linear", "tanh", "relu")
INT64_MAX = np.iinfo(np.int64).max


def path_counts_1d(depth: int, kernel: int = 3) -> np.ndarray:
    """Paths from each input pixel up to one unit, along one axis, through ``depth`` stride-1 layers.

    Returns an int64 array of length ``depth * (kernel - 1) + 1`` (the receptive field): entry
    ``u`` is the number of ways to pick one kernel offset per layer that add up to ``u``, i.e. the
    coefficients of ``(1 + z + ... + z**(kernel - 1)) ** depth``. They add up to ``kernel ** depth``.

    >>> path_counts_1d(2).tolist()
    [1, 2, 3, 2, 1]
    """
    _check_depth_kernel("path_counts_1d", depth, kernel)
    if kernel ** depth > INT64_MAX:
        raise ValueError(f"path_counts_1d: kernel ** depth = {kernel}**{depth} paths overflow int64")
    counts = np.ones(1, dtype=np.int64)
    for _ in range(depth):
        counts = np.convolve(counts, np.ones(kernel, dtype=np.int64))  # one more layer: one more offset
    return counts


def path_counts(depth: int, kernel: int = 3) -> np.ndarray:
    """Paths from each input pixel up to one unit of a stack of ``depth`` stride-1 ``kernel x kernel`` layers.

    One channel per layer. Returns an int64 array ``(F, F)`` with ``F = depth * (kernel - 1) + 1``:
    a path picks a row offset and a column offset in every layer, so the count factorises into
    the outer product of :func:`path_counts_1d` with itself. The entries add up to ``kernel ** (2 * depth)``.

    >>> path_counts(1).tolist()
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """
    _check_depth_kernel("path_counts", depth, kernel)
    if kernel ** (2 * depth) > INT64_MAX:
        raise ValueError(f"path_counts: kernel ** (2 * depth) = {kernel}**{2 * depth} paths overflow int64")
    line = path_counts_1d(depth, kernel)
    return np.outer(line, line)


def stack_input_gradient(x, weights, activation: str = "tanh") -> np.ndarray:
    """The gradient of one top unit with respect to the input, through a stack of stride-1 conv layers.

    ``x`` ``(N, C, H, W)``; ``weights`` a list of ``(K_l, C_l, R_l, S_l)`` arrays, layer 1 first, each
    followed by ``activation`` (``"linear"``, ``"tanh"`` or ``"relu"``); no bias, no padding. The input
    must be just large enough for the top layer to be ``1 x 1``. The unit is map 0 of the top layer,
    for every image of the batch. Returns ``dx`` ``(N, C, H, W)``: ``dx[n]`` is the gradient of image
    ``n``'s unit with respect to image ``n``'s input.
    """
    func = "stack_input_gradient"
    if activation not in ACTIVATIONS:
        raise ValueError(f"{func}: activation must be one of {ACTIVATIONS}; got {activation!r}")
    x = as_float_array(x, "x", func)
    inputs, pre_activations, h = [], [], x
    for w in weights:
        inputs.append(h)
        z = conv2d(h, w)
        pre_activations.append(z)
        h = {"linear": z, "tanh": np.tanh(z), "relu": np.maximum(z, 0.0)}[activation]
    if h.shape[2:] != (1, 1):
        raise ValueError(f"{func}: the top layer must be 1 x 1 for the gradient of one unit; x {x.shape} "
                         f"through {len(weights)} layers gives {h.shape[2]} x {h.shape[3]}")
    grad = np.zeros_like(h)
    grad[:, 0] = 1.0  # d(unit)/d(unit) = 1; every other top unit gets 0
    for w, h_in, z in zip(reversed(weights), reversed(inputs), reversed(pre_activations)):
        if activation == "tanh":
            grad = tanh_backward(grad, z)
        elif activation == "relu":
            grad = relu_backward(grad, z)
        grad, _, _ = conv2d_backward(grad, h_in, w)
    return grad


def mean_input_gradient(depth: int, channels: int = 4, trials: int = 16, activation: str = "tanh",
                        power: int = 1, kernel: int = 3, seed: int = 0) -> np.ndarray:
    """``|gradient| ** power`` of one top unit, summed over input channels, averaged over random stacks.

    Each trial draws a stack of ``depth`` stride-1 ``kernel x kernel`` layers (one input channel,
    ``channels`` maps in every layer) with weights from a normal distribution of variance
    ``1 / (fan-in)`` and an input of standard normal pixels, ``(1, 1, F, F)`` with
    ``F = depth * (kernel - 1) + 1``, and measures :func:`stack_input_gradient`. Returns the
    ``(F, F)`` average, scaled to add up to 1 (a distribution of the unit's sensitivity over its
    receptive field). Deterministic for a given ``seed``.
    """
    func = "mean_input_gradient"
    _check_depth_kernel(func, depth, kernel)
    for name, value in (("channels", channels), ("trials", trials), ("power", power)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"{func}: {name} must be an int >= 1; got {value!r}")
    rng = np.random.default_rng(seed)
    side = depth * (kernel - 1) + 1
    total = np.zeros((side, side))
    with _one_thread():
        for _ in range(trials):
            weights = [rng.normal(scale=1 / np.sqrt(c_in * kernel * kernel), size=(channels, c_in, kernel, kernel))
                       for c_in in [1] + [channels] * (depth - 1)]
            x = rng.normal(size=(1, 1, side, side))
            total += np.abs(stack_input_gradient(x, weights, activation)[0, 0]) ** power
    if total.sum() == 0:  # possible only when every draw left the unit with a zero gradient (ReLU)
        raise ValueError(f"{func}: every draw gave a zero gradient; use more trials or another seed")
    return total / total.sum()


@contextmanager
def _one_thread():
    """Run numba's parallel kernels on one thread, then restore the thread count.

    The layers here are tiny (a few hundred pixels): waking the thread pool for each of the
    thousands of calls costs more than the work, and much more on a busy machine.
    """
    with num_threads(1):
        yield


def central_share(grid, side: int) -> float:
    """The share of ``grid``'s total held by the centred ``side x side`` block (``grid`` square, odd sides)."""
    grid = as_float_array(grid, "grid", "central_share")
    n = grid.shape[0]
    if grid.ndim != 2 or grid.shape[1] != n or n % 2 == 0:
        raise ValueError(f"central_share: grid must be square with an odd side; got shape {grid.shape}")
    if not _is_int(side) or side < 1 or side % 2 == 0 or side > n:
        raise ValueError(f"central_share: side must be an odd int in 1..{n}; got {side!r}")
    lo = (n - side) // 2
    return float(grid[lo:lo + side, lo:lo + side].sum() / grid.sum())


def central_width(profile, fraction: float) -> int:
    """The narrowest centred window (an odd number of entries) of ``profile`` holding ``fraction`` of its total.

    ``profile`` is 1-D of odd length and non-negative; ``0 < fraction <= 1``.

    >>> central_width([1, 2, 3, 2, 1], 0.7)
    3
    """
    profile = as_float_array(profile, "profile", "central_width")
    n = len(profile)
    if profile.ndim != 1 or n % 2 == 0 or np.any(profile < 0):
        raise ValueError(f"central_width: profile must be 1-D, non-negative, of odd length; got shape {profile.shape}")
    if not 0 < fraction <= 1:
        raise ValueError(f"central_width: fraction must be in (0, 1]; got {fraction!r}")
    centre, total = n // 2, profile.sum()
    for half in range(centre + 1):
        if profile[centre - half:centre + half + 1].sum() >= fraction * total * (1 - 1e-12):
            return 2 * half + 1
    return n  # unreachable: the whole profile holds all of it


def _check_depth_kernel(func: str, depth, kernel) -> None:
    if not _is_int(depth) or depth < 1:
        raise ValueError(f"{func}: depth must be an int >= 1; got {depth!r}")
    if not _is_int(kernel) or kernel < 1:
        raise ValueError(f"{func}: kernel must be an int >= 1; got {kernel!r}")
