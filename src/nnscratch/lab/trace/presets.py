"""The course's exercises with the course's exact weights (COURSE.md): :data:`PRESETS` and
:func:`course_example`, what ``nnscratch trace --example NAME`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnscratch.lab.trace.observe import trace, trace_layer
from nnscratch.lab.trace.record import Trace
from nnscratch.network import Network

_W1 = [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]
_B1 = [0.1, 0.2, 0.3]
_W2 = [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]
_B2 = [0.1, 0.2]


@dataclass(frozen=True)
class Preset:
    """One of the course's exercises: its parameters, input, targets and learning rate."""

    description: str
    params: dict = field(default_factory=dict)
    hidden: str = "relu"
    output: str = "identity"
    x: object = None
    d: object = None
    lr: float | None = None
    layer_activation: str | None = None  # a lone layer (the course's single-unit / single-layer exercises)

    def network(self) -> Network:
        """The preset's network, float64 like the course's NumPy arrays."""
        params = {k: np.array(v, dtype=np.float64) for k, v in self.params.items()}
        return Network.from_params(params, hidden=self.hidden, output=self.output)


PRESETS: dict[str, Preset] = {
    "single-unit": Preset(
        "single unit (単層・単ユニット): W = [[0.1], [0.2]], b = 0.5, x = [2, 3], ReLU",
        params={"W": [[0.1], [0.2]], "b": 0.5},
        x=[2.0, 3.0],
        layer_activation="relu",
    ),
    "single-layer": Preset(
        "single layer, several units (単層・複数ユニット): 4 inputs, 3 units, sigmoid",
        params={
            "W": [[0.1, 0.2, 0.3], [0.2, 0.3, 0.4], [0.3, 0.4, 0.5], [0.4, 0.5, 0.6]],
            "b": [0.1, 0.2, 0.3],
        },
        x=[1.0, 5.0, 2.0, -1.0],
        layer_activation="sigmoid",
    ),
    "three-layer": Preset(
        "three layers (3層・複数ユニット) 2-3-2-2: ReLU, ReLU, identity",
        params={"W1": _W1, "b1": _B1, "W2": _W2, "b2": _B2, "W3": [[0.1, 0.3], [0.2, 0.4]], "b3": [1.0, 2.0]},
        x=[1.0, 2.0],
    ),
    "multiclass": Preset(
        "multiclass classification (多クラス分類) 2-3-4: ReLU, softmax, cross entropy",
        params={
            "W1": _W1,
            "b1": _B1,
            "W2": [[0.1, 0.4, 0.7, 1.0], [0.2, 0.5, 0.8, 1.1], [0.3, 0.6, 0.9, 1.2]],
            "b2": [0.1, 0.2, 0.3, 0.4],
        },
        output="softmax",
        x=[1.0, 2.0],
        d=[0, 0, 0, 1],
    ),
    "regression": Preset(
        "regression (回帰) 2-3-2: ReLU, identity, squared error",
        params={"W1": _W1, "b1": _B1, "W2": _W2, "b2": _B2},
        x=[1.0, 2.0],
        d=[2.0, 4.0],
    ),
    "binary": Preset(
        "binary classification (2値分類) 2-3-1: ReLU, sigmoid, binary cross entropy",
        params={"W1": _W1, "b1": _B1, "W2": [[0.2], [0.4], [0.6]], "b2": [0.1]},
        output="sigmoid",
        x=[1.0, 2.0],
        d=[1.0],
    ),
    "backprop": Preset(
        "one back-propagation step (誤差逆伝播法) 2-3-2: ReLU, softmax, cross entropy, lr 0.01",
        params={"W1": _W1, "b1": _B1, "W2": _W2, "b2": _B2},
        output="softmax",
        x=[[1.0, 5.0]],
        d=[[0.0, 1.0]],
        lr=0.01,
    ),
}


def course_example(
    name: str, lang: str = "ja", x: object = None, d: object = None, lr: object = ...
) -> Trace:
    """Trace the course's exercise ``name`` (one of :data:`PRESETS`) with the course's exact weights.

    ``x``, ``d`` and ``lr`` override the exercise's values (``lr=...``, the default, keeps the
    exercise's own rate; ``lr=None`` traces no update). ``"backprop"`` updates (lr 0.01) the
    exercise's own fresh network; the others stop after the backward pass, or after the forward
    pass where the course has no targets. ``nnscratch trace --example NAME`` prints the same.

    >>> t = course_example("backprop", lang="en")
    >>> print(t)                                      # doctest: +ELLIPSIS
    ##### network parameters #####
    *** weight W1 ***
    ...
    """
    if name not in PRESETS:
        raise ValueError(f"example: unknown name {name!r}; expected one of {', '.join(PRESETS)}")
    p = PRESETS[name]
    x = p.x if x is None else x
    if p.layer_activation is not None:
        if d is not None or (lr is not ... and lr is not None):
            raise ValueError(
                f"example: {name!r} is a lone layer with no output layer; it takes no --d or --lr"
            )
        return trace_layer(p.params["W"], p.params["b"], x, p.layer_activation, lang=lang)
    d = p.d if d is None else d
    lr = p.lr if lr is ... else lr
    return trace(p.network(), x, d=d, lr=lr, lang=lang)
