"""Layers: each has ``forward`` and ``backward`` and keeps what its backward pass needs.

- :class:`Affine` — 総入力 u = x·W + b; backward gives ∂E/∂W = xᵀ·δ, ∂E/∂b = Σ_rows δ, ∂E/∂x = δ·Wᵀ.
- activation layers (:class:`ReLU`, :class:`Sigmoid`, …) — z = f(u); backward gives δ = ∂E/∂z ⊙ f'(u).
- output layers (:class:`SoftmaxCrossEntropy`, …) — an activation paired with its loss (誤差関数);
  ``forward(u)`` gives the output y, ``loss(d)`` the batch-mean error E and ``backward(d)`` the output
  delta ∂E/∂u, which already carries the 1/N of the mean.

The deltas are what back-propagation (誤差逆伝播法) reuses (the course's P79): each layer keeps its own
output and its delta, so the layer below gets ∂E/∂u without recomputing anything above it.

Layers write into buffers they own (:class:`nnscratch._backend.Workspace`), grown to the largest
batch seen and viewed at the current batch size, so that a training step allocates (almost) nothing.
The arrays a layer returns are therefore overwritten by its next call; :class:`nnscratch.Network`
copies what it hands to users.
"""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B

# ---------------------------------------------------------------- affine (全結合)


class Affine:
    """全結合層 (Affine): the total input (総入力) u = x·W + b.

    x is a batch of shape (N, n_in), one sample a row; W has shape (n_in, n_out), b shape (n_out,).
    Given δ = ∂E/∂u (shape (N, n_out)), ``backward`` computes

        ∂E/∂W = xᵀ·δ        (n_in, n_out)
        ∂E/∂b = Σ_rows δ    (n_out,)
        ∂E/∂x = δ·Wᵀ        (N, n_in), the δ handed down to the layer below

    W and b are read from ``params`` by key at every call, so a user who updates ``params["W1"]``
    in place or replaces it (the course's update loop) is always seen. The network's own passes use
    a fast twin of this layer (``nnscratch._fast``) that fills the same attributes.
    """

    def __init__(self, params: dict, w_key: str, b_key: str, need_dx: bool = True) -> None:
        self.params = params
        self.w_key = w_key
        self.b_key = b_key
        self.need_dx = need_dx  # the first layer's ∂E/∂x is never used
        self.x = self.u = self.dx = self.dW = self.db = None
        self._u, self._dx = B.Workspace(), B.Workspace()

    def forward(self, x: np.ndarray) -> np.ndarray:
        W, b = self.params[self.w_key], self.params[self.b_key]
        u = self._u.get(x.shape[0], W.shape[1], W.dtype)
        np.matmul(x, W, out=u)  # u = x·W
        u += b  # + b, broadcast over the rows
        self.x, self.u = x, u
        return u

    def backward(self, delta: np.ndarray) -> np.ndarray | None:
        if self.x is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        W = self.params[self.w_key]
        self.dW = np.matmul(self.x.T, delta, out=B.fit(self.dW, W.shape, W.dtype))  # xᵀ·δ
        self.db = np.sum(delta, axis=0, out=B.fit(self.db, W.shape[1:], W.dtype))  # Σ_rows δ
        self.dx = None
        if self.need_dx:
            self.dx = np.matmul(delta, W.T, out=self._dx.get(delta.shape[0], W.shape[0], W.dtype))  # δ·Wᵀ
        return self.dx


# ---------------------------------------------------------------- activations (活性化関数)


