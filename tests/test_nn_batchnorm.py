"""Batch normalisation: hand-computed values, PyTorch's semantics, the fast and readable versions held
together, float64 gradient checks, running statistics, train/eval, saving, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_layers import assert_gradients_match

import cnnbook as cb
from cnnbook.nn.layers import Sequential
from cnnbook.nn.model_io import ModelFileError, load, save
from cnnbook.nn import BatchNorm2d
from cnnbook.batchnorm import (
    batch_norm2d,
    batch_norm2d_backward,
    batch_norm2d_backward_reference,
    batch_norm2d_reference,
)

SHAPES = [(4, 3, 5, 6), (1, 2, 3, 1), (5, 1, 1, 1), (2, 4, 1, 7)]


def arguments(rng, shape, offset=0.0):
    C = shape[1]
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, C, 1, 1)) + offset
    return x, rng.standard_normal(C), rng.standard_normal(C)


def running(rng, C):
    return rng.standard_normal(C), rng.uniform(0.5, 2.0, C)


# --- values worked by hand --------------------------------------------------------------------------

def test_one_channel_by_hand():
    # values 1, 2, 3, 4: mean 2.5, biased variance 1.25 (divide by 4), unbiased 5/3 (divide by 3)
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(2, 1, 1, 2)
    mean, var = np.zeros(1), np.ones(1)
    y = batch_norm2d(x, np.array([2.0]), np.array([0.5]), mean, var, training=True, momentum=0.1, eps=1e-5)
    expected = 2.0 * (np.array([1, 2, 3, 4]) - 2.5) / np.sqrt(1.25 + 1e-5) + 0.5
    np.testing.assert_allclose(y.reshape(-1), expected, rtol=1e-14)
    np.testing.assert_allclose(mean, [0.9 * 0 + 0.1 * 2.5], rtol=1e-14)
    np.testing.assert_allclose(var, [0.9 * 1 + 0.1 * 5 / 3], rtol=1e-14)


def test_each_channel_is_normalised_over_batch_and_positions_not_per_example(rng):
    x, _, _ = arguments(rng, (6, 3, 4, 5), offset=7.0)
    y = batch_norm2d(x, np.ones(3), np.zeros(3), eps=1e-12)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-9)  # biased variance of y is 1
    assert np.abs(y.mean(axis=(1, 2, 3))).max() > 0.05  # individual examples are not centred


def test_eval_mode_uses_the_running_statistics_and_changes_nothing(rng):
    x, gamma, beta = arguments(rng, (3, 2, 4, 4))
    mean, var = running(rng, 2)
    before = mean.copy(), var.copy()
    y = batch_norm2d(x, gamma, beta, mean, var, training=False, eps=1e-3)
    expected = gamma[:, None, None] * (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-3) + beta[:, None, None]
    np.testing.assert_allclose(y, expected, rtol=1e-13)
    np.testing.assert_array_equal(mean, before[0])
    np.testing.assert_array_equal(var, before[1])
    # each example's output no longer depends on the rest of the batch
    np.testing.assert_allclose(batch_norm2d(x[:1], gamma, beta, mean, var, training=False, eps=1e-3), y[:1], rtol=1e-14)


def test_training_mode_ignores_the_running_statistics_for_the_output(rng):
    x, gamma, beta = arguments(rng, (3, 2, 4, 4))
    y1 = batch_norm2d(x, gamma, beta, *running(rng, 2))
    y2 = batch_norm2d(x, gamma, beta, *running(rng, 2))
    np.testing.assert_allclose(y1, y2, rtol=1e-13)
    np.testing.assert_allclose(y1, batch_norm2d(x, gamma, beta), rtol=1e-13)


def test_only_the_running_statistics_are_written(rng):
    x, gamma, beta = arguments(rng, (3, 2, 4, 4))
    mean, var = running(rng, 2)
    copies = [a.copy() for a in (x, gamma, beta, mean, var)]
    batch_norm2d(x, gamma, beta, mean, var)
    for original, copy in zip((x, gamma, beta), copies):
        np.testing.assert_array_equal(original, copy)
    assert not np.array_equal(mean, copies[3]) and not np.array_equal(var, copies[4])
    mean_array = mean
    batch_norm2d(x, gamma, beta, mean, var)
    assert mean is mean_array  # in place, as PyTorch's buffers


def test_momentum_one_copies_the_batch_statistics_and_zero_keeps_the_old(rng):
    x, gamma, beta = arguments(rng, (4, 2, 3, 3))
    m = 4 * 3 * 3
    mean, var = running(rng, 2)
    batch_norm2d(x, gamma, beta, mean, var, momentum=1.0)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3)), rtol=1e-13)
    np.testing.assert_allclose(var, x.var(axis=(0, 2, 3)) * m / (m - 1), rtol=1e-13)
    kept = mean.copy(), var.copy()
    batch_norm2d(x + 5, gamma, beta, mean, var, momentum=0.0)
    np.testing.assert_array_equal(mean, kept[0])
    np.testing.assert_array_equal(var, kept[1])


# --- the fast version against the readable one, and finite differences -----------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_forward_matches_reference(shape, training, rng):
    x, gamma, beta = arguments(rng, shape, offset=3.0)
    mean, var = running(rng, shape[1])
    mean2, var2 = mean.copy(), var.copy()
    if training and shape[0] * shape[2] * shape[3] < 2:
        return
    y = batch_norm2d(x, gamma, beta, mean, var, training, momentum=0.3, eps=1e-4)
    y_ref = batch_norm2d_reference(x, gamma, beta, mean2, var2, training, momentum=0.3, eps=1e-4)
    assert cb.rel_error(y, y_ref) < 1e-10
    assert cb.rel_error(mean, mean2) < 1e-12 and cb.rel_error(var, var2) < 1e-12


@pytest.mark.parametrize("shape", SHAPES)
def test_compact_backward_matches_the_step_by_step_chain_rule(shape, rng):
    x, gamma, _ = arguments(rng, shape, offset=-2.0)
    dy = rng.standard_normal(shape)
    fast, ref = batch_norm2d_backward(dy, x, gamma, eps=1e-4), batch_norm2d_backward_reference(dy, x, gamma, eps=1e-4)
    for a, b, name in zip(fast, ref, ("dx", "dgamma", "dbeta")):
        assert a.shape == b.shape and cb.rel_error(a, b) < 1e-10, name


@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_finite_differences(training, rng):
    # unit-scale channels: a narrow channel (small sigma) has large third derivatives, which make the
    # finite differences themselves err by more than 1e-7 on the smallest entries
    x, gamma, beta = rng.standard_normal((3, 2, 3, 4)), rng.standard_normal(2), rng.standard_normal(2)
    mean, var = running(rng, 2)
    dy = rng.standard_normal(x.shape)
    stats = (mean, var) if not training else (None, None)

    def forward(x_=x, gamma_=gamma, beta_=beta):
        return batch_norm2d(x_, gamma_, beta_, *stats, training=training)

    dx, dgamma, dbeta = batch_norm2d_backward(dy, x, gamma, *stats, training=training)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda v: forward(x_=v), x, dy)) < 1e-7
    assert cb.rel_error(dgamma, cb.numerical_gradient(lambda v: forward(gamma_=v), gamma, dy)) < 1e-7
    assert cb.rel_error(dbeta, cb.numerical_gradient(lambda v: forward(beta_=v), beta, dy)) < 1e-7


def test_reference_backward_matches_finite_differences(rng):
    x, gamma, beta = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(3), rng.standard_normal(3)
    dy = rng.standard_normal(x.shape)
    dx, _, _ = batch_norm2d_backward_reference(dy, x, gamma)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda v: batch_norm2d(v, gamma, beta), x, dy)) < 1e-7


def test_training_gradient_sums_to_zero_per_channel(rng):
    """y is unchanged when a channel of x is shifted by a constant, so dx sums to 0 over each channel."""
    x, gamma, _ = arguments(rng, (3, 2, 4, 4))
    dx, _, _ = batch_norm2d_backward(rng.standard_normal(x.shape), x, gamma)
    np.testing.assert_allclose(dx.sum(axis=(0, 2, 3)), 0, atol=1e-12)


def test_dtypes(rng):
    x, gamma, beta = arguments(rng, (2, 3, 4, 4))
    x32 = x.astype(np.float32)
    y = batch_norm2d(x32, gamma.astype(np.float32), beta.astype(np.float32))
    assert y.dtype == np.float32
    assert cb.rel_error(y, batch_norm2d(x, gamma, beta)) < 1e-5
    assert batch_norm2d(x32, gamma, beta).dtype == np.float64            # float64 parameters win
    assert batch_norm2d(np.arange(8).reshape(2, 1, 2, 2), [1], [0]).dtype == np.float64  # ints promoted
    dx, dgamma, dbeta = batch_norm2d_backward(x32, x32, gamma.astype(np.float32))
    assert dx.dtype == dgamma.dtype == dbeta.dtype == np.float32


# --- PyTorch's semantics, checked against PyTorch when it is installed ------------------------------

@pytest.mark.parametrize("training", [True, False])
def test_agrees_with_torch(training, rng):
    torch = pytest.importorskip("torch")
    x, gamma, beta = arguments(rng, (4, 3, 5, 5), offset=1.0)
    mean, var = running(rng, 3)
    t_mean, t_var = torch.from_numpy(mean.copy()), torch.from_numpy(var.copy())
    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    ty = torch.nn.functional.batch_norm(tx, t_mean, t_var, tg, tb, training=training, momentum=0.2, eps=1e-3)
    dy = rng.standard_normal(x.shape)
    ty.backward(torch.from_numpy(dy))
    y = batch_norm2d(x, gamma, beta, mean, var, training, momentum=0.2, eps=1e-3)
    assert cb.rel_error(y, ty.detach().numpy()) < 1e-12
    assert cb.rel_error(mean, t_mean.numpy()) < 1e-12 and cb.rel_error(var, t_var.numpy()) < 1e-12
    stats = (None, None) if training else (mean, var)
    dx, dgamma, dbeta = batch_norm2d_backward(dy, x, gamma, *stats, training=training, eps=1e-3)
    for ours, theirs in ((dx, tx), (dgamma, tg), (dbeta, tb)):
        assert cb.rel_error(ours, theirs.grad.numpy()) < 1e-10


# --- errors -----------------------------------------------------------------------------------------

def test_bad_arguments_are_named(rng):
    x, gamma, beta = arguments(rng, (2, 3, 4, 4))
    mean, var = running(rng, 3)
    with pytest.raises(ValueError, match=r"batch_norm2d: x must be 4-D \(N, C, H, W\); got shape \(3, 4\)"):
        batch_norm2d(np.ones((3, 4)), gamma, beta)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\) \(one per channel of x \(2, 3, 4, 4\)\); got \(2,\)"):
        batch_norm2d(x, gamma[:2], beta)
    with pytest.raises(ValueError, match="both running_mean and running_var, or neither"):
        batch_norm2d(x, gamma, beta, running_mean=mean)
    with pytest.raises(ValueError, match=r"evaluation mode .* pass running_mean and running_var, shape \(3,\)"):
        batch_norm2d(x, gamma, beta, training=False)
    with pytest.raises(TypeError, match="running_mean must be a float32 or float64 NumPy array .*; got list"):
        batch_norm2d(x, gamma, beta, list(mean), var)
    with pytest.raises(TypeError, match="running_var must be .*; got int64 array"):
        batch_norm2d(x, gamma, beta, mean, np.ones(3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\)"):
        batch_norm2d(x, gamma, beta, mean, np.ones(4))
    with pytest.raises(ValueError, match=r"more than one value per channel .* x \(1, 3, 1, 1\)"):
        batch_norm2d(np.ones((1, 3, 1, 1)), gamma, beta)
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\]; got 1.5"):
        batch_norm2d(x, gamma, beta, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be a finite number > 0; got 0"):
        batch_norm2d(x, gamma, beta, eps=0)
    with pytest.raises(TypeError, match="training must be True or False; got 'eval'"):
        batch_norm2d(x, gamma, beta, training="eval")
    with pytest.raises(TypeError, match="x must hold real numbers"):
        batch_norm2d(x.astype(complex), gamma, beta)
    with pytest.raises(ValueError, match=r"batch_norm2d_backward: dy must have shape \(2, 3, 4, 4\)"):
        batch_norm2d_backward(np.ones((2, 3, 4, 3)), x, gamma)


def test_a_failed_call_leaves_the_running_statistics_alone(rng):
    x, gamma, beta = arguments(rng, (2, 3, 4, 4))
    mean, var = running(rng, 3)
    before = mean.copy(), var.copy()
    with pytest.raises(ValueError):
        batch_norm2d(x, gamma[:2], beta, mean, var)
    np.testing.assert_array_equal(mean, before[0])
    np.testing.assert_array_equal(var, before[1])


# --- the layer --------------------------------------------------------------------------------------

def test_layer_starts_as_pytorch_and_tracks_the_running_statistics(rng):
    bn = BatchNorm2d(2, momentum=0.5, dtype=np.float64)
    np.testing.assert_array_equal(bn.params["weight"].value, [1, 1])
    np.testing.assert_array_equal(bn.params["bias"].value, [0, 0])
    np.testing.assert_array_equal(bn.running_mean, [0, 0])
    np.testing.assert_array_equal(bn.running_var, [1, 1])
    expected_mean, expected_var = np.zeros(2), np.ones(2)
    for _ in range(3):
        x = rng.standard_normal((3, 2, 2, 2)) + 4
        bn.forward(x)
        expected_mean = 0.5 * expected_mean + 0.5 * x.mean(axis=(0, 2, 3))
        expected_var = 0.5 * expected_var + 0.5 * x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean, expected_mean, rtol=1e-13)
    np.testing.assert_allclose(bn.running_var, expected_var, rtol=1e-13)


def test_layer_eval_uses_running_statistics_and_train_switches_back(rng):
    bn = BatchNorm2d(3, dtype=np.float64)
    bn.running_mean[...] = [1.0, -1.0, 0.5]
    bn.running_var[...] = [4.0, 1.0, 0.25]
    x = rng.standard_normal((2, 3, 3, 3))
    assert bn.eval() is bn and not bn.training
    y = bn.forward(x)
    expected = (x - bn.running_mean[:, None, None]) / np.sqrt(bn.running_var[:, None, None] + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-13)
    np.testing.assert_array_equal(bn.running_mean, [1.0, -1.0, 0.5])
    assert bn.train() is bn and bn.training
    np.testing.assert_allclose(bn.forward(x), batch_norm2d(x, np.ones(3), np.zeros(3)), rtol=1e-13)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_layer_gradients(mode, rng):
    bn = BatchNorm2d(3, dtype=np.float64)
    bn.params["weight"].value[...] = rng.standard_normal(3)
    bn.params["bias"].value[...] = rng.standard_normal(3)
    bn.running_mean[...] = rng.standard_normal(3)
    bn.running_var[...] = rng.uniform(0.5, 2, 3)
    getattr(bn, mode)()
    assert_gradients_match(bn, rng.standard_normal((2, 3, 4, 3)) + 1, rng)


def test_backward_follows_the_mode_of_its_forward_pass(rng):
    bn = BatchNorm2d(2, dtype=np.float64)
    x, dy = rng.standard_normal((3, 2, 2, 2)), rng.standard_normal((3, 2, 2, 2))
    bn.forward(x)
    bn.eval()                          # switched between forward and backward
    dx = bn.backward(dy)
    np.testing.assert_allclose(dx, batch_norm2d_backward(dy, x, np.ones(2))[0], rtol=1e-12)


def test_layer_errors_and_repr():
    bn = BatchNorm2d(4)
    assert repr(bn) == "BatchNorm2d(4)"
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4\): expected input \(N, 4, H, W\); got \(2, 3, 5, 5\)"):
        bn.forward(np.zeros((2, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"more than one value per channel; got input \(1, 4, 1, 1\) \(call .eval\(\)"):
        bn.forward(np.zeros((1, 4, 1, 1), np.float32))
    assert bn.eval().forward(np.zeros((1, 4, 1, 1), np.float32)).shape == (1, 4, 1, 1)
    with pytest.raises(ValueError, match="num_features must be a positive int; got 0"):
        BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum must be a number in"):
        BatchNorm2d(3, momentum=-0.1)


def test_astype_converts_parameters_and_running_statistics():
    bn = BatchNorm2d(2).astype(np.float64)
    assert bn.params["weight"].value.dtype == bn.running_mean.dtype == bn.running_var.dtype == np.float64
    assert bn.forward(np.ones((2, 2, 2, 2), np.float32)).dtype == np.float64


def test_parameters_and_buffers_are_named_like_pytorch():
    model = Sequential(cb.layers.Conv2d(1, 2, 3, bias=False), BatchNorm2d(2))
    assert [name for name, _ in model.parameters()] == ["0.weight", "1.weight", "1.bias"]
    assert [name for name, _ in model.buffers()] == ["1.running_mean", "1.running_var"]


def test_save_and_load_round_trip_the_running_statistics(tmp_path, rng):
    def model():
        return Sequential(cb.layers.Conv2d(1, 2, 3, padding=1, rng=np.random.default_rng(0)), BatchNorm2d(2))

    trained = model()
    for _ in range(3):
        trained.forward(rng.standard_normal((4, 1, 5, 5)).astype(np.float32) * 3 + 2)
    path = save(trained, tmp_path / "bn")
    restored = load(model(), path)
    for (name, a), (_, b) in zip(trained.buffers(), restored.buffers()):
        assert a.tobytes() == b.tobytes(), name
    x = rng.standard_normal((2, 1, 5, 5)).astype(np.float32)
    np.testing.assert_array_equal(restored.eval().forward(x), trained.eval().forward(x))
    # a file without the running statistics does not fit a model that has them
    np.savez(tmp_path / "old.npz", **{name: p.value for name, p in trained.parameters()})
    with pytest.raises(ModelFileError, match=r"missing from the file \['1.running_mean', '1.running_var'\]"):
        load(model(), tmp_path / "old.npz")
