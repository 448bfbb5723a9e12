"""識別モデルと生成モデル: the two kinds side by side (``discriminative_vs_generative``), and how much data
each needs (``data_size``, after Ng & Jordan, NIPS 2001).

- ``discriminative_vs_generative`` — per data set (blobs: the Gaussian assumption holds; moons: it does
  not) three panels: the decision boundary of an MLP (learns p(k | x)); the class densities p(x | k) of
  a :class:`~nnscratch.generative.GaussianClassifier` as contours, with its boundary (solid) and the
  MLP's (dashed); points the Gaussian model generates (×) next to the real ones (•).
- ``data_size`` — test accuracy against the number of training points per class, mean ± std over
  seeds, for the Gaussian classifier (one covariance per class, QDA, and shared, LDA), logistic
  regression (a network without hidden layers) and an MLP. Each seed draws its training points (the
  same count from every class) from a fixed pool; the test points are the same for all.

The networks are trained through :func:`~nnscratch.lab.plots._runs.run` (Adam, η = 0.01, batches of
32, about ``steps`` updates whatever the training size, at least 20 epochs).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch.generative import GaussianClassifier
from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _rng
from nnscratch.lab.plots._runs import run, seed_from

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

DATASETS = ("blobs", "moons")
MODELS = ("qda", "lda", "logistic", "mlp")
_COLORS = ["tab:blue", "tab:red", "tab:green"]
_REG = 1e-3  # a ridge for classes of two or three points, whose ML covariance is singular

# key -> (Japanese, English)
_TEXT = {
    "blobs": ("ガウス分布の塊 (仮定が成り立つ)", "Gaussian blobs (the assumption holds)"),
    "moons": ("三日月 (仮定が成り立たない)", "moons (the assumption fails)"),
    "disc": ("識別モデル: MLP の p(k|x), 正解率 {acc:.2f}", "discriminative: MLP p(k|x), acc. {acc:.2f}"),
    "gen": ("生成モデル: ガウス分布の p(x|k), 正解率 {acc:.2f}",
            "generative: Gaussian p(x|k), acc. {acc:.2f}"),
    "gen_note": ("黒の実線: 生成モデルの境界  橙の破線: MLP",
                 "black: generative boundary  orange dashed: MLP"),
    "samples": ("生成した点 (×) と本物 (•)", "generated points (×) and real ones (•)"),
    "dvg_title": ("識別モデルと生成モデル", "discriminative vs generative models"),
    "qda": ("ガウス (クラスごとの共分散, QDA)", "Gaussian, one covariance per class (QDA)"),
    "lda": ("ガウス (共通の共分散, LDA)", "Gaussian, shared covariance (LDA)"),
    "logistic": ("ロジスティック回帰", "logistic regression"),
    "mlp": ("MLP {sizes}", "MLP {sizes}"),
    "per_class": ("クラスあたりの訓練データ数", "training points per class"),
    "test_acc": ("テスト正解率 (平均 ± 標準偏差)", "test accuracy (mean ± std)"),
    "size_title": ("必要なデータ量: {seeds} シード, テスト {n_test} 件",
                   "how much data each needs: {seeds} seeds, {n_test} test points"),
}


def _l(key: str, lang: str, **fmt: object) -> str:
    text = _TEXT[key][0 if lang == "ja" else 1]
    return text.format(**fmt) if fmt else text


def _pool(name: str, n: int, seed: int, spread: float = 2.5) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of a data set (blobs: 3 classes of standard deviation ``spread``; moons: noise 0.3)."""
    from nnscratch import datasets

    if name == "blobs":
        d = datasets.blobs(n_samples=n, n_classes=3, spread=spread, seed=seed)
    elif name == "moons":
        d = datasets.moons(n_samples=n, noise=0.3, seed=seed)
    else:
        raise ValueError(f"datasets: expected names from {', '.join(DATASETS)}, got {name!r}")
    return np.asarray(d.x, dtype=np.float64), np.asarray(d.y)


