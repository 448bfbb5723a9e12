"""The twin's affine state: u = x·W + b into buffers it owns, read by :class:`FastAffine`."""

from __future__ import annotations

import numpy as np

from nnscratch import _backend as B


class BufferedAffine:
    """The readable :class:`nnscratch.layers.Affine`'s formulas into buffers (u = x·W + b).

    x is a batch of shape (N, n_in), one sample a row; W has shape (n_in, n_out), b shape (n_out,).
    Given δ = ∂E/∂u (shape (N, n_out)), ``backward`` computes

        ∂E/∂W = xᵀ·δ        (n_in, n_out)
        ∂E/∂b = Σ_rows δ    (n_out,)
        ∂E/∂x = δ·Wᵀ        (N, n_in), the δ handed down to the layer below

    W and b are read from ``params`` by key at every call, so a user who updates ``params["W1"]``
    in place or replaces it (the course's update loop) is always seen. It keeps the state
    :class:`~nnscratch._accel.affine.FastAffine` reads and is its fallback where BLAS declines.
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
