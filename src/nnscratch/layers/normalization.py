"""バッチ正規化 (Batch Normalization): each feature standardised over the mini-batch, then scaled and
shifted by learned γ and β (Ioffe & Szegedy 2015; the course's Day 2, 『ゼロから作る』 6.3)."""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B
from nnscratch._arch import check_count
from nnscratch.layers.base import Layer, not_forwarded

PER = ("activation", "channel")


class BatchNormalization(Layer):
    """バッチ正規化: in training, with the batch's mean μ and biased (1/N) variance σ² per feature,

        x̂ = (x − μ) / √(σ² + ε),   y = γ·x̂ + β,

    and the running averages (移動平均) μ_run ← m·μ_run + (1 − m)·μ (σ² likewise; both start at 0,
    as the book's) are updated once per training-mode forward pass. In evaluation y = γ·(x − μ_run) /
    √(σ²_run + ε) + β. ``backward`` goes through the batch statistics:

        ∂E/∂x = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε)   with g = γ·∂E/∂y,

    ∂E/∂γ = Σ ∂E/∂y·x̂ and ∂E/∂β = Σ ∂E/∂y (sums over the batch).

    - ``n`` — the number of features normalised: the width of a dense layer's output; for 4-D input
      (N, C, H, W) C with ``per="channel"`` (statistics over N, H, W, as PyTorch's ``BatchNorm2d``) or
      C·H·W with ``per="activation"`` (the book's: each of the C·H·W values on its own).
    - ``momentum`` m = 0.9 and ``eps`` ε = 1e-6 — the course's ``10e-7``.

    >>> bn = BatchNormalization(3, dtype="float64")
    >>> y = bn.forward(np.array([[1.0, 2, 3], [3, 2, 1]]))
    >>> y.round(3).tolist(), bn.running_mean.round(2).tolist()
    ([[-1.0, 0.0, 1.0], [1.0, 0.0, -1.0]], [0.2, 0.2, 0.2])
    """

    def __init__(self, n: int, momentum: float = 0.9, eps: float = 1e-6, dtype: str = "float32",
                 per: str = "activation") -> None:
        super().__init__()
        self.n = check_count("n", n)
        self.momentum, self.eps, self.per = _checked(momentum, eps, per)
        self.init_params(None, B.resolve_dtype(dtype))

    def init_params(self, rng: np.random.Generator | None, dtype: np.dtype) -> None:
        self.params["gamma"] = np.ones(self.n, dtype)
        self.params["beta"] = np.zeros(self.n, dtype)
        self.running_mean = np.zeros(self.n, dtype)
        self.running_var = np.zeros(self.n, dtype)
        self.xhat: np.ndarray | None = None
        self.mu = self.var = None  # the last training batch's μ and σ² (what a learner reads; the trace)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        gamma, beta = self.params["gamma"], self.params["beta"]
        self.shape = np.shape(x)
        x = as_rows(np.asarray(x, dtype=gamma.dtype), self.per)
        if x.shape[1] != self.n:
            raise ValueError(f"x: expected {self.n} features per row (per={self.per!r}), got {x.shape[1]}")
        if not train:
            xhat = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
            return from_rows(gamma * xhat + beta, self.shape, self.per)
        self.mu = mu = x.mean(axis=0)
        self.var = var = ((x - mu) ** 2).mean(axis=0)  # the biased, 1/N variance
        self.std = np.sqrt(var + self.eps)
        self.xhat = (x - mu) / self.std
        m = self.momentum
        self.running_mean = m * self.running_mean + (1 - m) * mu
        self.running_var = m * self.running_var + (1 - m) * var
        return from_rows(gamma * self.xhat + beta, self.shape, self.per)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.xhat is None:
            raise not_forwarded(self)
        dy = as_rows(dout, self.per)
        self.grads["gamma"] = (dy * self.xhat).sum(axis=0)
        self.grads["beta"] = dy.sum(axis=0)
        g = self.params["gamma"] * dy
        dx = (g - g.mean(axis=0) - self.xhat * (g * self.xhat).mean(axis=0)) / self.std
        return from_rows(dx, self.shape, self.per)

    def config(self) -> dict:
        return {"type": "BatchNormalization", "n": self.n, "momentum": self.momentum, "eps": self.eps,
                "per": self.per}


def as_rows(x: np.ndarray, per: str) -> np.ndarray:
    """x as (rows, features): a dense batch as it is; 4-D input (N, C, H, W) with each of the C·H·W
    values a feature (``per="activation"``, the book's) or each channel one, its N·H·W values the rows
    (``per="channel"``)."""
    if x.ndim == 2:
        return x
    if per == "channel":
        return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
    return x.reshape(len(x), -1)


def from_rows(rows: np.ndarray, shape: tuple[int, ...], per: str) -> np.ndarray:
    """The inverse of :func:`as_rows`: rows back to the input's ``shape``."""
    if len(shape) == 2:
        return rows
    if per == "channel":
        n, c, h, w = shape
        return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    return rows.reshape(shape)


def _checked(momentum: object, eps: object, per: object) -> tuple[float, float, str]:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise ValueError(f"momentum: expected a number in [0, 1) such as 0.9, got {momentum!r}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"eps: expected a small positive number such as 1e-6, got {eps!r}")
    if per not in PER:
        raise ValueError(f"per: expected 'activation' or 'channel', got {per!r}")
    return float(momentum), float(eps), str(per)
