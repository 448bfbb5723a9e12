"""The fast twin of :class:`nnscratch.layers.Affine`: the same u = x·W + b and the same gradients, with
the products fused through BLAS (:mod:`nnscratch._accel.blas`).

- forward: u ← x·W + u into a buffer that already holds b (one GEMM with β = 1, no bias pass);
- backward: ∂E/∂b = 1ᵀ·δ as a product with a column of ones (several times faster than a row sum);
- :meth:`FastAffine.backward_update`: back-propagate and update in one, for a δ that carries η.

A :class:`FastAffine` wraps a :class:`~nnscratch._accel.dense.BufferedAffine` and keeps its state
there (``layer.x``, ``layer.u``, ``layer.dx``, ``layer.dW``, ``layer.db``). Whenever BLAS declines
(``NNSCRATCH_BLAS=numpy``, another BLAS, an odd layout) that layer's plain NumPy code runs.
"""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B
from nnscratch._accel.blas import Product


class FastAffine:
    """Fused forward, backward and backward-with-update for one readable ``Affine`` ``layer``."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.params, self.w_key, self.b_key = layer.params, layer.w_key, layer.b_key
        self._u, self._dx = B.Workspace(), B.Workspace()
        self._ones = B.Workspace(fill=1)  # Σ_rows δ as the product 1ᵀ·δ
        self._forward_product = Product(1.0, 1.0)  # u ← x·W + u
        self._dx_product = Product(1.0, 0.0, trans_b=True)  # dx ← δ·Wᵀ
        # target ← −aᵀ·δ + β·target for W (a = x) or b (a = ones), β = 1 (SGD) or μ (a velocity);
        # made when first needed, again when μ changes
        self._update_products: dict[tuple[str, float], Product] = {}

    def reset(self) -> None:
        """Forget every prepared call (an array they read or write may have moved)."""
        for product in (self._forward_product, self._dx_product, *self._update_products.values()):
            product.reset()

    def forward(self, x: np.ndarray) -> np.ndarray:
        layer, params = self.layer, self.params
        W, b = params[self.w_key], params[self.b_key]
        u = self._u.get(x.shape[0], W.shape[1], W.dtype)
        np.copyto(u, b)  # u = b, then u += x·W in the product itself (β = 1)
        if not self._forward_product(x, W, u):
            return layer.forward(x)
        layer.x, layer.u = x, u
        return u

    def backward(self, delta: np.ndarray) -> np.ndarray | None:
        layer = self.layer
        if layer.x is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        W = self.params[self.w_key]
        dW = layer.dW = B.fit(layer.dW, W.shape, W.dtype)
        np.matmul(layer.x.T, delta, out=dW)
        db = layer.db = B.fit(layer.db, W.shape[1:], W.dtype)
        np.matmul(self._ones.get(delta.shape[0], 1, delta.dtype)[:, 0], delta, out=db)
        layer.dx = None
        if layer.need_dx:
            layer.dx = np.matmul(delta, W.T, out=self._dx.get(delta.shape[0], W.shape[0], W.dtype))
        return layer.dx

    def backward_update(
        self, delta: np.ndarray, velocity: tuple[np.ndarray, np.ndarray] | None = None, momentum: float = 0.0
    ) -> np.ndarray | None:
        """Back-propagate and update at once, for a delta that already carries η (学習率):
        returns δ·Wᵀ (taken with the old W, = η·∂E/∂x), then

        - plain SGD (``velocity=None``): W ← W − xᵀ·δ and b ← b − Σ_rows δ;
        - momentum (``velocity=(v_W, v_b)``, μ = ``momentum``): v ← μ·v − xᵀ·δ, W ← W + v, and the same
          for b with Σ_rows δ.

        Each ``v ← μ·v − xᵀ·δ`` (or W ← W − xᵀ·δ) is one GEMM (α = −1, β = μ or 1): no gradient array
        is written and read back. Where BLAS declines, the readable layer's ``backward`` gives the
        gradients and NumPy applies the same update, equal up to rounding.
        """
        layer = self.layer
        if layer.x is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        W, b = self.params[self.w_key], self.params[self.b_key]
        x = layer.x
        dx = None
        if layer.need_dx:  # before W changes
            dx = self._dx.get(delta.shape[0], W.shape[0], W.dtype)
            if not self._dx_product(delta, W, dx):
                dx = np.matmul(delta, W.T, out=dx)
        layer.dx = dx
        ones = self._ones.get(delta.shape[0], 1, delta.dtype)
        if velocity is None:
            self._accumulate("W", 1.0, x, delta, W)
            self._accumulate("b", 1.0, ones, delta, b)
        else:
            v_W, v_b = velocity
            self._accumulate("W", momentum, x, delta, v_W)
            W += v_W
            self._accumulate("b", momentum, ones, delta, v_b)
            b += v_b
        return dx

    def _accumulate(
        self, which: str, beta: float, a: np.ndarray, delta: np.ndarray, target: np.ndarray
    ) -> None:
        """target ← −aᵀ·δ + β·target: through a prepared BLAS call, or NumPy when that declines."""
        product = self._update_products.get((which, beta))
        if product is None:
            product = self._update_products[(which, beta)] = Product(-1.0, beta, trans_a=True)
        if product(a, delta, target):
            return
        layer, W = self.layer, self.params[self.w_key]
        if which == "W":
            g = layer.dW = np.matmul(a.T, delta, out=B.fit(layer.dW, W.shape, W.dtype))
        else:
            g = layer.db = np.matmul(a[:, 0], delta, out=B.fit(layer.db, W.shape[1:], W.dtype))
        if beta != 1.0:
            target *= beta
        target -= g
