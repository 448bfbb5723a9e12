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

from nnscratch.layers.activations import (
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Step,
    Tanh,
)
from nnscratch.layers.affine import Affine
from nnscratch.layers.outputs import (
    DEFAULT_LOSS,
    OUTPUTS,
    IdentityMSE,
    OutputLayer,
    SigmoidBinaryCrossEntropy,
    SigmoidMSE,
    SoftmaxCrossEntropy,
    SoftmaxMSE,
)

__all__ = [
    "Affine", "Activation", "Identity", "Step", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ACTIVATIONS",
    "OutputLayer", "IdentityMSE", "SigmoidBinaryCrossEntropy", "SoftmaxCrossEntropy", "SigmoidMSE",
    "SoftmaxMSE", "OUTPUTS", "DEFAULT_LOSS",
]
