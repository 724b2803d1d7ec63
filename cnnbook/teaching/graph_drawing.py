"""Drawing a :class:`~cnnbook.teaching.autodiff.Value`'s computational graph with matplotlib alone.

Two steps, kept apart so the first can be tested without rendering anything:

* :func:`graph_layout` decides where each node goes (pure Python, no matplotlib);
* :func:`draw_graph` turns that layout into boxes, circles and arrows.

Value nodes are boxes ``label | data ... | grad ...``; each operation is a small circle with its
symbol, between its operands and its result. Nodes sit in ranks by their depth from the inputs
(an input or a constant is drawn just before the first operation that uses it).
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import numpy as np

from .autodiff import Value, topological_order

FONT_SIZE = 9  # points
CHAR_WIDTH = 0.602 * FONT_SIZE / 72  # inches per character of DejaVu Sans Mono
TEXT_HEIGHT = 1.2 * FONT_SIZE / 72
PAD = 0.08  # inches between text and box edge
RANK_GAP, ROW_GAP, MARGIN = 0.3, 0.22, 0.1  # inches


class Layout(NamedTuple):
    """Node positions in layout units: one unit per rank along the flow, one per row across it.

    ``values`` maps every ``Value`` of the graph to its ``(x, y)``; ``ops`` maps every computed
    ``Value`` to the ``(x, y)`` of the operation circle that produced it. The rank is an int,
    even for values and odd for operations; with ``rankdir="LR"`` it is x (inputs on the left),
    with ``"TB"`` it is -y (inputs on top).
    """

    values: dict
    ops: dict


def _ranks(nodes: list[Value]) -> tuple[dict, dict]:
    """Rank of each value (even) and operation (odd) node, and the first operation using each input.

    ``nodes`` are in topological order; keys are ``("value", v)`` and ``("op", v)``.
    """
    rank = {}
    for v in nodes:
        if v.parents:
            rank["op", v] = 1 + max(rank["value", p] for p in v.parents)
            rank["value", v] = rank["op", v] + 1
        else:
            rank["value", v] = 0
    first_user = {}
    for v in nodes:
        for p in v.parents:
            if not p.parents and (p not in first_user or rank["op", v] < rank["op", first_user[p]]):
                first_user[p] = v
    # An input sits just left of the first operation that uses it, so that constants
    # introduced late (the 2 in 2 * n) do not draw arrows across the whole graph.
    for p, user in first_user.items():
        rank["value", p] = rank["op", user] - 1
    return rank, first_user


def _rows(nodes: list[Value], rank: dict, first_user: dict) -> dict:
    """Row of each node, rank by rank from the inputs.

    An operation is level with the mean of its operands, a result with its operation, and an
    input with the computed operands it is combined with (or, if it has none, on the next free
    input row). Nodes of one rank that would collide are pushed apart to one row between them.
    """
    order = {v: i for i, v in enumerate(nodes)}
    free_input_rows = iter(range(len(nodes)))
    columns = defaultdict(list)
    for key, r in rank.items():
        columns[r].append(key)
    row, desired = {}, {}
    for r in sorted(columns):
        inputs = [key for key in columns[r] if key[0] == "value" and not key[1].parents]
        for kind, v in columns[r]:
            if kind == "op":
                desired[kind, v] = np.mean([row["value", p] for p in dict.fromkeys(v.parents)])
            elif v.parents:
                desired[kind, v] = row["op", v]
        for key in inputs:
            user = first_user.get(key[1])
            partners = [("value", p) for p in user.parents if p.parents] if user else []
            near = [row[k] if k in row else desired[k] for k in partners]
            desired[key] = np.mean(near) if near else next(free_input_rows)
        previous = -np.inf
        for key in sorted(columns[r], key=lambda k: (desired[k], k in inputs, order[k[1]])):
            row[key] = previous = float(max(desired[key], previous + 1))
    return row


def graph_layout(root: Value, rankdir: str = "LR") -> Layout:
    """Where each node of ``root``'s graph goes (see :class:`Layout`); nothing is drawn.

    ``rankdir`` is ``"LR"`` (inputs on the left, output on the right) or ``"TB"`` (inputs on top).
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"graph_layout: rankdir must be 'LR' or 'TB'; got {rankdir!r}")
    nodes = topological_order(root)
    rank, first_user = _ranks(nodes)
    row = _rows(nodes, rank, first_user)
    place = (lambda k: (rank[k], 0.0 - row[k])) if rankdir == "LR" else (lambda k: (row[k], 0 - rank[k]))
    values = {v: place(("value", v)) for v in nodes}
    ops = {v: place(("op", v)) for v in nodes if v.parents}
    return Layout(values, ops)


