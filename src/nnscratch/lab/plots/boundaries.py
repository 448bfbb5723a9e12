"""決定境界: the class a trained network predicts at every point of the plane (``decision_boundary``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch.lab.plots._common import _new_figure, _render, _rng, _t
from nnscratch.lab.plots._runs import run, seed_from
from nnscratch.network import Network

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

DATASETS_2D = ("moons", "circles", "spiral", "xor")


def _boundary_runs(
    names: Sequence[str], hidden_sizes: Sequence[int], epochs: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Per data set name: its data and a 2-``hidden_sizes``-K ReLU/softmax network trained on it (Adam,
    η = 0.01, batches of 32), the data and the weights drawn from ``rng`` one set after the other."""
    from nnscratch import datasets

    noise = {"moons": 0.2, "circles": 0.1, "spiral": 0.2, "xor": 0.05}
    runs = []
    for name in names:
        n_samples = 300 if name == "spiral" else 200
        data = getattr(datasets, name)(n_samples=n_samples, noise=noise[name], seed=rng)
        model = run(data.x, data.y, hidden_sizes=tuple(hidden_sizes), hidden="relu", optimizer="adam",
                    lr=0.01, epochs=epochs, batch_size=32, seed=seed_from(rng))
        runs.append({"name": name, "net": model.network, "x": data.x, "d": data.y})
    return runs


def _given_run(net: object, x: object, d: object) -> dict[str, Any]:
    """The caller's own classifier and data, checked, as one run to draw."""
    if not isinstance(net, Network):
        raise TypeError(f"net: expected an nnscratch.Network, got {type(net).__name__}")
    if net.sizes[0] != 2 or net.output == "identity":
        raise ValueError(f"net: expected a classifier with 2 inputs (sigmoid or softmax output), got {net!r}")
    if x is None or d is None:
        raise ValueError("x, d: expected the data the network was trained on, got None")
    x2, _ = net.check_x(x)
    return {"name": None, "net": net, "x": x2, "d": np.asarray(d)}


def _panel(fit: dict[str, Any], resolution: int) -> dict[str, Any]:
    """One panel's numbers: the predicted class ``zz`` on a ``resolution``² grid ``xx, yy`` spanning the
    data with a 10 % margin, the data ``x`` with its class ``labels``, and the accuracy on it."""
    xs = np.asarray(fit["x"], dtype=np.float64)
    lo, hi = xs.min(axis=0), xs.max(axis=0)
    pad = 0.1 * (hi - lo) + 1e-9
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(g0, g1)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    zz = fit["net"].predict_classes(grid).reshape(xx.shape)
    d_arr = fit["d"]
    if d_arr.ndim == 1:
        labels = d_arr
    else:  # one-hot rows, or one sigmoid column of 0/1 targets
        labels = np.argmax(d_arr, axis=1) if d_arr.shape[1] > 1 else d_arr[:, 0] >= 0.5
    return {"name": fit["name"], "xx": xx, "yy": yy, "zz": zz, "x": xs,
            "labels": np.asarray(labels).astype(int),
            "accuracy": fit["net"].accuracy(fit["x"], fit["d"])}


def decision_boundary(
    net: Network | None = None,
    x: object = None,
    d: object = None,
    *,
    datasets: Sequence[str] = DATASETS_2D,
    hidden_sizes: Sequence[int] = (32, 32),
    epochs: int = 200,
    resolution: int = 150,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """決定境界: the class a trained network predicts at every point of the plane, with the data on top.

    Given ``net`` (2 inputs, softmax or sigmoid output) and its data ``x`` (N, 2), ``d`` (labels or
    one-hot), draws that one network. Otherwise trains a 2-``hidden_sizes``-K ReLU network (Adam,
    η = 0.01, ``epochs`` epochs, mini-batches of 32) on each of ``datasets`` (moons, circles, spiral,
    xor from ``nnscratch.datasets``) and draws them side by side, with the training accuracy.
    ``fig.data["panels"]`` holds per panel the grid ``xx, yy``, the predicted class ``zz`` and the
    ``accuracy`` (``net.accuracy`` on the drawn data).
    """
    rng = _rng(seed)
    if net is not None:
        runs = [_given_run(net, x, d)]
    else:
        names = list(datasets)
        unknown = [n for n in names if n not in DATASETS_2D]
        if not names or unknown:
            raise ValueError(f"datasets: expected names from {', '.join(DATASETS_2D)}, got {names!r}")
        runs = _boundary_runs(names, list(hidden_sizes), epochs, rng)
    panels = [_panel(fit, resolution) for fit in runs]
    arch = "-".join(map(str, runs[0]["net"].sizes[:-1])) + "-K"
    hidden_name = runs[0]["net"].hidden[0] if runs[0]["net"].hidden else runs[0]["net"].output

    def draw(lang: str) -> tuple[Figure, dict]:
        import matplotlib as mpl

        n = len(panels)
        fig = _new_figure(2.7 * n + 0.4, 3.1)
        axes = np.atleast_1d(fig.subplots(1, n))
        colors = ["tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange"]
        for ax, p in zip(axes, panels, strict=True):
            k = int(max(p["zz"].max(), p["labels"].max())) + 1
            cmap = mpl.colors.ListedColormap([colors[i % len(colors)] for i in range(k)])
            ax.contourf(p["xx"], p["yy"], p["zz"], levels=np.arange(-0.5, k), cmap=cmap, alpha=0.25)
            ax.contour(p["xx"], p["yy"], p["zz"], levels=np.arange(0.5, k - 0.5), colors="k", linewidths=0.8)
            ax.scatter(p["x"][:, 0], p["x"][:, 1], c=p["labels"], cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=9,
                       edgecolors="k", linewidths=0.3)
            name = _t(p["name"], lang) if p["name"] else _t("train", lang)
            ax.set_title(_t("boundary_acc", lang, name=name, acc=p["accuracy"]), fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.set_aspect("equal", adjustable="box")
        fig.suptitle(_t("boundary_title", lang, sizes=arch, hidden=hidden_name))
        return fig, {"panels": panels}

    return _render(lang, out, dpi, draw)
