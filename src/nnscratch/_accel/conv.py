"""The fast twin of :class:`nnscratch.layers.Convolution`: the same u = col·Wᵀ + b and gradients, with
im2col by strided slices, one matrix product per layer and buffers reused from step to step.

The readable layer takes im2col's copies window by window and a product image by image, so that a
learner sees each step. Here the images between layers are kept channel-major, (C, N, H, W) —
"CNHW" — and the patch matrix transposed, colᵀ (C·FH·FW + 1, N·OH·OW):

- im2col: for each place (p, q) of the filter, the strided slice x_pad[:, :, p::S, q::S] of every
  channel and image at once is copied into colᵀ's rows (c, p, q) — FH·FW copies of whole rows into a
  buffer kept from the last step; the last row of colᵀ is ones;
- the product: uᵀ = [W | b]·colᵀ, ONE matrix product for the batch, (FN, K + 1)·(K + 1, N·OH·OW), the
  bias folded in by the row of ones. It is the transpose of the book's col·Wᵀ + b and lands as
  (FN, N, OH, OW): channel-major again, so no output is ever transposed, and pooling and flattening
  read long rows (:mod:`nnscratch._accel.pooling`);
- backward: [∂E/∂W | ∂E/∂b] = δ·col (one product: the ones row gives Σ δ), ∂E/∂colᵀ = Wᵀ·δ written
  over colᵀ (used by then), and col2im as FH·FW strided slice-adds into a padded buffer; the first
  layer of a stack computes no ∂E/∂x at all.
"""

from __future__ import annotations

import numpy as np

from nnscratch.functions import conv_output_size


