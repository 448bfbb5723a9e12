"""The course's figures, drawn by the library (図): ``nnscratch.plot``.

Every function draws one figure and returns the matplotlib ``Figure``; given ``out=path`` it also saves
it, as PNG or SVG by the file's suffix. ``lang="ja"`` labels the figure in Japanese (with the IPAex
Gothic font that the PyPI package ``matplotlib-fontja`` ships), ``lang="en"`` in English. The numbers a
figure was drawn from are kept on it as ``fig.data`` (a dict), so they can be checked, not just looked at.

Kinds (``KINDS``), each also ``nnscratch plot KIND --out FILE`` on the command line:

- ``activations`` — 活性化関数 f(u) and 導関数 f'(u): step, sigmoid, tanh, ReLU, leaky ReLU;
- ``linear_vs_nonlinear`` — 線形と非線形 (the course's P27), and why stacked layers need a nonlinearity;
- ``network`` — a network diagram for any layer sizes (P13's 2-3-3-1), edges coloured by weight;
- ``training_curves`` — 誤差 and 正解率 per epoch, training and validation, from a ``History``;
- ``learning_rates`` — 学習率 too small (slow), good (converges), too large (diverges) on one problem;
- ``batch_modes`` — full-batch vs mini-batch vs online gradient descent, loss per update (P69);
- ``decision_boundary`` — 決定境界 of trained networks on 2-D data sets;
- ``vanishing_gradients`` — 勾配消失: ‖∂E/∂W_l‖ per layer at initialisation, sigmoid against ReLU;
- ``gradient_cost`` — 数値微分 vs 誤差逆伝播法: agreement and time as the parameter count grows.

matplotlib is imported inside the functions only, and figures are drawn on an Agg canvas of their own:
neither importing this module nor drawing changes pyplot's backend or the global rcParams.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch import functions as F
from nnscratch.gradcheck import relative_error
from nnscratch.network import Network, parse_sizes

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

__all__ = [
    "KINDS",
    "LANGS",
    "draw",
    "activations",
    "linear_vs_nonlinear",
    "network",
    "training_curves",
    "learning_rates",
    "batch_modes",
    "decision_boundary",
    "vanishing_gradients",
    "gradient_cost",
]

LANGS = ("ja", "en")
KINDS = (
    "activations",
    "linear_vs_nonlinear",
    "network",
    "training_curves",
    "learning_rates",
    "batch_modes",
    "decision_boundary",
    "vanishing_gradients",
    "gradient_cost",
)
DATASETS_2D = ("moons", "circles", "spiral", "xor")

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
    "units": ("{n} ノード", "{n} node{s}"),
    "network_title": ("ネットワーク {sizes}", "network {sizes}"),
    "loss": ("誤差 E", "loss E"),
    "accuracy": ("正解率", "accuracy"),
    "train": ("訓練データ", "training"),
    "validation": ("検証データ", "validation"),
    "epoch": ("エポック", "epoch"),
    "updates": ("更新回数", "updates"),
    "learning_rate": ("学習率", "learning rate"),
    "lr_small": ("小さすぎる η={lr:g}: 遅い", "too small η={lr:g}: slow"),
    "lr_good": ("適切 η={lr:g}: 収束", "good η={lr:g}: converges"),
    "lr_large": ("大きすぎる η={lr:g}: 発散", "too large η={lr:g}: diverges"),
    "lr_title": ("学習率の比較: f(x) = 3x₀ + 2x₁ の回帰 ({sizes})",
                 "learning rates on the regression f(x) = 3x₀ + 2x₁ ({sizes})"),
    "diverged_at": ("エポック {e} で発散", "diverged at epoch {e}"),
    "full_batch": ("バッチ (全 {n} 件)", "full batch ({n} samples)"),
    "mini_batch": ("ミニバッチ ({k} 件)", "mini-batch ({k} samples)"),
    "online": ("オンライン (1 件ずつ)", "online (1 sample)"),
    "batch_title": ("勾配降下法の比較 (η={lr:g}, {epochs} エポック)",
                    "gradient descent modes (η={lr:g}, {epochs} epochs)"),
    "train_loss": ("訓練データ全体の誤差 E", "loss E on all training data"),
    "moons": ("三日月", "moons"),
    "circles": ("同心円", "circles"),
    "spiral": ("渦巻き", "spiral"),
    "xor": ("XOR", "XOR"),
    "boundary_title": ("決定境界 ({sizes}, {hidden})", "decision boundaries ({sizes}, {hidden})"),
    "boundary_acc": ("{name}: 正解率 {acc:.2f}", "{name}: accuracy {acc:.2f}"),
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
}


def _t(key: str, lang: str, **fmt: object) -> str:
    text = _TEXT[key][0 if lang == "ja" else 1]
    return text.format(**fmt) if fmt else text


# ---------------------------------------------------------------- figure plumbing


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


def _new_figure(width: float, height: float) -> Figure:
    """A Figure on its own Agg canvas (pyplot and its global backend are never touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, data: dict[str, Any], out: Path | None, dpi: float | None) -> Figure:
    fig.data = data  # the numbers the figure was drawn from
    if out is not None:
        fmt = out.suffix.lower()[1:]
        metadata = {"Date": None} if fmt == "svg" else None  # reproducible files
        fig.savefig(out, format=fmt, dpi=dpi or 100, metadata=metadata)
    return fig


