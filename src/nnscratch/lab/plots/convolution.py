"""畳み込みニューラルネットワークの図 (the course's Day 2, Sections 4–5): what a convolution does.

- ``conv_filters`` — the first convolution's filters (フィルター) before and after training;
- ``feature_maps`` — one image through every layer of a conv net: the input, then each convolution,
  ReLU and pooling output, channel by channel (特徴マップ);
- ``conv_output_size`` — the output-size calculator's worked example (出力サイズ): an H×W input with its
  padding, the filter sliding with stride S, the output grid and OH = (H + 2P − FH) / S + 1 with the numbers.

The first two train, unless given a network, a small SimpleConvNet on the 8×8 digits
(``_runs.digits_convnet``: 8 filters 5×5 with padding 2 → ReLU → max pooling 2 → Affine 32 → ReLU →
Affine 10, Adam, about half a second).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch.functions import conv_output_size as _output_size
from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _rng
from nnscratch.lab.plots._runs import digits_convnet, seed_from
from nnscratch.layers import Convolution, Flatten
from nnscratch.network import Sequential

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

_TEXT = {
    "filters_title": ("1 層目の畳み込みのフィルター W1 ({fn} 枚, {fh}×{fw}): 学習前と学習後",
                      "the first convolution's filters W1 ({fn} of {fh}×{fw}): before and after training"),
    "before": ("学習前\n(He の初期値)", "before\n(He init)"),
    "before_given": ("学習前", "before"),
    "after": ("学習後\n(テスト正解率 {acc:.1%})", "after\n(test accuracy {acc:.1%})"),
    "after_given": ("学習後", "after"),
    "filter": ("フィルター {f}", "filter {f}"),
    "maps_title": ("特徴マップ: 1 枚の画像が各層を通る様子 (正解 {label}, 予測 {pred})",
                   "feature maps: one image through every layer (label {label}, predicted {pred})"),
    "maps_title_unlabelled": ("特徴マップ: 1 枚の画像が各層を通る様子 (予測 {pred})",
                              "feature maps: one image through every layer (predicted {pred})"),
    "input": ("入力画像\n{shape}", "input\n{shape}"),
    "Convolution": ("畳み込み層\n{shape}", "convolution\n{shape}"),
    "ReLU": ("ReLU\n{shape}", "ReLU\n{shape}"),
    "MaxPooling": ("最大プーリング\n{shape}", "max pooling\n{shape}"),
    "AveragePooling": ("平均プーリング\n{shape}", "average pooling\n{shape}"),
    "other": ("{name}\n{shape}", "{name}\n{shape}"),
    "channel": ("ch {c}", "ch {c}"),
    "more": ("(ほか {k} チャンネル)", "({k} more channels)"),
    "size_title": ("出力サイズ OH = (H + 2P − FH) / S + 1", "output size OH = (H + 2P − FH) / S + 1"),
    "size_input": ("入力 {h}×{w} + パディング P = {p} (灰色の 0) → {hp}×{wp}\nフィルター {fh}×{fw}, "
                   "ストライド S = {s}",
                   "input {h}×{w} + padding P = {p} (grey zeros) → {hp}×{wp}\n"
                   "filter {fh}×{fw}, stride S = {s}"),
    "size_output": ("出力 {oh}×{ow}\nOH = ({h} + 2·{p} − {fh}) / {s} + 1 = {oh}",
                    "output {oh}×{ow}\nOH = ({h} + 2·{p} − {fh}) / {s} + 1 = {oh}"),
    "first": ("1 つ目の位置", "first position"),
    "next": ("S = {s} ずらした位置", "moved by S = {s}"),
}


def _l(key: str, lang: str, **fmt: object) -> str:
    text = _TEXT[key][0 if lang == "ja" else 1]
    return text.format(**fmt) if fmt else text


def _first_convolution(net: object) -> Convolution:
    if not isinstance(net, Sequential):
        raise TypeError(f"net: expected a trained nnscratch Sequential with a Convolution, such as "
                        f"presets.simple_convnet(), got {type(net).__name__}")
    conv = next((layer for layer in net.layers if isinstance(layer, Convolution)), None)
    if conv is None:
        raise ValueError("net: this stack has no Convolution layer; expected a conv net such as "
                         "presets.simple_convnet()")
    return conv


def conv_filters(
    net: Sequential | None = None,
    *,
    before: object = None,
    epochs: int = 10,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """フィルターの可視化: the first convolution's filters W1[f, 0] as images, before (top row) and after
    training (bottom row), as 『ゼロから作る』 図7-24 shows them (grey levels: white = largest weight).

    Without ``net`` a SimpleConvNet is trained on the 8×8 digits for ``epochs`` epochs (Adam, η = 0.01;
    the weights before are its He-initialised filters); given a trained ``net`` its filters are drawn
    after, and ``before`` — the filters before training, an array (FN, C, FH, FW) or a Sequential — on
    top (left out when None). Each filter is drawn on its own grey scale (its min to its max): what counts
    is the pattern, as in the book. Filters of colour images (3 channels) are drawn in colour, each
    channel as red, green and blue on the filter's own scale; of other channel counts, channel 0.

    ``fig.data``: ``before``, ``after`` (FN, C, FH, FW) (``before`` None when not known), ``change``
    (‖after − before‖ per filter), ``accuracy`` (the test accuracy of the trained default, else None).

    >>> import nnscratch
    >>> fig = nnscratch.plot.conv_filters(epochs=2, lang="en")
    >>> fig.data["after"].shape, bool(fig.data["change"].min() > 0)
    ((8, 1, 5, 5), True)
    """
    accuracy = None
    if net is None:
        _check_int("epochs", epochs)
        run = digits_convnet(seed_from(_rng(seed)), epochs)
        net, before_w, accuracy = run["net"], run["W1_before"], run["accuracy"]
    else:
        before_w = None if before is None else np.asarray(
            _first_convolution(before).params["W"] if isinstance(before, Sequential) else before)
    after = _first_convolution(net).params["W"].copy()
    if before_w is not None and before_w.shape != after.shape:
        raise ValueError(f"before: expected filters of the net's shape {after.shape}, got {before_w.shape}")
    change = None if before_w is None else np.sqrt(((after - before_w) ** 2).sum(axis=(1, 2, 3)))
    data = {"before": before_w, "after": after, "change": change, "accuracy": accuracy}

    def draw(lang: str) -> tuple[Figure, dict]:
        rows = [("before", before_w), ("after", after)] if before_w is not None else [("after", after)]
        fn = after.shape[0]
        cols = min(fn, 16)
        fig = _new_figure(max(0.75 * cols + 1.4, 4.0), 0.8 * len(rows) * ((fn + cols - 1) // cols) + 0.6)
        grid = fig.subplots(len(rows) * ((fn + cols - 1) // cols), cols, squeeze=False)
        per_row = (fn + cols - 1) // cols
        for r, (name, w) in enumerate(rows):
            for f in range(per_row * cols):
                ax = grid[r * per_row + f // cols, f % cols]
                ax.set_xticks([]), ax.set_yticks([])
                ax.grid(False)
                if f >= fn:
                    ax.axis("off")
                    continue
                ax.imshow(*_filter_image(w[f]), interpolation="nearest")
                if r == 0 and f < cols:
                    ax.set_title(str(f), fontsize=7, pad=2)
            key = name if accuracy is not None else f"{name}_given"  # a given net: no init or accuracy known
            grid[r * per_row, 0].set_ylabel(_l(key, lang, acc=accuracy or 0.0), fontsize=8, rotation=0,
                                            ha="right", va="center")
        fig.suptitle(_l("filters_title", lang, fn=fn, fh=after.shape[2], fw=after.shape[3]))
        return fig, data

    return _render(lang, out, dpi, draw)


def _filter_image(w: np.ndarray) -> tuple:
    """imshow's arguments for one filter (C, FH, FW): 3 channels as an RGB image scaled from the
    filter's min (0) to its max (1), else channel 0 in grey (imshow scales it itself)."""
    if w.shape[0] != 3:
        return w[0], "gray"
    span = float(w.max() - w.min())
    rgb = (w - w.min()) / span if span > 0 else np.full_like(w, 0.5)
    return np.moveaxis(rgb, 0, -1), None


def _layer_outputs(net: Sequential, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(layer name, output (C, H, W)) of every layer before the first Flatten, the input first; the
    network's own forward pass in evaluation mode, one layer at a time."""
    outputs = [("input", image[0])]
    z = image
    for layer in net.layers:
        if isinstance(layer, Flatten) or np.ndim(z) != 4:
            break
        z = layer.forward(z, train=False)
        outputs.append((type(layer).__name__, z[0].copy()))
    return outputs


def _one_image(net: Sequential, image: object) -> np.ndarray:
    """``image`` (C, H, W) as a batch of one (1, C, H, W) in the net's dtype, or a one-line error."""
    _first_convolution(net)
    if image is None:
        raise ValueError("image: a given net needs an image (C, H, W) of its input size, e.g. "
                         "datasets.load('mnist5k').images()[0]")
    x = np.asarray(image, dtype=net.params["W1"].dtype)
    x = x.reshape((1,) * (4 - x.ndim) + x.shape) if x.ndim in (2, 3) else x
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"image: expected one image (C, H, W), got shape {np.shape(image)}")
    return x


def feature_maps(
    net: Sequential | None = None,
    image: object = None,
    *,
    label: int | None = None,
    channels: int = 8,
    epochs: int = 10,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """特徴マップ: one image through every layer of a conv net — the input, then the output of each
    convolution (u), ReLU and pooling layer up to the Flatten, one row per layer and one panel per channel
    (the first ``channels``; the rest are in ``fig.data``). Each panel on its own grey scale.

    Without ``net`` the small SimpleConvNet of :func:`conv_filters` is trained on the 8×8 digits
    (``epochs`` epochs) and the first held-out digit goes through it; otherwise ``image`` (C, H, W) or
    (1, C, H, W) — default: a digit of the 8×8 set, which needs a net for 1×8×8 images — goes through
    ``net``, with its correct class ``label`` (正解) when given. The prediction (予測) is the net's own.

    ``fig.data``: ``layers`` (the names, "input" first), ``maps`` (each layer's output (C, H, W), what
    the layer's ``forward`` gave), ``label`` (None for a given image without one) and ``predicted``.

    >>> import nnscratch
    >>> fig = nnscratch.plot.feature_maps(epochs=2, lang="en")
    >>> fig.data["layers"], [m.shape for m in fig.data["maps"]]  # doctest: +NORMALIZE_WHITESPACE
    (['input', 'Convolution', 'ReLU', 'MaxPooling'], [(1, 8, 8), (8, 8, 8), (8, 8, 8), (8, 4, 4)])
    """
    _check_int("channels", channels)
    if label is not None:
        _check_int("label", label, low=0)
    if net is None:
        _check_int("epochs", epochs)
        run = digits_convnet(seed_from(_rng(seed)), epochs)
        net = run["net"]
        if image is None:
            image, label = run["x_test"][0], int(run["y_test"][0])
    x = _one_image(net, image)
    maps = _layer_outputs(net, x)
    predicted = int(np.argmax(net.predict(x), axis=1)[0])
    data = {"layers": [n for n, _ in maps], "maps": [m for _, m in maps], "label": label,
            "predicted": predicted}

    def draw(lang: str) -> tuple[Figure, dict]:
        cols = min(channels, max(m.shape[0] for _, m in maps))
        fig = _new_figure(1.05 * cols + 1.6, 1.15 * len(maps) + 0.7)
        axes = fig.subplots(len(maps), cols, squeeze=False)
        for r, (name, m) in enumerate(maps):
            for c in range(cols):
                ax = axes[r, c]
                ax.set_xticks([]), ax.set_yticks([])
                ax.grid(False)
                if c >= m.shape[0]:
                    ax.axis("off")
                    continue
                ax.imshow(m[c], cmap="gray" if name == "input" else "viridis", interpolation="nearest")
                if name != "input":
                    ax.set_title(_l("channel", lang, c=c), fontsize=7, pad=2)
            key = name if name in _TEXT else "other"
            shape = "×".join(map(str, m.shape))
            axes[r, 0].set_ylabel(_l(key, lang, name=name, shape=shape), fontsize=8, rotation=0,
                                  ha="right", va="center")
            if m.shape[0] > cols:
                axes[r, -1].text(1.05, 0.5, _l("more", lang, k=m.shape[0] - cols), fontsize=7,
                                 transform=axes[r, -1].transAxes, va="center", ha="left")
        title = "maps_title" if label is not None else "maps_title_unlabelled"
        fig.suptitle(_l(title, lang, label=label, pred=predicted))
        return fig, data

    return _render(lang, out, dpi, draw)


def _size_case(case: object) -> dict[str, Any]:
    """One worked example (H, FH, S, P), square: the sizes and the windows' top-left corners."""
    if not isinstance(case, (tuple, list)) or len(case) != 4:
        raise ValueError(f"cases: expected (H, FH, S, P) tuples such as (6, 2, 1, 1), got {case!r}")
    h, fh, s, p = case
    oh = _output_size(h, fh, s, p)  # the library's formula, and its one-line error when S does not divide
    corners = [i * s for i in range(oh)]  # window i starts at padded row i·S
    return {"H": h, "FH": fh, "S": s, "P": p, "OH": oh, "padded": h + 2 * p, "corners": corners,
            "formula": f"OH = ({h} + 2·{p} − {fh}) / {s} + 1 = {oh}"}


def conv_output_size(
    cases: tuple[tuple[int, int, int, int], ...] = ((6, 2, 1, 1), (5, 3, 2, 1)),
    *,
    lang: str = "ja",
    out: str | Path | None = None,
    dpi: float | None = None,
) -> Figure:
    """出力サイズの計算: each case (H, FH, S, P) — an H×H input, an FH×FH filter, stride S, padding P — drawn
    as the padded input (the padding's zeros grey), the filter at its first position (red) and moved by S
    (blue), and the output grid of OH×OH with those two cells coloured the same, beside the formula
    OH = (H + 2P − FH) / S + 1 with the numbers (:func:`nnscratch.functions.conv_output_size`).

    The defaults are the course's confirmation tests: 6×6, 2×2 filter, P = 1, S = 1 → 7×7; 5×5, 3×3,
    P = 1, S = 2 → 3×3.

    ``fig.data``: ``cases``, per case ``H``, ``FH``, ``S``, ``P``, ``OH``, ``padded`` (H + 2P),
    ``corners`` (where each window starts along a side: 0, S, 2S, …; the last one ends at H + 2P) and
    ``formula``.

    >>> import nnscratch
    >>> [c["OH"] for c in nnscratch.plot.conv_output_size(lang="en").data["cases"]]
    [7, 3]
    """
    if not isinstance(cases, (tuple, list)) or not cases:
        raise ValueError(f"cases: expected (H, FH, S, P) tuples such as ((6, 2, 1, 1),), got {cases!r}")
    found = [_size_case(case) for case in cases]
    data = {"cases": found}

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(8.0, 3.4 * len(found) + 0.4)
        axes = fig.subplots(len(found), 2, squeeze=False, width_ratios=[1.25, 1])
        for row, case in zip(axes, found, strict=True):
            _draw_input(row[0], case, lang)
            _draw_output(row[1], case, lang)
        fig.suptitle(_l("size_title", lang))
        return fig, data

    return _render(lang, out, dpi, draw)


def _grid(ax: Any, n: int, fill: Any) -> None:
    """An n×n grid of unit cells, row 0 at the top; ``fill(i, j)`` gives a cell's colour."""
    from matplotlib.patches import Rectangle

    for i in range(n):
        for j in range(n):
            ax.add_patch(Rectangle((j, n - 1 - i), 1, 1, facecolor=fill(i, j), edgecolor="0.55", lw=0.6))
    ax.set_xlim(-0.3, n + 0.3), ax.set_ylim(-0.3, n + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")


def _draw_input(ax: Any, case: dict, lang: str) -> None:
    from matplotlib.patches import Rectangle

    n, p, fh, s = case["padded"], case["P"], case["FH"], case["S"]

    def fill(i: int, j: int) -> str:
        return "0.85" if min(i, j) < p or max(i, j) >= n - p else "white"

    _grid(ax, n, fill)
    if p:
        for i in range(n):
            for j in range(n):
                if fill(i, j) != "white":
                    ax.text(j + 0.5, n - 0.5 - i, "0", ha="center", va="center", fontsize=6, color="0.4")
    windows = [(0, "tab:red", "-", _l("first", lang))]
    if len(case["corners"]) > 1:
        windows.append((case["corners"][1], "tab:blue", "--", _l("next", lang, s=s)))
    for k, (col, colour, style, name) in enumerate(windows):
        ax.add_patch(Rectangle((col + 0.06, n - fh + 0.06), fh - 0.12, fh - 0.12, fill=False, lw=2.2,
                               edgecolor=colour, linestyle=style))
        # the key under the grid, inside the axes: constrained layout keeps it clear of the next row
        ax.plot([0.2 + k * n / 2, 0.9 + k * n / 2], [-0.7, -0.7], color=colour, linestyle=style, lw=2.2)
        ax.text(1.1 + k * n / 2, -0.7, name, fontsize=7, va="center")
    ax.set_ylim(-1.2, n + 0.3)
    ax.set_title(_l("size_input", lang, h=case["H"], w=case["H"], p=p, hp=n, wp=n, fh=fh, fw=fh, s=s),
                 fontsize=8)


def _draw_output(ax: Any, case: dict, lang: str) -> None:
    oh = case["OH"]
    colours = {(0, 0): "#f4a6a6", (0, 1): "#a6c8f4"}
    _grid(ax, oh, lambda i, j: colours.get((i, j), "white"))
    ax.set_title(_l("size_output", lang, oh=oh, ow=oh, h=case["H"], p=case["P"], fh=case["FH"], s=case["S"]),
                 fontsize=9)
