"""``nnscratch trace``: print every number of one step, for the course's scenarios or any network.

``register(subparsers)`` adds the sub-command to the CLI's parser; the command's ``func(args)``
prints the trace (or its JSON) and returns the exit status. Bad input raises ``ValueError``, which
the CLI prints as one line (exit status 2).

Examples::

    nnscratch trace --example backprop            # the course's one back-propagation step
    nnscratch trace --example multiclass --lang en
    nnscratch trace --layers 2-3-2 --x 1,5 --d 0,1 --lr 0.01 --hidden relu --output softmax --seed 0
    nnscratch trace --layers 2-3-2 --x "1,5;2,-1;0,1" --d "0,1;1,0;0,1" --batchnorm --dropout 0.5
    nnscratch trace --layers conv2x3-relu-pool2 --x "0,1,2,3;4,5,6,7;8,9,10,11;12,13,14,15" --d 0,0,1
    nnscratch trace --conv                        # one convolution: 4×4 input, 2×2 filter → 3×3
    nnscratch trace --conv --filter "1,0,1;0,1,0;1,0,1" --pad 1 --backward --lang en
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import numpy as np

from nnscratch.lab.trace import LANGS, PRESETS, course_example, trace, trace_convolution
from nnscratch.lab.trace.convolution import EXAMPLE_W, EXAMPLE_X
from nnscratch.layerstring import build, takes_images
from nnscratch.network import Network


def parse_array(text: str, name: str) -> np.ndarray:
    """``"1,5"`` → one sample ``[1., 5.]``; ``"1,5;2,3"`` or JSON ``"[[1,5]]"`` → rows."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name}: expected numbers like '1,5' (rows separated by ';'), got {text!r}")
    s = text.strip()
    try:
        if s.startswith("["):
            value = json.loads(s)
        elif ";" in s:
            value = [[float(v) for v in row.split(",")] for row in s.split(";")]
        else:
            value = [float(v) for v in s.split(",")]
        arr = np.array(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise ValueError(
            f"{name}: expected numbers like '1,5' (rows separated by ';' or JSON like [[1,5]]), got {text!r}"
        ) from None
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise ValueError(f"{name}: expected one sample (1-D) or rows of samples (2-D), got shape {arr.shape}")
    return arr


def parse_grid(text: str, name: str) -> np.ndarray:
    """An image or filter: ``"1,2;3,4"`` (rows separated by ';') → 2-D, or JSON of 2 to 4 dimensions."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name}: expected rows of numbers like '1,2;3,4' or JSON like [[1,2],[3,4]], "
                         f"got {text!r}")
    s = text.strip()
    try:
        value = json.loads(s) if s.startswith("[") else [[float(v) for v in row.split(",")]
                                                         for row in s.split(";")]
        arr = np.array(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise ValueError(f"{name}: expected rows of numbers like '1,2;3,4' or JSON like [[1,2],[3,4]], "
                         f"got {text!r}") from None
    if arr.ndim not in (2, 3, 4) or arr.size == 0:
        raise ValueError(f"{name}: expected a 2-D grid (rows separated by ';') or JSON of 2 to 4 "
                         f"dimensions, got shape {arr.shape}")
    return arr


_NOT_FOR_CONV = ("example", "layers", "d", "lr", "batchnorm", "l1", "l2")


def _show(record, args: argparse.Namespace) -> int:
    """Print the trace (or its JSON with ``--json``); the command's status, 0."""
    print(record.to_json() if args.json else str(record), end="\n" if args.json else "")
    return 0


def _init(text: str) -> object:
    """``--init``: a standard deviation such as 0.01, else a name (he, xavier)."""
    try:
        return float(text)
    except ValueError:
        return text


def run_convolution(args: argparse.Namespace) -> int:
    """``--conv``: trace one convolution (the book's 4×4 input and a 2×2 filter unless given)."""
    given = next((name for name in _NOT_FOR_CONV if getattr(args, name) not in (None, False, 0.0)), None)
    if given is not None or args.dropout:
        flag = given or "dropout"
        raise ValueError(f"conv: --{flag} belongs to the network trace; --conv takes --x, --filter, --bias, "
                         f"--stride, --pad, --backward or --dout")
    x = parse_grid(args.x, "x") if args.x is not None else np.array(EXAMPLE_X)
    W = parse_grid(args.filter, "filter") if args.filter is not None else np.array(EXAMPLE_W)
    dout = parse_grid(args.dout, "dout") if args.dout is not None else None
    record = trace_convolution(x, W, args.bias, stride=args.stride, pad=args.pad, dout=dout,
                               lang=args.lang, dtype=args.dtype)
    if args.backward and dout is None:  # dout = 1 everywhere: ∂E/∂x counts the windows over each pixel
        record = trace_convolution(x, W, args.bias, stride=args.stride, pad=args.pad,
                                   dout=np.ones_like(record.u), lang=args.lang, dtype=args.dtype)
    return _show(record, args)


def run(args: argparse.Namespace) -> int:
    """The sub-command: build the trace from the arguments, print it (or its JSON), return 0."""
    if args.conv:
        return run_convolution(args)
    conv_only = next((f for f in ("filter", "bias", "dout") if getattr(args, f) is not None), None)
    if conv_only or args.backward or args.stride != 1 or args.pad != 0:
        flag = conv_only or ("backward" if args.backward else "stride" if args.stride != 1 else "pad")
        raise ValueError(f"{flag}: --{flag} is for the convolution trace; add --conv")
    if args.layers is not None and any(c.isalpha() for c in args.layers):  # a layer string, not 2-3-2
        return run_layer_string(args)
    if args.outputs is not None:
        raise ValueError("outputs: --outputs is for a layer string, e.g. --layers conv2x3-relu-pool2 "
                         "--outputs 3")
    x = parse_array(args.x, "x") if args.x is not None else None
    d = parse_array(args.d, "d") if args.d is not None else None
    lr_given = args.lr is not None
    if args.layers is not None:
        if args.example is not None:
            raise ValueError("example: give either --example or --layers, not both")
        if x is None:
            raise ValueError("x: --layers needs an input, e.g. --x 1,5")
        net = Network(args.layers, hidden=args.hidden, output=args.output, init=_init(args.init),
                      seed=args.seed, dtype=args.dtype, batchnorm=args.batchnorm, dropout=args.dropout,
                      l1=args.l1, l2=args.l2)
        record = trace(net, x, d=d, lr=args.lr, lang=args.lang)
    else:
        record = course_example(args.example or "backprop", lang=args.lang, x=x, d=d,
                                lr=args.lr if lr_given else ...)
    return _show(record, args)


def run_layer_string(args: argparse.Namespace) -> int:
    """``--layers`` a layer string (conv…-relu-pool…, affine…, a preset): the network it builds, traced
    layer by layer (a stack of dense layers in the course's names). A string that reads images takes one
    image (an H×W grid, or JSON (C, H, W)) or a batch (JSON (N, C, H, W)); one of affine layers takes rows
    as the sizes' form does. The output layer has ``--outputs`` units, or as many as a row of ``--d``."""
    if args.example is not None:
        raise ValueError("example: give either --example or --layers, not both")
    if args.x is None:
        raise ValueError("x: --layers needs an input, e.g. --x 1,5 (or an image '0,1;2,3')")
    if args.batchnorm or args.dropout:
        flag = "batchnorm" if args.batchnorm else "dropout"
        raise ValueError(f"{flag}: with a layer string, write it among the layers "
                         f"(e.g. ...-affine32-{'batchnorm' if args.batchnorm else 'dropout0.5'}-relu)")
    if takes_images(args.layers):
        x = parse_grid(args.x, "x")
        x = x[None] if x.ndim == 2 else x  # an H×W grid is one image of one channel
        batch, sample = x.ndim == 4, x.shape[-3:]
    else:
        x = parse_array(args.x, "x")
        batch, sample = x.ndim == 2, x.shape[-1:]
    d = parse_array(args.d, "d") if args.d is not None else None
    n_out = args.outputs
    if n_out is None:
        if d is None or (batch and d.ndim == 1):
            raise ValueError("outputs: say how many outputs the network has, e.g. --outputs 3 (or give "
                             "--d as one-hot rows)")
        n_out = d.shape[-1]
    net = build(args.layers, sample, n_out, output=args.output, init=_init(args.init), seed=args.seed,
                dtype=args.dtype, l1=args.l1, l2=args.l2)
    if d is not None and batch and d.ndim == 1 and np.all(d == np.round(d)):
        d = d.astype(np.int64)  # class labels, one per sample
    return _show(trace(net, x, d=d, lr=args.lr, lang=args.lang), args)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``trace`` to the CLI's sub-commands; the parser sets ``func`` to :func:`run`."""
    examples = ", ".join(PRESETS)
    parser = subparsers.add_parser(
        "trace",
        help="print every number of one forward/backward step (the course's print_vec layout)",
        description=(
            "Trace one step of a network: total inputs (総入力), layer outputs (中間層出力), output (出力), "
            "error (誤差), deltas, gradients (偏微分) and the updated parameters (更新後パラメータ). "
            f"Use --example for the course's scenarios ({examples}; default backprop), --layers for "
            "any network, or --conv for one convolution (畳み込み) step by step."
        ),
    )
    parser.add_argument("--example", choices=list(PRESETS), help="one of the course's scenarios")
    parser.add_argument("--layers", help="layer sizes like 2-3-2 (a network with random weights from "
                        "--seed), or a layer string like conv2x3-relu-pool2 or affine4-relu (traced layer "
                        "by layer)")
    parser.add_argument("--x", help="input: '1,5' (one sample), '1,5;2,3' or JSON '[[1,5]]' (rows); for an "
                        "image network one H×W image '0,1;2,3' or JSON (C, H, W) or (N, C, H, W)")
    parser.add_argument("--outputs", type=int, metavar="K",
                        help="with a layer string: the output layer's units (default: the width of --d)")
    parser.add_argument("--d", help="targets (正解値): '0,1' (one-hot or values), class labels, or rows")
    parser.add_argument("--lr", type=float, help="learning rate: also apply one gradient-descent update")
    parser.add_argument("--hidden", default="relu", help="hidden activation with --layers (default relu)")
    parser.add_argument("--output", default="softmax", help="output activation with --layers")
    parser.add_argument("--init", default="he", help="weight init with --layers: he, xavier or a std")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    parser.add_argument("--batchnorm", action="store_true",
                        help="with --layers: batch normalisation after each hidden Affine (バッチ正規化)")
    parser.add_argument("--dropout", type=float, default=0.0, metavar="P",
                        help="with --layers: dropout rate P after each hidden activation (ドロップアウト)")
    parser.add_argument("--l1", type=float, default=0.0, metavar="λ",
                        help="with --layers: L1 λ·Σ|W| in the loss")
    parser.add_argument("--l2", type=float, default=0.0, metavar="λ",
                        help="with --layers: L2 ½λ·Σ W² in the loss")
    conv = parser.add_argument_group("one convolution (畳み込み): --conv")
    conv.add_argument("--conv", action="store_true",
                      help="trace one convolution: im2col, the filter matrix, their product, the reshape "
                      "back (default: 『ゼロから作る』's 4×4 input, a 2×2 filter)")
    conv.add_argument("--filter", help="with --conv: the filter, e.g. '2,0;0,1' or JSON (FN, C, FH, FW)")
    conv.add_argument("--bias", type=float, help="with --conv: the bias b (default 0)")
    conv.add_argument("--stride", type=int, default=1, help="with --conv: the stride S (default 1)")
    conv.add_argument("--pad", type=int, default=0, help="with --conv: the padding P (default 0)")
    conv.add_argument("--backward", action="store_true",
                      help="with --conv: the backward pass too, for dout = ∂E/∂u = 1 everywhere")
    conv.add_argument("--dout", help="with --conv: the backward pass for this dout, e.g. '1,0,0;0,1,0;0,0,1'")
    parser.add_argument("--dtype", default="float64", help="float64 (default, like the course) or float32")
    parser.add_argument("--lang", choices=list(LANGS), default="ja", help="labels: Japanese or English")
    parser.add_argument("--json", action="store_true", help="print the record as JSON instead")
    parser.set_defaults(func=run)
    return parser


def main(argv: list[str] | None = None, prog: str = "nnscratch") -> int:
    """Run the sub-command on its own (``python -m nnscratch.lab.trace_cli …``)."""
    parser = argparse.ArgumentParser(prog=prog)
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["trace", *(argv or [])])
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (ValueError, TypeError) as exc:
        parser.exit(2, f"nnscratch trace: error: {exc}\n")
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(__import__("sys").argv[1:]))