def _render(
    lang: object, out: object, dpi: float | None, draw_fn: Callable[[str], tuple[Figure, dict]]
) -> Figure:
    lang = _check_lang(lang)
    path = _check_out(out)
    with _style(lang):
        fig, data = draw_fn(lang)
        return _finish(fig, data, path, dpi)


# ---------------------------------------------------------------- activations (活性化関数)


def activations(
    *, lang: str = "ja", out: str | Path | None = None, u_max: float = 5.0, alpha: float = 0.1,
    dpi: float | None = None,
) -> Figure:
    """活性化関数 f(u) (left) and their derivatives 導関数 f'(u) (right) for u in [−u_max, u_max].

    Drawn from ``nnscratch.functions``: step_function, sigmoid, tanh, relu, leaky_relu(u, alpha) and
    d_step_function, d_sigmoid, d_tanh, d_relu, d_leaky_relu. ``fig.data`` holds ``u`` and, per name,
    ``f[name]`` and ``df[name]``. ``alpha`` is leaky ReLU's slope for u < 0 (0.1 so that it shows).
    """
    if not (isinstance(u_max, (int, float)) and u_max > 0):
        raise ValueError(f"u_max: expected a positive number, got {u_max!r}")
    u = np.linspace(-u_max, u_max, 801)
    funcs = {
        "step": (F.step_function, F.d_step_function),
        "sigmoid": (F.sigmoid, F.d_sigmoid),
        "tanh": (F.tanh, F.d_tanh),
        "relu": (F.relu, F.d_relu),
        "leaky_relu": (lambda v: F.leaky_relu(v, alpha), lambda v: F.d_leaky_relu(v, alpha)),
    }
    f = {name: fn(u) for name, (fn, _) in funcs.items()}
    df = {name: dfn(u) for name, (_, dfn) in funcs.items()}
    styles = {
        "step": dict(color="tab:gray", lw=1.6),
        "sigmoid": dict(color="tab:blue", lw=1.8),
        "tanh": dict(color="tab:green", lw=1.8),
        "relu": dict(color="tab:red", lw=2.2),
        "leaky_relu": dict(color="tab:orange", lw=1.5, ls="--"),
    }

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(9.0, 3.8)
        ax_f, ax_d = fig.subplots(1, 2)
        for name in funcs:
            label = _t(name, lang, alpha=alpha)
            ax_f.plot(u, f[name], label=label, **styles[name])
            ax_d.plot(u, df[name], label=label, **styles[name])
        ax_f.set_title(_t("activation", lang))
        ax_d.set_title(_t("derivative", lang))
        ax_f.set_ylim(-1.5, 2.5)
        ax_d.set_ylim(-0.1, 1.2)
        for ax in (ax_f, ax_d):
            ax.set_xlabel(_t("total_input", lang))
            ax.axhline(0, color="k", lw=0.5)
            ax.axvline(0, color="k", lw=0.5)
        ax_f.legend(loc="upper left")
        ax_d.text(0.02, 0.02, _t("step_note", lang), transform=ax_d.transAxes, fontsize=7, color="tab:gray")
        return fig, {"u": u, "alpha": alpha, "f": f, "df": df}

    return _render(lang, out, dpi, draw)


# ---------------------------------------------------------------- linear vs nonlinear (P27)


