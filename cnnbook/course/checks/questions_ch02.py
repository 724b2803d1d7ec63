"""Chapter 2 exercises: parameter counts and multiply-adds, receptive fields (span, position and
connected pixels), stacks of 3x3 layers, the gradient of a shared weight, and the backward pass of
a locally connected layer."""

from __future__ import annotations

import numpy as np

from ...teaching.connectivity import (
    connected_units,
    conv_multiply_adds,
    conv_parameter_count,
    dense_multiply_adds,
    dense_parameter_count,
    locally_connected2d_backward,
    locally_connected_parameter_count,
    receptive_field,
    receptive_field_extents,
)
from . import register
from .framework import Case, Mistake, Question

# --- parameter_counts(C, H, W, K, R, S, stride, padding) -> (dense, locally connected, conv) -------


def _count_cases() -> list[Case]:
    def case(name, C, H, W, K, R, S, stride, padding):
        return Case(f"{name}: input {C}x{H}x{W}, K = {K}, kernel {R}x{S}, stride {stride}, padding {padding}",
                    (C, H, W, K, R, S, stride, padding))

    return [
        case("the chapter's photograph", 3, 200, 200, 16, 5, 5, 1, 2),
        case("small enough to count by hand", 1, 4, 4, 1, 3, 3, 1, 0),
        case("channels, a non-square kernel, padding, a stride that does not divide", 3, 7, 9, 4, 3, 2, 2, 2),
        case("an AlexNet-like first layer", 3, 227, 227, 96, 11, 11, 4, 0),
        case("a 1x1 kernel", 8, 5, 5, 4, 1, 1, 1, 0),
        case("the kernel covers the whole image (one position: all three coincide)", 2, 4, 4, 3, 4, 4, 1, 0),
    ]


def _counts(C, H, W, K, R, S, stride, padding, bias=True, channels=True, output_size=None,
            conv_per_position=False, local_bias_per_map=False, local_like_conv=False, dense_per_map=False):
    """The three counts, with one learner's slip switchable on."""
    if output_size is None:
        P, Q = (H + 2 * padding - R) // stride + 1, (W + 2 * padding - S) // stride + 1
    else:
        P, Q = output_size(H, R), output_size(W, S)
    if not channels:
        C = 1
    b = 1 if bias else 0
    dense_outputs = K if dense_per_map else K * P * Q
    dense = C * H * W * dense_outputs + b * dense_outputs
    conv = K * (C * R * S + b)
    local = P * Q * K * (C * R * S + b)
    if local_bias_per_map:
        local = P * Q * K * C * R * S + b * K
    if local_like_conv:
        local = conv
    if conv_per_position:
        conv = local
    return dense, local, conv


def _count_reference(C, H, W, K, R, S, stride, padding):
    P = (H + 2 * padding - R) // stride + 1
    Q = (W + 2 * padding - S) // stride + 1
    return (dense_parameter_count(C * H * W, K * P * Q),
            locally_connected_parameter_count((C, H, W), K, (R, S), stride, padding),
            conv_parameter_count(C, K, (R, S)))


