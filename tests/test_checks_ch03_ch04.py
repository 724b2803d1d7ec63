"""The convolution exercises' checks catch the classic mistakes (planted, written independently)."""

from __future__ import annotations

import numpy as np

from cnnbook.course.checks import check

from checking import diagnoses


def loop_conv2d(x, w, b, stride, padding, flip=False, use_stride=True, use_padding=True):
    """A learner-style loop convolution with switchable mistakes."""
    p = padding if use_padding else 0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    N, C, H, W = xp.shape
    K, _, R, S = w.shape
    P, Q = (H - R) // stride + 1, (W - S) // stride + 1
    step = stride if use_stride else 1
    kernel = w[:, :, ::-1, ::-1] if flip else w
    y = np.zeros((N, K, P, Q))
    for n in range(N):
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    y[n, k, i, j] = np.sum(xp[n, :, i * step:i * step + R, j * step:j * step + S] * kernel[k]) + b[k]
    return y


def scatter_backward(dy, x, w, stride, padding, dw_mode="sum", db_axes=(0, 2, 3), crop=True):
    """A learner-style backward by scattering each output's gradient back to its window."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    N, K, P, Q = dy.shape
    R, S = w.shape[2:]
    for n in range(N):
        dw_n = np.zeros_like(w)
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    window = (slice(i * stride, i * stride + R), slice(j * stride, j * stride + S))
                    dxp[n, :, window[0], window[1]] += dy[n, k, i, j] * w[k]
                    dw_n[k] += dy[n, k, i, j] * xp[n, :, window[0], window[1]]
        dw = dw + dw_n if dw_mode == "sum" else dw_n
    dx = dxp[:, :, padding:xp.shape[2] - padding, padding:xp.shape[3] - padding] if crop else dxp
    return dx, dw, dy.sum(axis=db_axes)


def test_learner_conv2d_passes_and_each_mistake_is_named():
    assert check("conv2d", loop_conv2d, verbose=False).passed
    assert "filter is flipped" in diagnoses("conv2d", lambda *a: loop_conv2d(*a, flip=True))
    assert "stride is ignored" in diagnoses("conv2d", lambda *a: loop_conv2d(*a, use_stride=False))
    assert "padding is ignored" in diagnoses("conv2d", lambda *a: loop_conv2d(*a, use_padding=False))


def test_output_size_off_by_one_is_named():
    import math

    assert "rounding up" in diagnoses("conv_output_size", lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1)
    assert "'+ 1' is missing" in diagnoses("conv_output_size", lambda n, k, s, p: (n + 2 * p - k) // s)


def test_learner_backward_passes_and_each_mistake_is_named():
    assert check("conv2d_backward", scatter_backward, verbose=False).passed
    assert "padding is not cropped" in diagnoses("conv2d_backward", lambda *a: scatter_backward(*a, crop=False))
    assert "not summed over the batch" in diagnoses("conv2d_backward", lambda *a: scatter_backward(*a, dw_mode="last"))
    assert "db is summed on the wrong axes" in diagnoses("conv2d_backward", lambda *a: scatter_backward(*a, db_axes=(2, 3)))


def test_unrotated_backward_and_missing_zero_insertion_are_named():
    import cnnbook as cb
    from cnnbook.spatial import crop2d, insert_zeros2d

    def full_correlation_backward(dy, x, w, stride, padding, rotate=True, insert_zeros=True):
        """(dx, dw, db) by the chapter's recipe, written independently of the package's backward pass."""
        grid = insert_zeros2d(dy, (stride, stride)) if insert_zeros else dy
        H, W = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
        R, S = w.shape[2:]
        grid = np.pad(grid, ((0, 0), (0, 0), (0, max(0, H - R + 1 - grid.shape[2])), (0, max(0, W - S + 1 - grid.shape[3]))))
        filters = w[:, :, ::-1, ::-1] if rotate else w
        dxp = np.zeros((x.shape[0], x.shape[1], grid.shape[2] + R - 1, grid.shape[3] + S - 1))
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        dw = np.zeros(w.shape)
        for n in range(x.shape[0]):
            for k in range(w.shape[0]):
                for c in range(x.shape[1]):
                    dxp[n, c] += cb.correlate2d(grid[n, k], filters[k, c], mode="full")
                    dw[k, c] += cb.correlate2d(xp[n, c], grid[n, k], mode="valid")
        return crop2d(dxp, (padding, padding)), dw, dy.sum(axis=(0, 2, 3))

    assert check("conv2d_backward", full_correlation_backward, verbose=False).passed
    assert "not rotated" in diagnoses("conv2d_backward", lambda *a: full_correlation_backward(*a, rotate=False))
    assert "stride is not applied" in diagnoses("conv2d_backward", lambda *a: full_correlation_backward(*a, insert_zeros=False))


# --- chapter 4, question 1: one channel, valid, stride 1 -------------------------------------------

def single_backward(dO, X, F, rotate=True, flip_dO=False, dF_mode="right", dX_mode="full", swap=False):
    """A learner-style (dX, dF) by the chapter's two formulas, with switchable mistakes."""
    H, W = X.shape
    R, S = F.shape
    P, Q = dO.shape
    G = dO[::-1, ::-1] if flip_dO else dO
    dF = np.zeros((R, S))
    for r in range(R):
        for s in range(S):
            dF[r, s] = np.sum(G * X[r:r + P, s:s + Q])
    if dF_mode == "rotated":
        dF = dF[::-1, ::-1].copy()
    if dF_mode == "transposed":      # rows and columns mixed up: dF[s, r] filled in
        dF = dF.T.copy()
    kernel = F[::-1, ::-1] if rotate else F
    border = (R - 1, S - 1) if dX_mode == "full" else (0, 0)
    if dX_mode == "same":
        border = ((R - 1) // 2, (S - 1) // 2)
    G = np.pad(dO, ((border[0], R - 1 - border[0] if dX_mode == "same" else border[0]),
                    (border[1], S - 1 - border[1] if dX_mode == "same" else border[1])))
    dX = np.zeros((G.shape[0] - R + 1, G.shape[1] - S + 1))
    for u in range(dX.shape[0]):
        for v in range(dX.shape[1]):
            dX[u, v] = np.sum(G[u:u + R, v:v + S] * kernel)
    return (dF, dX) if swap else (dX, dF)


def scatter_single_backward(dO, X, F):
    """The intuition's route: each product sends dO[i, j] back to both factors."""
    dX, dF = np.zeros_like(X), np.zeros_like(F)
    R, S = F.shape
    for i in range(dO.shape[0]):
        for j in range(dO.shape[1]):
            dX[i:i + R, j:j + S] += dO[i, j] * F
            dF += dO[i, j] * X[i:i + R, j:j + S]
    return dX, dF


def test_learner_single_backward_passes_and_each_mistake_is_named():
    X = np.arange(1.0, 10.0).reshape(3, 3)
    F, dO = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, -1.0], [2.0, 1.0]])
    dX, dF = single_backward(dO, X, F)
    assert np.array_equal(dX, [[1, 1, -2], [5, 6, -2], [6, 11, 4]]) and np.array_equal(dF, [[12, 15], [21, 24]])
    assert check("conv_single_backward", single_backward, verbose=False).passed
    assert check("conv_single_backward", scatter_single_backward, verbose=False).passed
    name = "conv_single_backward"
    assert "not rotated in dX" in diagnoses(name, lambda *a: single_backward(*a, rotate=False))
    assert "dF is a true convolution" in diagnoses(name, lambda *a: single_backward(*a, flip_dO=True))
    assert "dF is rotated by 180" in diagnoses(name, lambda *a: single_backward(*a, dF_mode="rotated"))
    assert "dF is transposed" in diagnoses(name, lambda *a: single_backward(*a, dF_mode="transposed"))
    assert "does not have the shape of X" in diagnoses(name, lambda *a: single_backward(*a, dX_mode="valid"))
    assert "shape of dO ('same' mode)" in diagnoses(name, lambda *a: single_backward(*a, dX_mode="same"))
    assert "returned in the wrong order" in diagnoses(name, lambda *a: single_backward(*a, swap=True))


