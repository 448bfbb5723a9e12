"""The trace of any stack of layers, layer by layer: what each layer handed up, what came back down.

:func:`~nnscratch.lab.trace.observe.trace` follows a dense network quantity by quantity (u_l, z_l, δ_l in
the course's names). A stack it cannot name that way — a convolutional network (畳み込みニューラル
ネットワーク: Convolution, pooling, Flatten, …) or one holding a user's own layer — is traced here,
one layer at a time: the output of each layer (its shape in the label: (N, C, H, W) for images), the
output y and the error E, then back-propagation's ∂E/∂(the output of layer i) as it arrives at each
layer from above, the parameters' gradients, and with a learning rate the update. The stack's own
layers run; the record only copies what they return.

>>> import numpy as np, nnscratch
>>> L = nnscratch.layers
>>> net = nnscratch.Sequential([L.Convolution(1, 2, 3), L.ReLU(), L.MaxPooling(2), L.Flatten(),
...                             L.Affine(2, 3), L.SoftmaxCrossEntropy()], seed=0, dtype="float64")
>>> t = nnscratch.trace(net, np.ones((1, 1, 4, 4)), d=[2], lang="en")
>>> t.labels()[5]
'layer 1 convolution 2×1×3×3 (stride 1, pad 0): output (1, 2, 2, 2)'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnscratch.lab.trace.labels import _check_lang, label
from nnscratch.lab.trace.record import Trace, _jsonable
from nnscratch.layers import (
    ACTIVATIONS,
    Affine,
    AveragePooling,
    BatchNormalization,
    Convolution,
    Dropout,
    Flatten,
    GlobalAveragePooling,
    GlobalMaxPooling,
    MaxPooling,
)

_NAMES = {  # layer class -> its name in the printout, {…} filled from the layer
    "ja": {Convolution: "畳み込み {filters} (ストライド {stride}, パディング {pad})",
           MaxPooling: "最大プーリング {pool} (ストライド {stride})",
           AveragePooling: "平均プーリング {pool} (ストライド {stride})",
           Flatten: "平坦化", Affine: "Affine {shape}", BatchNormalization: "バッチ正規化",
           Dropout: "ドロップアウト p = {p}", GlobalAveragePooling: "グローバル平均プーリング",
           GlobalMaxPooling: "グローバル最大プーリング"},
    "en": {Convolution: "convolution {filters} (stride {stride}, pad {pad})",
           MaxPooling: "max pooling {pool} (stride {stride})",
           AveragePooling: "average pooling {pool} (stride {stride})",
           Flatten: "flatten", Affine: "Affine {shape}", BatchNormalization: "batch normalisation",
           Dropout: "dropout p = {p}", GlobalAveragePooling: "global average pooling",
           GlobalMaxPooling: "global max pooling"},
}
_ACTIVATION_NAMES = {
    "ja": {"relu": "ReLU", "sigmoid": "シグモイド関数", "tanh": "tanh", "identity": "恒等写像",
           "step": "ステップ関数", "leaky_relu": "Leaky ReLU"},
    "en": {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh", "identity": "identity", "step": "step",
           "leaky_relu": "leaky ReLU"},
}
_OUT = {"ja": "層{i} {name}: 出力 {shape}", "en": "layer {i} {name}: output {shape}"}
_DOUT = {"ja": "偏微分_dE/d(層{i} {name} の出力)", "en": "gradient dE/d(output of layer {i} {name})"}


def _times(values: tuple) -> str:
    return "×".join(str(v) for v in values)


def layer_name(layer: object, lang: str) -> str:
    """A layer as the printout names it: its kind and its sizes (a user's own layer: its class name)."""
    kind = type(layer)
    if kind in ACTIVATIONS.values():
        return _ACTIVATION_NAMES[lang].get(layer.name, layer.name)
    template = _NAMES[lang].get(kind)
    if template is None:
        return kind.__name__
    W = layer.params.get("W")
    return template.format(
        filters=_times(np.shape(W)), shape="→".join(str(v) for v in np.shape(W)),
        stride=getattr(layer, "stride", ""), pad=getattr(layer, "pad", ""),
        pool=_times(getattr(layer, "pool", ())), p=f"{getattr(layer, 'p', 0):g}")


class StackTrace(Trace):
    """The record of one traced step of a stack, layer by layer (see the module's docstring).

    Besides :class:`~nnscratch.lab.trace.record.Trace`'s ``x``, ``d``, ``params``, ``y``, ``y_sum``,
    ``E``, ``penalty``, ``train``, ``grads``, ``lr`` and ``updated``:

    - ``names`` — each layer as printed, in ``lang`` (``layer_names(lang)`` in either language);
    - ``outputs`` — each layer's output below the output layer, ``outputs[i-1]`` for layer i (層の出力);
    - ``douts`` — ∂E/∂(output of layer i), what back-propagation hands layer i from above,
      ``douts[i-1]``; the output layer's δ = ∂E/∂u arrives at the layer below it (偏微分).
    """

    def __init__(self, layers: list, architecture: dict, lang: str = "ja", loss: str | None = None) -> None:
        super().__init__("stack", architecture, lang=lang, loss=loss)
        self._layers = {code: [layer_name(layer, code) for layer in layers] for code in _NAMES}
        self.outputs: list[np.ndarray] = []
        self.douts: list[np.ndarray | None] = []

    @property
    def names(self) -> list[str]:
        return self._layers[self.lang]

    def layer_names(self, lang: str | None = None) -> list[str]:
        return self._layers[self.lang if lang is None else _check_lang(lang)]

    def entries(self) -> list[tuple[str | None, str, Any]]:
        out: list[tuple[str | None, str, Any]] = [("init", key, value) for key, value in self.params.items()]
        out.append(("forward", "x", self.x))
        out += [("forward", f"out{i}", value) for i, value in enumerate(self.outputs, start=1)]
        out += self._output_entries()
        if self.grads:
            out += [("backward", f"dout{i}", self.douts[i - 1]) for i in range(len(self.douts), 0, -1)
                    if self.douts[i - 1] is not None]
        return out + self._gradient_entries()

    def _label(self, key: str, lang: str) -> str:
        for prefix, template in (("dout", _DOUT), ("out", _OUT)):
            if key.startswith(prefix) and key[len(prefix):].isdigit():
                i = int(key[len(prefix):])
                shape = np.shape(self.outputs[i - 1])
                return template[lang].format(i=i, name=self._layers[lang][i - 1], shape=shape)
        return label(key, lang, self.loss_name)

    def __repr__(self) -> str:
        what = " → ".join(c["type"] for c in self.architecture["layers"])
        extra = "" if self.E is None else f", E={self.E:.6g}"
        return f"StackTrace({what}{extra}, updated={self.updated is not None}, lang={self.lang!r})"

    def to_dict(self) -> dict:
        """Every quantity under symbolic keys (``out1``, …, ``dE/dout1``, …), arrays as nested lists."""
        n = range(1, len(self.outputs) + 1)
        return _jsonable({
            "kind": self.kind, "architecture": self.architecture, "layers": self.layer_names("en"),
            "x": self.x, "d": self.d, "params": self.params,
            "outputs": {f"out{i}": v for i, v in zip(n, self.outputs, strict=True)},
            "y": self.y, "y_sum": self.y_sum, "train": self.train, "E": self.E, "penalty": self.penalty,
            "douts": {f"dE/dout{i}": v for i, v in zip(n, self.douts, strict=False) if v is not None},
            "grads": self.grads, "lr": self.lr, "updated": self.updated,
        })


def trace_stack(net, x: object, d: object = None, lr: float | None = None, lang: str = "ja",
                order: list[str] | None = None) -> StackTrace:
    """One step of the :class:`~nnscratch.Sequential` ``net`` recorded layer by layer; called by
    :func:`~nnscratch.lab.trace.observe.trace` (which checks ``lr``) for a stack it does not follow
    quantity by quantity. ``order`` lists the parameters as they are printed (W…, b…, γ…, β…)."""
    train = d is not None  # a training step runs in training mode, as net.gradient does
    layers = net.layers
    architecture = {"layers": [_config(layer) for layer in layers], "output": net.output}
    record = StackTrace(layers[:-1], architecture, lang=lang, loss=net.loss_name if train else None)
    record.train = train
    order = list(net.params) if order is None else order
    record.params = {k: net.params[k].copy() for k in order}
    x2, single = net.check_x(x)
    keep = (lambda a: a[0].copy()) if single else (lambda a: a.copy())
    net._bind()
    record.x = keep(x2)
    z = x2
    for layer in layers:
        z = layer.forward(z, train=train)
        if layer is not layers[-1]:
            record.outputs.append(keep(z))
    net._n_rows = len(x2)
    dd = record._observe_output(net, d, z, single)
    if dd is None:
        return record
    if not net.differentiable:
        if lr is not None:
            net.check_trainable()
        return record

    # the stack's own back-propagation (as Sequential.backward walks it): each layer gets ∂E/∂(its
    # output) from above and hands ∂E/∂(its input) down; nothing below the first layer needs its ∂E/∂x
    dout = net.output_layer.backward(dd)
    record.douts = [None] * (len(layers) - 1)
    for i in range(len(layers) - 1, 0, -1):
        layer = layers[i - 1]
        record.douts[i - 1] = keep(dout)
        dout = layer.backward(dout) if i > 1 else getattr(layer, "backward_params", layer.backward)(dout)
    grads = net.penalised({key: layer.grads[name] for layer, name, key in net.slots})
    record.grads = {k: grads[k].copy() for k in order}
    if lr is None:
        return record
    for key in order:  # gradient descent, the course's loop on the network's own parameter dict
        net.params[key] -= lr * grads[key]
    record.lr = float(lr)
    record.updated = {k: net.params[k].copy() for k in order}
    return record


def _config(layer: object) -> dict:
    """A layer's description for the record: its ``config()``, or its class name (a user's own layer)."""
    config = getattr(layer, "config", None)
    try:
        return dict(config()) if callable(config) else {"type": type(layer).__name__}
    except Exception:  # noqa: BLE001 - a user's layer may describe itself badly; the trace goes on
        return {"type": type(layer).__name__}


__all__ = ["StackTrace", "trace_stack", "layer_name"]
