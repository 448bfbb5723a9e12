"""Output layers (出力層): an activation paired with its loss (誤差関数); backward gives δ = ∂E/∂u."""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B
from nnscratch.layers.activations import _rows, _sigmoid_into


class OutputLayer:
    """Output activation y = f(u) paired with a loss. Targets ``d`` come validated from the network:
    a float array of y's shape, or (softmax only) integer labels of shape (N,)."""

    activation = ""
    loss_name = ""

    def __init__(self) -> None:
        self.u: np.ndarray | None = None
        self.y: np.ndarray | None = None
        self.delta: np.ndarray | None = None
        self._y = B.Workspace()
        self._delta = B.Workspace()

    def forward(self, u: np.ndarray) -> np.ndarray:
        y = self._y.get(u.shape[0], u.shape[1], u.dtype)
        self._f(u, y)
        self.u = u
        self.y = y
        return y

    def _check(self) -> None:
        if self.y is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")

    def _delta_buffer(self) -> np.ndarray:
        return self._delta.get(self.y.shape[0], self.y.shape[1], self.y.dtype)

    def _difference_delta(self, d: np.ndarray, factor: float) -> np.ndarray:
        """δ = (y − d)·factor / N: the output delta of every activation paired with its own loss
        (identity + squared error, sigmoid + binary cross entropy; softmax + cross entropy for one-hot d)."""
        self._check()
        delta = self._delta_buffer()
        np.subtract(self.y, d, out=delta)
        delta *= delta.dtype.type(factor / self.y.shape[0])
        self.delta = delta
        return delta

    def backward_from(self, grad_y: np.ndarray) -> np.ndarray:
        """δ = ∂L/∂u from a given upstream gradient g = ∂L/∂y of any loss L (the chain rule through the
        output activation alone; the paired loss is not used):

        - identity: δ = g;
        - sigmoid:  δ = g ⊙ y(1 − y);
        - softmax:  δ_k = y_k (g_k − Σ_j g_j y_j)   (softmax's Jacobian, row by row).

        ``grad_y`` already carries whatever averaging L does (e.g. the 1/N of a batch mean). Returns a
        new array (this is not on the training path).
        """
        self._check()
        y = self.y
        if self.activation == "identity":
            delta = grad_y.copy()
        elif self.activation == "sigmoid":
            delta = grad_y * y * (1 - y)
        else:
            delta = y * (grad_y - np.sum(grad_y * y, axis=1, keepdims=True))
        self.delta = delta
        return delta

    def loss(self, d: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, d: np.ndarray, factor: float = 1.0) -> np.ndarray:  # pragma: no cover - abstract
        """The output delta ∂E/∂u, times ``factor`` (training passes the learning rate here, so that
        the scaling costs no extra pass)."""
        raise NotImplementedError


class IdentityMSE(OutputLayer):
    """恒等写像 + 二乗誤差 (regression): E = ½ Σ (y − d)² / N, δ = (y − d) / N."""

    activation = "identity"
    loss_name = "mse"

    def _f(self, u, out):
        np.copyto(out, u)

    def loss(self, d):
        self._check()
        diff = self.y - d
        return float(0.5 * np.vdot(diff, diff) / self.y.shape[0])

    def backward(self, d, factor=1.0):
        return self._difference_delta(d, factor)


class SigmoidBinaryCrossEntropy(OutputLayer):
    """シグモイド + 二値交差エントロピー: E = −Σ[d log y + (1−d) log(1−y)] / N, δ = (y − d) / N.

    The loss is computed from u as Σ[max(u,0) − u·d + log(1 + e^−|u|)], exact where y rounds to 0 or 1.
    """

    activation = "sigmoid"
    loss_name = "binary_cross_entropy"

    def _f(self, u, out):
        _sigmoid_into(u, out)

    def loss(self, d):
        self._check()
        u = self.u
        per = np.maximum(u, 0) - u * d + np.log1p(np.exp(-np.abs(u)))
        return float(np.sum(per, dtype=np.float64) / u.shape[0])

    def backward(self, d, factor=1.0):
        return self._difference_delta(d, factor)