def test_the_chapter_4_questions_come_in_teaching_order():
    from cnnbook.course.checks import questions_of_chapter

    assert [q.name for q in questions_of_chapter(4)] == [
        "conv_single_backward", "insert_zeros", "conv2d_backward", "conv_input_sizes", "kernel_gradient_step"]


def loop_insert_zeros(dy, stride, row_step=None, col_step=None, size=None):
    """A learner-style zero insertion, one entry at a time, with switchable mistakes."""
    row_step, col_step = row_step or stride, col_step or stride
    N, K, P, Q = dy.shape
    rows, cols = size or ((P - 1) * row_step + 1, (Q - 1) * col_step + 1)
    out = np.zeros((N, K, rows, cols))
    for i in range(P):
        for j in range(Q):
            out[:, :, i * row_step, j * col_step] = dy[:, :, i, j]
    return out


def test_learner_zero_insertion_passes_and_each_mistake_is_named():
    assert check("insert_zeros", loop_insert_zeros, verbose=False).passed
    assert "zeros after the last entry" in diagnoses(
        "insert_zeros", lambda dy, s: loop_insert_zeros(dy, s, size=(dy.shape[2] * s, dy.shape[3] * s)))
    assert "stride zeros between neighbours" in diagnoses("insert_zeros", lambda dy, s: loop_insert_zeros(dy, s + 1))
    assert "between the rows only" in diagnoses("insert_zeros", lambda dy, s: loop_insert_zeros(dy, s, col_step=1))
    assert "returned unchanged" in diagnoses("insert_zeros", lambda dy, s: dy + 0.0)


