"""The record of one traced step, :class:`Trace`: every quantity, its printout and its JSON export."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from nnscratch import _display
from nnscratch.lab.trace.labels import _SECTIONS, _check_lang, format_vec, label


def _jsonable(value: Any) -> Any:
    """``value`` with every NumPy array and scalar turned into plain lists and numbers, for JSON."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _number_format(a: np.ndarray) -> str:
    """One format for every number of an array, so that their decimal points line up."""
    return "{:d}" if a.dtype.kind in "iub" else _display.number_format(a.ravel().tolist())


def _array_html(value: Any) -> str:
    """A scalar inline, a vector as one row and a matrix as rows, numbers aligned right."""
    if value is None:
        return ""
    a = np.asarray(value)
    if a.ndim == 0:
        fmt = _number_format(a.reshape(1))
        return f' <code>{_display.escape(fmt.format(a.item()))}</code>'
    rows = np.atleast_2d(a)
    if rows.ndim > 2:
        return f"<pre>{_display.escape(a)}</pre>"
    fmt = _number_format(rows)
    return _display.table([], [[fmt.format(v) for v in row] for row in rows.tolist()],
                          right=range(rows.shape[1]))


class Trace:
    """The record of one traced step: every quantity, copied, in the shapes the caller gave.

    Attributes (``None`` where that part was not run):

    - ``x``, ``d`` — the input (入力) and the targets (正解値);
    - ``params`` — the weights and biases before the step, ``{"W1": …, "b1": …}`` (重み, バイアス);
    - ``u`` — the total inputs u_1 … u_L (総入力), ``u[l-1]`` for layer l;
    - ``z`` — the hidden-layer outputs z_1 … z_{L-1} (中間層出力);
    - ``y`` and ``y_sum`` — the output (出力) and its sum per sample (出力合計; printed for a softmax
      output only, whose outputs are probabilities that sum to 1 — identity and sigmoid outputs need not);
    - ``bn`` — per hidden layer, None or batch normalisation's ``{"mu", "var", "xhat", "y"}`` (平均 μ,
      分散 σ², 正規化 x̂, 出力 y; in evaluation ``{"mu_run", "var_run", "y"}``, the running averages);
    - ``dropout`` — per hidden layer, None or dropout's ``{"mask", "out"}`` (マスク, 出力; no mask in
      evaluation); ``train`` — whether the step ran in training mode;
    - ``E`` — the batch-mean error (誤差); ``penalty`` — the l1/l2 term (正則化項), None without one;
    - ``deltas`` — ∂E/∂u_l for each layer, ``deltas[l-1]`` (デルタ; they carry the 1/N of the mean);
    - ``grads`` — ``{"W1": ∂E/∂W1, "b1": ∂E/∂b1, …}`` (偏微分_重み, 偏微分_バイアス);
    - ``lr`` and ``updated`` — the learning rate and the parameters after W ← W − lr·∂E/∂W (更新後パラメータ).

    ``str(trace)`` is the course's printout in ``trace.lang``; ``to_text(lang)`` chooses the language.
    In a notebook a trace shows as HTML (``to_html(lang)``): the same sections, every label with its
    translation beside it, every array as a table whose decimal points line up.
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
        self.bn: list[dict | None] = []
        self.dropout: list[dict | None] = []
        self.train = False
        self.E: float | None = None
        self.penalty: float | None = None
        self.deltas: list[np.ndarray] = []
        self.grads: dict[str, np.ndarray] = {}
        self.lr: float | None = None
        self.updated: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------ the printout

    def _numbered(self) -> bool:
        return self.kind == "network"

    def entries(self) -> list[tuple[str | None, str, Any]]:
        """(section, symbolic key, value) in the course's printing order; section None = no header."""
        n_layers = sum(1 for k in self.params if k.startswith("W"))
        ids = [str(i) if self._numbered() else "" for i in range(1, n_layers + 1)]
        out: list[tuple[str | None, str, Any]] = []
        if self.kind == "layer":
            # the course's single-layer exercises: 重み, バイアス, 入力, 総入力, 中間層出力
            out += [(None, "W", self.params["W"]), (None, "b", self.params["b"]), (None, "x", self.x)]
            out += [(None, "u", self.u[0]), (None, "z", self.z[0])]
            return out
        # W1 … Wn, b1 … bn, then batch normalisation's γ and β (as the parameters were recorded)
        out += [("init", key, value) for key, value in self.params.items()]
        out.append(("forward", "x", self.x))
        for i in range(n_layers):
            out.append(("forward", f"u{ids[i]}", self.u[i]))
            if i < n_layers - 1:
                out += self._extra("bn", ids[i], self.bn[i] if i < len(self.bn) else None)
                out.append(("forward", f"z{ids[i]}", self.z[i]))
                out += self._extra("drop", ids[i], self.dropout[i] if i < len(self.dropout) else None)
        out += self._output_entries()
        if self.deltas:
            out += [("backward", f"delta{ids[i]}", self.deltas[i]) for i in range(n_layers - 1, -1, -1)]
        return out + self._gradient_entries()

    def _output_entries(self) -> list[tuple[str | None, str, Any]]:
        """y (and its sum for softmax), then with targets d, E and the penalty."""
        out: list[tuple[str | None, str, Any]] = [("forward", "y", self.y)]
        if self.architecture.get("output") == "softmax":  # only softmax's outputs sum to 1
            out.append(("forward", "y_sum", self.y_sum))
        if self.d is not None:
            out += [("forward", "d", self.d), ("forward", "E", self.E)]
            if self.penalty is not None:
                out.append(("forward", "penalty", self.penalty))
        return out

    def _gradient_entries(self) -> list[tuple[str | None, str, Any]]:
        """The parameters' gradients, then the learning rate and the updated parameters."""
        out: list[tuple[str | None, str, Any]] = [("backward", f"d{key}", v) for key, v in self.grads.items()]
        if self.updated is not None:
            out.append(("update", "lr", self.lr))
            out += [("update", f"new_{key}", value) for key, value in self.updated.items()]
        return out

    def _observe_output(self, net, d: object, y: np.ndarray, single: bool) -> np.ndarray | None:
        """Record the output y (one row for a single sample) and its sum; given targets ``d``, the
        error E of ``net``'s output layer, the l1/l2 penalty and d itself. Returns d validated."""
        self.y = y[0].copy() if single else y.copy()
        self.y_sum = float(np.sum(y)) if y.shape[0] == 1 else np.sum(y, axis=1)
        if d is None:
            return None
        dd = net.check_d(d, y.shape[0])
        self.E = float(net.output_layer.loss(dd))
        if net.l1 or net.l2:
            self.penalty = net.penalty()
        self.d = dd[0].copy() if single and dd.ndim == 2 else dd.copy()
        return dd

    @staticmethod
    def _extra(prefix: str, n: str, values: dict | None) -> list[tuple[str | None, str, Any]]:
        """A batch-normalisation (``bn_mu1``, …) or dropout (``drop_mask1``, …) layer's entries."""
        return [("forward", f"{prefix}_{name}{n}", v) for name, v in (values or {}).items()]

    def labels(self, lang: str | None = None) -> list[str]:
        """The printed labels, in order (without the section headers)."""
        lang = self.lang if lang is None else _check_lang(lang)
        return [self._label(key, lang) for _, key, _ in self.entries()]

    def _label(self, key: str, lang: str) -> str:
        """The printed label of one entry's key."""
        return label(key, lang, self.loss_name)

    def to_text(self, lang: str | None = None) -> str:
        """The course's printout: ``##### section #####`` headers and ``print_vec`` blocks."""
        lang = self.lang if lang is None else _check_lang(lang)
        parts: list[str] = []
        section: str | None = None
        for sec, key, value in self.entries():
            if sec is not None and sec != section:
                parts.append(f"##### {_SECTIONS[lang][sec]} #####\n")
                section = sec
            parts.append(format_vec(self._label(key, lang), value))
        return "".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def to_html(self, lang: str | None = None) -> str:
        """The printout as HTML: section headers, every label in ``lang`` with the other language beside
        it, and every array as a table whose numbers line up (one format per array)."""
        lang = self.lang if lang is None else _check_lang(lang)
        other = "en" if lang == "ja" else "ja"
        parts = ['<div style="font-size:90%">']
        section: str | None = None
        for sec, key, value in self.entries():
            if sec is not None and sec != section:
                parts.append(f'<h4 style="margin:8px 0 2px">{_display.escape(_SECTIONS[lang][sec])}'
                             f' <span style="color:#888;font-weight:normal">'
                             f'{_display.escape(_SECTIONS[other][sec])}</span></h4>')
                section = sec
            name = _display.escape(self._label(key, lang))
            aside = _display.escape(self._label(key, other))
            parts.append(f'<div style="margin:2px 0"><b>{name}</b> <span style="color:#888">{aside}</span>'
                         f"{_array_html(value)}</div>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        """Jupyter shows the printout as HTML (``str(trace)`` stays the course's text)."""
        return self.to_html()

    def __repr__(self) -> str:
        arch = self.architecture
        if "sizes" in arch:
            what = "-".join(map(str, arch["sizes"]))
        elif "layers" in arch:
            what = " → ".join(c["type"] for c in arch["layers"])
        else:
            what = arch.get("activation", "")
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
            "bn": {f"bn{i}": v for i, v in zip(ids, self.bn, strict=False) if v is not None},
            "dropout": {f"dropout{i}": v for i, v in zip(ids, self.dropout, strict=False) if v is not None},
            "train": self.train,
            "E": self.E,
            "penalty": self.penalty,
            "deltas": {f"dE/du{i}": v for i, v in zip(ids, self.deltas, strict=False)},
            "grads": self.grads,
            "lr": self.lr,
            "updated": self.updated,
        }
        return _jsonable(out)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (UTF-8 labels kept readable)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

