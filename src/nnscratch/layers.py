"""Layers: each has ``forward`` and ``backward`` and keeps what its backward pass needs.

- :class:`Affine` — 総入力 u = x·W + b; backward gives ∂E/∂W = xᵀ·δ, ∂E/∂b = Σ_rows δ, ∂E/∂x = δ·Wᵀ.
- activation layers (:class:`ReLU`, :class:`Sigmoid`, …) — z = f(u); backward gives δ = ∂E/∂z ⊙ f'(u).
- output layers (:class:`SoftmaxCrossEntropy`, …) — an activation paired with its loss (誤差関数);
  ``forward(u)`` gives the output y, ``loss(d)`` the batch-mean error E and ``backward(d)`` the output
  delta ∂E/∂u, which already carries the 1/N of the mean.

The deltas are what back-propagation (誤差逆伝播法) reuses (the course's P79): each layer keeps its own
output and its delta, so the layer below gets ∂E/∂u without recomputing anything above it.

Layers write into buffers they own, grown to the largest batch seen and viewed at the current batch
size, so that a training step allocates (almost) nothing. The arrays a layer returns are therefore
overwritten by its next call; :class:`nnscratch.Network` copies what it hands to users.
"""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B
from nnscratch import _blas


class _Workspace:
    """A buffer that grows to the largest row count asked for and is viewed at the current one.

    With ``fill`` set, a new buffer is filled with that value once (for a constant operand such as
    the ones that sum a batch); its users never write into it.
    """

    __slots__ = ("_buf", "_fill", "_key", "_view")

    def __init__(self, fill: float | None = None) -> None:
        self._buf: np.ndarray | None = None
        self._fill = fill
        self._key: tuple | None = None  # (n, cols, dtype) of the last view handed out, and the view
        self._view: np.ndarray | None = None

    def get(self, n: int, cols: int, dtype: np.dtype) -> np.ndarray:
        key = (n, cols, dtype)
        if key == self._key:  # the common case in training: the same batch size as last time
            return self._view
        buf = self._buf
        if buf is None or buf.shape[0] < n or buf.shape[1] != cols or buf.dtype != dtype:
            buf = self._buf = B.empty((n, cols), dtype)
            if self._fill is not None:
                buf.fill(self._fill)
        self._key, self._view = key, buf[:n]
        return self._view


# ---------------------------------------------------------------- affine (全結合)