class SoftmaxCrossEntropy(OutputLayer):
    """ソフトマックス + 交差エントロピー: E = −Σ d log y / N, δ = (y − d) / N.

    Forward keeps each row's max m and Σ exp(u − m) = s, so log y = u − m − log s is exact and the
    loss never takes log(0).
    """

    activation = "softmax"
    loss_name = "cross_entropy"

    def __init__(self) -> None:
        super().__init__()
        self._m = B.Workspace()
        self._s = B.Workspace()
        self._ones = B.Workspace(fill=1)
        self.row_max: np.ndarray | None = None
        self.row_sum: np.ndarray | None = None

    def _f(self, u, out):
        n, c = u.shape
        # each row's max picked at its argmax, and Σ_k as a product with a column of ones: on rows of
        # a few classes both run several times faster than max/sum along the row
        m = self._m.get(n, 1, u.dtype)
        m[:, 0] = u[_rows(self, n), u.argmax(axis=1)]
        np.subtract(u, m, out=out)
        np.exp(out, out=out)
        s = self._s.get(n, 1, u.dtype)
        np.matmul(out, self._ones.get(c, 1, u.dtype), out=s)
        out /= s
        self.row_max, self.row_sum = m, s

    def loss(self, d):
        self._check()
        n = self.u.shape[0]
        log_norm = self.row_max[:, 0] + np.log(self.row_sum[:, 0])  # log Σ exp(u)
        if d.ndim == 1:
            picked = self.u[_rows(self, n), d]
            return float(np.add.reduce(log_norm - picked, dtype=np.float64) / n)
        log_y = self.u - log_norm[:, None]
        return float(-np.sum(d * log_y, dtype=np.float64) / n)

    def backward(self, d, factor=1.0):
        self._check()
        n = self.y.shape[0]
        delta = self._delta_buffer()
        scale = delta.dtype.type(factor / n)
        if d.ndim == 1:
            np.multiply(self.y, scale, out=delta)
            delta[_rows(self, n), d] -= scale
        else:
            np.subtract(self.y, d, out=delta)
            delta *= scale
        self.delta = delta
        return delta


class SigmoidMSE(OutputLayer):
    """シグモイド + 二乗誤差: δ = (y − d)/N ⊙ y(1 − y)."""

    activation = "sigmoid"
    loss_name = "mse"

    def _f(self, u, out):
        _sigmoid_into(u, out)

    def loss(self, d):
        self._check()
        diff = self.y - d
        return float(0.5 * np.vdot(diff, diff) / self.y.shape[0])

    def backward(self, d, factor=1.0):
        self._check()
        y = self.y
        delta = self._delta_buffer()
        np.subtract(y, d, out=delta)
        delta *= delta.dtype.type(factor / y.shape[0])
        delta *= y
        delta *= 1 - y
        self.delta = delta
        return delta


class SoftmaxMSE(OutputLayer):
    """ソフトマックス + 二乗誤差: with g = (y − d)/N, δ_k = y_k (g_k − Σ_j g_j y_j) (softmax's Jacobian)."""

    activation = "softmax"
    loss_name = "mse"

    _f = SoftmaxCrossEntropy._f

    def __init__(self) -> None:
        super().__init__()
        self._m = B.Workspace()
        self._s = B.Workspace()
        self._ones = B.Workspace(fill=1)

    def _dense(self, d):
        if d.ndim == 1:  # integer labels → one-hot rows
            onehot = np.zeros_like(self.y)
            onehot[np.arange(d.shape[0]), d] = 1
            return onehot
        return d

    def loss(self, d):
        self._check()
        diff = self.y - self._dense(d)
        return float(0.5 * np.vdot(diff, diff) / self.y.shape[0])

    def backward(self, d, factor=1.0):
        self._check()
        y = self.y
        g = (y - self._dense(d)) * y.dtype.type(factor / y.shape[0])
        delta = self._delta_buffer()
        np.multiply(y, g - np.sum(g * y, axis=1, keepdims=True), out=delta)
        self.delta = delta
        return delta


# (output activation, loss) → layer class; the first loss listed for an activation is its default.
OUTPUTS: dict[tuple[str, str], type[OutputLayer]] = {
    ("identity", "mse"): IdentityMSE,
    ("sigmoid", "binary_cross_entropy"): SigmoidBinaryCrossEntropy,
    ("sigmoid", "mse"): SigmoidMSE,
    ("softmax", "cross_entropy"): SoftmaxCrossEntropy,
    ("softmax", "mse"): SoftmaxMSE,
}
DEFAULT_LOSS = {"identity": "mse", "sigmoid": "binary_cross_entropy", "softmax": "cross_entropy"}
