"""畳み込み層 (Convolution): filters slid over the image, made one matrix product by im2col."""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B
from nnscratch._arch import _init_std, check_count, check_seed
from nnscratch.functions import col2im, conv_output_size, im2col
from nnscratch.layers.base import Layer, not_forwarded


def check_kernel(argument: str, value: object) -> tuple[int, int]:
    """A filter or pool size: one positive integer (square) or two, (height, width)."""
    pair = value if isinstance(value, (tuple, list)) and len(value) == 2 else (value, value)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
            raise ValueError(f"{argument}: expected a positive integer or a pair such as {argument}=3 or "
                             f"(3, 3), got {value!r}")
    return int(pair[0]), int(pair[1])


def images_for(layer: object, x: object, channels: int | None) -> np.ndarray:
    """x as 4-D images (N, C, H, W), with ``channels`` channels when given, or a one-line error."""
    x = np.asarray(x)
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        c = channels or "C"
        raise ValueError(f"x: {type(layer).__name__} expects images (N, C, H, W) with C = {c}, such as "
                         f"(10, {c}, 28, 28), got shape {x.shape}")
    return x


class Convolution(Layer):
    """畳み込み層 (Convolution): FN filters W (FN, C, FH, FW) and biases b (FN,) slid over images
    x (N, C, H, W) with stride S (ストライド) and padding P (パディング):

        u[n, f, i, j] = Σ_{c, p, q} x_pad[n, c, i·S + p, j·S + q] · W[f, c, p, q] + b[f],

    an (N, FN, OH, OW) output with OH = (H + 2P − FH) / S + 1 (:func:`~nnscratch.functions.
    conv_output_size`). With col = im2col(x) (N·OH·OW, C·FH·FW) and W as a matrix (FN, C·FH·FW) it is the
    product col·Wᵀ + b (『ゼロから作る』 7.4), taken here image by image — cols[n], image n's OH·OW rows
    of col, gives u[n] = W·cols[n]ᵀ + b — so that u comes out (N, FN, OH, OW) with no transpose. Given
    δ = ∂E/∂u, ``backward`` keeps ∂E/∂W = Σ_n δ[n]·cols[n] (the book's δᵀ·col) and ∂E/∂b = Σ δ, and
    returns ∂E/∂x = col2im(∂E/∂col) with ∂E/∂cols[n] = δ[n]ᵀ·W.

    ``init``: the filters' standard deviation — ``"he"`` √(2/(C·FH·FW)) (each output sees C·FH·FW
    inputs: its fan-in), ``"xavier"`` √(1/(C·FH·FW)), or a number such as the book's ``0.01``.
    ``kernel``: FH = FW, or a pair (FH, FW).

    >>> conv = Convolution(1, 4, 3, pad=1, seed=0)
    >>> conv.forward(np.ones((2, 1, 6, 6), np.float32)).shape, conv.params["W"].shape
    ((2, 4, 6, 6), (4, 1, 3, 3))
    >>> conv.backward(np.ones((2, 4, 6, 6), np.float32)).shape
    (2, 1, 6, 6)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int | tuple[int, int],
                 stride: int = 1, pad: int = 0, init: str | float = "he", seed: int | None = None,
                 dtype: str = "float32") -> None:
        super().__init__()
        self.in_channels = check_count("in_channels", in_channels)
        self.out_channels = check_count("out_channels", out_channels)
        self.kernel = check_kernel("kernel", kernel)
        self.stride = check_count("stride", stride)
        if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
            raise ValueError(f"pad: expected an integer ≥ 0 (e.g. pad=1), got {pad!r}")
        self.pad = int(pad)
        self.fan_in = self.in_channels * self.kernel[0] * self.kernel[1]
        _init_std(init, self.fan_in)  # an unknown name is refused now, not at the first draw
        self.init = init
        self.x_shape: tuple[int, ...] | None = None
        self.col: np.ndarray | None = None
        self.init_params(np.random.default_rng(check_seed(seed)), B.resolve_dtype(dtype))

    @staticmethod
    def size_of(config: dict) -> float:
        """The parameters a layer of this description holds, FN·C·FH·FW + FN, before it is built."""
        try:
            fh, fw = check_kernel("kernel", config.get("kernel"))
            c = check_count("in_channels", config.get("in_channels"))
            fn = check_count("out_channels", config.get("out_channels"))
        except ValueError:
            return 0.0  # the constructor gives the error
        return float(fn) * c * fh * fw + fn

    def init_params(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        std = _init_std(self.init, self.fan_in)
        shape = (self.out_channels, self.in_channels, *self.kernel)
        self.params["W"] = (std * rng.standard_normal(shape)).astype(dtype)
        self.params["b"] = np.zeros(self.out_channels, dtype)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        x = images_for(self, x, self.in_channels).astype(W.dtype, copy=False)
        (n, _, h, w), (fn, _, fh, fw) = x.shape, W.shape
        oh = conv_output_size(h, fh, self.stride, self.pad)
        ow = conv_output_size(w, fw, self.stride, self.pad)
        self.x_shape = x.shape
        self.col = im2col(x, fh, fw, self.stride, self.pad)  # (N·OH·OW, C·FH·FW), the book's layout
        cols = self.col.reshape(n, oh * ow, -1)  # cols[n]: image n's rows of col
        u = W.reshape(fn, -1) @ cols.transpose(0, 2, 1)  # u[n] = W·cols[n]ᵀ, (N, FN, OH·OW)
        u += b[:, None]  # + b (u is new: added in place)
        return u.reshape(n, fn, oh, ow)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        delta = self.backward_params(dout)  # ∂E/∂W and ∂E/∂b, kept in grads
        W = self.params["W"]
        fn, _, fh, fw = W.shape
        dcol = delta.transpose(0, 2, 1) @ W.reshape(fn, -1)  # ∂E/∂cols[n] = δ[n]ᵀ·W
        return col2im(dcol.reshape(self.col.shape), self.x_shape, fh, fw, self.stride, self.pad)  # ∂E/∂x

    def backward_params(self, dout: np.ndarray) -> np.ndarray:
        """The first half of ``backward``: ∂E/∂W = Σ_n δ[n]·cols[n] and ∂E/∂b = Σ δ, kept in ``grads``;
        returns δ as (N, FN, OH·OW). A stack calls it alone on its first layer, whose ∂E/∂x nothing
        needs."""
        if self.col is None:
            raise not_forwarded(self)
        W = self.params["W"]
        n = self.x_shape[0]
        delta = np.reshape(dout, (n, W.shape[0], -1))  # δ[n] (FN, OH·OW)
        cols = self.col.reshape(n, delta.shape[2], -1)
        self.grads["W"] = (delta @ cols).sum(axis=0).reshape(W.shape)  # ∂E/∂W = Σ_n δ[n]·cols[n]
        self.grads["b"] = delta.sum(axis=(0, 2))  # ∂E/∂b = Σ δ over images and positions
        return delta

    @property
    def dW(self) -> np.ndarray | None:
        return self.grads.get("W")

    @property
    def db(self) -> np.ndarray | None:
        return self.grads.get("b")

    def config(self) -> dict:
        kernel = self.kernel[0] if self.kernel[0] == self.kernel[1] else list(self.kernel)
        return {"type": "Convolution", "in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel": kernel, "stride": self.stride, "pad": self.pad, "init": self.init}
