"""Named networks (プリセット): the convolutional networks of the course and 『ゼロから作る Deep Learning』,
each a :class:`~nnscratch.Sequential` of readable layers with the book's parameter keys.

- :func:`simple_convnet` — ch07 ``SimpleConvNet`` and the course's 2_6: conv → ReLU → pool → Affine →
  ReLU → Affine → softmax (W1…W3).
- :func:`double_convnet` — the course's 2_7 ``DoubleConvNet``: two conv → ReLU → pool blocks (W1…W4).
- :func:`deep_convnet` — ch08 ``DeepConvNet`` and the course's 2_8: six 3×3 convolutions with He
  initialisation, three poolings, Affine, dropout (W1…W8).

>>> from nnscratch import presets
>>> net = presets.simple_convnet()
>>> sorted(net.params), net.params["W1"].shape, net.params["W2"].shape
(['W1', 'W2', 'W3', 'b1', 'b2', 'b3'], (30, 1, 5, 5), (4320, 100))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnscratch import layers as L
from nnscratch._arch import check_count
from nnscratch.functions import conv_output_size
from nnscratch.network import Sequential

__all__ = ["simple_convnet", "double_convnet", "deep_convnet"]


def _image_shape(input_shape: object) -> tuple[int, int, int]:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape: expected (C, H, W) such as (1, 28, 28), got {input_shape!r}")
    c, h, w = (check_count("input_shape", v) for v in input_shape)
    return c, h, w


class _Stack:
    """Layers appended in order, with the image shape (C, H, W) they give so far."""

    def __init__(self, input_shape: object, init: str | float) -> None:
        self.shape = _image_shape(input_shape)
        self.init = init
        self.layers: list = []

    def conv(self, filters: int, kernel: int, stride: int = 1, pad: int = 0) -> None:
        c, h, w = self.shape
        self.layers += [L.Convolution(c, filters, kernel, stride, pad, init=self.init), L.ReLU()]
        self.shape = (filters, conv_output_size(h, kernel, stride, pad),
                      conv_output_size(w, kernel, stride, pad))

    def pool(self, size: int = 2) -> None:
        c, h, w = self.shape
        self.layers.append(L.MaxPooling(size))
        self.shape = (c, conv_output_size(h, size, size, 0), conv_output_size(w, size, size, 0))

    def dense(self, widths: Sequence[int], dropout: float = 0.0) -> None:
        """Flatten, then Affine → ReLU (→ Dropout) per hidden width, the last Affine (→ Dropout) and softmax
        with cross entropy (交差エントロピー誤差)."""
        n_in = int(np.prod(self.shape))
        self.layers.append(L.Flatten())
        for i, width in enumerate(widths):
            self.layers.append(L.Affine(n_in, check_count("hidden", width), init=self.init))
            if i < len(widths) - 1:
                self.layers.append(L.ReLU())
            if dropout:
                self.layers.append(L.Dropout(dropout))
            n_in = width
        self.layers.append(L.SoftmaxCrossEntropy())


def simple_convnet(input_shape: tuple[int, int, int] = (1, 28, 28), filters: int = 30, kernel: int = 5,
                   stride: int = 1, pad: int = 0, hidden: int = 100, classes: int = 10, seed: int = 0,
                   dtype: str = "float32", init: str | float = "he") -> Sequential:
    """単純な CNN (SimpleConvNet, 『ゼロから作る』 7.5; the course's 2_6):

        Convolution(C → filters, kernel, stride, pad) → ReLU → MaxPooling(2) → Flatten →
        Affine(→ hidden) → ReLU → Affine(→ classes) → softmax + cross entropy

    keys W1, b1 (the filters, (filters, C, kernel, kernel)), W2, b2, W3, b3 as the book's. ``init``: He
    (σ = √(2 / fan-in), fan-in C·FH·FW for a filter), ``"xavier"``, or a standard deviation — the book's
    ``weight_init_std=0.01`` is ``init=0.01``. (On mnist5k, 4,000 images, 10 epochs of Adam, He reaches
    95.0 % and 0.01 92.8 %: ``benchmarks/bench_conv.py``.)
    """
    stack = _Stack(input_shape, init)
    stack.conv(filters, kernel, stride, pad)
    stack.pool(2)
    stack.dense([hidden, classes])
    return Sequential(stack.layers, seed=seed, dtype=dtype)


def double_convnet(input_shape: tuple[int, int, int] = (1, 28, 28), filters: tuple[int, int] = (10, 20),
                   kernels: tuple[int, int] = (7, 3), pads: tuple[int, int] = (1, 1), hidden: int = 100,
                   classes: int = 10, seed: int = 0, dtype: str = "float32",
                   init: str | float = "he") -> Sequential:
    """The course's 2_7 ``DoubleConvNet``: two convolution blocks, then two Affine layers,

        [Convolution → ReLU → MaxPooling(2)] × 2 → Flatten → Affine(→ hidden) → ReLU → Affine(→ classes)
        → softmax + cross entropy

    with the course's sizes: 10 filters 7×7 and 20 filters 3×3, padding 1, stride 1; on 28×28 images
    28 → 24 → 12 → 12 → 6, so W3 is (20·6·6, 100). Keys W1…W4; ``init`` He, or the course's
    ``weight_init_std=0.01`` as ``init=0.01``.
    """
    if len({len(filters), len(kernels), len(pads)}) != 1:
        raise ValueError(f"filters/kernels/pads: expected one value per convolution each, got {filters!r}, "
                         f"{kernels!r}, {pads!r}")
    stack = _Stack(input_shape, init)
    for n, k, p in zip(filters, kernels, pads, strict=True):
        stack.conv(n, k, 1, p)
        stack.pool(2)
    stack.dense([hidden, classes])
    return Sequential(stack.layers, seed=seed, dtype=dtype)


def deep_convnet(input_shape: tuple[int, int, int] = (1, 28, 28),
                 filters: tuple[int, ...] = (16, 16, 32, 32, 64, 64),
                 pads: tuple[int, ...] = (1, 1, 1, 2, 1, 1), hidden: int = 50, classes: int = 10,
                 dropout: float = 0.5, seed: int = 0, dtype: str = "float32") -> Sequential:
    """認識率 99 % 以上の CNN (DeepConvNet, 『ゼロから作る』 8.1; the course's 2_8): six 3×3 convolutions
    with He initialisation (Heの初期値, σ = √(2 / fan-in)), a max pooling after every second one,

        [Conv → ReLU → Conv → ReLU → MaxPooling(2)] × 3 → Flatten → Affine(→ hidden) → ReLU → Dropout
        → Affine(→ classes) → Dropout → softmax + cross entropy

    as the book's layout, dropout (ドロップアウト, the course's form) 0.5. On 28×28 images the fourth
    convolution's padding 2 makes 14 → 16, so the sizes run 28 → 14 → 8 → 4 and W7 is (64·4·4, 50).
    Keys W1…W8.
    """
    if len(filters) != 6 or len(pads) != 6:
        raise ValueError(f"filters/pads: expected six values each (six 3×3 convolutions), got {filters!r}, "
                         f"{pads!r}")
    stack = _Stack(input_shape, "he")
    for i, (n, p) in enumerate(zip(filters, pads, strict=True)):
        stack.conv(n, 3, 1, p)
        if i % 2:
            stack.pool(2)
    stack.dense([hidden, classes], dropout=dropout)
    return Sequential(stack.layers, seed=seed, dtype=dtype)
