"""A stack of layers written as one short string (レイヤ構成の文字列), e.g.
``"conv30x5-relu-pool2-affine100-relu"``: what ``RunSpec(layers=…)``, ``nnscratch train --layers …``
and sweeps take to build a convolutional (or any) network of the library's layers.

Tokens, joined by ``-`` (case and spaces ignored):

| token | layer |
|---|---|
| `conv<F>x<K>[s<S>][p<P>]` | `Convolution`: F filters K×K, stride S (default 1), pad P (default 0) |
| `pool<K>[s<S>][p<P>]` | `MaxPooling` K×K, stride S (default K), pad P (default 0); `maxpool<K>` too |
| `avgpool<K>[s<S>][p<P>]` | `AveragePooling` |
| `flatten` | `Flatten` (added by itself before the first affine) |
| `gap`, `gmp` | `GlobalAveragePooling`, `GlobalMaxPooling`: one number per channel, instead of flatten |
| `affine<N>` | `Affine` to N units |
| `relu`, `sigmoid`, `tanh`, `leaky_relu`, `identity` | the activation |
| `dropout<P>` | `Dropout` with rate P, e.g. `dropout0.5` |
| `batchnorm` | `BatchNormalization`: per channel on images (as `BatchNorm2d`), per unit on rows |

The last Affine (to the number of classes or targets) and the output layer come from the task, as for
``hidden_sizes``: softmax + cross entropy for classes, identity + squared error for regression. The input
shape comes from the data: (1, rows, cols) images when the stack has a convolution or a pooling
(digits 1×8×8, mnist5k 1×28×28), else rows of features. A preset's name — ``simple_convnet``,
``double_convnet``, ``deep_convnet`` (:mod:`nnscratch.presets`) — is a layer string too.

>>> canonical(" Conv8x3-ReLU-pool2 - affine32-relu")
'conv8x3-relu-pool2-affine32-relu'
>>> net = build("conv8x3p1-relu-pool2-affine32-relu", (1, 8, 8), 10, seed=0)
>>> [type(layer).__name__ for layer in net.layers][:4], net.params["W2"].shape
(['Convolution', 'ReLU', 'MaxPooling', 'Flatten'], (128, 32))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nnscratch import layers as L
from nnscratch import presets
from nnscratch._arch import MAX_PARAMETERS, output_and_loss
from nnscratch.network import Sequential
from nnscratch.network.shapes import output_shape

__all__ = ["PRESETS", "Token", "parse", "canonical", "check", "takes_images", "build", "input_width"]

PRESETS = {"simple_convnet": presets.simple_convnet, "double_convnet": presets.double_convnet,
           "deep_convnet": presets.deep_convnet}
ACTIVATION_TOKENS = tuple(name for name, cls in L.ACTIVATIONS.items() if cls.differentiable)
EXAMPLE = "conv30x5-relu-pool2-affine100-relu"
GRAMMAR = (f"conv<F>x<K>[s<S>][p<P>], pool<K>, avgpool<K>, flatten, gap, gmp, affine<N>, "
           f"{'|'.join(ACTIVATION_TOKENS)}, dropout<P>, batchnorm, or a preset ({', '.join(PRESETS)})")
MAX_TEXT, MAX_TOKENS = 1000, 64

_WINDOW = r"(\d+)(?:s(\d+))?(?:p(\d+))?"
_PATTERNS = {
    "conv": re.compile(r"conv(\d+)x" + _WINDOW),
    "pool": re.compile(r"(?:max)?pool" + _WINDOW),
    "avgpool": re.compile(r"avgpool" + _WINDOW),
    "affine": re.compile(r"affine(\d+)"),
    "dropout": re.compile(r"dropout(\d*\.\d+|\d+\.?)"),
}
# (what, largest) of each number a token carries: a string from a file cannot ask for a huge layer
_LIMITS = {"conv": (("filters", 4096), ("kernel", 64), ("stride", 64), ("pad", 64)),
           "pool": (("pool", 64), ("stride", 64), ("pad", 64)), "affine": (("units", 1_000_000),)}
_LIMITS["avgpool"] = _LIMITS["pool"]


@dataclass(frozen=True)
class Token:
    """One layer of a layer string: its kind (``conv``, ``pool``, ``avgpool``, ``flatten``, ``gap``,
    ``gmp``, ``affine``, ``dropout``, ``batchnorm`` or an activation's name) and its numbers, e.g. conv30x5 →
    ``Token("conv", (30, 5, 1, 0), "conv30x5")`` (filters, kernel, stride, pad)."""

    kind: str
    args: tuple = ()
    text: str = ""

    @property
    def image(self) -> bool:
        return self.kind in ("conv", "pool", "avgpool", "gap", "gmp")


def _bad(i: int, token: str, why: str, grammar: bool = False) -> ValueError:
    expected = f"expected tokens {GRAMMAR} joined by '-', e.g." if grammar else "e.g."
    return ValueError(f"layers: token {i + 1} {token!r} {why}; {expected} {EXAMPLE!r}")


def _token(i: int, text: str) -> Token:
    if text in ("flatten", "batchnorm", "gap", "gmp") or text in ACTIVATION_TOKENS:
        return Token(text, (), text)
    for kind, pattern in _PATTERNS.items():
        m = pattern.fullmatch(text)
        if m is None:
            continue
        if kind == "dropout":
            p = float(m.group(1))
            if not 0 < p < 1:
                raise _bad(i, text, f"has a dropout rate {p:g} outside (0, 1)")
            return Token(kind, (p,), text)
        values = [None if g is None else int(g) for g in m.groups()]
        for (what, most), v in zip(_LIMITS[kind], values, strict=False):
            if v is not None and not (0 if what == "pad" else 1) <= v <= most:
                raise _bad(i, text, f"has {what} {v}, expected 1 to {most}" if what != "pad" else
                           f"has pad {v}, expected 0 to {most}")
        if kind == "conv":
            f, k, s, p = values
            return Token(kind, (f, k, s or 1, p or 0), text)
        if kind in ("pool", "avgpool"):
            k, s, p = values
            return Token(kind, (k, s or k, p or 0), text)
        return Token(kind, (values[0],), text)
    raise _bad(i, text, "is not a layer", grammar=True)


def parse(text: object) -> tuple[Token, ...]:
    """The tokens of a layer string (a preset's name gives one token of that kind), or a one-line
    ValueError naming the bad token, what was expected and an example."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise ValueError(f"layers: expected a layer string such as {EXAMPLE!r} (at most {MAX_TEXT} "
                         f"characters) or a preset name ({', '.join(PRESETS)}), got {str(text)[:60]!r}")
    clean = "".join(text.split()).lower()
    if clean in PRESETS:
        return (Token(clean, (), clean),)
    parts = clean.split("-")
    if len(parts) > MAX_TOKENS:
        raise ValueError(f"layers: {len(parts)} tokens, more than the {MAX_TOKENS} a layer string may have")
    tokens = []
    for i, part in enumerate(parts):
        if not part:
            raise _bad(i, part, "is empty (two '-' in a row?)", grammar=True)
        tokens.append(_token(i, part))
    _check_order(tokens)
    return tuple(tokens)


def _check_order(tokens: list[Token]) -> None:
    """Images first, rows after: no convolution or pooling after a flatten or an affine."""
    rows = False
    for i, t in enumerate(tokens):
        if t.image and rows:
            raise _bad(i, t.text, "works on images, but a flatten/affine before it made rows; put "
                       "convolutions and pooling first")
        if t.kind == "flatten" and not any(u.image for u in tokens[:i]):
            raise _bad(i, t.text, "has no images to flatten (it follows a convolution or a pooling)")
        rows = rows or t.kind in ("flatten", "affine", "gap", "gmp")


def canonical(text: object) -> str:
    """The layer string as RunSpec keeps it: lower case, no spaces (checked by :func:`parse`)."""
    tokens = parse(text)
    return "-".join(t.text for t in tokens)


def check(name: str, value: object) -> str:
    """RunSpec's check of the ``layers`` field: the canonical string, or a one-line error."""
    try:
        return canonical(value)
    except ValueError as exc:
        raise ValueError(f"{name}{str(exc)[len('layers'):]}") from None


def takes_images(text: str) -> bool:
    """Whether the stack reads images (N, C, H, W): it has a convolution or pooling (they come before
    any flatten or affine), or is a preset (all of them are convolutional networks)."""
    tokens = parse(text)
    return tokens[0].kind in PRESETS or any(t.image for t in tokens)


def image_channels(layers: list) -> int | None:
    """The channels C of the images a stack reads — a convolution's in_channels, 1 for a pooling —
    when a convolution or pooling comes before any flatten or affine; None for a stack of rows."""
    for layer in layers:
        if isinstance(layer, L.Convolution):
            return layer.in_channels
        if isinstance(layer, (L.Pooling, L.GlobalPooling)):
            return 1
        if isinstance(layer, (L.Flatten, L.Affine)):
            return None
    return None


def input_width(net: Sequential, image_shape: tuple[int, ...] | None) -> int:
    """The number of raw features (pixels) one sample of the network has: the first Affine's n_in, or
    C·H·W of the images its convolutions read."""
    channels = image_channels(net.layers)
    if channels is None:
        return int(next(layer.n_in for layer in net.layers if isinstance(layer, L.Affine)))
    if image_shape is None:
        raise ValueError("image_shape: the network reads images, but no image shape is known")
    return int(channels * np.prod(image_shape))


def build(text: str, input_shape: tuple[int, ...], n_out: int, *, output: str = "softmax",
          loss: str | None = None, init: str | float = "he", seed: int = 0, dtype: str = "float32",
          l1: float = 0.0, l2: float = 0.0) -> Sequential:
    """The :class:`~nnscratch.Sequential` a layer string describes, for samples of ``input_shape``
    ((C, H, W) images or (features,) rows), closed by Affine(→ ``n_out``) and the output layer of
    ``output``/``loss`` (出力層). ``init`` He/Xavier/σ for every weight layer (a preset keeps its own
    rule: deep_convnet is He). Sizes that do not fit give the one-line error of the formula
    OH = (H + 2P − FH) / S + 1 naming the token."""
    tokens = parse(text)
    out_layer = L.OUTPUTS[output_and_loss(output, loss, L.DEFAULT_LOSS, L.OUTPUTS)]()
    if tokens[0].kind in PRESETS:
        layers = _preset(tokens[0].kind, input_shape, n_out, init, seed, dtype)
    else:
        layers = _layers(tokens, tuple(int(v) for v in input_shape), n_out, init, dtype)
    return Sequential([*layers, out_layer], seed=seed, dtype=dtype, l1=l1, l2=l2)


def _preset(name: str, input_shape: tuple[int, ...], n_out: int, init: str | float, seed: int,
            dtype: str) -> list:
    if len(input_shape) != 3:
        raise ValueError(f"layers: the preset {name!r} reads images (C, H, W); the data give rows "
                         f"{tuple(input_shape)}; use digits or mnist5k")
    options = {} if name == "deep_convnet" else {"init": init}
    try:
        net = PRESETS[name](input_shape=tuple(input_shape), classes=n_out, seed=seed, dtype=dtype, **options)
    except ValueError as exc:
        raise ValueError(f"layers: the preset {name!r} does not fit images {tuple(input_shape)}: "
                         f"{exc}") from None
    return net.layers[:-1]  # its own softmax output is replaced by the task's


def _layers(tokens: tuple[Token, ...], shape: tuple[int, ...], n_out: int, init: str | float,
            dtype: str) -> list:
    """The layers of the tokens, each checked against the shape the one before gives (and the
    parameter count against the library's cap before anything is allocated)."""
    layers: list = []
    count = 0
    for t in (*tokens, Token("affine", (n_out,), f"the output affine{n_out}")):
        new = []
        if t.kind == "affine" and len(shape) != 1:
            new.append(L.Flatten())  # images to rows before the first affine, as the book's Affine does
            shape = (int(np.prod(shape)),)
        if t.kind in ("conv", "affine"):
            count += _parameters(t, shape)
            if count > MAX_PARAMETERS:
                raise ValueError(f"layers: {t.text!r} brings the parameters to {count:,}, more than the "
                                 f"{MAX_PARAMETERS:,} a network may have; expected smaller layers")
        new.append(_layer(t, shape, init, dtype))
        for layer in new:
            try:
                shape = output_shape(layer, shape)
            except ValueError as exc:
                raise ValueError(f"layers: {t.text!r} on samples of shape {shape}: "
                                 f"{str(exc).removeprefix('layers: ')}") from None
        layers += new
    return layers


def _parameters(t: Token, shape: tuple[int, ...]) -> int:
    if t.kind == "conv":
        f, k = t.args[:2]
        return f * shape[0] * k * k + f
    return (int(np.prod(shape)) + 1) * t.args[0]


def _layer(t: Token, shape: tuple[int, ...], init: str | float, dtype: str) -> object:
    if t.kind == "conv":
        if len(shape) != 3:
            raise ValueError(f"layers: {t.text!r} reads images (C, H, W), but the data give rows {shape}; "
                             f"use an image data set such as digits or mnist5k")
        f, k, s, p = t.args
        return L.Convolution(shape[0], f, k, s, p, init=init, dtype=dtype)
    if t.kind in ("pool", "avgpool"):
        if len(shape) != 3:
            raise ValueError(f"layers: {t.text!r} reads images (C, H, W), but the data give rows {shape}; "
                             f"use an image data set such as digits or mnist5k")
        return (L.MaxPooling if t.kind == "pool" else L.AveragePooling)(*t.args)
    if t.kind == "affine":
        return L.Affine(shape[0], t.args[0], init=init, dtype=dtype)
    if t.kind == "flatten":
        return L.Flatten()
    if t.kind in ("gap", "gmp"):
        if len(shape) != 3:
            raise ValueError(f"layers: {t.text!r} reads images (C, H, W), but the layer before gives rows "
                             f"{shape}; put it after the convolutions and pooling")
        return L.GlobalAveragePooling() if t.kind == "gap" else L.GlobalMaxPooling()
    if t.kind == "dropout":
        return L.Dropout(t.args[0])
    if t.kind == "batchnorm":
        return L.BatchNormalization(shape[0], dtype=dtype, per="channel" if len(shape) == 3 else "activation")
    return L.ACTIVATIONS[t.kind]()
