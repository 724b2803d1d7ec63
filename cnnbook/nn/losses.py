"""Softmax and the softmax cross-entropy loss, computed stably.

For one example with scores (logits) ``z`` over ``K`` classes and true class ``y``:

    softmax(z)_k = exp(z_k) / sum_j exp(z_j)
    loss = -log softmax(z)_y = logsumexp(z) - z_y
    dloss/dz_k = softmax(z)_k - [k == y]

``exp`` overflows for ``z`` around 89 in float32 and 710 in float64. Subtracting the row's
maximum ``m`` first changes nothing mathematically (``exp(z - m)`` has the same ratios) and
leaves every exponent ``<= 0``: ``logsumexp(z) = m + log sum_j exp(z_j - m)``.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, require_ndim


def log_softmax(logits, axis: int = -1) -> np.ndarray:
    """``log softmax(logits)`` along ``axis``, via a max-shifted log-sum-exp; same shape and dtype."""
    z = as_float_array(logits, "logits", "log_softmax")
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Probabilities ``exp(z_k) / sum_j exp(z_j)`` along ``axis`` (default: the last); same shape."""
    z = as_float_array(logits, "logits", "softmax")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_cross_entropy(logits, labels) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against integer class labels, and its gradient.

    Parameters: ``logits`` ``(N, K)``, float; ``labels`` ``(N,)``, integers in ``[0, K)``.
    Returns ``(loss, dlogits)``: ``loss`` a Python float, the mean over the batch of
    ``logsumexp(z_n) - z_n[y_n]``; ``dlogits`` ``(N, K)`` in the dtype of ``logits``,
    ``(softmax(z) - onehot(y)) / N``.
    """
    z = as_float_array(logits, "logits", "softmax_cross_entropy")
    require_ndim(z, 2, "logits", "softmax_cross_entropy", "(N, K)")
    y = check_labels(labels, z.shape[0], z.shape[1], "softmax_cross_entropy")
    n = z.shape[0]
    logp = log_softmax(z)
    loss = -float(logp[np.arange(n), y].mean()) if n else 0.0
    dlogits = np.exp(logp)
    dlogits[np.arange(n), y] -= 1
    return loss, dlogits / max(n, 1)


def check_labels(labels, n: int, num_classes: int, func: str) -> np.ndarray:
    """``labels`` as an int64 array ``(n,)`` of class indices in ``[0, num_classes)``, or a clear error."""
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise ValueError(f"{func}: labels must be integer class indices in [0, {num_classes - 1}]; "
                        f"got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"{func}: labels must have shape ({n},), one class index per row of logits; got {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)]
        raise ValueError(f"{func}: labels must lie in [0, {num_classes - 1}] for {num_classes} classes; "
                         f"got {bad[:5].tolist()}{' ...' if bad.size > 5 else ''}")
    return y.astype(np.int64, copy=False)
