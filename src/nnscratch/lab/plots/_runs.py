"""Where the figures train networks: every network a figure trains is built and trained here.

- :func:`run` — build a Network and train it with ``nnscratch.train`` (training curves, learning rates,
  decision boundaries): the one place to route through a run specification;
- :func:`losses_per_update` — step a ``Trainer`` by hand and record the loss after every single update
  (batch modes). ``train`` reports per epoch only, and its loop has no per-step hook on purpose (nothing
  but the step in the hot path), so the figure that is about single updates keeps its own loop.

``nnscratch.training`` is imported on first use, as before the split: importing the plots (the CLI does,
for the list of kinds) stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nnscratch.network import Network

if TYPE_CHECKING:  # pragma: no cover - typing only
    from nnscratch.training import History


def run(
    *,
    sizes: Sequence[int],
    hidden: str,
    output: str,
    optimizer: str,
    lr: float,
    epochs: int,
    batch_size: int | None,
    seed: int | np.random.Generator | None,
    x: np.ndarray,
    y: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Network, History]:
    """A ``Network(sizes, hidden, output)`` initialised from ``seed``, trained on (x, y) by ``train``.

    ``seed`` seeds both the initial weights and the order of the mini-batches; a Generator is used as it
    is (first the weights are drawn from it, then the permutations), so the caller's stream continues.
    ``batch_size=None`` is full-batch gradient descent; ``validation=(x_val, y_val)`` adds ``val_loss``
    (and ``val_accuracy``) to the history. A ``DivergenceError`` of ``train`` propagates.
    """
    from nnscratch.training import train

    net = Network(list(sizes), hidden=hidden, output=output, seed=seed)
    history = train(net, x, y, optimizer=optimizer, lr=lr, epochs=epochs, batch_size=batch_size,
                    seed=seed, validation_data=validation)
    return net, history


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
