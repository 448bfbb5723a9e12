"""Output layers (出力層): an activation paired with its loss (誤差関数).

``forward(u)`` gives the output y, ``loss(d)`` the batch-mean error E and ``backward(d)`` the output
delta δ = ∂E/∂u, which already carries the 1/N of the mean. Targets ``d`` (正解値) are rows of y's
shape, or — for a softmax output — integer class labels (N,).

Loss values come from :mod:`nnscratch._losses`: computed from u in float64 with no cancelling terms,
exact to a few ulps of the dtype for any finite u (a float32 loss beyond 3.4e38 is inf).
"""

from __future__ import annotations

import numpy as np

from nnscratch import _losses
from nnscratch import functions as F
from nnscratch.layers.base import Layer, not_forwarded


class OutputLayer(Layer):
    """y = f(u) paired with a loss E(d, y). A subclass gives ``f``, ``loss`` and ``backward``."""

    activation = ""
    loss_name = ""

    def __init__(self) -> None:
        super().__init__()
        self.u: np.ndarray | None = None
        self.y: np.ndarray | None = None
        self.delta: np.ndarray | None = None  # the output delta of the last backward (P79's delta2)

    def forward(self, u: np.ndarray, train: bool = True) -> np.ndarray:
        self.u = np.asarray(u)
        self.y = self.f(self.u)
        return self.y

    def targets(self, d: object) -> np.ndarray:
        """d as rows of y's shape and dtype (class labels become one-hot rows)."""
        if self.y is None:
            raise not_forwarded(self)
        d = np.asarray(d)
        if self.activation == "softmax" and d.ndim == 1 and d.dtype.kind in "iu" and self.y.ndim == 2:
            return F.to_one_hot(d, self.y.shape[1], self.y.dtype)
        return d.astype(self.y.dtype, copy=False).reshape(self.y.shape)

    def backward_from(self, grad_y: np.ndarray) -> np.ndarray:
        """δ = ∂L/∂u from a given g = ∂L/∂y of any loss L (the chain rule through f alone):
        identity δ = g; sigmoid δ = g ⊙ y(1 − y); softmax δ_k = y_k (g_k − Σ_j g_j y_j)."""
        if self.y is None:
            raise not_forwarded(self)
        y = self.y
        if self.activation == "identity":
            return np.array(grad_y, dtype=y.dtype)
        if self.activation == "sigmoid":
            return grad_y * y * (1 - y)
        return y * (grad_y - np.sum(grad_y * y, axis=1, keepdims=True))

    def backward(self, d: object) -> np.ndarray:
        """The output delta δ = ∂E/∂u for targets d (kept as ``delta``)."""
        self.delta = self.output_delta(self.targets(d))
        return self.delta

    def f(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def output_delta(self, d: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def loss(self, d: object) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


class IdentityMSE(OutputLayer):
    """恒等写像 + 二乗和誤差 (regression): y = u, E = ½ Σ_k (y_k − d_k)² / N, δ = (y − d) / N."""

    activation, loss_name = "identity", "mse"

    def f(self, u):
        return u.copy()

    def loss(self, d):
        return _losses.squared_error(self.targets(d), self.y)

    def output_delta(self, d):
        return (self.y - d) / len(self.y)


class SigmoidBinaryCrossEntropy(OutputLayer):
    """シグモイド + 二値交差エントロピー: E = −Σ_k [d log y + (1−d) log(1−y)] / N, δ = (y − d) / N."""

    activation, loss_name = "sigmoid", "binary_cross_entropy"

    def f(self, u):
        return F.sigmoid(u)

    def loss(self, d):
        return _losses.sigmoid_binary_cross_entropy(self.targets(d), self.u)

    def output_delta(self, d):
        return (self.y - d) / len(self.y)


class SoftmaxCrossEntropy(OutputLayer):
    """ソフトマックス + 交差エントロピー: y_k = e^{u_k} / Σ_j e^{u_j}, E = −Σ_k d_k log y_k / N,
    δ = (y − d) / N."""

    activation, loss_name = "softmax", "cross_entropy"

    def f(self, u):
        return F.softmax(u)

    def loss(self, d):
        d = np.asarray(d)
        labels = d.ndim == 1 and d.dtype.kind in "iu"  # labels are taken as they are: exact and cheap
        return _losses.softmax_cross_entropy(d if labels else self.targets(d), self.u)

    def output_delta(self, d):
        return (self.y - d) / len(self.y)


class SigmoidMSE(OutputLayer):
    """シグモイド + 二乗和誤差: E = ½ Σ (y − d)² / N, δ = (y − d)/N ⊙ y(1 − y)."""

    activation, loss_name = "sigmoid", "mse"

    def f(self, u):
        return F.sigmoid(u)

    def loss(self, d):
        return _losses.sigmoid_squared_error(self.targets(d), self.u)

    def output_delta(self, d):
        return (self.y - d) / len(self.y) * self.y * (1 - self.y)


class SoftmaxMSE(OutputLayer):
    """ソフトマックス + 二乗和誤差: with g = (y − d)/N, δ_k = y_k (g_k − Σ_j g_j y_j) (softmax's Jacobian)."""

    activation, loss_name = "softmax", "mse"

    def f(self, u):
        return F.softmax(u)

    def loss(self, d):
        return _losses.softmax_squared_error(self.targets(d), self.u)

    def output_delta(self, d):
        return self.backward_from((self.y - d) / len(self.y))


# (output activation, loss) → layer class; the first loss listed for an activation is its default.
OUTPUTS: dict[tuple[str, str], type[OutputLayer]] = {
    ("identity", "mse"): IdentityMSE,
    ("sigmoid", "binary_cross_entropy"): SigmoidBinaryCrossEntropy,
    ("sigmoid", "mse"): SigmoidMSE,
    ("softmax", "cross_entropy"): SoftmaxCrossEntropy,
    ("softmax", "mse"): SoftmaxMSE,
}
DEFAULT_LOSS = {"identity": "mse", "sigmoid": "binary_cross_entropy", "softmax": "cross_entropy"}
