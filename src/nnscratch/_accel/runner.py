"""The twin of a dense stack: Affine → activation → … → Affine → output, compiled into fused,
buffer-reusing passes that share the network's parameters.

:func:`compile` recognises a stack made only of the library's own :class:`~nnscratch.layers.Affine`,
activation and output layers (exact classes: a subclass may change the formulas) and returns a
:class:`DenseRunner`, or None for anything else (and when ``NNSCRATCH_ACCEL=0``), where the readable
layers run. The runner reads ``params`` by key at every pass, as the readable layers do, so an update
made by either is seen by the other.
"""

from __future__ import annotations

import os

import numpy as np

from nnscratch import layers as L
from nnscratch._accel.activations import ACTIVATIONS, LeakyReLU
from nnscratch._accel.affine import FastAffine
from nnscratch._accel.convnet import ConvRunner, compile_conv
from nnscratch._accel.dense import BufferedAffine
from nnscratch._accel.guard import Guard
from nnscratch._accel.outputs import OUTPUTS
from nnscratch._accel.updates import Updater

ENV = "NNSCRATCH_ACCEL"
"""``NNSCRATCH_ACCEL=0`` turns the twin off: training and prediction run the readable layers."""


def enabled() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def compile(net) -> DenseRunner | ConvRunner | None:  # noqa: A001 - the word for what it does
    """A :class:`DenseRunner` for ``net`` (a :class:`~nnscratch.Sequential`) when every layer is one it
    knows, a :class:`~nnscratch._accel.convnet.ConvRunner` for a convolutional stack it knows, else
    None. ``net`` provides ``layers``, ``params``, ``shapes`` (key → the shape each parameter must
    have), ``dtype`` and ``slots`` (layer, name, key)."""
    if not enabled() or getattr(net, "l1", 0) or getattr(net, "l2", 0):
        return None
    layers = net.layers
    if layers and type(layers[0]) is L.Convolution:
        return compile_conv(net)
    if len(layers) < 2 or len(layers) % 2:
        return None
    dense, acts = layers[0:-1:2], layers[1:-1:2]
    out = layers[-1]
    if any(type(a) is not L.Affine for a in dense):
        return None
    if any(type(a) not in L.ACTIVATIONS.values() for a in acts):
        return None
    if type(out) not in L.OUTPUTS.values():
        return None
    keys = {(id(layer), name): key for layer, name, key in net.slots}
    pairs = [(keys[id(a), "W"], keys[id(a), "b"]) for a in dense]
    shapes = [(k, net.shapes[k]) for pair in pairs for k in pair]
    return DenseRunner(net.params, pairs, shapes, acts, (out.activation, out.loss_name), net.dtype)


class DenseRunner:
    """Fused forward, loss and backward of a dense stack (and the fused SGD/momentum step through
    :func:`~nnscratch._accel.step.fused_step`). Buffers are reused: what a pass returns is overwritten
    by the next one."""

    fuses_linear_rules = True  # plain SGD and momentum: fused_step folds η into back-propagation

    def __init__(self, params: dict, pairs: list[tuple[str, str]], shapes: list[tuple[str, tuple]],
                 activations: list, output: tuple[str, str], dtype: np.dtype) -> None:
        self.params = params
        self.affines = [BufferedAffine(params, w, b, need_dx=i > 0) for i, (w, b) in enumerate(pairs)]
        self._fast_affines = [FastAffine(a) for a in self.affines]
        # verifies params (and the input, the velocities) every pass; resets the prepared BLAS calls
        self._guard = Guard(shapes, dtype, self._reset)
        self.activations = [_twin_activation(a) for a in activations]
        self.output_layer = OUTPUTS[output]()
        self.update = Updater()  # the optimizer's rule on this twin's gradient buffers

    def _reset(self) -> None:
        for affine in self._fast_affines:
            affine.reset()

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """The output y of a validated 2-D input of the network's dtype (a buffer); a dense stack
        behaves the same in training and evaluation mode (``train``)."""
        self._guard.check_params(self.params)
        self._guard.check_input(x)
        z = x
        affines = self._fast_affines
        for affine, act in zip(affines, self.activations, strict=False):  # output affine: after
            z = act.forward(affine.forward(z))
        return self.output_layer.forward(affines[-1].forward(z))

    def backward(self, d: np.ndarray) -> dict[str, np.ndarray]:
        """The gradients of the last forward's loss for validated targets (buffers)."""
        self._guard.check_params(self.params)
        delta = self.output_layer.backward(d)
        affines = self._fast_affines
        for i in range(len(affines) - 1, -1, -1):
            dz = affines[i].backward(delta)
            if i > 0:
                delta = self.activations[i - 1].backward(dz)
        grads = {}
        for affine in self.affines:
            grads[affine.w_key] = affine.dW
            grads[affine.b_key] = affine.db
        return grads


def _twin_activation(layer):
    twin = ACTIVATIONS[layer.name]
    return LeakyReLU(layer.alpha) if twin is LeakyReLU else twin()
