"""重みの初期値 (the course's Day 2): each layer's activation distribution (``activation_histograms``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch import functions as F
from nnscratch._arch import _init_std
from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _rng, _t

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

# activation -> (f, the values where it saturates, colour); "near" a saturation value is within NEAR
_ACTIVATIONS = {
    "sigmoid": (F.sigmoid, (0.0, 1.0), "tab:blue"),
    "tanh": (F.tanh, (-1.0, 1.0), "tab:green"),
    "relu": (F.relu, (), "tab:red"),
}
NEAR = 0.02


def _check_inits(inits: object) -> list[str | float]:
    items = list(inits) if isinstance(inits, (list, tuple)) else None
    if not items:
        raise ValueError(f"inits: expected initial scales like (1.0, 0.01, 'xavier', 'he'), got {inits!r}")
    for init in items:
        try:
            _init_std(init, 1)
        except ValueError:
            raise ValueError(
                f"inits: expected 'xavier', 'he' or non-negative standard deviations, e.g. "
                f"(1.0, 0.01, 'xavier', 'he'), got {init!r}"
            ) from None
    return items


def _init_label(init: str | float) -> str:
    if init == "xavier":
        return "Xavier √(1/n)"
    if init == "he":
        return "He √(2/n)"
    return f"σ = {float(init):g}"


def activation_histograms(
    *,
    activations: Sequence[str] = ("sigmoid", "relu"),
    inits: Sequence[str | float] = (1.0, 0.01, "xavier", "he"),
    n_layers: int = 5,
    width: int = 100,
    n_samples: int = 1000,
    bins: int = 30,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """重みの初期値とアクティベーション分布: the histogram of every layer's outputs (『ゼロから作る』 6.2).

    ``n_samples`` inputs x ~ N(0, 1) of ``width`` features pass through ``n_layers`` layers of
    ``width`` units without bias, u_l = z_{l−1}·W_l, z_l = f(u_l), for each activation f of
    ``activations`` (``sigmoid``, ``tanh``, ``relu``: ``nnscratch.functions``) and each initial scale of
    ``inits``: W_l = σ·G_l with σ = a number, Xavier √(1/n) or He √(2/n) for n = ``width`` inputs, as
    ``Network(init=...)`` computes it (``_arch._init_std``). Every row uses the same x and the same
    standard-normal G_l, so only σ and f differ. Rows are the settings, columns the layers.

    What it shows: sigmoid with σ = 1 piles the outputs at 0 and 1, where f'(u) ≈ 0 (勾配消失);
    σ = 0.01 puts them all near 0.5, so every unit says the same (表現力の制限); Xavier spreads them in
    every layer (lopsided in the deeper layers, as in the book: sigmoid's outputs are centred at 0.5,
    not 0, so each unit gets an offset of its own; tanh, centred at 0, stays smooth). ReLU with He keeps
    the same spread in every layer, with Xavier it shrinks layer by layer, with σ = 0.01 it vanishes and
    with σ = 1 it explodes (ReLU panels: the histogram of z > 0; the share of z = 0 is written in the
    panel).

    ``fig.data``: ``rows`` (per row ``activation``, ``init``, ``std`` = σ), ``layers``, ``edges`` (per
    row), ``counts`` (row, layer, bin), ``mean``, ``std`` (row, layer) of z, ``near`` (share of z within
    0.02 of a saturation value: 0 or 1 for sigmoid, ±1 for tanh; NaN for ReLU), ``zero`` (share of
    z = 0), ``x`` and ``G`` (the inputs and the standard-normal matrices), all computed in float64.

    >>> import nnscratch
    >>> fig = nnscratch.plot.activation_histograms(lang="en")
    >>> bool(fig.data["near"][0].min() > 0.4), bool(fig.data["near"][2].max() < 0.01)  # σ = 1, Xavier
    (True, True)
    """
    names = _check_activations(activations)
    init_list = _check_inits(inits)
    for name, value, low in (("n_layers", n_layers, 1), ("width", width, 1), ("n_samples", n_samples, 1),
                             ("bins", bins, 2)):
        _check_int(name, value, low)
    rng = _rng(seed)
    x = rng.standard_normal((n_samples, width))
    G = [rng.standard_normal((width, width)) for _ in range(n_layers)]
    rows = [{"activation": a, "init": init, "std": _init_std(init, width)}
            for a in names for init in init_list]
    layers = np.arange(1, n_layers + 1)
    data = {"rows": rows, "layers": layers, **_layer_statistics(rows, x, G, bins), "x": x, "G": G}

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(1.9 * n_layers + 1.0, 1.25 * len(rows) + 0.8)
        axes = fig.subplots(len(rows), n_layers, sharey="row", squeeze=False)
        for r, row in enumerate(rows):
            for col in range(n_layers):
                _draw_histogram(axes[r, col], data, r, col, n_samples * width, lang)
            act = _t("row_" + row["activation"], lang)
            axes[r, 0].set_ylabel(f"{act}\n{_init_label(row['init'])}", fontsize=8)
        fig.suptitle(_t("hist_title", lang, n=n_samples, w=width, L=n_layers))
        fig.supxlabel(_t("hist_xlabel", lang), fontsize=8)
        return fig, data

    return _render(lang, out, dpi, draw)


def _check_activations(activations: object) -> list[str]:
    names = list(activations) if isinstance(activations, (list, tuple)) else None
    if not names or any(a not in _ACTIVATIONS for a in names):
        raise ValueError(
            f"activations: expected names from {', '.join(map(repr, _ACTIVATIONS))}, e.g. ('sigmoid', "
            f"'relu'), got {activations!r}"
        )
    return names


def _layer_outputs(x: np.ndarray, G: list[np.ndarray], f: Callable, std: float) -> list[np.ndarray]:
    """z_l = f(z_{l−1}·W_l) with W_l = σ·G_l, z_0 = x: every layer's outputs, first to last."""
    zs, z = [], x
    for g in G:
        z = f(z @ (std * g))
        zs.append(z)
    return zs


