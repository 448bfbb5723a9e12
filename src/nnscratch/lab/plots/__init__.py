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
- ``minibatch_update`` — ミニバッチ勾配降下法 (P69's answer as a figure): the data cut into mini-batches D_t
  and one update w⁽ᵗ⁾ → w⁽ᵗ⁺¹⁾ = w⁽ᵗ⁾ − ε∇E_t per mini-batch, drawn as a scheme and as a path of w;
- ``decision_boundary`` — 決定境界 of trained networks on 2-D data sets;
- ``vanishing_gradients`` — 勾配消失: ‖∂E/∂W_l‖ per layer at initialisation, sigmoid against ReLU;
- ``activation_histograms`` — 重みの初期値 (Day 2): each layer's output histogram of a 5-layer network
  of 100 units for sigmoid and ReLU with σ = 1, 0.01, Xavier and He (『ゼロから作る』 6.2);
- ``gradient_cost`` — 数値微分 vs 誤差逆伝播法: agreement and time as the parameter count grows;
- ``discriminative_vs_generative`` — 識別モデル vs 生成モデル: an MLP's boundary, a Gaussian classifier's
  class densities and boundary, and the points it generates;
- ``data_size`` — test accuracy against training-set size for QDA, LDA, logistic regression and an MLP;
- ``vae_samples``, ``vae_reconstructions``, ``vae_latent``, ``vae_walk`` — a VAE on the 8×8 digits:
  generated digits, reconstructions, the 2-D latent space, a walk across it;
- ``conv_output_size`` — 出力サイズ OH = (H + 2P − FH) / S + 1 drawn: the padded input, the filter sliding
  with stride S, the output grid (the course's confirmation tests 6×6 → 7×7 and 5×5 → 3×3);
- ``conv_filters`` — the first convolution's filters (フィルター) before and after training;
- ``feature_maps`` — 特徴マップ: one image through every layer of a conv net, channel by channel.

Figures of a sweep's results (they take a ``SweepResult``, so they are not ``KINDS``): ``sweep_scores``
(検証誤差 against each swept number, diverged trials marked) and ``sweep_curves`` (the best trials'
learning curves overlaid). Figures of runs the caller made: ``accuracy_curves`` (正解率 of several runs side
by side, training and test, the course's Day 2 exercises).

matplotlib is imported inside the functions only, and figures are drawn on an Agg canvas of their own:
neither importing this module nor drawing changes pyplot's backend or the global rcParams. In Jupyter a
returned figure shows as one PNG (without ``%matplotlib inline``, and never twice); for Japanese text in
your own pyplot figures call ``nnscratch.lab.japanese_fonts()``.

Layout: ``_common`` (labels in both languages, style, figure creation and saving, argument checks),
``functions`` (activations, linear_vs_nonlinear), ``diagram`` (network), ``training`` (training_curves,
learning_rates, batch_modes, minibatch_update), ``comparison`` (accuracy_curves), ``boundaries``
(decision_boundary), ``gradients`` (vanishing_gradients, gradient_cost), ``initialization``
(activation_histograms), ``generative`` (discriminative_vs_generative, data_size), ``vae`` (the VAE
figures), ``convolution`` (conv_output_size, conv_filters, feature_maps), and ``_runs``, where every
network a figure trains is built and trained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnscratch.lab.plots._common import LANGS
from nnscratch.lab.plots.boundaries import DATASETS_2D, decision_boundary
from nnscratch.lab.plots.comparison import accuracy_curves
from nnscratch.lab.plots.convolution import conv_filters, conv_output_size, feature_maps
from nnscratch.lab.plots.diagram import network
from nnscratch.lab.plots.functions import activations, linear_vs_nonlinear
from nnscratch.lab.plots.generative import data_size, discriminative_vs_generative
from nnscratch.lab.plots.gradients import gradient_cost, vanishing_gradients
from nnscratch.lab.plots.initialization import activation_histograms
from nnscratch.lab.plots.sweeps import sweep_curves, sweep_scores
from nnscratch.lab.plots.training import batch_modes, learning_rates, minibatch_update, training_curves
from nnscratch.lab.plots.vae import vae_latent, vae_reconstructions, vae_samples, vae_walk

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

__all__ = [
    "KINDS",
    "LANGS",
    "DATASETS_2D",
    "draw",
    "activations",
    "linear_vs_nonlinear",
    "network",
    "training_curves",
    "learning_rates",
    "batch_modes",
    "minibatch_update",
    "decision_boundary",
    "vanishing_gradients",
    "activation_histograms",
    "gradient_cost",
    "sweep_scores",
    "sweep_curves",
    "accuracy_curves",
    "discriminative_vs_generative",
    "data_size",
    "vae_samples",
    "vae_reconstructions",
    "vae_latent",
    "vae_walk",
    "conv_output_size",
    "conv_filters",
    "feature_maps",
]

# kind -> the function that draws it, in the order of the tutorial
_DRAW: dict[str, Callable[..., Figure]] = {
    "activations": activations,
    "linear_vs_nonlinear": linear_vs_nonlinear,
    "network": network,
    "training_curves": training_curves,
    "learning_rates": learning_rates,
    "batch_modes": batch_modes,
    "minibatch_update": minibatch_update,
    "decision_boundary": decision_boundary,
    "vanishing_gradients": vanishing_gradients,
    "activation_histograms": activation_histograms,
    "gradient_cost": gradient_cost,
    "discriminative_vs_generative": discriminative_vs_generative,
    "data_size": data_size,
    "vae_samples": vae_samples,
    "vae_reconstructions": vae_reconstructions,
    "vae_latent": vae_latent,
    "vae_walk": vae_walk,
    "conv_output_size": conv_output_size,
    "conv_filters": conv_filters,
    "feature_maps": feature_maps,
}
KINDS = tuple(_DRAW)
# the kinds that draw random data or weights
_SEEDED = frozenset(KINDS) - {"activations", "conv_output_size"}


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

    >>> import nnscratch
    >>> fig = nnscratch.plot.draw("network", layers="2-3-3-1", seed=0, lang="en")
    >>> fig.data["sizes"]
    [2, 3, 3, 1]
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
    return _DRAW[kind](**kwargs)
