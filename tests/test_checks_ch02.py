"""Chapter 2's exercise checks: learner-style answers pass, planted mistakes are named.

Every implementation here is written independently, as a learner would, never by calling a
question's reference or a Mistake's function.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.course.checks import check, questions_of_chapter
from cnnbook.teaching.connectivity import locally_connected2d, locally_connected2d_backward, share_weights
from checking import diagnoses

NAMES = ["parameter_counts", "multiply_adds", "receptive_field", "receptive_field_range", "connected_pixel_count",
         "stacked_3x3", "tied_gradients", "locally_connected2d_backward"]


def test_chapter_2_has_its_questions_in_order():
    assert [q.name for q in questions_of_chapter(2)] == NAMES
    assert sum(q.points for q in questions_of_chapter(2)) == 9


# --- parameter counts, from the shapes of the arrays each layer would hold ------------------------

def counts_from_shapes(C, H, W, K, R, S, stride, padding, mistake=""):
    """Count the numbers in each layer's arrays; the output size by counting window positions."""
    step = 1 if mistake == "no stride" else stride
    pad = 0 if mistake == "no padding" else padding
    P = len(range(0, H + 2 * pad - R + 1, step))
    Q = len(range(0, W + 2 * pad - S + 1, step))
    if mistake == "no +1":
        P, Q = (H + 2 * padding - R) // stride, (W + 2 * padding - S) // stride
    if mistake == "float":
        P, Q = (H + 2 * padding - R) / stride + 1, (W + 2 * padding - S) / stride + 1
    channels = 1 if mistake == "no channels" else C
    dense_out = K if mistake == "dense per map" else K * P * Q
    arrays = {
        "dense": [(dense_out, channels * H * W), (dense_out,)],
        "local": [(P, Q, K, channels, R, S), (K,) if mistake == "local bias per map" else (K, P, Q)],
        "conv": [(K, channels, R, S), (K,)],
    }
    if mistake == "conv per position":
        arrays["conv"] = arrays["local"]
    if mistake == "local like conv":
        arrays["local"] = arrays["conv"]
    if mistake == "no bias":
        arrays = {name: shapes[:1] for name, shapes in arrays.items()}
    return tuple(sum(math.prod(shape) for shape in arrays[name]) for name in ("dense", "local", "conv"))


def test_parameter_counts_pass_and_match_the_chapter():
    assert counts_from_shapes(3, 200, 200, 16, 5, 5, 1, 2) == (76_800_640_000, 48_640_000, 1_216)
    assert check("parameter_counts", counts_from_shapes, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("no bias", "biases are forgotten"),
    ("no channels", "input channels are forgotten"),
    ("conv per position", "counted once per output position"),
    ("local like conv", "counted like a convolution"),
    ("local bias per map", "one bias per map"),
    ("dense per map", "dense layer was given K outputs"),
    ("no padding", "ignores the padding"),
    ("no stride", "ignores the stride"),
    ("no +1", "'+ 1' of the output size is missing"),
    ("float", "the counts are floats"),
])
def test_parameter_count_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("parameter_counts", lambda *a: counts_from_shapes(*a, mistake=mistake))


def test_a_bias_forgotten_in_the_convolution_only_is_named():
    def conv_without_bias(*args):
        dense, local, conv = counts_from_shapes(*args)
        C, K, R, S = args[0], args[3], args[4], args[5]
        return dense, local, K * C * R * S

    assert "biases are forgotten" in diagnoses("parameter_counts", conv_without_bias)


# --- multiply-adds, by counting the products of every weighted sum ------------------------------------

def macs_by_counting(C, H, W, K, R, S, stride, padding, mistake=""):
    """Each output is a weighted sum; count its products, output by output (one multiply-add each)."""
    step = 1 if mistake == "no stride" else stride
    P = len(range(0, H + 2 * padding - R + 1, step))
    Q = len(range(0, W + 2 * padding - S + 1, step))
    if mistake == "input positions":
        P, Q = H, W
    channels = 1 if mistake == "no channels" else C
    outputs = K * P * Q
    products = {"dense": channels * H * W, "local": channels * R * S, "conv": channels * R * S}
    if mistake == "dense like local":
        products["dense"] = channels * R * S
    counts = [outputs * products[name] for name in ("dense", "local", "conv")]
    if mistake == "shared once":          # "a shared weight is one multiply"
        counts[2] = K * channels * R * S
    if mistake == "flops":
        counts = [2 * c for c in counts]
    if mistake == "bias":
        counts = [c + outputs for c in counts]
    if mistake == "parameters":
        counts = [counts[0] + outputs, counts[1] + outputs, K * (channels * R * S + 1)]
    if mistake == "float":
        counts = [float(c) for c in counts]
    return tuple(counts)