def _layer_statistics(rows: list[dict], x: np.ndarray, G: list[np.ndarray], bins: int) -> dict:
    """Per row (activation, σ) and layer: the histogram (``edges`` per row, ``counts``) and ``mean``,
    ``std``, ``near`` (share within NEAR of a saturation value; NaN for ReLU), ``zero`` (share of z = 0)."""
    shape = (len(rows), len(G))
    mean, std, near, zero = np.empty(shape), np.empty(shape), np.full(shape, np.nan), np.empty(shape)
    counts = np.empty((*shape, bins), dtype=np.int64)
    edges = []
    for r, row in enumerate(rows):
        f, saturation, _ = _ACTIVATIONS[row["activation"]]
        zs = _layer_outputs(x, G, f, row["std"])
        if row["activation"] == "relu":  # the positive outputs, on one scale for the whole row
            top = max(float(z.max()) for z in zs)
            row_edges = np.linspace(0.0, top if top > 0 else 1.0, bins + 1)
        else:
            row_edges = np.linspace(min(saturation), max(saturation), bins + 1)
        edges.append(row_edges)
        for col, z in enumerate(zs):
            mean[r, col], std[r, col] = z.mean(), z.std()
            zero[r, col] = np.mean(z == 0)
            if saturation:
                near[r, col] = np.mean(np.min([np.abs(z - s) for s in saturation], axis=0) < NEAR)
            shown = z[z > 0] if row["activation"] == "relu" else z
            counts[r, col] = np.histogram(shown, bins=row_edges)[0]
    return {"edges": edges, "counts": counts, "mean": mean, "std": std, "near": near, "zero": zero}


def _draw_histogram(ax: Any, data: dict, r: int, col: int, n_values: int, lang: str) -> None:
    """One panel: row ``r``'s layer ``col + 1`` as the share of its ``n_values`` outputs per bin, with the
    share near saturation (or of z = 0 for ReLU) and the standard deviation written in the corner."""
    row = data["rows"][r]
    edges = data["edges"][r]
    share = data["counts"][r, col] / n_values
    ax.stairs(share, edges, fill=True, color=_ACTIVATIONS[row["activation"]][2], alpha=0.75)
    ax.set_xlim(edges[0], edges[-1])
    ax.tick_params(labelsize=6, pad=1)
    ax.locator_params(axis="x", nbins=3)
    if row["activation"] == "relu":
        note = _t("hist_zero", lang, p=data["zero"][r, col])
    else:
        edge = "0/1" if row["activation"] == "sigmoid" else "±1"
        note = _t("hist_near", lang, edge=edge, p=data["near"][r, col])
    ax.text(0.97, 0.95, f"{note}\n{_t('hist_std', lang, s=data['std'][r, col])}", transform=ax.transAxes,
            ha="right", va="top", fontsize=6, linespacing=1.1,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    if r == 0:
        ax.set_title(_t("hidden_layer", lang, l=col + 1))
