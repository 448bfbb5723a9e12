"""The metrics of a trained network on a data set: loss (誤差), 正解率 (accuracy), or RMSE and R² for
regression — computed in chunks of rows, one evaluation pass each (a big data set is never run through
the network at once: its hidden activations would not fit). A chunk holds about 64 MB of activations
(:func:`nnscratch.network.shapes.chunk_rows`: 8,192 rows of a small dense network, a few hundred
MNIST images of a convolutional one)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnscratch.network.shapes import MOST_ROWS, chunk_rows

__all__ = ["scores", "CHUNK"]

CHUNK = MOST_ROWS  # rows per forward pass at most; fewer when the activations of a row are large


def scores(net, decode: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y_model: np.ndarray
           ) -> dict[str, float]:
    """``{"loss", "accuracy" | "rmse", "r2", "samples"}`` of ``net`` on validated rows ``x`` and targets
    ``y_model`` as the network reads them; ``decode`` turns network outputs into the target's units.
    The loss includes the network's l1/l2 penalty, as :meth:`~nnscratch.Sequential.loss` does."""
    n = len(x)
    if n == 0:
        return {}
    loss = correct = 0.0
    preds = []
    rows = min(CHUNK, chunk_rows(net, np.shape(x)[1:]))
    for s in range(0, n, rows):
        xc = net.check_x(x[s:s + rows])[0]
        yc = net.check_d(y_model[s:s + rows], len(xc))
        with np.errstate(over="ignore", invalid="ignore"):
            out = net._evaluated(xc)
            loss += out.loss(yc) * len(xc)
        if net.output != "identity":
            correct += net.hit_rate(yc, out.y) * len(xc)
        else:
            preds.append(out.y.reshape(len(xc), -1).copy())
    out_scores = {"loss": float(loss / n + net.penalty())}
    if net.output != "identity":
        out_scores["accuracy"] = float(correct / n)
    else:
        pred = decode(np.concatenate(preds)).reshape(n, -1)
        truth = decode(y_model).reshape(n, -1)
        err = pred - truth
        out_scores["rmse"] = float(np.sqrt(np.mean(err**2)))
        ss_tot = float(np.sum((truth - truth.mean(axis=0)) ** 2))
        out_scores["r2"] = float(1 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan")
    out_scores["samples"] = int(n)
    return out_scores
