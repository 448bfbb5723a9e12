"""プーリング層 (Pooling): each window of an image reduced to one number — its maximum or its mean."""

from __future__ import annotations

import numpy as np

from nnscratch.functions import col2im, conv_output_size, im2col
from nnscratch.layers.base import Layer, not_forwarded
from nnscratch.layers.convolution import check_images, check_kernel


class Pooling(Layer):
    """A pooling layer (プーリング層) over windows PH × PW with stride S (default: the pool size, so the
    windows do not overlap) and padding P, channel by channel; no parameters. OH = (H + 2P − PH) / S + 1.

    As in 『ゼロから作る』 7.4.4, im2col puts every window in a row ((N·OH·OW·C, PH·PW) after a
    reshape), the row is reduced, and ``backward`` spreads each δ over its window's row and col2im adds
    the rows back onto the image. A subclass gives ``fill`` (the padding's value), ``reduce`` and
    ``spread``.
    """

    fill = 0.0

    def __init__(self, pool: int | tuple[int, int], stride: int | None = None, pad: int = 0) -> None:
        super().__init__()
        self.pool = check_kernel("pool", pool)
        if stride is None and self.pool[0] != self.pool[1]:
            raise ValueError(f"stride: a pool of {self.pool} is not square; give the stride, e.g. stride=2")
        stride = self.pool[0] if stride is None else stride
        if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride <= 0:
            raise ValueError(f"stride: expected a positive integer (e.g. stride=2) or None, got {stride!r}")
        if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
            raise ValueError(f"pad: expected an integer ≥ 0 (e.g. pad=0), got {pad!r}")
        self.stride, self.pad = int(stride), int(pad)
        self.x_shape: tuple[int, ...] | None = None

    @staticmethod
    def size_of(config: dict) -> float:
        return 0.0  # no parameters

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = check_images(self, x, None)
        x = x if x.dtype.kind == "f" else x.astype(np.float64)
        (n, c, h, w), (ph, pw), s, p = x.shape, self.pool, self.stride, self.pad
        oh, ow = conv_output_size(h, ph, s, p), conv_output_size(w, pw, s, p)
        self.x_shape = x.shape
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill) if p else x
        windows = im2col(padded, ph, pw, s).reshape(-1, ph * pw)  # one window a row: (n, i, j, c)
        out = self.reduce(windows)
        return out.reshape(n, oh, ow, c).transpose(0, 3, 1, 2)  # (N, C, OH, OW)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.x_shape is None:
            raise not_forwarded(self)
        (n, c, h, w), (ph, pw), s, p = self.x_shape, self.pool, self.stride, self.pad
        dwindows = self.spread(dout.transpose(0, 2, 3, 1).reshape(-1))  # (N·OH·OW·C, PH·PW)
        dcol = dwindows.reshape(-1, c * ph * pw)  # back to im2col's rows (n, i, j)
        dx = col2im(dcol, (n, c, h + 2 * p, w + 2 * p), ph, pw, s)
        return dx[:, :, p : p + h, p : p + w] if p else dx

    def reduce(self, windows: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def spread(self, delta: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def config(self) -> dict:
        pool = self.pool[0] if self.pool[0] == self.pool[1] else list(self.pool)
        return {"type": type(self).__name__, "pool": pool, "stride": self.stride, "pad": self.pad}


class MaxPooling(Pooling):
    """Max プーリング: y = max of each window; backward hands δ to the window's largest input alone
    (the first, on a tie, as ``np.argmax``), ∂E/∂x = δ there and 0 elsewhere. Padding is −∞ here, so it
    never wins (PyTorch's; the book pads with 0).

    >>> pool = MaxPooling(2)
    >>> pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    >>> pool.backward(np.ones((1, 1, 2, 2)))[0, 0, :2].tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """

    fill = -np.inf

    def reduce(self, windows: np.ndarray) -> np.ndarray:
        self.arg_max = np.argmax(windows, axis=1)  # where each window's maximum is
        return windows[np.arange(len(windows)), self.arg_max]

    def spread(self, delta: np.ndarray) -> np.ndarray:
        dwindows = np.zeros((delta.size, self.pool[0] * self.pool[1]), dtype=delta.dtype)
        dwindows[np.arange(delta.size), self.arg_max] = delta
        return dwindows


class AveragePooling(Pooling):
    """Average プーリング: y = the mean of each window (padding counts as 0, as PyTorch's
    ``count_include_pad``); backward gives each of its PH·PW inputs δ / (PH·PW).

    >>> AveragePooling(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """

    def reduce(self, windows: np.ndarray) -> np.ndarray:
        return windows.mean(axis=1)

    def spread(self, delta: np.ndarray) -> np.ndarray:
        k = self.pool[0] * self.pool[1]
        return np.repeat(delta[:, None] / delta.dtype.type(k), k, axis=1)