def test_multiply_adds_pass_and_match_the_chapter():
    assert macs_by_counting(3, 32, 32, 16, 5, 5, 1, 0) == (38_535_168, 940_800, 940_800)
    assert check("multiply_adds", macs_by_counting, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("parameters", "these are parameter counts"),
    ("shared once", "weight sharing does not save multiply-adds"),
    ("flops", "these are FLOPs"),
    ("bias", "the bias additions are counted"),
    ("input positions", "counted at every input pixel"),
    ("no channels", "the input channels are forgotten"),
    ("dense like local", "dense layer was counted like a local one"),
    ("float", "the counts are floats"),
])
def test_multiply_add_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("multiply_adds", lambda *a: macs_by_counting(*a, mistake=mistake))


# --- receptive fields, by brute force over sets of units ------------------------------------------

def pixels_seen(layers, index, reverse=True, use_strides=True):
    """The input pixels that reach unit `index` of the top layer: follow every connection down."""
    units = {index}
    for kernel, stride in (reversed(layers) if reverse else layers):
        step = stride if use_strides else 1
        units = {unit * step + offset for unit in units for offset in range(kernel)}
    return units


def field_by_brute_force(layers, mistake=""):
    if mistake == "kernel":
        return layers[-1][0]
    if mistake == "sum of kernels":
        return sum(kernel for kernel, _ in layers)
    if mistake == "stride too early":
        size, jump = 1, 1
        for kernel, stride in layers:
            jump = jump * stride
            size = size + (kernel - 1) * jump
        return size
    return len(pixels_seen(layers, 0, reverse=mistake != "wrong order", use_strides=mistake != "no strides"))


def test_receptive_field_by_brute_force_passes():
    assert field_by_brute_force([(3, 1), (2, 2), (3, 1), (3, 2)]) == 12
    assert field_by_brute_force([(3, 2)] * 4) == 31
    assert check("receptive_field", field_by_brute_force, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("kernel", "not the kernel size"),
    ("no strides", "the strides are ignored"),
    ("stride too early", "multiplied by a layer's own stride too early"),
    ("wrong order", "taken in the wrong order"),
    ("sum of kernels", "kernel sizes were added up"),
])
def test_receptive_field_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("receptive_field", lambda layers: field_by_brute_force(layers, mistake))


def range_by_brute_force(layers, index, mistake=""):
    pixels = pixels_seen(layers, index)
    start, stop = min(pixels), max(pixels) + 1
    size = stop - start
    if mistake == "inclusive":
        return start, stop - 1
    if mistake == "start without strides":
        return index, index + size
    if mistake == "top stride only":
        return index * layers[-1][1], index * layers[-1][1] + size
    if mistake == "size without strides":
        return start, start + len(pixels_seen(layers, 0, use_strides=False))
    return start, stop


def test_receptive_field_range_by_brute_force_passes():
    layers = [(3, 1), (2, 2), (3, 1), (3, 2)]
    assert range_by_brute_force(layers, 2) == (8, 20) and range_by_brute_force(layers, 3) == (12, 24)
    assert check("receptive_field_range", range_by_brute_force, verbose=False).passed
    assert check("receptive_field_range", lambda layers, i: list(range_by_brute_force(layers, i)), verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("inclusive", "the range is half-open"),
    ("start without strides", "the start ignores the strides"),
    ("top stride only", "the top layer's stride only"),
    ("size without strides", "the field's size ignores the strides"),
])
def test_receptive_field_range_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("receptive_field_range", lambda layers, i: range_by_brute_force(layers, i, mistake))


# --- connected pixels, by walking the connections with a list ---------------------------------------

