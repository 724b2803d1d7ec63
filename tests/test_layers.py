"""Layers and initialisers: every backward against finite differences (float64), shapes, errors, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.nn import init
from cnnbook.nn.layers import (
    AvgPool2d,
    Conv2d,
    Flatten,
    LeakyReLU,
    Linear,
    MaxPool2d,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from cnnbook.nn.losses import softmax_cross_entropy


def away_from_zero(rng, shape):
    """Random values with |x| >= 0.1, so ReLU-like kinks are never within a finite-difference step."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def distinct_values(rng, shape):
    """A shuffled grid of values 0.01 apart: max pooling never has a tie within a step of 1e-5."""
    return (rng.permutation(int(np.prod(shape))) * 0.01 - 1.0).reshape(shape)


def numerical_parameter_gradient(layer, p, x, dy):
    """d sum(layer(x) * dy) / d p.value, by finite differences on the parameter's own array."""
    original = p.value.copy()

    def output_for(value):
        p.value[...] = value
        return layer.forward(x)

    grad = cb.numerical_gradient(output_for, original, dy)
    p.value[...] = original
    return grad


def assert_gradients_match(layer, x, rng, tolerance=1e-7):
    y = layer.forward(x)
    dy = rng.standard_normal(y.shape)
    layer.zero_grad()
    dx = layer.backward(dy)
    assert dx.shape == x.shape and dx.dtype == np.float64
    assert cb.rel_error(dx, cb.numerical_gradient(layer.forward, x, dy)) < tolerance
    for name, p in layer.parameters():
        analytic = p.grad.copy()
        assert cb.rel_error(analytic, numerical_parameter_gradient(layer, p, x, dy)) < tolerance, name


normal = np.random.Generator.standard_normal

LAYER_CASES = {  # name: (make layer from rng, input shape, draw input from rng)
    "conv": (lambda r: Conv2d(3, 4, 3, rng=r, dtype=np.float64), (2, 3, 6, 5), normal),
    "conv strided padded non-square": (
        lambda r: Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(1, 2), rng=r, dtype=np.float64), (2, 2, 7, 6), normal),
    "linear": (lambda r: Linear(5, 4, rng=r, dtype=np.float64), (3, 5), normal),
    "max pool overlapping": (lambda r: MaxPool2d(2, stride=1), (2, 3, 5, 4), distinct_values),
    "max pool padded": (lambda r: MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 7), distinct_values),
    "avg pool": (lambda r: AvgPool2d(3, stride=2, padding=1), (2, 3, 7, 6), normal),
    "relu": (lambda r: ReLU(), (2, 3, 4, 4), away_from_zero),
    "leaky relu": (lambda r: LeakyReLU(0.2), (3, 7), away_from_zero),
    "sigmoid": (lambda r: Sigmoid(), (2, 3, 4, 4), normal),
    "tanh": (lambda r: Tanh(), (4, 6), normal),
    "flatten": (lambda r: Flatten(), (2, 3, 4, 5), normal),
}


@pytest.mark.parametrize("case", LAYER_CASES)
def test_backward_matches_finite_differences(case, rng):
    make, shape, draw = LAYER_CASES[case]
    x = draw(rng, shape)
    assert_gradients_match(make(rng), x, rng)