def linear_vs_nonlinear(
    *, lang: str = "ja", out: str | Path | None = None, hidden_units: int = 8,
    seed: int | np.random.Generator | None = 0, dpi: float | None = None,
) -> Figure:
    """線形と非線形 (the course's P27), and why a network needs a nonlinear activation.

    Left: linear functions y = a·x + b (straight lines; f(x₁ + x₂) = f(x₁) + f(x₂) for b = 0).
    Middle: nonlinear functions (sigmoid, x², sin). Right: the same 1-``hidden_units``-1 network with
    identity hidden units (the composition of linear maps is again a straight line) and with ReLU (a
    bent line). ``fig.data`` holds every curve; ``data["stacked"]["identity"]`` is exactly linear.
    """
    if isinstance(hidden_units, bool) or not isinstance(hidden_units, int) or hidden_units < 1:
        raise ValueError(f"hidden_units: expected a positive integer, got {hidden_units!r}")
    x = np.linspace(-3, 3, 301)
    linear = {"y = 2x": 2 * x, "y = 0.5x + 1": 0.5 * x + 1, "y = −x − 1": -x - 1}
    nonlinear = {"y = sigmoid(x)": F.sigmoid(x), "y = x² / 4": x**2 / 4, "y = sin(x)": np.sin(x)}
    net_relu = Network([1, hidden_units, 1], hidden="relu", init=1.0, seed=seed, dtype="float64")
    rng = _rng(seed if not isinstance(seed, np.random.Generator) else None)
    net_relu.params["b1"][...] = rng.uniform(-2, 2, hidden_units)
    net_id = Network.from_params(net_relu.params, hidden="identity", output="identity")
    stacked = {
        "identity": net_id.predict(x[:, None])[:, 0],
        "relu": net_relu.predict(x[:, None])[:, 0],
    }

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(10.5, 3.5)
        axes = fig.subplots(1, 3)
        for (label, y), c in zip(linear.items(), ("tab:blue", "tab:green", "tab:purple"), strict=True):
            axes[0].plot(x, y, label=label, color=c, lw=1.8)
        for (label, y), c in zip(nonlinear.items(), ("tab:red", "tab:orange", "tab:brown"), strict=True):
            axes[1].plot(x, y, label=label, color=c, lw=1.8)
        axes[2].plot(x, stacked["identity"], label=_t("stacked_identity", lang), color="tab:blue", lw=1.8)
        axes[2].plot(x, stacked["relu"], label=_t("stacked_relu", lang), color="tab:red", lw=1.8)
        axes[0].set_title(_t("linear", lang))
        axes[1].set_title(_t("nonlinear", lang))
        axes[2].set_title(_t("stacked", lang, h=hidden_units))
        for ax in axes:
            ax.set_xlabel("x")
            ax.axhline(0, color="k", lw=0.5)
            ax.axvline(0, color="k", lw=0.5)
            ax.legend(loc="upper left")
        axes[0].set_ylabel("y")
        return fig, {"x": x, "linear": linear, "nonlinear": nonlinear, "stacked": stacked,
                     "params": {k: v.copy() for k, v in net_relu.params.items()}}

    return _render(lang, out, dpi, draw)


# ---------------------------------------------------------------- network diagram (P13)


def _shown_nodes(n: int, max_nodes: int) -> list[int | None]:
    """Indices of the nodes drawn for a layer of n nodes; None marks the ⋮ gap."""
    if n <= max_nodes:
        return list(range(n))
    head = max_nodes - 2
    return [*range(head), None, n - 1]


def _math_name(name: str) -> str:
    """An activation name as upright mathtext: 'leaky_relu' → \\mathrm{leaky\\_relu}."""
    return "\\mathrm{" + name.replace("_", "\\_") + "}"


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
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 3:
        raise ValueError(f"max_nodes: expected an integer of at least 3, got {max_nodes!r}")
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
    n_layers = len(sizes) - 1

    def draw(lang: str) -> tuple[Figure, dict]:
        import matplotlib as mpl
        from matplotlib.patches import Circle, Rectangle

        shown = [_shown_nodes(n, max_nodes) for n in sizes]
        tallest = max(len(s) for s in shown)
        inch = 0.62  # inches per unit of the drawing (nodes are 1 apart, layers 2)
        width = max(3.2, inch * (2.0 * n_layers + 1.4) + (1.3 if weights is not None else 0.1))
        height = inch * (tallest + 2.8) + 0.35  # nodes, bias row and captions; + the title
        fig = _new_figure(width, height)
        ax = fig.subplots()
        ax.set_aspect("equal")
        ax.axis("off")
        ax.grid(False)
        pos: dict[tuple[int, int | None], tuple[float, float]] = {}
        bias_pos: dict[int, tuple[float, float]] = {}
        for layer, nodes in enumerate(shown):
            top = (len(nodes) - 1) / 2
            for row, j in enumerate(nodes):
                pos[(layer, j)] = (layer * 2.0, top - row)
            if layer < n_layers:
                bias_pos[layer] = (layer * 2.0 + 0.9, top + 1.0)
        wmax = 1.0
        if weights is not None:
            wmax = max(float(np.max(np.abs(w))) for w in weights.values()) or 1.0
        cmap = mpl.colormaps["RdBu_r"]
        norm = mpl.colors.Normalize(-wmax, wmax)

        def edge(p: tuple[float, float], q: tuple[float, float], value: float | None, bias: bool) -> None:
            style = ":" if bias else "-"
            if value is None:
                ax.plot(*zip(p, q, strict=True), color="0.6", lw=0.8, ls=style, zorder=1)
            else:  # a faint grey line keeps zero weights (white) visible
                ax.plot(*zip(p, q, strict=True), color="0.85", lw=0.5, ls=style, zorder=1)
                ax.plot(*zip(p, q, strict=True), color=cmap(norm(value)), lw=0.4 + 2.6 * abs(value) / wmax,
                        ls=style, zorder=2)

        for layer in range(n_layers):
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
        for _layer, (px, py) in bias_pos.items():
            ax.add_patch(Rectangle((px - 0.2, py - 0.2), 0.4, 0.4, facecolor="#eeeeee", edgecolor="0.3",
                                   lw=0.8, zorder=3))
            ax.text(px, py, "1", ha="center", va="center", fontsize=8, zorder=4)
        px, py = bias_pos[0]
        ax.text(px, py + 0.3, _t("bias", lang), ha="center", va="bottom", fontsize=7, color="0.3")

        bottom = min(py for (_, py) in pos.values()) - 0.6
        for layer, n in enumerate(sizes):
            if layer == 0:
                head, formula = _t("input_layer", lang), "$x$"
            elif layer == n_layers:
                f_name = output_name or "f"
                head = _t("output_layer", lang)
                formula = f"$u^{{({layer})}} = z^{{({layer - 1})}}W^{{({layer})}} + b^{{({layer})}}$\n" \
                          f"$y = {_math_name(f_name)}(u^{{({layer})}})$"
                if layer == 1:
                    formula = formula.replace(f"z^{{({layer - 1})}}", "x")
            else:
                f_name = hidden_names[layer - 1] if hidden_names else "f"
                head = _t("hidden_layer", lang, l=layer)
                prev = "x" if layer == 1 else f"z^{{({layer - 1})}}"
                formula = f"$u^{{({layer})}} = {prev}W^{{({layer})}} + b^{{({layer})}}$\n" \
                          f"$z^{{({layer})}} = {_math_name(f_name)}(u^{{({layer})}})$"
            units = _t("units", lang, n=n, s="" if n == 1 else "s")
            caption = f"{head}\n{units}\n{formula}"
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



