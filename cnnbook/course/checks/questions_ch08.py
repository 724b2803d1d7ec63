"""Chapter 8 exercises: the loss, a dense layer's backward pass, one Adam step, and the whole LeNet, assembled and trained.

Five questions:

* ``cross_entropy(logits, labels) -> (loss, dlogits)``: the mean softmax cross-entropy of logits
  ``(N, K)`` against integer labels ``(N,)`` and its gradient ``(softmax - onehot) / N``, stable
  for huge logits.
* ``linear_backward(dy, x, w) -> (dx, dw, db)``: the backward pass of ``y = x @ w.T + b``.
* ``adam_step(w, g, m, v, t, lr, beta1, beta2, eps) -> (w, m, v)``: one step of Adam (Kingma and Ba,
  2015) for a weight array ``w`` with gradient ``g`` and running moments ``m``, ``v`` (all of one
  shape), at step number ``t`` (1 for the first step); new arrays, the inputs left alone.
* ``lenet_architecture(seed)`` and ``lenet_accuracy(seed)``: the learner writes
  ``build_lenet(rng) -> Sequential``.

Why the last two questions check wrappers rather than ``build_lenet`` itself. The checker compares
what a function *returns* with a reference, and the grader moves results out of the learner's
kernel as JSON (arrays, numbers, strings, tuples), never as live objects. A model is none of
these. So the exercise notebook gives two small wrapper functions around the learner's
``build_lenet`` (outside the solution blocks):

* ``lenet_architecture(seed)`` returns :func:`cnnbook.teaching.demos.lenet.architecture_rows` of the
  model as a tuple: one string per layer with the layer (its ``repr``, which shows its sizes), the
  shapes in and out for a batch of two 8x8 digits, and its parameter count; a layer that refuses
  its input ends the tuple with the layer's own error. The reference is the same description of
  the package's :func:`~cnnbook.teaching.demos.lenet.build_lenet`, so layer types, order, sizes and
  parameter counts are all verified, and each wrong layer is pointed at ("layer 7 is ...").
  The known mistakes (no Flatten, a wrong ``in_features``, no ReLU, convolutions without
  padding, a missing pooling layer) are wrong models whose descriptions are compared with the
  learner's, as every diagnosis in the book is.
* ``lenet_accuracy(seed)`` trains the learner's model briefly in the learner's kernel with a fixed
  recipe (:func:`cnnbook.teaching.demos.lenet.quick_accuracy`: 3 epochs over the shifted training digits of
  chapter 8's split, about a second) and returns a verdict string, ``"at least 90% validation
  accuracy"`` or ``"73.1% validation accuracy, below the 90% required"``. A verdict rather than the
  accuracy itself, because a correct model's accuracy depends on how its author drew the random
  weights, so there is no single right number to compare with; the reference returns the passing
  verdict. It measures the 360 *validation* digits, not the test digits: a learner reruns the check
  while fixing a model, and a set that decides when to stop fixing is a set used for choosing, which
  is the validation set's job (chapter 8). The test digits stay unseen.

The wrappers are given code (cell ``c010`` of the exercise): ``cnnbook grade`` runs the exercise's own copy
after the notebook, so a rewritten wrapper counts for nothing, and neither question may call the package's
``build_lenet``. ``lenet_accuracy`` has no hidden cases: its one case trains a whole network.
"""

from __future__ import annotations

import numpy as np

from ...teaching.demos.lenet import PASSING_VERDICT, architecture_rows, build_lenet
from ...nn.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from . import register
from .framework import Case, Mistake, Question