def tiny_net(rng, dtype=np.float64):
    return Sequential(Conv2d(2, 3, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(3 * 3 * 3, 4, rng=rng, dtype=dtype))


def test_whole_network_with_loss_matches_finite_differences():
    # Finite differences of a loss near 1 carry round-off of about eps * loss / h ~ 1e-11, which
    # is a relative error of ~1e-6 on a dx entry that happens to be ~1e-5. Over seeds 0..7 the
    # rel_error of dx lies between 2e-8 and 5e-7 (parameters: below 2e-8); a wrong gradient gives
    # 1e-2 or more. The seed is fixed so that the test is reproducible.
    rng = np.random.default_rng(2)
    net = tiny_net(rng)
    x = rng.standard_normal((3, 2, 6, 6))
    labels = np.array([0, 3, 1])

    def loss_of_x(x_):
        return softmax_cross_entropy(net.forward(x_), labels)[0]

    loss, dlogits = softmax_cross_entropy(net.forward(x), labels)
    net.zero_grad()
    dx = net.backward(dlogits)
    # A ReLU input or a pooling tie within a step of 1e-5 would make finite differences meaningless.
    pre_relu = net[0].forward(x)
    assert np.min(np.abs(pre_relu)) > 1e-4
    assert cb.rel_error(dx, cb.numerical_gradient(loss_of_x, x)) < 1e-6
    for name, p in net.parameters():
        original = p.value.copy()

        def loss_of_param(value, p=p):
            p.value[...] = value
            return loss_of_x(x)

        numeric = cb.numerical_gradient(loss_of_param, original)
        p.value[...] = original
        assert cb.rel_error(p.grad, numeric) < 1e-6, name


def test_sequential_names_parameters_by_position(rng):
    net = tiny_net(rng)
    names = [name for name, _ in net.parameters()]
    assert names == ["0.weight", "0.bias", "4.weight", "4.bias"]
    assert all(isinstance(p, Parameter) for _, p in net.parameters())
    assert dict(net.parameters())["4.weight"] is net[4].params["weight"]
    nested = Sequential(net, Sequential(ReLU(), Linear(4, 2, rng=rng)))
    assert [name for name, _ in nested.parameters()][-2:] == ["1.1.weight", "1.1.bias"]


def test_backward_accumulates_until_zero_grad(rng):
    layer = Linear(3, 2, rng=rng, dtype=np.float64)
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(dy)
    once = layer.params["weight"].grad.copy()
    layer.backward(dy)
    np.testing.assert_allclose(layer.params["weight"].grad, 2 * once)
    layer.zero_grad()
    assert not layer.params["weight"].grad.any() and not layer.params["bias"].grad.any()


def test_forward_matches_the_functional_api(rng):
    conv = Conv2d(2, 3, 3, stride=2, padding=1, rng=rng, dtype=np.float64)
    conv.params["bias"].value[...] = rng.standard_normal(3)
    x = rng.standard_normal((2, 2, 7, 7))
    expected = cb.conv2d(x, conv.params["weight"].value, conv.params["bias"].value, stride=2, padding=1)
    np.testing.assert_array_equal(conv.forward(x), expected)
    linear = Linear(4, 2, rng=rng, dtype=np.float64)
    v = rng.standard_normal((3, 4))
    np.testing.assert_allclose(linear(v), v @ linear.params["weight"].value.T + linear.params["bias"].value)


def test_layers_do_not_modify_their_input(rng):
    net = tiny_net(rng)
    x = rng.standard_normal((2, 2, 6, 6))
    x_before = x.copy()
    dy = rng.standard_normal((2, 4))
    dy_before = dy.copy()
    net.forward(x)
    net.backward(dy)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dy, dy_before)


# --- dtype ---------------------------------------------------------------------------------

def test_float32_by_default_and_astype_float64(rng):
    net = tiny_net(rng, dtype=np.float32)
    assert net.dtype == np.float32
    assert net.forward(rng.standard_normal((2, 2, 6, 6))).dtype == np.float32  # float64 input is cast
    weight = net[0].params["weight"]
    before = weight.value.copy()
    assert net.astype(np.float64) is net
    assert weight.value.dtype == weight.grad.dtype == np.float64
    np.testing.assert_array_equal(weight.value, before)
    assert net.forward(np.ones((1, 2, 6, 6), np.float32)).dtype == np.float64


def test_parameter_free_layers_keep_the_input_dtype(rng):
    for layer in (ReLU(), MaxPool2d(2), Flatten(), Sigmoid()):
        assert layer.forward(rng.standard_normal((1, 1, 4, 4)).astype(np.float32)).dtype == np.float32


# --- errors --------------------------------------------------------------------------------

def test_wrong_input_shape_names_the_layer_and_the_expected_shape():
    conv = Conv2d(1, 6, kernel_size=5)
    with pytest.raises(ValueError) as info:
        conv.forward(np.zeros((64, 3, 28, 28), np.float32))
    assert str(info.value) == "Conv2d(1, 6, kernel_size=5): expected input (N, 1, H, W); got (64, 3, 28, 28)"
    with pytest.raises(ValueError, match=r"Linear\(400, 120\): expected input \(N, 400\); got \(2, 256\)"):
        Linear(400, 120).forward(np.zeros((2, 256)))
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2\): expected input \(N, C, H, W\); got \(3, 8, 8\)"):
        MaxPool2d(2).forward(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match=r"Flatten\(\): expected input"):
        Flatten().forward(np.zeros(5))


def test_sequential_says_which_layer_failed(rng):
    net = Sequential(Conv2d(1, 2, 3, rng=rng), Flatten(), Linear(10, 3, rng=rng))
    message = r"Sequential layer 2, Linear\(10, 3\): expected input \(N, 10\); got \(4, 18\)"
    with pytest.raises(ValueError, match=message):
        net.forward(np.zeros((4, 1, 5, 5)))


def test_backward_before_forward_is_a_clear_error():
    message = r"Conv2d\(1, 2, kernel_size=3, padding=1\): backward\(\) called before forward\(\)"
    with pytest.raises(RuntimeError, match=message):
        Conv2d(1, 2, 3, padding=1).backward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        Sequential(ReLU(), Linear(2, 2)).backward(np.zeros((1, 2)))


