"""The twin of a convolutional stack: Convolution → activation → (pooling, convolution …) → Flatten →
Affine → … → output, compiled into buffer-reusing passes that share the network's parameters.

:func:`compile_conv` recognises a stack made only of the library's own layers (exact classes) that
starts with a :class:`~nnscratch.layers.Convolution`: convolutions, max and average pooling after
them, one :class:`~nnscratch.layers.Flatten`, then Affine, activation and :class:`~nnscratch.layers.
Dropout` layers and an output layer. Between the first convolution and the Flatten the images are
channel-major, (C, N, H, W) (:mod:`nnscratch._accel.conv`); the first convolution computes no ∂E/∂x;
a ReLU followed by a max pooling runs after it, on the pooled values (:mod:`nnscratch._accel.pooling`).
Anything else (batch normalisation, pooling of the raw input, dropout on images, l1/l2) gives None:
the readable layers run.
"""

from __future__ import annotations

import numpy as np

import nnscratch._accel.pooling as P
from nnscratch import layers as L
from nnscratch._accel.activations import ACTIVATIONS, LeakyReLU
from nnscratch._accel.affine import FastAffine
from nnscratch._accel.conv import FastConvolution, Scratch
from nnscratch._accel.dense import BufferedAffine
from nnscratch._accel.guard import Guard
from nnscratch._accel.outputs import OUTPUTS
from nnscratch._accel.updates import Updater

EVAL_IMAGES = 128
"""Images per pass through the convolutions when evaluating (training passes its batch whole)."""


def compile_conv(net) -> ConvRunner | None:
    """A :class:`ConvRunner` for ``net`` when it is a convolutional stack the twin knows, else None."""
    layers = net.layers
    if not layers or type(layers[0]) is not L.Convolution or type(layers[-1]) not in L.OUTPUTS.values():
        return None
    keys = {(id(layer), name): key for layer, name, key in net.slots}
    stages, weighted, images = [], [], True  # images: channel-major images flow here (else rows)
    for layer in layers[:-1]:
        stage = _stage(layer, images, not stages, keys, net.params)
        if stage is None:
            return None
        if type(layer) in (L.Flatten, L.GlobalAveragePooling, L.GlobalMaxPooling):
            images = False
        if type(layer) in (L.Convolution, L.Affine):
            weighted.append(stage)
        stages.append(stage)
        if type(layer) is L.MaxPooling:
            _pool_after_convolution(stages)
    if images:
        return None  # no Flatten before the output layer
    out = layers[-1]
    shapes = list(net.shapes.items())
    return ConvRunner(net.params, stages, weighted, shapes, (out.activation, out.loss_name), net.dtype)


def _stage(layer, images: bool, first: bool, keys: dict, params: dict):
    """The twin stage of one readable layer at this place of the stack, or None."""
    kind = type(layer)
    if kind is L.Convolution:
        if not images:
            return None
        w, b = keys[id(layer), "W"], keys[id(layer), "b"]
        return FastConvolution(params, w, b, layer.stride, layer.pad, first)
    if first:
        return None
    if kind in (L.MaxPooling, L.AveragePooling):
        if not images:
            return None
        return P.Pool(layer.pool, layer.stride, layer.pad, "max" if kind is L.MaxPooling else "average")
    if kind is L.Flatten:
        return P.Flatten() if images else None
    if kind in (L.GlobalAveragePooling, L.GlobalMaxPooling):
        return P.GlobalPool("average" if kind is L.GlobalAveragePooling else "max") if images else None
    if kind in L.ACTIVATIONS.values():
        twin = ACTIVATIONS[layer.name]
        twin = LeakyReLU(layer.alpha) if twin is LeakyReLU else twin()
        if not images:
            return twin
        return P.ReLU4() if layer.name == "relu" else P.Elementwise(twin)
    if kind is L.Affine and not images:
        return FastAffine(BufferedAffine(params, keys[id(layer), "W"], keys[id(layer), "b"]))
    if kind is L.Dropout and not images:
        return P.Dropout(layer)
    return None


