"""The step-by-step trace: every number of one forward and backward pass, in the course's vocabulary.

``trace(net, x, d, lr)`` runs the network's own forward pass (順伝播), and given targets the error
(誤差), its own back-propagation (誤差逆伝播法) and given a learning rate the gradient-descent update
(勾配降下法), then reads what the layers cached — the total inputs u_l (総入力), the layer outputs z_l
(中間層出力), the output y (出力), the deltas ∂E/∂u_l and the gradients ∂E/∂W_l, ∂E/∂b_l — copying each.
Nothing is added to the training hot path: the trace only observes what ``Network`` already keeps.

Printing a :class:`Trace` uses the course's ``print_vec`` layout (a ``*** label ***`` line, the value,
a blank line) with Japanese labels (``lang="ja"``, the default) or English ones (``lang="en"``).

>>> import numpy as np, nnscratch
>>> net = nnscratch.Network.from_params(
...     {"W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), "b1": np.array([0.1, 0.2, 0.3]),
...      "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), "b2": np.array([0.1, 0.2])},
...     hidden="relu", output="softmax")
>>> t = nnscratch.trace(net, [[1.0, 5.0]], d=[[0, 1]], lr=0.01)
>>> [round(v, 2) for v in t.u[0][0]]
[1.2, 2.5, 3.8]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnscratch._validation import check_positive
from nnscratch.layers import ACTIVATIONS, Affine
from nnscratch.network import Network

__all__ = ["Trace", "trace", "trace_layer", "course_example", "PRESETS", "print_vec", "format_vec", "LANGS"]

LANGS = ("ja", "en")

_SECTIONS = {
    "ja": {
        "init": "ネットワークの初期化",
        "forward": "順伝播開始",
        "backward": "誤差逆伝播開始",
        "update": "更新後パラメータ",
    },
    "en": {
        "init": "network parameters",
        "forward": "forward pass",
        "backward": "back-propagation",
        "update": "updated parameters",
    },
}

_LOSS_NAMES = {
    "ja": {
        "mse": "二乗誤差",
        "cross_entropy": "交差エントロピー誤差",
        "binary_cross_entropy": "二値交差エントロピー誤差",
    },
    "en": {
        "mse": "squared error",
        "cross_entropy": "cross entropy",
        "binary_cross_entropy": "binary cross entropy",
    },
}

# symbolic key prefix -> label template ({n} is the layer number, empty for a lone layer)
_NUMBERED = {
    "ja": {
        "W": "重み{n}",
        "b": "バイアス{n}",
        "u": "総入力{n}",
        "z": "中間層出力{n}",
        "delta": "偏微分_dE/du{n}",
        "dW": "偏微分_重み{n}",
        "db": "偏微分_バイアス{n}",
        "new_W": "重み{n}",
        "new_b": "バイアス{n}",
    },
    "en": {
        "W": "weight W{n}",
        "b": "bias b{n}",
        "u": "total input u{n}",
        "z": "hidden-layer output z{n}",
        "delta": "delta dE/du{n}",
        "dW": "gradient dE/dW{n}",
        "db": "gradient dE/db{n}",
        "new_W": "weight W{n}",
        "new_b": "bias b{n}",
    },
}
_PLAIN = {
    "ja": {"x": "入力", "y": "出力", "y_sum": "出力合計", "d": "訓練データ", "E": "誤差", "lr": "学習率"},
    "en": {
        "x": "input x",
        "y": "output y",
        "y_sum": "output sum",
        "d": "target d",
        "E": "error E",
        "lr": "learning rate",
    },
}
_KEY = re.compile(r"^(new_W|new_b|delta|dW|db|W|b|u|z)(\d*)$")


def _check_lang(lang: object) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang: expected 'ja' or 'en', got {lang!r}")
    return lang  # type: ignore[return-value]


def label(key: str, lang: str = "ja", loss: str | None = None) -> str:
    """The printed label of a symbolic key (``"W1"``, ``"delta2"``, ``"E"``, …) in ``lang``."""
    lang = _check_lang(lang)
    if key == "E" and loss is not None:
        return f"{_PLAIN[lang]['E']} ({_LOSS_NAMES[lang][loss]})"
    if key in _PLAIN[lang]:
        return _PLAIN[lang][key]
    m = _KEY.match(key)
    if m is None:
        raise ValueError(f"key: unknown trace quantity {key!r}")
    return _NUMBERED[lang][m.group(1)].format(n=m.group(2))


def format_vec(text: str, vec: object) -> str:
    """The course's ``print_vec`` as a string: ``*** text ***``, the value, a blank line."""
    return f"*** {text} ***\n{vec}\n\n"