def connected_by_walking(layers, mistake=""):
    if mistake == "span":
        return len(range(min(pixels_seen(layers, 0)), max(pixels_seen(layers, 0)) + 1))
    if mistake == "paths":
        count = 1
        for kernel, _ in layers:
            count *= kernel
        return count
    frontier = [0]
    for kernel, stride in (layers if mistake == "wrong order" else layers[::-1]):
        step = 1 if mistake == "no strides" else stride
        frontier = [unit * step + offset for unit in frontier for offset in range(kernel)]
    return len(set(frontier))


def test_connected_pixel_count_passes_and_finds_the_chapters_holes():
    assert connected_by_walking([(1, 2), (3, 1)]) == 3 and connected_by_walking([(3, 1)] * 3) == 7
    assert check("connected_pixel_count", connected_by_walking, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("span", "that is the span of the receptive field"),
    ("paths", "that is the number of paths"),
    ("no strides", "the strides are ignored"),
    ("wrong order", "taken in the wrong order"),
])
def test_connected_pixel_count_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("connected_pixel_count", lambda layers: connected_by_walking(layers, mistake))


# --- a stack of 3x3 layers against one large layer -------------------------------------------------

def stack_by_shapes(C, n, mistake=""):
    """Build the weight shapes of both designs and count; the span by growing it layer by layer."""
    span = 1
    for _ in range(n):
        span = {"added": span + 3 if span > 1 else 3, "multiplied": span * 3}.get(mistake, span + 2)
    filter_shape = (C, 3, 3) if mistake == "C not squared" else (C, C, 3, 3)      # (K, C, R, S) with K = C
    stack = (1 if mistake == "one layer" else n) * math.prod(filter_shape)
    shapes = {"C not squared": (C, span, span), "kernel not squared": (C, C, span)}
    single_shape = shapes.get(mistake, (C, C, span, span))
    single = math.prod(single_shape)
    if mistake == "bias":
        stack, single = stack + n * C, single + C
    return span, stack, single


def test_stacked_3x3_passes_and_matches_the_chapter():
    assert stack_by_shapes(64, 2) == (5, 73_728, 102_400) and stack_by_shapes(64, 3) == (7, 110_592, 200_704)
    assert check("stacked_3x3", stack_by_shapes, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("added", "the kernel sizes were added up"),
    ("multiplied", "the spans were multiplied"),
    ("C not squared", "9*C*C weights, not 9*C"),
    ("bias", "the biases are counted"),
    ("kernel not squared", "F*F taps for each pair of channels"),
    ("one layer", "the stack has n layers"),
])
def test_stacked_3x3_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("stacked_3x3", lambda C, n: stack_by_shapes(C, n, mistake))


# --- the gradient of a shared weight --------------------------------------------------------------

def tied_by_loops(dw_local, db_local, mistake=""):
    P, Q = dw_local.shape[:2]
    dw, db = np.zeros(dw_local.shape[2:]), np.zeros(db_local.shape[0])
    for i in range(P):
        for j in range(Q):
            if mistake == "overwrite":
                dw, db = dw_local[i, j].copy(), db_local[:, i, j].copy()
            elif mistake != "first" or (i, j) == (0, 0):
                dw += dw_local[i, j]
                db += db_local[:, i, j]
    if mistake == "mean":
        return dw / (P * Q), db / (P * Q)
    if mistake == "db axes":
        return dw, db_local.sum(axis=0).sum(axis=0)
    if mistake == "dw axes":
        return dw_local.sum(axis=-1).sum(axis=-1), db
    return dw, db


def test_tied_gradients_pass_and_give_the_convolution_gradient():
    assert check("tied_gradients", tied_by_loops, verbose=False).passed
    rng = np.random.default_rng(7)
    x, w, dy = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=(2, 3, 2, 2))
    _, dw_local, db_local = locally_connected2d_backward(dy, x, share_weights(w, (2, 2)), stride=2)
    _, dw_conv, db_conv = cb.conv2d_backward(dy, x, w, stride=2)
    dw, db = tied_by_loops(dw_local, db_local)
    assert np.allclose(dw, dw_conv, atol=1e-12) and np.allclose(db, db_conv, atol=1e-12)


@pytest.mark.parametrize("mistake, diagnosis", [
    ("mean", "gradients are averaged"),
    ("first", "only the first position's gradient"),
    ("overwrite", "overwritten (=) instead of accumulated (+=)"),
    ("db axes", "db is summed over the wrong axes"),
    ("dw axes", "dw is summed over the wrong axes"),
])
def test_tied_gradient_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("tied_gradients", lambda dw, db: tied_by_loops(dw, db, mistake))


