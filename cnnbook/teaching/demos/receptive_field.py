"""Chapter 2's pictures: sparse connections, shared weights, and the receptive field of a stack.

* :func:`draw_connections` draws three layers in which every unit sees three adjacent
  units of the layer below (sparse connectivity), optionally with the three shared
  weights in three colours.
* :func:`field_layout` works out, for up to four ``(kernel, stride)`` layers (one axis,
  padding 0), the span of units of every layer around one unit on top, and which of them
  are actually connected to it; :func:`draw_receptive_field` draws it, and
  :func:`receptive_field_widget` wires it to sliders.

Everything here is computed with :mod:`cnnbook.teaching.connectivity`; the drawing only shows it.
"""

from __future__ import annotations

import numpy as np

from ..connectivity import connected_units, layer_lengths, receptive_field_extents, receptive_field_growth
from ..widgets import InteractiveFigure, slider

TOP_UNITS = 5  # the top layer always has this many units; the input is made just long enough
MAX_DEPTH = 4
WEIGHT_COLOURS = ("tab:red", "tab:green", "tab:blue", "tab:orange", "tab:purple", "tab:brown", "tab:pink")


def draw_connections(ax, kernel: int = 3, units_below: int = 5, shared: bool = False, levels: int = 3,
                     title: str = ""):
    """Layers m-1 (``units_below`` units), m (and m+1 if ``levels == 3``), each unit wired to
    ``kernel`` adjacent units of the layer below.

    With ``shared=True`` the edges are coloured by the filter entry they use (the same
    colour is the same weight); otherwise they are grey. Returns the number of edges
    drawn between each pair of neighbouring layers, bottom first.
    """
    if kernel < 1 or units_below < kernel or levels not in (2, 3):
        raise ValueError(f"draw_connections: need 1 <= kernel <= units_below and levels 2 or 3; got "
                         f"kernel={kernel}, units_below={units_below}, levels={levels}")
    sizes = [units_below, units_below - kernel + 1, units_below - 2 * (kernel - 1)][:levels]
    sizes = [s for s in sizes if s >= 1]
    # Each unit sits over the middle of the units it sees.
    xs = [np.arange(sizes[0], dtype=float)]
    for size in sizes[1:]:
        xs.append(np.array([xs[-1][i : i + kernel].mean() for i in range(size)]))
    edges = []
    for level in range(1, len(sizes)):
        count = 0
        for i, x_top in enumerate(xs[level]):
            for r in range(kernel):
                colour = WEIGHT_COLOURS[r % len(WEIGHT_COLOURS)] if shared else "0.55"
                ax.plot([xs[level - 1][i + r], x_top], [level - 1, level], color=colour,
                        linewidth=2.2 if shared else 1.4, zorder=1)
                count += 1
        edges.append(count)
    for level, x in enumerate(xs):
        ax.scatter(x, np.full(len(x), level), s=420, color="white", edgecolor="black", linewidth=1.5, zorder=2)
    ax.set_yticks(range(len(sizes)))
    ax.set_yticklabels(["layer m-1", "layer m", "layer m+1"][: len(sizes)])
    ax.set_xticks([])
    ax.set_xlim(-0.7, sizes[0] - 0.3)
    ax.set_ylim(-0.5, len(sizes) - 0.5)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    if shared:
        for r in range(kernel):
            ax.plot([], [], color=WEIGHT_COLOURS[r % len(WEIGHT_COLOURS)], linewidth=2.2, label=f"weight w{r + 1}")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return tuple(edges)


def field_layout(layers, unit: int, top_units: int = TOP_UNITS) -> dict:
    """Everything :func:`draw_receptive_field` shows, for ``layers`` = [(kernel, stride), ...].

    The input is made just long enough for the top layer to have ``top_units`` units.
    Returns a dict with ``layers``, ``input_length``, ``lengths`` (units per layer, input
    first), ``extents`` (the half-open span of units of each layer around the ones that feed
    ``unit``, input first), ``connected`` (the units of each layer actually connected to
    ``unit``, sorted tuples, input first: they fill the span whenever every kernel is at least
    as large as its stride), ``size`` and ``jump`` (receptive-field span and spacing of the top layer),
    ``centres`` (for each layer, the x position of each unit: the middle of what it sees).
    """
    layers = [(int(k), int(s)) for k, s in layers]
    growth = receptive_field_growth(layers)
    if not 0 <= unit < top_units:
        raise ValueError(f"field_layout: unit must be in 0..{top_units - 1}; got {unit}")
    top = growth[-1]
    input_length = top.size + (top_units - 1) * top.jump
    lengths = layer_lengths(input_length, layers)
    extents = receptive_field_extents(layers, unit, input_length=input_length)
    connected = connected_units(layers, unit)
    centres = [np.arange(n) * g.jump + (g.size - 1) / 2 for n, g in zip(lengths, growth)]
    return {"layers": layers, "input_length": input_length, "lengths": lengths, "extents": extents,
            "connected": connected, "size": top.size, "jump": top.jump, "centres": centres}


