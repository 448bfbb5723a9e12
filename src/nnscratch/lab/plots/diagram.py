"""The network diagram (the course's P13): ``network``, for any layer sizes, edges coloured by weight.

The drawing is done in steps, one helper each: where the nodes stand (``_layout``), the weighted edges
(``_draw_edges``), the nodes with their symbols (``_draw_nodes``) and the caption under every layer with
its formula (``_caption``). Drawing units: nodes are 1 apart in a column, layers 2 apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _t
from nnscratch.network import Network, parse_sizes

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap, Normalize
    from matplotlib.figure import Figure

Point = tuple[float, float]
Shown = list[list[int | None]]  # per layer, the node indices drawn; None marks the ⋮ gap


def _shown_nodes(n: int, max_nodes: int) -> list[int | None]:
    """Indices of the nodes drawn for a layer of n nodes; None marks the ⋮ gap."""
    if n <= max_nodes:
        return list(range(n))
    head = max_nodes - 2
    return [*range(head), None, n - 1]


def _math_name(name: str) -> str:
    """An activation name as upright mathtext: 'leaky_relu' → \\mathrm{leaky\\_relu}."""
    return "\\mathrm{" + name.replace("_", "\\_") + "}"


def _source(
    net: Network | dict | Sequence[int] | str, seed: int | np.random.Generator | None
) -> tuple[list[int], dict[str, np.ndarray] | None, list[str] | None, str | None]:
    """What the diagram shows of ``net``: sizes, weights (float64, or None), hidden and output names."""
    hidden_names: list[str] | None = None
    output_name: str | None = None
    if isinstance(net, Network):
        sizes, params = list(net.sizes), net.params
        hidden_names, output_name = list(net.hidden), net.output
    elif isinstance(net, dict):
        built = Network.from_params(net)  # validates the keys and shapes
        sizes, params = list(built.sizes), built.params
    else:
        sizes = parse_sizes(net)
        params = None
        if seed is not None:
            fresh = Network(sizes, seed=seed)
            params, hidden_names, output_name = fresh.params, list(fresh.hidden), fresh.output
    weights = None if params is None else {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return sizes, weights, hidden_names, output_name


def _layout(shown: Shown, n_layers: int) -> tuple[dict[tuple[int, int | None], Point], dict[int, Point]]:
    """Node positions keyed by (layer, index), each column centred on 0; the bias node "1" of every
    layer that feeds another stands above it, between it and the next column."""
    pos: dict[tuple[int, int | None], Point] = {}
    bias_pos: dict[int, Point] = {}
    for layer, nodes in enumerate(shown):
        top = (len(nodes) - 1) / 2
        for row, j in enumerate(nodes):
            pos[(layer, j)] = (layer * 2.0, top - row)
        if layer < n_layers:
            bias_pos[layer] = (layer * 2.0 + 0.9, top + 1.0)
    return pos, bias_pos


def _draw_edges(
    ax: Axes, shown: Shown, pos: dict, bias_pos: dict, weights: dict[str, np.ndarray] | None,
    cmap: Colormap, norm: Normalize, wmax: float,
) -> None:
    """Every weight W_l[i, j] as a solid line, every bias b_l[j] as a dotted one from the "1" node;
    coloured by sign and size, width ∝ |w|, when there are weights."""

    def edge(p: Point, q: Point, value: float | None, bias: bool) -> None:
        style = ":" if bias else "-"
        line = list(zip(p, q, strict=True))
        if value is None:
            ax.plot(*line, color="0.6", lw=0.8, ls=style, zorder=1)
        else:  # a faint grey line keeps zero weights (white) visible
            ax.plot(*line, color="0.85", lw=0.5, ls=style, zorder=1)
            ax.plot(*line, color=cmap(norm(value)), lw=0.4 + 2.6 * abs(value) / wmax, ls=style, zorder=2)

    for layer in range(len(shown) - 1):
        for i in shown[layer]:
            for j in shown[layer + 1]:
                if i is None or j is None:
                    continue
                w = None if weights is None else float(weights[f"W{layer + 1}"][i, j])
                edge(pos[(layer, i)], pos[(layer + 1, j)], w, bias=False)
        for j in shown[layer + 1]:
            if j is not None:
                b = None if weights is None else float(weights[f"b{layer + 1}"][j])
                edge(bias_pos[layer], pos[(layer + 1, j)], b, bias=True)


def _draw_nodes(ax: Axes, pos: dict, bias_pos: dict, n_layers: int, lang: str) -> None:
    """Circles x_i (inputs), z_j^(l) (hidden outputs), y_k (outputs), ⋮ for a gap, squares "1" (bias)."""
    from matplotlib.patches import Circle, Rectangle

    for (layer, j), (px, py) in pos.items():
        if j is None:
            ax.text(px, py, "⋮", ha="center", va="center", fontsize=14)
            continue
        face = "#dbe9f6" if layer == 0 else ("#fde0c5" if layer == n_layers else "#e2f0d9")
        ax.add_patch(Circle((px, py), 0.3, facecolor=face, edgecolor="k", lw=1.0, zorder=3))
        if layer == 0:
            text = f"$x_{{{j + 1}}}$"
        elif layer == n_layers:
            text = f"$y_{{{j + 1}}}$"
        else:
            text = f"$z^{{({layer})}}_{{{j + 1}}}$"
        ax.text(px, py, text, ha="center", va="center", fontsize=9 if j < 99 else 6, zorder=4)
    for px, py in bias_pos.values():
        ax.add_patch(Rectangle((px - 0.2, py - 0.2), 0.4, 0.4, facecolor="#eeeeee", edgecolor="0.3",
                               lw=0.8, zorder=3))
        ax.text(px, py, "1", ha="center", va="center", fontsize=8, zorder=4)
    px, py = bias_pos[0]
    ax.text(px, py + 0.3, _t("bias", lang), ha="center", va="bottom", fontsize=7, color="0.3")


def _caption(
    layer: int, n: int, n_layers: int, hidden_names: list[str] | None, output_name: str | None, lang: str
) -> str:
    """The text under a layer: its name, its node count and u^(l) = z^(l−1)W^(l) + b^(l), z^(l) = f(u^(l))."""
    if layer == 0:
        head, formula = _t("input_layer", lang), "$x$"
    else:
        prev = "x" if layer == 1 else f"z^{{({layer - 1})}}"
        if layer == n_layers:
            f_name, head, out = output_name or "f", _t("output_layer", lang), "y"
        else:
            f_name = hidden_names[layer - 1] if hidden_names else "f"
            head, out = _t("hidden_layer", lang, l=layer), f"z^{{({layer})}}"
        formula = f"$u^{{({layer})}} = {prev}W^{{({layer})}} + b^{{({layer})}}$\n" \
                  f"${out} = {_math_name(f_name)}(u^{{({layer})}})$"
    units = _t("units", lang, n=n, s="" if n == 1 else "s")
    return f"{head}\n{units}\n{formula}"


def network(
    net: Network | dict | Sequence[int] | str = "2-3-3-1",
    *,
    lang: str = "ja",
    out: str | Path | None = None,
    max_nodes: int = 10,
    seed: int | np.random.Generator | None = None,
    dpi: float | None = None,
) -> Figure:
    """A network diagram (the course's P13: 2 inputs, two hidden layers of 3, 1 output) for any sizes.

    ``net`` is a ``Network``, a params dict ``{W1, b1, …}``, or layer sizes (``[2, 3, 3, 1]`` or
    ``"2-3-3-1"``). Nodes stand in columns by layer: inputs x_i, hidden outputs z_j^(l) (each from its
    total input u^(l) = z^(l−1)·W^(l) + b^(l)) and outputs y_k; the square node "1" of each layer is the
    bias input. Given weights (a Network, params, or sizes with a ``seed`` for a freshly initialised
    Network), edges are coloured by the weight's sign and size (diverging colormap, width ∝ |w|).
    Layers wider than ``max_nodes`` show their first nodes, ⋮ and the last node.
    """
    _check_int("max_nodes", max_nodes, low=3)
    sizes, weights, hidden_names, output_name = _source(net, seed)
    n_layers = len(sizes) - 1

    def draw(lang: str) -> tuple[Figure, dict[str, Any]]:
        import matplotlib as mpl

        shown = [_shown_nodes(n, max_nodes) for n in sizes]
        inch = 0.62  # inches per drawing unit
        width = max(3.2, inch * (2.0 * n_layers + 1.4) + (1.3 if weights is not None else 0.1))
        height = inch * (max(len(s) for s in shown) + 2.8) + 0.35  # nodes, bias row and captions; title
        fig = _new_figure(width, height)
        ax = fig.subplots()
        ax.set_aspect("equal")
        ax.axis("off")
        ax.grid(False)
        pos, bias_pos = _layout(shown, n_layers)
        wmax = 1.0
        if weights is not None:
            wmax = max(float(np.max(np.abs(w))) for w in weights.values()) or 1.0
        cmap = mpl.colormaps["RdBu_r"]
        norm = mpl.colors.Normalize(-wmax, wmax)
        _draw_edges(ax, shown, pos, bias_pos, weights, cmap, norm, wmax)
        _draw_nodes(ax, pos, bias_pos, n_layers, lang)
        bottom = min(py for (_, py) in pos.values()) - 0.6
        for layer, n in enumerate(sizes):
            caption = _caption(layer, n, n_layers, hidden_names, output_name, lang)
            ax.text(layer * 2.0, bottom, caption, ha="center", va="top", fontsize=8, linespacing=1.35)
        if weights is not None:
            sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
            fig.colorbar(sm, ax=ax, shrink=0.6, label=_t("weight", lang))
        ax.set_title(_t("network_title", lang, sizes="-".join(map(str, sizes))))
        ax.set_xlim(-0.7, 2.0 * n_layers + 0.7)
        ax.set_ylim(bottom - 1.8, max(py for (_, py) in bias_pos.values()) + 0.4)
        data = {
            "sizes": list(sizes),
            "positions": {f"{layer}:{j}": p for (layer, j), p in pos.items() if j is not None},
            "bias_positions": bias_pos,
            "weights": weights,
            "hidden": hidden_names,
            "output": output_name,
        }
        return fig, data

    return _render(lang, out, dpi, draw)
