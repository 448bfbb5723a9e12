"""Where the figures train networks: every network a figure trains is built and trained here.

- :func:`run` — a :class:`~nnscratch.Model` from a :class:`~nnscratch.RunSpec`, trained on the figure's
  arrays (training curves, learning rates, decision boundaries), the library's one route from a
  specification to a trained network;
- :func:`losses_per_update` — step a ``Trainer`` by hand and record the loss after every single update
  (batch modes). ``train`` reports per epoch only, and its loop has no per-step hook on purpose (nothing
  but the step in the hot path), so the figure that is about single updates keeps its own loop.

``nnscratch.model`` and ``nnscratch.training`` are imported on first use: importing the plots (the CLI
does, for the list of kinds) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch.network import Network

if TYPE_CHECKING:  # pragma: no cover - typing only
    from nnscratch.model import Model


def run(x: np.ndarray, y: np.ndarray, **fields: Any) -> Model:
    """A :class:`~nnscratch.Model` of ``RunSpec(**fields)`` trained on the figure's arrays (x, y).

    The figures draw in the data's own coordinates, so the spec defaults to no preprocessing and to no
    validation or test part (a figure that wants one sets ``val_split``/``split_seed``); ``seed`` (an
    integer) seeds the initial weights and the batch order. A ``DivergenceError`` propagates.
    """
    from nnscratch.model import Model
    from nnscratch.spec import RunSpec

    settings = {"data": "figure", "preprocess": "none", "val_split": 0.0, "test_split": 0.0, **fields}
    return Model(RunSpec(**settings)).fit(x, y, name="figure")


def seed_from(rng: np.random.Generator) -> int:
    """An integer seed for a RunSpec, drawn from the figure's generator (so a caller's Generator moves on)."""
    return int(rng.integers(2**31))


def losses_per_update(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: str,
    lr: float,
    epochs: int,
    batch_size: int,
    order_seed: int,
) -> np.ndarray:
    """Train ``net`` in place with one ``Trainer.step`` per batch; the loss E on all of (x, y) before
    training and after every update.

    Each epoch walks a permutation drawn from ``numpy.random.default_rng(order_seed)``, so runs with
    different ``batch_size`` see the samples in the same order. The last batch of an epoch is smaller
    when ``batch_size`` does not divide N.
    """
    from nnscratch.training import Trainer

    trainer = Trainer(net, optimizer, lr)
    order_rng = np.random.default_rng(order_seed)
    n = x.shape[0]
    losses = [net.loss(x, y)]
    for _ in range(epochs):
        order = order_rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            trainer.step(x[idx], y[idx])
            losses.append(net.loss(x, y))
    return np.array(losses)


def digits_convnet(seed: int, epochs: int) -> dict[str, Any]:
    """A small SimpleConvNet trained on the 8×8 digits (pixels / 16, in [0, 1]), for the convolution
    figures: 8 filters 5×5 with padding 2 → ReLU → max pooling 2 → Affine 32 → ReLU → Affine 10, Adam
    (η = 0.01), batches of 50, ``epochs`` epochs on 1,400 digits of a fixed shuffle; about half a second
    for 10 epochs, 97 % on the 397 held out.

    Trained by :func:`nnscratch.training.train` itself (a RunSpec does not describe conv stacks here).
    Returns ``net``, ``W1_before`` (the filters as initialised), ``x_test``, ``y_test`` and ``accuracy``.
    """
    from nnscratch import datasets, presets
    from nnscratch.training import train

    digits = datasets.load("digits")
    order = np.random.default_rng(0).permutation(len(digits.y))
    x, y = digits.images()[order] / np.float32(16.0), np.asarray(digits.y)[order]
    net = presets.simple_convnet(input_shape=(1, 8, 8), filters=8, kernel=5, pad=2, hidden=32, seed=seed)
    before = net.params["W1"].copy()
    train(net, x[:1400], y[:1400], optimizer="adam", lr=0.01, epochs=epochs, batch_size=50, seed=seed)
    return {"net": net, "W1_before": before, "x_test": x[1400:], "y_test": y[1400:],
            "accuracy": float(net.accuracy(x[1400:], y[1400:]))}