def draw_receptive_field(figure, depth=3, unit=2, kernel_1=3, stride_1=1, kernel_2=3, stride_2=1,
                         kernel_3=3, stride_3=1, kernel_4=3, stride_4=1) -> str:
    """Draw the units of ``depth`` stacked layers that feed one unit on top; return a caption.

    Layer ``l`` uses ``(kernel_l, stride_l)``; layers above ``depth`` are ignored.
    Highlighted: the units connected to top unit ``unit`` (its cone, blue) and the span of
    its receptive field (shaded). Input pixels inside the span that no path reaches (when a
    kernel is smaller than its stride) stay grey, ringed in the span's colour.
    """
    pairs = [(kernel_1, stride_1), (kernel_2, stride_2), (kernel_3, stride_3), (kernel_4, stride_4)]
    layers = pairs[:depth]
    info = field_layout(layers, unit)
    ax = figure.add_subplot()
    start, stop = info["extents"][0]
    pixels = info["connected"][0]
    ax.axvspan(start - 0.5, stop - 0.5, color="gold", alpha=0.25, zorder=0,
               label=f"receptive field: spans {info['size']} input pixels")
    marker = float(np.clip(500 / info["input_length"], 3, 11))
    for level, (centres, units) in enumerate(zip(info["centres"], info["connected"])):
        inside = np.zeros(len(centres), bool)
        inside[list(units)] = True
        if level > 0:  # the connections of the cone: each connected unit to the window it reads
            kernel, stride = layers[level - 1]
            below = info["centres"][level - 1]
            for i in units:
                for r in range(kernel):
                    ax.plot([below[i * stride + r], centres[i]], [level - 1, level], color="tab:blue",
                            linewidth=0.8, alpha=0.6, zorder=1)
        ax.plot(centres[~inside], np.full((~inside).sum(), level), "o", markersize=marker, color="0.82", zorder=2)
        ax.plot(centres[inside], np.full(inside.sum(), level), "o", markersize=marker,
                color="crimson" if level == len(layers) else "tab:blue", zorder=3,
                label=f"connected: {len(pixels)} input pixels" if level == 0 else None)
    holes = sorted(set(range(start, stop)) - set(pixels))
    if holes:  # inside the span, but no path of connections reaches them
        ax.plot(info["centres"][0][holes], np.zeros(len(holes)), "o", markersize=marker, color="0.82",
                markeredgecolor="darkgoldenrod", markeredgewidth=1.5, zorder=3,
                label=f"in the span, not connected: {len(holes)}")
    ax.set_yticks(range(len(layers) + 1))
    ax.set_yticklabels(["input"] + [f"layer {l} (k={k}, s={s})" for l, (k, s) in enumerate(layers, start=1)])
    ax.set_xlabel("input pixel")
    ax.set_xlim(-1, info["input_length"])
    ax.set_ylim(-0.6, len(layers) + 0.6)
    ax.set_title(f"Receptive field of unit {unit} in layer {depth}: input pixels {start} to {stop - 1}"
                 f" ({len(pixels)} of {info['size']} connected)", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18), fontsize=9, frameon=False, ncol=3)
    figure.subplots_adjust(left=0.17, right=0.98, top=0.9, bottom=0.24)
    kernels = ", ".join(str(k) for k, _ in layers)
    strides = ", ".join(str(s) for _, s in layers)
    if holes:
        # only layers below the top can skip pixels: the top layer's stride only spaces the top units apart
        small = [f"{l}" for l, (k, s) in enumerate(layers[:-1], start=1) if k < s]
        connection = (f"Only <b>{len(pixels)}</b> of them are connected to it: a kernel smaller than its stride "
                      f"(layer{'s' if len(small) > 1 else ''} {', '.join(small)}) skips pixels, and the "
                      f"{len(holes)} skipped ones cannot affect the unit. ")
    else:
        connection = f"All {len(pixels)} are connected to it. "
    return (f"Unit {unit} of layer {depth} has a receptive field spanning input pixels {start}&ndash;{stop - 1}: "
            f"<b>{info['size']} pixels</b> (kernels {kernels}; strides {strides}; "
            f"neighbouring units of layer {depth} are {info['jump']} pixel{'s' if info['jump'] > 1 else ''} apart). "
            + connection + f"The first kernel alone spans {layers[0][0]}.")


def receptive_field_widget() -> InteractiveFigure:
    """The chapter's widget: depth, the top unit, and a kernel size and stride per layer."""
    controls = {"depth": slider(3, 1, MAX_DEPTH, "layers"), "unit": slider(2, 0, TOP_UNITS - 1, "top unit")}
    for level in range(1, MAX_DEPTH + 1):
        controls[f"kernel_{level}"] = slider(3, 1, 5, f"kernel {level}")
        controls[f"stride_{level}"] = slider(1, 1, 2, f"stride {level}")
    demo = InteractiveFigure(draw_receptive_field, controls, figsize=(9.5, 4.2))
    demo.widget.children[0].layout.flex_flow = "row wrap"  # ten sliders: let them wrap onto two rows
    return demo