# --- cross_entropy(logits, labels) -> (loss, dlogits) ---------------------------------------------


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _onehot(labels, k, dtype):
    out = np.zeros((len(labels), k), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


def _cross_entropy_reference(logits, labels):
    z = np.asarray(logits)
    shifted = z - z.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    loss = float(-logp[np.arange(n), labels].mean())
    return loss, ((np.exp(logp) - _onehot(labels, z.shape[1], z.dtype)) / n).astype(z.dtype)


def _ce_from_probabilities(p, labels, z, divide=True, subtract=True, sign=1.0):
    n = len(labels) if divide else 1
    loss = float(-np.log(p[np.arange(len(labels)), labels]).sum() / n)
    grad = p - _onehot(labels, z.shape[1], z.dtype) if subtract else p
    return loss, (sign * grad / n).astype(z.dtype)


def _ce_mistake(kind):
    def wrong(logits, labels):
        z = np.asarray(logits)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if kind == "unstable":
                e = np.exp(z)
                return _ce_from_probabilities(e / e.sum(axis=1, keepdims=True), labels, z)
            if kind == "unstable logsumexp":
                n = len(labels)
                e = np.exp(z)
                loss = float(-(z - np.log(e.sum(axis=1, keepdims=True)))[np.arange(n), labels].mean())
                p = e / e.sum(axis=1, keepdims=True)
                return loss, ((p - _onehot(labels, z.shape[1], z.dtype)) / n).astype(z.dtype)
            if kind == "log of softmax":
                return _ce_from_probabilities(_softmax(z), labels, z)
            if kind == "twice":
                return _ce_from_probabilities(_softmax(_softmax(z)), labels, z)
            if kind == "sum":
                return _ce_from_probabilities(_softmax(z), labels, z, divide=False)
            if kind == "no onehot":
                return _ce_from_probabilities(_softmax(z), labels, z, subtract=False)
            if kind == "sign":
                return _ce_from_probabilities(_softmax(z), labels, z, sign=-1.0)
            if kind == "probabilities":   # -log of the raw scores, as if they were probabilities
                n = len(labels)
                loss = float(-np.log(z[np.arange(n), labels]).mean())
                return loss, ((_softmax(z) - _onehot(labels, z.shape[1], z.dtype)) / n).astype(z.dtype)
        raise AssertionError(kind)
    return wrong


def _cross_entropy_cases():
    rng = np.random.default_rng(80)
    return [
        Case("the chapter's example: logits [[2, 1, 0.1]], label 0", (np.array([[2.0, 1.0, 0.1]]), np.array([0]))),
        Case("a batch of 5, 10 classes", (rng.normal(size=(5, 10)), rng.integers(0, 10, size=5))),
        Case("positive scores that sum to 1 in each row (they are still logits)",
             (np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]), np.array([1, 2]))),
        Case("huge logits (exp overflows without the max shift)",
             (np.array([[1000.0, 0.0, -1000.0], [10.0, 800.0, 20.0]]), np.array([0, 2]))),
        Case("float32 logits stay float32", (rng.normal(size=(4, 3)).astype(np.float32), np.array([2, 0, 1, 1]))),
    ]


register(Question(
    name="cross_entropy",
    function="cross_entropy",
    chapter=8,
    forbidden=("cnnbook.nn.losses.softmax_cross_entropy",),
    reference=_cross_entropy_reference,
    cases=_cross_entropy_cases,
    output_names=("loss", "dlogits"),
    rtol=1e-5,
    atol=1e-7,
    mistakes=(
        Mistake("the loss is log(softmax(z)) computed in two steps: a probability below about 1e-308 rounds to 0, "
                "and log(0) = -inf; compute log softmax directly, shifted - log(sum(exp(shifted))) with "
                "shifted = z - max(z)", _ce_mistake("log of softmax")),
        Mistake("exp(z) overflows for large logits: subtract each row's maximum first, "
                "softmax(z) = softmax(z - max(z)) and log-sum-exp(z) = m + log sum exp(z - m)", _ce_mistake("unstable")),
        Mistake("exp(z) overflows for large logits: subtract each row's maximum first, "
                "softmax(z) = softmax(z - max(z)) and log-sum-exp(z) = m + log sum exp(z - m)",
                _ce_mistake("unstable logsumexp")),
        Mistake("softmax was applied twice (a softmax layer at the end of the network and again in the loss): the loss "
                "takes the raw logits and applies softmax once itself", _ce_mistake("twice")),
        Mistake("the loss is -log of the logits themselves, as if they were probabilities: apply softmax first, "
                "loss = logsumexp(z) - z[label]", _ce_mistake("probabilities")),
        Mistake("the loss and the gradient are summed over the batch instead of averaged: divide both by N",
                _ce_mistake("sum")),
        Mistake("the one-hot label is not subtracted: dloss/dz_k = softmax(z)_k - [k == label]", _ce_mistake("no onehot")),
        Mistake("the gradient has the wrong sign: it is softmax(z) - onehot(label), which points uphill, "
                "and the optimiser subtracts it", _ce_mistake("sign")),
    ),
))