class Scratch:
    """A buffer that grows to the largest size asked for and is viewed at the shape asked (a prefix of
    it, so the view is C-contiguous). With ``fill`` the view is filled whenever the shape changes:
    a padded image's border, written once and never again."""

    __slots__ = ("_buf", "_fill", "_key", "_view")

    def __init__(self, fill: float | None = None) -> None:
        self._buf: np.ndarray | None = None
        self._fill = fill
        self._key: tuple | None = None
        self._view: np.ndarray | None = None

    def get(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        key = (shape, dtype)
        if key == self._key:
            return self._view
        size = int(np.prod(shape))
        if self._buf is None or self._buf.size < size or self._buf.dtype != dtype:
            self._buf = np.empty(size, dtype)
        view = self._buf[:size].reshape(shape)
        if self._fill is not None:
            view.fill(self._fill)
        self._key, self._view = key, view
        return view


def padded(x: np.ndarray, pad: int, buf: Scratch) -> np.ndarray:
    """Images x (C, N, H, W) with ``pad`` rows and columns of the buffer's fill on every side (x itself
    when pad = 0)."""
    if not pad:
        return x
    c, n, h, w = x.shape
    img = buf.get((c, n, h + 2 * pad, w + 2 * pad), x.dtype)
    img[:, :, pad : pad + h, pad : pad + w] = x
    return img


def place(p: int, q: int, step: int, oh: int, ow: int) -> tuple[slice, slice, slice, slice]:
    """The index of rows p, p + step, …, p + step·(OH − 1) and columns q, … likewise, of every channel
    and image: the pixels at place (p, q) of every window when ``step`` is the stride."""
    return (slice(None), slice(None), slice(p, p + step * (oh - 1) + 1, step),
            slice(q, q + step * (ow - 1) + 1, step))


def patch_rows(col: np.ndarray, c: int, fh: int, fw: int, n: int, oh: int, ow: int, stride: int,
               blocked: bool):
    """(view of colᵀ's rows for one place, the index of the image pixels that fill it), for every place
    (p, q) of the filter. ``blocked``: each row's columns ordered (a, b, n, i, j) for the output pixel
    (2i + a, 2j + b), so that the four places of every 2×2 pooling window are four contiguous blocks."""
    if not blocked:
        rows = col.reshape(c, fh, fw, n, oh, ow)
        return [(rows[:, p, q], place(p, q, stride, oh, ow)) for p in range(fh) for q in range(fw)]
    rows = col.reshape(c, fh, fw, 2, 2, n, oh // 2, ow // 2)
    return [(rows[:, p, q, a, b], place(p + a * stride, q + b * stride, 2 * stride, oh // 2, ow // 2))
            for p in range(fh) for q in range(fw) for a in (0, 1) for b in (0, 1)]


class FastConvolution:
    """One readable ``Convolution`` (its W, b read from ``params`` by key at every pass) as a twin
    stage: ``forward`` takes the stack's (N, C, H, W) images (``first``) or channel-major (C, N, H, W)
    ones and returns u channel-major, (FN, N, OH, OW) (or ``blocked`` for a 2×2 pooling);
    ``backward`` takes δ in that layout, keeps ``dW`` (FN, C, FH, FW) and ``db``, and returns ∂E/∂x
    channel-major (None for the first layer, whose ∂E/∂x nothing needs)."""

    def __init__(self, params: dict, w_key: str, b_key: str, stride: int, pad: int, first: bool) -> None:
        self.params, self.w_key, self.b_key = params, w_key, b_key
        self.stride, self.pad, self.first = stride, pad, first
        self.blocked = False  # set when a 2×2 max pooling reads the output: (FN, 2, 2, N, OH/2, OW/2)
        self.col = self.x_shape = self.dW = self.db = None
        self._pad, self._col, self._u, self._wb = Scratch(0.0), Scratch(), Scratch(), Scratch()
        self._dwb, self._dx_pad, self._dx = Scratch(), Scratch(), Scratch()

    def forward(self, x: np.ndarray) -> np.ndarray:
        W, b = self.params[self.w_key], self.params[self.b_key]
        fn, c, fh, fw = W.shape
        x = x.transpose(1, 0, 2, 3) if self.first else x  # (C, N, H, W): a view
        _, n, h, w = x.shape
        s, k = self.stride, c * fh * fw
        oh, ow = conv_output_size(h, fh, s, self.pad), conv_output_size(w, fw, s, self.pad)
        if self.blocked:  # the pooling's own error when a side is odd
            conv_output_size(oh, 2, 2, 0), conv_output_size(ow, 2, 2, 0)
        img = padded(x, self.pad, self._pad)
        col = self._col.get((k + 1, n * oh * ow), W.dtype)  # colᵀ: rows (c, p, q), then the ones
        for rows, at in patch_rows(col[:k], c, fh, fw, n, oh, ow, s, self.blocked):
            np.copyto(rows, img[at])  # im2col: one strided slice per place of the filter
        col[k] = 1
        wb = self._wb.get((fn, k + 1), W.dtype)  # [W | b]
        wb[:, :k] = W.reshape(fn, k)
        wb[:, k] = b
        shape = (fn, 2, 2, n, oh // 2, ow // 2) if self.blocked else (fn, n, oh, ow)
        u = self._u.get(shape, W.dtype)
        np.matmul(wb, col, out=u.reshape(fn, -1))  # uᵀ = [W | b]·colᵀ: one product for the batch
        self.col, self.x_shape = col, x.shape
        return u

    def backward(self, delta: np.ndarray) -> np.ndarray | None:
        if self.col is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        W = self.params[self.w_key]
        fn, c, fh, fw = W.shape
        d2 = np.ascontiguousarray(delta).reshape(fn, -1)
        dwb = self._dwb.get((fn, c * fh * fw + 1), W.dtype)
        np.matmul(d2, self.col.T, out=dwb)  # [∂E/∂W | ∂E/∂b] = δ·col
        self.dW, self.db = dwb[:, :-1].reshape(W.shape), dwb[:, -1]
        if self.first:
            return None
        dcol = np.matmul(W.reshape(fn, -1).T, d2, out=self.col[:-1])  # ∂E/∂colᵀ = Wᵀ·δ, over colᵀ
        self.col = None  # overwritten: the next backward needs a new forward
        return self._col2im(dcol, fh, fw)

    def _col2im(self, dcol: np.ndarray, fh: int, fw: int) -> np.ndarray:
        """∂E/∂x = col2im(∂E/∂colᵀ): every window's values added back onto their pixels."""
        c, n, h, w = self.x_shape
        p, s = self.pad, self.stride
        oh, ow = conv_output_size(h, fh, s, p), conv_output_size(w, fw, s, p)
        img = self._dx_pad.get((c, n, h + 2 * p, w + 2 * p), dcol.dtype)
        img.fill(0)
        for rows, at in patch_rows(dcol, c, fh, fw, n, oh, ow, s, self.blocked):
            img[at] += rows
        if not p:
            return img
        dx = self._dx.get(self.x_shape, dcol.dtype)
        np.copyto(dx, img[:, :, p : p + h, p : p + w])
        return dx
