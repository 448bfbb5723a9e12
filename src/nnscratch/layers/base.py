"""The layer protocol (レイヤの約束): what every layer of a stack has, and the defaults of a layer class."""

from __future__ import annotations

import numpy as np


class Layer:
    """A layer: ``forward(x, train=True)`` → a new array, ``backward(dout)`` → a new array (∂E/∂x for the
    layer below), and two dicts with the same keys, ``params`` (its parameters, e.g. ``W``, ``b``) and
    ``grads`` (their gradients after ``backward``); both empty for a layer without parameters.

    Any object with these four members joins a :class:`~nnscratch.Sequential`; subclassing this class
    adds the defaults below. ``init_params(rng, dtype)`` draws the parameters again (a stack's ``seed``
    and ``dtype``); ``config()`` describes the layer for a file (a user's own layer has none, and a
    stack holding one cannot be saved: files never hold code). A layer may also offer
    ``backward_params(dout)``, the parameters' gradients without ∂E/∂x, which a stack asks of its first
    layer (nothing below it reads ∂E/∂x; :class:`~nnscratch.layers.Convolution` then skips its col2im).
    """

    differentiable = True  # False: backward cannot teach anything (the step function)

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def size_of(config: dict) -> float:
        """How many numbers a layer built from ``config`` (its arguments) may allocate, before it is
        built: a file's description is checked against the arrays it holds. Here the product of the
        integer arguments (Affine's n_in·n_out); a layer whose arguments multiply otherwise says so."""
        sizes = [v for v in config.values() if isinstance(v, int) and not isinstance(v, bool)]
        return float(np.prod(sizes, dtype=float))

    def init_params(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw the parameters again from ``rng`` in ``dtype`` (nothing to draw here)."""

    def config(self) -> dict:
        """``{"type": class name, …constructor arguments}``: what a file needs to build the layer again."""
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({args})"


def not_forwarded(layer: object) -> ValueError:
    """The one error of a backward pass with nothing to differentiate."""
    return ValueError(f"backward: {type(layer).__name__} has no forward pass to differentiate; "
                      f"call forward(x) first")
