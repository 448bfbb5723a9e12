"""平坦化 (Flatten): images (N, C, H, W) as rows (N, C·H·W) for the Affine layer that follows."""

from __future__ import annotations

import numpy as np

from nnscratch.layers.base import Layer, not_forwarded


class Flatten(Layer):
    """平坦化: each sample's C·H·W values in one row, in C order (channel, then row, then column) — what
    the book's Affine does with ``x.reshape(x.shape[0], -1)``; ``backward`` gives δ its shape back.
    No parameters.

    >>> flat = Flatten()
    >>> flat.forward(np.zeros((2, 3, 4, 5))).shape, flat.backward(np.zeros((2, 60))).shape
    ((2, 60), (2, 3, 4, 5))
    """

    def __init__(self) -> None:
        super().__init__()
        self.shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = np.asarray(x)
        self.shape = x.shape
        return np.array(x, order="C").reshape(len(x), -1)  # a C-order copy, then its rows

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.shape is None:
            raise not_forwarded(self)
        return np.array(dout, order="C").reshape(self.shape)
