"""Chapter 1, the chain rule on a computational graph: the graph ``f = (x + y) z``, its widget, the
gate patterns, a sigmoid neuron, the order of the backward pass, and the backward pass of a matrix product.

* :func:`chain_rule_graph` builds ``q = x + y``, ``f = q * z`` from :class:`~cnnbook.Value` and runs
  the backward pass; :func:`chain_rule_by_hand` does the same arithmetic with plain floats.
* :func:`draw_chain_rule` is the widget's ``draw`` function (sliders for ``x``, ``y``, ``z``).
* :func:`gates_graph` is one small graph where every gate pattern occurs (add, multiply, max, a fork).
* :func:`sigmoid_neuron` builds ``a = sigmoid(w . x + b)`` from primitive gates or with one sigmoid gate.
* :func:`backward_overwriting` is ``Value.backward`` with ``=`` in place of ``+=``: the classic
  bug that loses gradients whenever a value is used more than once. :func:`backward_in_order` is
  ``Value.backward``'s arithmetic in any visiting order, to show why the order must be topological.
* :func:`operation_counts` counts a graph's forward operations and backward multiply-adds.
* :func:`matmul_backward` is the vectorised chain rule for ``y = x @ w``; :func:`matmul_jacobian`
  is the Jacobian that the backward pass never builds.
"""

from __future__ import annotations

import numpy as np

from ..autodiff import Value, topological_order
from ..graph_drawing import draw_graph

#: Figure size (inches) of the widget: wide enough for the graph's boxes at every slider value.
GRAPH_FIGSIZE = (9.4, 1.95)


def chain_rule_graph(x: float, y: float, z: float) -> dict[str, Value]:
    """Build ``q = x + y`` and ``f = q * z``, run ``f.backward()``, return the five values by name.

    Every ``Value`` is labelled (``"x"``, ``"y"``, ``"z"``, ``"q"``, ``"f"``), so a drawing of
    ``result["f"]`` names its nodes; each ``.grad`` holds ``df/d(that value)``.
    """
    xv, yv, zv = Value(x, "x"), Value(y, "y"), Value(z, "z")
    q = xv + yv
    q.label = "q"
    f = q * zv
    f.label = "f"
    f.backward()
    return {"x": xv, "y": yv, "z": zv, "q": q, "f": f}


def chain_rule_by_hand(x: float, y: float, z: float) -> dict[str, float]:
    """The forward and backward pass of ``f = (x + y) z`` written out with plain numbers.

    Keys: ``"q"``, ``"f"`` (forward) and ``"df/df"``, ``"df/dq"``, ``"df/dz"``, ``"df/dx"``,
    ``"df/dy"`` (backward, in the order the backward pass produces them).
    """
    q = x + y
    f = q * z
    df_df = 1.0                      # the seed: df/df
    df_dq = z * df_df                # multiply gate: d(qz)/dq = z, times the upstream df/df
    df_dz = q * df_df                # multiply gate: d(qz)/dz = q
    df_dx = 1.0 * df_dq              # add gate: d(x+y)/dx = 1, times the upstream df/dq
    df_dy = 1.0 * df_dq
    return {"q": q, "f": f, "df/df": df_df, "df/dq": df_dq, "df/dz": df_dz, "df/dx": df_dx, "df/dy": df_dy}


def _number(v: float) -> str:
    """``v`` without a trailing ``.0``, and never ``-0``."""
    text = f"{v:g}"
    return "0" if text == "-0" else text


def _operand(v: float) -> str:
    """``v`` as an operand in a formula: a negative number goes in parentheses."""
    text = _number(v)
    return f"({text})" if text.startswith("-") else text