def _network(x, y, hidden_sizes, steps, seed):
    batches = -(-x.shape[0] // 32)
    epochs = max(20, -(-steps // batches))
    return run(x, y, hidden_sizes=tuple(hidden_sizes), hidden="relu", optimizer="adam", lr=0.01,
               epochs=epochs, batch_size=32, seed=seed)


# ------------------------------------------------------------------ discriminative vs generative


def _side_by_side(name, n_samples, hidden_sizes, steps, resolution, rng) -> dict[str, Any]:
    x, y = _pool(name, n_samples, seed_from(rng), spread=1.8)  # blobs that touch, for a clear picture
    mlp = _network(x, y, hidden_sizes, steps, seed_from(rng))
    gauss = GaussianClassifier().fit(x, y)
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = 0.1 * (hi - lo)
    xx, yy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    generated, generated_y = gauss.sample(n_samples, seed=seed_from(rng))
    return {
        "name": name, "x": x, "y": y, "xx": xx, "yy": yy,
        "mlp_class": np.asarray(mlp.predict(grid)).reshape(xx.shape),
        "gauss_class": gauss.predict(grid).reshape(xx.shape),
        "density": np.exp(gauss.class_log_density(grid)).reshape(*xx.shape, -1),
        "generated": generated, "generated_y": generated_y,
        "mlp_accuracy": float(np.mean(mlp.predict(x) == y)), "gauss_accuracy": gauss.score(x, y),
        "means": gauss.means_, "covariances": gauss.covariances_,
    }


def discriminative_vs_generative(
    *,
    datasets: Sequence[str] = DATASETS,
    n_samples: int = 300,
    hidden_sizes: Sequence[int] = (32, 32),
    steps: int = 1500,
    resolution: int = 150,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """識別モデル vs 生成モデル on ``datasets`` (rows): the MLP's boundary; the Gaussian classifier's class
    densities, its boundary and the MLP's; points it generates beside the real ones.

    ``fig.data["rows"]`` holds per data set the grids, both predicted classes, the densities (grid × K),
    the generated points and both training accuracies.

    >>> import nnscratch
    >>> fig = nnscratch.plot.discriminative_vs_generative(datasets=("blobs",), n_samples=60, steps=50,
    ...                                                   resolution=30, lang="en")
    >>> len(fig.data["rows"])
    1
    """
    rng = _rng(seed)
    names = list(datasets)
    if not names or any(n not in DATASETS for n in names):
        raise ValueError(f"datasets: expected names from {', '.join(DATASETS)}, got {names!r}")
    n_samples, steps = _check_int("n_samples", n_samples, 10), _check_int("steps", steps)
    resolution = _check_int("resolution", resolution, 10)
    rows = [_side_by_side(n, n_samples, hidden_sizes, steps, resolution, rng) for n in names]

    def draw(lang: str) -> tuple[Figure, dict]:
        import matplotlib as mpl

        fig = _new_figure(10.5, 3.3 * len(rows) + 0.4)
        axes = np.atleast_2d(fig.subplots(len(rows), 3))
        for ax_row, r in zip(axes, rows, strict=True):
            k = int(r["y"].max()) + 1
            cmap = mpl.colors.ListedColormap(_COLORS[:k])
            levels = np.arange(-0.5, k)
            a, b, c = ax_row
            a.contourf(r["xx"], r["yy"], r["mlp_class"], levels=levels, cmap=cmap, alpha=0.25)
            a.scatter(r["x"][:, 0], r["x"][:, 1], c=r["y"], cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=7,
                      edgecolors="k", linewidths=0.2)
            a.set_title(_l("disc", lang, acc=r["mlp_accuracy"]), fontsize=9)
            a.set_ylabel(_l(r["name"], lang))
            for j in range(k):
                dens = r["density"][..., j]
                b.contour(r["xx"], r["yy"], dens, levels=np.quantile(dens, [0.7, 0.85, 0.95, 0.99]),
                          colors=_COLORS[j], linewidths=0.8)
            for j in range(k):  # each class's region outlined: no double line where classes 0 and 2 meet
                b.contour(r["xx"], r["yy"], (r["gauss_class"] == j).astype(float), levels=[0.5],
                          colors="k", linewidths=1.2)
                b.contour(r["xx"], r["yy"], (r["mlp_class"] == j).astype(float), levels=[0.5],
                          colors="tab:orange", linewidths=1.1, linestyles=[(0, (4, 2))])
            b.scatter(r["x"][:, 0], r["x"][:, 1], c=r["y"], cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=4,
                      alpha=0.35, linewidths=0)
            b.set_title(_l("gen", lang, acc=r["gauss_accuracy"]), fontsize=9)
            b.set_xlabel(_l("gen_note", lang), fontsize=8)
            c.scatter(r["x"][:, 0], r["x"][:, 1], c=r["y"], cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=6,
                      alpha=0.35, linewidths=0)
            c.scatter(r["generated"][:, 0], r["generated"][:, 1], c=r["generated_y"], cmap=cmap,
                      vmin=-0.5, vmax=k - 0.5, s=14, marker="x", linewidths=0.8)
            c.set_title(_l("samples", lang), fontsize=9)
            for ax in ax_row:
                ax.set_xlim(r["xx"][0, 0], r["xx"][0, -1])
                ax.set_ylim(r["yy"][0, 0], r["yy"][-1, 0])
                ax.set_xticks([])
                ax.set_yticks([])
                ax.grid(False)
        fig.suptitle(_l("dvg_title", lang))
        return fig, {"rows": rows}

    return _render(lang, out, dpi, draw)


# ------------------------------------------------------------------ how much data each needs


def _subset(y: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([rng.choice(np.flatnonzero(y == k), per_class, replace=False)
                           for k in np.unique(y)])


def data_size_curves(
    name: str, sizes: Sequence[int], seeds: int, n_test: int, hidden_sizes: Sequence[int], steps: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Test accuracy per model (``MODELS``), training size (points per class) and seed: (S, seeds)."""
    n_classes = 3 if name == "blobs" else 2
    x, y = _pool(name, n_classes * max(sizes) * 2 + n_test, seed_from(rng))
    x_test, y_test, x_pool, y_pool = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    acc = {m: np.zeros((len(sizes), seeds)) for m in MODELS}
    for i, per_class in enumerate(sizes):
        for s in range(seeds):
            idx = _subset(y_pool, per_class, rng)
            xs, ys = x_pool[idx], y_pool[idx]
            acc["qda"][i, s] = GaussianClassifier(reg=_REG).fit(xs, ys).score(x_test, y_test)
            acc["lda"][i, s] = GaussianClassifier(shared_covariance=True, reg=_REG).fit(xs, ys).score(
                x_test, y_test)
            for model, hidden in (("logistic", ()), ("mlp", hidden_sizes)):
                net = _network(xs, ys, hidden, steps, seed_from(rng))
                acc[model][i, s] = float(np.mean(net.predict(x_test) == y_test))
    return {"name": name, "sizes": list(sizes), "accuracy": acc,
            "mean": {m: a.mean(axis=1) for m, a in acc.items()},
            "std": {m: a.std(axis=1) for m, a in acc.items()}}


def data_size(
    *,
    datasets: Sequence[str] = DATASETS,
    sizes: Sequence[int] = (2, 3, 5, 10, 20, 50, 100, 200, 500, 1000),
    seeds: int = 5,
    n_test: int = 2000,
    hidden_sizes: Sequence[int] = (32, 32),
    steps: int = 1500,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """Test accuracy against training points per class (``sizes``, log axis), mean ± std over ``seeds``,
    for QDA, LDA, logistic regression and an MLP, one panel per data set. ``fig.data["panels"]`` holds
    per data set the sizes, every accuracy (model → array sizes × seeds), their means and stds."""
    rng = _rng(seed)
    names = list(datasets)
    if not names or any(n not in DATASETS for n in names):
        raise ValueError(f"datasets: expected names from {', '.join(DATASETS)}, got {names!r}")
    sizes = [_check_int("sizes", s, 2) for s in sizes]
    if not sizes:
        raise ValueError("sizes: expected at least one training size, got none")
    seeds, n_test = _check_int("seeds", seeds), _check_int("n_test", n_test, 10)
    panels = [data_size_curves(n, sizes, seeds, n_test, hidden_sizes, _check_int("steps", steps), rng)
              for n in names]
    arch = "-".join(map(str, hidden_sizes))

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(4.6 * len(panels) + 0.3, 3.6)
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        styles = {"qda": ("tab:green", "o"), "lda": ("tab:olive", "s"), "logistic": ("tab:blue", "^"),
                  "mlp": ("tab:red", "D")}
        for ax, p in zip(axes, panels, strict=True):
            for m in MODELS:
                color, marker = styles[m]
                mean, std = p["mean"][m], p["std"][m]
                label = _l(m, lang, sizes=arch)
                ax.plot(p["sizes"], mean, marker=marker, color=color, label=label, markersize=4)
                ax.fill_between(p["sizes"], mean - std, mean + std, color=color, alpha=0.15)
            ax.set_xscale("log")
            ax.set_xlabel(_l("per_class", lang))
            ax.set_ylabel(_l("test_acc", lang))
            ax.set_title(_l(p["name"], lang))
            ax.legend(loc="lower right")
        fig.suptitle(_l("size_title", lang, seeds=seeds, n_test=n_test))
        return fig, {"panels": panels}

    return _render(lang, out, dpi, draw)