def test_backward_with_a_wrongly_shaped_dy(rng):
    layer = MaxPool2d(2)
    layer.forward(rng.standard_normal((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2\): dy must have shape \(1, 1, 2, 2\)"):
        layer.backward(np.zeros((1, 1, 4, 4)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="in_channels must be >= 1"):
        Conv2d(0, 6, 5)
    with pytest.raises(TypeError, match="kernel_size"):
        Conv2d(1, 6, 2.5)
    with pytest.raises(ValueError, match="unknown initialiser 'xavier'"):
        Linear(2, 2, init="xavier")
    with pytest.raises(TypeError, match="not a Layer"):
        Sequential(ReLU(), np.tanh)
    with pytest.raises(ValueError, match="negative_slope must be finite"):
        LeakyReLU(float("nan"))


def test_repr_reads_like_the_constructor():
    assert repr(Conv2d(3, 8, (3, 5), stride=2)) == "Conv2d(3, 8, kernel_size=(3, 5), stride=2)"
    assert repr(AvgPool2d(3, stride=1, padding=1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert "(1): ReLU()" in repr(Sequential(Linear(2, 2), ReLU()))


# --- initialisers --------------------------------------------------------------------------

def test_fans_of_dense_and_conv_weights():
    assert init.fans((120, 400)) == (400, 120)
    assert init.fans((16, 6, 5, 5)) == (6 * 25, 16 * 25)
    with pytest.raises(ValueError, match="fans"):
        init.fans((5,))


@pytest.mark.parametrize("name, bound", [
    ("fan_in_uniform", 1 / np.sqrt(6 * 25)),
    ("glorot_uniform", np.sqrt(6 / (6 * 25 + 16 * 25))),
    ("he_uniform", np.sqrt(6 / (6 * 25))),
])
def test_uniform_initialisers_fill_their_bound(name, bound):
    w = init.INITIALIZERS[name]((16, 6, 5, 5), np.random.default_rng(0))
    assert w.dtype == np.float32 and w.shape == (16, 6, 5, 5)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # 2400 draws: one lands in the top 1% of the range
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound


def test_he_normal_has_variance_two_over_fan_in():
    w = init.he_normal((64, 32, 3, 3), np.random.default_rng(0), dtype=np.float64)
    assert w.dtype == np.float64
    assert abs(w.std() / np.sqrt(2 / (32 * 9)) - 1) < 0.02
    assert abs(w.mean()) < 0.03 * w.std()  # the standard error of the mean is 0.007 std


def test_initialisation_is_deterministic_given_the_generator():
    a = Conv2d(1, 6, 5, rng=np.random.default_rng(7), init="he_normal")
    b = Conv2d(1, 6, 5, rng=np.random.default_rng(7), init="he_normal")
    c = Conv2d(1, 6, 5, rng=np.random.default_rng(8), init="he_normal")
    np.testing.assert_array_equal(a.params["weight"].value, b.params["weight"].value)
    assert not np.array_equal(a.params["weight"].value, c.params["weight"].value)
    assert not a.params["bias"].value.any()


def test_initialisers_need_a_generator():
    with pytest.raises(TypeError, match="np.random.Generator"):
        init.he_uniform((2, 2), 0)


def test_backward_without_the_input_gradient_adds_the_same_parameter_gradients(rng):
    """``backward(dy, input_grad=False)`` returns None and adds exactly what the full backward adds."""
    net = Sequential(Conv2d(1, 4, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(16, 3, rng=rng))
    x = rng.standard_normal((5, 1, 4, 4)).astype(np.float32)
    dy = rng.standard_normal((5, 3)).astype(np.float32)
    net.forward(x)
    net.zero_grad()
    assert net.backward(dy).shape == x.shape
    full = {name: p.grad.copy() for name, p in net.parameters()}
    net.zero_grad()
    assert net.backward(dy, input_grad=False) is None
    for name, p in net.parameters():
        np.testing.assert_array_equal(p.grad, full[name], err_msg=name)
    # a first layer without parameters does no work and still returns None; single layers too
    assert Sequential(ReLU(), Linear(2, 2, rng=rng)).forward(np.ones((1, 2))) is not None
    for layer in (ReLU(), Linear(2, 2, rng=rng), Conv2d(1, 1, 1, rng=rng)):
        shape = (1, 1, 2, 2) if isinstance(layer, Conv2d) else (1, 2)
        layer.forward(np.ones(shape))
        assert layer.backward(np.ones(shape), input_grad=False) is None
