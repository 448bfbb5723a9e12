"""The figures of a sweep (ハイパーパラメータ探索): ``sweep_scores`` (the validation loss against each swept
number) and ``sweep_curves`` (the learning curves of the best trials overlaid).

Both take a :class:`~nnscratch.sweep.SweepResult` (or its ``rows`` and the swept field names), so a
sweep read back from ``results.jsonl`` draws the same figures. ``nnscratch.sweep`` is imported on first
use: importing the plots (the CLI does, for the list of kinds) stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _t

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

__all__ = ["sweep_scores", "sweep_curves", "numeric_fields"]

_LOG_FIELDS = ("lr", "weight_decay")  # scales where each decade matters as much as the next
_FIELD_LABEL = {"lr": "field_lr", "batch_size": "field_batch_size", "weight_decay": "field_weight_decay",
                "epochs": "field_epochs", "init": "field_init", "seed": "field_seed"}


def _rows_swept(result: Any, swept: Sequence[str] | None) -> tuple[list[dict], list[str]]:
    rows = getattr(result, "rows", result)
    names = list(swept if swept is not None else getattr(result, "swept", []))
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"result: expected a SweepResult or a list of result rows, got "
                        f"{type(result).__name__}")
    if not rows:
        raise ValueError("result: expected at least one trial's row, got none")
    return rows, names


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def numeric_fields(rows: list[dict], swept: Sequence[str]) -> list[str]:
    """The swept fields whose values are all numbers, with at least two of them: the x axes."""
    return [n for n in swept
            if all(_is_number(r.get(n)) for r in rows) and len({r.get(n) for r in rows}) > 1]


def _label(name: str, lang: str) -> str:
    return _t(_FIELD_LABEL[name], lang) if name in _FIELD_LABEL else name


def sweep_scores(result: Any, swept: Sequence[str] | None = None, *, lang: str = "ja",
                 out: str | Path | None = None, dpi: float | None = None) -> Figure:
    """検証誤差 against each swept number: one panel per numeric field (a log axis for the learning rate
    and the weight decay), the trials as dots, the mean over repeats as a line, one colour per value of
    the other swept fields (e.g. the optimizer). A trial that finished with its divergence warning
    (status ``diverging``, 発散傾向) is an orange triangle at its final loss, outside the lines; a diverged
    or failed trial is a red ✕ at the top of its panel. Without a numeric field, one panel with the points
    in ranked order. ``fig.data`` holds per panel the (x, loss, group) of every trial that learned, the
    (x, loss) of the diverging ones and the x of the diverged ones.

    >>> import nnscratch
    >>> spec = nnscratch.RunSpec(data="xor", hidden_sizes=(4,), epochs=3, val_split=0.25, test_split=0.0)
    >>> result = nnscratch.sweep(spec, grid={"lr": [0.01, 0.1]}, workers=1)
    >>> fig = nnscratch.plot.sweep_scores(result, lang="en")
    >>> len(fig.data["panels"])   # one numeric field swept: lr
    1
    """
    from nnscratch.sweep.results import describe_values, final_loss, score

    rows, names = _rows_swept(result, swept)
    numeric = numeric_fields(rows, names) or [None]
    panels = []
    for field in numeric:
        others = [n for n in names if n != field]
        groups: dict[str, dict[str, list]] = {}
        bad = []
        diverging: dict[str, list] = {"x": [], "y": []}
        for i, row in enumerate(rows):
            x = row.get(field) if field else float(row.get("point", i))
            if row.get("status") == "diverging" and math.isfinite(final_loss(row)):
                diverging["x"].append(float(x))
                diverging["y"].append(final_loss(row))
                continue
            if not math.isfinite(score(row)):
                bad.append(x)
                continue
            group = groups.setdefault(describe_values(row, others) if others else "", {"x": [], "y": []})
            group["x"].append(float(x))
            group["y"].append(score(row))
        panels.append({"field": field, "groups": groups, "diverging": diverging, "bad": bad})

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(max(4.2, 3.9 * len(panels)) + 0.4, 3.6)
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        finite = [y for p in panels for g in [*p["groups"].values(), p["diverging"]] for y in g["y"]]
        for ax, panel in zip(axes, panels, strict=True):
            for (name, g), color in zip(panel["groups"].items(), _colors(len(panel["groups"])), strict=True):
                xs, ys = np.array(g["x"]), np.array(g["y"])
                ax.plot(xs, ys, "o", ms=4, alpha=0.6, color=color)
                levels = np.unique(xs)
                ax.plot(levels, [ys[xs == v].mean() for v in levels], "-", lw=1.6, color=color,
                        label=name or None)
            if panel["diverging"]["x"]:
                ax.plot(panel["diverging"]["x"], panel["diverging"]["y"], "^", ms=7, mew=1.2,
                        color="tab:orange", label=_t("diverging", lang))
            if panel["bad"]:
                top = max(finite) * 2 if finite else 1.0
                ax.plot(panel["bad"], [top] * len(panel["bad"]), "x", ms=9, mew=2.2, color="tab:red",
                        label=_t("diverged", lang))
            field = panel["field"]
            xs = [v for g in [*panel["groups"].values(), panel["diverging"]] for v in g["x"]]
            if field in _LOG_FIELDS and all(v > 0 for v in xs):
                ax.set_xscale("log")
            if finite and min(finite) > 0:
                ax.set_yscale("log")
            ax.set_xlabel(_label(field, lang) if field else _t("point", lang))
            ax.set_ylabel(_t("val_loss", lang))
            if any(name for name in panel["groups"]) or panel["bad"] or panel["diverging"]["x"]:
                ax.legend(fontsize=7)
        fig.suptitle(_t("sweep_title", lang, n=len(rows)))
        data = {"panels": [{"field": p["field"], "bad": p["bad"], "diverging": dict(p["diverging"]),
                            "groups": {k: dict(v) for k, v in p["groups"].items()}} for p in panels]}
        return fig, data

    return _render(lang, out, dpi, draw)


def _colors(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def sweep_curves(result: Any, swept: Sequence[str] | None = None, *, best: int = 5, lang: str = "ja",
                 out: str | Path | None = None, dpi: float | None = None) -> Figure:
    """学習曲線 of the ``best`` trials that learned (status ``ok``) with the lowest validation loss,
    overlaid: the validation loss per epoch (solid) and the training loss (dashed, the same colour).
    ``fig.data`` holds per trial its swept values, seed and curves.

    >>> import nnscratch
    >>> spec = nnscratch.RunSpec(data="xor", hidden_sizes=(4,), epochs=3, val_split=0.25, test_split=0.0)
    >>> result = nnscratch.sweep(spec, grid={"lr": [0.01, 0.1]}, workers=1)
    >>> fig = nnscratch.plot.sweep_curves(result, lang="en")
    >>> sorted(fig.data)
    ['lines']
    """
    from nnscratch.sweep.results import describe_values, score

    _check_int("best", best)
    rows, names = _rows_swept(result, swept)
    ranked = sorted((r for r in rows if math.isfinite(score(r))), key=score)[:best]
    if not ranked:
        raise ValueError("result: no trial learned (all were diverging, diverged or failed); nothing to draw")
    lines = [{"label": f"{describe_values(r, names)} seed={r.get('seed')}",
              "val_loss": [v for v in r.get("history", {}).get("val_loss", []) if v is not None],
              "loss": [v for v in r.get("history", {}).get("loss", []) if v is not None]} for r in ranked]

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(6.4, 4.0)
        ax = fig.subplots()
        for line, color in zip(lines, _colors(len(lines)), strict=True):
            if line["val_loss"]:
                ax.plot(np.arange(1, len(line["val_loss"]) + 1), line["val_loss"], "-", lw=1.7, color=color,
                        label=line["label"])
            if line["loss"]:
                ax.plot(np.arange(1, len(line["loss"]) + 1), line["loss"], "--", lw=1.0, color=color,
                        label=None if line["val_loss"] else line["label"])
        values = [v for line in lines for v in line["val_loss"] + line["loss"]]
        if values and min(values) > 0:
            ax.set_yscale("log")
        ax.set_xlabel(_t("epoch", lang))
        ax.set_ylabel(_t("loss", lang))
        ax.set_title(_t("curves_title", lang, k=len(lines)))
        ax.legend(fontsize=7)
        return fig, {"lines": lines}

    return _render(lang, out, dpi, draw)
