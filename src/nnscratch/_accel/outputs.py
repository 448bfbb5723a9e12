"""The twin's output layers: the readable ones' formulas into buffers, the delta scaled by a factor
(training folds the learning rate into it)."""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B
from nnscratch import _losses
from nnscratch import functions as F
from nnscratch._accel.activations import _rows, _sigmoid_into


class OutputLayer:
    """Output activation y = f(u) paired with a loss. Targets ``d`` come validated from the network:
    a float array of y's shape, or (softmax only) integer labels of shape (N,).

    ``loss(d)`` is the batch mean of the per-sample loss, exact to a few ulps of the network's dtype
    for any finite u (computed from u in float64 by ``nnscratch._losses``; a float32 loss beyond
    3.4e38 is inf). Training needs only the delta, which is exact by construction.
    """

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

    def loss(self, d: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, d: np.ndarray, factor: float = 1.0) -> np.ndarray:  # pragma: no cover - abstract
        """The output delta ∂E/∂u, times ``factor`` (training passes the learning rate here, so that
        the scaling costs no extra pass)."""
        raise NotImplementedError


class IdentityMSE(OutputLayer):
    """恒等写像 + 二乗和誤差 (regression): E = ½ Σ_k (y_k − d_k)² / N, δ = (y − d) / N.

    The ½ and the sum over outputs follow the course: E is K/2 times PyTorch's
    ``MSELoss(reduction="mean")``, which also averages over the K outputs and has no ½.
    """

    activation = "identity"
    loss_name = "mse"

    def _f(self, u, out):
        np.copyto(out, u)

    def loss(self, d):
        self._check()
        return _losses.squared_error(d, self.u)

    def backward(self, d, factor=1.0):
        return self._difference_delta(d, factor)


class SigmoidBinaryCrossEntropy(OutputLayer):
    """シグモイド + 二値交差エントロピー: E = −Σ_k [d log y + (1−d) log(1−y)] / N, δ = (y − d) / N.

    Summed over the K outputs and averaged over rows (PyTorch's ``BCEWithLogitsLoss`` averages over
    both: ours is K times it). The loss is computed from u, exact where y rounds to 0 or 1.
    """

    activation = "sigmoid"
    loss_name = "binary_cross_entropy"

    def _f(self, u, out):
        _sigmoid_into(u, out)

    def loss(self, d):
        self._check()
        return _losses.sigmoid_binary_cross_entropy(d, self.u)

    def backward(self, d, factor=1.0):
        return self._difference_delta(d, factor)


class SoftmaxCrossEntropy(OutputLayer):
    """ソフトマックス + 交差エントロピー: E = −Σ d log y / N, δ = (y − d) / N.

    Forward keeps each row's max m (at ``row_argmax``) and Σ exp(u − m) = s. The loss is computed
    from u as log1p(Σ_{k≠argmax} exp(u_k − m)) + (m − u_label): no log(0), and log 2 for the tie
    [1e30, 1e30] (m + log s − u_label would round log s away next to a huge m).
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
        self.row_argmax: np.ndarray | None = None

    def _f(self, u, out):
        n, c = u.shape
        # each row's max picked at its argmax, and Σ_k as a product with a column of ones: on rows of
        # a few classes both run several times faster than max/sum along the row
        m = self._m.get(n, 1, u.dtype)
        self.row_argmax = u.argmax(axis=1)
        m[:, 0] = u[_rows(self, n), self.row_argmax]
        np.subtract(u, m, out=out)
        np.exp(out, out=out)
        s = self._s.get(n, 1, u.dtype)
        np.matmul(out, self._ones.get(c, 1, u.dtype), out=s)
        out /= s
        self.row_max, self.row_sum = m, s

    def loss(self, d):
        self._check()
        rows = _rows(self, self.u.shape[0])
        return _losses.softmax_cross_entropy(d, self.u, self.row_argmax, rows, self.row_max)

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
    """シグモイド + 二乗和誤差: δ = (y − d)/N ⊙ y(1 − y)."""

    activation = "sigmoid"
    loss_name = "mse"

    def _f(self, u, out):
        _sigmoid_into(u, out)

    def loss(self, d):
        self._check()
        return _losses.sigmoid_squared_error(d, self.u)

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
    """ソフトマックス + 二乗和誤差: with g = (y − d)/N, δ_k = y_k (g_k − Σ_j g_j y_j) (softmax's Jacobian)."""

    activation = "softmax"
    loss_name = "mse"

    _f = SoftmaxCrossEntropy._f

    def __init__(self) -> None:
        super().__init__()
        self._m = B.Workspace()
        self._s = B.Workspace()
        self._ones = B.Workspace(fill=1)
        self.row_argmax: np.ndarray | None = None

    def _dense(self, d):
        if d.ndim == 1:  # integer labels → one-hot rows
            return F.to_one_hot(d, self.y.shape[1], self.y.dtype)
        return d

    def loss(self, d):
        self._check()
        return _losses.softmax_squared_error(self._dense(d), self.u, self.row_argmax)

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