# --- linear_backward(dy, x, w) -> (dx, dw, db) -----------------------------------------------------


def _linear_backward_reference(dy, x, w):
    return dy @ w, dy.T @ x, dy.sum(axis=0)


def _linear_cases():
    rng = np.random.default_rng(81)
    cases = []
    for name, n, i, o in [("a batch of 4, 5 features in, 3 out", 4, 5, 3),
                          ("one example (N = 1)", 1, 6, 2),
                          ("LeNet's first dense layer: 128 in, 64 out, batch 32", 32, 128, 64),
                          ("as many inputs as outputs (a transposed w still fits)", 3, 4, 4)]:
        cases.append(Case(f"{name}: dy {(n, o)}, x {(n, i)}, w {(o, i)}",
                          (rng.normal(size=(n, o)), rng.normal(size=(n, i)), rng.normal(size=(o, i)))))
    return cases


register(Question(
    name="linear_backward",
    function="linear_backward",
    chapter=8,
    forbidden=("cnnbook.nn.layers.Linear._backward", "cnnbook.nn.layers.Linear._backward_parameters"),
    reference=_linear_backward_reference,
    cases=_linear_cases,
    output_names=("dx", "dw", "db"),
    mistakes=(
        Mistake("dw is transposed: w has shape (out_features, in_features), so dw = dy.T @ x",
                lambda dy, x, w: (dy @ w, x.T @ dy, dy.sum(axis=0))),
        Mistake("dx uses w transposed: y = x @ w.T, so dx = dy @ w", lambda dy, x, w: (dy @ w.T, dy.T @ x, dy.sum(axis=0))),
        Mistake("db is not summed over the batch: the bias is added to every example, so its gradient is the sum of "
                "dy over the examples (axis 0)", lambda dy, x, w: (dy @ w, dy.T @ x, dy)),
        Mistake("db is averaged over the batch: the bias receives the SUM of dy over the examples (the loss already "
                "divided by N)", lambda dy, x, w: (dy @ w, dy.T @ x, dy.mean(axis=0))),
        Mistake("dw is averaged over the batch (divided by N): the loss's gradient already carries the 1/N; "
                "dw = dy.T @ x", lambda dy, x, w: (dy @ w, dy.T @ x / len(x), dy.sum(axis=0))),
    ),
))

# --- adam_step(w, g, m, v, t, lr, beta1, beta2, eps) -> (w, m, v) -----------------------------------