def _fixed(x: float) -> str:
    """``x`` with two decimals, never ``-0.00``."""
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def _value_text(v: Value, show_grad: bool) -> str:
    """``label | data ... | grad ...``, leaving out an empty label (and the grad if not wanted)."""
    fields = [v.label] if v.label else []
    fields.append(f"data {_fixed(v.data)}")
    if show_grad:
        fields.append(f"grad {_fixed(v.grad)}")
    return " | ".join(fields)


def _box_edge(centre: np.ndarray, toward: np.ndarray, half_size: np.ndarray) -> np.ndarray:
    """Where the segment from a box's ``centre`` to the point ``toward`` leaves the box."""
    d = toward - centre
    with np.errstate(divide="ignore"):
        t = np.min(np.abs(half_size / d))
    return centre + min(t, 1.0) * d


def _circle_edge(centre: np.ndarray, toward: np.ndarray, radius: float) -> np.ndarray:
    d = toward - centre
    return centre + radius * d / np.linalg.norm(d)


def _to_inches(layout: Layout, rankdir: str, half_box: np.ndarray, radius: float) -> tuple[dict, dict]:
    """Centres of the value boxes and operation circles, in inches.

    Along the flow, each rank is as deep as what it holds (a box or a circle) plus a gap;
    across it, rows are one box (LR: or circle) plus a gap apart.
    """
    op_size = 2 * radius
    if rankdir == "LR":  # value_size: a box's extent along the flow
        value_size, row_pitch = 2 * half_box[0], max(2 * half_box[1], op_size) + ROW_GAP
    else:
        value_size, row_pitch = 2 * half_box[1], 2 * half_box[0] + ROW_GAP

    def rank_centre(rank: int) -> float:
        before = (rank + 1) // 2 * (value_size + RANK_GAP) + rank // 2 * (op_size + RANK_GAP)
        return before + (value_size if rank % 2 == 0 else op_size) / 2

    def centre(position: tuple[float, float]) -> np.ndarray:
        x, y = position
        if rankdir == "LR":
            return np.array([rank_centre(int(x)), y * row_pitch])
        return np.array([x * row_pitch, -rank_centre(int(-y))])

    return ({v: centre(p) for v, p in layout.values.items()},
            {v: centre(p) for v, p in layout.ops.items()})


def draw_graph(root: Value, ax=None, show_grad: bool = True, rankdir: str = "LR"):
    """Draw ``root``'s computational graph and return the matplotlib ``Axes``.

    Args:
        root (Value): the output; its graph is everything it was computed from.
        ax (matplotlib.axes.Axes | None): where to draw. ``None`` makes a new figure sized
            so that one data unit is one inch, which keeps the text inside its boxes; in an
            ``ax`` of your own the boxes scale with the axes but the text does not.
        show_grad (bool): also print each value's ``grad`` (run ``root.backward()`` first).
        rankdir (str): ``"LR"`` (left to right) or ``"TB"`` (top to bottom).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    layout = graph_layout(root, rankdir)
    texts = {v: _value_text(v, show_grad) for v in layout.values}
    half_box = np.array([max(map(len, texts.values())) * CHAR_WIDTH, TEXT_HEIGHT]) / 2 + PAD
    radius = max((len(v.op) * CHAR_WIDTH / 2 + 0.06 for v in layout.ops), default=0.0)
    radius = max(radius, TEXT_HEIGHT / 2 + 0.06)

    value_at, op_at = _to_inches(layout, rankdir, half_box, radius)

    corners = [c + s * half_box for c in value_at.values() for s in (-1, 1)]
    corners += [c + s * radius for c in op_at.values() for s in (-1, 1)]
    low, high = np.min(corners, axis=0) - MARGIN, np.max(corners, axis=0) + MARGIN
    if ax is None:
        ax = plt.figure(figsize=tuple(high - low)).add_axes([0, 0, 1, 1])

    arrow = dict(arrowstyle="-|>", mutation_scale=10, color="#555555", shrinkA=0, shrinkB=0, zorder=1)
    for v, centre in op_at.items():
        for p in dict.fromkeys(v.parents):
            start = _box_edge(value_at[p], centre, half_box)
            ax.add_patch(FancyArrowPatch(start, _circle_edge(centre, start, radius), **arrow))
        end = _box_edge(value_at[v], centre, half_box)
        ax.add_patch(FancyArrowPatch(_circle_edge(centre, end, radius), end, **arrow))
        ax.add_patch(Circle(centre, radius, facecolor="#fdf2d0", edgecolor="#7f6a2e", zorder=2))
        ax.text(*centre, v.op, ha="center", va="center", family="monospace", fontsize=FONT_SIZE, zorder=3)

    for v, centre in value_at.items():
        ax.add_patch(FancyBboxPatch(centre - half_box, *(2 * half_box), boxstyle="round,pad=0,rounding_size=0.05",
                                    facecolor="#eaf1fb", edgecolor="#2c3e50", zorder=2))
        ax.text(*centre, texts[v], ha="center", va="center", family="monospace", fontsize=FONT_SIZE, zorder=3)

    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax
