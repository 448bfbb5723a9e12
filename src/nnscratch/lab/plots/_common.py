"""What every figure of ``nnscratch.plot`` shares: labels in Japanese and English, the style, the checks.

- ``_t(key, lang)`` — a label from ``_TEXT`` (one table for both languages, so a translation is one line);
- ``_style(lang)`` — the rcParams of one figure (IPAex Gothic for Japanese), undone afterwards;
- ``_new_figure`` — a Figure on its own Agg canvas; ``_render`` checks ``lang`` and ``out``, draws inside
  the style and hands over to ``_finish``, which attaches the numbers as ``fig.data`` and saves the file;
- ``_check_int``, ``_rng`` — the argument checks and the seed handling the kinds have in common.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

LANGS = ("ja", "en")

_JA_FONT = "IPAexGothic"  # the font matplotlib-fontja registers
_FALLBACK_FONT = "DejaVu Sans"  # matplotlib's own font: glyphs IPAex Gothic lacks (⋮, subscripts)

# key -> (Japanese, English)
_TEXT: dict[str, tuple[str, str]] = {
    "activation": ("活性化関数 f(u)", "activation function f(u)"),
    "derivative": ("導関数 f′(u)", "derivative f′(u)"),
    "total_input": ("総入力 u", "total input u"),
    "step": ("ステップ関数", "step"),
    "sigmoid": ("シグモイド関数", "sigmoid"),
    "tanh": ("tanh", "tanh"),
    "relu": ("ReLU", "ReLU"),
    "leaky_relu": ("Leaky ReLU (α={alpha:g})", "leaky ReLU (α={alpha:g})"),
    "step_note": ("ステップ関数の導関数は 0 (u = 0 では定義されない)",
                  "the step function's derivative is 0 (undefined at u = 0)"),
    "linear": ("線形関数 (直線)", "linear functions (straight lines)"),
    "nonlinear": ("非線形関数 (曲線)", "nonlinear functions (curves)"),
    "stacked": ("1-{h}-1 ネットワークの出力", "output of a 1-{h}-1 network"),
    "stacked_identity": ("活性化なし: 線形のまま", "no activation: still linear"),
    "stacked_relu": ("ReLU あり: 折れ線 (非線形)", "with ReLU: bent (nonlinear)"),
    "input_layer": ("入力層", "input layer"),
    "hidden_layer": ("中間層 {l}", "hidden layer {l}"),
    "output_layer": ("出力層", "output layer"),
    "bias": ("バイアス (点線)", "bias (dotted)"),
    "weight": ("重み w, バイアス b", "weight w, bias b"),
    "units": ("{n} ユニット", "{n} node{s}"),
    "network_title": ("ネットワーク {sizes}", "network {sizes}"),
    "loss": ("誤差 E", "loss E"),
    "accuracy": ("正解率", "accuracy"),
    "train": ("訓練データ", "training"),
    "validation": ("検証データ", "validation"),
    "epoch": ("エポック", "epoch"),
    "updates": ("更新回数", "updates"),
    "learning_rate": ("学習率", "learning rate"),
    "lr_small": ("小さすぎる $\\varepsilon$ = {lr:g}: 遅い", "too small η={lr:g}: slow"),
    "lr_good": ("適切 $\\varepsilon$ = {lr:g}: 収束", "good η={lr:g}: converges"),
    "lr_large": ("大きすぎる $\\varepsilon$ = {lr:g}: 発散", "too large η={lr:g}: diverges"),
    "lr_title": ("学習率の比較: f(x) = 3x₀ + 2x₁ の回帰 ({sizes})",
                 "learning rates on the regression f(x) = 3x₀ + 2x₁ ({sizes})"),
    "diverged_at": ("エポック {e} で発散", "diverged at epoch {e}"),
    "full_batch": ("バッチ学習 (全 {n} 件で 1 回)", "full batch ({n} samples)"),
    "mini_batch": ("ミニバッチ学習 ({k} 件ずつ)", "mini-batch ({k} samples)"),
    "online": ("オンライン学習 (1 件ずつ)", "online (1 sample)"),
    "batch_title": ("バッチ学習・ミニバッチ学習・オンライン学習の比較 "
                    "($\\varepsilon$ = {lr:g}, {epochs} エポック)",
                    "gradient descent modes (η={lr:g}, {epochs} epochs)"),
    "train_loss": ("訓練データ全体の誤差 E", "loss E on all training data"),
    "mb_title": ("ミニバッチ勾配降下法 (P69): $w^{{(t+1)}} = w^{{(t)}} - \\varepsilon\\nabla E_t$ "
                 "($\\varepsilon$ = {lr:g})",
                 "mini-batch gradient descent (P69): $w^{{(t+1)}} = w^{{(t)}} - \\varepsilon\\nabla E_t$ "
                 "($\\varepsilon$ = {lr:g})"),
    "mb_scheme_title": ("訓練データ {n} 件をシャッフルし、{k} 件ずつのミニバッチ $D_t$ に分ける",
                        "{n} training samples, shuffled and cut into mini-batches $D_t$ of {k}"),
    "mb_epoch_note": ("ミニバッチ 1 つにつき 1 回更新: 1 エポック = {t} 回の更新 ({n} 件 ÷ {k} 件)",
                      "one update per mini-batch: one epoch = {t} updates ({n} samples ÷ {k})"),
    "mb_path_title": ("重み $w = (w_0, w_1)$ の動き ({epochs} エポック)",
                      "the weights $w = (w_0, w_1)$ over {epochs} epochs"),
    "mb_contour": ("等高線: 訓練データ全体の誤差 E", "contours: E on all training data"),
    "mb_minimum": ("E が最小になる w", "the w where E is smallest"),
    "moons": ("三日月", "moons"),
    "circles": ("同心円", "circles"),
    "spiral": ("渦巻き", "spiral"),
    "xor": ("XOR", "XOR"),
    "boundary_title": ("決定境界 ({sizes}, {hidden})", "decision boundaries ({sizes}, {hidden})"),
    "boundary_acc": ("{name}: 正解率 {acc:.1%}", "{name}: accuracy {acc:.1%}"),
    "layer": ("層 l", "layer l"),
    "grad_norm": ("勾配のノルム ‖∂E/∂W_l‖", "gradient norm ‖∂E/∂W_l‖"),
    "vanish_title": ("勾配消失: 初期状態の {n} 層ネットワーク",
                     "vanishing gradients: a {n}-layer network at initialisation"),
    "vanish_sigmoid": ("シグモイド ({init} 初期値)", "sigmoid ({init} init)"),
    "vanish_relu": ("ReLU ({init} 初期値)", "ReLU ({init} init)"),
    "n_params": ("パラメータ数", "number of parameters"),
    "rel_error": ("相対誤差 (gradcheck)", "relative error (gradcheck)"),
    "seconds": ("計算時間 [秒]", "time [s]"),
    "numerical": ("数値微分", "numerical gradient"),
    "backprop": ("誤差逆伝播法", "back-propagation"),
    "agree_title": ("勾配の一致", "agreement of the gradients"),
    "cost_title": ("勾配 1 回分の計算時間", "time for one gradient"),
    "ratio": ("数値微分は {r:,.0f} 倍遅い", "numerical is {r:,.0f}× slower"),
    "val_loss": ("検証データの誤差 E", "validation loss E"),
    "diverged": ("発散・失敗", "diverged or failed"),
    "diverging": ("発散傾向 (警告)", "diverging (warning)"),
    "point": ("試行点", "point"),
    "sweep_title": ("ハイパーパラメータ探索: {n} 試行の検証誤差", "sweep: validation loss of {n} trials"),
    "curves_title": ("検証誤差の低い上位 {k} 試行の学習曲線 (実線: 検証, 破線: 訓練)",
                     "learning curves of the best {k} trials (solid: validation, dashed: training)"),
    "field_lr": ("学習率 $\\varepsilon$", "learning rate η"),
    "field_batch_size": ("バッチサイズ", "batch size"),
    "field_weight_decay": ("荷重減衰 λ", "weight decay λ"),
    "field_epochs": ("エポック数", "epochs"),
    "field_init": ("初期値の標準偏差", "initial standard deviation"),
    "field_seed": ("乱数シード", "seed"),
    "hist_title": ("重みの初期値と各層のアクティベーション分布 "
                   "(入力 x ~ N(0, 1) {n}×{w}, {L} 層 × {w} ユニット, バイアスなし)",
                   "activation distribution per layer by initial weights "
                   "(input x ~ N(0, 1) {n}×{w}, {L} layers of {w} units, no bias)"),
    "row_sigmoid": ("シグモイド", "sigmoid"),
    "row_tanh": ("tanh", "tanh"),
    "row_relu": ("ReLU", "ReLU"),
    "hist_xlabel": ("各層の出力 z = f(u)   (縦軸: 全出力に占める割合; ReLU は z > 0 の部分)",
                    "layer output z = f(u)   (height: share of all outputs; ReLU: the z > 0 part)"),
    "hist_near": ("{edge} 付近 {p:.0%}", "near {edge}: {p:.0%}"),
    "hist_zero": ("z = 0 が {p:.0%}", "z = 0: {p:.0%}"),
    "hist_std": ("標準偏差 {s:.2g}", "std {s:.2g}"),
}


def _t(key: str, lang: str, **fmt: object) -> str:
    """The label ``key`` of ``_TEXT`` in ``lang``, its ``{placeholders}`` filled from ``fmt``."""
    text = _TEXT[key][0 if lang == "ja" else 1]
    return text.format(**fmt) if fmt else text


def _check_lang(lang: object) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang: expected 'ja' or 'en', got {lang!r}")
    return str(lang)


def _check_out(out: object) -> Path | None:
    if out is None:
        return None
    if not isinstance(out, (str, Path)):
        raise TypeError(f"out: expected a file name ending in .png or .svg, got {type(out).__name__}")
    path = Path(out)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"out: expected a file name ending in .png or .svg, got {str(out)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"out: the folder {str(path.parent)!r} does not exist; create it first")
    return path


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator passed on as it is (the caller's stream continues), anything else seeds a new one."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


@contextlib.contextmanager
def _style(lang: str) -> Iterator[None]:
    """rcParams for one figure: the Japanese font for ``lang="ja"``, restored afterwards."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "nnscratch.plot needs matplotlib: pip install 'nnscratch[lab]' (matplotlib, matplotlib-fontja)"
        ) from None

    if lang == "ja":
        # importing matplotlib_fontja registers IPAex Gothic with the font manager and also sets the
        # global font family; the rc_context undoes the latter, the registration stays
        with matplotlib.rc_context():
            try:
                import matplotlib_fontja  # noqa: F401
            except ImportError:
                raise ImportError(
                    "lang='ja' needs the Japanese font of matplotlib-fontja: pip install 'nnscratch[lab]' "
                    "(or draw with lang='en')"
                ) from None
        family = [_JA_FONT, _FALLBACK_FONT]
    else:
        family = [_FALLBACK_FONT]
    with matplotlib.rc_context(
        {
            "font.family": family,
            "font.size": 9,
            "axes.titlesize": 10,
            "legend.fontsize": 8,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "svg.fonttype": "path",
        }
    ):
        yield


def png_bytes(fig: Figure, dpi: float = 100) -> bytes:
    """The figure as PNG bytes (no date in the file: the same figure gives the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _new_figure(width: float, height: float) -> Figure:
    """A Figure on its own Agg canvas (pyplot and its global backend are never touched), that Jupyter
    shows as a PNG when it is the value of a cell or given to ``display()``.

    Not registered with pyplot, it is shown once (pyplot's inline backend would show its own figures a
    second time at the end of the cell), and without ``%matplotlib inline`` or any pyplot import: a plain
    ``Figure`` then shows only ``<Figure size … with 2 Axes>``. Where IPython has a PNG printer for
    figures (the inline backend), that printer is used, which gives the same single image.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@functools.cache
def _figure_class() -> type:
    """``LabFigure``: a matplotlib ``Figure`` with ``_repr_png_`` (made once, when matplotlib is first
    needed, so that importing the plots does not import matplotlib)."""
    from matplotlib.figure import Figure

    class LabFigure(Figure):
        """A figure of ``nnscratch.plot``: a ``matplotlib.figure.Figure`` that Jupyter shows as a PNG."""

        def _repr_png_(self) -> bytes:
            return png_bytes(self)

    LabFigure.__module__ = __name__
    LabFigure.__qualname__ = "LabFigure"
    return LabFigure


def _finish(fig: Figure, data: dict[str, Any], out: Path | None, dpi: float | None) -> Figure:
    """Attach ``data`` as ``fig.data`` and, given ``out``, save the figure as PNG or SVG by its suffix."""
    fig.data = data  # the numbers the figure was drawn from
    if out is not None:
        fmt = out.suffix.lower()[1:]
        metadata = {"Date": None} if fmt == "svg" else None  # reproducible files
        fig.savefig(out, format=fmt, dpi=dpi or 100, metadata=metadata)
    return fig


def _render(
    lang: object, out: object, dpi: float | None, draw_fn: Callable[[str], tuple[Figure, dict]]
) -> Figure:
    """Check ``lang`` and ``out`` (before anything is drawn), then ``draw_fn(lang)`` in the figure style.

    Every kind computes its numbers first and passes a ``draw_fn`` that only draws them, so an error in
    the arguments never leaves a half-written file.
    """
    lang = _check_lang(lang)
    path = _check_out(out)
    with _style(lang):
        fig, data = draw_fn(lang)
        return _finish(fig, data, path, dpi)


def _check_int(name: str, value: object, low: int = 1) -> int:
    """``value`` as an integer of at least ``low``; booleans are refused although Python counts them."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        what = "a positive integer" if low == 1 else f"an integer of at least {low}"
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return value
