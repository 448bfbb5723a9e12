"""The twin's image stages after a convolution, on channel-major images (C, N, H, W) (see
:mod:`nnscratch._accel.conv`): pooling, flattening back to the readable rows, activations and
dropout — the readable layers' formulas into buffers reused from step to step.

- :class:`MaxPool2`: 2×2 max pooling, stride 2, no padding, as a tree of three ``maximum``s over the
  four places of the windows; after a convolution with fewer patch rows than filters (SimpleConvNet's
  first) those come as four contiguous blocks (the convolution's columns ordered so: a strided
  ``maximum`` runs several times slower, and there the ordered im2col costs less than it saves).
  Which place won is kept as 0/1 masks — the first place in the window's row order on a tie, as the
  readable layer and the book's argmax — and backward writes δ into the winner of every window with
  no zero-fill (2×2/2 windows tile the image);
- :class:`Pool`: any other pool (size, stride, padding; max or average) place by place;
- :class:`Flatten`: (C, N, H, W) → the rows (N, C·H·W) in C order the readable ``Flatten`` gives;
- :class:`ReLU4`: ReLU in place on the stage's own buffer; :class:`Elementwise`: any other activation
  twin on a 2-D view; :class:`Dropout`: the readable layer's masks from its own generator.

A max pooling right after Convolution → ReLU runs before the ReLU (:mod:`nnscratch._accel.convnet`):
max(0, max of a window) is the max of its ReLUs, and a window whose maximum is ≤ 0 passes no δ either
way, so the result is the same with a ReLU on a quarter of the values.
"""

from __future__ import annotations

import numpy as np

from nnscratch._accel.conv import Scratch, padded, place
from nnscratch.functions import conv_output_size


