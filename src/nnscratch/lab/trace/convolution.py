"""The trace of one convolution (畳み込み), step by step: :func:`trace_convolution` and its record.

It shows what 『ゼロから作る Deep Learning』 7.4 and the course's 2_6 ask a learner to take apart: the
input with its padding (パディング), the output size OH = (H + 2P − FH) / S + 1 with the numbers, the patch
matrix col = im2col(x) (one row per filter position (n, i, j), one column per (c, p, q)), the filters as
a matrix W.reshape(FN, −1) and its transpose, the product col·Wᵀ + b and the reshape back to
(N, FN, OH, OW); given the gradient from above, dout = ∂E/∂u, also the backward pass: ∂E/∂W = colᵀ·dout,
∂E/∂b = Σ dout and ∂E/∂x = col2im(dout·W).

Every number is the library's: col from :func:`nnscratch.functions.im2col`, the output and the gradients
from a :class:`~nnscratch.layers.Convolution` holding the filters; the matrix products are written out
here in the book's layout and checked against the layer (``same_as_layer``).

>>> import numpy as np
>>> t = trace_convolution(np.arange(16.0).reshape(4, 4), [[1.0, 0.0], [0.0, -1.0]], lang="en")
>>> t.col.shape, t.u.shape, t.same_as_layer
((9, 4), (1, 1, 3, 3), True)
>>> t.u[0, 0, 0].tolist()
[-5.0, -5.0, -5.0]
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from nnscratch import _display
from nnscratch.functions import col2im, conv_output_size, im2col
from nnscratch.lab.trace.labels import _check_lang, format_vec
from nnscratch.lab.trace.record import _array_html, _jsonable
from nnscratch.layers import Convolution

MAX_ENTRIES = 20_000  # the patch matrix is printed whole: a trace is for small examples
# the layer sums in another order than the product written out: equal to rounding (float32: True)
_TOLERANCE = {False: {"rtol": 1e-10, "atol": 1e-12}, True: {"rtol": 1e-5, "atol": 1e-6}}

# key -> (Japanese, English); {…} filled from the record's sizes
_LABELS: dict[str, tuple[str, str]] = {
    "setup": ("畳み込みの設定", "the convolution"),
    "forward": ("順伝播開始 (im2col と行列の積)", "forward pass (im2col and one matrix product)"),
    "backward": ("誤差逆伝播開始 (転置した積と col2im)", "back-propagation (transposed products and col2im)"),
    "update": ("更新後パラメータ", "updated parameters"),
    "x": ("入力 x (N, C, H, W) = {x_shape}", "input x (N, C, H, W) = {x_shape}"),
    "x_pad": ("パディング後の入力 (P = {P}: 上下左右に 0 を {P} つずつ)",
              "input after padding (P = {P}: {P} zero(s) added on every side)"),
    "W": ("フィルター W (FN, C, FH, FW) = {W_shape}", "filters W (FN, C, FH, FW) = {W_shape}"),
    "b": ("バイアス b (FN,)", "bias b (FN,)"),
    "size": ("出力サイズ OH = (H + 2P − FH) / S + 1, OW = (W + 2P − FW) / S + 1",
             "output size OH = (H + 2P − FH) / S + 1, OW = (W + 2P − FW) / S + 1"),
    "col": ("im2col(x) {col_shape}: 行 = フィルターの位置 (n, i, j), 列 = (c, p, q)",
            "im2col(x) {col_shape}: rows = filter positions (n, i, j), columns = (c, p, q)"),
    "W_mat": ("フィルターを行列に W.reshape(FN, −1) {wm_shape}: 行 = フィルター f, 列 = (c, p, q)",
              "filters as a matrix W.reshape(FN, −1) {wm_shape}: rows = filter f, columns = (c, p, q)"),
    "W_T": ("その転置 Wᵀ {wt_shape}", "its transpose Wᵀ {wt_shape}"),
    "product": ("積 col · Wᵀ + b {prod_shape}: 行 = (n, i, j), 列 = フィルター f",
                "product col · Wᵀ + b {prod_shape}: rows = (n, i, j), columns = filter f"),
    "u": ("reshape(N, OH, OW, FN).transpose(0, 3, 1, 2) → 出力 u (N, FN, OH, OW) = {u_shape}",
          "reshape(N, OH, OW, FN).transpose(0, 3, 1, 2) → output u (N, FN, OH, OW) = {u_shape}"),
    "same": ("Convolution.forward と一致", "the same as Convolution.forward"),
    "dout": ("上の層からの勾配 dout = ∂E/∂u (N, FN, OH, OW)",
             "gradient from above dout = ∂E/∂u (N, FN, OH, OW)"),
    "dout_mat": ("dout を行列に transpose(0, 2, 3, 1).reshape(−1, FN) {prod_shape}",
                 "dout as a matrix transpose(0, 2, 3, 1).reshape(−1, FN) {prod_shape}"),
    "dW": ("偏微分_重み ∂E/∂W = (colᵀ · dout)ᵀ を (FN, C, FH, FW) に",
           "gradient ∂E/∂W = (colᵀ · dout)ᵀ reshaped to (FN, C, FH, FW)"),
    "db": ("偏微分_バイアス ∂E/∂b = Σ dout (位置と画像について)",
           "gradient ∂E/∂b = Σ dout (over positions and images)"),
    "dcol": ("∂E/∂col = dout · W {col_shape}", "∂E/∂col = dout · W {col_shape}"),
    "dx": ("∂E/∂x = col2im(∂E/∂col) (N, C, H, W): 重なった位置の値は足し合わせる",
           "∂E/∂x = col2im(∂E/∂col) (N, C, H, W): where windows overlap the entries add up"),
    "same_backward": ("Convolution.backward と一致", "the same as Convolution.backward"),
    "lr": ("学習率", "learning rate"),
    "new_W": ("フィルター W ← W − ε·∂E/∂W", "filters W ← W − η·∂E/∂W"),
    "new_b": ("バイアス b ← b − ε·∂E/∂b", "bias b ← b − η·∂E/∂b"),
}


# the example of ``nnscratch trace --conv``: 『ゼロから作る』 図7-7's 4×4 input and a 2×2 filter → 3×3
EXAMPLE_X = [[1.0, 2.0, 3.0, 0.0], [0.0, 1.0, 2.0, 3.0], [3.0, 0.0, 1.0, 2.0], [2.0, 3.0, 0.0, 1.0]]
EXAMPLE_W = [[2.0, 0.0], [0.0, 1.0]]


def _text(key: str, lang: str, **sizes: object) -> str:
    return _LABELS[key][0 if lang == "ja" else 1].format(**sizes)


def _as_images(value: object, dtype: str) -> np.ndarray:
    """x as (N, C, H, W): a 2-D (H, W) is one one-channel image, a 3-D (C, H, W) one image."""
    try:
        a = np.array(value, dtype=dtype)
    except (ValueError, TypeError):
        raise ValueError(f"x: expected an image of numbers, (H, W), (C, H, W) or (N, C, H, W), "
                         f"got {type(value).__name__}") from None
    if a.ndim not in (2, 3, 4) or a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"x: expected finite numbers of shape (H, W), (C, H, W) or (N, C, H, W), such as "
                         f"(4, 4), got shape {a.shape}")
    return a.reshape((1,) * (4 - a.ndim) + a.shape)


def _as_filters(value: object, channels: int, dtype: str) -> np.ndarray:
    """W as (FN, C, FH, FW): a 2-D (FH, FW) is one filter of one channel."""
    try:
        a = np.array(value, dtype=dtype)
    except (ValueError, TypeError):
        raise ValueError(f"W: expected filters of numbers, (FH, FW) or (FN, C, FH, FW), "
                         f"got {type(value).__name__}") from None
    if a.ndim == 2:
        a = a[None, None]
    if a.ndim != 4 or a.size == 0 or a.shape[1] != channels or not np.all(np.isfinite(a)):
        raise ValueError(f"W: expected finite filters (FH, FW) or (FN, C, FH, FW) with C = {channels} "
                         f"(the input's channels), such as (2, 2), got shape {np.shape(value)}")
    return a


def _as_bias(value: object, filters: int, dtype: str) -> np.ndarray:
    b = np.zeros(filters, dtype) if value is None else np.array(value, dtype=dtype)
    if b.ndim == 0:
        b = np.full(filters, b, dtype)
    if b.shape != (filters,) or not np.all(np.isfinite(b)):
        raise ValueError(f"b: expected a number or one per filter, shape ({filters},), got shape {b.shape}")
    return b


class ConvTrace:
    """The record of one traced convolution; every array a copy, in float64 unless asked otherwise.

    Attributes: ``x`` (N, C, H, W), ``x_pad`` (with the padding), ``W`` (FN, C, FH, FW), ``b`` (FN,),
    ``stride``, ``pad``, ``size`` (``{"OH": …, "OW": …, "formula": [the two lines with numbers]}``),
    ``col`` = im2col(x) (N·OH·OW, C·FH·FW), ``W_mat`` = W.reshape(FN, −1), ``W_T`` its transpose,
    ``product`` = col·Wᵀ + b (N·OH·OW, FN), ``u`` (N, FN, OH, OW) — the product reshaped back — and
    ``layer_u``, what :meth:`Convolution.forward <nnscratch.layers.Convolution.forward>` gave
    (``same_as_layer``: whether the two agree). With ``dout``: ``dout_mat``, ``dW``, ``db``, ``dcol``,
    ``dx`` (written out here) and ``same_backward`` (whether they agree with ``Convolution.backward``);
    with ``lr`` also ``lr``, ``new_W``, ``new_b``. ``print(t)`` is the course's ``print_vec`` layout,
    the matrices with their row and column labels.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.x = self.x_pad = self.W = self.b = self.col = None
        self.W_mat = self.W_T = self.product = self.u = self.layer_u = None
        self.stride, self.pad = 1, 0
        self.size: dict[str, Any] = {}
        self.same_as_layer = False
        self.dout = self.dout_mat = self.dW = self.db = self.dcol = self.dx = None
        self.same_backward: bool | None = None
        self.lr: float | None = None
        self.new_W = self.new_b = None

    # ------------------------------------------------------------ labels of rows and columns

    def _shape_of(self) -> tuple[int, ...]:
        (n, c, _, _), (fn, _, fh, fw) = self.x.shape, self.W.shape
        return n, c, fn, fh, fw, self.size["OH"], self.size["OW"]

    def row_labels(self) -> list[str]:
        """(n, i, j) of every row of ``col``: image n, output row i, output column j."""
        n, _, _, _, _, oh, ow = self._shape_of()
        return [f"({a},{i},{j})" for a in range(n) for i in range(oh) for j in range(ow)]

    def column_labels(self) -> list[str]:
        """(c, p, q) of every column of ``col``: channel c, filter row p, filter column q."""
        _, c, _, fh, fw, _, _ = self._shape_of()
        return [f"({k},{p},{q})" for k in range(c) for p in range(fh) for q in range(fw)]

    def _sizes(self) -> dict[str, object]:
        n, c, fn, fh, fw, oh, ow = self._shape_of()
        return {"x_shape": self.x.shape, "P": self.pad, "W_shape": self.W.shape, "u_shape": (n, fn, oh, ow),
                "col_shape": self.col.shape, "wm_shape": (fn, c * fh * fw), "wt_shape": (c * fh * fw, fn),
                "prod_shape": (n * oh * ow, fn)}

    # ------------------------------------------------------------ the printout

    def entries(self) -> list[tuple[str, str, Any, tuple[list[str], list[str]] | None]]:
        """(section, label key, value, (row labels, column labels) or None), in the printing order."""
        rows, cols = self.row_labels(), self.column_labels()
        filters = [f"f{f}" for f in range(self.W.shape[0])]
        out: list[tuple[str, str, Any, tuple[list[str], list[str]] | None]] = [
            ("setup", "x", self.x, None)]
        if self.pad:
            out.append(("setup", "x_pad", self.x_pad, None))
        out += [("setup", "W", self.W, None), ("setup", "b", self.b, None),
                ("setup", "size", "\n".join(self.size["formula"]), None),
                ("forward", "col", self.col, (rows, cols)), ("forward", "W_mat", self.W_mat, (filters, cols)),
                ("forward", "W_T", self.W_T, (cols, filters)),
                ("forward", "product", self.product, (rows, filters)),
                ("forward", "u", self.u, None), ("forward", "same", self.same_as_layer, None)]
        if self.dout is not None:
            out += [("backward", "dout", self.dout, None),
                    ("backward", "dout_mat", self.dout_mat, (rows, filters)),
                    ("backward", "dW", self.dW, None), ("backward", "db", self.db, None),
                    ("backward", "dcol", self.dcol, (rows, cols)), ("backward", "dx", self.dx, None),
                    ("backward", "same_backward", self.same_backward, None)]
        if self.lr is not None:
            out += [("update", "lr", self.lr, None), ("update", "new_W", self.new_W, None),
                    ("update", "new_b", self.new_b, None)]
        return out

    def labels(self, lang: str | None = None) -> list[str]:
        """The printed labels, in order (without the section headers)."""
        lang = self.lang if lang is None else _check_lang(lang)
        sizes = self._sizes()
        return [_text(key, lang, **sizes) for _, key, _, _ in self.entries()]

    def to_text(self, lang: str | None = None) -> str:
        """``##### section #####`` headers and ``print_vec`` blocks; matrices as labelled tables."""
        lang = self.lang if lang is None else _check_lang(lang)
        sizes, parts, section = self._sizes(), [], None
        for sec, key, value, axes in self.entries():
            if sec != section:
                parts.append(f"##### {_text(sec, lang)} #####\n")
                section = sec
            shown = labelled_table(value, *axes) if axes is not None else value
            parts.append(format_vec(_text(key, lang, **sizes), shown))
        return "".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        n, c, fn, fh, fw, oh, ow = self._shape_of()
        return (f"ConvTrace(x {self.x.shape} * W {self.W.shape}, S={self.stride}, P={self.pad} → "
                f"u {(n, fn, oh, ow)}, backward={self.dout is not None}, lang={self.lang!r})")

    def to_html(self, lang: str | None = None) -> str:
        """The printout as HTML: the section headers, each label with its translation, every array aligned."""
        lang = self.lang if lang is None else _check_lang(lang)
        other = "en" if lang == "ja" else "ja"
        sizes, parts, section = self._sizes(), ['<div style="font-size:90%">'], None
        for sec, key, value, axes in self.entries():
            if sec != section:
                head, aside = (_display.escape(_text(sec, la)) for la in (lang, other))
                parts.append(f'<h4 style="margin:8px 0 2px">{head} <span style="color:#888;'
                             f'font-weight:normal">{aside}</span></h4>')
                section = sec
            name, aside = (_display.escape(_text(key, la, **sizes)) for la in (lang, other))
            if axes is not None:
                body = f"<pre>{_display.escape(labelled_table(value, *axes))}</pre>"
            elif isinstance(value, np.ndarray) and value.ndim > 2:
                body = f"<pre>{_display.escape(np.array2string(value))}</pre>"
            elif isinstance(value, str):
                body = f"<pre>{_display.escape(value)}</pre>"
            else:
                body = _array_html(value)
            parts.append(f'<div style="margin:2px 0"><b>{name}</b> <span style="color:#888">{aside}</span>'
                         f"{body}</div>")
        return "".join(parts) + "</div>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_dict(self) -> dict:
        """Every quantity, arrays as nested lists (JSON-ready), with the row and column labels of col."""
        keys = ("x", "x_pad", "W", "b", "stride", "pad", "size", "col", "W_mat", "W_T", "product", "u",
                "layer_u", "same_as_layer", "dout", "dout_mat", "dW", "db", "dcol", "dx", "same_backward",
                "lr", "new_W", "new_b")
        out = {"kind": "convolution", **{k: getattr(self, k) for k in keys}}
        out["rows"], out["columns"] = self.row_labels(), self.column_labels()
        return _jsonable(out)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def labelled_table(matrix: np.ndarray, rows: list[str], columns: list[str]) -> str:
    """A matrix as text with a label above each column and before each row, numbers aligned right.

    >>> print(labelled_table(np.array([[1.0, 2.5]]), ["(0,0,0)"], ["a", "b"]))
               a   b
    (0,0,0)  1.0 2.5
    """
    a = np.asarray(matrix)
    fmt = _display.number_format(a.ravel().tolist())
    cells = [[fmt.format(v) for v in row] for row in a.tolist()]
    if fmt.endswith("f}"):  # the zeros every number ends with dropped, one decimal kept: 1.0, 0.25
        cut = min(min(len(c) - len(c.rstrip("0")) for row in cells for c in row), int(fmt[3]) - 1)
        cells = [[c[: len(c) - cut] for c in row] for row in cells]
    width = max(len(s) for s in [*columns, *(c for row in cells for c in row)])
    lead = max(len(r) for r in rows)
    lines = [" " * lead + " " + "".join(f" {c:>{width}}" for c in columns)]
    lines += [f"{r:<{lead}} " + "".join(f" {c:>{width}}" for c in row)
              for r, row in zip(rows, cells, strict=True)]
    return "\n".join(lines)