register(Question(
    name="parameter_counts",
    function="parameter_counts",
    chapter=2,
    forbidden=(
        "cnnbook.teaching.connectivity.conv_parameter_count",
        "cnnbook.teaching.connectivity.dense_parameter_count",
        "cnnbook.teaching.connectivity.locally_connected_parameter_count",
    ),
    reference=_count_reference,
    cases=_count_cases,
    output_names=("dense", "locally connected", "convolutional"),
    mistakes=(
        Mistake("the biases are forgotten: every output unit of the dense and the locally connected layer has "
                "its own bias, and every map of the convolution has one", lambda *a: _counts(*a, bias=False)),
        Mistake("the input channels are forgotten: a filter spans all C channels, so a unit of the dense layer "
                "sees C*H*W numbers and a filter has C*R*S weights", lambda *a: _counts(*a, channels=False)),
        Mistake("the convolution's weights are counted once per output position: with weight sharing one bank of "
                "K filters (K*(C*R*S + 1) numbers) serves all P*Q positions", lambda *a: _counts(*a, conv_per_position=True)),
        Mistake("the locally connected layer was counted like a convolution: each of its P*Q positions owns its "
                "filters and biases, P*Q*K*(C*R*S + 1)", lambda *a: _counts(*a, local_like_conv=True)),
        Mistake("the locally connected layer got one bias per map: like its weights, its biases are not shared, "
                "so there are K biases at each of the P*Q positions", lambda *a: _counts(*a, local_bias_per_map=True)),
        Mistake("the dense layer was given K outputs: its outputs are all K*P*Q units of the output maps, and each "
                "has C*H*W weights and a bias", lambda *a: _counts(*a, dense_per_map=True)),
        Mistake("the output size ignores the padding: P = (H + 2*padding - R) // stride + 1",
                lambda C, H, W, K, R, S, st, p: _counts(C, H, W, K, R, S, st, p,
                                                        output_size=lambda n, k: (n - k) // st + 1)),
        Mistake("the output size ignores the stride: P = (H + 2*padding - R) // stride + 1",
                lambda C, H, W, K, R, S, st, p: _counts(C, H, W, K, R, S, st, p,
                                                        output_size=lambda n, k: n + 2 * p - k + 1)),
        Mistake("the '+ 1' of the output size is missing: the first window position counts too",
                lambda C, H, W, K, R, S, st, p: _counts(C, H, W, K, R, S, st, p,
                                                        output_size=lambda n, k: (n + 2 * p - k) // st)),
        Mistake("the counts are floats: the output size needs integer division, (H + 2*padding - R) // stride + 1",
                lambda C, H, W, K, R, S, st, p: _counts(C, H, W, K, R, S, st, p,
                                                        output_size=lambda n, k: (n + 2 * p - k) / st + 1)),
    ),
))

# --- multiply_adds(C, H, W, K, R, S, stride, padding) -> (dense, locally connected, conv) -----------


def _macs_reference(C, H, W, K, R, S, stride, padding):
    P = (H + 2 * padding - R) // stride + 1
    Q = (W + 2 * padding - S) // stride + 1
    conv = conv_multiply_adds((C, H, W), K, (R, S), stride, padding)
    return dense_multiply_adds(C * H * W, K * P * Q), conv, conv


def _macs(C, H, W, K, R, S, stride, padding, channels=True, positions="output", shared_once=False,
          per_op=1, bias_adds=False, dense_like_local=False, divide=False):
    """The three multiply-add counts, with one learner's slip switchable on."""
    if divide:
        P, Q = (H + 2 * padding - R) / stride + 1, (W + 2 * padding - S) / stride + 1
    else:
        P, Q = (H + 2 * padding - R) // stride + 1, (W + 2 * padding - S) // stride + 1
    if positions == "input":
        P, Q = H, W
    if not channels:
        C = 1
    dense = C * H * W * K * P * Q
    local = K * C * R * S * P * Q
    conv = K * C * R * S if shared_once else local
    if dense_like_local:
        dense = local
    counts = [dense, local, conv]
    if bias_adds:
        counts = [dense + K * P * Q, local + K * P * Q, conv + K * P * Q]
    return tuple(per_op * count for count in counts)


register(Question(
    name="multiply_adds",
    function="multiply_adds",
    chapter=2,
    forbidden=("cnnbook.teaching.connectivity.conv_multiply_adds", "cnnbook.teaching.connectivity.dense_multiply_adds"),
    reference=_macs_reference,
    cases=lambda: [Case("source 002's example: input 3x32x32, K = 16, kernel 5x5, stride 1, padding 0",
                        (3, 32, 32, 16, 5, 5, 1, 0))] + _count_cases(),
    output_names=("dense", "locally connected", "convolutional"),
    mistakes=(
        Mistake("these are parameter counts, not multiply-adds: count one multiply-add per product in each "
                "output's weighted sum (no biases), K*P*Q outputs of C*R*S products for the two local layers",
                _count_reference),
        Mistake("weight sharing does not save multiply-adds: each of the K*C*R*S shared weights is used at every "
                "one of the P*Q positions, so the convolution does K*C*R*S*P*Q, as many as the locally connected "
                "layer", lambda *a: _macs(*a, shared_once=True)),
        Mistake("these are FLOPs (two per multiply-add): a multiply-add is one product added to a running sum, "
                "count it once", lambda *a: _macs(*a, per_op=2)),
        Mistake("the bias additions are counted: count only the products of the weighted sums, "
                "one multiply-add each", lambda *a: _macs(*a, bias_adds=True)),
        Mistake("the sums were counted at every input pixel: a layer computes its sums only at the P*Q output "
                "positions, P = (H + 2*padding - R) // stride + 1", lambda *a: _macs(*a, positions="input")),
        Mistake("the input channels are forgotten: an output of the two local layers sums C*R*S products, an "
                "output of the dense layer C*H*W", lambda *a: _macs(*a, channels=False)),
        Mistake("the dense layer was counted like a local one: each of its K*P*Q outputs sums over all C*H*W input "
                "numbers", lambda *a: _macs(*a, dense_like_local=True)),
        Mistake("the counts are floats: the output size needs integer division, (H + 2*padding - R) // stride + 1",
                lambda *a: _macs(*a, divide=True)),
    ),
))

# --- receptive_field(layers) -> int -----------------------------------------------------------------


def _field_cases() -> list[Case]:
    def case(name, layers):
        return Case(f"{name}: {layers}", (layers,))

    return [
        case("one layer (the field is the kernel)", [(5, 1)]),
        case("three 3x3 layers, stride 1", [(3, 1)] * 3),
        case("four 3x3 layers, stride 2 (the chapter's 31)", [(3, 2)] * 4),
        case("the chapter's brute-force network", [(3, 1), (2, 2), (3, 1), (3, 2)]),
        case("conv and 2x2 pooling, three times", [(3, 1), (2, 2)] * 3),
        case("a strided stem, then 3x3 layers", [(7, 2), (3, 2), (3, 1), (3, 1)]),
        case("a stride on the top layer only (it does not widen this unit's field)", [(3, 1), (3, 1), (3, 3)]),
        case("a 2x2 pooling and a strided 3x3 layer, then a 3x3 layer", [(2, 2), (3, 2), (3, 1)]),
    ]


def _field_without_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _field_stride_too_early(layers):
    size, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride                 # the layer's own stride applied before its kernel
        size += (kernel - 1) * jump
    return size


register(Question(
    name="receptive_field",
    function="receptive_field",
    chapter=2,
    reference=lambda layers: receptive_field(layers),
    cases=_field_cases,
    mistakes=(
        Mistake("the receptive field is not the kernel size: that holds for the first layer only; every layer "
                "adds (kernel - 1) times the jump (the product of the strides below it)", lambda layers: layers[-1][0]),
        Mistake("the strides are ignored: a layer's (kernel - 1) extra units are `jump` input pixels apart, where "
                "jump is the product of the strides of the layers below", _field_without_strides),
        Mistake("the jump is multiplied by a layer's own stride too early: first size += (kernel - 1) * jump, "
                "then jump *= stride (a layer's stride spaces the units above it, not its own inputs)",
                _field_stride_too_early),
        Mistake("the layers were taken in the wrong order: layers[0] is the first layer on the input; the strides "
                "that multiply a layer's (kernel - 1) are those of the layers below it",
                lambda layers: receptive_field(list(layers)[::-1])),
        Mistake("the kernel sizes were added up: neighbouring units' fields overlap, so each layer adds "
                "(kernel - 1) * jump, not kernel", lambda layers: sum(k for k, _ in layers)),
    ),
))

# --- receptive_field_range(layers, index) -> (start, stop) ------------------------------------------


def _range_cases() -> list[Case]:
    def case(name, layers, index):
        return Case(f"{name}: {layers}, unit {index}", (layers, index))

    return [
        case("two layers (the package's docstring example)", [(3, 1), (3, 2)], 1),
        case("unit 0 starts at pixel 0", [(3, 1)] * 3, 0),
        case("one layer", [(5, 1)], 3),
        case("one layer with stride 2", [(3, 2)], 2),
        case("the chapter's brute-force network, row 2", [(3, 1), (2, 2), (3, 1), (3, 2)], 2),
        case("the chapter's brute-force network, column 3", [(3, 1), (2, 2), (3, 1), (3, 2)], 3),
        case("three 2x2 poolings", [(2, 2)] * 3, 5),
        case("strides everywhere", [(3, 2), (3, 2), (3, 2)], 1),
    ]


def _range_with(layers, index, jump):
    start = index * jump
    return start, start + receptive_field(layers)


register(Question(
    name="receptive_field_range",
    function="receptive_field_range",
    chapter=2,
    reference=lambda layers, index: receptive_field_extents(layers, index)[0],
    cases=_range_cases,
    output_names=("start", "stop"),
    mistakes=(
        Mistake("stop is the last pixel: the range is half-open, stop = start + receptive field (one past the end)",
                lambda layers, index: (receptive_field_extents(layers, index)[0][0],
                                       receptive_field_extents(layers, index)[0][1] - 1)),
        Mistake("the field's size ignores the strides (see the previous question): stop = start + receptive field",
                lambda layers, index: (receptive_field_extents(layers, index)[0][0],
                                       receptive_field_extents(layers, index)[0][0] + _field_without_strides(layers))),
        Mistake("the start ignores the strides: neighbouring units of the top layer are jump = (product of all "
                "strides) input pixels apart, so unit `index` starts at index * jump",
                lambda layers, index: _range_with(layers, index, 1)),
        Mistake("the start uses the top layer's stride only: going down each layer (kernel, stride) maps unit i "
                "to unit i * stride, so the start is index times the product of all strides",
                lambda layers, index: _range_with(layers, index, layers[-1][1])),
    ),
))

# --- connected_pixel_count(layers) -> int --------------------------------------------------------------


def _connected_cases() -> list[Case]:
    def case(name, layers):
        return Case(f"{name}: {layers}", (layers,))

    return [
        case("three 3x3 layers, stride 1: every pixel of the span", [(3, 1)] * 3),
        case("a 1x1 layer with stride 2 under a 3x3 layer (the chapter's holes)", [(1, 2), (3, 1)]),
        case("two 2x2 layers with stride 3", [(2, 3), (2, 3)]),
        case("a 2x2 layer with stride 3 under a 3x3 layer", [(2, 3), (3, 1)]),
        case("the holes survive two 3x3 layers", [(1, 2), (3, 1), (3, 1)]),
        case("a gap filled again by the 3x3 layer below it", [(3, 1), (1, 2), (3, 1)]),
        case("three 2x2 poolings", [(2, 2)] * 3),
        case("one 5x5 layer", [(5, 1)]),
        case("a stride on the top layer (it spaces the units above, not this unit's inputs)", [(3, 1), (3, 2)]),
        case("a 2x2 layer with stride 3 under a 3x3 layer with stride 2", [(2, 3), (3, 2)]),
    ]


def _connected_count(layers, reverse=True, use_strides=True):
    units = {0}
    for kernel, stride in (reversed(layers) if reverse else layers):
        units = {unit * (stride if use_strides else 1) + offset for unit in units for offset in range(kernel)}
    return len(units)


register(Question(
    name="connected_pixel_count",
    function="connected_pixel_count",
    chapter=2,
    reference=lambda layers: len(connected_units(layers, 0)[0]),
    cases=_connected_cases,
    mistakes=(
        Mistake("that is the span of the receptive field: when a kernel is smaller than its stride, some pixels "
                "inside the span are skipped; follow the connections down and count the distinct pixels reached",
                lambda layers: receptive_field(layers)),
        Mistake("that is the number of paths (one kernel offset per layer), not of pixels: where windows overlap, "
                "several paths reach the same pixel, so count distinct pixels (use a set)",
                lambda layers: int(np.prod([kernel for kernel, _ in layers]))),
        Mistake("the strides are ignored: going down through a layer (kernel, stride), unit u reads the units "
                "u*stride, ..., u*stride + kernel - 1", lambda layers: _connected_count(layers, use_strides=False)),
        Mistake("the layers were taken in the wrong order: layers[0] is the first layer on the input, so going "
                "down from the top unit starts with the LAST layer",
                lambda layers: _connected_count(layers, reverse=False)),
    ),
))

# --- stacked_3x3(C, n) -> (span, stack weights, single-layer weights) ----------------------------------


def _stack_cases() -> list[Case]:
    def case(name, C, n):
        return Case(f"{name}: C = {C}, n = {n}", (C, n))

    return [
        case("one layer, one channel (all three by hand: 3, 9, 9)", 1, 1),
        case("two layers, one channel", 1, 2),
        case("two layers against a 5x5 (the chapter)", 64, 2),
        case("three layers against a 7x7 (the chapter)", 64, 3),
        case("four layers, three channels", 3, 4),
        case("five layers, 16 channels", 16, 5),
    ]


def _stack(C, n, span=None, channels_squared=True, bias=False, square_kernel=True, layers=True):
    F = 2 * n + 1 if span is None else span(n)
    per_channel_pair = C * C if channels_squared else C
    stack = (n if layers else 1) * 9 * per_channel_pair + (n * C if bias else 0)
    single = (F * F if square_kernel else F) * per_channel_pair + (C if bias else 0)
    return F, stack, single


register(Question(
    name="stacked_3x3",
    function="stacked_3x3",
    chapter=2,
    reference=lambda C, n: (receptive_field([(3, 1)] * n), n * conv_parameter_count(C, C, 3, bias=False),
                            conv_parameter_count(C, C, receptive_field([(3, 1)] * n), bias=False)),
    cases=_stack_cases,
    output_names=("span", "stack weights", "single-layer weights"),
    mistakes=(
        Mistake("the kernel sizes were added up: neighbouring fields overlap, so each stride-1 3x3 layer adds "
                "kernel - 1 = 2 pixels to the span, F = 1 + 2n", lambda C, n: _stack(C, n, span=lambda m: 3 * m)),
        Mistake("the spans were multiplied: at stride 1 each layer ADDS kernel - 1 = 2 pixels, F = 1 + 2n",
                lambda C, n: _stack(C, n, span=lambda m: 3 ** m)),
        Mistake("a layer from C channels to C channels has C filters of C x 3 x 3 weights: 9*C*C weights, "
                "not 9*C", lambda C, n: _stack(C, n, channels_squared=False)),
        Mistake("the biases are counted: the question counts weights only", lambda C, n: _stack(C, n, bias=True)),
        Mistake("the single layer's kernel is F x F: it has F*F taps for each pair of channels, F*F*C*C weights",
                lambda C, n: _stack(C, n, square_kernel=False)),
        Mistake("the stack has n layers, each with 9*C*C weights", lambda C, n: _stack(C, n, layers=False)),
    ),
))

# --- tied_gradients(dw_local, db_local) -> (dw, db) ----------------------------------------------


def _tied_cases() -> list[Case]:
    rng = np.random.default_rng(20)

    def case(name, P, Q, K, C, R, S):
        return Case(f"{name}: dw_local ({P}, {Q}, {K}, {C}, {R}, {S}), db_local ({K}, {P}, {Q})",
                    (rng.normal(size=(P, Q, K, C, R, S)), rng.normal(size=(K, P, Q))))

    x = rng.normal(size=(2, 3, 6, 5))
    w = np.broadcast_to(rng.normal(size=(2, 3, 3, 2)), (4, 4, 2, 3, 3, 2)).copy()
    dy = rng.normal(size=(2, 2, 4, 4))
    dx_local, dw_local, db_local = locally_connected2d_backward(dy, x, w)
    return [
        Case("by hand: six positions whose copies have gradients 1, 2, ..., 6 (the answer is 21 everywhere)",
             (np.arange(1.0, 7.0).reshape(2, 3, 1, 1, 1, 1) * np.ones((2, 3, 1, 1, 2, 2)),
              np.arange(1.0, 7.0).reshape(1, 2, 3))),
        Case("the gradients of a tied locally connected layer (as in the chapter)", (dw_local, db_local)),
        case("random", 4, 3, 2, 3, 3, 2),
        case("as many positions per row as maps (Q = K)", 2, 3, 3, 1, 2, 2),
        case("one map, one channel", 3, 2, 1, 1, 3, 3),
        case("a single position (nothing to add)", 1, 1, 2, 2, 3, 3),
    ]


register(Question(
    name="tied_gradients",
    function="tied_gradients",
    chapter=2,
    reference=lambda dw_local, db_local: (dw_local.sum(axis=(0, 1)), db_local.sum(axis=(1, 2))),
    cases=_tied_cases,
    output_names=("dw", "db"),
    mistakes=(
        Mistake("the copies' gradients are averaged: the shared weight is used at every position, and the gradient "
                "of a sum of uses is the SUM of their gradients (the chain rule adds the paths)",
                lambda dw, db: (dw.mean(axis=(0, 1)), db.mean(axis=(1, 2)))),
        Mistake("only the first position's gradient is used: the shared weight acts at all P*Q positions, so add "
                "the gradients of every copy", lambda dw, db: (dw[0, 0].copy(), db[:, 0, 0].copy())),
        Mistake("only the last position's gradient is kept: in the loop over positions the gradient was overwritten "
                "(=) instead of accumulated (+=)", lambda dw, db: (dw[-1, -1].copy(), db[:, -1, -1].copy())),
        Mistake("db is summed over the wrong axes: db_local is (K, P, Q), so its positions are axes 1 and 2 "
                "(while in dw_local (P, Q, K, C, R, S) they are axes 0 and 1)",
                lambda dw, db: (dw.sum(axis=(0, 1)), db.sum(axis=(0, 1)))),
        Mistake("dw is summed over the wrong axes: dw_local is (P, Q, K, C, R, S), the positions are axes 0 and 1",
                lambda dw, db: (dw.sum(axis=(-2, -1)), db.sum(axis=(1, 2)))),
    ),
))

# --- locally_connected2d_backward(dy, x, w, stride, padding) -> (dx, dw, db) -------------------------


def _local_cases() -> list[Case]:
    rng = np.random.default_rng(21)

    def case(name, x_shape, K, kernel, stride, padding):
        N, C, H, W = x_shape
        R, S = kernel
        P, Q = (H + 2 * padding - R) // stride + 1, (W + 2 * padding - S) // stride + 1
        x, w = rng.normal(size=x_shape), rng.normal(size=(P, Q, K, C, R, S))
        dy = rng.normal(size=(N, K, P, Q))
        return Case(f"{name}: x {x_shape}, w {w.shape}, stride {stride}, padding {padding}", (dy, x, w, stride, padding))

    return [
        case("the chapter's untied layer", (1, 2, 5, 5), 2, (3, 3), 1, 0),
        case("a batch, channels and maps; 2x2 windows that overlap", (2, 3, 4, 4), 2, (2, 2), 1, 0),
        case("stride 2: neighbouring windows share one row or column", (1, 2, 7, 7), 3, (3, 3), 2, 0),
        case("padding", (2, 1, 4, 4), 2, (3, 3), 1, 1),
        case("a stride that does not divide (the last row and column are in no window)", (2, 1, 8, 8), 2, (3, 3), 2, 0),
        case("non-square kernel, stride and padding", (2, 2, 6, 5), 2, (3, 2), 2, 1),
    ]


def _local_backward(dy, x, w, stride, padding, add=True, crop=True, last_sample=False, tie=False, use_stride=True):
    """The reference loop with one learner's slip switchable on."""
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxpad, dw = np.zeros(xpad.shape), np.zeros(w.shape)
    P, Q, K, C, R, S = w.shape
    step = stride if use_stride else 1
    for i in range(P):
        for j in range(Q):
            rows, cols = slice(i * step, i * step + R), slice(j * step, j * step + S)
            g = dy[:, :, i, j]
            samples = slice(-1, None) if last_sample else slice(None)
            dw[i, j] = np.einsum("nk,ncrs->kcrs", g[samples], xpad[samples, :, rows, cols])
            contribution = np.einsum("nk,kcrs->ncrs", g, w[i, j])
            if add:
                dxpad[:, :, rows, cols] += contribution
            else:
                dxpad[:, :, rows, cols] = contribution
    if tie:
        dw = np.broadcast_to(dw.sum(axis=(0, 1)), dw.shape).copy()
    dx = dxpad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]] if crop else dxpad
    return dx, dw, dy.sum(axis=0)


def _local_db_over_positions(dy, x, w, stride, padding):
    dx, dw, _ = locally_connected2d_backward(dy, x, w, stride, padding)
    return dx, dw, dy.sum(axis=(0, 2, 3))


def _local_db_per_sample(dy, x, w, stride, padding):
    dx, dw, _ = locally_connected2d_backward(dy, x, w, stride, padding)
    return dx, dw, dy.copy()


register(Question(
    name="locally_connected2d_backward",
    function="locally_connected2d_backward",
    chapter=2,
    reference=lambda dy, x, w, stride, padding: locally_connected2d_backward(dy, x, w, stride, padding),
    cases=_local_cases,
    output_names=("dx", "dw", "db"),
    points=2.0,
    mistakes=(
        Mistake("dx is overwritten (=) where windows overlap: a pixel read by several windows collects a gradient "
                "from each of them, so add (+=) into the window", lambda *a: _local_backward(*a, add=False)),
        Mistake("the padding is not cropped: dx must have the shape of x, so drop `padding` rows and columns from "
                "each side of the padded gradient", lambda *a: _local_backward(*a, crop=False)),
        Mistake("the stride is ignored: the window of position (i, j) starts at row i*stride, column j*stride",
                lambda *a: _local_backward(*a, use_stride=False)),
        Mistake("dw is not summed over the batch (it holds only one sample's gradient): every image used the "
                "filters w[i, j], so add the contributions of all N images", lambda *a: _local_backward(*a, last_sample=True)),
        Mistake("dw was summed over the positions, as for a shared weight: in a locally connected layer each "
                "position owns its filters, so dw[i, j] comes from dy[:, :, i, j] alone",
                lambda *a: _local_backward(*a, tie=True)),
        Mistake("db is summed over the positions too: each position has its own bias, so db = dy summed over "
                "the batch only, shape (K, P, Q)", _local_db_over_positions),
        Mistake("db is not summed over the batch: the biases b[k, i, j] are the same for every image, so "
                "db = dy summed over axis 0, shape (K, P, Q)", _local_db_per_sample),
    ),
))
