"""Convolution against 『ゼロから作る Deep Learning』's own code, in float64: im2col and col2im, the
Convolution and Pooling layers and ch07's SimpleConvNet, on the same inputs and weights.

    git clone https://github.com/oreilly-japan/deep-learning-from-scratch BOOK
    python benchmarks/reference_zero_conv.py BOOK

Nothing of the book's code is in this repository: it is imported from the clone given. Prints the
largest difference of every compared quantity and exits with status 1 if one exceeds 1e-10.

Two known differences are left out, not hidden: the book's Pooling leaves its padding out of the
output size (``1 + (H − PH) / S``), so pooling is compared with padding 0; and its cross entropy adds
1e-7 inside the log (docs/course-differences.md), so its loss is compared after taking that term out,
computed exactly from the same outputs.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from nnscratch import functions as F
from nnscratch import layers as L
from nnscratch import presets

BAR = 1e-10
SIZES = [  # (N, C, H, W), filter FH × FW, stride, pad
    ((2, 3, 7, 7), 3, 3, 1, 0), ((2, 3, 7, 7), 3, 3, 2, 1), ((3, 1, 6, 5), 2, 3, 1, 2),
    ((1, 2, 9, 9), 5, 5, 2, 2),
]


def _book(path: str):
    sys.path.insert(0, os.path.abspath(path))
    sys.path.insert(0, os.path.join(os.path.abspath(path), "ch07"))
    from common import layers as book_layers  # noqa: PLC0415 - the clone given on the command line
    from common import util as book_util
    from simple_convnet import SimpleConvNet

    return book_util, book_layers, SimpleConvNet


def reshapes(book_util, rows: list) -> None:
    rng = np.random.default_rng(0)
    for shape, fh, fw, s, p in SIZES:
        x = rng.normal(size=shape)
        col = F.im2col(x, fh, fw, s, p)
        rows.append((f"im2col {shape}, {fh}×{fw}, S={s}, P={p}", book_util.im2col(x, fh, fw, s, p), col))
        c = rng.normal(size=col.shape)
        rows.append((f"col2im {shape}, {fh}×{fw}, S={s}, P={p}", book_util.col2im(c, shape, fh, fw, s, p),
                     F.col2im(c, shape, fh, fw, s, p)))


def convolution(book_layers, rows: list) -> None:
    rng = np.random.default_rng(1)
    for shape, fh, _, s, p in SIZES:
        n, c, h, _ = shape
        ours = L.Convolution(c, 4, fh, stride=s, pad=p, dtype="float64")
        W, b = rng.normal(size=(4, c, fh, fh)), rng.normal(size=4)
        ours.params.update(W=W.copy(), b=b.copy())
        theirs = book_layers.Convolution(W.copy(), b.copy(), s, p)
        x = rng.normal(size=shape)
        u_theirs, u_ours = theirs.forward(x), ours.forward(x)
        dout = rng.normal(size=u_ours.shape)
        name = f"Convolution {shape}, {fh}×{fh}, S={s}, P={p}"
        rows.append((f"{name} forward", u_theirs, u_ours))
        rows.append((f"{name} ∂E/∂x", theirs.backward(dout), ours.backward(dout)))
        rows.append((f"{name} ∂E/∂W", theirs.dW, ours.grads["W"]))
        rows.append((f"{name} ∂E/∂b", theirs.db, ours.grads["b"]))


def pooling(book_layers, rows: list) -> None:
    rng = np.random.default_rng(2)
    for shape, pool, stride in (((2, 3, 8, 8), 2, 2), ((2, 2, 7, 7), 3, 1), ((1, 3, 9, 9), 3, 3)):
        theirs, ours = book_layers.Pooling(pool, pool, stride), L.MaxPooling(pool, stride=stride)
        x = rng.normal(size=shape)
        y_theirs, y_ours = theirs.forward(x), ours.forward(x)
        dout = rng.normal(size=y_ours.shape)
        rows.append((f"Pooling (max) {shape}, {pool}×{pool}, S={stride} forward", y_theirs, y_ours))
        rows.append((f"Pooling (max) {shape}, {pool}×{pool}, S={stride} ∂E/∂x", theirs.backward(dout),
                     ours.backward(dout)))


def simple_convnet(SimpleConvNet, rows: list) -> None:
    rng = np.random.default_rng(3)
    x, t = rng.random((6, 1, 28, 28)), rng.integers(0, 10, 6)
    np.random.seed(0)  # the book draws its weights from the global generator
    theirs = SimpleConvNet(weight_init_std=0.1)
    ours = presets.simple_convnet(dtype="float64")
    for key, value in theirs.params.items():
        ours.params[key] = value.copy()
    grads_theirs, grads_ours = theirs.gradient(x, t), ours.gradient(x, t)
    for key in theirs.params:
        rows.append((f"SimpleConvNet ∂E/∂{key}", grads_theirs[key], grads_ours[key]))
    ours.forward(x)
    rows.append(("SimpleConvNet predict (scores before softmax)", theirs.predict(x), ours.output_layer.u))
    y = ours.predict(x)
    book_log = -np.mean(np.log(y[np.arange(6), t] + 1e-7)) + np.mean(np.log(y[np.arange(6), t]))
    rows.append(("SimpleConvNet loss (book's +1e-7 taken out)", np.array(theirs.loss(x, t) - book_log),
                 np.array(ours.loss(x, t))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("book", help="a clone of oreilly-japan/deep-learning-from-scratch")
    a = ap.parse_args(argv)
    book_util, book_layers, SimpleConvNet = _book(a.book)
    rows: list = []
    reshapes(book_util, rows)
    convolution(book_layers, rows)
    pooling(book_layers, rows)
    simple_convnet(SimpleConvNet, rows)
    worst = 0.0
    print("| quantity (float64) | largest difference |\n|---|---:|")
    for name, theirs, ours in rows:
        theirs, ours = np.asarray(theirs), np.asarray(ours)
        if theirs.shape != ours.shape:
            raise SystemExit(f"{name}: shapes differ, the book's {theirs.shape}, ours {ours.shape}")
        diff = float(np.max(np.abs(theirs - ours)))
        worst = max(worst, diff)
        print(f"| {name} | {diff:.1e} |")
    print(f"\n{len(rows)} quantities, worst {worst:.1e} (bar {BAR:g})")
    return 0 if worst <= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
