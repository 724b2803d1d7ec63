"""Residual blocks and networks, global average pooling, modes in training, and weight decay."""

from __future__ import annotations

import numpy as np
import pytest
from test_layers import assert_gradients_match

import cnnbook as cb
from cnnbook.nn.layers import Conv2d, Linear, Parameter, ReLU, Sequential
from cnnbook.nn.model_io import load, save
from cnnbook.nn import (
    BatchNorm2d,
    Dropout,
    GlobalAvgPool2d,
    Residual,
    build_deep_net,
    build_resnet_digits,
    gradient_norms,
    weight_layers,
)
from cnnbook.nn.optim import SGD, Adam, AdamW
from cnnbook.global_pool import global_avg_pool2d, global_avg_pool2d_backward


def block(in_channels, out_channels, stride=1, skip=True, seed=0):
    return Residual(in_channels, out_channels, stride, skip=skip, rng=np.random.default_rng(seed), dtype=np.float64)


# --- global average pooling -------------------------------------------------------------------------

def test_global_average_pooling_by_hand_and_gradient(rng):
    x = np.arange(2 * 3 * 2 * 2, dtype=np.float64).reshape(2, 3, 2, 2)
    np.testing.assert_array_equal(global_avg_pool2d(x), [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]])
    dx = global_avg_pool2d_backward(np.ones((2, 3)), x.shape)
    np.testing.assert_array_equal(dx, np.full(x.shape, 0.25))
    assert_gradients_match(GlobalAvgPool2d(), rng.standard_normal((2, 3, 4, 5)), rng)
    with pytest.raises(ValueError, match=r"global_avg_pool2d: x must be 4-D"):
        global_avg_pool2d(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3\)"):
        global_avg_pool2d_backward(np.ones((2, 4)), x.shape)