class MaxPool2:
    """y = max over each 2×2 window (stride 2, no padding) of channel-major x. ``blocked``: x is a
    convolution's output in its blocked layout (C, 2, 2, N, OH, OW) (:func:`~nnscratch._accel.conv.
    patch_rows`), x[:, a, b] holding place (a, b) of every window, so the maximum is three
    ``maximum``s of contiguous blocks; otherwise x is (C, N, H, W) and the places are strided views.
    The masks kept: the right place beat the left one in the top row (``i0``) and in the bottom row
    (``i1``), the bottom row beat the top one (``low``) — each strictly, so a tie keeps the first
    place in row order."""

    kind = "max"

    def __init__(self, blocked: bool) -> None:
        self.blocked = blocked
        self._y, self._m0, self._t, self._s, self._dx = Scratch(), Scratch(), Scratch(), Scratch(), Scratch()
        self._i0, self._i1, self._low = Scratch(), Scratch(), Scratch()
        self.x_shape = None

    def _places(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """The views of places (0, 0), (0, 1), (1, 0), (1, 1) of every window, each (C, N, OH, OW)."""
        if self.blocked:
            return x[:, 0, 0], x[:, 0, 1], x[:, 1, 0], x[:, 1, 1]
        c, n, h, w = x.shape
        v = x.reshape(c, n, h // 2, 2, w // 2, 2)
        return v[:, :, :, 0, :, 0], v[:, :, :, 0, :, 1], v[:, :, :, 1, :, 0], v[:, :, :, 1, :, 1]

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.blocked:  # the readable pooling's error when a side is odd
            conv_output_size(x.shape[2], 2, 2, 0), conv_output_size(x.shape[3], 2, 2, 0)
        x00, x01, x10, x11 = self._places(x)
        shape, dt = x00.shape, x.dtype
        m0, y = self._m0.get(shape, dt), self._y.get(shape, dt)
        i0, i1, low = self._i0.get(shape, dt), self._i1.get(shape, dt), self._low.get(shape, dt)
        np.greater(x01, x00, out=i0, casting="unsafe")
        np.maximum(x00, x01, out=m0)
        np.greater(x11, x10, out=i1, casting="unsafe")
        np.maximum(x10, x11, out=y)  # the bottom row's maximum, for now
        np.greater(y, m0, out=low, casting="unsafe")
        np.maximum(m0, y, out=y)
        self.x_shape = x.shape
        return y

    def backward(self, delta: np.ndarray) -> np.ndarray:
        if self.x_shape is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        shape, dt = delta.shape, delta.dtype
        t, s = self._t.get(shape, dt), self._s.get(shape, dt)
        dx = self._dx.get(self.x_shape, dt)
        d00, d01, d10, d11 = self._places(dx)
        np.multiply(delta, self._low.get(shape, dt), out=t)  # δ of the windows the bottom row won
        np.subtract(delta, t, out=s)  # … and the top row (δ or 0: exact)
        np.multiply(s, self._i0.get(shape, dt), out=d01)
        np.subtract(s, d01, out=d00)
        np.multiply(t, self._i1.get(shape, dt), out=d11)
        np.subtract(t, d11, out=d10)
        return dx


class Pool:
    """Max or average pooling of any size, stride and padding over channel-major x, place by place
    (max: the padding is −∞ and never wins, a tie keeps the first place; average: the padding is 0
    and counted, as the readable layer)."""

    def __init__(self, pool: tuple[int, int], stride: int, pad: int, kind: str) -> None:
        self.pool, self.stride, self.pad, self.kind = pool, stride, pad, kind
        self._pad = Scratch(-np.inf if kind == "max" else 0.0)
        self._y, self._dx = Scratch(), Scratch()
        self.x_shape = None

    def _places(self):
        (ph, pw), s = self.pool, self.stride
        return [place(p, q, s, *self.out_size) for p in range(ph) for q in range(pw)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        c, n, h, w = x.shape
        (ph, pw), s, p = self.pool, self.stride, self.pad
        self.out_size = conv_output_size(h, ph, s, p), conv_output_size(w, pw, s, p)
        self.x_shape = x.shape
        img = padded(x, p, self._pad)
        places = self._places()
        y = self._y.get((c, n, *self.out_size), x.dtype)
        np.copyto(y, img[places[0]])
        if self.kind == "max":
            self.winner = np.zeros(y.shape, np.intp)
            for k, at in enumerate(places[1:], 1):  # a later place wins only when strictly larger
                better = img[at] > y
                self.winner[better] = k
                np.maximum(y, img[at], out=y)
        else:
            for at in places[1:]:  # summed place by place, as the readable mean over its stack
                y += img[at]
            y /= y.dtype.type(ph * pw)
        return y

    def backward(self, delta: np.ndarray) -> np.ndarray:
        if self.x_shape is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        c, n, h, w = self.x_shape
        (ph, pw), p = self.pool, self.pad
        img = self._dx.get((c, n, h + 2 * p, w + 2 * p), delta.dtype)
        img.fill(0)
        share = delta / delta.dtype.type(ph * pw) if self.kind != "max" else None
        for k, at in enumerate(self._places()):
            img[at] += delta * (self.winner == k) if share is None else share
        return np.ascontiguousarray(img[:, :, p : p + h, p : p + w]) if p else img


class Flatten:
    """Channel-major images (C, N, H, W) → rows (N, C·H·W) in C order (channel, row, column): what the
    readable ``Flatten`` makes of (N, C, H, W); backward gives δ the channel-major shape back."""

    def __init__(self) -> None:
        self._y, self._dx = Scratch(), Scratch()
        self.x_shape = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        c, n, h, w = self.x_shape = x.shape
        y = self._y.get((n, c * h * w), x.dtype)
        np.copyto(y.reshape(n, c, h, w), x.transpose(1, 0, 2, 3))
        return y

    def backward(self, delta: np.ndarray) -> np.ndarray:
        c, n, h, w = self.x_shape
        dx = self._dx.get(self.x_shape, delta.dtype)
        np.copyto(dx, delta.reshape(n, c, h, w).transpose(1, 0, 2, 3))
        return dx


class GlobalPool:
    """Global average or max pooling (:class:`~nnscratch.layers.GlobalAveragePooling`,
    :class:`~nnscratch.layers.GlobalMaxPooling`) of channel-major images (C, N, H, W) into rows (N, C):
    where :class:`Flatten` hands the rows to the dense stages, this hands them one number per channel.
    Max: δ to each channel's first largest value, as the readable layer."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "average" or "max"
        self._y, self._dx = Scratch(), Scratch()
        self.x_shape = self.argmax = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        c, n, h, w = self.x_shape = x.shape
        flat = x.reshape(c, n, h * w)
        y = self._y.get((n, c), x.dtype)
        if self.kind == "average":
            np.mean(flat, axis=2, out=y.T)
        else:
            self.argmax = flat.argmax(axis=2)
            np.copyto(y.T, np.take_along_axis(flat, self.argmax[:, :, None], axis=2)[:, :, 0])
        return y

    def backward(self, delta: np.ndarray) -> np.ndarray:
        if self.x_shape is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        c, n, h, w = self.x_shape
        dx = self._dx.get((c, n, h * w), delta.dtype)
        if self.kind == "average":
            np.copyto(dx, (delta.T / delta.dtype.type(h * w))[:, :, None])
        else:
            dx.fill(0)
            np.put_along_axis(dx, self.argmax[:, :, None], delta.T[:, :, None], axis=2)
        return dx.reshape(c, n, h, w)


class ReLU4:
    """ReLU z = max(0, u) in place on a convolution's output (no one else reads u); backward
    δ = dz ⊙ [z > 0], the mask as 0/1 in the images' dtype (a float product is the fast one)."""

    def __init__(self) -> None:
        self._zeros, self._mask = Scratch(0.0), Scratch()
        self.z = None

    def forward(self, u: np.ndarray) -> np.ndarray:
        np.maximum(u, self._zeros.get(u.shape[-1:], u.dtype), out=u)
        self.z = u
        return u

    def backward(self, dz: np.ndarray) -> np.ndarray:
        if self.z is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        mask = self._mask.get(dz.shape, dz.dtype)
        np.greater(self.z, 0, out=mask, casting="unsafe")
        np.multiply(dz, mask, out=dz)
        return dz


class Elementwise:
    """Any twin activation (:mod:`nnscratch._accel.activations`) on images, through 2-D views."""

    def __init__(self, twin) -> None:
        self.twin = twin

    def forward(self, u: np.ndarray) -> np.ndarray:
        return self.twin.forward(u.reshape(u.shape[0], -1)).reshape(u.shape)

    def backward(self, dz: np.ndarray) -> np.ndarray:
        return self.twin.backward(np.ascontiguousarray(dz).reshape(dz.shape[0], -1)).reshape(dz.shape)


class Dropout:
    """The readable :class:`~nnscratch.layers.Dropout` on rows (N, n): the mask drawn from that layer's
    own generator exactly as it draws it, y = x ⊙ M (course) or x ⊙ M / (1 − p) (inverted); evaluation
    y = x·(1 − p) (course) or x."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self._draw, self._mask, self._y, self._dx = Scratch(), Scratch(), Scratch(), Scratch()
        self.mask = None

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        layer, y = self.layer, self._y.get(x.shape, x.dtype)
        keep = 1 - layer.p
        if not train:
            np.multiply(x, x.dtype.type(keep if layer.mode == "course" else 1), out=y)
            return y
        held = layer.mask
        if layer.hold and held is not None and held.shape == x.shape:
            self.mask = held
        else:
            draw = self._draw.get(x.shape, np.dtype(np.float64))
            layer.rng.random(out=draw)  # the readable layer's draw: rng.random(x.shape)
            mask = self._mask.get(x.shape, x.dtype)
            self.mask = np.greater_equal(draw, layer.p, out=mask, casting="unsafe")
        np.multiply(x, self.mask, out=y)
        if layer.mode != "course":
            y /= x.dtype.type(keep)
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.mask is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        dx = np.multiply(dout, self.mask, out=self._dx.get(dout.shape, dout.dtype))
        if self.layer.mode != "course":
            dx /= dx.dtype.type(1 - self.layer.p)
        return dx
