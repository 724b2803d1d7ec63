"""Chapter 9 exercises: batch normalisation forward and backward, dropout forward and backward, and
the backward pass of a residual block.

* ``batch_norm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps)
  -> (y, running_mean, running_var)``: per-channel batch normalisation of ``x`` ``(N, C, H, W)``
  and the new running estimates, as new arrays (the package and PyTorch update them in place;
  the exercise returns them, so that nothing the caller passed is modified).
* ``batch_norm_backward(dy, x, gamma, eps) -> (dx, dgamma, dbeta)``: training mode, through the
  batch statistics (the chapter's compact formula).
* ``dropout_forward(x, p, training, seed) -> y``: inverted dropout whose mask is
  ``np.random.default_rng(seed).random(x.shape) >= p`` (a given draw, so that answers can be compared).
* ``dropout_backward(dy, mask, p) -> dx``.
* ``residual_block_backward(dy, x, w1, w2) -> (dx, dw1, dw2)`` for ``y = relu(F(x) + x)``, with
  ``F`` and its backward given (:func:`cnnbook.teaching.demos.deeper.branch_forward`, ``branch_backward``):
  the learner routes the gradient through the final ReLU and adds the shortcut's share.

Each mistake below is a small wrong implementation; a wrong answer that reproduces one is named.
"""

from __future__ import annotations

import numpy as np

from ...teaching.demos.deeper import branch_backward, branch_forward
from . import register
from .framework import Case, Mistake, Question

AXES = (0, 2, 3)   # a channel's values: every example, every position


# --- batch_norm_forward ----------------------------------------------------------------------------

def _bn_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5, *,
                axes=AXES, normalise_ddof=0, running_ddof=1, use_running_in_training=False,
                batch_in_eval=False, update=True, update_in_eval=False, momentum_backwards=False,
                eps_outside=False, swap_affine=False):
    """Batch normalisation with switches, each reproducing one learner's mistake (all off: the reference)."""
    if np.any(np.asarray(running_var) < 0):
        raise ValueError("a variance cannot be negative")
    shape = (1, -1, 1, 1)
    batch_mean = x.mean(axis=axes, keepdims=True)
    batch_var = x.var(axis=axes, keepdims=True, ddof=normalise_ddof)
    if (training and not use_running_in_training) or (not training and batch_in_eval):
        mean, var = batch_mean, batch_var
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    xhat = (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))
    g, b = (beta, gamma) if swap_affine else (gamma, beta)
    y = (g.reshape(shape) * xhat + b.reshape(shape)).astype(x.dtype)
    new_mean, new_var = running_mean.copy(), running_var.copy()
    if (training and update) or (not training and update_in_eval):
        stat_mean = x.mean(axis=AXES)
        stat_var = x.var(axis=AXES, ddof=running_ddof)
        keep, take = (momentum, 1 - momentum) if momentum_backwards else (1 - momentum, momentum)
        new_mean = (keep * running_mean + take * stat_mean).astype(running_mean.dtype)
        new_var = (keep * running_var + take * stat_var).astype(running_var.dtype)
    return y, new_mean, new_var


def _batch_norm_forward_reference(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return _bn_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps)


def _bn_mistake(**switches):
    def wrong(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        return _bn_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps, **switches)
    return wrong


def _bn_forward_cases():
    rng = np.random.default_rng(90)

    def arrays(shape, dtype=np.float64):
        C = shape[1]
        x = (3 + 2 * rng.normal(size=shape)).astype(dtype)
        return (x, (1 + 0.5 * rng.normal(size=C)).astype(dtype), rng.normal(size=C).astype(dtype),
                rng.normal(size=C).astype(dtype), (0.5 + rng.random(C)).astype(dtype))

    small = np.array([[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0], [7.0, 8.0]]]])        # (2, 1, 2, 2)
    return [
        Case("a hand-sized batch: x (2, 1, 2, 2) holding 1..8, gamma 1, beta 0, running statistics 0 and 1",
             (small, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1), True)),
        Case("training, x (4, 3, 5, 5), away from mean 0 and variance 1",
             arrays((4, 3, 5, 5)) + (True,)),
        Case("training with only M = N*H*W = 2 values per channel (x (2, 2, 1, 1)): biased and unbiased "
             "variance differ by a factor of 2", arrays((2, 2, 1, 1)) + (True,)),
        Case("evaluation mode (training=False): the running statistics normalise, and stay as they are",
             arrays((3, 2, 4, 4)) + (False,)),
        Case("training, non-square maps (2, 3, 3, 6), momentum 0.3",
             arrays((2, 3, 3, 6)) + (True,), {"momentum": 0.3}),
        Case("float32 stays float32 (training, x (5, 2, 3, 3))", arrays((5, 2, 3, 3), np.float32) + (True,)),
        Case("evaluation of a single example (N = 1), eps 1e-3", arrays((1, 3, 2, 2)) + (False,), {"eps": 1e-3}),
    ]