# --- the locally connected backward pass, one product at a time ------------------------------------

def local_backward_by_products(dy, x, w, stride, padding):
    """Every product x * w of the forward pass sends dy back to both factors."""
    N, C, H, W = x.shape
    P, Q, K, _, R, S = w.shape
    dx, dw = np.zeros(x.shape), np.zeros(w.shape)
    for n, k, i, j, c, r, s in np.ndindex(N, K, P, Q, C, R, S):
        row, col = i * stride + r - padding, j * stride + s - padding
        if 0 <= row < H and 0 <= col < W:          # a product with a padded zero changes nothing
            dx[n, c, row, col] += dy[n, k, i, j] * w[i, j, k, c, r, s]
            dw[i, j, k, c, r, s] += dy[n, k, i, j] * x[n, c, row, col]
    db = np.zeros(dy.shape[1:])
    for n in range(N):
        db += dy[n]
    return dx, dw, db


def local_backward_by_windows(dy, x, w, stride, padding, mistake=""):
    """Window by window, with a planted slip."""
    P, Q, K, C, R, S = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    step = 1 if mistake == "no stride" else stride
    for i in range(P):
        for j in range(Q):
            window = xp[:, :, i * step:i * step + R, j * step:j * step + S]
            g = dy[:, :, i, j]
            back = np.tensordot(g, w[i, j], axes=(1, 0))                 # (N, C, R, S)
            if mistake == "assign":
                dxp[:, :, i * step:i * step + R, j * step:j * step + S] = back
            else:
                dxp[:, :, i * step:i * step + R, j * step:j * step + S] += back
            if mistake == "one sample":
                dw[i, j] = np.tensordot(g[-1], window[-1], axes=0)
            else:
                dw[i, j] = np.tensordot(g, window, axes=(0, 0))
    if mistake == "tied":
        dw[:] = dw.sum(axis=(0, 1))
    dx = dxp if mistake == "no crop" else dxp[:, :, padding:xp.shape[2] - padding, padding:xp.shape[3] - padding]
    db = {"db positions": dy.sum(axis=(0, 2, 3)), "db per sample": dy.copy()}.get(mistake, dy.sum(axis=0))
    return dx, dw, db


def test_locally_connected_backward_passes_and_agrees_with_finite_differences():
    rng = np.random.default_rng(8)
    x, w, b = rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(3, 3, 3, 2, 3, 2)), rng.normal(size=(3, 3, 3))
    dy = rng.normal(size=(2, 3, 3, 3))
    dx, dw, db = local_backward_by_products(dy, x, w, 2, 1)
    # the layer is linear in x and in w, so a large step is exact but for rounding (and loses fewer digits)
    assert cb.rel_error(dx, cb.numerical_gradient(lambda v: locally_connected2d(v, w, b, 2, 1), x, dy, h=1e-3)) < 1e-7
    assert cb.rel_error(dw, cb.numerical_gradient(lambda v: locally_connected2d(x, v, b, 2, 1), w, dy, h=1e-3)) < 1e-7
    assert check("locally_connected2d_backward", local_backward_by_products, verbose=False).passed
    assert check("locally_connected2d_backward", local_backward_by_windows, verbose=False).passed


@pytest.mark.parametrize("mistake, diagnosis", [
    ("assign", "dx is overwritten (=) where windows overlap"),
    ("no crop", "padding is not cropped"),
    ("no stride", "the stride is ignored"),
    ("one sample", "dw is not summed over the batch"),
    ("tied", "dw was summed over the positions"),
    ("db positions", "db is summed over the positions too"),
    ("db per sample", "db is not summed over the batch"),
])
def test_locally_connected_backward_mistakes_are_named(mistake, diagnosis):
    assert diagnosis in diagnoses("locally_connected2d_backward",
                                  lambda *a: local_backward_by_windows(*a, mistake=mistake))


def test_a_backward_pass_that_pads_its_input_in_place_is_caught():
    def in_place(dy, x, w, stride, padding):
        result = local_backward_by_products(dy, x, w, stride, padding)
        x *= 2
        return result

    report = check("locally_connected2d_backward", in_place, verbose=False)
    assert not report.passed and "input array was modified" in " ".join(report.diagnoses())


# --- the solution notebook ----------------------------------------------------------------------------