def _size_lines(h: int, w: int, fh: int, fw: int, stride: int, pad: int) -> tuple[int, int, list[str]]:
    """OH and OW from the library's conv_output_size (its one-line error when S does not divide), and
    the formula with the numbers."""
    oh, ow = conv_output_size(h, fh, stride, pad), conv_output_size(w, fw, stride, pad)
    return oh, ow, [f"OH = ({h} + 2·{pad} − {fh}) / {stride} + 1 = {oh}",
                    f"OW = ({w} + 2·{pad} − {fw}) / {stride} + 1 = {ow}"]


def trace_convolution(x: object, W: object, b: object = None, stride: int = 1, pad: int = 0,
                      dout: object = None, lr: float | None = None, lang: str = "ja",
                      dtype: str = "float64") -> ConvTrace:
    """Trace one convolution u = col·Wᵀ + b, col = im2col(x), reshaped to (N, FN, OH, OW) (畳み込み).

    ``x``: (H, W) — one image of one channel —, (C, H, W) or (N, C, H, W); ``W``: one filter (FH, FW)
    or filters (FN, C, FH, FW); ``b``: None (zeros), a number or one per filter; ``stride`` S (ストライド)
    and ``pad`` P (パディング). Given ``dout`` (∂E/∂u, shape (N, FN, OH, OW), or (OH, OW) for one image
    and one filter) the backward pass too: ∂E/∂W = colᵀ·dout, ∂E/∂b = Σ dout, ∂E/∂x = col2im(dout·W);
    given ``lr`` (needs ``dout``) the update W ← W − lr·∂E/∂W, b ← b − lr·∂E/∂b (recorded; nothing else
    changes). The arrays are float64 by default, like the course's NumPy.

    The product and the reshape are written out here in the book's layout; the layer's own
    :meth:`~nnscratch.layers.Convolution.forward` and ``backward`` run on the same numbers, and
    ``same_as_layer`` / ``same_backward`` say whether both give the same result.
    """
    lang = _check_lang(lang)
    xs = _as_images(x, dtype)
    Ws = _as_filters(W, xs.shape[1], dtype)
    bs = _as_bias(b, Ws.shape[0], dtype)
    (n, c, h, w), (fn, _, fh, fw) = xs.shape, Ws.shape
    for name, value, low in (("stride", stride, 1), ("pad", pad, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: expected an integer ≥ {low} (e.g. {name}={max(low, 1)}), "
                             f"got {value!r}")
    oh, ow, formula = _size_lines(h, w, fh, fw, stride, pad)
    if n * oh * ow * c * fh * fw > MAX_ENTRIES:
        raise ValueError(f"x: the trace prints the whole patch matrix, here {n * oh * ow} × {c * fh * fw}; "
                         f"keep it under {MAX_ENTRIES} numbers, e.g. one 4×4 image and a 2×2 filter")
    if lr is not None and dout is None:
        raise ValueError("lr: an update needs the gradient from above; pass dout (∂E/∂u) with lr")
    t = ConvTrace(lang)
    t.x, t.W, t.b, t.stride, t.pad = xs, Ws, bs, int(stride), int(pad)
    t.x_pad = np.pad(xs, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    t.size = {"OH": oh, "OW": ow, "formula": formula}
    layer = Convolution(c, fn, (fh, fw), stride=stride, pad=pad, dtype=dtype)
    layer.params["W"], layer.params["b"] = Ws.copy(), bs.copy()
    t.layer_u = layer.forward(xs)
    _forward(t)
    if dout is not None:
        _backward(t, layer, dout, dtype)
    if lr is not None:
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
            raise ValueError(f"lr: expected a positive number such as 0.1, got {lr!r}")
        t.lr = float(lr)
        t.new_W, t.new_b = Ws - lr * t.dW, bs - lr * t.db
    return t


def _forward(t: ConvTrace) -> None:
    """The book's forward pass, written out: col = im2col(x), col·Wᵀ + b, the reshape back."""
    n, fn = t.x.shape[0], t.W.shape[0]
    oh, ow = t.size["OH"], t.size["OW"]
    t.col = im2col(t.x, t.W.shape[2], t.W.shape[3], t.stride, t.pad)
    t.W_mat = t.W.reshape(fn, -1)
    t.W_T = t.W_mat.T.copy()
    t.product = t.col @ t.W_T + t.b
    t.u = t.product.reshape(n, oh, ow, fn).transpose(0, 3, 1, 2).copy()
    t.same_as_layer = bool(np.allclose(t.u, t.layer_u, **_TOLERANCE[t.x.dtype.itemsize == 4]))


def _backward(t: ConvTrace, layer: Convolution, dout: object, dtype: str) -> None:
    """The book's backward pass, written out, and the layer's own, on the same dout."""
    n, fn = t.x.shape[0], t.W.shape[0]
    oh, ow = t.size["OH"], t.size["OW"]
    try:
        g = np.array(dout, dtype=dtype)
    except (ValueError, TypeError):
        raise ValueError(f"dout: expected numbers of shape {(n, fn, oh, ow)}, "
                         f"got {type(dout).__name__}") from None
    if g.shape == (oh, ow) and n == fn == 1:
        g = g[None, None]
    if g.shape != (n, fn, oh, ow) or not np.all(np.isfinite(g)):
        raise ValueError(f"dout: expected finite numbers of shape (N, FN, OH, OW) = {(n, fn, oh, ow)} "
                         f"(or ({oh}, {ow}) for one image and one filter), got shape {g.shape}")
    t.dout = g
    t.dout_mat = g.transpose(0, 2, 3, 1).reshape(-1, fn)
    t.dW = (t.col.T @ t.dout_mat).T.reshape(t.W.shape)
    t.db = t.dout_mat.sum(axis=0)
    t.dcol = t.dout_mat @ t.W_mat
    t.dx = col2im(t.dcol, t.x.shape, t.W.shape[2], t.W.shape[3], t.stride, t.pad)
    layer_dx = layer.backward(g)
    close = _TOLERANCE[t.x.dtype.itemsize == 4]
    t.same_backward = bool(np.allclose(t.dW, layer.grads["W"], **close)
                           and np.allclose(t.db, layer.grads["b"], **close)
                           and np.allclose(t.dx, layer_dx, **close))


def trace_layer_convolution(layer: Convolution, x: object, dout: object = None, lr: float | None = None,
                            lang: str = "ja") -> ConvTrace:
    """:func:`trace_convolution` of a :class:`~nnscratch.layers.Convolution` layer's own filters, stride
    and padding (what ``nnscratch.trace(layer, x, d)`` calls: ``d`` is dout = ∂E/∂u there). Given ``lr``
    the update is also applied to the layer's parameters, in place, as ``trace`` does to a network."""
    W, b = layer.params["W"], layer.params["b"]
    t = trace_convolution(x, W, b, layer.stride, layer.pad, dout=dout, lr=lr, lang=lang, dtype=str(W.dtype))
    if lr is not None:
        W[...], b[...] = t.new_W, t.new_b
    return t
