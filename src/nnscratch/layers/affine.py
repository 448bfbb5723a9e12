"""全結合層 (Affine): the total input u = x·W + b and its three gradients."""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B
from nnscratch._arch import _init_std, check_count, check_seed
from nnscratch.layers.base import Layer, not_forwarded


class Affine(Layer):
    """全結合層 (Affine): the total input (総入力) u = x·W + b — the course's ``np.dot(x, W1) + b1``.

    x is a batch (N, n_in), one sample a row; W is (n_in, n_out), b is (n_out,). Given
    dout = ∂E/∂u (N, n_out), ``backward`` keeps ∂E/∂W = xᵀ·dout and ∂E/∂b = Σ_rows dout in ``grads``
    and returns ∂E/∂x = dout·Wᵀ, the delta handed down to the layer below (誤差逆伝播法). It keeps x
    (for ∂E/∂W) and u (for a learner to read, as the course prints u1); ``dW`` and ``db`` are the book's
    names of the two gradients.

    ``init``: the initial weights' standard deviation — ``"he"`` √(2/n_in) (for ReLU), ``"xavier"``
    √(1/n_in) (for sigmoid/tanh) or a number such as the course's ``0.01``; biases start at 0.

    >>> layer = Affine(2, 3, seed=0)
    >>> layer.forward(np.ones((4, 2), np.float32)).shape
    (4, 3)
    >>> layer.backward(np.ones((4, 3), np.float32)).shape, sorted(layer.grads)
    ((4, 2), ['W', 'b'])
    """

    def __init__(self, n_in: int, n_out: int, init: str | float = "he", seed: int | None = None,
                 dtype: str = "float32") -> None:
        super().__init__()
        self.n_in, self.n_out = check_count("n_in", n_in), check_count("n_out", n_out)
        self.init = init
        self.x: np.ndarray | None = None
        self.u: np.ndarray | None = None
        self.init_params(np.random.default_rng(check_seed(seed)), B.resolve_dtype(dtype))

    def init_params(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        std = _init_std(self.init, self.n_in, dtype)  # a scale the dtype cannot hold is refused
        self.params["W"] = (std * rng.standard_normal((self.n_in, self.n_out))).astype(dtype)
        self.params["b"] = np.zeros(self.n_out, dtype)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        self.x = np.asarray(x, dtype=W.dtype)
        self.u = self.x @ W + b  # u = x·W + b
        return self.u

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.x is None:
            raise not_forwarded(self)
        self.grads["W"] = self.x.T @ dout  # ∂E/∂W = xᵀ·δ
        self.grads["b"] = dout.sum(axis=0)  # ∂E/∂b = Σ_rows δ
        return dout @ self.params["W"].T  # ∂E/∂x = δ·Wᵀ

    @property
    def dW(self) -> np.ndarray | None:
        return self.grads.get("W")

    @property
    def db(self) -> np.ndarray | None:
        return self.grads.get("b")

    def config(self) -> dict:
        return {"type": "Affine", "n_in": self.n_in, "n_out": self.n_out, "init": self.init}
