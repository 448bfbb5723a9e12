"""Activation layers (活性化関数): z = f(u) forward; backward gives δ = ∂E/∂z ⊙ f'(u).

Each layer keeps its input u and output z (the course's names), and each derivative is written with
whichever of them makes it simplest, so backward never computes f again. It also keeps the δ it
handed down (``delta``): what back-propagation reuses instead of recomputing (the course's P79).
"""

from __future__ import annotations

import numpy as np

from nnscratch import functions as F
from nnscratch.layers.base import Layer, not_forwarded


class Activation(Layer):
    """z = f(u), kept with u for backward. A subclass gives ``f(u)`` and ``df(dz)`` = dz ⊙ f'(u)."""

    name = ""

    def __init__(self) -> None:
        super().__init__()
        self.u: np.ndarray | None = None
        self.z: np.ndarray | None = None
        self.delta: np.ndarray | None = None

    def forward(self, u: np.ndarray, train: bool = True) -> np.ndarray:
        self.u = np.asarray(u)
        self.z = self.f(self.u)
        return self.z

    def backward(self, dz: np.ndarray) -> np.ndarray:
        if self.z is None:
            raise not_forwarded(self)
        self.delta = self.df(dz)
        return self.delta

    def f(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def df(self, dz: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class Identity(Activation):
    """恒等関数 z = u; f'(u) = 1."""

    name = "identity"

    def f(self, u):
        return u.copy()

    def df(self, dz):
        return np.array(dz)


class Step(Activation):
    """ステップ関数 z = [u > 0]. Its derivative is 0 wherever it exists: nothing can be learned through it."""

    name = "step"
    differentiable = False

    def f(self, u):
        return (u > 0).astype(u.dtype)

    def df(self, dz):
        raise ValueError(
            "hidden: a step activation has no usable gradient (its derivative is 0 everywhere it "
            "exists); train with 'sigmoid', 'relu' or 'tanh' instead"
        )


class Sigmoid(Activation):
    """シグモイド関数 z = 1 / (1 + exp(−u)); f'(u) = z(1 − z) ≤ 0.25 (勾配消失問題)."""

    name = "sigmoid"

    def f(self, u):
        return F.sigmoid(u)

    def df(self, dz):
        return dz * self.z * (1 - self.z)


class Tanh(Activation):
    """双曲線正接関数 z = tanh(u); f'(u) = 1 − z²."""

    name = "tanh"

    def f(self, u):
        return np.tanh(u)

    def df(self, dz):
        return dz * (1 - self.z * self.z)


class ReLU(Activation):
    """ReLU 関数 z = max(0, u); f'(u) = [u > 0]."""

    name = "relu"

    def f(self, u):
        return np.maximum(u, 0)

    def df(self, dz):
        return dz * (self.u > 0)


class LeakyReLU(Activation):
    """Leaky ReLU z = u (u > 0), α·u (u ≤ 0); f'(u) = 1 or α."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = alpha

    def f(self, u):
        return np.where(u > 0, u, u * u.dtype.type(self.alpha))

    def df(self, dz):
        return dz * np.where(self.u > 0, 1, self.alpha).astype(dz.dtype)

    def config(self) -> dict:
        return {"type": "LeakyReLU", "alpha": self.alpha}


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, Step, Sigmoid, Tanh, ReLU, LeakyReLU)
}