def draw_chain_rule(figure, x: int, y: int, z: int) -> str:
    """Draw the graph of ``f = (x + y) z`` with every value and gradient; return the arithmetic.

    The widget's ``draw`` function (:class:`cnnbook.teaching.widgets.InteractiveFigure`): one axes,
    titled with ``f``'s value, holding :func:`cnnbook.draw_graph`'s boxes (``label | data | grad``).
    The returned HTML caption spells out the forward pass and each chain-rule step.
    """
    graph = chain_rule_graph(x, y, z)
    ax = figure.add_axes([0.005, 0.01, 0.99, 0.8])
    draw_graph(graph["f"], ax=ax)
    n = {name: _operand(value.data) for name, value in graph.items()}
    ax.set_title(f"f = (x + y) z = ({n['x']} + {n['y']}) · {n['z']} = {_number(graph['f'].data)}:"
                 "  each box shows its value (data) and df/d(value) (grad)", fontsize=10)
    by_hand = chain_rule_by_hand(x, y, z)
    g = {name: _number(value) for name, value in by_hand.items()}
    return (f"<b>forward:</b> q = x + y = {n['x']} + {n['y']} = {g['q']}; "
            f"f = q z = {n['q']} &middot; {n['z']} = {g['f']}<br>"
            f"<b>backward:</b> df/df = 1; "
            f"df/dz = q &middot; 1 = {g['df/dz']}; "
            f"df/dq = z &middot; 1 = {g['df/dq']}; "
            f"df/dx = (dq/dx = 1) &middot; df/dq = {g['df/dx']}; "
            f"df/dy = (dq/dy = 1) &middot; df/dq = {g['df/dy']}")


def draw_titled_graph(root: Value, title: str, show_grad: bool = True, rankdir: str = "LR",
                      title_height: float = 0.45):
    """:func:`cnnbook.draw_graph` in a figure of its natural size, plus ``title_height`` inches for a title.

    The boxes keep the scale ``draw_graph`` chose for them (one data unit per inch), so the text
    stays inside them. ``rankdir`` as in ``draw_graph``. Returns the ``Axes``; its figure is ``ax.figure``.
    """
    ax = draw_graph(root, show_grad=show_grad, rankdir=rankdir)
    figure = ax.figure
    width, height = figure.get_size_inches()
    figure.set_size_inches(width, height + title_height)
    ax.set_position([0.0, 0.0, 1.0, height / (height + title_height)])
    ax.set_title(title, fontsize=10)
    return ax


def backward_overwriting(root: Value) -> None:
    """WRONG on purpose: ``Value.backward`` with ``parent.grad = ...`` instead of ``+= ...``.

    Where a value feeds several operations (fan-out), each visit overwrites what the previous
    one wrote, so only the last path visited survives. Kept to show the bug; never use it.
    """
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for parent, local_grad in zip(node.parents, node.local_grads):
            parent.grad = local_grad * node.grad  # the bug: should be +=


def backward_in_order(root: Value, order) -> None:
    """``Value.backward``'s arithmetic, but visiting the nodes in the given ``order``.

    Every grad of ``root``'s graph is reset to 0, ``root.grad`` is seeded with 1, then each node of
    ``order`` in turn adds ``local_grad * node.grad`` to each of its parents. With
    ``order = reversed(cb.topological_order(root))`` this is exactly ``root.backward()``; with an
    order in which a node comes before one of the nodes that use it, that node passes on a grad
    that is not complete yet, and the gradients come out wrong.

    Args:
        root (Value): the output.
        order (iterable of Value): every node of ``root``'s graph, each exactly once.
    """
    nodes = topological_order(root)
    order = list(order)
    if len(order) != len(nodes) or {id(v) for v in order} != {id(v) for v in nodes}:
        raise ValueError(f"backward_in_order: order must hold each of the graph's {len(nodes)} nodes once; "
                         f"got {len(order)} entries, {len({id(v) for v in order})} distinct")
    for node in nodes:
        node.grad = 0.0
    root.grad = 1.0
    for node in order:
        for parent, local_grad in zip(node.parents, node.local_grads):
            parent.grad += local_grad * node.grad


def gates_graph(x: float = 2.0, y: float = -1.0, z: float = -3.0) -> dict[str, Value]:
    """Build ``q = x y``, ``m = max(y, z)``, ``t = q + m``, ``L = t ** 2``; run ``L.backward()``.

    One small graph with every gate pattern: the multiply gate swaps, max routes, add
    distributes, and ``y`` forks (it feeds both ``*`` and ``max``), so its two contributions add.
    Returns the labelled values by name: ``"x"``, ``"y"``, ``"z"``, ``"q"``, ``"m"``, ``"t"``, ``"L"``.
    """
    xv, yv, zv = Value(x, "x"), Value(y, "y"), Value(z, "z")
    q = xv * yv
    m = yv.max(zv)
    t = q + m
    loss = t**2
    for value, label in ((q, "q"), (m, "m"), (t, "t"), (loss, "L")):
        value.label = label
    loss.backward()
    return {"x": xv, "y": yv, "z": zv, "q": q, "m": m, "t": t, "L": loss}