register(Question(
    name="batch_norm_forward",
    function="batch_norm_forward",
    chapter=9,
    forbidden=("cnnbook.batchnorm.batch_norm2d", "cnnbook.batchnorm.batch_norm2d_reference",
               "cnnbook.batchnorm._normalise", "cnnbook.nn.batchnorm.BatchNorm2d._forward"),
    reference=_batch_norm_forward_reference,
    cases=_bn_forward_cases,
    output_names=("y", "running_mean", "running_var"),
    rtol=1e-5,
    atol=1e-6,
    mistakes=(
        Mistake("the normalisation uses the unbiased variance (divided by M - 1): the forward pass divides the sum "
                "of squares by M = N*H*W, the biased variance, as PyTorch does; only the running estimate uses M - 1",
                _bn_mistake(normalise_ddof=1)),
        Mistake("the running statistics are used in training: in training mode normalise with the batch's own mean "
                "and variance (and move the running estimates toward them); the running ones are for evaluation",
                _bn_mistake(use_running_in_training=True)),
        Mistake("evaluation mode normalises with the batch's statistics: with training=False use running_mean and "
                "running_var, so that an example's output does not depend on the rest of the batch",
                _bn_mistake(batch_in_eval=True)),
        Mistake("the running variance is updated with the biased variance: PyTorch's running estimate uses the "
                "unbiased one, sum((x - mean)**2) / (M - 1)", _bn_mistake(running_ddof=0)),
        Mistake("the momentum is applied the wrong way round: running = (1 - momentum) * running + momentum * batch "
                "(PyTorch's convention: momentum is the weight of the NEW statistic)",
                _bn_mistake(momentum_backwards=True)),
        Mistake("the running statistics are not updated in training: running = (1 - momentum) * running + "
                "momentum * batch statistic", _bn_mistake(update=False)),
        Mistake("the running statistics change in evaluation mode: with training=False return them unchanged",
                _bn_mistake(batch_in_eval=False, update_in_eval=True)),
        Mistake("the statistics are taken per example (over H and W only, axes (2, 3)): batch normalisation "
                "averages each channel over the batch AND the positions, axes (0, 2, 3)", _bn_mistake(axes=(2, 3))),
        Mistake("the statistics are taken over the batch axis only (one mean per channel AND position): for "
                "feature maps each channel shares one mean over axes (0, 2, 3)", _bn_mistake(axes=(0,))),
        Mistake("the statistics mix the channels (taken over every axis): each channel has its own mean and "
                "variance, over axes (0, 2, 3)", _bn_mistake(axes=(0, 1, 2, 3))),
        Mistake("eps is added outside the square root: xhat = (x - mean) / sqrt(var + eps)",
                _bn_mistake(eps_outside=True)),
        Mistake("gamma and beta are swapped: y = gamma * xhat + beta (gamma scales, beta shifts)",
                _bn_mistake(swap_affine=True)),
    ),
))


# --- batch_norm_backward ---------------------------------------------------------------------------

def _bn_backward(dy, x, gamma, eps=1e-5, *, axes=AXES, ddof=0, path="full", m_from="axes", xhat_in_dgamma=True,
                 gamma_in_dx=True, param_axes=AXES):
    """The training-mode backward pass with switches for the learners' mistakes (defaults: the reference)."""
    shape = (1, -1, 1, 1)
    M = np.prod([x.shape[a] for a in axes]) if m_from == "axes" else x.shape[0]
    mean = x.mean(axis=axes, keepdims=True)
    sigma = np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + eps)
    xhat = (x - mean) / sigma
    g = gamma.reshape(shape) if gamma_in_dx else 1.0
    sum_dy = dy.sum(axis=axes, keepdims=True)
    sum_dy_xhat = (dy * xhat).sum(axis=axes, keepdims=True)
    inner = {"full": M * dy - sum_dy - xhat * sum_dy_xhat,
             "constants": M * dy,
             "mean only": M * dy - sum_dy,
             "variance only": M * dy - xhat * sum_dy_xhat}[path]
    dx = (g / (M * sigma) * inner).astype(x.dtype)
    dgamma = (dy * (xhat if xhat_in_dgamma else x)).sum(axis=param_axes).astype(x.dtype)
    dbeta = dy.sum(axis=param_axes).astype(x.dtype)
    return dx, dgamma, dbeta


