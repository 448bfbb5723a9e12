"""Pure math of the course: activation functions (活性化関数), their derivatives, losses (誤差関数),
the numerical gradient (数値微分) and the image ↔ matrix reshapes of convolution (im2col / col2im).

Conventions (see DESIGN.md):

- rows are samples; a 1-D array is one sample;
- every ``d_*`` activation derivative takes the **pre-activation** (総入力) ``u``, not the output ``z``;
- losses take the target first, ``(d, y)``, and are the mean over rows of the per-sample loss;
  loss derivatives are derivatives of that mean, so they carry the ``1/N``;
- float32 stays float32 and float64 stays float64; integer input computes in float64;
- a loss is exact to a few ulps of its input's dtype for any finite input (``nnscratch._losses``
  computes it in float64 with no cancelling terms and rounds it to that dtype: a float32 loss above
  3.4e38 is inf), with no numpy warnings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnscratch import _losses
from nnscratch._backend import float_dtype_of
from nnscratch._validation import check_step

__all__ = [
    "identity",
    "step_function",
    "sigmoid",
    "relu",
    "leaky_relu",
    "tanh",
    "softmax",
    "d_identity",
    "d_step_function",
    "d_sigmoid",
    "d_relu",
    "d_leaky_relu",
    "d_tanh",
    "mean_squared_error",
    "d_mean_squared_error",
    "cross_entropy_error",
    "binary_cross_entropy",
    "softmax_with_loss",
    "sigmoid_with_loss",
    "d_softmax_with_loss",
    "d_sigmoid_with_loss",
    "numerical_gradient",
    "to_one_hot",
    "conv_output_size",
    "im2col",
    "col2im",
]


def _float(x: object) -> np.ndarray:
    a = np.asarray(x)
    return a.astype(float_dtype_of(a), copy=False)


# ---------------------------------------------------------------- activations (活性化関数)


def identity(x: np.ndarray) -> np.ndarray:
    """恒等関数 f(u) = u."""
    return _float(x)


def step_function(x: np.ndarray) -> np.ndarray:
    """ステップ関数 f(u) = 1 if u > 0 else 0."""
    a = _float(x)
    return (a > 0).astype(a.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """シグモイド関数 f(u) = 1 / (1 + exp(-u)).

    Computed from exp(-|u|) so that no exponent overflows: for u >= 0 it is 1 / (1 + e), for u < 0
    it is e / (1 + e), with e = exp(-|u|) in (0, 1].
    """
    a = _float(x)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(a.dtype, copy=False)


def relu(x: np.ndarray) -> np.ndarray:
    """ReLU関数 f(u) = max(0, u)."""
    a = _float(x)
    return np.maximum(a, 0)


def leaky_relu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU f(u) = u if u > 0 else alpha·u."""
    a = _float(x)
    return np.where(a > 0, a, a * a.dtype.type(alpha))


def tanh(x: np.ndarray) -> np.ndarray:
    """双曲線正接関数 f(u) = tanh(u)."""
    return np.tanh(_float(x))


