"""プーリング層 (Pooling): each window of an image reduced to one number — its maximum or its mean."""

from __future__ import annotations

import numpy as np

from nnscratch.functions import conv_output_size
from nnscratch.layers.base import Layer, not_forwarded
from nnscratch.layers.convolution import check_kernel, images_for


class Pooling(Layer):
    """A pooling layer (プーリング層) over windows PH × PW with stride S (default: the pool size, so the
    windows do not overlap) and padding P, channel by channel; no parameters. OH = (H + 2P − PH) / S + 1.

    As im2col does for a convolution (『ゼロから作る』 7.4.4), the windows are gathered by position: for
    each place (p, q) inside a window, the slice x_pad[:, :, p + i·S, q + j·S] of every window (i, j) at
    once, stacked into ``windows`` (PH·PW, N, C, OH, OW) — im2col's columns, one channel at a time. The
    output reduces over the first axis; ``backward`` spreads each δ over its window's places and adds
    every place's share back onto the image (col2im's loop). A subclass gives ``fill`` (the padding's
    value), ``reduce`` and ``spread``.
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

    def _places(self, oh: int, ow: int):
        """(p, q) and the slices of rows p, p + S, …, p + S·(OH − 1) and columns likewise, per place."""
        (ph, pw), s = self.pool, self.stride
        for p in range(ph):
            for q in range(pw):
                yield slice(p, p + s * oh, s), slice(q, q + s * ow, s)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = images_for(self, x, None)
        x = x if x.dtype.kind == "f" else x.astype(np.float64)
        (_, _, h, w), (ph, pw), s, p = x.shape, self.pool, self.stride, self.pad
        self.out_size = conv_output_size(h, ph, s, p), conv_output_size(w, pw, s, p)
        self.x_shape = x.shape
        img = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill) if p else x
        self.windows = np.stack([img[:, :, rows, cols] for rows, cols in self._places(*self.out_size)])
        return self.reduce(self.windows)  # (N, C, OH, OW)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.x_shape is None:
            raise not_forwarded(self)
        n, c, h, w = self.x_shape
        p = self.pad
        dx = np.zeros((n, c, h + 2 * p, w + 2 * p), dtype=np.result_type(dout, self.windows))
        # ∂E/∂(each window's place k), added back onto the image: a pixel in several windows gets the sum
        for (rows, cols), dplace in zip(self._places(*self.out_size), self.spread(dout), strict=True):
            dx[:, :, rows, cols] += dplace
        return dx[:, :, p : p + h, p : p + w] if p else dx

    def reduce(self, windows: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def spread(self, delta: np.ndarray):  # pragma: no cover - abstract
        """∂E/∂(window place k) for k = 0 … PH·PW − 1, one (N, C, OH, OW) array each."""
        raise NotImplementedError

    def config(self) -> dict:
        pool = self.pool[0] if self.pool[0] == self.pool[1] else list(self.pool)
        return {"type": type(self).__name__, "pool": pool, "stride": self.stride, "pad": self.pad}


class MaxPooling(Pooling):
    """Max プーリング: y = max of each window; backward hands δ to the window's largest input alone
    (the first place, on a tie, as the book's ``np.argmax``): ∂E/∂x = δ there and 0 elsewhere. Padding
    is −∞ here, so it never wins (PyTorch's; the book pads with 0).

    >>> pool = MaxPooling(2)
    >>> pool.forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    >>> pool.backward(np.ones((1, 1, 2, 2)))[0, 0, :2].tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """

    fill = -np.inf

    def reduce(self, windows: np.ndarray) -> np.ndarray:
        self.y = windows.max(axis=0)
        return self.y.copy()

    def spread(self, delta: np.ndarray):
        free = np.ones(self.y.shape, dtype=bool)  # windows whose maximum has not been met yet
        for place in self.windows:
            first = (place == self.y) & free  # the maximum, met here first
            free ^= first
            yield delta * first


class AveragePooling(Pooling):
    """Average プーリング: y = the mean of each window (padding counts as 0, as PyTorch's
    ``count_include_pad``); backward gives each of its PH·PW inputs δ / (PH·PW).

    >>> AveragePooling(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """

    def reduce(self, windows: np.ndarray) -> np.ndarray:
        return windows.mean(axis=0)

    def spread(self, delta: np.ndarray):
        k = self.pool[0] * self.pool[1]
        share = delta / delta.dtype.type(k)
        for _ in range(k):
            yield share
