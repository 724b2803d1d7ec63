"""Chapter 1, the chain rule on a computational graph: the graph ``f = (x + y) z``, its widget,
a deliberately wrong backward pass, and the backward pass of a matrix product.

* :func:`chain_rule_graph` builds ``q = x + y``, ``f = q * z`` from :class:`~cnnbook.Value` and runs
  the backward pass; :func:`chain_rule_by_hand` does the same arithmetic with plain floats.
* :func:`draw_chain_rule` is the widget's ``draw`` function (sliders for ``x``, ``y``, ``z``).
* :func:`backward_overwriting` is ``Value.backward`` with ``=`` in place of ``+=``: the classic
  bug that loses gradients whenever a value is used more than once.
* :func:`matmul_backward` is the vectorised chain rule for ``Y = X @ W``.
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

    The widget's ``draw`` function (:class:`cnnbook.widgets.InteractiveFigure`): one axes,
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


def matmul_backward(dy: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of a scalar loss through ``y = x @ w``, given the upstream gradient ``dy``.

    Args:
        dy: ``(N, M)``, dL/dy, shaped like the output ``y``.
        x: ``(N, D)``, the input.
        w: ``(D, M)``, the weights.

    Returns:
        ``(dx, dw)``: ``dx = dy @ w.T`` shaped ``(N, D)`` like ``x``, and ``dw = x.T @ dy``
        shaped ``(D, M)`` like ``w``.
    """
    dy, x, w = np.asarray(dy), np.asarray(x), np.asarray(w)
    if x.ndim != 2 or w.ndim != 2 or dy.ndim != 2 or x.shape[1] != w.shape[0] or dy.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"matmul_backward: expected dy (N, M), x (N, D), w (D, M); "
                         f"got dy {dy.shape}, x {x.shape}, w {w.shape}")
    dx = dy @ w.T  # (N, M) @ (M, D) -> (N, D)
    dw = x.T @ dy  # (D, N) @ (N, M) -> (D, M)
    return dx, dw