def print_vec(text: str, vec: object) -> None:
    """The course's ``print_vec(text, vec)``: prints ``*** text ***``, the value and a blank line."""
    print(format_vec(text, vec), end="")


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class Trace:
    """The record of one traced step: every quantity, copied, in the shapes the caller gave.

    Attributes (``None`` where that part was not run):

    - ``x``, ``d`` — the input (入力) and the targets (訓練データ);
    - ``params`` — the weights and biases before the step, ``{"W1": …, "b1": …}`` (重み, バイアス);
    - ``u`` — the total inputs u_1 … u_L (総入力), ``u[l-1]`` for layer l;
    - ``z`` — the hidden-layer outputs z_1 … z_{L-1} (中間層出力);
    - ``y`` and ``y_sum`` — the output (出力) and its sum per sample (出力合計);
    - ``E`` — the batch-mean error (誤差);
    - ``deltas`` — ∂E/∂u_l for each layer, ``deltas[l-1]`` (デルタ; they carry the 1/N of the mean);
    - ``grads`` — ``{"W1": ∂E/∂W1, "b1": ∂E/∂b1, …}`` (偏微分_重み, 偏微分_バイアス);
    - ``lr`` and ``updated`` — the learning rate and the parameters after W ← W − lr·∂E/∂W (更新後パラメータ).

    ``str(trace)`` is the course's printout in ``trace.lang``; ``to_text(lang)`` chooses the language.
    """

    def __init__(
        self,
        kind: str,
        architecture: dict,
        lang: str = "ja",
        loss: str | None = None,
    ) -> None:
        self.kind = kind  # "network" or "layer" (a lone layer, the course's first exercises)
        self.architecture = architecture
        self.lang = _check_lang(lang)
        self.loss_name = loss
        self.x: np.ndarray | None = None
        self.d: np.ndarray | None = None
        self.params: dict[str, np.ndarray] = {}
        self.u: list[np.ndarray] = []
        self.z: list[np.ndarray] = []
        self.y: np.ndarray | None = None
        self.y_sum: float | np.ndarray | None = None
        self.E: float | None = None
        self.deltas: list[np.ndarray] = []
        self.grads: dict[str, np.ndarray] = {}
        self.lr: float | None = None
        self.updated: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------ the printout

    def _numbered(self) -> bool:
        return self.kind == "network"

    def entries(self) -> list[tuple[str | None, str, Any]]:
        """(section, symbolic key, value) in the course's printing order; section None = no header."""
        n_layers = len(self.params) // 2
        ids = [str(i) if self._numbered() else "" for i in range(1, n_layers + 1)]
        out: list[tuple[str | None, str, Any]] = []
        if self.kind == "layer":
            # the course's single-layer exercises: 重み, バイアス, 入力, 総入力, 中間層出力
            out += [(None, "W", self.params["W"]), (None, "b", self.params["b"]), (None, "x", self.x)]
            out += [(None, "u", self.u[0]), (None, "z", self.z[0])]
            return out
        out += [("init", f"W{i}", self.params[f"W{i}"]) for i in ids]
        out += [("init", f"b{i}", self.params[f"b{i}"]) for i in ids]
        out.append(("forward", "x", self.x))
        for i in range(n_layers):
            out.append(("forward", f"u{ids[i]}", self.u[i]))
            if i < n_layers - 1:
                out.append(("forward", f"z{ids[i]}", self.z[i]))
        out += [("forward", "y", self.y), ("forward", "y_sum", self.y_sum)]
        if self.d is not None:
            out += [("forward", "d", self.d), ("forward", "E", self.E)]
        if self.deltas:
            out += [("backward", f"delta{ids[i]}", self.deltas[i]) for i in range(n_layers - 1, -1, -1)]
            out += [("backward", f"dW{i}", self.grads[f"W{i}"]) for i in ids]
            out += [("backward", f"db{i}", self.grads[f"b{i}"]) for i in ids]
        if self.updated is not None:
            out.append(("update", "lr", self.lr))
            out += [("update", f"new_W{i}", self.updated[f"W{i}"]) for i in ids]
            out += [("update", f"new_b{i}", self.updated[f"b{i}"]) for i in ids]
        return out

    def labels(self, lang: str | None = None) -> list[str]:
        """The printed labels, in order (without the section headers)."""
        lang = self.lang if lang is None else _check_lang(lang)
        return [label(key, lang, self.loss_name) for _, key, _ in self.entries()]

    def to_text(self, lang: str | None = None) -> str:
        """The course's printout: ``##### section #####`` headers and ``print_vec`` blocks."""
        lang = self.lang if lang is None else _check_lang(lang)
        parts: list[str] = []
        section: str | None = None
        for sec, key, value in self.entries():
            if sec is not None and sec != section:
                parts.append(f"##### {_SECTIONS[lang][sec]} #####\n")
                section = sec
            parts.append(format_vec(label(key, lang, self.loss_name), value))
        return "".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        arch = self.architecture
        what = "-".join(map(str, arch["sizes"])) if "sizes" in arch else arch.get("activation", "")
        extra = "" if self.E is None else f", E={self.E:.6g}"
        return f"Trace({self.kind} {what}{extra}, updated={self.updated is not None}, lang={self.lang!r})"

    # ------------------------------------------------------------ export

    def to_dict(self) -> dict:
        """Every quantity under symbolic keys, arrays as nested lists (JSON-ready)."""
        ids = [str(i) for i in range(1, len(self.u) + 1)] if self._numbered() else [""]
        out = {
            "kind": self.kind,
            "architecture": self.architecture,
            "x": self.x,
            "d": self.d,
            "params": self.params,
            "u": {f"u{i}": v for i, v in zip(ids, self.u, strict=False)},
            "z": {f"z{i}": v for i, v in zip(ids, self.z, strict=False)},
            "y": self.y,
            "y_sum": self.y_sum,
            "E": self.E,
            "deltas": {f"dE/du{i}": v for i, v in zip(ids, self.deltas, strict=False)},
            "grads": self.grads,
            "lr": self.lr,
            "updated": self.updated,
        }
        return _jsonable(out)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (UTF-8 labels kept readable)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _copy(a: np.ndarray, single: bool) -> np.ndarray:
    """A copy of a cached (N, k) array, as one row when the caller passed one 1-D sample."""
    return a[0].copy() if single else a.copy()