def _adam_step_reference(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_mistake(kind):
    def wrong(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if kind == "swapped averages":
                m, v = (1 - beta1) * m + beta1 * g, (1 - beta2) * v + beta2 * g * g
            else:
                m = beta1 * m + (1 - beta1) * g
                v = beta2 * v + (1 - beta2) * (g if kind == "g not squared" else g * g)
            step = {"t from 0": t - 1, "t plus 1": t + 1}.get(kind, t)
            m_hat = m if kind == "no correction" else m / (1 - beta1 ** step)
            v_hat = v if kind in ("no correction", "only m corrected") else v / (1 - beta2 ** step)
            denominator = np.sqrt(v_hat + eps) if kind == "eps inside" else np.sqrt(v_hat) + eps
            update = lr * m_hat / denominator
            w_new = w + update if kind == "uphill" else w - update
            if kind == "corrected moments returned":
                return w_new, m_hat, v_hat
            return w_new, m, v
    return wrong


def _adam_cases():
    rng = np.random.default_rng(82)
    w0, g1 = np.array([0.5, -1.0, 2.0, 0.3]), np.array([0.1, -3.0, 0.0, 200.0])
    zeros = np.zeros(4)
    _, m1, v1 = _adam_step_reference(w0, g1, zeros, zeros, 1, lr=0.01)
    w1 = w0 - 0.01 * np.sign(g1)
    shape = (3, 4)
    f32 = (2, 1, 3, 3)
    return [
        Case("chapter 8's first step (t = 1, zero moments, lr 0.01): each weight moves by lr against its gradient's "
             "sign, whatever the gradient's size", (w0, g1, zeros, zeros, 1), {"lr": 0.01}),
        Case("chapter 8's second step (t = 2), from the moments of the first",
             (w1, np.array([0.2, 1.0, 0.5, 200.0]), m1, v1, 2), {"lr": 0.01}),
        Case("random (3, 4) arrays at step t = 10, with running moments",
             (rng.normal(size=shape), rng.normal(size=shape), 0.1 * rng.normal(size=shape),
              0.01 * rng.random(size=shape), 10)),
        Case("tiny gradients (about 1e-6) at t = 1: here eps matters, and where it goes",
             (rng.normal(size=5), 1e-6 * rng.normal(size=5), np.zeros(5), np.zeros(5), 1)),
        Case("a (2, 1, 3, 3) float32 filter bank stays float32; betas (0.8, 0.99), lr 0.1, t = 3",
             (rng.normal(size=f32).astype(np.float32), rng.normal(size=f32).astype(np.float32),
              (0.1 * rng.normal(size=f32)).astype(np.float32), (0.05 * rng.random(size=f32)).astype(np.float32), 3),
             {"lr": 0.1, "beta1": 0.8, "beta2": 0.99}),
        Case("late in training, t = 50: the correction of m has almost vanished, that of v has not",
             (rng.normal(size=6), rng.normal(size=6), 0.3 * rng.normal(size=6), 0.5 * rng.random(size=6), 50)),
    ]


register(Question(
    name="adam_step",
    function="adam_step",
    chapter=8,
    forbidden=("cnnbook.nn.optim.Adam.step",),
    reference=_adam_step_reference,
    cases=_adam_cases,
    output_names=("w", "m", "v"),
    rtol=1e-5,
    atol=1e-8,
    mistakes=(
        Mistake("m and v are not bias-corrected: they start at 0, so divide m by 1 - beta1**t and v by 1 - beta2**t "
                "before the update (without it the first step is about 3.2 lr instead of lr)",
                _adam_mistake("no correction")),
        Mistake("only m is bias-corrected: v needs its own correction, v_hat = v / (1 - beta2**t)",
                _adam_mistake("only m corrected")),
        Mistake("v must average the squared gradient, v = beta2 * v + (1 - beta2) * g**2, not g itself",
                _adam_mistake("g not squared")),
        Mistake("the running averages are swapped: keep beta of the old value and add (1 - beta) of the new gradient, "
                "m = beta1 * m + (1 - beta1) * g", _adam_mistake("swapped averages")),
        Mistake("eps is added inside the square root: the update divides by sqrt(v_hat) + eps, which matters when "
                "gradients are tiny", _adam_mistake("eps inside")),
        Mistake("the bias correction uses the wrong step number: t is 1 for the first step, so the corrections are "
                "1 - beta1**t and 1 - beta2**t with this step's t", _adam_mistake("t from 0")),
        Mistake("the bias correction uses the wrong step number: t is 1 for the first step, so the corrections are "
                "1 - beta1**t and 1 - beta2**t with this step's t", _adam_mistake("t plus 1")),
        Mistake("the update goes uphill: w_new = w - lr * m_hat / (sqrt(v_hat) + eps)", _adam_mistake("uphill")),
        Mistake("return the raw running averages m and v, not the corrected m_hat and v_hat: the next step corrects "
                "them again, with its own t", _adam_mistake("corrected moments returned")),
    ),
))

# --- lenet_architecture(seed) -> tuple of strings, one per layer ----------------------------------


def _describe(model) -> tuple:
    return tuple(architecture_rows(model))


def _lenet_architecture_reference(seed):
    return _describe(build_lenet(np.random.default_rng(seed)))


def _variant(flatten=True, in_features=128, relu=(True, True, True), padding=1, pools=(True, True)):
    """A wrong LeNet for one mistake's diagnosis."""
    def make(seed):
        rng = np.random.default_rng(seed)
        layers = [Conv2d(1, 16, 3, padding=padding, rng=rng)]
        layers += [ReLU()] if relu[0] else []
        layers += [MaxPool2d(2)] if pools[0] else []
        layers += [Conv2d(16, 32, 3, padding=padding, rng=rng)]
        layers += [ReLU()] if relu[1] else []
        layers += [MaxPool2d(2)] if pools[1] else []
        layers += [Flatten()] if flatten else []
        layers += [Linear(in_features, 64, rng=rng)]
        layers += [ReLU()] if relu[2] else []
        layers += [Linear(64, 10, rng=rng)]
        return _describe(Sequential(*layers))
    return make


_IN_FEATURES = ("the first Linear layer's in_features does not match what Flatten gives it: the two 2x2 poolings "
                "take the 8x8 digit to 4x4 and then 2x2, so Flatten gives 32 * 2 * 2 = 128 numbers per image")

register(Question(
    name="lenet_architecture",
    function="lenet_architecture",
    chapter=8,
    forbidden=("cnnbook.nn.lenet.build_lenet",),
    given_cell="c010",
    hidden_cases=2,
    reference=_lenet_architecture_reference,
    cases=lambda: [Case("build_lenet(np.random.default_rng(0)), a batch of two 8x8 digits", (0,)),
                   Case("build_lenet(np.random.default_rng(1)): the architecture does not depend on the seed", (1,)),
                   Case("build_lenet(np.random.default_rng(7)): nor on any other seed", (7,))],
    points=2.0,
    output_names=tuple(f"layer {i}" for i in range(10)),
    mistakes=(
        Mistake("there is no Flatten layer before the first Linear: a Linear layer takes (N, features), so the "
                "(N, 32, 2, 2) feature maps must be flattened to (N, 128) first", _variant(flatten=False)),
        Mistake(_IN_FEATURES + " (512 = 32 * 4 * 4 forgets the second pooling)", _variant(in_features=512)),
        Mistake(_IN_FEATURES + " (2048 = 32 * 8 * 8 forgets both poolings)", _variant(in_features=2048)),
        Mistake(_IN_FEATURES + " (32 counts the channels only)", _variant(in_features=32)),
        Mistake("there is no activation between the layers: without ReLU the only nonlinearity left is max pooling, and "
                "the two Linear layers collapse into one; put a ReLU after each convolution and after the first Linear",
                _variant(relu=(False, False, False))),
        Mistake("the first Linear layer is not followed by a ReLU: two Linear layers in a row are one linear map",
                _variant(relu=(True, True, False))),
        Mistake("the convolutions have no padding: a 3x3 filter then shrinks the 8x8 digit to 6x6, and the second "
                "pooling has too little left; use padding=1 so that each convolution keeps the size",
                _variant(padding=0)),
        Mistake("a pooling layer is missing: each conv-ReLU is followed by MaxPool2d(2), which halves the height "
                "and the width", _variant(pools=(True, False))),
        Mistake("a pooling layer is missing: each conv-ReLU is followed by MaxPool2d(2), which halves the height "
                "and the width", _variant(pools=(False, True))),
    ),
))

# --- lenet_accuracy(seed) -> a verdict ------------------------------------------------------------


register(Question(
    name="lenet_accuracy",
    function="lenet_accuracy",
    chapter=8,
    forbidden=("cnnbook.nn.lenet.build_lenet",),
    given_cell="c010",
    hidden_cases=0,
    reference=lambda seed: PASSING_VERDICT,
    cases=lambda: [Case("build_lenet(np.random.default_rng(0)), trained 3 epochs, then the 360 validation digits",
                        (0,))],
    mistakes=(),
))
