"""The numbers and the two panels of ``minibatch_update`` (training.py): ミニバッチ勾配降下法 on the
course's regression y = x·w with two weights, w⁽ᵗ⁺¹⁾ = w⁽ᵗ⁾ − ε∇E_t for each mini-batch D_t."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnscratch.lab.plots._common import _check_int, _t

COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
          "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]  # one per mini-batch D_t of an epoch


def check_args(n_samples: int, batch_size: int, lr: float, epochs: int, start: Sequence[float]) -> np.ndarray:
    """``minibatch_update``'s numbers checked; the starting point w⁽¹⁾ = ``start`` as a float64 array."""
    for name, value in (("n_samples", n_samples), ("batch_size", batch_size), ("epochs", epochs)):
        _check_int(name, value)
    if not 1 < batch_size < n_samples:
        raise ValueError(f"batch_size: expected a mini-batch between 2 and n_samples − 1 = {n_samples - 1}, "
                         f"got {batch_size}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < float("inf"):
        raise ValueError(f"lr: expected a positive learning rate such as 1.0, got {lr!r}")
    w0 = np.asarray(start, dtype=np.float64)
    if w0.shape != (2,) or not np.all(np.isfinite(w0)):
        raise ValueError(f"start: expected two finite numbers (w₀, w₁) such as (0.0, 0.0), got {start!r}")
    return w0


def descent(x: np.ndarray, d: np.ndarray, w0: np.ndarray, lr: float, epochs: int, batch_size: int,
            rng: np.random.Generator) -> tuple[np.ndarray, list, list, list]:
    """ミニバッチ勾配降下法 on y = x·w: each epoch shuffles the data and updates w⁽ᵗ⁺¹⁾ = w⁽ᵗ⁾ − ε∇E_t
    once per mini-batch D_t. Returns the points w⁽¹⁾ … (one row each), the batches, the ∇E_t and E on
    all the data at each point."""
    from nnscratch import functions

    def loss(w: np.ndarray) -> float:
        return float(functions.mean_squared_error(d, x @ w[:, None]))

    n_samples, per_epoch = len(x), -(-len(x) // batch_size)
    w = w0.copy()
    path, batches, grads, losses = [w.copy()], [], [], [loss(w)]
    for _ in range(epochs):
        order = rng.permutation(n_samples)
        for t in range(per_epoch):
            batch = order[t * batch_size:(t + 1) * batch_size]
            xb, db = x[batch], d[batch]
            delta = functions.d_mean_squared_error(db, xb @ w[:, None])  # ∂E_t/∂y = (y − d) / N_t
            grad = (xb.T @ delta)[:, 0]                                  # ∇E_t = xᵀ·∂E_t/∂y
            w = w - lr * grad
            batches.append(batch)
            grads.append(grad)
            path.append(w.copy())
            losses.append(loss(w))
    return np.array(path), batches, grads, losses


def error_surface(x: np.ndarray, d: np.ndarray, path: np.ndarray,
                  best: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The error on all the training data over the plane of (w₀, w₁) around ``path`` and the minimum,
    for the contour lines: (g0, g1, E) on a 120 × 120 grid."""
    lo = np.minimum(path.min(axis=0), best) - 0.6
    hi = np.maximum(path.max(axis=0), best) + 0.6
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
    grid = np.stack([g0.ravel(), g1.ravel()])                              # (2, M)
    surface = (0.5 * np.mean((x @ grid - d) ** 2, axis=0)).reshape(g0.shape)
    return g0, g1, surface


def draw_scheme(ax: Any, batches: list, per_epoch: int, n_samples: int, batch_size: int,
                lang: str) -> None:
    """Left panel: the first epoch as P69's answer draws it, the data cut into D_1 … D_T and one update
    w⁽ᵗ⁾ → w⁽ᵗ⁺¹⁾ per mini-batch (at most 5 shown)."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    shown = min(per_epoch, 5)
    ax.set_xlim(-0.9, 2.5 * shown + 0.9)
    ax.set_ylim(-0.2, 6.2)
    ax.axis("off")
    ax.set_title(_t("mb_scheme_title", lang, n=n_samples, k=batch_size))
    for t in range(shown):
        cx, color = 1.25 + 2.5 * t, COLORS[t % len(COLORS)]
        ax.add_patch(FancyBboxPatch((cx - 1.0, 3.6), 2.0, 1.3, boxstyle="round,pad=0.05",
                                    fc="white", ec=color, lw=1.8))
        ax.text(cx, 5.15, f"$D_{{{t + 1}}}$", ha="center", va="bottom", fontsize=12, color=color)
        members = batches[t]
        xs = cx + np.linspace(-0.6, 0.6, len(members)) if len(members) > 1 else np.array([cx])
        ax.scatter(xs, np.full(len(members), 4.45), s=40, color=color, zorder=3)
        for xm, n in zip(xs, members, strict=True):
            ax.text(xm, 3.95, f"{n + 1}", ha="center", va="center", fontsize=7)
        mean = f"$E_{{{t + 1}}} = \\frac{{1}}{{{len(members)}}}\\sum_{{n \\in D_{{{t + 1}}}}} E_n$"
        ax.text(cx, 3.25, mean, ha="center", va="top", fontsize=9)
        ax.add_patch(FancyArrowPatch((cx, 2.35), (cx, 1.75), arrowstyle="-|>", mutation_scale=12,
                                     color=color, lw=1.5))
        ax.add_patch(FancyArrowPatch((2.5 * t + 0.35, 1.4), (2.5 * (t + 1) - 0.35, 1.4),
                                     arrowstyle="-|>", mutation_scale=14, color=color, lw=2.0))
        ax.text(cx, 1.0, f"$-\\varepsilon\\nabla E_{{{t + 1}}}$", ha="center", va="top", fontsize=10,
                color=color)
    for j in range(shown + 1):
        ax.text(2.5 * j, 1.4, f"$w^{{({j + 1})}}$", ha="center", va="center", fontsize=12,
                bbox=dict(boxstyle="circle,pad=0.25", fc="#f4f4f4", ec="0.3"))
    ax.text(1.25 * shown, 0.05, _t("mb_epoch_note", lang, t=per_epoch, n=n_samples, k=batch_size),
            ha="center", va="bottom", fontsize=9)


def draw_path(ax: Any, grid: tuple[np.ndarray, np.ndarray, np.ndarray], path: np.ndarray,
              n_updates: int, per_epoch: int, best: np.ndarray, epochs: int, lang: str) -> None:
    """Right panel: the updates on the contour lines of the error on all the data, coloured by mini-batch
    (the first epoch bold), the first points labelled w⁽ʲ⁾ and the minimum ★."""
    g0, g1, surface = grid
    levels = np.quantile(surface, [0.01, 0.03, 0.07, 0.15, 0.3, 0.5, 0.7, 0.9])
    cs = ax.contour(g0, g1, surface, levels=np.unique(levels), colors="0.6", linewidths=0.8)
    ax.clabel(cs, fontsize=6, fmt="%.2g")
    for i in range(n_updates):
        t = i % per_epoch
        first = i < per_epoch
        ax.annotate("", xy=path[i + 1], xytext=path[i],
                    arrowprops=dict(arrowstyle="-|>", color=COLORS[t % len(COLORS)],
                                    lw=2.0 if first else 1.2, alpha=1.0 if first else 0.45))
    ax.plot(path[:, 0], path[:, 1], "o", color="0.2", ms=3, zorder=3)
    for j in range(min(per_epoch, 5) + 1):
        ax.annotate(f"$w^{{({j + 1})}}$", path[j], xytext=(7, -12) if j % 2 else (-24, 4),
                    textcoords="offset points", fontsize=10)
    ax.plot([best[0]], [best[1]], marker="*", color="black", ms=12, ls="none", label=_t("mb_minimum", lang))
    ax.plot([], [], color="0.6", lw=0.8, label=_t("mb_contour", lang))
    ax.set_xlabel("$w_0$")
    ax.set_ylabel("$w_1$")
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(_t("mb_path_title", lang, epochs=epochs))
    ax.legend(loc="upper right")