def sigmoid_neuron(w, x, b: float, grouped: bool = False) -> dict:
    """One neuron ``a = sigmoid(z)``, ``z = w . x + b``, built from ``Value`` s; ``a.backward()`` is run.

    Args:
        w: ``(C,)`` weights (any sequence of C >= 1 numbers).
        x: ``(C,)`` inputs, as many as ``w``.
        b: the bias.
        grouped: ``False`` builds the sigmoid from primitive gates, ``1 / (1 + exp(-z))``
            (negate, exp, add 1, divide); ``True`` uses the single gate :meth:`Value.sigmoid`.

    Returns:
        ``{"w": [C Values], "x": [C Values], "b": Value, "z": Value, "a": Value}``; inputs are
        labelled ``w0, w1, ..., x0, ..., b``, and each ``.grad`` holds ``da/d(that value)``.
    """
    w, x = [float(v) for v in w], [float(v) for v in x]
    if not w or len(w) != len(x):
        raise ValueError(f"sigmoid_neuron: w and x must hold the same number (at least 1) of entries; "
                         f"got {len(w)} and {len(x)}")
    ws = [Value(v, f"w{c}") for c, v in enumerate(w)]
    xs = [Value(v, f"x{c}") for c, v in enumerate(x)]
    bv = Value(b, "b")
    z = ws[0] * xs[0]
    for wc, xc in zip(ws[1:], xs[1:]):
        z = z + wc * xc
    z = z + bv
    z.label = "z"
    a = z.sigmoid() if grouped else 1 / (1 + (-z).exp())
    a.label = "a"
    a.backward()
    return {"w": ws, "x": xs, "b": bv, "z": z, "a": a}


def operation_counts(root: Value) -> tuple[int, int]:
    """``(forward operations, backward multiply-adds)`` of ``root``'s graph.

    The forward pass performs one operation per computed value (a node with parents); the
    backward pass performs one ``parent.grad += local_grad * node.grad`` per edge, i.e. one per
    operand of each operation.
    """
    nodes = topological_order(root)
    return sum(1 for v in nodes if v.parents), sum(len(v.parents) for v in nodes)


def matmul_backward(dy: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of a scalar loss through ``y = x @ w``, given the upstream gradient ``dy``.

    ``N`` rows (examples), ``C`` input features, ``K`` outputs: a dense layer, or a 1x1
    convolution of a 1x1 image with ``C`` channels and ``K`` filters.

    Args:
        dy: ``(N, K)``, dL/dy, shaped like the output ``y``.
        x: ``(N, C)``, the input.
        w: ``(C, K)``, the weights.

    Returns:
        ``(dx, dw)``: ``dx = dy @ w.T`` shaped ``(N, C)`` like ``x``, and ``dw = x.T @ dy``
        shaped ``(C, K)`` like ``w``.
    """
    dy, x, w = np.asarray(dy), np.asarray(x), np.asarray(w)
    if x.ndim != 2 or w.ndim != 2 or dy.ndim != 2 or x.shape[1] != w.shape[0] or dy.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"matmul_backward: expected dy (N, K), x (N, C), w (C, K); "
                         f"got dy {dy.shape}, x {x.shape}, w {w.shape}")
    dx = dy @ w.T  # (N, K) @ (K, C) -> (N, C)
    dw = x.T @ dy  # (C, N) @ (N, K) -> (C, K)
    return dx, dw


def matmul_jacobian(n_rows: int, w: np.ndarray) -> np.ndarray:
    """The Jacobian of ``y = x @ w`` with respect to ``x``, for ``x`` of shape ``(n_rows, C)``.

    Rows index the entries of ``y`` (shape ``(n_rows, K)``) and columns the entries of ``x``,
    both flattened in row-major order: ``J[n*K + k, m*C + c] = dy[n, k]/dx[m, c]``, which is
    ``w[c, k]`` when ``m == n`` and 0 otherwise. So ``J`` is block diagonal, ``n_rows`` copies of
    ``w.T``, shape ``(n_rows*K, n_rows*C)``. Built only to show what the backward pass avoids:
    ``dy.reshape(-1) @ J`` equals ``(dy @ w.T).reshape(-1)``.
    """
    w = np.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"matmul_jacobian: expected w (C, K); got shape {w.shape}")
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 1:
        raise ValueError(f"matmul_jacobian: n_rows must be a positive int; got {n_rows!r}")
    return np.kron(np.eye(int(n_rows)), w.T)
