"""``nnscratch trace``: print every number of one step, for the course's scenarios or any network.

``register(subparsers)`` adds the sub-command to the CLI's parser; the command's ``func(args)``
prints the trace (or its JSON) and returns the exit status. Bad input raises ``ValueError``, which
the CLI prints as one line (exit status 2).

Examples::

    nnscratch trace --example backprop            # the course's one back-propagation step
    nnscratch trace --example multiclass --lang en
    nnscratch trace --layers 2-3-2 --x 1,5 --d 0,1 --lr 0.01 --hidden relu --output softmax --seed 0
    nnscratch trace --layers 2-3-2 --x "1,5;2,-1;0,1" --d "0,1;1,0;0,1" --batchnorm --dropout 0.5
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import numpy as np

from nnscratch.lab.trace import LANGS, PRESETS, course_example, trace
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


def run(args: argparse.Namespace) -> int:
    """The sub-command: build the trace from the arguments, print it (or its JSON), return 0."""
    x = parse_array(args.x, "x") if args.x is not None else None
    d = parse_array(args.d, "d") if args.d is not None else None
    lr_given = args.lr is not None
    if args.layers is not None:
        if args.example is not None:
            raise ValueError("example: give either --example or --layers, not both")
        if x is None:
            raise ValueError("x: --layers needs an input, e.g. --x 1,5")
        init: object = args.init
        try:
            init = float(args.init)
        except ValueError:
            pass
        net = Network(args.layers, hidden=args.hidden, output=args.output, init=init, seed=args.seed,
                      dtype=args.dtype, batchnorm=args.batchnorm, dropout=args.dropout, l1=args.l1,
                      l2=args.l2)
        record = trace(net, x, d=d, lr=args.lr, lang=args.lang)
    else:
        record = course_example(args.example or "backprop", lang=args.lang, x=x, d=d,
                                lr=args.lr if lr_given else ...)
    print(record.to_json() if args.json else str(record), end="\n" if args.json else "")
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``trace`` to the CLI's sub-commands; the parser sets ``func`` to :func:`run`."""
    examples = ", ".join(PRESETS)
    parser = subparsers.add_parser(
        "trace",
        help="print every number of one forward/backward step (the course's print_vec layout)",
        description=(
            "Trace one step of a network: total inputs (総入力), layer outputs (中間層出力), output (出力), "
            "error (誤差), deltas, gradients (偏微分) and the updated parameters (更新後パラメータ). "
            f"Use --example for the course's scenarios ({examples}; default backprop) or --layers for "
            "any network."
        ),
    )
    parser.add_argument("--example", choices=list(PRESETS), help="one of the course's scenarios")
    parser.add_argument("--layers", help="layer sizes like 2-3-2 (a network with random weights from --seed)")
    parser.add_argument("--x", help="input: '1,5' (one sample), '1,5;2,3' or JSON '[[1,5]]' (rows)")
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