def _batch_norm_backward_reference(dy, x, gamma, eps=1e-5):
    return _bn_backward(dy, x, gamma, eps)


def _bn_backward_mistake(**switches):
    return lambda dy, x, gamma, eps=1e-5: _bn_backward(dy, x, gamma, eps, **switches)


def _bn_backward_cases():
    rng = np.random.default_rng(91)

    def case(name, shape, dtype=np.float64, **kwargs):
        C = shape[1]
        x = (2 + 3 * rng.normal(size=shape)).astype(dtype)
        args = (rng.normal(size=shape).astype(dtype), x, (1 + 0.5 * rng.normal(size=C)).astype(dtype))
        return Case(f"{name}: x {shape}", args, kwargs)

    return [
        case("a small batch", (2, 2, 3, 3)),
        case("more channels, non-square maps", (3, 4, 2, 5)),
        case("one example (N = 1): the statistics run over its positions", (1, 3, 4, 4)),
        case("1x1 maps (a dense layer's batch norm: M = N)", (6, 3, 1, 1)),
        case("float32 stays float32", (4, 2, 3, 3), np.float32),
        case("eps 0.1 (it matters when a channel's variance is small)", (3, 2, 2, 2), eps=0.1),
    ]


register(Question(
    name="batch_norm_backward",
    function="batch_norm_backward",
    chapter=9,
    forbidden=("cnnbook.batchnorm.batch_norm2d_backward", "cnnbook.batchnorm.batch_norm2d_backward_reference",
               "cnnbook.batchnorm._backward", "cnnbook.nn.batchnorm.BatchNorm2d._backward"),
    reference=_batch_norm_backward_reference,
    cases=_bn_backward_cases,
    output_names=("dx", "dgamma", "dbeta"),
    rtol=1e-4,
    atol=1e-6,
    mistakes=(
        Mistake("dx treats the batch mean and variance as constants (dx = gamma * dy / sigma): in training they "
                "depend on every x of the channel, and the gradient flows through them too: "
                "dx = gamma / (M sigma) * (M dy - sum(dy) - xhat * sum(dy * xhat))",
                _bn_backward_mistake(path="constants")),
        Mistake("dx goes through the batch mean but not through the variance: the term - xhat * sum(dy * xhat) is "
                "missing", _bn_backward_mistake(path="mean only")),
        Mistake("dx goes through the variance but not through the batch mean: the term - sum(dy) is missing",
                _bn_backward_mistake(path="variance only")),
        Mistake("M is the batch size N: for feature maps each channel's statistics run over M = N*H*W values, "
                "so M = N*H*W in the formula", _bn_backward_mistake(m_from="batch")),
        Mistake("sigma uses the unbiased variance (divided by M - 1): the forward pass normalised with the biased "
                "one, sum((x - mean)**2) / M", _bn_backward_mistake(ddof=1)),
        Mistake("the statistics are taken per example (axes (2, 3)): batch normalisation's mean and variance run "
                "over axes (0, 2, 3), and so do the sums of the backward pass", _bn_backward_mistake(axes=(2, 3))),
        Mistake("dgamma multiplies dy by x instead of xhat: y = gamma * xhat + beta, so dgamma = sum(dy * xhat)",
                _bn_backward_mistake(xhat_in_dgamma=False)),
        Mistake("dx lacks the factor gamma: y = gamma * xhat + beta, so dxhat = gamma * dy",
                _bn_backward_mistake(gamma_in_dx=False)),
        Mistake("dgamma and dbeta are summed over the batch only: each is one number per channel, summed over "
                "axes (0, 2, 3)", _bn_backward_mistake(param_axes=(0,))),
    ),
))


# --- dropout_forward -------------------------------------------------------------------------------

