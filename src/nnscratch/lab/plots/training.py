"""Training, watched: 学習曲線 (``training_curves``), 学習率 (``learning_rates``), バッチ / ミニバッチ /
オンライン (``batch_modes``) and ミニバッチ勾配降下法's updates (``minibatch_update``). The networks are
trained in :mod:`nnscratch.lab.plots._runs`; ``minibatch_update``'s numbers and panels are computed and
drawn in :mod:`nnscratch.lab.plots._minibatch`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import nnscratch.lab.plots._minibatch as _minibatch
from nnscratch.lab.plots._common import _check_int, _new_figure, _render, _rng, _t
from nnscratch.lab.plots._runs import losses_per_update, run, seed_from
from nnscratch.network import Network

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure


def _demo_history(seed: int | np.random.Generator | None) -> tuple[Any, str]:
    """A small classification run with validation data: moons, 2-16-16-2, Adam, 60 epochs."""
    from nnscratch import datasets

    rng = _rng(seed)
    data = datasets.moons(n_samples=300, noise=0.3, seed=rng)
    model = run(data.x, data.y, hidden_sizes=(16, 16), hidden="relu", optimizer="adam", lr=0.01, epochs=60,
                batch_size=16, val_split=0.3, test_split=0.1, split_seed=seed_from(rng), seed=seed_from(rng))
    return model.history, "moons 2-16-16-2, Adam lr=0.01"


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

    >>> import nnscratch
    >>> fig = nnscratch.plot.training_curves({"loss": [0.9, 0.5, 0.3], "accuracy": [0.6, 0.8, 0.9]})
    >>> fig.data["curves"]["loss"].tolist()
    [0.9, 0.5, 0.3]
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
                values = curves[key] * (100 if label == "accuracy" else 1)  # accuracy in %, as printed
                if values.size:
                    ax.plot(np.arange(1, values.size + 1), values, style, lw=1.8, label=_t(name, lang),
                            color="tab:blue" if name == "train" else "tab:orange")
            ax.set_xlabel(_t("epoch", lang))
            ax.set_title(_t(label, lang) + (" [%]" if label == "accuracy" else ""))
            ax.legend()
        if curves["loss"].min() > 0 and curves["loss"].max() / curves["loss"].min() > 100:
            axes[0].set_yscale("log")
        if show_lr:
            ax = axes[-1]
            ax.plot(np.arange(1, curves["lr"].size + 1), curves["lr"], color="tab:green", lw=1.8)
            ax.set_xlabel(_t("epoch", lang))
            ax.set_title(_t("learning_rate", lang) + (" $\\varepsilon$" if lang == "ja" else " η"))
        if title:
            fig.suptitle(title)
        return fig, {"curves": curves, "title": title}

    return _render(lang, out, dpi, draw)


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
    from nnscratch.training import DivergenceError

    rates = [float(r) for r in lrs]
    if len(rates) != 3 or not all(np.isfinite(r) and r > 0 for r in rates) or sorted(rates) != rates:
        raise ValueError(
            f"lrs: expected three increasing positive learning rates (small, good, large), got {lrs!r}"
        )
    rng = _rng(seed)
    data = datasets.linear(n_samples=n_samples, seed=rng)
    x, d = data.x, data.y[:, None]
    runs: dict[float, dict[str, Any]] = {}
    start = seed_from(rng)  # every rate starts from the same initial weights
    for lr in rates:
        try:
            model = run(x, d, hidden_sizes=(10,), hidden="tanh", optimizer="sgd", lr=lr, epochs=epochs,
                        batch_size=None, seed=start)
            runs[lr] = {"loss": np.array(model.history.loss), "diverged_at": None}
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
        return fig, {"lrs": rates, "runs": runs, "sizes": [2, 10, 1], "epochs": epochs}

    return _render(lang, out, dpi, draw)


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

    for name, value in (("batch_size", batch_size), ("epochs", epochs), ("n_samples", n_samples)):
        _check_int(name, value)
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
        # the same initial weights and the same permutations (order_seed) for every mode
        losses = losses_per_update(init.copy(), x, d, optimizer="sgd", lr=lr, epochs=epochs, batch_size=bs,
                                   order_seed=order_seed)
        per_epoch = -(-n_samples // bs)
        updates = np.arange(len(losses))
        results[mode] = {"updates": updates, "epochs": updates / per_epoch, "loss": losses, "batch_size": bs}

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


def minibatch_update(
    *,
    n_samples: int = 12,
    batch_size: int = 3,
    lr: float = 1.5,
    epochs: int = 3,
    noise: float = 0.5,
    start: Sequence[float] = (0.0, 3.5),
    lang: str = "ja",
    out: str | Path | None = None,
    seed: int | np.random.Generator | None = 0,
    dpi: float | None = None,
) -> Figure:
    """ミニバッチ勾配降下法の更新 (the course's P69): w⁽ᵗ⁺¹⁾ = w⁽ᵗ⁾ − ε∇E_t for each mini-batch D_t.

    The course's regression f(x) = 3·x₀ + 2·x₁ (``n_samples`` points x uniform in [0, 1)², N(0, ``noise``²)
    added to the targets so that the mini-batches disagree a little, as real data do) fitted by the
    smallest model whose weights can be drawn, y = x·w with two weights (identity output, 二乗和誤差
    E_n = ½(y_n − d_n)²), so that every w⁽ᵗ⁾ is a point of the plane. Each epoch shuffles the data
    (seeded) and cuts it into mini-batches D_t of ``batch_size`` samples; update t uses only D_t:
    E_t = (1/N_t) Σ_{n∈D_t} E_n, ∇E_t = xᵀ·(y − d)/N_t (``functions.d_mean_squared_error``), and
    w⁽ᵗ⁺¹⁾ = w⁽ᵗ⁾ − ε∇E_t with ε = ``lr``.

    Left: the first epoch as the answer to P69 draws it — the training data cut into D_1 … D_T and one
    update w⁽ᵗ⁾ → w⁽ᵗ⁺¹⁾ per mini-batch. Right: the same updates on the contour lines of the error on all
    the training data, coloured by mini-batch; each arrow points down E_t, not down E, which is why the
    path zigzags. ``fig.data`` holds ``w`` (the points w⁽¹⁾ …, one row each), ``batches`` (the sample
    indices of every D_t, in order), ``grads`` (∇E_t), ``loss`` (E on all data at each w⁽ᵗ⁾), ``x``,
    ``d``, ``lr``, ``batches_per_epoch`` and ``minimum`` (where E on all the data is smallest).

    >>> import nnscratch
    >>> fig = nnscratch.plot.minibatch_update(lang="en")
    >>> fig.data["w"].shape, fig.data["batches_per_epoch"]
    ((13, 2), 4)
    """
    from nnscratch import datasets

    w0 = _minibatch.check_args(n_samples, batch_size, lr, epochs, start)
    rng = _rng(seed)
    data = datasets.linear(n_samples=n_samples, noise=noise, seed=rng)
    x, d = data.x.astype(np.float64), data.y.astype(np.float64)[:, None]
    best = np.linalg.lstsq(x, d[:, 0], rcond=None)[0]  # where E on all the data is smallest
    per_epoch = -(-n_samples // batch_size)
    path_arr, batches, grads, losses = _minibatch.descent(x, d, w0, lr, epochs, batch_size, rng)
    grid = _minibatch.error_surface(x, d, path_arr, best)

    def draw(lang: str) -> tuple[Figure, dict]:
        fig = _new_figure(11.0, 4.9)
        ax_s, ax_w = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1.0]})
        _minibatch.draw_scheme(ax_s, batches, per_epoch, n_samples, batch_size, lang)
        _minibatch.draw_path(ax_w, grid, path_arr, len(batches), per_epoch, best, epochs, lang)
        fig.suptitle(_t("mb_title", lang, lr=lr))
        return fig, {"w": path_arr, "batches": [b.copy() for b in batches], "grads": np.array(grads),
                     "loss": np.array(losses), "x": x, "d": d, "lr": lr, "batches_per_epoch": per_epoch,
                     "minimum": best}

    return _render(lang, out, dpi, draw)