def test_the_old_question_name_is_gone():
    from cnnbook.course.checks import QUESTIONS

    assert "dilate" not in QUESTIONS       # "dilation" means dilated convolution only (chapter 3)


# --- chapter 4: the input sizes a transposed convolution must choose between ---------------------

def brute_force_sizes(P, kernel_size, stride, padding, extra=0, only_first=False, pad_factor=2, lead=0):
    """A learner who tries every H and keeps those with the right output size (switchable mistakes)."""
    found = []
    for H in range(1, 200):
        padded = H + pad_factor * padding
        if padded >= kernel_size and (padded - kernel_size) // stride + 1 == P + lead:
            found.append(H)
    if extra:
        found.append(found[-1] + 1)
    return found[:1] if only_first else found


def formula_sizes(P, kernel_size, stride, padding):
    smallest = (P - 1) * stride - 2 * padding + kernel_size
    return [smallest + extra for extra in range(stride)]


def test_learner_input_sizes_pass_and_each_mistake_is_named():
    name = "conv_input_sizes"
    assert check(name, brute_force_sizes, verbose=False).passed
    assert check(name, formula_sizes, verbose=False).passed
    assert "only the smallest size" in diagnoses(name, lambda *a: brute_force_sizes(*a, only_first=True))
    assert "one size too many" in diagnoses(name, lambda *a: brute_force_sizes(*a, extra=1))
    assert "one size too few" in diagnoses(name, lambda *a: formula_sizes(*a)[:-1])
    assert "padding is ignored" in diagnoses(name, lambda *a: brute_force_sizes(*a, pad_factor=0))
    assert "padding is counted once" in diagnoses(name, lambda *a: brute_force_sizes(*a, pad_factor=1))
    assert "only P - 1 strides" in diagnoses(name, lambda *a: brute_force_sizes(*a, lead=1))


def test_the_input_sizes_question_agrees_with_conv_output_size():
    import cnnbook as cb
    from cnnbook.course.checks import QUESTIONS

    question = QUESTIONS["conv_input_sizes"]
    for case in question.cases():
        P, k, s, p = case.args
        sizes = question.reference(*case.args)
        assert len(sizes) == s and all(cb.conv_output_size(H, k, s, p) == P for H in sizes)
        assert cb.conv_output_size(sizes[-1] + 1, k, s, p) == P + 1


# --- chapter 4: one gradient-descent step on a filter ----------------------------------------------

def by_hand_step(w, x, y, lr, sign=-1.0, mean_over="all", factor=1.0, flip=False, in_place=False):
    """A learner-style step: the residual, dw by explicit loops (a valid correlation of x with dy), the update."""
    N, C, H, W = x.shape
    K, _, R, S = w.shape
    P, Q = H - R + 1, W - S + 1
    y_hat = np.zeros((N, K, P, Q))
    for n in range(N):
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    y_hat[n, k, i, j] = np.sum(x[n, :, i:i + R, j:j + S] * w[k])
    M = {"all": y.size, "batch": N, "none": 1}[mean_over]
    dy = factor * (y_hat - y) / M
    dw = np.zeros_like(w)
    for k in range(K):
        for r in range(R):
            for s in range(S):
                dw[k, :, r, s] = np.einsum("nij,ncij->c", dy[:, k], x[:, :, r:r + P, s:s + Q])
    if flip:
        dw = dw[:, :, ::-1, ::-1]
    if in_place:
        w += sign * lr * dw
        return w
    return w + sign * lr * dw


def test_learner_gradient_step_passes_and_each_mistake_is_named():
    name = "kernel_gradient_step"
    assert check(name, by_hand_step, verbose=False).passed
    assert "goes uphill" in diagnoses(name, lambda *a: by_hand_step(*a, sign=+1.0))
    assert "not divided by M" in diagnoses(name, lambda *a: by_hand_step(*a, mean_over="none"))
    assert "batch size N only" in diagnoses(name, lambda *a: by_hand_step(*a, mean_over="batch"))
    assert "twice too large" in diagnoses(name, lambda *a: by_hand_step(*a, factor=2.0))
    assert "rotated by 180" in diagnoses(name, lambda *a: by_hand_step(*a, flip=True))
    assert "input array was modified" in diagnoses(name, lambda *a: by_hand_step(*a, in_place=True))


def test_repeated_gradient_steps_recover_a_sobel_kernel():
    import cnnbook as cb
    from cnnbook.course.checks import QUESTIONS
    from cnnbook.teaching.filters import sobel_x

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 1, 10, 10))
    y = cb.conv2d(x, sobel_x()[None, None])
    w = rng.normal(size=(1, 1, 3, 3))
    step = QUESTIONS["kernel_gradient_step"].reference
    for _ in range(60):
        w = step(w, x, y, 0.5)
    assert np.abs(w[0, 0] - sobel_x()).max() < 1e-6
