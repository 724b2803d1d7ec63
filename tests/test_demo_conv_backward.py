"""Chapter 4's helpers and widget (the backward pass of a convolution), tested without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import cnnbook as cb
from cnnbook.teaching.demos import conv_backward as demo_module
from cnnbook.teaching.demos.conv_backward import (
    CASES,
    ENTRY_GID,
    EXAMPLE_DO,
    EXAMPLE_F,
    EXAMPLE_X,
    GRADIENT_GID,
    WINDOW_GID,
    conv2d_backward_filter_not_rotated,
    conv2d_backward_stride_ignored,
    conv_matrix,
    connections,
    count_multiply_adds,
    draw_dx_step,
    dx_step_demo,
    dx_step_state,
    gradients_by_connections,
    learn_kernel,
    local_gradient_table,
    window_second_moment,
    zero_insertion_multiply_adds,
)

SOURCE, STRIDED = list(CASES)


def test_connections_of_the_source_example():
    table = connections((3, 3), (2, 2))
    assert len(table) == 4 * 4                       # 4 outputs, 4 products each
    o00 = [(c.inp, c.filt) for c in table if c.out == (0, 0)]
    assert o00 == [((0, 0), (0, 0)), ((0, 1), (0, 1)), ((1, 0), (1, 0)), ((1, 1), (1, 1))]
    # the centre pixel is in all four windows, a corner in one
    assert sum(c.inp == (1, 1) for c in table) == 4 and sum(c.inp == (0, 2) for c in table) == 1


def test_connections_leave_out_padding_and_follow_the_stride():
    table = connections((3, 3), (2, 2), stride=2, padding=1)   # output 2x2, windows at padded 0 and 2
    assert {c.out for c in table} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert [(c.inp, c.filt) for c in table if c.out == (0, 0)] == [((0, 0), (1, 1))]
    assert all(0 <= h < 3 and 0 <= w < 3 for c in table for h, w in [c.inp])


def test_local_gradient_tables():
    by_f = local_gradient_table("F").splitlines()
    assert by_f[0] == "| | $\\partial O_{00}$ | $\\partial O_{01}$ | $\\partial O_{10}$ | $\\partial O_{11}$ |"
    assert by_f[2] == "| $\\partial F_{00}$ | $X_{00}$ | $X_{01}$ | $X_{10}$ | $X_{11}$ |"
    assert len(by_f) == 2 + 4
    by_x = local_gradient_table("X").splitlines()
    assert len(by_x) == 2 + 9
    assert by_x[2] == "| $\\partial X_{00}$ | $F_{00}$ | 0 | 0 | 0 |"
    assert by_x[6] == "| $\\partial X_{11}$ | $F_{11}$ | $F_{10}$ | $F_{01}$ | $F_{00}$ |"
    with pytest.raises(ValueError, match="wrt must be 'F' or 'X'"):
        local_gradient_table("O")


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), (2, 1), ((1, 2), (0, 1))])
def test_gradients_by_connections_match_the_reference(rng, stride, padding):
    x, f = rng.normal(size=(5, 6)), rng.normal(size=(2, 3))
    y = cb.conv2d_reference(x[None, None], f[None, None], stride=stride, padding=padding)
    dy = rng.normal(size=y.shape)
    dx, df, _ = cb.conv2d_backward_reference(dy, x[None, None], f[None, None], stride=stride, padding=padding)
    mine_dx, mine_df = gradients_by_connections(x, f, dy[0, 0], stride=stride, padding=padding)
    np.testing.assert_allclose(mine_dx, dx[0, 0], atol=1e-12)
    np.testing.assert_allclose(mine_df, df[0, 0], atol=1e-12)


def _random_layer(rng, stride, padding):
    x, w = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2))
    dy = rng.normal(size=cb.conv2d_reference(x, w, stride=stride, padding=padding).shape)
    return dy, x, w


def test_filter_not_rotated_gets_dx_wrong_and_the_rest_right(rng):
    dy, x, w = _random_layer(rng, stride=2, padding=1)
    dx, dw, db = cb.conv2d_backward_reference(dy, x, w, stride=2, padding=1)
    bad_dx, bad_dw, bad_db = conv2d_backward_filter_not_rotated(dy, x, w, stride=2, padding=1)
    assert cb.rel_error(bad_dx, dx) > 0.1
    assert cb.rel_error(bad_dw, dw) < 1e-12 and cb.rel_error(bad_db, db) < 1e-12
    # a filter that is its own rotation hides the mistake
    sym = w + cb.rot180(w)
    assert cb.rel_error(conv2d_backward_filter_not_rotated(dy, x, sym, 2, 1)[0],
                        cb.conv2d_backward_reference(dy, x, sym, stride=2, padding=1)[0]) < 1e-12


def test_stride_ignored_is_right_at_stride_1_and_wrong_beyond(rng):
    dy, x, w = _random_layer(rng, stride=1, padding=1)
    for got, want in zip(conv2d_backward_stride_ignored(dy, x, w, 1, 1), cb.conv2d_backward_reference(dy, x, w, 1, 1)):
        assert cb.rel_error(got, want) < 1e-12
    dy, x, w = _random_layer(rng, stride=2, padding=1)
    bad_dx, bad_dw, bad_db = conv2d_backward_stride_ignored(dy, x, w, 2, 1)
    dx, dw, db = cb.conv2d_backward_reference(dy, x, w, stride=2, padding=1)
    assert bad_dx.shape == dx.shape and bad_dw.shape == dw.shape
    assert cb.rel_error(bad_dx, dx) > 0.1 and cb.rel_error(bad_dw, dw) > 0.1
    assert cb.rel_error(bad_db, db) < 1e-12


def test_wrong_variants_do_not_modify_their_inputs(rng):
    dy, x, w = _random_layer(rng, stride=2, padding=0)
    copies = [a.copy() for a in (dy, x, w)]
    conv2d_backward_filter_not_rotated(dy, x, w, 2, 0)
    conv2d_backward_stride_ignored(dy, x, w, 2, 0)
    assert all(np.array_equal(a, b) for a, b in zip((dy, x, w), copies))


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv_matrix_and_its_transpose(rng, stride, padding):
    x, f = rng.normal(size=(4, 5)), rng.normal(size=(2, 3))
    M = conv_matrix(x.shape, f, stride=stride, padding=padding)
    y = cb.conv2d_reference(x[None, None], f[None, None], stride=stride, padding=padding)
    assert M.shape == (y.size, x.size)
    np.testing.assert_allclose(M @ x.ravel(), y.ravel(), atol=1e-12)
    g = rng.normal(size=y.shape)
    dx = cb.conv2d_backward_reference(g, x[None, None], f[None, None], stride=stride, padding=padding)[0]
    np.testing.assert_allclose(M.T @ g.ravel(), dx.ravel(), atol=1e-12)


def test_dx_step_state_of_the_source_example():
    first = dx_step_state(1, SOURCE)
    assert first.steps == 9 and first.entry == (0, 0) and first.window == (0, 0, 2, 2)
    np.testing.assert_array_equal(first.rotated, [[4, 3], [2, 1]])
    assert first.bordered.shape == (4, 4) and first.bordered[0].tolist() == [0, 0, 0, 0]
    assert first.terms == ((0, 4), (0, 3), (0, 2), (1, 1)) and first.value == 1.0
    dx = cb.conv2d_backward_reference(EXAMPLE_DO[None, None], EXAMPLE_X[None, None], EXAMPLE_F[None, None])[0][0, 0]
    np.testing.assert_array_equal(first.dx, dx)
    assert np.isnan(first.shown).sum() == 8
    last = dx_step_state(99, SOURCE)           # clipped to the last entry
    assert last.step == 9 and last.entry == (2, 2) and last.value == dx[2, 2] and not np.isnan(last.shown).any()
    with pytest.raises(ValueError, match="case must be one of"):
        dx_step_state(1, "no such case")


def test_dx_step_state_of_the_strided_case_inserts_zeros_into_dl_do():
    state = dx_step_state(13, STRIDED)
    assert state.steps == 25 and state.stride == 2
    np.testing.assert_array_equal(state.spread, [[1, 0, -1], [0, 0, 0], [2, 0, 1]])
    assert state.bordered.shape == (7, 7) and state.entry == (2, 2) and state.window == (2, 2, 3, 3)
    assert state.value == state.dx[2, 2] == 6.0


def test_draw_dx_step_highlights_the_window_and_the_entry():
    figure = Figure()
    caption = draw_dx_step(figure, step=6, case=SOURCE)       # entry (1, 2)
    ax_f, ax_g, ax_dx = figure.axes
    assert ax_f.get_title() == "filter rotated 180°" and ax_g.get_title() == "dL/dO, bordered with zeros"
    assert ax_dx.get_title() == "dL/dX, entry 6 of 9"
    (window,) = [p for p in ax_g.patches if p.get_gid() == WINDOW_GID]
    assert window.get_xy() == (1.5, 0.5) and window.get_width() == 2 and window.get_height() == 2
    (border,) = [p for p in ax_g.patches if p.get_gid() == GRADIENT_GID]
    assert border.get_xy() == (0.5, 0.5) and border.get_width() == 2
    (entry,) = [p for p in ax_dx.patches if p.get_gid() == ENTRY_GID]
    assert entry.get_xy() == (1.5, 0.5)
    written = [t.get_text() for t in ax_dx.texts]
    assert written[:6] == ["1", "1", "-2", "5", "6", "-2"] and written[6:] == ["", "", ""]
    assert caption.startswith("Step 6 of 9: dL/dX[1, 2] = (-1)·4 + 0·3 + 1·2 + 0·1 = -2.")
    assert "rows 1–2, columns 2–3" in caption and "2 of its 4 cells hold a gradient" in caption
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)
    assert ax_dx.get_xlabel() == "input column v" and ax_dx.get_ylabel() == "input row u"   # the book's (u, v)


def test_the_strided_case_says_zeros_inserted_not_dilated():
    figure = Figure()
    caption = draw_dx_step(figure, step=1, case=STRIDED)
    assert figure.axes[1].get_title() == "dL/dO, zeros inserted, bordered with zeros"
    assert "dilat" not in caption.lower() and "positions the stride skipped" in caption


def test_the_widget_follows_the_case_and_the_step():
    demo = dx_step_demo()
    assert demo.controls["step"].max == 9 and demo.caption.value.startswith("Step 1 of 9: dL/dX[0, 0]")
    demo.controls["step"].value = 5
    assert demo.caption.value.startswith("Step 5 of 9: dL/dX[1, 1] = 1·4 + (-1)·3 + 2·2 + 1·1 = 6.")
    assert "feeds every output" in demo.caption.value
    demo.controls["case"].value = STRIDED
    assert demo.controls["step"].max == 25 and demo.caption.value.startswith("Step 5 of 25: dL/dX[0, 4]")
    assert "positions the stride skipped" in demo.caption.value
    demo.controls["step"].value = 25
    demo.controls["case"].value = SOURCE
    assert demo.controls["step"].value == 9 and demo.caption.value.startswith("Step 9 of 9: dL/dX[2, 2]")
    assert len(demo.figure.axes) == 3


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((2, 3, 8, 8), (4, 3, 3, 3), 2, 1),
    ((1, 2, 6, 5), (3, 2, 2, 3), 1, 0),
    ((3, 1, 9, 7), (2, 1, 3, 2), (3, 2), (1, 0)),
])
def test_every_sum_has_k_c_r_s_p_q_terms_per_image(x_shape, w_shape, stride, padding):
    counts = count_multiply_adds(x_shape, w_shape, stride, padding)
    N, C, H, W = x_shape
    K, _, R, S = w_shape
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    P, Q = cb.conv_output_size(H, R, sh, ph), cb.conv_output_size(W, S, sw, pw)
    expected = N * K * C * R * S * P * Q
    assert counts.forward == counts.dx == counts.dw == expected
    assert counts.dx_terms.shape == (H + 2 * ph, W + 2 * pw) and counts.dx_terms.sum() * N * C == expected


def test_dx_terms_follow_the_windows():
    terms = count_multiply_adds((1, 1, 3, 3), (1, 1, 2, 2)).dx_terms
    np.testing.assert_array_equal(terms, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])   # "outputs each X entry feeds"
    strided = count_multiply_adds((1, 1, 8, 8), (1, 1, 3, 3), stride=2, padding=1).dx_terms
    assert strided[-1].sum() == 0 and strided[:, -1].sum() == 0               # padded row 9: in no window


def test_zero_insertion_spends_about_stride_squared_times_more():
    x_shape, w_shape = (2, 3, 16, 16), (4, 3, 3, 3)
    needed = count_multiply_adds(x_shape, w_shape, stride=2, padding=1).dw
    spent = zero_insertion_multiply_adds(x_shape, w_shape, stride=2, padding=1)
    assert spent["dw"] == 4 * needed                                          # (16 x 16 grid) / (8 x 8 outputs)
    assert spent["dx"] == 2 * 3 * 4 * 18 * 18 * 9
    at_stride_1 = zero_insertion_multiply_adds(x_shape, w_shape, stride=1, padding=0)
    assert at_stride_1["dw"] == count_multiply_adds(x_shape, w_shape).dw


def test_learn_kernel_recovers_a_filter_and_leaves_its_inputs_alone(rng):
    from cnnbook.teaching.filters import sobel_x

    x = rng.normal(size=(3, 1, 10, 10))
    y = cb.conv2d(x, sobel_x()[None, None])
    w0 = rng.normal(size=(1, 1, 3, 3))
    copies = [a.copy() for a in (x, y, w0)]
    w, losses = learn_kernel(x, y, w0, lr=0.5, steps=50)
    assert losses.shape == (51,) and np.all(np.diff(losses) < 0)
    assert np.abs(w[0, 0] - sobel_x()).max() < 1e-8
    assert all(np.array_equal(a, b) for a, b in zip((x, y, w0), copies))
    # losses[0] is the loss of w0
    assert np.isclose(losses[0], 0.5 * np.mean((cb.conv2d(x, w0) - y) ** 2))
    w_none, l_none = learn_kernel(x, y, w0, lr=0.5, steps=0)
    assert np.array_equal(w_none, w0) and l_none.shape == (1,)


def test_learn_kernel_one_step_is_minus_lr_times_the_numerical_gradient(rng):
    x, w0 = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2))
    y = rng.normal(size=cb.conv2d(x, w0).shape)
    w1, _ = learn_kernel(x, y, w0, lr=0.1, steps=1)
    loss = lambda w: 0.5 * np.mean((cb.conv2d(x, w) - y) ** 2)    # noqa: E731
    numeric = cb.numerical_gradient(lambda w: np.array(loss(w)), w0)
    assert cb.rel_error((w0 - w1) / 0.1, numeric) < 1e-7


@pytest.mark.parametrize("changes, message", [
    ({"lr": 0.0}, "lr must be a positive"), ({"lr": np.inf}, "lr must be a positive"),
    ({"steps": -1}, "steps must be an int"), ({"steps": 2.5}, "steps must be an int"),
    ({"y": np.zeros((1, 1, 4, 4))}, "y must have the shape of conv2d"),
    ({"w0": np.ones((1, 3, 3))}, r"w0 must be 4-D"),
])
def test_learn_kernel_explains_bad_arguments(changes, message):
    args = {"x": np.ones((1, 1, 5, 5)), "y": np.zeros((1, 1, 3, 3)), "w0": np.ones((1, 1, 3, 3)), "lr": 0.1, "steps": 1}
    with pytest.raises(ValueError, match=message):
        learn_kernel(**{**args, **changes})


def test_window_second_moment_is_the_hessian_of_the_loss(rng):
    x = rng.normal(size=(2, 2, 6, 7))
    A = window_second_moment(x, (2, 3))
    assert A.shape == (12, 12) and np.allclose(A, A.T)
    w_star, e = rng.normal(size=(1, 2, 2, 3)), rng.normal(size=(1, 2, 2, 3))
    y = cb.conv2d(x, w_star)
    _, losses = learn_kernel(x, y, w_star + e, lr=0.1, steps=0)
    assert np.isclose(losses[0], 0.5 * e.ravel() @ A @ e.ravel())
    # white noise of unit variance: A is close to the identity
    noise = rng.normal(size=(8, 1, 20, 20))
    assert np.abs(window_second_moment(noise, 3) - np.eye(9)).max() < 0.2


def test_module_has_no_public_name_without_a_docstring():
    for name in dir(demo_module):
        obj = getattr(demo_module, name)
        if not name.startswith("_") and callable(obj) and getattr(obj, "__module__", "") == demo_module.__name__:
            assert obj.__doc__, name


def test_training_skips_the_first_layers_input_gradient(rng):
    """Chapter 4 says so: ``cb.fit`` runs ``model.backward(dlogits, input_grad=False)``."""
    seen = []

    class Spy(cb.layers.Conv2d):
        def backward(self, dy, input_grad=True):
            seen.append(input_grad)
            return super().backward(dy, input_grad)

    first = Spy(1, 2, 3, rng=rng, dtype=np.float64)
    model = cb.layers.Sequential(first, cb.layers.ReLU(), cb.layers.Flatten(),
                                 cb.layers.Linear(2 * 4 * 4, 3, rng=rng, dtype=np.float64))
    x, y = rng.normal(size=(6, 1, 6, 6)), np.array([0, 1, 2, 0, 1, 2])
    cb.fit(model, cb.optim.SGD(model.parameters(), lr=0.1), x, y, epochs=1, batch_size=3, rng=rng, progress=False)
    assert seen == [False, False]
