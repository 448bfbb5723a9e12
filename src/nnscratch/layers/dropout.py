"""ドロップアウト (Dropout): in training, each value is dropped (set to 0) with probability p, so the
network cannot lean on any one unit (過学習の抑制; the course's Day 2, 『ゼロから作る』 6.4.3)."""

from __future__ import annotations

import numpy as np

from nnscratch._arch import check_seed
from nnscratch.layers.base import Layer, not_forwarded

MODES = ("course", "inverted")


class Dropout(Layer):
    """ドロップアウト with a mask M of 0/1 drawn in each training-mode forward pass (P(M = 0) = p):

    - ``mode="course"`` (the course's and the book's): training y = x ⊙ M; evaluation y = x·(1 − p),
      so that each unit's expected output is the same in both;
    - ``mode="inverted"`` (PyTorch's, Keras's): training y = x ⊙ M / (1 − p); evaluation y = x.

    ``backward`` uses the same mask: ∂E/∂x = ∂E/∂y ⊙ M (/ (1 − p) inverted). The masks come from this
    layer's own generator: ``seed``, or — inside a :class:`~nnscratch.Sequential` — one drawn from the
    stack's seed. ``hold = True`` keeps the last mask for the next training pass (a gradient check).

    >>> drop = Dropout(0.5, seed=0)
    >>> y = drop.forward(np.ones((2, 4)))
    >>> sorted(set(y.ravel().tolist())), drop.forward(np.ones((1, 2)), train=False).tolist()
    ([0.0, 1.0], [[0.5, 0.5]])
    """

    def __init__(self, p: float = 0.5, mode: str = "course", seed: int | None = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
            raise ValueError(f"p: expected a dropout rate in [0, 1) such as 0.5, got {p!r}")
        if mode not in MODES:
            raise ValueError(f"mode: expected 'course' or 'inverted', got {mode!r}")
        self.p, self.mode = float(p), mode
        self.rng = np.random.default_rng(check_seed(seed))
        self.mask: np.ndarray | None = None
        self.hold = False

    def init_params(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        # no parameters: the stack's generator seeds this layer's masks, reproducibly
        self.rng = np.random.default_rng(rng.integers(2**63))

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = np.asarray(x)
        keep = 1 - self.p
        if not train:
            return x * x.dtype.type(keep) if self.mode == "course" else x.copy()
        if not (self.hold and self.mask is not None and self.mask.shape == x.shape):
            self.mask = (self.rng.random(x.shape) >= self.p).astype(x.dtype)  # 1 keeps, 0 drops
        return x * self.mask if self.mode == "course" else x * self.mask / x.dtype.type(keep)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.mask is None:
            raise not_forwarded(self)
        grad = dout * self.mask
        return grad if self.mode == "course" else grad / grad.dtype.type(1 - self.p)

    def config(self) -> dict:
        return {"type": "Dropout", "p": self.p, "mode": self.mode}