def _dropout(x, p, training, seed, *, keep="u >= p", scale="1/(1-p)", at_test="identity"):
    """Inverted dropout with the mask ``np.random.default_rng(seed).random(x.shape) >= p``; switches for mistakes."""
    if not 0 <= p < 1:
        raise ValueError("p must lie in [0, 1)")
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = {"1/(1-p)": 1 / (1 - p), "none": 1.0, "1/p": 1 / p if p else np.inf, "(1-p)": 1 - p}
        if not training:
            return {"identity": x, "times (1-p)": x * (1 - p), "over (1-p)": x / (1 - p),
                    "dropped": _dropout(x, p, True, seed)}[at_test].astype(x.dtype)
        u = np.random.default_rng(seed).random(x.shape)
        mask = {"u >= p": u >= p, "u < p": u < p, "u < 1-p": u < 1 - p}[keep]
        return (x * mask * factor[scale]).astype(x.dtype)


def _dropout_forward_reference(x, p, training, seed):
    return _dropout(x, p, training, seed)


def _dropout_mistake(**switches):
    return lambda x, p, training, seed: _dropout(x, p, training, seed, **switches)


def _dropout_cases():
    rng = np.random.default_rng(92)
    return [
        Case("training, p = 0.5, x (2, 3, 4, 4)", (rng.normal(size=(2, 3, 4, 4)), 0.5, True, 0)),
        Case("training, p = 0.2, a dense layer's (8, 10)", (rng.normal(size=(8, 10)), 0.2, True, 1)),
        Case("training, p = 0.8 (most values dropped)", (rng.normal(size=(4, 6)), 0.8, True, 2)),
        Case("evaluation (training=False), p = 0.5", (rng.normal(size=(3, 5)), 0.5, False, 3)),
        Case("evaluation, p = 0.3, x (2, 2, 3, 3)", (rng.normal(size=(2, 2, 3, 3)), 0.3, False, 4)),
        Case("training, p = 0: nothing is dropped", (rng.normal(size=(2, 4)), 0.0, True, 5)),
        Case("float32 stays float32 (training, p = 0.25)", (rng.normal(size=(3, 4)).astype(np.float32), 0.25, True, 6)),
    ]


register(Question(
    name="dropout_forward",
    function="dropout_forward",
    chapter=9,
    forbidden=("cnnbook.dropout.dropout", "cnnbook.nn.dropout.Dropout._forward"),
    reference=_dropout_forward_reference,
    cases=_dropout_cases,
    rtol=1e-6,
    atol=1e-7,
    mistakes=(
        Mistake("the kept values are not scaled: inverted dropout divides them by 1 - p in training, so that the "
                "expected output equals the input and nothing changes at test time", _dropout_mistake(scale="none")),
        Mistake("the output is scaled at test time (multiplied by 1 - p): with inverted dropout the scaling already "
                "happened in training; in evaluation mode return x unchanged",
                _dropout_mistake(at_test="times (1-p)")),
        Mistake("the output is scaled at test time (divided by 1 - p): in evaluation mode inverted dropout is the "
                "identity, y = x", _dropout_mistake(at_test="over (1-p)")),
        Mistake("dropout is applied in evaluation mode: with training=False nothing is dropped, y = x",
                _dropout_mistake(at_test="dropped")),
        Mistake("p is used as the probability of KEEPING a value: here (as in PyTorch) p is the probability of "
                "dropping it, so keep where u >= p and divide by 1 - p", _dropout_mistake(keep="u < p", scale="1/p")),
        Mistake("the kept values are divided by p: divide by the keep probability 1 - p",
                _dropout_mistake(scale="1/p")),
        Mistake("the kept values are multiplied by 1 - p: divide by it instead (multiplying shrinks the expected "
                "output to (1 - p)**2 x)", _dropout_mistake(scale="(1-p)")),
        Mistake("the mask is drawn as u < 1 - p: the same probability, but not the draw this exercise fixes; keep "
                "exactly np.random.default_rng(seed).random(x.shape) >= p", _dropout_mistake(keep="u < 1-p")),
    ),
))


# --- dropout_backward ------------------------------------------------------------------------------

def _dropout_backward_reference(dy, mask, p):
    if not 0 <= p < 1:
        raise ValueError("p must lie in [0, 1)")
    return (dy * mask / (1 - p)).astype(dy.dtype)


def _dropout_backward_cases():
    rng = np.random.default_rng(93)

    def case(name, shape, p, dtype=np.float64):
        mask = rng.random(shape) >= p
        return Case(f"{name}: dy {shape}, p = {p}", (rng.normal(size=shape).astype(dtype), mask, p))

    return [case("feature maps", (2, 3, 4, 4), 0.5), case("a dense layer's output", (8, 10), 0.2),
            case("most values dropped", (4, 6), 0.8), case("nothing dropped (p = 0)", (3, 3), 0.0),
            case("float32 stays float32", (3, 5), 0.25, np.float32)]


