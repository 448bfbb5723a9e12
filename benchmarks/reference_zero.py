"""Day 2's layers against 『ゼロから作る Deep Learning』's own code, in float64: BatchNormalization,
Dropout and MultiLayerNetExtend (batch normalisation, dropout, weight decay) on the same weights,
inputs and masks.

    git clone https://github.com/oreilly-japan/deep-learning-from-scratch BOOK
    python benchmarks/reference_zero.py BOOK

Nothing of the book's code is in this repository: it is imported from the clone given. Prints the
largest difference of every compared quantity and exits with status 1 if one exceeds 1e-10. The book's
cross entropy adds 1e-7 inside the log (docs/course-differences.md); its loss is compared after taking
that term out, computed exactly from the same outputs.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import nnscratch
from nnscratch import layers as L

BAR = 1e-10


def _book(path: str):
    sys.path.insert(0, os.path.abspath(path))
    from common import layers as book_layers  # noqa: PLC0415 - the clone given on the command line
    from common.multi_layer_net_extend import MultiLayerNetExtend

    return book_layers, MultiLayerNetExtend


def batchnorm(book_layers, rows: list) -> None:
    rng = np.random.default_rng(0)
    x, dout = rng.normal(1, 2, (8, 5)), rng.normal(size=(8, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    theirs = book_layers.BatchNormalization(gamma.copy(), beta.copy())
    ours = L.BatchNormalization(5, dtype="float64")
    ours.params.update(gamma=gamma.copy(), beta=beta.copy())
    for step in range(3):  # three training passes: the running averages move the same way
        xs = x + step
        rows.append((f"BatchNormalization forward (train), pass {step + 1}",
                     theirs.forward(xs, train_flg=True), ours.forward(xs, train=True)))
        rows.append((f"BatchNormalization backward ∂E/∂x, pass {step + 1}", theirs.backward(dout),
                     ours.backward(dout)))
    rows.append(("BatchNormalization ∂E/∂γ", theirs.dgamma, ours.grads["gamma"]))
    rows.append(("BatchNormalization ∂E/∂β", theirs.dbeta, ours.grads["beta"]))
    rows.append(("BatchNormalization running mean", theirs.running_mean, ours.running_mean))
    rows.append(("BatchNormalization running variance", theirs.running_var, ours.running_var))
    rows.append(("BatchNormalization forward (evaluation)", theirs.forward(x, train_flg=False),
                 ours.forward(x, train=False)))
    x4 = rng.normal(size=(4, 2, 3, 3))
    theirs4 = book_layers.BatchNormalization(np.ones(18), np.zeros(18))
    ours4 = L.BatchNormalization(18, dtype="float64", per="activation")
    rows.append(("BatchNormalization 4-D (per activation) forward", theirs4.forward(x4, True),
                 ours4.forward(x4)))
    rows.append(("BatchNormalization 4-D backward", theirs4.backward(x4), ours4.backward(x4)))


def dropout(book_layers, rows: list) -> None:
    x, dout = np.random.default_rng(1).normal(size=(6, 7)), np.ones((6, 7))
    np.random.seed(0)
    theirs = book_layers.Dropout(0.3)
    ours = L.Dropout(0.3)
    y_theirs = theirs.forward(x, train_flg=True)
    ours.mask, ours.hold = theirs.mask.astype(float), True
    rows.append(("Dropout forward (train, the same mask)", y_theirs, ours.forward(x)))
    rows.append(("Dropout backward", theirs.backward(dout), ours.backward(dout)))
    rows.append(("Dropout forward (evaluation: × (1 − p))", theirs.forward(x, train_flg=False),
                 ours.forward(x, train=False)))


def network(MultiLayerNetExtend, rows: list) -> None:
    rng = np.random.default_rng(2)
    x, t = rng.normal(size=(10, 6)), rng.integers(0, 3, 10)
    for activation in ("relu", "sigmoid"):
        np.random.seed(1)
        theirs = MultiLayerNetExtend(6, [8, 7], 3, activation=activation, weight_init_std="he",
                                     weight_decay_lambda=0.1, use_dropout=True, dropout_ration=0.25,
                                     use_batchnorm=True)
        ours = nnscratch.Network.from_params(
            {k: v.copy() for k, v in theirs.params.items()}, hidden=activation, output="softmax",
            dtype="float64", batchnorm=True, dropout=0.25, l2=0.1)
        grads_theirs = theirs.gradient(x, t)  # one training pass: draws the book's masks
        drops = [layer for layer in ours.layers if isinstance(layer, L.Dropout)]
        book_drops = [v for k, v in theirs.layers.items() if k.startswith("Dropout")]
        for mine, book in zip(drops, book_drops, strict=True):
            mine.mask, mine.hold = book.mask.astype(float), True
        grads_ours = ours.gradient(x, t)
        for key in theirs.params:
            rows.append((f"MultiLayerNetExtend ({activation}) ∂E/∂{key}", grads_theirs[key], grads_ours[key]))
        y = ours.predict(x)  # evaluation: the running averages of the one training pass
        rows.append((f"MultiLayerNetExtend ({activation}) predict (evaluation)", theirs.predict(x),
                     y_logits(ours, x)))
        book_log = -np.mean(np.log(y[np.arange(10), t] + 1e-7)) + np.mean(np.log(y[np.arange(10), t]))
        rows.append((f"MultiLayerNetExtend ({activation}) loss incl. ½λΣW² (book's +1e-7 taken out)",
                     np.array(theirs.loss(x, t) - book_log), np.array(ours.loss(x, t))))


def y_logits(net, x):
    """The output layer's input u: the book's ``predict`` stops before softmax."""
    net.forward(x)
    return net.output_layer.u


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("book", help="a clone of oreilly-japan/deep-learning-from-scratch")
    a = ap.parse_args(argv)
    book_layers, MultiLayerNetExtend = _book(a.book)
    rows: list = []
    batchnorm(book_layers, rows)
    dropout(book_layers, rows)
    network(MultiLayerNetExtend, rows)
    worst = 0.0
    print("| quantity (float64) | largest difference |\n|---|---:|")
    for name, theirs, ours in rows:
        diff = float(np.max(np.abs(np.asarray(theirs) - np.asarray(ours))))
        worst = max(worst, diff)
        print(f"| {name} | {diff:.1e} |")
    print(f"\n{len(rows)} quantities, worst {worst:.1e} (bar {BAR:g})")
    return 0 if worst <= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
