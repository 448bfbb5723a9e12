"""Building a stack: its layers checked against the protocol, its parameters numbered with the course's
keys, its layers made again from a file's descriptions (never more than the file holds), and where its
kept state (batch normalisation's running averages) lives."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nnscratch.layers import LAYERS


def library_layer(layer: object) -> type | None:
    """The layer's class when it is one of :mod:`nnscratch.layers` (what a file may name), else None."""
    cls = LAYERS.get(type(layer).__name__)
    return cls if cls is type(layer) else None


def checked_layers(layers: object) -> list:
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Iterable):
        raise TypeError(f"layers: expected a list of layers, got {type(layers).__name__}")
    out = list(layers)
    if not out:
        raise ValueError("layers: expected at least an output layer, e.g. [Affine(4, 3), IdentityMSE()]")
    for i, layer in enumerate(out):
        missing = [m for m in ("forward", "backward") if not callable(getattr(layer, m, None))]
        missing += [m for m in ("params", "grads") if not isinstance(getattr(layer, m, None), dict)]
        if missing:
            raise TypeError(
                f"layers[{i}]: {type(layer).__name__} lacks {', '.join(missing)}; a layer has forward(x, "
                f"train=True), backward(dout) and params/grads dicts (see nnscratch.layers.Layer)"
            )
    if not callable(getattr(out[-1], "loss", None)):
        raise TypeError(
            f"layers: the last layer must be an output layer with loss(d) (e.g. SoftmaxCrossEntropy()), "
            f"got {type(out[-1]).__name__}"
        )
    return out


def number(layers: list) -> list[tuple[object, str, str]]:
    """(layer, name, key) of every parameter: W and b numbered by weight layer, others with the number
    of the weight layer before them (``gamma1`` after ``W1``), as 『ゼロから作る』 names them."""
    slots, seen, n = [], set(), 0
    for layer in layers:
        if "W" in layer.params:
            n += 1
        for name in layer.params:
            key = f"{name}{max(n, 1)}"
            if key in seen:
                raise ValueError(f"layers: two parameters would both be named {key!r}; put a weight layer "
                                 f"between the layers that own them")
            seen.add(key)
            slots.append((layer, name, key))
    return slots


def layers_from_configs(configs: list[dict], params: dict[str, np.ndarray]) -> list:
    """The layers a file describes (``{"type": …, arguments}``), each one of :mod:`nnscratch.layers`
    and no larger than the arrays the file holds (no allocation a hostile file can direct)."""
    budget = sum(np.size(a) for a in params.values())
    layers = []
    for i, config in enumerate(configs):
        args = {k: v for k, v in config.items() if k != "type"}
        layer_cls = LAYERS.get(config.get("type"))
        if layer_cls is None:
            raise ValueError(f"layers[{i}]: unknown layer type {str(config.get('type'))[:40]!r}; "
                             f"expected one of {', '.join(LAYERS)}")
        if layer_cls.size_of(args) > budget:  # each layer class says what its arguments allocate
            raise ValueError(f"layers[{i}]: sizes {str(args)[:80]} need more parameters than the file "
                             f"holds")
        layers.append(layer_cls(**args))
    return layers


def buffer_slots(net) -> list[tuple[object, str, str]]:
    """(layer, attribute, key) of every kept state array: ``running_mean1``, ``running_var1``, …,
    numbered like the layer's parameters (``gamma1``)."""
    slots = []
    for layer in net.layers:
        if hasattr(layer, "running_mean"):
            n = next(key for lay, _, key in net.slots if lay is layer)[len("gamma"):]
            slots += [(layer, "running_mean", f"running_mean{n}"), (layer, "running_var", f"running_var{n}")]
    return slots