register(Question(
    name="dropout_backward",
    function="dropout_backward",
    chapter=9,
    forbidden=("cnnbook.dropout.dropout_backward", "cnnbook.nn.dropout.Dropout._backward"),
    reference=_dropout_backward_reference,
    cases=_dropout_backward_cases,
    rtol=1e-6,
    atol=1e-7,
    mistakes=(
        Mistake("the gradient is not scaled: the forward pass multiplied the kept values by 1 / (1 - p), so the "
                "gradient is dy * mask / (1 - p)", lambda dy, mask, p: dy * mask),
        Mistake("the mask is not applied: a dropped value did not reach the output, so its gradient is 0",
                lambda dy, mask, p: (dy / (1 - p)).astype(dy.dtype)),
        Mistake("the mask is inverted: mask is True where the value was KEPT, and only those get a gradient",
                lambda dy, mask, p: (dy * ~mask / (1 - p)).astype(dy.dtype)),
        Mistake("the gradient is divided by p: divide by the keep probability 1 - p",
                lambda dy, mask, p: (dy * mask / p).astype(dy.dtype)),
    ),
))


# --- residual_block_backward -----------------------------------------------------------------------

def _residual_backward(dy, x, w1, w2, *, relu_from="sum", shortcut="ds", branch="ds"):
    """``y = relu(F(x) + x)``'s backward pass, with switches for the learners' mistakes (defaults: the reference)."""
    f = branch_forward(x, w1, w2)
    gate = {"sum": f + x, "branch": f, "none": None}[relu_from]
    ds = dy if gate is None else dy * (gate > 0)
    dx_branch, dw1, dw2 = branch_backward(ds if branch == "ds" else dy, x, w1, w2)
    extra = {"ds": ds, "dy": dy, "none": 0}[shortcut]
    return dx_branch + extra, dw1, dw2


def _residual_block_backward_reference(dy, x, w1, w2):
    return _residual_backward(dy, x, w1, w2)


def _residual_cases():
    rng = np.random.default_rng(94)

    def case(name, N, C, H, W):
        x = rng.normal(size=(N, C, H, W))
        w1, w2 = (rng.normal(size=(C, C, 3, 3)) / np.sqrt(9 * C) for _ in range(2))
        return Case(f"{name}: x {(N, C, H, W)}, w1 and w2 {(C, C, 3, 3)}", (rng.normal(size=x.shape), x, w1, w2))

    return [case("one channel, one example", 1, 1, 4, 4), case("a batch with channels", 2, 3, 5, 5),
            case("non-square maps", 2, 2, 3, 6), case("four channels", 1, 4, 4, 4)]


register(Question(
    name="residual_block_backward",
    function="residual_block_backward",
    chapter=9,
    forbidden=("cnnbook.nn.residual.Residual._backward", "cnnbook.teaching.demos.deeper.Block._backward"),
    reference=_residual_block_backward_reference,
    cases=_residual_cases,
    output_names=("dx", "dw1", "dw2"),
    rtol=1e-6,
    atol=1e-8,
    mistakes=(
        Mistake("the shortcut's gradient is not added: y = relu(F(x) + x) uses x twice (through F and directly), so "
                "dx = (what comes back through F) + ds, with ds the gradient of the sum",
                lambda *a: _residual_backward(*a, shortcut="none")),
        Mistake("the shortcut gets dy instead of the gradient of the sum: the ReLU after the sum stands between "
                "them, ds = dy * (F(x) + x > 0), and both branches receive ds",
                lambda *a: _residual_backward(*a, shortcut="dy")),
        Mistake("the ReLU after the sum is ignored: ds = dy * (F(x) + x > 0) is what both the branch and the "
                "shortcut receive", lambda *a: _residual_backward(*a, relu_from="none")),
        Mistake("the ReLU's mask is taken from the branch's output F(x): the ReLU acts on the sum F(x) + x",
                lambda *a: _residual_backward(*a, relu_from="branch")),
        Mistake("the branch gets dy instead of the gradient of the sum ds = dy * (F(x) + x > 0)",
                lambda *a: _residual_backward(*a, branch="dy")),
    ),
))
