"""Layers (レイヤ): each is a small class with ``forward(x, train=True)`` → a new array,
``backward(dout)`` → a new array, and its parameters and their gradients by name (``params``,
``grads``), as 『ゼロから作る Deep Learning』's ``common/layers.py`` writes them.

- :class:`Affine` — 総入力 u = x·W + b; backward gives ∂E/∂W = xᵀ·δ, ∂E/∂b = Σ_rows δ, ∂E/∂x = δ·Wᵀ.
- activation layers (:class:`ReLU`, :class:`Sigmoid`, …) — z = f(u); backward gives δ = ∂E/∂z ⊙ f'(u).
- :class:`BatchNormalization` (バッチ正規化) and :class:`Dropout` (ドロップアウト) — the course's Day 2.
- :class:`Convolution` (畳み込み層: u = im2col(x)·Wᵀ + b), :class:`MaxPooling` / :class:`AveragePooling`
  (プーリング層) and :class:`Flatten` (images to rows), or :class:`GlobalAveragePooling` /
  :class:`GlobalMaxPooling` (one number per channel) — convolutional networks, on (N, C, H, W) images.
- output layers (:class:`SoftmaxCrossEntropy`, …) — an activation paired with its loss (誤差関数);
  ``forward(u)`` gives the output y, ``loss(d)`` the batch-mean error E and ``backward(d)`` the output
  delta ∂E/∂u, which already carries the 1/N of the mean.

Back-propagation (誤差逆伝播法) hands each layer's delta to the layer below, so nothing above is
computed again (the course's P79). What runs when a learner calls a layer, a network's ``forward`` /
``backward``, ``trace`` or ``gradcheck`` is this code; training may use a private twin
(``nnscratch._accel``) that a test keeps equal to it.
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
from nnscratch.layers.base import Layer
from nnscratch.layers.convolution import Convolution
from nnscratch.layers.dropout import Dropout
from nnscratch.layers.flatten import Flatten
from nnscratch.layers.global_pooling import GlobalAveragePooling, GlobalMaxPooling, GlobalPooling
from nnscratch.layers.normalization import BatchNormalization
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
from nnscratch.layers.pooling import AveragePooling, MaxPooling, Pooling

__all__ = [
    "Layer", "Affine", "Activation", "Identity", "Step", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
    "ACTIVATIONS", "OutputLayer", "IdentityMSE", "SigmoidBinaryCrossEntropy", "SoftmaxCrossEntropy",
    "SigmoidMSE", "SoftmaxMSE", "OUTPUTS", "DEFAULT_LOSS", "BatchNormalization", "Dropout",
    "Convolution", "Pooling", "MaxPooling", "AveragePooling", "Flatten", "GlobalPooling",
    "GlobalAveragePooling", "GlobalMaxPooling", "LAYERS",
]

LAYERS: dict[str, type[Layer]] = {
    cls.__name__: cls
    for cls in (Affine, BatchNormalization, Dropout, Convolution, MaxPooling, AveragePooling, Flatten,
                GlobalAveragePooling, GlobalMaxPooling, *ACTIVATIONS.values(), *OUTPUTS.values())
}
"""The library's layer classes by name: what a file may name (a file never holds code)."""