# ---------------------------------------------------------------- training curves (学習曲線)


def _demo_history(seed: int | np.random.Generator | None) -> tuple[Any, str]:
    """A small classification run with validation data: moons, 2-16-16-2, Adam, 60 epochs."""
    from nnscratch import datasets
    from nnscratch.training import train

    rng = _rng(seed)
    data = datasets.moons(n_samples=300, noise=0.3, seed=rng)
    (x_tr, d_tr), (x_va, d_va), _ = datasets.train_val_test_split(
        data.x, data.y, val_size=0.3, test_size=0.1, seed=int(rng.integers(2**31))
    )
    net = Network([2, 16, 16, 2], hidden="relu", output="softmax", seed=rng)
    history = train(net, x_tr, d_tr, optimizer="adam", lr=0.01, epochs=60, batch_size=16, seed=rng,
                    validation_data=(x_va, d_va))
    return history, "moons 2-16-16-2, Adam η=0.01"


def training_curves(
    history: Any = None,
    *,
    title: str | None = None,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """学習曲線: 誤差 E (loss) and 正解率 (accuracy) per エポック, training and validation.

    ``history`` is an ``nnscratch.History`` (what ``nnscratch.train`` returns) or a dict with the lists
    ``loss``, ``val_loss``, ``accuracy``, ``val_accuracy`` and ``lr`` (any may be empty or missing).
    Without it a small demonstration run is trained (two moons, 2-16-16-2, Adam, validation split,
    seeded by ``seed``). The accuracy panel appears when accuracies were recorded, a learning-rate panel
    when the rate changed during training. ``fig.data`` holds the lists that were drawn.
    """
    if history is None:
        history, default_title = _demo_history(seed)
        title = title if title is not None else default_title
    if isinstance(history, dict):
        get = history.get
    elif all(hasattr(history, name) for name in ("loss", "val_loss")):
        def get(name: str, default: Any = None) -> Any:
            return getattr(history, name, default)
    else:
        raise TypeError(
            f"history: expected an nnscratch History or a dict of lists (loss, val_loss, accuracy, "
            f"val_accuracy, lr), got {type(history).__name__}"
        )
    curves = {name: np.asarray(list(get(name, []) or []), dtype=np.float64)
              for name in ("loss", "val_loss", "accuracy", "val_accuracy", "lr")}
    if curves["loss"].size == 0:
        raise ValueError("history: expected at least one epoch of 'loss', got an empty history")
    show_acc = curves["accuracy"].size > 0 or curves["val_accuracy"].size > 0
    show_lr = curves["lr"].size > 1 and np.ptp(curves["lr"]) > 0

    def draw(lang: str) -> tuple[Figure, dict]:
        n_panels = 1 + show_acc + show_lr
        fig = _new_figure(3.6 * n_panels + 0.6, 3.4)
        axes = np.atleast_1d(fig.subplots(1, n_panels))
        panels = [("loss", "val_loss", "loss")]
        if show_acc:
            panels.append(("accuracy", "val_accuracy", "accuracy"))
        for ax, (train_key, val_key, label) in zip(axes, panels, strict=False):
            for key, name, style in ((train_key, "train", "-"), (val_key, "validation", "--")):
                values = curves[key]
                if values.size:
                    ax.plot(np.arange(1, values.size + 1), values, style, lw=1.8, label=_t(name, lang),
                            color="tab:blue" if name == "train" else "tab:orange")
            ax.set_xlabel(_t("epoch", lang))
            ax.set_title(_t(label, lang))
            ax.legend()
        if curves["loss"].min() > 0 and curves["loss"].max() / curves["loss"].min() > 100:
            axes[0].set_yscale("log")
        if show_lr:
            ax = axes[-1]
            ax.plot(np.arange(1, curves["lr"].size + 1), curves["lr"], color="tab:green", lw=1.8)
            ax.set_xlabel(_t("epoch", lang))
            ax.set_title(_t("learning_rate", lang) + " η")
        if title:
            fig.suptitle(title)
        return fig, {"curves": curves, "title": title}

    return _render(lang, out, dpi, draw)


# ---------------------------------------------------------------- learning rates (学習率, Section 4)


def learning_rates(
    lrs: Sequence[float] = (0.005, 0.2, 1.0),
    *,
    epochs: int = 100,
    n_samples: int = 100,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """学習率の比較 (the course's Section 4): one problem, three learning rates η = ``lrs``.

    The problem is the course's regression f(x) = 3·x₀ + 2·x₁ (``nnscratch.datasets.linear``), learnt by
    a 2-10-1 network (tanh hidden units, identity output, squared error) with full-batch gradient descent
    from the same initial weights for every rate. Too small a rate creeps down, a good one converges,
    too large a one diverges: ``nnscratch.train`` raises ``DivergenceError`` and the curve is drawn up to
    the blow-up (✕ marks the exploded loss), on a log scale. ``fig.data`` holds per rate ``loss`` (one
    value per epoch; for a diverged run the completed epochs then the exploded loss) and ``diverged_at``
    (the epoch, or None).
    """
    from nnscratch import datasets
    from nnscratch.training import DivergenceError, train

    rates = [float(r) for r in lrs]
    if len(rates) != 3 or not all(np.isfinite(r) and r > 0 for r in rates) or sorted(rates) != rates:
        raise ValueError(
            f"lrs: expected three increasing positive learning rates (small, good, large), got {lrs!r}"
        )
    rng = _rng(seed)
    data = datasets.linear(n_samples=n_samples, seed=rng)
    x, d = data.x, data.y[:, None]
    sizes = [2, 10, 1]
    init = Network(sizes, hidden="tanh", output="identity", seed=rng)
    runs: dict[float, dict[str, Any]] = {}
    for lr in rates:
        net = init.copy()
        try:
            history = train(net, x, d, lr=lr, epochs=epochs, batch_size=None, shuffle=False)
            runs[lr] = {"loss": np.array(history.loss), "diverged_at": None}
        except DivergenceError as err:
            done = list(err.history.loss) if err.history is not None else []
            runs[lr] = {"loss": np.array([*done, err.loss]), "diverged_at": err.epoch}
    keys = ("lr_small", "lr_good", "lr_large")

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(6.6, 4.0)
        ax = fig.subplots()
        for lr, key, color in zip(rates, keys, ("tab:blue", "tab:green", "tab:red"), strict=True):
            run = runs[lr]
            loss = run["loss"]
            epochs_axis = np.arange(1, loss.size + 1)
            if run["diverged_at"] is None:
                ax.plot(epochs_axis, loss, lw=1.8, color=color, label=_t(key, lang, lr=lr))
                continue
            ok = loss[:-1]
            ax.plot(epochs_axis[:-1], ok, "o-", ms=3, lw=1.8, color=color, label=_t(key, lang, lr=lr))
            last = loss[-1] if np.isfinite(loss[-1]) else (ok.max() * 10 if ok.size else 1e6)
            if ok.size:
                ax.plot(epochs_axis[-2:], [ok[-1], last], ":", color=color, lw=1.5)
            ax.plot([epochs_axis[-1]], [last], "x", ms=9, mew=2.5, color=color)
            ax.annotate(_t("diverged_at", lang, e=run["diverged_at"]), (epochs_axis[-1], last),
                        textcoords="offset points", xytext=(8, -4), fontsize=8, color=color)
        ax.set_yscale("log")
        ax.set_xlabel(_t("epoch", lang) + (" (= 更新回数)" if lang == "ja" else " (= updates)"))
        ax.set_ylabel(_t("loss", lang))
        ax.set_title(_t("lr_title", lang, sizes="2-10-1 tanh"), fontsize=9)
        ax.legend(loc="center right")
        return fig, {"lrs": rates, "runs": runs, "sizes": sizes, "epochs": epochs}

    return _render(lang, out, dpi, draw)


# ---------------------------------------------------------------- batch, mini-batch, online (P69)


def batch_modes(
    *,
    batch_size: int = 10,
    lr: float = 0.07,
    epochs: int = 20,
    n_samples: int = 100,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """バッチ vs ミニバッチ vs オンライン (the course's P69): the loss after every update.

    The course's regression f(x) = 3·x₀ + 2·x₁ (``n_samples`` points) and its 2-10-1 ReLU network (the
    same initial weights for all three), SGD with η = ``lr`` for ``epochs`` epochs: full batch (one
    update per epoch, the gradient of all N samples), mini-batch (N / ``batch_size`` updates per epoch)
    and online (N updates per epoch, one sample each), each epoch walking a seeded permutation. Every
    update is one ``Trainer.step``; after it the loss E on all the training data is recorded. Left: E
    against the number of updates; right: the same against epochs (data seen). ``fig.data[mode]`` holds
    ``updates``, ``epochs`` and ``loss`` (the first value is before training).
    """
    from nnscratch import datasets
    from nnscratch.training import Trainer

    for name, value in (("batch_size", batch_size), ("epochs", epochs), ("n_samples", n_samples)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if not 1 < batch_size < n_samples:
        raise ValueError(f"batch_size: expected a mini-batch between 2 and n_samples − 1 = {n_samples - 1}, "
                         f"got {batch_size}")
    rng = _rng(seed)
    data = datasets.linear(n_samples=n_samples, seed=rng)
    x, d = data.x, data.y[:, None]
    init = Network([2, 10, 1], hidden="relu", output="identity", seed=rng)
    order_seed = int(rng.integers(2**31))
    modes = {"full_batch": n_samples, "mini_batch": batch_size, "online": 1}
    results: dict[str, dict[str, np.ndarray]] = {}
    for mode, bs in modes.items():
        net = init.copy()
        trainer = Trainer(net, "sgd", lr)
        order_rng = np.random.default_rng(order_seed)  # the same permutations for every mode
        losses = [net.loss(x, d)]
        for _ in range(epochs):
            order = order_rng.permutation(n_samples)
            for start in range(0, n_samples, bs):
                idx = order[start:start + bs]
                trainer.step(x[idx], d[idx])
                losses.append(net.loss(x, d))
        per_epoch = -(-n_samples // bs)
        updates = np.arange(len(losses))
        results[mode] = {"updates": updates, "epochs": updates / per_epoch, "loss": np.array(losses),
                         "batch_size": bs}

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(9.6, 3.8)
        ax_u, ax_e = fig.subplots(1, 2, sharey=True)
        labels = {
            "full_batch": _t("full_batch", lang, n=n_samples),
            "mini_batch": _t("mini_batch", lang, k=batch_size),
            "online": _t("online", lang),
        }
        styles = {"full_batch": dict(color="tab:blue", lw=2.0, marker="o", ms=3),
                  "mini_batch": dict(color="tab:green", lw=1.5),
                  "online": dict(color="tab:red", lw=0.9, alpha=0.85)}
        for mode, r in results.items():
            ax_u.plot(r["updates"][1:], r["loss"][1:], label=labels[mode], **styles[mode])
            ax_e.plot(r["epochs"], r["loss"], label=labels[mode], **styles[mode])
        ax_u.set_xscale("log")
        ax_u.set_yscale("log")
        ax_u.set_xlabel(_t("updates", lang) + (" (対数)" if lang == "ja" else " (log scale)"))
        ax_e.set_xlabel(_t("epoch", lang))
        ax_u.set_ylabel(_t("train_loss", lang))
        ax_u.set_title(_t("updates", lang))
        ax_e.set_title(_t("epoch", lang))
        ax_e.legend(loc="upper right")
        fig.suptitle(_t("batch_title", lang, lr=lr, epochs=epochs))
        return fig, {**results, "lr": lr, "epochs": epochs}

    return _render(lang, out, dpi, draw)


# ---------------------------------------------------------------- decision boundaries (決定境界)


def _boundary_runs(
    names: Sequence[str], hidden_sizes: Sequence[int], epochs: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    from nnscratch import datasets
    from nnscratch.training import train

    noise = {"moons": 0.2, "circles": 0.1, "spiral": 0.2, "xor": 0.05}
    runs = []
    for name in names:
        n_samples = 300 if name == "spiral" else 200
        data = getattr(datasets, name)(n_samples=n_samples, noise=noise[name], seed=rng)
        net = Network([2, *hidden_sizes, int(data.n_classes)], hidden="relu", output="softmax", seed=rng)
        train(net, data.x, data.y, optimizer="adam", lr=0.01, epochs=epochs, batch_size=32, seed=rng)
        runs.append({"name": name, "net": net, "x": data.x, "d": data.y})
    return runs


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
        if not isinstance(net, Network):
            raise TypeError(f"net: expected an nnscratch.Network, got {type(net).__name__}")
        if net.sizes[0] != 2 or net.output == "identity":
            raise ValueError(
                f"net: expected a classifier with 2 inputs (sigmoid or softmax output), got {net!r}"
            )
        if x is None or d is None:
            raise ValueError("x, d: expected the data the network was trained on, got None")
        x2, _ = net.check_x(x)
        runs = [{"name": None, "net": net, "x": x2, "d": np.asarray(d)}]
    else:
        names = list(datasets)
        unknown = [n for n in names if n not in DATASETS_2D]
        if not names or unknown:
            raise ValueError(f"datasets: expected names from {', '.join(DATASETS_2D)}, got {names!r}")
        runs = _boundary_runs(names, list(hidden_sizes), epochs, rng)
    panels = []
    for run in runs:
        xs = np.asarray(run["x"], dtype=np.float64)
        lo, hi = xs.min(axis=0), xs.max(axis=0)
        pad = 0.1 * (hi - lo) + 1e-9
        g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
        g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
        xx, yy = np.meshgrid(g0, g1)
        grid = np.column_stack([xx.ravel(), yy.ravel()])
        zz = run["net"].predict_classes(grid).reshape(xx.shape)
        d_arr = run["d"]
        if d_arr.ndim == 1:
            labels = d_arr
        else:
            labels = np.argmax(d_arr, axis=1) if d_arr.shape[1] > 1 else d_arr[:, 0] >= 0.5
        panels.append({"name": run["name"], "xx": xx, "yy": yy, "zz": zz, "x": xs,
                       "labels": np.asarray(labels).astype(int),
                       "accuracy": run["net"].accuracy(run["x"], run["d"])})
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


# ---------------------------------------------------------------- vanishing gradients (勾配消失)


def vanishing_gradients(
    *,
    n_layers: int = 10,
    width: int = 50,
    n_samples: int = 100,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """勾配消失 (the course's Section 2): ‖∂E/∂W_l‖ for every layer l of a freshly initialised network.

    Two networks of ``n_layers`` weight layers (``width`` units per hidden layer, 5-class softmax
    output) on the same random batch: sigmoid hidden units with Xavier initial weights against ReLU
    with He initial weights (each activation with its usual initialisation). Back-propagation multiplies
    the delta by f'(u) at every layer; sigmoid's f'(u) ≤ 0.25 makes the gradient shrink geometrically
    towards the input, ReLU's f'(u) ∈ {0, 1} keeps it. ``fig.data["norms"]["sigmoid"|"relu"]`` lists the
    Frobenius norms for layers 1 … n_layers (computed in float64); ``params``, ``x`` and ``d`` are the
    networks' initial parameters and the batch.
    """
    for name, value, low in (("n_layers", n_layers, 2), ("width", width, 1), ("n_samples", n_samples, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}: expected an integer of at least {low}, got {value!r}")
    rng = _rng(seed)
    n_in, n_classes = 20, 5
    x = rng.standard_normal((n_samples, n_in))
    d = rng.integers(0, n_classes, n_samples)
    sizes = [n_in] + [width] * (n_layers - 1) + [n_classes]
    setups = {"sigmoid": "xavier", "relu": "he"}
    norms: dict[str, np.ndarray] = {}
    params: dict[str, dict[str, np.ndarray]] = {}
    for hidden, init in setups.items():
        net = Network(sizes, hidden=hidden, output="softmax", init=init, seed=rng, dtype="float64")
        grads = net.gradient(x, d)
        norms[hidden] = np.array([np.linalg.norm(grads[f"W{i}"]) for i in range(1, n_layers + 1)])
        params[hidden] = {k: v.copy() for k, v in net.params.items()}
    layers = np.arange(1, n_layers + 1)

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(6.4, 3.9)
        ax = fig.subplots()
        ax.semilogy(layers, norms["sigmoid"], "o-", color="tab:blue", lw=1.8,
                    label=_t("vanish_sigmoid", lang, init="Xavier"))
        ax.semilogy(layers, norms["relu"], "s-", color="tab:red", lw=1.8,
                    label=_t("vanish_relu", lang, init="He"))
        for hidden, color in (("sigmoid", "tab:blue"), ("relu", "tab:red")):
            ax.annotate(f"{norms[hidden][0]:.1e}", (1, norms[hidden][0]), textcoords="offset points",
                        xytext=(6, -3 if hidden == "sigmoid" else 6), fontsize=8, color=color)
        ax.set_xticks(layers)
        ax.set_xlabel(_t("layer", lang) + (" (1 = 入力側)" if lang == "ja" else " (1 = input side)"))
        ax.set_ylabel(_t("grad_norm", lang))
        ax.set_title(_t("vanish_title", lang, n=n_layers))
        ax.legend(loc="lower right")
        return fig, {"layers": layers, "norms": norms, "sizes": sizes, "init": setups, "params": params,
                     "x": x, "d": d}

    return _render(lang, out, dpi, draw)


# ---------------------------------------------------------------- numerical vs analytic gradient


def _count_params(sizes: Sequence[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def gradient_cost(
    *,
    hidden_sizes: Sequence[int] = (2, 4, 8, 16, 32, 64),
    n_samples: int = 16,
    repeats: int = 5,
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """数値微分 vs 誤差逆伝播法 (why back-propagation is used), on 4-h-h-3 networks for h in ``hidden_sizes``.

    For each network (float64, sigmoid hidden units, softmax output, ``n_samples`` samples) the
    central-difference gradient (``functions.numerical_gradient`` of ``net.loss`` over every parameter,
    2 forward passes per parameter) and the back-propagation gradient (``net.gradient``, one forward and
    one backward pass) are timed with ``time.perf_counter`` (back-propagation: the best of ``repeats``
    runs) and compared by the relative error ‖a − n‖ / (‖a‖ + ‖n‖) of ``nnscratch.gradcheck``, the
    largest over the parameter arrays. Left: the relative errors (all tiny: the two agree). Right: the
    times against the parameter count — the numerical gradient grows with it, back-propagation barely.
    ``fig.data`` holds ``n_params``, ``rel_error``, ``t_numerical``, ``t_backprop`` and ``ratio``.
    """
    hs = list(hidden_sizes)
    if not hs or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hs):
        raise ValueError(f"hidden_sizes: expected positive integers, got {hidden_sizes!r}")
    for name, value in (("n_samples", n_samples), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    rng = _rng(seed)
    x = rng.standard_normal((n_samples, 4))
    d = rng.integers(0, 3, n_samples)
    n_params, rel_err, t_num, t_bp = [], [], [], []
    for h in hs:
        net = Network([4, int(h), int(h), 3], hidden="sigmoid", output="softmax", init="xavier", seed=rng,
                      dtype="float64")
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            analytic = net.gradient(x, d)
            best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        def loss(_p: np.ndarray, net: Network = net) -> float:
            return net.loss(x, d)

        numeric = {key: F.numerical_gradient(loss, p, h=1e-5) for key, p in net.params.items()}
        t_num.append(time.perf_counter() - start)
        t_bp.append(best)
        rel_err.append(max(relative_error(analytic[k], numeric[k]) for k in analytic))
        n_params.append(_count_params(net.sizes))
    data = {
        "hidden_sizes": hs,
        "n_params": np.array(n_params),
        "rel_error": np.array(rel_err),
        "t_numerical": np.array(t_num),
        "t_backprop": np.array(t_bp),
    }
    data["ratio"] = data["t_numerical"] / data["t_backprop"]

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(9.0, 3.6)
        ax_e, ax_t = fig.subplots(1, 2)
        ax_e.loglog(data["n_params"], data["rel_error"], "o-", color="tab:purple", lw=1.6)
        ax_e.axhline(1e-7, color="tab:gray", ls="--", lw=1)
        ax_e.text(data["n_params"][0], 1.3e-7, "1e-7", fontsize=7, color="tab:gray")
        ax_e.set_ylim(min(1e-12, data["rel_error"].min() / 3), 1e-5)
        ax_e.set_xlabel(_t("n_params", lang))
        ax_e.set_ylabel(_t("rel_error", lang))
        ax_e.set_title(_t("agree_title", lang))
        ax_t.loglog(data["n_params"], data["t_numerical"], "o-", color="tab:orange", lw=1.8,
                    label=_t("numerical", lang))
        ax_t.loglog(data["n_params"], data["t_backprop"], "s-", color="tab:blue", lw=1.8,
                    label=_t("backprop", lang))
        ax_t.annotate(_t("ratio", lang, r=data["ratio"][-1]),
                      (data["n_params"][-1], data["t_numerical"][-1]), textcoords="offset points",
                      xytext=(-8, -14), ha="right", fontsize=8, color="tab:orange")
        ax_t.set_xlabel(_t("n_params", lang))
        ax_t.set_ylabel(_t("seconds", lang))
        ax_t.set_title(_t("cost_title", lang))
        ax_t.legend(loc="center right")
        return fig, data

    return _render(lang, out, dpi, draw)


# ---------------------------------------------------------------- one entry point for the CLI and scripts

_SEEDED = {
    "linear_vs_nonlinear", "network", "training_curves", "learning_rates", "batch_modes",
    "decision_boundary", "vanishing_gradients", "gradient_cost",
}


def draw(
    kind: str,
    out: str | Path | None = None,
    *,
    lang: str = "ja",
    layers: str | Sequence[int] | None = None,
    seed: int | None = None,
    dpi: float | None = None,
) -> Figure:
    """Draw the figure ``kind`` (one of ``KINDS``) with its defaults; what ``nnscratch plot`` runs.

    ``layers`` (sizes like ``"2-3-3-1"``) is for the ``network`` kind only; ``seed`` is passed to the
    kinds that draw random data or weights (for ``network`` it colours the edges by the weights of a
    network initialised with that seed).
    """
    if kind not in KINDS:
        raise ValueError(f"kind: unknown plot {kind!r}; expected one of {', '.join(KINDS)}")
    kwargs: dict[str, Any] = {"lang": lang, "out": out, "dpi": dpi}
    if layers is not None:
        if kind != "network":
            raise ValueError(f"layers: only the 'network' kind takes layer sizes, got kind {kind!r}")
        return network(layers, seed=seed, **kwargs)
    if seed is not None and kind in _SEEDED:
        kwargs["seed"] = seed
    return globals()[kind](**kwargs)