def _pool_after_convolution(stages: list) -> None:
    """A max pooling (the last stage) 2×2/2 becomes :class:`~nnscratch._accel.pooling.MaxPool2`; right
    after a convolution and its activations, a ReLU moves after it (max(0, max u) = the max of
    max(0, u): the ReLU on a quarter of the values), and the convolution's output comes blocked when
    its im2col has no more rows (C·FH·FW) than filters: the ordered copy then costs less than the
    strided pooling it saves (SimpleConvNet's 25 rows and 30 filters; not DeepConvNet's 144 and 16)."""
    pool = stages[-1]
    if pool.pool == (2, 2) and pool.stride == 2 and pool.pad == 0:
        stages[-1] = pool = P.MaxPool2(blocked=False)
    i = len(stages) - 2
    while type(stages[i]) in (P.ReLU4, P.Elementwise):
        i -= 1
    conv = stages[i]
    if type(conv) is not FastConvolution:
        return
    fn, c, fh, fw = conv.params[conv.w_key].shape
    if type(pool) is P.MaxPool2 and c * fh * fw <= fn:
        conv.blocked = pool.blocked = True
    if type(stages[-2]) is P.ReLU4:
        stages[-2:] = pool, stages[-2]


class ConvRunner:
    """Forward, loss and backward of a convolutional stack through its twin stages. Buffers are reused:
    what a pass returns is overwritten by the next one. ``forward(x, train)`` takes validated images
    (N, C, H, W) of the network's dtype; ``backward(d)`` gives the gradients keyed like ``params``."""

    fuses_linear_rules = False  # SGD and momentum run as the Updater's in-place rules

    def __init__(self, params: dict, stages: list, weighted: list, shapes: list[tuple[str, tuple]],
                 output: tuple[str, str], dtype: np.dtype) -> None:
        self.params, self.stages, self.weighted = params, stages, weighted
        self._affines = [s for s in weighted if isinstance(s, FastAffine)]
        self._guard = Guard(shapes, dtype, self._reset)
        self.output_layer = OUTPUTS[output]()
        self.update = Updater()
        self._layer_of = [getattr(s, "layer", s) for s in weighted]  # where dW, db are kept
        self._flat = next(i for i, s in enumerate(stages) if type(s) in (P.Flatten, P.GlobalPool))
        self._rows = Scratch()  # the Flatten's rows of an evaluation in chunks

    def _reset(self) -> None:
        for affine in self._affines:
            affine.reset()

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """The output y (a buffer) in training or evaluation mode (dropout's masks). In evaluation the
        images go through the convolutions :data:`EVAL_IMAGES` at a time (nothing is kept for a
        backward pass), so that evaluating thousands of images at once never makes the buffers grow
        beyond a training batch's size."""
        self._guard.check_params(self.params)
        flat = self._flat
        if train or len(x) <= EVAL_IMAGES:
            z = self._run(self.stages[: flat + 1], x, train)
        else:
            first = self._run(self.stages[: flat + 1], x[:EVAL_IMAGES], train)
            z = self._rows.get((len(x), first.shape[1]), first.dtype)
            z[:EVAL_IMAGES] = first
            for s in range(EVAL_IMAGES, len(x), EVAL_IMAGES):
                z[s : s + EVAL_IMAGES] = self._run(self.stages[: flat + 1], x[s : s + EVAL_IMAGES], train)
        return self.output_layer.forward(self._run(self.stages[flat + 1 :], z, train))

    @staticmethod
    def _run(stages: list, z: np.ndarray, train: bool) -> np.ndarray:
        for stage in stages:
            z = stage.forward(z, train) if type(stage) is P.Dropout else stage.forward(z)
        return z

    def backward(self, d: np.ndarray) -> dict[str, np.ndarray]:
        """The gradients of the last forward's loss for validated targets (buffers)."""
        self._guard.check_params(self.params)
        delta = self.output_layer.backward(d)
        for stage in reversed(self.stages):
            delta = stage.backward(delta)
        grads = {}
        for layer in self._layer_of:
            grads[layer.w_key] = layer.dW
            grads[layer.b_key] = layer.db
        return grads
