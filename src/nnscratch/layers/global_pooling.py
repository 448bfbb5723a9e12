"""グローバルプーリング (Global pooling): each channel of an image reduced to one number, in place of
Flatten before the dense layers — the course's 最新のCNN: flatten vs global max/average pooling."""

from __future__ import annotations

import numpy as np

from nnscratch.layers.base import Layer, not_forwarded
from nnscratch.layers.convolution import images_for


class GlobalPooling(Layer):
    """A channel's H × W values to one: images (N, C, H, W) to rows (N, C), whatever H and W are. No
    parameters. Where Flatten hands the next Affine C·H·W inputs per image, a global pooling hands it C:
    the Affine has H·W times fewer weights, and the network takes images of any size."""

    def __init__(self) -> None:
        super().__init__()
        self.x_shape: tuple[int, ...] | None = None

    def _shape(self, dout: np.ndarray) -> tuple[int, ...]:
        if self.x_shape is None:
            raise not_forwarded(self)
        if np.shape(dout) != self.x_shape[:2]:
            raise ValueError(f"dout: expected shape {self.x_shape[:2]} (N, C), got {np.shape(dout)}")
        return self.x_shape


class GlobalAveragePooling(GlobalPooling):
    """グローバル平均プーリング (Global Average Pooling, GAP): y_nc = (1 / HW) Σ_ij x_ncij; backward gives
    every one of a channel's H·W inputs ∂E/∂x_ncij = δ_nc / (HW).

    >>> gap = GlobalAveragePooling()
    >>> gap.forward(np.arange(8.0).reshape(1, 2, 2, 2)).tolist()
    [[1.5, 5.5]]
    >>> gap.backward(np.array([[4.0, 8.0]]))[0].tolist()
    [[[1.0, 1.0], [1.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]]]
    """

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = images_for(self, x, None)
        self.x_shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, c, h, w = self._shape(dout)
        share = np.asarray(dout) / np.asarray(dout).dtype.type(h * w)
        return np.broadcast_to(share[:, :, None, None], (n, c, h, w)).copy()


class GlobalMaxPooling(GlobalPooling):
    """グローバル最大プーリング (Global Max Pooling): y_nc = max_ij x_ncij; backward hands δ_nc to the
    channel's largest input alone (the first in C order, on a tie, as MaxPooling does).

    >>> gmp = GlobalMaxPooling()
    >>> gmp.forward(np.array([[[[1.0, 3.0], [3.0, 2.0]]]])).tolist()
    [[3.0]]
    >>> gmp.backward(np.array([[5.0]]))[0, 0].tolist()
    [[0.0, 5.0], [0.0, 0.0]]
    """

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = images_for(self, x, None)
        self.x_shape = x.shape
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        self.argmax = flat.argmax(axis=2)  # the first maximum of each channel
        return np.take_along_axis(flat, self.argmax[:, :, None], axis=2)[:, :, 0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, c, h, w = self._shape(dout)
        dx = np.zeros((n, c, h * w), dtype=np.asarray(dout).dtype)
        np.put_along_axis(dx, self.argmax[:, :, None], np.asarray(dout)[:, :, None], axis=2)
        return dx.reshape(n, c, h, w)