def softmax(x: np.ndarray) -> np.ndarray:
    """ソフトマックス関数 y_k = exp(u_k) / Σ_j exp(u_j), over the last axis.

    The row maximum is subtracted first (the course's overflow guard); the result is unchanged
    because the common factor exp(-max) cancels.
    """
    a = _float(x)
    with np.errstate(over="ignore"):  # u_k − max below −float max is −inf, whose exp is the exact 0
        shifted = a - np.max(a, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


# ---------------------------------------------------------------- derivatives f'(u)


def d_identity(u: np.ndarray) -> np.ndarray:
    """f'(u) = 1 for the identity."""
    return np.ones_like(_float(u))


def d_step_function(u: np.ndarray) -> np.ndarray:
    """f'(u) = 0 for the step function (wherever it exists), so no gradient flows through it."""
    return np.zeros_like(_float(u))


def d_sigmoid(u: np.ndarray) -> np.ndarray:
    """f'(u) = σ(u)·(1 − σ(u)), taking the pre-activation u (the course applies it to z by mistake)."""
    s = sigmoid(u)
    return s * (1 - s)


def d_relu(u: np.ndarray) -> np.ndarray:
    """f'(u) = 1 if u > 0 else 0."""
    a = _float(u)
    return (a > 0).astype(a.dtype)


def d_leaky_relu(u: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """f'(u) = 1 if u > 0 else alpha."""
    a = _float(u)
    return np.where(a > 0, a.dtype.type(1), a.dtype.type(alpha))


def d_tanh(u: np.ndarray) -> np.ndarray:
    """f'(u) = 1 − tanh(u)²."""
    t = np.tanh(_float(u))
    return 1 - t * t


# ---------------------------------------------------------------- losses (誤差関数)


def _rows(d: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """View a pair as 2-D rows: a 1-D pair is one row (one sample)."""
    y = _float(y)
    d = np.asarray(d)
    if y.ndim == 1:
        y = y[None, :]
        d = d[None, ...] if d.ndim >= 1 else d.reshape(1)
    return d, y


def _labels_if_integer(d: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Integer class labels (one per row) are returned as indices; one-hot/soft targets give None."""
    if d.shape == y.shape:
        return None
    if d.shape == y.shape[:1] and (np.issubdtype(d.dtype, np.integer) or _is_whole(d)):
        labels = d.astype(np.intp)
        if labels.size and (labels.min() < 0 or labels.max() >= y.shape[1]):
            raise ValueError(
                f"d: class labels must lie in 0..{y.shape[1] - 1}, got values from "
                f"{labels.min()} to {labels.max()}"
            )
        return labels
    raise ValueError(
        f"d: expected one-hot targets of shape {y.shape} or integer labels of shape {y.shape[:1]}, "
        f"got shape {d.shape}"
    )


def _is_whole(d: np.ndarray) -> bool:
    return bool(np.issubdtype(d.dtype, np.floating) and np.all(np.mod(d, 1) == 0))


def to_one_hot(labels: np.ndarray, n_classes: int, dtype: object = np.float64) -> np.ndarray:
    """One-hot encoding (one-hot表現): row i has a 1 in column labels[i].

    >>> to_one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    labels = np.asarray(labels).astype(np.intp).reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1}, got values from {labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.size, n_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def mean_squared_error(d: np.ndarray, y: np.ndarray) -> float:
    """二乗和誤差 E = ½ Σ_k (y_k − d_k)², averaged over rows (the ½ cancels the 2 of the derivative).

    Summed over the K outputs, as the course's formula is: E is K/2 times PyTorch's
    ``MSELoss(reduction="mean")``, which averages over outputs too and has no ½.
    """
    d, y = _rows(d, y)
    return _losses.squared_error(d.reshape(y.shape), y)


def d_mean_squared_error(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂E/∂y = (y − d) / N for the batch-mean squared error."""
    y_arr = _float(y)
    d2, y2 = _rows(d, y_arr)
    return ((y2 - d2.reshape(y2.shape)) / y2.shape[0]).reshape(y_arr.shape).astype(y_arr.dtype)


def cross_entropy_error(d: np.ndarray, y: np.ndarray) -> float:
    """交差エントロピー誤差 E = −Σ_k d_k log y_k, averaged over rows.

    ``d`` is one-hot (the shape of y) or integer labels (one per row). Finite where y has zeros: log 0
    is taken as log of the dtype's smallest normal number (the course adds 1e-7 to every y instead).
    """
    d, y = _rows(d, y)
    return _losses.cross_entropy(d, y, _labels_if_integer(d, y))


def binary_cross_entropy(d: np.ndarray, y: np.ndarray) -> float:
    """二値交差エントロピー E = −Σ_k [d log y + (1 − d) log(1 − y)], summed over outputs and averaged
    over rows (K times PyTorch's ``BCELoss(reduction="mean")``, which also averages over outputs).

    Finite at y ∈ {0, 1} (as ``cross_entropy_error``); log(1 − y) is computed as log1p(−y), exact
    for small y.
    """
    d, y = _rows(d, y)
    return _losses.binary_cross_entropy(d.reshape(y.shape), y)


def softmax_with_loss(d: np.ndarray, u: np.ndarray) -> float:
    """Cross entropy of softmax(u), from the pre-activation u: per row
    log1p(Σ_{k≠argmax} exp(u_k − m)) + (m − u_label) with m = max u — exact for any finite u
    (log 2 for the tie [1e30, 1e30]).

    E = −Σ_k d_k log softmax(u)_k, averaged over rows.

    >>> import numpy as np
    >>> round(softmax_with_loss(np.array([[0.0, 1.0]]), np.array([[0.0, 0.0]])), 6)   # log 2
    0.693147
    """
    d, u = _rows(d, u)
    labels = _labels_if_integer(d, u)
    return _losses.softmax_cross_entropy(labels if labels is not None else d, u)


def sigmoid_with_loss(d: np.ndarray, u: np.ndarray) -> float:
    """Binary cross entropy of sigmoid(u), from u: Σ [relu(u)(1 − d) + relu(−u)·d + log(1 + exp(−|u|))]
    / N, which equals −Σ [d log σ(u) + (1 − d) log(1 − σ(u))] / N with no term that can overflow."""
    d, u = _rows(d, u)
    return _losses.sigmoid_binary_cross_entropy(d.reshape(u.shape), u)


def d_softmax_with_loss(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂E/∂u = (y − d) / N for softmax + cross entropy; ``y`` is the softmax output."""
    y_arr = _float(y)
    d2, y2 = _rows(d, y_arr)
    labels = _labels_if_integer(d2, y2)
    n = y2.shape[0]
    if labels is not None:
        delta = y2.copy()
        delta[np.arange(n), labels] -= 1
    else:
        delta = y2 - d2
    return (delta / n).reshape(y_arr.shape).astype(y_arr.dtype, copy=False)


def d_sigmoid_with_loss(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂E/∂u = (y − d) / N for sigmoid + binary cross entropy; ``y`` is the sigmoid output."""
    y_arr = _float(y)
    d2, y2 = _rows(d, y_arr)
    return ((y2 - d2.reshape(y2.shape)) / y2.shape[0]).reshape(y_arr.shape).astype(y_arr.dtype)


# ---------------------------------------------------------------- numerical gradient (数値微分)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """中心差分 ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every element of ``x`` (any shape).

    ``f`` is called with ``x`` itself, changed in place one element at a time; every element is put
    back exactly as it was, also when ``f`` raises.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x: numerical_gradient needs a float numpy array it can change in place, got "
            f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of dtype ' + str(x.dtype)}"
        )
    check_step(h)
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        idx = it.multi_index
        original = x[idx].copy()
        try:
            x[idx] = original + h
            f_plus = float(f(x))
            x[idx] = original - h
            f_minus = float(f(x))
        finally:
            x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad.astype(x.dtype, copy=False)


# ---------------------------------------------------------------- convolution (畳み込み): im2col, col2im


def conv_output_size(h: int, fh: int, stride: int = 1, pad: int = 0) -> int:
    """出力サイズ OH = (H + 2P − FH) / S + 1 of a convolution or pooling along one side (the width
    likewise); a ValueError with the numbers when S does not divide H + 2P − FH.

    The course's confirmation tests: 6×6, 2×2 filter, P = 1, S = 1 → 7; 5×5, 3×3, P = 1, S = 2 → 3.

    >>> conv_output_size(6, 2, stride=1, pad=1), conv_output_size(5, 3, stride=2, pad=1)
    (7, 3)
    """
    for name, value, low in (("h", h, 1), ("fh", fh, 1), ("stride", stride, 1), ("pad", pad, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: expected an integer ≥ {low} (e.g. {name}={max(low, 1)}), "
                             f"got {value!r}")
    span = h + 2 * pad - fh
    if span >= 0 and span % stride == 0:
        return int(span // stride + 1)
    fits = [p for p in range(pad, pad + stride + fh + 1)
            if h + 2 * p >= fh and (h + 2 * p - fh) % stride == 0]
    hint = f"pad={fits[0]}" if fits else "stride=1"
    raise ValueError(f"stride/pad: OH = (H + 2P − FH) / S + 1 = ({h} + 2·{pad} − {fh}) / {stride} + 1 = "
                     f"{span / stride + 1:g}, not a whole number ≥ 1; choose sizes that divide, e.g. {hint}")


def _padded(x: np.ndarray, fh: int, fw: int, stride: int, pad: int) -> tuple[np.ndarray, int, int]:
    """x (N, C, H, W) with P zeros on every side, and the output size (OH, OW) — or a one-line error."""
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        raise ValueError(f"x: expected images of shape (N, C, H, W) such as (10, 1, 28, 28), got shape "
                         f"{np.shape(x)}")
    oh = conv_output_size(x.shape[2], fh, stride, pad)
    ow = conv_output_size(x.shape[3], fw, stride, pad)
    return (np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x), oh, ow


def im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """im2col (画像を行列に): images x (N, C, H, W) → a matrix with one row per filter position, so that a
    convolution becomes one matrix product (『ゼロから作る』 7.4.3, the book's layout):

        col[(n, i, j), (c, p, q)] = x_pad[n, c, i·S + p, j·S + q]

    rows (n, i, j) in that order, N·OH·OW of them; columns (c, p, q), C·FH·FW of them; x_pad is x with
    P zeros on every side; OH, OW from :func:`conv_output_size`. A filter W (FN, C, FH, FW) reshaped to
    (FN, C·FH·FW) then gives the convolution as col · Wᵀ.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> im2col(x, 3, 3).shape, im2col(x, 3, 3)[0].tolist()
    ((4, 9), [0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 8.0, 9.0, 10.0])
    """
    img, oh, ow = _padded(_float(x), fh, fw, stride, pad)
    n, c = img.shape[:2]
    col = np.empty((n, oh, ow, c, fh, fw), dtype=img.dtype)
    for p in range(fh):  # filter row p sees image rows p, p + S, …, p + S·(OH − 1) (columns likewise)
        for q in range(fw):
            rows, cols = slice(p, p + stride * oh, stride), slice(q, q + stride * ow, stride)
            col[:, :, :, :, p, q] = img[:, :, rows, cols].transpose(0, 2, 3, 1)  # (N, OH, OW, C)
    return col.reshape(n * oh * ow, c * fh * fw)


def col2im(col: np.ndarray, x_shape: tuple, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """col2im (行列を画像に): the way back of :func:`im2col` for gradients — each entry of ``col``
    (N·OH·OW, C·FH·FW) is added to the pixel it was copied from,

        x[n, c, h, w] = Σ col[(n, i, j), (c, p, q)] over i·S + p − P = h, j·S + q − P = w,

    so a pixel that several windows share gets the sum of their entries, and padding is dropped. It is
    the transpose (adjoint) of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, which is why
    ∂E/∂x = col2im(∂E/∂col). ``x_shape`` is the images' shape (N, C, H, W).

    >>> col2im(np.ones((4, 9)), (1, 1, 4, 4), 3, 3)[0, 0].tolist()[0]
    [1.0, 2.0, 2.0, 1.0]
    """
    if len(x_shape) != 4:
        raise ValueError(f"x_shape: expected (N, C, H, W) such as (10, 1, 28, 28), got {tuple(x_shape)}")
    n, c, h, w = (int(v) for v in x_shape)
    oh, ow = conv_output_size(h, fh, stride, pad), conv_output_size(w, fw, stride, pad)
    col = _float(col)
    if col.shape != (n * oh * ow, c * fh * fw):
        raise ValueError(f"col: expected shape {(n * oh * ow, c * fh * fw)} for x_shape {tuple(x_shape)}, "
                         f"got {col.shape}")
    patches = col.reshape(n, oh, ow, c, fh, fw)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    for p in range(fh):  # filter row p touched image rows p, p + S, …, p + S·(OH − 1) (columns likewise)
        for q in range(fw):
            rows, cols = slice(p, p + stride * oh, stride), slice(q, q + stride * ow, stride)
            img[:, :, rows, cols] += patches[:, :, :, :, p, q].transpose(0, 3, 1, 2)  # (N, C, OH, OW)
    return img[:, :, pad : pad + h, pad : pad + w]