class Affine:
    """Fully connected layer u = x·W + b, reading W and b from ``params`` at every call.

    Reading them by key (not holding the arrays) lets a user replace ``params["W1"]`` or update it
    in place, as the course's loop does, and the layer always sees the current values.
    """

    def __init__(self, params: dict, w_key: str, b_key: str, need_dx: bool = True) -> None:
        self.params = params
        self.w_key = w_key
        self.b_key = b_key
        self.need_dx = need_dx  # the first layer's input gradient is never used: skip its matmul
        self.x: np.ndarray | None = None
        self.u: np.ndarray | None = None
        self.dx: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None
        self._u = _Workspace()
        self._dx = _Workspace()
        self._ones = _Workspace(fill=1)  # Σ_rows δ as the matrix-vector product 1ᵀ·δ (BLAS, faster)
        self._forward_product = _blas.Product(1.0, 1.0)  # u ← x·W + u
        self._dx_product = _blas.Product(1.0, 0.0, trans_b=True)  # dx ← δ·Wᵀ
        # target ← −xᵀ·δ + β·target for W (SGD, β = 1) or a velocity (momentum, β = μ), and the same
        # with a column of ones for b; made when first needed, again when μ changes
        self._update_products: dict[tuple[str, float], _blas.Product] = {}
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # "b"/"vb" -> (array, its row view)

    def __getstate__(self) -> dict:
        # a copy or a pickle must not keep row views: each would become an array of its own
        state = self.__dict__.copy()
        state["_rows"] = {}
        return state

    def forward(self, x: np.ndarray) -> np.ndarray:
        W = self.params[self.w_key]
        b = self.params[self.b_key]
        u = self._u.get(x.shape[0], W.shape[1], W.dtype)
        np.copyto(u, b)  # u = b, then u += x·W in the product itself (β = 1)
        if not self._forward_product(x, W, u):
            np.matmul(x, W, out=u)  # NumPy's path: the product, then the bias
            u += b
        self.x = x
        self.u = u
        return u

    def backward(self, delta: np.ndarray) -> np.ndarray | None:
        if self.x is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        W = self.params[self.w_key]
        if self.dW is None or self.dW.shape != W.shape or self.dW.dtype != W.dtype:
            self.dW = B.empty(W.shape, W.dtype)
        if self.db is None or self.db.shape != W.shape[1:] or self.db.dtype != W.dtype:
            self.db = B.empty(W.shape[1:], W.dtype)  # apart from dW: backward_update may make dW alone
        np.matmul(self.x.T, delta, out=self.dW)
        np.matmul(self._ones.get(delta.shape[0], 1, delta.dtype)[:, 0], delta, out=self.db)
        if not self.need_dx:
            self.dx = None
            return None
        dx = self._dx.get(delta.shape[0], W.shape[0], W.dtype)
        np.matmul(delta, W.T, out=dx)
        self.dx = dx
        return dx

    def backward_update(
        self, delta: np.ndarray, velocity: tuple[np.ndarray, np.ndarray] | None = None, momentum: float = 0.0
    ) -> np.ndarray | None:
        """Back-propagate and update at once, for a delta that already carries η (学習率):
        returns δ·Wᵀ (taken with the old W, = η·∂E/∂x), then

        - plain SGD (``velocity=None``): W ← W − xᵀ·δ and b ← b − Σ_rows δ;
        - momentum (``velocity=(v_W, v_b)``, μ = ``momentum``): v ← μ·v − xᵀ·δ, W ← W + v, and the same
          for b with Σ_rows δ.

        With NumPy's BLAS reachable (:mod:`nnscratch._blas`) each ``v ← μ·v − xᵀ·δ`` (or W ← W − xᵀ·δ)
        is one GEMM (α = −1, β = μ or 1): no gradient array is written and read back. Otherwise it is
        ``matmul`` into ``dW`` and elementwise passes, with the same result up to rounding.
        """
        if self.x is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        W = self.params[self.w_key]
        b = self.params[self.b_key]
        x = self.x
        dx = None
        if self.need_dx:  # before W changes
            dx = self._dx.get(delta.shape[0], W.shape[0], W.dtype)
            if not self._dx_product(delta, W, dx):
                np.matmul(delta, W.T, out=dx)
        self.dx = dx
        ones = self._ones.get(delta.shape[0], 1, delta.dtype)
        if velocity is None:
            self._accumulate("W", 1.0, x, delta, W)
            self._accumulate("b", 1.0, ones, delta, self._row("b", b))
        else:
            v_W, v_b = velocity
            self._accumulate("W", momentum, x, delta, v_W)
            W += v_W
            self._accumulate("b", momentum, ones, delta, self._row("vb", v_b))
            b += v_b
        return dx

    def _row(self, name: str, a: np.ndarray) -> np.ndarray:
        """``a[None, :]``, kept while ``a`` is the same array (a new view per step would make the
        prepared BLAS call prepare again)."""
        kept = self._rows.get(name)
        if kept is None or kept[0] is not a:
            kept = self._rows[name] = (a, a[None, :])
        return kept[1]

    def _accumulate(
        self, which: str, beta: float, a: np.ndarray, delta: np.ndarray, target: np.ndarray
    ) -> None:
        """target ← −aᵀ·δ + β·target: through a prepared BLAS call, or NumPy when that declines."""
        product = self._update_products.get((which, beta))
        if product is None:
            product = self._update_products[(which, beta)] = _blas.Product(-1.0, beta, trans_a=True)
        if product(a, delta, target):
            return
        if which == "W":
            if self.dW is None or self.dW.shape != target.shape or self.dW.dtype != target.dtype:
                self.dW = B.empty(target.shape, target.dtype)
            g = np.matmul(a.T, delta, out=self.dW)
        else:
            g = np.matmul(a[:, 0], delta)[None, :]
        if beta != 1.0:
            target *= beta
        target -= g


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
        self._z = _Workspace()

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
        self._zeros = _Workspace(fill=0)  # one row of zeros, broadcast over the batch
        self._mask = _Workspace()  # [z > 0] kept in a buffer: no temporary per step

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
        self._slope = _Workspace()  # f'(u) kept in a buffer: no temporary per step

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
        self._y = _Workspace()
        self._delta = _Workspace()

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
        self._m = _Workspace()
        self._s = _Workspace()
        self._ones = _Workspace(fill=1)
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
        self._m = _Workspace()
        self._s = _Workspace()
        self._ones = _Workspace(fill=1)

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