# --- the block --------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(3, 3, 1), (2, 4, 1), (3, 4, 2)])
def test_block_shapes_and_shortcut_kind(args, rng):
    layer = block(*args)
    y = layer.forward(rng.standard_normal((2, args[0], 5, 5)))
    side = -(-5 // args[2])
    assert y.shape == (2, args[1], side, side)
    identity = args[0] == args[1] and args[2] == 1
    assert (layer.shortcut is None) == identity
    names = [name for name, _ in layer.parameters()]
    assert names[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"]
    assert names[6:] == ([] if identity else ["shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias"])
    assert not any(name.startswith("conv") and name.endswith("bias") for name in names)  # BN cancels conv biases


@pytest.mark.parametrize("args", [(3, 3, 1, True), (2, 3, 2, True), (3, 3, 1, False)])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_block_gradients_match_finite_differences(args, mode, rng):
    layer = block(*args)
    for bn in (layer.bn1, layer.bn2):
        bn.params["bias"].value[...] = 0.5   # pre-activations away from ReLU's kink
        bn.running_var[...] = 2.0
    getattr(layer, mode)()
    assert_gradients_match(layer, rng.standard_normal((2, args[0], 4, 4)), rng)


def test_with_the_body_silenced_the_identity_block_passes_x_and_its_gradient(rng):
    """bn2's scale and shift at 0 make the body output 0: y = relu(x), and all of dx comes through the shortcut."""
    layer = block(3, 3)
    layer.bn2.params["weight"].value[...] = 0
    x, dy = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    np.testing.assert_array_equal(layer.forward(x), np.maximum(x, 0))
    np.testing.assert_allclose(layer.backward(dy), dy * (x > 0), atol=1e-15)
    plain = block(3, 3, skip=False)
    plain.bn2.params["weight"].value[...] = 0
    np.testing.assert_array_equal(plain.forward(x), 0)
    np.testing.assert_array_equal(plain.backward(dy), 0)


def test_residual_gradient_reaches_layer_one_through_a_deep_net(rng):
    """20 layers whose blocks are all silenced: the plain net passes no gradient back, the residual net does."""
    x, y = rng.standard_normal((8, 1, 8, 8)), rng.integers(0, 10, 8)
    norms = {}
    for residual in (True, False):
        net = build_deep_net(20, residual, np.random.default_rng(0), dtype=np.float64)
        for layer in net:
            if isinstance(layer, Residual):
                layer.bn2.params["weight"].value[...] = 0
        norms[residual] = gradient_norms(net, x, y)
    first = weight_layers(net)[0]
    assert first == "0.weight" and norms[False][first] == 0
    assert norms[True][first] > 1e-3


def test_gradient_norms_are_the_norms_of_the_gradients(rng):
    net = build_deep_net(6, True, np.random.default_rng(1), dtype=np.float64)
    x, y = rng.standard_normal((4, 1, 8, 8)), rng.integers(0, 10, 4)
    norms = gradient_norms(net, x, y)
    assert list(norms) == ["0.weight", "3.conv1.weight", "3.conv2.weight", "4.conv1.weight", "4.conv2.weight",
                           "6.weight"]
    params = dict(net.parameters())
    for name, value in norms.items():
        assert value == pytest.approx(np.sqrt(np.sum(params[name].grad ** 2)))
    net.eval()
    gradient_norms(net, x, y)
    assert not net.training  # the mode is restored


def test_block_agrees_with_torch(rng):
    torch = pytest.importorskip("torch")
    from cnnbook.nn.torch_twin import torch_twin

    model = Sequential(block(2, 4, 2), GlobalAvgPool2d(), Linear(4, 3, rng=rng, dtype=np.float64))
    twin = torch_twin(torch, model)
    x, dy = rng.standard_normal((3, 2, 5, 5)), rng.standard_normal((3, 3))
    tx = torch.tensor(x, requires_grad=True)
    ty = twin(tx)
    ty.backward(torch.from_numpy(dy))
    y = model.forward(x)
    model.zero_grad()
    dx = model.backward(dy)
    assert cb.rel_error(y, ty.detach().numpy()) < 1e-12
    assert cb.rel_error(dx, tx.grad.numpy()) < 1e-10
    for (name, p), (t_name, t_p) in zip(model.parameters(), twin.named_parameters()):
        assert cb.rel_error(p.grad, t_p.grad.numpy()) < 1e-10, (name, t_name)
    theirs = [b for name, b in twin.named_buffers() if not name.endswith("num_batches_tracked")]
    assert len(theirs) == len(list(model.buffers())) == 6
    for (name, ours), buffer in zip(model.buffers(), theirs):
        assert cb.rel_error(ours, buffer.numpy()) < 1e-12, name


def test_eval_and_train_reach_every_layer_inside_blocks():
    net = build_resnet_digits(np.random.default_rng(0))
    net.eval()
    inner = [layer.bn1 for layer in net if isinstance(layer, Residual)]
    assert inner and not any(bn.training for bn in inner) and not net[1].training
    net.train()
    assert all(bn.training for bn in inner)


def test_block_errors_and_repr():
    layer = Residual(3, 6, 2)
    assert repr(layer) == "Residual(3, 6, stride=2)" and repr(Residual(3, 3, skip=False)) == "Residual(3, 3, skip=False)"
    with pytest.raises(ValueError, match=r"Residual\(3, 6, stride=2\): expected input \(N, 3, H, W\); got \(2, 4, 8, 8\)"):
        layer.forward(np.zeros((2, 4, 8, 8), np.float32))
    with pytest.raises(ValueError, match="out_channels must be >= 1"):
        Residual(3, 0)


# --- networks ---------------------------------------------------------------------------------------

def count(model):
    return sum(p.value.size for _, p in model.parameters())


def test_resnet_for_digits_has_fewer_parameters_than_the_capstone():
    net = build_resnet_digits(np.random.default_rng(0))
    conv = lambda c_in, c_out, k=3: c_in * c_out * k * k
    bn = lambda c: 2 * c
    expected = (conv(1, 12) + bn(12)
                + 2 * (conv(12, 12) + bn(12))                              # block 12 -> 12
                + conv(12, 24) + conv(24, 24) + 2 * bn(24) + conv(12, 24, 1) + bn(24)  # block 12 -> 24, stride 2
                + 24 * 10 + 10)
    assert count(net) == expected == 11230
    assert expected < 13706  # the capstone LeNet (chapter 8)
    assert net.forward(np.zeros((2, 1, 8, 8), np.float32)).shape == (2, 10)


def test_deep_nets_plain_and_residual_have_the_same_layers_and_weights():
    plain, residual = (build_deep_net(20, r, np.random.default_rng(4)) for r in (False, True))
    assert len(weight_layers(plain)) == 20
    for (name_a, a), (name_b, b) in zip(plain.parameters(), residual.parameters()):
        assert name_a == name_b and np.array_equal(a.value, b.value)
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    assert not np.allclose(plain.forward(x), residual.forward(x))
    with pytest.raises(ValueError, match="depth must be an even int >= 4"):
        build_deep_net(7, True, np.random.default_rng(0))


def test_resnet_save_load_round_trip(tmp_path, rng):
    net = build_resnet_digits(np.random.default_rng(0))
    for _ in range(2):
        net.forward(rng.standard_normal((8, 1, 8, 8)).astype(np.float32))
    path = save(net, tmp_path / "resnet")
    restored = load(build_resnet_digits(np.random.default_rng(1)), path)
    state = dict(net.buffers())
    assert len(state) == 2 * 6 and all(np.array_equal(state[n], a) for n, a in restored.buffers())
    x = rng.standard_normal((3, 1, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(restored.eval().forward(x), net.eval().forward(x))


# --- modes in training ------------------------------------------------------------------------------

def bn_classifier(seed):
    rng = np.random.default_rng(seed)
    return Sequential(Conv2d(1, 3, 3, padding=1, bias=False, rng=rng), BatchNorm2d(3), ReLU(), Dropout(0.5, rng=rng),
                      GlobalAvgPool2d(), Linear(3, 2, rng=rng))


def test_evaluate_measures_in_eval_mode_and_restores_the_mode(rng):
    net = bn_classifier(0)
    x, y = rng.standard_normal((6, 1, 4, 4)).astype(np.float32), rng.integers(0, 2, 6)
    stats = [a.copy() for _, a in net.buffers()]
    loss, _ = cb.evaluate(net, x, y)
    assert net.training                                      # restored
    assert all(np.array_equal(a, b) for a, b in zip(stats, (a for _, a in net.buffers())))  # stats unchanged
    net.eval()
    expected, _ = cb.softmax_cross_entropy(net.forward(x), y)
    assert loss == pytest.approx(expected) and not net.training


def test_fit_trains_in_training_mode_and_validates_in_eval_mode(rng):
    net = bn_classifier(1).eval()
    x, y = rng.standard_normal((16, 1, 4, 4)).astype(np.float32), rng.integers(0, 2, 16)
    before = net[1].running_mean.copy()
    history = cb.fit(net, Adam(net.parameters(), lr=1e-2), x, y, epochs=1, batch_size=8, rng=rng,
                     x_val=x, y_val=y, progress=False)
    assert not np.array_equal(net[1].running_mean, before)   # trained in training mode
    assert not net.training                                   # back in the mode it had
    assert history.val_loss[0] == pytest.approx(cb.evaluate(net, x, y)[0])


# --- weight decay -----------------------------------------------------------------------------------

def parameters(values):
    p = Parameter(np.array(values, dtype=np.float64))
    return {"w": p}


@pytest.mark.parametrize("make", [
    lambda ps, wd: SGD(ps, lr=0.1, momentum=0.9, weight_decay=wd),
    lambda ps, wd: Adam(ps, lr=0.1, weight_decay=wd),
])
def test_weight_decay_equals_adding_lambda_w_to_the_gradient(make, rng):
    w0, grads = rng.standard_normal(4), rng.standard_normal((3, 4))
    decayed, manual, undecayed = parameters(w0), parameters(w0), parameters(w0)
    optimizers = make(decayed.items(), 0.05), make(manual.items(), 0.0), make(undecayed.items(), 0.0)
    for g in grads:
        decayed["w"].grad[...] = g
        manual["w"].grad[...] = g + 0.05 * manual["w"].value
        undecayed["w"].grad[...] = g
        for optimizer in optimizers:
            optimizer.step()
    np.testing.assert_allclose(decayed["w"].value, manual["w"].value, rtol=1e-14)
    assert np.abs(decayed["w"].value - undecayed["w"].value).max() > 1e-4  # the decay made a difference


def test_adamw_shrinks_the_weights_apart_from_the_gradient(rng):
    w0, g = rng.standard_normal(3), rng.standard_normal(3)
    decoupled, plain = parameters(w0), parameters(w0 * (1 - 0.1 * 0.2))
    adamw, adam = AdamW(decoupled.items(), lr=0.1, weight_decay=0.2), Adam(plain.items(), lr=0.1)
    decoupled["w"].grad[...] = plain["w"].grad[...] = g
    adamw.step()
    adam.step()
    np.testing.assert_allclose(decoupled["w"].value, plain["w"].value, rtol=1e-14)
    assert AdamW(parameters(w0).items()).weight_decay == 0.01  # PyTorch's default


def test_weight_decay_matches_torch(rng):
    torch = pytest.importorskip("torch")
    w0, grads = rng.standard_normal(5), rng.standard_normal((4, 5))
    for ours, theirs in [(lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
                          lambda t: torch.optim.SGD([t], lr=0.1, momentum=0.9, weight_decay=0.01)),
                         (lambda ps: Adam(ps, lr=0.01, weight_decay=0.1),
                          lambda t: torch.optim.Adam([t], lr=0.01, weight_decay=0.1)),
                         (lambda ps: AdamW(ps, lr=0.01, weight_decay=0.1),
                          lambda t: torch.optim.AdamW([t], lr=0.01, weight_decay=0.1))]:
        params, tensor = parameters(w0), torch.tensor(w0, requires_grad=True)
        optimizer, t_optimizer = ours(params.items()), theirs(tensor)
        for g in grads:
            params["w"].grad[...] = g
            tensor.grad = torch.from_numpy(g.copy())
            optimizer.step()
            t_optimizer.step()
        np.testing.assert_allclose(params["w"].value, tensor.detach().numpy(), rtol=1e-12)


def test_conv_without_bias(rng):
    conv = Conv2d(2, 3, 3, bias=False, rng=rng, dtype=np.float64)
    assert list(conv.params) == ["weight"] and repr(conv) == "Conv2d(2, 3, kernel_size=3, bias=False)"
    x = rng.standard_normal((2, 2, 5, 5))
    np.testing.assert_array_equal(conv.forward(x), cb.conv2d(x, conv.params["weight"].value))
    assert_gradients_match(conv, x, rng)
