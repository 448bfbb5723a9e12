"""Functions and their graphs: 活性化関数 and 導関数 (``activations``), 線形と非線形
(``linear_vs_nonlinear``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnscratch import functions as F
from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _rng, _t
from nnscratch.network import Network

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure


def activations(
    *, lang: str = "ja", out: str | Path | None = None, u_max: float = 5.0, alpha: float = 0.1,
    dpi: float | None = None,
) -> Figure:
    """活性化関数 f(u) (left) and their derivatives 導関数 f'(u) (right) for u in [−u_max, u_max].

    Drawn from ``nnscratch.functions``: step_function, sigmoid, tanh, relu, leaky_relu(u, alpha) and
    d_step_function, d_sigmoid, d_tanh, d_relu, d_leaky_relu. ``fig.data`` holds ``u`` and, per name,
    ``f[name]`` and ``df[name]``. ``alpha`` is leaky ReLU's slope for u < 0 (0.1 so that it shows).

    >>> import nnscratch
    >>> fig = nnscratch.plot.activations(lang="en")     # in a notebook: shown as an image
    >>> float(fig.data["f"]["sigmoid"][fig.data["u"].size // 2])   # σ(0) = 0.5
    0.5
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
    _check_int("hidden_units", hidden_units)
    x = np.linspace(-3, 3, 301)
    linear = {"y = 2x": 2 * x, "y = 0.5x + 1": 0.5 * x + 1, "y = −x − 1": -x - 1}
    nonlinear = {"y = sigmoid(x)": F.sigmoid(x), "y = x² / 4": x**2 / 4, "y = sin(x)": np.sin(x)}
    net_relu = Network([1, hidden_units, 1], hidden="relu", init=1.0, seed=seed, dtype="float64")
    rng = _rng(seed)  # an int seeds its own stream for the biases; a Generator continues
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