class Activation:
    """z = f(u). Subclasses give ``_f(u, out)`` and ``_grad(dz)`` (dz ⊙ f'(u), in place on dz).

    Each derivative is written in terms of what forward kept (u or z), so backward never
    recomputes f.
    """

    name = ""
    differentiable = True

    def __init__(self) -> None:
        self.u: np.ndarray | None = None
        self.z: np.ndarray | None = None
        self.delta: np.ndarray | None = None
        self._z = B.Workspace()

    def forward(self, u: np.ndarray) -> np.ndarray:
        z = self._z.get(u.shape[0], u.shape[1], u.dtype)
        self._f(u, z)
        self.u = u
        self.z = z
        return z

    def backward(self, dz: np.ndarray) -> np.ndarray:
        if self.z is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        self.delta = self._grad(dz)
        return self.delta

    def _f(self, u: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, dz: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class Identity(Activation):
    """恒等関数 z = u; f'(u) = 1."""

    name = "identity"

    def _f(self, u, out):
        np.copyto(out, u)

    def _grad(self, dz):
        return dz


class Step(Activation):
    """ステップ関数 z = [u > 0]. Its derivative is 0 wherever it exists: nothing can be learned through it."""

    name = "step"
    differentiable = False

    def _f(self, u, out):
        np.greater(u, 0, out=out)

    def _grad(self, dz):
        raise ValueError(
            "hidden: a step activation has no usable gradient (its derivative is 0 everywhere it "
            "exists); train with 'sigmoid', 'relu' or 'tanh' instead"
        )


class Sigmoid(Activation):
    """シグモイド z = 1 / (1 + exp(−u)); f'(u) = z(1 − z)."""

    name = "sigmoid"

    def _f(self, u, out):
        _sigmoid_into(u, out)

    def _grad(self, dz):
        z = self.z
        dz *= z
        dz *= 1 - z
        return dz


class Tanh(Activation):
    """tanh z = tanh(u); f'(u) = 1 − z²."""

    name = "tanh"

    def _f(self, u, out):
        np.tanh(u, out=out)

    def _grad(self, dz):
        z = self.z
        dz *= 1 - z * z
        return dz


class ReLU(Activation):
    """ReLU z = max(0, u); f'(u) = [u > 0].

    Forward is ``maximum`` against a row of zeros (NumPy's ``maximum`` with a scalar 0 runs about
    2.5× slower than with an array operand). Backward builds the mask [z > 0] as 0.0/1.0 in the
    activation's dtype and multiplies by it: a float-by-float product runs several times faster in
    NumPy than a product with a boolean array.
    """

    name = "relu"

    def __init__(self) -> None:
        super().__init__()
        self._zeros = B.Workspace(fill=0)  # one row of zeros, broadcast over the batch
        self._mask = B.Workspace()  # [z > 0] kept in a buffer: no temporary per step

    def _f(self, u, out):
        np.maximum(u, self._zeros.get(1, u.shape[1], u.dtype), out=out)

    def _grad(self, dz):
        mask = self._mask.get(dz.shape[0], dz.shape[1], dz.dtype)
        np.greater(self.z, 0, out=mask, casting="unsafe")
        np.multiply(dz, mask, out=dz)
        return dz


class LeakyReLU(Activation):
    """Leaky ReLU z = u if u > 0 else α·u; f'(u) = 1 if u > 0 else α."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = alpha
        self._slope = B.Workspace()  # f'(u) kept in a buffer: no temporary per step

    def _f(self, u, out):
        np.multiply(u, self.alpha, out=out)
        np.maximum(u, out, out=out)  # for 0 < α < 1, max(u, αu) is u above 0 and αu below

    def _grad(self, dz):
        slope = self._slope.get(dz.shape[0], dz.shape[1], dz.dtype)
        np.greater(self.u, 0, out=slope, casting="unsafe")  # [u > 0] as 0/1
        np.maximum(slope, dz.dtype.type(self.alpha), out=slope)  # exactly 1 above 0, α below (0 < α < 1)
        np.multiply(dz, slope, out=dz)
        return dz


def _rows(layer: object, n: int) -> np.ndarray:
    """0, 1, …, n−1 (kept on the layer and grown as needed): the row index of a pick like u[rows, d]."""
    rows = getattr(layer, "_row_ids", None)
    if rows is None or rows.shape[0] < n:
        rows = np.arange(n)
        layer._row_ids = rows
    return rows[:n]


def _sigmoid_into(u: np.ndarray, out: np.ndarray) -> None:
    """σ(u) into ``out`` with no overflow: exp(−|u|) ∈ (0, 1], then 1/(1+e) or e/(1+e) by sign."""
    e = np.exp(-np.abs(u))
    np.divide(1, 1 + e, out=out)
    neg = u < 0
    out[neg] = e[neg] * out[neg]


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, Step, Sigmoid, Tanh, ReLU, LeakyReLU)
}


# ---------------------------------------------------------------- output layers (出力層 + 誤差関数)


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
        self._check()
        delta = self._delta_buffer()
        np.subtract(self.y, d, out=delta)
        delta *= delta.dtype.type(factor / self.y.shape[0])
        self.delta = delta
        return delta


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
        self._check()
        delta = self._delta_buffer()
        np.subtract(self.y, d, out=delta)
        delta *= delta.dtype.type(factor / self.y.shape[0])
        self.delta = delta
        return delta


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
