"""Gradients: 勾配消失 (``vanishing_gradients``) and 数値微分 vs 誤差逆伝播法 (``gradient_cost``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnscratch import functions as F
from nnscratch.gradcheck import relative_error
from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _rng, _t
from nnscratch.network import Network

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure


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
        _check_int(name, value, low)
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


def _count_params(sizes: Sequence[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def _time_gradients(net: Network, x: np.ndarray, d: np.ndarray, repeats: int) -> tuple[float, float, float]:
    """(best of ``repeats`` back-propagation times, the numerical gradient's time, their largest relative
    error over the parameter arrays) for one network; times in seconds by ``time.perf_counter``."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        analytic = net.gradient(x, d)
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()

    def loss(_p: np.ndarray) -> float:  # numerical_gradient perturbs the parameter array in place
        return net.loss(x, d)

    numeric = {key: F.numerical_gradient(loss, p, h=1e-5) for key, p in net.params.items()}
    seconds = time.perf_counter() - start
    return best, seconds, max(relative_error(analytic[k], numeric[k]) for k in analytic)


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

    >>> import nnscratch
    >>> fig = nnscratch.plot.gradient_cost(hidden_sizes=(2, 4), repeats=1)   # doctest: +SKIP
    >>> fig.data["rel_error"]                                               # doctest: +SKIP
    """
    hs = list(hidden_sizes)
    if not hs or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hs):
        raise ValueError(f"hidden_sizes: expected positive integers, got {hidden_sizes!r}")
    for name, value in (("n_samples", n_samples), ("repeats", repeats)):
        _check_int(name, value)
    rng = _rng(seed)
    x = rng.standard_normal((n_samples, 4))
    d = rng.integers(0, 3, n_samples)
    n_params, rel_err, t_num, t_bp = [], [], [], []
    for h in hs:
        net = Network([4, int(h), int(h), 3], hidden="sigmoid", output="softmax", init="xavier", seed=rng,
                      dtype="float64")
        best, seconds, err = _time_gradients(net, x, d, repeats)
        t_num.append(seconds)
        t_bp.append(best)
        rel_err.append(err)
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
