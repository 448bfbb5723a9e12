"""Runs the caller made, compared: 正解率の推移 of several settings side by side (``accuracy_curves``) —
the figures of the course's Day 2 exercises, where each setting (an initialisation, batch normalisation,
a regulariser) is one run of the course's loop and the question is how the runs differ."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _t

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure


def accuracy_curves(
    runs: dict[str, dict[str, Sequence[float]]],
    *,
    every: int = 10,
    title: str | None = None,
    lang: str = "ja",
    out: str | Path | None = None,
    dpi: float | None = None,
) -> Figure:
    """正解率の推移 of several runs side by side, one panel each: 訓練データ (solid) and テストデータ
    (dashed) against the number of mini-batches learned — the course's Day 2 figures (勾配消失問題,
    バッチ正規化, 過学習), where a setting is judged by how fast the curves rise and how far apart they end.

    ``runs`` maps a panel's title to ``{"train": [...], "test": [...]}``, accuracies measured every
    ``every`` iterations (the course's ``plot_interval``); "train" may be left out. Each panel notes the
    final accuracies and their gap (訓練 − テスト, the size of 過学習). ``fig.data`` holds the curves and
    ``gap`` per run.

    >>> import nnscratch
    >>> fig = nnscratch.plot.accuracy_curves({"none": {"train": [0.5, 1.0], "test": [0.4, 0.8]}}, lang="en")
    >>> round(fig.data["gap"]["none"], 3)
    0.2
    """
    if not isinstance(runs, dict) or not runs:
        raise ValueError(f"runs: expected a dict {{title: {{'train': [...], 'test': [...]}}}}, "
                         f"got {runs!r:.80}")
    _check_int("every", every)
    curves: dict[str, dict[str, np.ndarray]] = {}
    for name, run_ in runs.items():
        if not isinstance(run_, dict) or "test" not in run_:
            raise ValueError(f"runs[{name!r}]: expected a dict with a 'test' list (and 'train'), "
                             f"got {run_!r:.80}")
        curves[name] = {k: np.asarray(list(v), dtype=np.float64)
                        for k, v in run_.items() if k in ("train", "test")}
        if any(c.size == 0 for c in curves[name].values()):
            raise ValueError(f"runs[{name!r}]: expected at least one measured accuracy per curve")
    gap = {name: float(c["train"][-1] - c["test"][-1]) if "train" in c else float("nan")
           for name, c in curves.items()}

    def draw(lang: str) -> tuple[Figure, dict]:
        n = len(curves)
        cols = 2 if n in (2, 4) else min(n, 3)  # four runs as 2 × 2, five as 3 + 2
        rows = -(-n // cols)
        fig = _new_figure(3.3 * cols + 0.4, 2.7 * rows + 0.7)
        axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
        for ax, (name, c) in zip(axes, curves.items(), strict=False):
            for key, style in (("train", "-"), ("test", "--")):
                if key in c:
                    steps = every * np.arange(1, c[key].size + 1)
                    color = "tab:blue" if key == "train" else "tab:orange"
                    ax.plot(steps, c[key], style, lw=1.4, color=color, label=_t(key, lang))
            ax.set_title(name, fontsize=9)
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
            if "train" in c:
                note = _t("final_gap", lang, a=c["train"][-1], b=c["test"][-1], g=gap[name])
                ax.text(0.97, 0.04, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
        for ax in axes[n:]:
            ax.set_visible(False)
        axes[0].legend(loc="center right", fontsize=7)
        axes[0].set_ylabel(_t("accuracy", lang))
        fig.supxlabel(_t("iterations", lang), fontsize=9)
        if title:
            fig.suptitle(title)
        return fig, {"curves": curves, "gap": gap, "every": every}

    return _render(lang, out, dpi, draw)