def trace(net: Network, x: object, d: object = None, lr: float | None = None, lang: str = "ja") -> Trace:
    """Run one step of ``net`` on ``x`` and record every quantity (see :class:`Trace`).

    - always: the forward pass (順伝播) u_l = z_{l−1}·W_l + b_l, z_l = f(u_l), the output y and its sum;
    - with targets ``d``: the error E (誤差) and the back-propagation (誤差逆伝播法) — deltas ∂E/∂u_l
      and gradients ∂E/∂W_l, ∂E/∂b_l;
    - with a learning rate ``lr`` (needs ``d``): the update W ← W − lr·∂E/∂W, applied **to the network
      itself**, in place, like the course's loop ``network[key] -= learning_rate * grad[key]``. Trace a
      copy (``trace(net.copy(), …)``) to leave ``net`` as it was.

    A 1-D ``x`` is one sample and its values are recorded as 1-D rows, as the course prints them.
    A network with a step activation has no gradient: its trace stops after the error unless ``lr``
    is given, which raises the network's error.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net: expected an nnscratch.Network, got {type(net).__name__}")
    lang = _check_lang(lang)
    if lr is not None:
        check_positive("lr", lr)
        if d is None:
            raise ValueError("lr: an update needs targets; pass d (the correct values, 正解値) with lr")
    record = Trace("network", net.architecture(), lang=lang, loss=net.loss_name if d is not None else None)
    record.params = {k: net.params[k].copy() for k in _param_order(net)}
    single = np.ndim(x) == 1

    # the network's own forward pass (and loss), then read what each layer cached
    if d is None:
        net.forward(x)
    else:
        record.E = float(net.loss(x, d))
    record.x = _copy(net.affines[0].x, single)
    record.u = [_copy(a.u, single) for a in net.affines]
    record.z = [_copy(act.z, single) for act in net.activations]
    y = net.output_layer.y
    record.y = _copy(y, single)
    record.y_sum = float(np.sum(y)) if y.shape[0] == 1 else np.sum(y, axis=1)
    if d is None:
        return record
    record.d = net.check_d(d, y.shape[0])
    if single and record.d.ndim == 2:
        record.d = record.d[0]
    record.d = record.d.copy()
    if not net.differentiable and lr is None:
        return record

    # the network's own back-propagation; the deltas are what each layer kept for the layer below
    grads = net.backward(d)
    record.deltas = [_copy(act.delta, single) for act in net.activations]
    record.deltas.append(_copy(net.output_layer.delta, single))
    record.grads = {k: grads[k] for k in _param_order(net)}
    if lr is None:
        return record

    # gradient descent, the course's loop on the network's own parameter dict
    for key in _param_order(net):
        net.params[key] -= lr * grads[key]
    record.lr = float(lr)
    record.updated = {k: net.params[k].copy() for k in _param_order(net)}
    return record


def _param_order(net: Network) -> list[str]:
    n = net.n_layers
    return [f"W{i}" for i in range(1, n + 1)] + [f"b{i}" for i in range(1, n + 1)]


def trace_layer(
    W: object,
    b: object,
    x: object,
    activation: str = "relu",
    lang: str = "ja",
    dtype: str = "float64",
) -> Trace:
    """Trace one lone layer u = x·W + b, z = f(u) — the course's single-unit and single-layer exercises.

    Uses the library's :class:`~nnscratch.layers.Affine` and activation layers and reads what they
    cached. ``b`` may be a scalar (the course's single unit has b = 0.5) or one bias per unit.
    """
    lang = _check_lang(lang)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: unknown name {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    W_arr = np.array(W, dtype=dtype)
    if W_arr.ndim != 2:
        raise ValueError(f"W: expected a 2-D weight matrix (n_in, n_out), got shape {W_arr.shape}")
    b_arr = np.array(b, dtype=dtype)
    if b_arr.ndim > 1 or (b_arr.ndim == 1 and b_arr.shape[0] != W_arr.shape[1]):
        raise ValueError(
            f"b: expected a number or shape ({W_arr.shape[1]},) to match W, got shape {b_arr.shape}"
        )
    x_arr = np.array(x, dtype=dtype)
    single = x_arr.ndim == 1
    x2 = x_arr[None, :] if single else x_arr
    if x2.ndim != 2 or x2.shape[1] != W_arr.shape[0]:
        raise ValueError(
            f"x: expected shape ({W_arr.shape[0]},) or (N, {W_arr.shape[0]}) to match W, "
            f"got shape {x_arr.shape}"
        )
    affine = Affine({"W": W_arr, "b": b_arr}, "W", "b", need_dx=False)
    act = ACTIVATIONS[activation]()
    act.forward(affine.forward(x2))
    record = Trace("layer", {"activation": activation, "shape": list(W_arr.shape)}, lang=lang)
    record.params = {"W": W_arr.copy(), "b": b_arr.copy()}
    record.x = _copy(affine.x, single)
    record.u = [_copy(affine.u, single)]
    record.z = [_copy(act.z, single)]
    return record


# ---------------------------------------------------------------- the course's weights (COURSE.md)

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
