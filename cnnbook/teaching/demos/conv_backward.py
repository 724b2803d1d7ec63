"""Chapter 4's helpers: the backward pass of a convolution, entry by entry.

* :func:`connections` lists which input entry meets which filter entry in which output
  (the table the chain rule walks), and :func:`local_gradient_table` writes the local
  gradients ``dO/dF`` and ``dO/dX`` of that table out as Markdown;
* :func:`gradients_by_connections` applies the chain rule literally, edge by edge, for
  one channel: the brute-force answer the formulas are checked against;
* :func:`conv2d_backward_filter_not_rotated` and :func:`conv2d_backward_stride_ignored`
  are the two classic wrong backward passes, for the chapter's "common mistakes";
* :func:`conv_matrix` builds the matrix of a tiny convolution, so that ``dx`` can be
  seen as its transpose (a transposed convolution) applied to ``dy``;
* :func:`count_multiply_adds` counts the terms of the forward pass, ``dx`` and ``dw`` by
  evaluating each sum with every factor set to 1, and :func:`zero_insertion_multiply_adds`
  what the readable zero-insertion recipe spends instead;
* :func:`learn_kernel` recovers a filter from input/output pairs by plain gradient descent on
  ``dw``, and :func:`window_second_moment` is the matrix whose eigenvalues set its speed;
* :func:`dx_step_state`, :func:`draw_dx_step` and :func:`dx_step_demo` are the widget
  that slides the rotated filter over the zero-bordered ``dL/dO`` and fills ``dL/dX`` in.

Shapes follow the book (NCHW): ``x`` ``(N, C, H, W)``, ``w`` ``(K, C, R, S)``, ``dy``
``(N, K, P, Q)``. The single-channel helpers take 2-D arrays ``(H, W)``, ``(R, S)``, ``(P, Q)``.
Indices follow the book too: ``(i, j)`` an output position, ``(r, s)`` an offset inside the
kernel, ``(u, v)`` an input pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from ..._validation import _is_int, as_float_array, as_pair, require_ndim
from ...conv import conv2d, conv2d_backward
from ...conv_reference import conv2d_backward_reference, conv2d_reference
from ..plotting import show_grid
from ...signal import correlate2d
from ...spatial import crop2d, insert_zeros2d, pad2d, rot180

#: The chapter's worked example (the source article's shapes): a 3x3 input X, a 2x2 filter F,
#: and an upstream gradient dL/dO for the 2x2 output O. Small integers, so every sum checks by eye.
EXAMPLE_X = np.array([[1, 2, 3],
                      [4, 5, 6],
                      [7, 8, 9]], dtype=float)
EXAMPLE_F = np.array([[1, 2],
                      [3, 4]], dtype=float)
EXAMPLE_DO = np.array([[1, -1],
                       [2, 1]], dtype=float)

#: The widget's second case: a 5x5 input, a 3x3 filter and stride 2, so dL/dO is 2x2 and needs zero insertion.
STRIDED_X = np.arange(1, 26, dtype=float).reshape(5, 5)
STRIDED_F = np.array([[1, 0, 2],
                      [-1, 1, 0],
                      [0, 3, 1]], dtype=float)
STRIDED_DO = np.array([[1, -1],
                       [2, 1]], dtype=float)

#: The widget's cases: name -> (x, f, dy, stride).
CASES = {
    "source example: 3×3 input, 2×2 filter, stride 1": (EXAMPLE_X, EXAMPLE_F, EXAMPLE_DO, 1),
    "5×5 input, 3×3 filter, stride 2": (STRIDED_X, STRIDED_F, STRIDED_DO, 2),
}

WINDOW_GID = "rotated filter window"   # the matplotlib gid of the rectangle on the bordered dL/dO
ENTRY_GID = "current dx entry"          # ... and of the square around the dL/dX entry being computed
GRADIENT_GID = "dL/dO border"           # ... and of the dashed box around the (zero-inserted) dL/dO inside its border


# --------------------------------------------------------------------------------------------
# The connection table: which X entry meets which F entry in which O entry
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Connection:
    """One product of the forward pass: ``O[out] += X[inp] * F[filt]`` (0-based (row, column) pairs)."""

    out: tuple[int, int]
    inp: tuple[int, int]
    filt: tuple[int, int]


def connections(input_shape, kernel_shape, stride=1, padding=0) -> list[Connection]:
    """Every product a single-channel layer ``(H, W) -> (P, Q)`` computes, output by output.

    ``O[i, j] = sum_{r, s} X[i*sh + r - ph, j*sw + s - pw] * F[r, s]``; a product whose input
    pixel ``(u, v)`` falls in the zero padding is left out (padding is a constant, not an input).
    Listed in the order of the outputs (row-major), then of the filter entries (row-major).
    """
    (H, W), (R, S) = input_shape, kernel_shape
    sh, sw = as_pair(stride, "stride", "connections", minimum=1)
    ph, pw = as_pair(padding, "padding", "connections", minimum=0)
    P, Q = (H + 2 * ph - R) // sh + 1, (W + 2 * pw - S) // sw + 1
    table = []
    for i in range(P):
        for j in range(Q):
            for r in range(R):
                for s in range(S):
                    u, v = i * sh + r - ph, j * sw + s - pw
                    if 0 <= u < H and 0 <= v < W:
                        table.append(Connection((i, j), (u, v), (r, s)))
    return table


def _name(letter: str, index: tuple[int, int]) -> str:
    return f"${letter}_{{{index[0]}{index[1]}}}$"


def local_gradient_table(wrt: str, input_shape=(3, 3), kernel_shape=(2, 2), stride=1, padding=0) -> str:
    """The local gradients of a single-channel layer as a Markdown table (LaTeX cell entries).

    ``wrt="F"``: one row per filter entry ``F_rs``, one column per output ``O_ij``; the cell is
    ``dO_ij/dF_rs``, the input entry that ``F_rs`` multiplies in ``O_ij``.
    ``wrt="X"``: one row per input entry ``X_uv``; the cell is ``dO_ij/dX_uv``, the filter
    entry that multiplies ``X_uv`` in ``O_ij``, or 0 when ``X_uv`` is not in ``O_ij``'s window.
    """
    if wrt not in ("F", "X"):
        raise ValueError(f"local_gradient_table: wrt must be 'F' or 'X'; got {wrt!r}")
    table = connections(input_shape, kernel_shape, stride, padding)
    outputs = sorted({c.out for c in table})
    if wrt == "F":
        rows = [(r, s) for r in range(kernel_shape[0]) for s in range(kernel_shape[1])]
        cell = {(c.filt, c.out): _name("X", c.inp) for c in table}
        row_letter = "F"
    else:
        rows = [(u, v) for u in range(input_shape[0]) for v in range(input_shape[1])]
        cell = {(c.inp, c.out): _name("F", c.filt) for c in table}
        row_letter = "X"
    header = "| | " + " | ".join(f"$\\partial O_{{{i}{j}}}$" for i, j in outputs) + " |"
    lines = [header, "|---" * (len(outputs) + 1) + "|"]
    for row in rows:
        entries = [cell.get((row, out), "0") for out in outputs]
        lines.append(f"| $\\partial {row_letter}_{{{row[0]}{row[1]}}}$ | " + " | ".join(entries) + " |")
    return "\n".join(lines)


def gradients_by_connections(x, f, dy, stride=1, padding=0):
    """The chain rule applied literally, one edge of the table at a time (single channel).

    ``x`` ``(H, W)``, ``f`` ``(R, S)``, ``dy`` ``(P, Q)`` -> ``(dx, df)`` shaped like ``x``, ``f``:
    each product ``O[out] += X[inp] * F[filt]`` sends ``dy[out] * F[filt]`` to ``dx[inp]`` and
    ``dy[out] * X[inp]`` to ``df[filt]``.
    """
    x, f, dy = (np.asarray(a, dtype=float) for a in (x, f, dy))
    dx, df = np.zeros_like(x), np.zeros_like(f)
    for c in connections(x.shape, f.shape, stride, padding):
        dx[c.inp] += dy[c.out] * f[c.filt]
        df[c.filt] += dy[c.out] * x[c.inp]
    return dx, df


# --------------------------------------------------------------------------------------------
# Two wrong backward passes, for the chapter's "common mistakes"
# --------------------------------------------------------------------------------------------

def _backward(dy, x, w, stride, padding, *, rotate: bool, insert_zeros: bool):
    """The backward pass of :func:`cnnbook.conv2d_backward_reference`, with two switches.

    ``rotate=False`` slides the filter unrotated over the bordered ``dy``; ``insert_zeros=False``
    puts ``dy`` on the stride-1 grid without the zeros between its entries (packed into the
    top-left corner, so that every shape still fits). Both on: the correct gradients.
    """
    stride = as_pair(stride, "stride", "conv2d_backward", minimum=1)
    padding = as_pair(padding, "padding", "conv2d_backward", minimum=0)
    dy, x, w = (np.asarray(a, dtype=float) for a in (dy, x, w))
    xpad = pad2d(x, padding)
    N, C, Hpad, Wpad = xpad.shape
    K, _, R, S = w.shape
    spread = insert_zeros2d(dy, stride) if insert_zeros else dy
    spread = np.pad(spread, ((0, 0), (0, 0), (0, Hpad - R + 1 - spread.shape[2]), (0, Wpad - S + 1 - spread.shape[3])))
    dxpad, dw = np.zeros(xpad.shape), np.zeros(w.shape)
    for n in range(N):
        for k in range(K):
            for c in range(C):
                kernel = rot180(w[k, c]) if rotate else w[k, c]
                dxpad[n, c] += correlate2d(spread[n, k], kernel, mode="full")
                dw[k, c] += correlate2d(xpad[n, c], spread[n, k], mode="valid")
    return crop2d(dxpad, padding).copy(), dw, dy.sum(axis=(0, 2, 3))


def conv2d_backward_filter_not_rotated(dy, x, w, stride=1, padding=0):
    """A WRONG backward pass: ``dx`` slides the filter over the bordered ``dy`` without rotating it.

    Same arguments and shapes as :func:`cnnbook.conv2d_backward`; ``dw`` and ``db`` are right.
    """
    return _backward(dy, x, w, stride, padding, rotate=False, insert_zeros=True)


def conv2d_backward_stride_ignored(dy, x, w, stride=1, padding=0):
    """A WRONG backward pass: ``dy`` is used as if the stride were 1 (no zeros inserted between its entries).

    Same arguments and shapes as :func:`cnnbook.conv2d_backward`; ``dx`` and ``dw`` are wrong
    whenever the stride is more than 1, ``db`` is right.
    """
    return _backward(dy, x, w, stride, padding, rotate=True, insert_zeros=False)


# --------------------------------------------------------------------------------------------
# The convolution as a matrix
# --------------------------------------------------------------------------------------------

def conv_matrix(input_shape, f, stride=1, padding=0) -> np.ndarray:
    """The matrix ``M`` ``(P*Q, H*W)`` of a single-channel convolution: ``conv2d(x).ravel() == M @ x.ravel()``.

    Column ``m`` is the output for the input that is 1 at flat position ``m`` and 0 elsewhere.
    """
    H, W = input_shape
    f = np.asarray(f, dtype=float)
    columns = []
    for m in range(H * W):
        basis = np.zeros(H * W)
        basis[m] = 1.0
        columns.append(conv2d_reference(basis.reshape(1, 1, H, W), f[None, None], stride=stride, padding=padding).ravel())
    return np.stack(columns, axis=1)


# --------------------------------------------------------------------------------------------
# What the backward pass costs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MultiplyAdds:
    """The multiply-adds of one convolutional layer, each sum's terms counted.

    ``forward``, ``dx`` and ``dw``: totals over the batch; ``dx_terms`` ``(H + 2ph, W + 2pw)``: how many
    terms the sum of ``dx`` has at each pixel of one padded input channel (every filter included).
    """

    forward: int
    dx: int
    dw: int
    dx_terms: np.ndarray


def count_multiply_adds(x_shape, w_shape, stride=1, padding=0) -> MultiplyAdds:
    """Count the terms of the forward sum, of ``dx``'s and of ``dw``'s, by setting every factor to 1.

    With every input, weight and upstream gradient equal to 1, each sum adds up 1 once per term,
    so its value *is* its number of multiply-adds. The count runs on the padded input (a dense
    layer multiplies the padding zeros too; their ``dx`` is computed and then cropped off).
    ``x_shape`` ``(N, C, H, W)``, ``w_shape`` ``(K, C, R, S)``.
    """
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(f"count_multiply_adds: need x_shape (N, C, H, W) and w_shape (K, C, R, S); "
                         f"got {tuple(x_shape)} and {tuple(w_shape)}")
    ph, pw = as_pair(padding, "padding", "count_multiply_adds", minimum=0)
    N, C, H, W = x_shape
    ones_x = np.ones((N, C, H + 2 * ph, W + 2 * pw))
    ones_w = np.ones(tuple(w_shape))
    y = conv2d(ones_x, ones_w, stride=stride)               # each output: C*R*S terms
    ones_dy = np.ones(y.shape)
    dx, dw, _ = conv2d_backward(ones_dy, ones_x, ones_w, stride=stride)
    count = lambda a: int(round(float(a.sum())))            # noqa: E731 (sums of ones: exact integers)
    return MultiplyAdds(count(y), count(dx), count(dw), np.rint(dx[0, 0]).astype(int))


def zero_insertion_multiply_adds(x_shape, w_shape, stride=1, padding=0) -> dict[str, int]:
    """The multiply-adds the readable recipe (:func:`cnnbook.conv2d_backward_reference`) spends.

    It inserts ``stride - 1`` zeros into ``dy``, pads it to the stride-1 output size
    ``(H + 2ph - R + 1, W + 2pw - S + 1)``, then for every ``(n, k, c)`` computes ``dx`` as a FULL
    correlation (``(H + 2ph) * (W + 2pw)`` outputs of ``R*S`` products, border zeros included) and
    ``dw`` as a valid correlation (``R*S`` outputs of ``(H + 2ph - R + 1) * (W + 2pw - S + 1)``
    products). Returns ``{"dx": ..., "dw": ...}``, totals over the batch.
    """
    N, C, H, W = x_shape
    K, _, R, S = w_shape
    ph, pw = as_pair(padding, "padding", "zero_insertion_multiply_adds", minimum=0)
    Hp, Wp = H + 2 * ph, W + 2 * pw
    per_pair = {"dx": Hp * Wp * R * S, "dw": R * S * (Hp - R + 1) * (Wp - S + 1)}
    return {name: N * K * C * value for name, value in per_pair.items()}


# --------------------------------------------------------------------------------------------
# Learning a kernel by gradient descent
# --------------------------------------------------------------------------------------------

def learn_kernel(x, y, w0, lr: float, steps: int):
    """Fit filters to input/output pairs by plain gradient descent on the mean squared error.

    The loss is ``L(w) = sum((conv2d(x, w) - y)**2) / (2 M)`` with ``M = y.size``, so its gradient
    in the output is ``dy = (conv2d(x, w) - y) / M`` and its gradient in the filters is the ``dw``
    of ``conv2d_backward(dy, x, w)``. Each step is ``w <- w - lr * dw`` (stride 1, no padding, no bias).

    ``x`` ``(N, C, H, W)``, ``y`` ``(N, K, P, Q)``, ``w0`` ``(K, C, R, S)`` (not modified)
    -> ``(w, losses)``: the filters after ``steps`` steps and ``losses`` ``(steps + 1,)``,
    ``losses[t]`` the loss after ``t`` steps.
    """
    func = "learn_kernel"
    x, y, w = (as_float_array(a, name, func).astype(np.float64) for a, name in ((x, "x"), (y, "y"), (w0, "w0")))
    require_ndim(x, 4, "x", func, "(N, C, H, W)")
    require_ndim(w, 4, "w0", func, "(K, C, R, S)")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) or not (0 < lr < np.inf):
        raise ValueError(f"{func}: lr must be a positive, finite number; got {lr!r}")
    if not _is_int(steps) or steps < 0:
        raise ValueError(f"{func}: steps must be an int >= 0; got {steps!r}")
    expected = conv2d(x, w).shape
    if y.shape != expected:
        raise ValueError(f"{func}: y must have the shape of conv2d(x, w0), {expected}; got {y.shape}")
    losses = np.empty(steps + 1)
    for t in range(steps + 1):
        residual = conv2d(x, w) - y
        losses[t] = 0.5 * np.sum(residual**2) / residual.size
        if t < steps:
            dw = conv2d_backward(residual / residual.size, x, w)[1]
            w = w - lr * dw
    return w, losses


def window_second_moment(x, kernel_size) -> np.ndarray:
    """The matrix ``A`` ``(C*R*S, C*R*S)`` of the windows of ``x``: the mean of ``p p^T`` over every window ``p``.

    ``x`` ``(N, C, H, W)``; the windows are the ``C*R*S`` values under a kernel of ``kernel_size``
    ``(R, S)`` at each of the ``N*P*Q`` stride-1 positions, flattened in the order of ``w[k]``.
    For one filter, :func:`learn_kernel`'s loss is ``(w - w*)^T A (w - w*) / 2`` when ``y`` is
    exactly ``conv2d(x, w*)``: ``A`` is its Hessian, and its eigenvalues set how fast gradient
    descent converges along each direction.
    """
    x = as_float_array(x, "x", "window_second_moment").astype(np.float64)
    require_ndim(x, 4, "x", "window_second_moment", "(N, C, H, W)")
    R, S = as_pair(kernel_size, "kernel_size", "window_second_moment", minimum=1)
    windows = np.lib.stride_tricks.sliding_window_view(x, (R, S), axis=(2, 3))   # (N, C, P, Q, R, S)
    N, C, P, Q = windows.shape[:4]
    p = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * P * Q, C * R * S)
    return p.T @ p / len(p)


# --------------------------------------------------------------------------------------------
# The widget: the full correlation that produces dL/dX, one entry at a time
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DxStep:
    """What the widget shows at one step.

    ``rotated`` ``(R, S)``, the filter rotated by 180 degrees; ``spread`` ``dL/dO`` on the
    stride-1 grid (with ``stride - 1`` zeros inserted between its entries when the stride is more
    than 1); ``bordered`` that grid with ``R-1`` rows and ``S-1`` columns of zeros on every side;
    ``dx`` ``(H, W)``, all of it; ``shown`` the same with the entries after this step set to NaN;
    ``entry`` ``(u, v)``
    of the entry computed at this step; ``window`` ``(top, left, R, S)`` of the rotated
    filter on ``bordered``; ``terms`` the ``(gradient, filter)`` pairs it multiplies; ``value`` their sum.
    """

    case: str
    step: int
    steps: int
    stride: int
    rotated: np.ndarray
    spread: np.ndarray
    bordered: np.ndarray
    dx: np.ndarray
    shown: np.ndarray
    entry: tuple[int, int]
    window: tuple[int, int, int, int]
    terms: tuple[tuple[float, float], ...]
    value: float


def dx_step_state(step: int, case: str = next(iter(CASES))) -> DxStep:
    """Everything the widget shows at ``step`` (1 = the first entry of ``dL/dX``; clipped to the last)."""
    if case not in CASES:
        raise ValueError(f"dx_step_state: case must be one of {list(CASES)}; got {case!r}")
    x, f, dy, stride = CASES[case]
    (H, W), (R, S) = x.shape, f.shape
    spread = insert_zeros2d(dy, (stride, stride))
    spread = np.pad(spread, ((0, H - R + 1 - spread.shape[0]), (0, W - S + 1 - spread.shape[1])))
    bordered = pad2d(spread, (R - 1, S - 1))
    rotated = rot180(f)
    dx = conv2d_backward_reference(dy[None, None], x[None, None], f[None, None], stride=stride)[0][0, 0]
    step = int(np.clip(step, 1, H * W))
    u, v = divmod(step - 1, W)
    window = bordered[u : u + R, v : v + S]
    terms = tuple((float(g), float(k)) for g, k in zip(window.ravel(), rotated.ravel()))
    shown = dx.copy().ravel()
    shown[step:] = np.nan
    return DxStep(case, step, H * W, stride, rotated, spread, bordered, dx, shown.reshape(H, W), (u, v),
                  (u, v, R, S), terms, float(np.sum(window * rotated)))


def _signed(value: float) -> str:
    return f"({value:g})" if value < 0 else f"{value:g}"


def draw_dx_step(figure, step: int, case: str = next(iter(CASES))) -> str:
    """Draw the rotated filter, the bordered ``dL/dO`` with the filter's window, and ``dL/dX`` so far.

    Returns the caption: which entry is computed, from which products, and its value.
    """
    state = dx_step_state(step, case)
    R, S = state.rotated.shape
    B = state.bordered.shape
    H, W = state.dx.shape
    grid = figure.add_gridspec(1, 3, width_ratios=[max(S, 2.5), B[1], W], wspace=0.35)
    ax_f, ax_g, ax_dx = (figure.add_subplot(grid[0, c]) for c in range(3))

    show_grid(ax_f, state.rotated, title="filter rotated 180°", cmap="Oranges")
    ax_f.set_xlabel("column b of rot180(F)")
    ax_f.set_ylabel("row a of rot180(F)")

    what = "dL/dO, zeros inserted" if state.stride > 1 else "dL/dO"
    show_grid(ax_g, state.bordered, title=f"{what}, bordered with zeros", cmap="Purples", highlight=state.window)
    ax_g.patches[-1].set(gid=WINDOW_GID, zorder=4)
    top, left = state.window[:2]
    for r in range(R):
        for s in range(S):
            ax_g.text(left + s + 0.45, top + r + 0.45, f"×{state.rotated[r, s]:g}", ha="right", va="bottom",
                      fontsize=7.5, color="crimson", zorder=5,
                      bbox=dict(boxstyle="square,pad=0.08", facecolor="white", edgecolor="none", alpha=0.85))
    P, Q = state.spread.shape
    ax_g.add_patch(Rectangle((S - 1 - 0.5, R - 1 - 0.5), Q, P, fill=False, edgecolor="black", linestyle="--",
                             linewidth=1.6, gid=GRADIENT_GID, zorder=3))
    ax_g.set_xlabel("column of the bordered grid")
    ax_g.set_ylabel("row of the bordered grid")

    u, v = state.entry
    show_grid(ax_dx, state.shown, title=f"dL/dX, entry {state.step} of {state.steps}", cmap="Greens",
              highlight=(u, v, 1, 1))
    ax_dx.patches[-1].set(gid=ENTRY_GID, zorder=4)
    for text in ax_dx.texts:
        if text.get_text() == "nan":
            text.set_text("")
    ax_dx.set_xlabel("input column v")
    ax_dx.set_ylabel("input row u")
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.88)

    products = " + ".join(f"{_signed(g)}·{_signed(k)}" for g, k in state.terms)
    reached = sum(1 for g, _ in state.terms if g != 0)
    skipped = " or positions the stride skipped" if state.stride > 1 else ""
    return (f"Step {state.step} of {state.steps}: dL/dX[{u}, {v}] = {products} = {state.value:g}. "
            f"The rotated filter covers rows {top}–{top + R - 1}, columns {left}–{left + S - 1} of the bordered "
            f"grid (dashed box: dL/dO itself). " + (
                f"All {R * S} cells hold a gradient: X[{u}, {v}] feeds every output." if reached == R * S else
                f"{reached} of its {R * S} cells hold a gradient; the zeros are outputs that X[{u}, {v}] "
                f"does not feed{skipped}."))


def dx_step_demo(step: int = 1, case: str = next(iter(CASES))):
    """The chapter's widget: a case chooser and a step slider whose range follows the case."""
    from ..widgets import InteractiveFigure, choice, slider

    def steps(name):
        return CASES[name][0].size

    controls = {
        "case": choice(list(CASES), case, "example"),
        "step": slider(step, 1, steps(case), "entry of dL/dX"),
    }

    def follow_case(change) -> None:
        controls["step"].max = steps(change["new"])

    controls["case"].observe(follow_case, names="value")
    return InteractiveFigure(draw_dx_step, controls, figsize=(11.0, 4.0))
